//! A phone written out by hand, so a test holds the device keys: linkage through the protocol,
//! renewal requests signed by the test.
#![allow(dead_code, clippy::unwrap_used)]

use super::World;
use techo_core::card::{CardSession, LastTry, Pin};
use techo_core::linkage::{fetch_challenge, send_consent};
use techo_core::portal::dto::{
    DeviceKeyDto, HandbookRef, LinkageStatus, RenewRequest, StartLinkage, StartedLinkage,
};
use techo_core::token::SoftwareKey;

pub fn dto(keys: &[SoftwareKey]) -> Vec<DeviceKeyDto> {
    keys.iter()
        .enumerate()
        .map(|(n, k)| DeviceKeyDto {
            alias: format!("sw-{n}"),
            public_hex: techo_core::hex::encode(&k.public().compressed()),
        })
        .collect()
}

/// A renewal request signed by `signer` for `new` keys.
pub fn request(
    session: &str,
    signer: &SoftwareKey,
    new: &[SoftwareKey],
    at: chrono::DateTime<chrono::Utc>,
) -> RenewRequest {
    let mut req = RenewRequest {
        idempotency_key: techo_core::hex::random(16),
        signed_at: at,
        signer_hex: techo_core::hex::encode(&signer.public().compressed()),
        device_keys: dto(new),
        signature_hex: String::new(),
    };
    req.signature_hex = techo_core::hex::encode(&signer.sign_bytes(&req.signed_bytes(session)));
    req
}

/// A phone written out by hand, so the test holds the device keys: the linkage through the
/// protocol with 山田's card, with two keys of our own. Returns the session and the keys.
pub async fn linked_by_hand(w: &World) -> (String, Vec<SoftwareKey>) {
    let keys = vec![SoftwareKey::generate(), SoftwareKey::generate()];
    let (started, code) = consented_with(w, &keys).await;
    let status = w
        .client
        .submit_code(&started.session_id, &code)
        .await
        .unwrap();
    assert!(matches!(status, LinkageStatus::Linked { .. }), "{status:?}");
    (started.session_id, keys)
}

/// The holder's card answered the portal: a started session and its one-time code, not yet
/// handed to techo-server.
pub async fn consented_by_hand(w: &World) -> (StartedLinkage, String) {
    consented_with(w, &[SoftwareKey::generate()]).await
}

/// A session started for `keys` and the portal's one-time code for it.
async fn consented_with(w: &World, keys: &[SoftwareKey]) -> (StartedLinkage, String) {
    let started = w
        .client
        .start(&StartLinkage {
            idempotency_key: techo_core::hex::random(16),
            handbook: HandbookRef {
                kind: "physical".into(),
                number: "第12345号".into(),
                municipality_code: "131016".into(),
            },
            photo_sha256_hex: None,
            device_keys: dto(keys),
            guardian: None,
        })
        .await
        .unwrap();
    let code = code_from_portal(w, &started.portal_url).await;
    (started, code)
}

/// A fresh one-time code: 山田's card answers the portal's challenge and consents again.
pub async fn code_from_portal(w: &World, portal_url: &str) -> String {
    let mut card = w.card("yamada");
    let challenge = fetch_challenge(&w.client, portal_url).await.unwrap();
    let proof = CardSession::new(&mut card)
        .linkage_read(
            &Pin::parse("1234").unwrap(),
            &challenge.bytes,
            LastTry::Refuse,
        )
        .unwrap();
    send_consent(&w.client, portal_url, &challenge, &proof, None)
        .await
        .unwrap()
        .code
}
