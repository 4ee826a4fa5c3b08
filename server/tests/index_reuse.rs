//! Status indices at scale (issue 32): an index goes back to the pool only once no credential
//! that used it can verify any more and every list a verifier may hold shows it valid, so it
//! comes back valid for its next holder.
#![allow(clippy::unwrap_used)]

mod common;

use common::world;
use techo_core::Clock;
use techo_core::token::Status;
use techo_server::issuer::ServerState;
use techo_server::issuer::store::ServerStore;

const DAYTIME: &str = "2026-11-25T03:00:00Z";

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_index_is_reused_only_after_its_credentials_expired_and_it_shows_valid() {
    let w = world(DAYTIME).await;
    w.link("yamada", "1234").await.unwrap();
    let held = w.wallet.credentials(&w.handbook).unwrap();
    w.admin(&w.handbook, "revoke", "returned").await;
    // A credential pair (counter and full) shares one index.
    let indices: std::collections::BTreeSet<u32> = held.iter().map(|c| c.status.index).collect();
    assert!(held.iter().all(|c| c.status.list == 1));
    let revoked = |status: &techo_core::token::StatusList| {
        indices
            .iter()
            .filter(|i| status.get(**i) == Some(Status::Revoked))
            .count()
    };
    let (_, lists) = w.client.verifier_lists().await.unwrap();
    assert_eq!(revoked(&lists[0]), indices.len());
    let state = &w.server.state;
    let held_by_someone = || async {
        let mut n = 0;
        for c in &held {
            n += usize::from(
                state
                    .store
                    .holder_of(c.status.index)
                    .await
                    .unwrap()
                    .is_some(),
            );
        }
        n
    };

    // The last day any of them verifies, and the day after: still held, still revoked.
    let last = held.iter().map(|c| c.not_after).max().unwrap();
    let kept = chrono::Duration::days(ServerState::INDEX_KEPT_DAYS);
    w.clock.advance(kept - chrono::Duration::hours(1));
    assert!(
        w.clock.today_jst() > last,
        "every credential expired before release"
    );
    state.status_pass().await;
    let (_, lists) = w.client.verifier_lists().await.unwrap();
    assert_eq!(revoked(&lists[0]), indices.len());

    // The kept period over: set valid and published so, but not yet handed out again. A
    // verifier holding the revoked entries learns it from a delta (released by rank).
    let (trust, lists) = w.client.verifier_lists().await.unwrap();
    let mut gate = techo_core::token::StatusSet::of(lists);
    w.clock.advance(chrono::Duration::hours(2));
    assert_eq!(state.release_expired_indices().await, 0);
    state.publish_status_lists().await.unwrap();
    let (_, lists) = w.client.verifier_lists().await.unwrap();
    assert_eq!(revoked(&lists[0]), 0);
    let sync = w.client.sync_status(&trust, &mut gate).await.unwrap();
    assert!(
        matches!(
            sync.lists[..],
            [(1, _, techo_core::portal::ListSync::Delta { .. })]
        ),
        "{sync:?}"
    );
    assert_eq!(gate.into_vec(), lists);
    assert_eq!(held_by_someone().await, held.len());

    // Valid for longer than any verifier keeps a list: back in the pool.
    w.clock
        .advance(state.index_quiet_for() - chrono::Duration::minutes(1));
    assert_eq!(state.release_expired_indices().await, 0);
    w.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(state.release_expired_indices().await, indices.len());
    assert_eq!(held_by_someone().await, 0);
}
