//! Bounded load generator: credential issuance throughput of techo-server over loopback.
//!
//! Prepares N linkage sessions (portal consent signed by the software card, not timed), then
//! submits their one-time codes with C concurrent clients and times what techo-server does for
//! each: the mutual-TLS code exchange, the 時点指定 query, issuing (a counter and a full
//! credential per device key) and storing; status-list reads run alongside. With
//! `--store postgres://…` it starts two server instances on that database (sessions started on
//! one are finished on the other) and checks afterwards that no status index was handed out
//! twice. `cargo run --release -p techo-server --example issue_load -- [sessions] [concurrency]
//! [keys per session] [--store URL] [--keys files|pkcs11:…]`; `bash scripts/load-postgres` runs
//! the two-server case with file keys and with a SoftHSM2 token.

#![allow(
    clippy::too_many_lines,
    clippy::cast_precision_loss,
    reason = "a measuring tool, run by hand"
)]

#[path = "../tests/common/consent.rs"]
mod consent;

use consent::{start_and_consent, yamada_card};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use techo_core::card::{JpkiTrust, Pin};
use techo_core::portal::TechoClient;
use techo_core::portal::dto::LinkageStatus;
use techo_server::issuer::keys::KeyConfig;
use techo_server::issuer::store::{ServerStore, StoreConfig};
use techo_server::portal::records::Records;
use techo_server::{Portal, ServerConfig, TechoServer, TestPki};

fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        raw.iter()
            .position(|a| a == name)
            .and_then(|i| raw.get(i + 1).cloned())
    };
    let store_url = flag("--store");
    let keys_config = match flag("--keys") {
        Some(k) => KeyConfig::parse(&k)?,
        None => KeyConfig::Files,
    };
    let args: Vec<usize> = raw.iter().filter_map(|a| a.parse().ok()).collect();
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
    let store = match &store_url {
        Some(url) => StoreConfig::parse(url)?,
        None => StoreConfig::default(),
    };
    let instances = if store_url.is_some() { 2 } else { 1 };
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    for i in 0..instances {
        let server = TechoServer::start(
            &pki,
            clock.clone(),
            ServerConfig {
                portal_timeout: std::time::Duration::from_secs(30),
                store: store.clone(),
                issuer_dir: Some(dir.path().join("issuer")),
                keys: keys_config.clone(),
                linkage_rate: (1_000_000, 1_000_000),
                ..ServerConfig::for_portal(
                    dir.path().join(format!("server-{i}")),
                    &portal,
                    "load-test-admin-token",
                )
            },
        )
        .await?;
        clients.push(TechoClient::new(
            &server.url(),
            &pki.ca_pem,
            std::time::Duration::from_secs(60),
        )?);
        servers.push(server);
    }
    let client = clients[0].clone();

    eprintln!(
        "preparing {sessions} sessions with {keys} device keys each (card signatures, not timed)…"
    );
    let mut card = yamada_card()?;
    let pin = Pin::parse("1234")?;
    let mut ready = Vec::with_capacity(sessions);
    for n in 0..sessions {
        let (session_id, code) =
            start_and_consent(&client, &mut card, &pin, format!("load-{n}"), keys).await?;
        ready.push((session_id, code, clients[(n + 1) % instances].clone()));
    }

    eprintln!(
        "submitting codes with {concurrency} concurrent clients, reading status lists alongside…"
    );
    let queue = Arc::new(tokio::sync::Mutex::new(ready));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let start = Instant::now();
    let readers: Vec<_> = clients
        .iter()
        .cloned()
        .map(|c| {
            let done = done.clone();
            tokio::spawn(async move {
                let mut times = Vec::new();
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let t = Instant::now();
                    if c.status_list(1).await.is_ok() {
                        times.push(t.elapsed());
                    }
                }
                times
            })
        })
        .collect();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            let mut issued = 0usize;
            let mut times = Vec::new();
            loop {
                let Some((session, code, client)) = queue.lock().await.pop() else {
                    break;
                };
                let t = Instant::now();
                match client.submit_code(&session, &code).await {
                    Ok(LinkageStatus::Linked { credentials, .. }) => issued += credentials.len(),
                    other => eprintln!("unexpected: {other:?}"),
                }
                times.push(t.elapsed());
            }
            (issued, times)
        }));
    }
    let mut total = 0;
    let mut linkage_times = Vec::new();
    for t in tasks {
        let (issued, times) = t.await?;
        total += issued;
        linkage_times.extend(times);
    }
    let secs = start.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut read_times = Vec::new();
    for r in readers {
        read_times.extend(r.await?);
    }
    println!(
        "issued {total} credentials for {sessions} linkages in {secs:.2} s: {:.0} credentials/s, {:.0} linkages/s, linkage p50 {} ms p99 {} ms ({concurrency} clients, {keys} keys per linkage, {instances} server(s), {} keys, loopback, this machine)",
        total as f64 / secs,
        sessions as f64 / secs,
        percentile(&mut linkage_times, 50),
        percentile(&mut linkage_times, 99),
        match keys_config {
            KeyConfig::Files => "file",
            KeyConfig::Pkcs11(_) => "PKCS#11",
        },
    );
    println!(
        "status-list reads alongside: {} in {secs:.2} s ({:.0}/s), p50 {} ms p99 {} ms",
        read_times.len(),
        read_times.len() as f64 / secs,
        percentile(&mut read_times, 50),
        percentile(&mut read_times, 99),
    );
    // Every credential pair has its own index, and no index was handed out twice.
    let in_use = servers[0].state.store.indices_in_use().await?;
    let expected = sessions * keys;
    if total != 2 * expected || in_use != expected {
        return Err(format!(
            "expected {expected} indices and {} credentials, found {in_use} indices and {total} credentials",
            2 * expected
        )
        .into());
    }
    println!("checked: {in_use} status indices for {total} credentials, none handed out twice");
    Ok(())
}

fn percentile(times: &mut [std::time::Duration], p: usize) -> u128 {
    if times.is_empty() {
        return 0;
    }
    times.sort();
    times[(times.len() * p / 100).min(times.len() - 1)].as_millis()
}
