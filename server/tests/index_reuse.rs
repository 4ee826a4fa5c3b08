//! Status indices at scale (issue 32, first step): an index goes back to the pool only once no
//! credential that used it can verify any more, and comes back valid for its next holder.
#![allow(clippy::unwrap_used)]

mod common;

use common::world;
use techo_core::Clock;
use techo_core::token::Status;
use techo_server::issuer::ServerState;
use techo_server::issuer::store::ServerStore;

const DAYTIME: &str = "2026-11-25T03:00:00Z";

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_index_is_reused_only_after_its_credentials_expired() {
    let w = world(DAYTIME).await;
    w.link("yamada", "1234").await.unwrap();
    let held = w.wallet.credentials(&w.handbook).unwrap();
    w.admin(&w.handbook, "revoke", "returned").await;
    // A credential pair (counter and full) shares one index.
    let indices: std::collections::BTreeSet<u32> = held.iter().map(|c| c.status.index).collect();
    let revoked = |status: &techo_core::token::StatusList| {
        indices
            .iter()
            .filter(|i| status.get(**i) == Some(Status::Revoked))
            .count()
    };
    let (_, lists) = w.client.verifier_lists().await.unwrap();
    assert_eq!(revoked(&lists[0]), indices.len());

    // The last day any of them verifies, and the day after: still held, still revoked.
    let last = held.iter().map(|c| c.not_after).max().unwrap();
    let kept = chrono::Duration::days(ServerState::INDEX_KEPT_DAYS);
    w.clock.advance(kept - chrono::Duration::hours(1));
    assert!(
        w.clock.today_jst() > last,
        "every credential expired before release"
    );
    assert_eq!(w.server.state.release_expired_indices().await, 0);
    let (_, lists) = w.client.verifier_lists().await.unwrap();
    assert_eq!(revoked(&lists[0]), indices.len());

    // The kept period over: the indices are free, valid for whoever gets them next.
    w.clock.advance(chrono::Duration::hours(2));
    assert_eq!(
        w.server.state.release_expired_indices().await,
        indices.len()
    );
    for c in &held {
        assert_eq!(
            w.server
                .state
                .store
                .holder_of(c.status.index)
                .await
                .unwrap(),
            None
        );
    }
    let (_, lists) = w.client.verifier_lists().await.unwrap();
    assert_eq!(revoked(&lists[0]), 0);
}
