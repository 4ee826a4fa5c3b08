//! Staying linked without the card: renewals under the standing consent over two months, a
//! closed portal that keeps the old code good, an ended consent that needs the card, requests
//! the server must refuse, and a renewal racing a revocation that always ends revoked.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::hand::{dto, linked_by_hand, request};
use common::{World, world};
use techo_core::Clock;
use techo_core::model::LinkageState;
use techo_core::portal::dto::LinkageStatus;
use techo_core::token::{ClaimId, Policy, SoftwareKey, VerifyError, verify};
use techo_core::wallet::Renewal;
use techo_server::issuer::store::ServerStore;
use techo_server::portal::hours::HoursMode;

const DAYTIME: &str = "2026-11-25T03:00:00Z";

/// The counter code now, checked as a gate would with the server's current lists.
async fn gate(w: &World) -> Result<(), VerifyError> {
    let (_, payload) = w
        .wallet
        .present(Some(&w.handbook), &ClaimId::COUNTER, None)
        .map_err(|_| VerifyError::StatusListMissing(0))?;
    let (trust, status) = w.client.verifier_lists().await.unwrap();
    verify(
        &payload.binary(),
        &trust,
        &status,
        w.clock.now(),
        &Policy::default(),
    )
    .map(|_| ())
}

#[tokio::test(flavor = "multi_thread")]
async fn sixty_days_with_a_code_on_screen_every_day_and_no_card() {
    let w = world(DAYTIME).await;
    w.link("yamada", "1234").await.unwrap();
    let mut renewals = 0;
    for day in 0..60 {
        if w.wallet.renewal_due(&w.handbook).unwrap() {
            let r = w.wallet.renew(&w.client, &w.handbook).await.unwrap();
            assert!(matches!(r, Renewal::Renewed { .. }), "day {day}: {r:?}");
            renewals += 1;
        }
        gate(&w)
            .await
            .unwrap_or_else(|e| panic!("day {day}: the code was refused: {e}"));
        assert!(w.wallet.get(&w.handbook).unwrap().linkage.is_linked());
        w.clock.advance(Duration::days(1));
    }
    // 21-day credentials, renewed a week ahead: every 14 days.
    assert!((4..=5).contains(&renewals), "{renewals} renewals");
    // The server forgot each batch once the app had it.
    let s = w.server.state.sessions().await.pop().unwrap();
    assert!(matches!(
        s.state,
        techo_server::issuer::store::SessionState::Linked {
            credentials: None,
            ..
        }
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_portal_keeps_the_old_code_and_the_renewal_waits() {
    let w = world(DAYTIME).await;
    w.link("yamada", "1234").await.unwrap();
    let held = w.wallet.credentials(&w.handbook).unwrap();
    // Two weeks later, at 22:30 JST, the municipal servers are closed.
    w.clock
        .advance(Duration::days(15) + Duration::hours(10) + Duration::minutes(30));
    w.portal
        .state
        .update_knobs(|k| k.mode = HoursMode::Municipal);
    assert!(w.wallet.renewal_due(&w.handbook).unwrap());
    let r = w.wallet.renew(&w.client, &w.handbook).await.unwrap();
    let Renewal::Later { next_try, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(w.wallet.credentials(&w.handbook).unwrap(), held, "kept");
    assert!(w.wallet.get(&w.handbook).unwrap().linkage.is_linked());
    gate(&w).await.unwrap();
    // 申請中 for the renewal only: said under 連携済, with the next try.
    let waiting = w
        .wallet
        .renewal_notice(&w.handbook, techo_core::Lang::Ja)
        .unwrap()
        .expect("the wait is said");
    assert!(waiting.contains("再開を待っています"), "{waiting}");
    assert!(waiting.contains("今の画面はそのまま使えます"), "{waiting}");
    assert!(
        !w.wallet.renewal_due(&w.handbook).unwrap(),
        "not before the next try"
    );
    w.clock.set(next_try + Duration::seconds(1));
    assert!(w.wallet.renewal_due(&w.handbook).unwrap());
    let r = w.wallet.renew(&w.client, &w.handbook).await.unwrap();
    assert!(matches!(r, Renewal::Renewed { .. }), "{r:?}");
    assert_ne!(w.wallet.credentials(&w.handbook).unwrap(), held);
    assert_eq!(
        w.wallet
            .renewal_notice(&w.handbook, techo_core::Lang::Ja)
            .unwrap(),
        None
    );
    gate(&w).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ended_consent_needs_the_card_and_revokes_what_was_issued() {
    let w = world(DAYTIME).await;
    w.link("yamada", "1234").await.unwrap();
    let subject = w.server.state.consents().await[0].subject.clone();
    w.portal.state.revoke_consent(&subject);
    let r = w.wallet.renew(&w.client, &w.handbook).await.unwrap();
    assert!(matches!(r, Renewal::NeedsCard { .. }), "{r:?}");
    let after = w.wallet.get(&w.handbook).unwrap().linkage;
    assert!(
        matches!(&after, LinkageState::RelinkNeeded { reason, .. } if reason == "consent_ended"),
        "{after:?}"
    );
    // A copy of the old code kept elsewhere no longer verifies either.
    assert!(w.wallet.credentials(&w.handbook).unwrap().is_empty());
    let s = w.server.state.sessions().await.pop().unwrap();
    assert!(s.access_token.is_none(), "the portal token is gone");
}

fn batch(status: &LinkageStatus) -> Vec<Vec<u8>> {
    match status {
        LinkageStatus::Linked { credentials, .. } => {
            credentials.iter().map(|c| c.credential.clone()).collect()
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_stale_and_replayed_requests_get_nothing_new() {
    let w = world(DAYTIME).await;
    let (session, keys) = linked_by_hand(&w).await;
    let now = w.clock.now();
    let indices = || async { w.server.state.store.indices_in_use().await.unwrap() };
    let new = [SoftwareKey::generate()];
    let start = indices().await;
    // A key that is not this linkage's, and a request signed half an hour ago: refused.
    let stranger = request(&session, &SoftwareKey::generate(), &new, now);
    assert!(w.client.renew(&session, &stranger).await.is_err());
    let stale = request(&session, &keys[0], &new, now - Duration::minutes(30));
    assert!(w.client.renew(&session, &stale).await.is_err());
    let mut forged = request(&session, &keys[0], &new, now);
    forged.device_keys = dto(&[SoftwareKey::generate()]);
    assert!(
        w.client.renew(&session, &forged).await.is_err(),
        "keys swapped after signing"
    );
    assert_eq!(indices().await, start, "nothing issued");
    // The real request, then the same one replayed: the same batch, never a second one.
    let req = request(&session, &keys[1], &new, now);
    let first = batch(&w.client.renew(&session, &req).await.unwrap());
    assert_eq!(
        first.len(),
        2,
        "a counter and a full credential for the new key"
    );
    let again = batch(&w.client.renew(&session, &req).await.unwrap());
    assert_eq!(again, first);
    w.client.acknowledge(&session).await.unwrap();
    assert!(batch(&w.client.renew(&session, &req).await.unwrap()).is_empty());
    assert_eq!(indices().await, start + 1, "one new index");
    // The old batch's keys no longer speak for the linkage.
    let old_key = request(&session, &keys[0], &[SoftwareKey::generate()], now);
    assert!(w.client.renew(&session, &old_key).await.is_err());
}

/// The portal answers in a second; the returned client gives up after 300 ms (the answer is lost).
fn slow_portal_impatient_phone(w: &World) -> techo_core::portal::TechoClient {
    w.portal
        .state
        .update_knobs(|k| k.latency = std::time::Duration::from_secs(1));
    techo_core::portal::TechoClient::new(
        &w.server.url(),
        &w.pki.ca_pem,
        std::time::Duration::from_millis(300),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_is_asked_again_with_the_same_request_and_the_linkage_stays() {
    let w = world(DAYTIME).await;
    w.link("yamada", "1234").await.unwrap();
    w.clock.advance(Duration::days(15));
    // The portal is slow and the phone gives up first: the answer is lost.
    let impatient = slow_portal_impatient_phone(&w);
    let lost = w.wallet.renew(&impatient, &w.handbook).await;
    assert!(lost.is_err(), "{lost:?}");
    // The server finished the renewal anyway: the batch waits for the phone.
    let issued = async {
        loop {
            let s = w.server.state.sessions().await.pop().unwrap();
            if s.renewed_with.is_some() {
                return s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    let first = tokio::time::timeout(std::time::Duration::from_secs(20), issued)
        .await
        .expect("the server completes a renewal whose caller left");
    assert!(w.wallet.get(&w.handbook).unwrap().linkage.is_linked());
    gate(&w).await.unwrap();
    w.portal
        .state
        .update_knobs(|k| k.latency = std::time::Duration::ZERO);
    // The same request again (the old keys are no longer the session's): that batch, usable.
    let r = w.wallet.renew(&w.client, &w.handbook).await.unwrap();
    assert!(matches!(r, Renewal::Renewed { .. }), "{r:?}");
    gate(&w).await.unwrap();
    let after = w.server.state.sessions().await.pop().unwrap();
    assert_eq!(after.renewed_with, first.renewed_with, "one batch, not two");
    assert_eq!(after.device_keys, first.device_keys);

    // Lost again, and the phone only tries the next day: a replay is answered whatever its
    // age (and a request the server never took would be refused as too old, dropped, and
    // made again).
    w.clock.advance(Duration::days(14));
    w.portal
        .state
        .update_knobs(|k| k.latency = std::time::Duration::from_secs(1));
    assert!(w.wallet.renew(&impatient, &w.handbook).await.is_err());
    w.portal
        .state
        .update_knobs(|k| k.latency = std::time::Duration::ZERO);
    w.clock.advance(Duration::days(1));
    let mut outcome = w.wallet.renew(&w.client, &w.handbook).await;
    if outcome.is_err() {
        outcome = w.wallet.renew(&w.client, &w.handbook).await;
    }
    assert!(
        matches!(outcome, Ok(Renewal::Renewed { .. })),
        "{outcome:?}"
    );
    gate(&w).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_renewal_keeps_goes_with_the_linkage_and_with_the_handbook() {
    use techo_core::store::{MemoryStore, Store, Table};
    let store = MemoryStore::new();
    let w = common::world_with(
        DAYTIME,
        techo_server::issuer::store::StoreConfig::default(),
        Some(Box::new(store.clone())),
    )
    .await;
    let mine = |table| {
        let id = w.handbook.to_string();
        move |s: &MemoryStore| -> Vec<String> {
            s.keys(table)
                .unwrap()
                .into_iter()
                .filter(|k| table == Table::DeviceKeys || k.ends_with(&id))
                .collect()
        }
    };
    let settings = mine(Table::Settings);
    let device_keys = mine(Table::DeviceKeys);
    for end in ["unlink", "remove"] {
        w.link("yamada", "1234").await.unwrap();
        w.clock.advance(Duration::days(15));
        // A renewal whose answer never came: its request and new keys are kept for a replay.
        let impatient = slow_portal_impatient_phone(&w);
        assert!(w.wallet.renew(&impatient, &w.handbook).await.is_err());
        w.portal
            .state
            .update_knobs(|k| k.latency = std::time::Duration::ZERO);
        assert!(
            settings(&store)
                .iter()
                .any(|k| k.starts_with("renewal_in_flight/")),
            "{:?}",
            settings(&store)
        );
        let held: std::collections::HashSet<String> = w
            .wallet
            .credentials(&w.handbook)
            .unwrap()
            .into_iter()
            .map(|c| c.device_key)
            .collect();
        assert!(
            device_keys(&store).len() > held.len(),
            "the new keys are kept"
        );
        if end == "unlink" {
            w.wallet.unlink(&w.client, &w.handbook).await.unwrap();
            assert!(settings(&store).is_empty(), "{:?}", settings(&store));
            assert!(device_keys(&store).is_empty(), "{:?}", device_keys(&store));
        } else {
            w.wallet.withdraw(&w.handbook).unwrap();
            assert!(settings(&store).is_empty(), "{:?}", settings(&store));
            assert!(device_keys(&store).is_empty(), "{:?}", device_keys(&store));
        }
    }
}
