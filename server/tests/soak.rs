//! A bounded soak of techo-server on loopback: linkages, status-list reads and revocations
//! mixed, with the portal failing (5xx, garbage, hanging past the timeout, data not ready)
//! at random. Afterwards no pending request is lost, no session was issued twice, and memory
//! stayed flat. 30 s in CI; `TECHO_SOAK_SECONDS=600 cargo test -p techo-server --test soak --
//! --nocapture` for ten minutes.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

mod common;
#[path = "common/consent.rs"]
mod consent;

use chrono::Duration;
use common::{ADMIN, Loopback, loopback};
use consent::{start_and_consent, yamada_card};
use ring::rand::{SecureRandom, SystemRandom};
use std::sync::Arc;
use techo_core::FixedClock;
use techo_core::card::Pin;
use techo_core::portal::TechoClient;
use techo_core::portal::dto::{AdminAction, LinkageStatus};
use techo_server::issuer::store::{ServerStore, SessionState};
use techo_sim::SoftCard;

const KEYS: usize = 2;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn dice(rng: &SystemRandom, sides: u8) -> u8 {
    let mut b = [0u8; 1];
    rng.fill(&mut b).unwrap();
    b[0] % sides
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_traffic_with_portal_faults_loses_nothing() {
    let seconds = soak_seconds();
    // Many phones behind one loopback address: no per-address limit here.
    let Loopback {
        dir: _dir,
        clock,
        pki,
        portal,
        server,
    } = loopback(300, |cfg| cfg.linkage_rate = (u32::MAX, u32::MAX)).await;
    let client = TechoClient::new(
        &server.url(),
        &pki.ca_pem,
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    let mut card = yamada_card().unwrap();
    let pin = Pin::parse("1234").unwrap();
    let rng = SystemRandom::new();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let (mut started, mut reads, mut revoked, mut faults) = (0usize, 0usize, 0usize, 0usize);
    let mut rss_after_warmup = None;
    while std::time::Instant::now() < deadline {
        inject_fault(&portal, &clock, &rng);
        faults += 1;
        // One linkage, start to finish (pending when the fault hits).
        let (session_id, status) = link_once(&client, &mut card, &pin, started).await;
        started += 1;
        // Now and then: support revokes a linked session.
        if matches!(status, LinkageStatus::Linked { .. }) && dice(&rng, 4) == 0 {
            client
                .admin(
                    ADMIN,
                    &AdminAction {
                        session_id: session_id.clone(),
                        action: "revoke".into(),
                        reason: "soak".into(),
                    },
                )
                .await
                .unwrap();
            revoked += 1;
        }
        // Verifiers read the status list; time moves on and the scheduler runs.
        client.status_list(1).await.unwrap();
        reads += 1;
        clock.set(clock_now(&clock) + Duration::minutes(5));
        portal.state.update_knobs(|k| k.not_ready_until = None);
        server.state.retry_due().await;
        if started == 10 {
            rss_after_warmup = Some(rss_kb());
        }
    }

    heal(&portal, &server, &clock).await;
    let sessions = server.state.sessions().await;
    let pending = sessions
        .iter()
        .filter(|s| matches!(s.state, SessionState::Pending { .. }))
        .count();
    let issued = sessions
        .iter()
        .filter(|s| {
            matches!(
                s.state,
                SessionState::Linked { .. } | SessionState::Revoked { .. }
            )
        })
        .count();
    let failed = sessions
        .iter()
        .filter(|s| matches!(s.state, SessionState::Failed { .. }))
        .count();
    let indices = server.state.store.indices_in_use().await.unwrap();
    let rss_end = rss_kb();
    println!(
        "soak: {seconds} s, {started} linkages ({issued} issued, {failed} failed, {pending} pending), {revoked} revoked, {reads} status-list reads, {faults} fault rolls; {indices} status indices; RSS {} → {rss_end} kB",
        rss_after_warmup.unwrap_or(0)
    );
    assert_eq!(sessions.len(), started, "every linkage is on record");
    assert_eq!(pending, 0, "no pending request is lost");
    assert_eq!(indices, issued * KEYS, "each session issued exactly once");
    if let Some(warm) = rss_after_warmup {
        assert!(
            rss_end < warm + 64 * 1024,
            "memory grew from {warm} kB to {rss_end} kB"
        );
    }
}

/// Starts a linkage with fresh device keys, consents with the card, submits the code.
async fn link_once(
    client: &TechoClient,
    card: &mut SoftCard,
    pin: &Pin,
    n: usize,
) -> (String, LinkageStatus) {
    let (session_id, code) = start_and_consent(client, card, pin, format!("soak-{n}"), KEYS)
        .await
        .unwrap();
    let status = client.submit_code(&session_id, &code).await.unwrap();
    (session_id, status)
}

/// A fault for the next portal data query, sometimes.
fn inject_fault(portal: &techo_server::Portal, clock: &Arc<FixedClock>, rng: &SystemRandom) {
    match dice(rng, 6) {
        0 => portal.state.update_knobs(|k| k.fail_5xx = 1),
        1 => portal.state.update_knobs(|k| k.malformed_json = 1),
        2 => portal.state.update_knobs(|k| k.hang = 1),
        3 => {
            let until = clock_now(clock) + Duration::minutes(30);
            portal
                .state
                .update_knobs(|k| k.not_ready_until = Some(until));
        }
        _ => {}
    }
}

/// The portal heals; every pending request is retried until none is left.
async fn heal(
    portal: &techo_server::Portal,
    server: &techo_server::TechoServer,
    clock: &Arc<FixedClock>,
) {
    portal
        .state
        .update_knobs(|k| *k = techo_server::Knobs::default());
    for _ in 0..20 {
        clock.set(clock_now(clock) + Duration::hours(2));
        if server.state.retry_due().await == 0 {
            break;
        }
    }
}

/// `TECHO_SOAK_SECONDS`, 30 by default (CI).
fn soak_seconds() -> u64 {
    std::env::var("TECHO_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
}

fn clock_now(clock: &Arc<FixedClock>) -> chrono::DateTime<chrono::Utc> {
    techo_core::Clock::now(clock.as_ref())
}
