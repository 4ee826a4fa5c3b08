//! Bounded load generator: credential issuance throughput of techo-server over loopback.
//!
//! Prepares N linkage sessions (portal consent signed by the software card, not timed), then
//! submits their one-time codes with C concurrent clients and times what techo-server does for
//! each: the mutual-TLS code exchange, the 時点指定 query, issuing (a counter and a full
//! credential per device key) and storing. `cargo run --release -p techo-server --example
//! issue_load -- [sessions] [concurrency] [keys per session]`.

#![allow(
    clippy::too_many_lines,
    clippy::cast_precision_loss,
    reason = "a measuring tool, run by hand"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use techo_core::card::{JpkiTrust, LastTry, Pin};
use techo_core::linkage::consent_with_card;
use techo_core::portal::TechoClient;
use techo_core::portal::dto::{DeviceKeyDto, HandbookRef, LinkageStatus, StartLinkage};
use techo_core::token::SoftwareKey;
use techo_server::portal::records::Records;
use techo_server::{Portal, ServerConfig, TechoServer, TestPki};
use techo_sim::{SimOptions, SoftCard};

fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (sessions, concurrency, keys) = (
        args.first().copied().unwrap_or(500),
        args.get(1).copied().unwrap_or(32),
        args.get(2).copied().unwrap_or(8),
    );
    let dir = tempfile::tempdir()?;
    let clock: Arc<dyn techo_core::Clock> = Arc::new(techo_core::SystemClock);
    let pki = TestPki::generate()?;
    let trust = JpkiTrust::new(vec![std::fs::read(repo("fixtures/cards/ca/ca.crt.der"))?])?;
    let portal = Portal::start(
        &pki,
        clock.clone(),
        trust,
        Records::load(&repo("fixtures/portal/records.json"))?,
    )
    .await?;
    let server = TechoServer::start(
        &pki,
        clock,
        ServerConfig {
            data_dir: dir.path().join("server"),
            portal_holder_url: portal.holder.url(),
            portal_provider_url: portal.provider.url(),
            admin_token: "load".into(),
            portal_timeout: std::time::Duration::from_secs(30),
            retry_every: None,
            store: techo_server::issuer::store::StoreConfig::default(),
            issuer_dir: None,
        },
    )
    .await?;
    let client = TechoClient::new(
        &server.url(),
        &pki.ca_pem,
        std::time::Duration::from_secs(60),
    )?;

    eprintln!(
        "preparing {sessions} sessions with {keys} device keys each (card signatures, not timed)…"
    );
    let mut card = SoftCard::open(
        &repo("fixtures/cards/yamada"),
        None,
        SimOptions {
            extended: true,
            ..SimOptions::default()
        },
    )?;
    let pin = Pin::parse("1234")?;
    let mut ready = Vec::with_capacity(sessions);
    for n in 0..sessions {
        let device_keys = (0..keys)
            .map(|k| DeviceKeyDto {
                alias: format!("k{k}"),
                public_hex: techo_core::hex::encode(&SoftwareKey::generate().public().compressed()),
            })
            .collect();
        let started = client
            .start(&StartLinkage {
                idempotency_key: format!("load-{n}"),
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
        card.tap_again(SimOptions {
            extended: true,
            ..SimOptions::default()
        });
        let consent = consent_with_card(
            &client,
            &started.portal_url,
            &mut card,
            &pin,
            LastTry::Refuse,
            None,
        )
        .await?;
        ready.push((started.session_id, consent.code));
    }

    eprintln!("submitting codes with {concurrency} concurrent clients…");
    let queue = Arc::new(tokio::sync::Mutex::new(ready));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (queue, client) = (queue.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            let mut issued = 0usize;
            loop {
                let Some((session, code)) = queue.lock().await.pop() else {
                    break;
                };
                match client.submit_code(&session, &code).await {
                    Ok(LinkageStatus::Linked { credentials, .. }) => issued += credentials.len(),
                    other => eprintln!("unexpected: {other:?}"),
                }
            }
            issued
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "issued {total} credentials for {sessions} linkages in {secs:.2} s: {:.0} credentials/s, {:.0} linkages/s ({concurrency} clients, {keys} keys per linkage, loopback, this machine)",
        total as f64 / secs,
        sessions as f64 / secs
    );
    Ok(())
}
