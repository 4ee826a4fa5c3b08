//! One holder's linkage up to the code: start a session for the fixture handbook with fresh
//! device keys, then consent at the portal with the software card. Shared by the soak test
//! (`server/tests/soak.rs`) and the load test (`server/examples/issue_load.rs`, by `#[path]`).

use techo_core::card::{CardSession, LastTry, Pin};
use techo_core::linkage::{fetch_challenge, send_consent};
use techo_core::portal::TechoClient;
use techo_core::portal::dto::{DeviceKeyDto, HandbookRef, StartLinkage};
use techo_core::token::SoftwareKey;
use techo_sim::{SimOptions, SoftCard};

/// 山田's software card (`fixtures/cards/yamada`), answering with extended-length APDUs as a
/// phone's reader does.
pub fn yamada_card() -> Result<SoftCard, Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards/yamada");
    Ok(SoftCard::open(&dir, None, extended())?)
}

fn extended() -> SimOptions {
    SimOptions {
        extended: true,
        ..SimOptions::default()
    }
}

/// The session id and the portal's code for it, ready to submit.
pub async fn start_and_consent(
    client: &TechoClient,
    card: &mut SoftCard,
    pin: &Pin,
    idempotency_key: String,
    keys: usize,
) -> Result<(String, String), Box<dyn std::error::Error>> {
    let device_keys = (0..keys)
        .map(|k| DeviceKeyDto {
            alias: format!("k{k}"),
            public_hex: techo_core::hex::encode(&SoftwareKey::generate().public().compressed()),
        })
        .collect();
    let started = client
        .start(&StartLinkage {
            idempotency_key,
            handbook: HandbookRef {
                kind: "physical".into(),
                number: "12345".into(),
                municipality_code: "131016".into(),
            },
            photo_sha256_hex: None,
            device_keys,
            guardian: None,
        })
        .await?;
    let challenge = fetch_challenge(client, &started.portal_url).await?;
    card.tap_again(extended());
    let proof = CardSession::new(card).linkage_read(pin, &challenge.bytes, LastTry::Refuse)?;
    let consent = send_consent(client, &started.portal_url, &challenge, &proof, None).await?;
    Ok((started.session_id, consent.code))
}
