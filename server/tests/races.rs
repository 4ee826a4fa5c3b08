//! Changes that race: an admin revocation or the holder's withdrawal sent while a linkage's code
//! is being exchanged, and while a renewal is at the portal, 0–50 ms apart, round after round, on
//! sled and on PostgreSQL. The session always ends revoked, and nothing delivered meanwhile is
//! valid in the published list. (Before the store's compare-and-swap, the slower write won:
//! "linked" over "revoked".) `TECHO_RACE_ROUNDS` sets the rounds per test (default 60).
#![allow(clippy::unwrap_used)]

mod common;

use common::hand::{consented_by_hand, linked_by_hand, request};
use common::{ADMIN, World, fresh_db, world_configured};
use techo_core::Clock;
use techo_core::portal::dto::{AdminAction, LinkageStatus};
use techo_core::token::{HeldCredential, SoftwareKey, Status};
use techo_server::issuer::store::{ServerStore, SessionState, StoreConfig};

const DAYTIME: &str = "2026-11-25T03:00:00Z";

fn rounds() -> u64 {
    std::env::var("TECHO_RACE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(60)
}

/// Round `round`'s delay: 0 to 50 ms, spread so every few rounds cover the range.
fn delay(round: u64) -> std::time::Duration {
    std::time::Duration::from_millis(round * 17 % 51)
}

/// An admin revocation on even rounds, the holder's withdrawal on odd ones, after `delay`.
async fn revoke_after(w: &World, session: &str, round: u64) {
    tokio::time::sleep(delay(round)).await;
    if round % 2 == 1 {
        w.client.withdraw(session).await.unwrap();
        return;
    }
    w.client
        .admin(
            ADMIN,
            &AdminAction {
                session_id: session.to_owned(),
                action: "revoke".into(),
                reason: "returned".into(),
            },
        )
        .await
        .unwrap();
}

/// A world whose server takes as many linkage requests as the rounds send.
async fn race_world(store: StoreConfig) -> World {
    world_configured(DAYTIME, store, None, |c| c.linkage_rate = (10_000, 10_000)).await
}

/// The session ended revoked and no credential of `delivered` is valid in the list.
async fn ended_revoked(w: &World, session: &str, delivered: &[HeldCredential], round: u64) {
    let s = w
        .server
        .state
        .store
        .session(session)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(s.state, SessionState::Revoked { .. }),
        "round {round}: ended {}",
        s.state.name()
    );
    let (_, status) = w.client.verifier_lists().await.unwrap();
    for held in delivered {
        assert_ne!(
            status[0].get(held.status.index),
            Some(Status::Valid),
            "round {round}: index {} still valid",
            held.status.index
        );
    }
}

fn delivered(
    answer: Result<LinkageStatus, techo_core::portal::ClientError>,
) -> Vec<HeldCredential> {
    match answer {
        Ok(LinkageStatus::Linked { credentials, .. }) => credentials,
        _ => Vec::new(),
    }
}

async fn codes_racing_revocations(w: &World) {
    // The portal takes a while, as the real one does (seconds): the race has room.
    w.portal
        .state
        .update_knobs(|k| k.latency = std::time::Duration::from_millis(30));
    for round in 0..rounds() {
        let (started, code) = consented_by_hand(w).await;
        let (answer, ()) = tokio::join!(
            w.client.submit_code(&started.session_id, &code),
            revoke_after(w, &started.session_id, round)
        );
        ended_revoked(w, &started.session_id, &delivered(answer), round).await;
    }
}

async fn renewals_racing_revocations(w: &World) {
    w.portal
        .state
        .update_knobs(|k| k.latency = std::time::Duration::from_millis(30));
    for round in 0..rounds() {
        let (session, keys) = linked_by_hand(w).await;
        let req = request(
            &session,
            &keys[0],
            &[SoftwareKey::generate()],
            w.clock.now(),
        );
        let (answer, ()) = tokio::join!(
            w.client.renew(&session, &req),
            revoke_after(w, &session, round)
        );
        ended_revoked(w, &session, &delivered(answer), round).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_racing_a_revocation_ends_revoked_on_sled() {
    codes_racing_revocations(&race_world(StoreConfig::default()).await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewal_racing_a_revocation_ends_revoked_on_sled() {
    renewals_racing_revocations(&race_world(StoreConfig::default()).await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_racing_a_revocation_ends_revoked_on_postgres() {
    let store = StoreConfig::parse(&fresh_db("race_codes").await).unwrap();
    codes_racing_revocations(&race_world(store).await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewal_racing_a_revocation_ends_revoked_on_postgres() {
    let store = StoreConfig::parse(&fresh_db("race_renewals").await).unwrap();
    renewals_racing_revocations(&race_world(store).await).await;
}
