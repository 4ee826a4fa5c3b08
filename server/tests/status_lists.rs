//! Status lists published as versions (issue 32), on sled and on PostgreSQL: a verifier holding
//! a list catches up with one signed delta, heals with the full list once the versions it
//! needs are forgotten, refuses a list older than its own, and lists are added as the live
//! entries grow, each credential pointing at its own list.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fresh_db, world_configured, world_on};
use techo_core::portal::{ClientError, ListSync};
use techo_core::token::{Status, StatusSet, StatusSource};
use techo_server::issuer::status_lists::StatusPublishing;
use techo_server::issuer::store::{ServerStore, StoreConfig};

const DAYTIME: &str = "2026-11-25T03:00:00Z";

async fn follows_deltas_heals_and_refuses_rollbacks(store: StoreConfig) {
    let w = world_on(DAYTIME, store).await;
    w.link("yamada", "1234").await.unwrap();
    let held_creds = w.wallet.credentials(&w.handbook).unwrap();
    let (trust, lists) = w.client.verifier_lists().await.unwrap();
    let mut held = StatusSet::of(lists);
    let status_of = |set: &StatusSet| {
        let c = &held_creds[0];
        set.status_list(c.status.list).unwrap().get(c.status.index)
    };
    assert_eq!(status_of(&held), Some(Status::Valid));
    let sync = w.client.sync_status(&trust, &mut held).await.unwrap();
    assert_eq!(
        sync.lists,
        vec![(1, held.version(1).unwrap(), ListSync::Current)]
    );

    // A revocation is published at once and reaches the verifier as a small delta.
    let before = held.clone();
    w.admin(&w.handbook, "revoke", "lost phone").await;
    let sync = w.client.sync_status(&trust, &mut held).await.unwrap();
    let [
        (
            1,
            _,
            ListSync::Delta {
                ref signed,
                changes,
            },
        ),
    ] = sync.lists[..]
    else {
        panic!("{sync:?}")
    };
    let bytes = signed.len();
    assert!(
        changes >= 1 && bytes < 1024,
        "{changes} changes in {bytes} bytes"
    );
    assert_eq!(status_of(&held), Some(Status::Revoked));
    let newest = held.version(1).unwrap();
    let url = format!("{}/v1/status-lists/1/delta?from={newest}", w.server.url());
    let http = common::https(&w.pki.ca_pem);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 304);
    let unknown = format!("{}/v1/status-lists/99", w.server.url());
    assert_eq!(http.get(&unknown).send().await.unwrap().status(), 404);

    // Two hours later (two heartbeat versions on top): a verifier still at the version before
    // the revocation gets one delta across all three.
    w.clock.advance(chrono::Duration::hours(2));
    w.server.state.status_pass().await;
    let mut behind = before.clone();
    let sync = w.client.sync_status(&trust, &mut behind).await.unwrap();
    assert!(
        matches!(sync.lists[..], [(1, _, ListSync::Delta { .. })]),
        "{sync:?}"
    );
    assert!(behind.version(1).unwrap() >= before.version(1).unwrap() + 2);
    assert_eq!(status_of(&behind), Some(Status::Revoked));

    // Eight days offline: the versions after the one held are forgotten (410), so the
    // verifier heals with the full list and sees the revocation.
    w.clock.advance(chrono::Duration::days(8));
    w.server.state.status_pass().await;
    let mut stale = before.clone();
    let url = format!(
        "{}/v1/status-lists/1/delta?from={}",
        w.server.url(),
        stale.version(1).unwrap()
    );
    assert_eq!(http.get(&url).send().await.unwrap().status(), 410);
    let sync = w.client.sync_status(&trust, &mut stale).await.unwrap();
    assert!(
        matches!(sync.lists[..], [(1, _, ListSync::Full { .. })]),
        "{sync:?}"
    );
    assert_eq!(status_of(&stale), Some(Status::Revoked));

    // A verifier already past what the server offers (a restored backup, a replayed answer)
    // keeps its own list and says so.
    let mut ahead_list = stale.status_list(1).unwrap().clone();
    ahead_list.version += 100;
    let mut ahead = StatusSet::of([ahead_list.clone()]);
    let err = w.client.sync_status(&trust, &mut ahead).await.unwrap_err();
    assert!(
        matches!(err, ClientError::StatusRollback { list: 1, .. }),
        "{err}"
    );
    assert_eq!(ahead.status_list(1), Some(&ahead_list));
}

#[tokio::test(flavor = "multi_thread")]
async fn sled_verifiers_follow_deltas_heal_and_refuse_rollbacks() {
    follows_deltas_heals_and_refuses_rollbacks(StoreConfig::default()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_verifiers_follow_deltas_heal_and_refuse_rollbacks() {
    let url = fresh_db("status_deltas").await;
    follows_deltas_heals_and_refuses_rollbacks(StoreConfig::parse(&url).unwrap()).await;
}

async fn lists_grow_with_the_live_entries(store: StoreConfig) {
    let tiny = StatusPublishing {
        list_size: 4,
        ..StatusPublishing::LOOPBACK
    };
    let w = world_configured(DAYTIME, store, None, |cfg| cfg.status = tiny).await;
    // Three of list 1's four entries taken by others: the live entries need a second list.
    w.server
        .state
        .store
        .allocate_indices("others", 3, techo_core::Clock::now(w.clock.as_ref()), 4)
        .await
        .unwrap();
    w.link("yamada", "1234").await.unwrap();
    let creds = w.wallet.credentials(&w.handbook).unwrap();
    let (trust, lists) = w.client.verifier_lists().await.unwrap();
    let index = w.client.status_index().await.unwrap();
    assert_eq!(index.list_size, 4);
    assert!(index.lists.len() >= 2, "{index:?}");
    assert_eq!(lists.len(), index.lists.len());
    assert!(lists.iter().all(|l| l.capacity() == 4));
    let mut held = StatusSet::of(lists);
    for c in &creds {
        let list = held.status_list(c.status.list).unwrap();
        assert_eq!(
            list.get(c.status.index),
            Some(Status::Valid),
            "{:?}",
            c.status
        );
    }
    // A revocation in whichever lists the batch landed in comes through their deltas.
    w.admin(&w.handbook, "revoke", "returned").await;
    w.client.sync_status(&trust, &mut held).await.unwrap();
    for c in &creds {
        let list = held.status_list(c.status.list).unwrap();
        assert_eq!(
            list.get(c.status.index),
            Some(Status::Revoked),
            "{:?}",
            c.status
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sled_lists_grow_with_the_live_entries() {
    lists_grow_with_the_live_entries(StoreConfig::default()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_lists_grow_with_the_live_entries() {
    let url = fresh_db("status_growth").await;
    lists_grow_with_the_live_entries(StoreConfig::parse(&url).unwrap()).await;
}
