//! Two techo-server instances on one PostgreSQL database (`bash scripts/with-postgres`), each
//! with its own connection, retry leases and process-local state, as two processes behind a
//! load balancer would be: a linkage started on one is pending, both run their retry scheduler
//! at once and the request runs once; the other serves the result, the status list and a
//! revocation made on the first.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ADMIN, fresh_db, world_on};
use std::collections::HashSet;
use techo_core::model::LinkageState;
use techo_core::portal::dto::AdminAction;
use techo_core::token::{ClaimId, Policy, VerifyError, verify};
use techo_server::issuer::store::StoreConfig;
use techo_server::portal::hours::HoursMode;

const LATE_EVENING: &str = "2026-11-25T13:30:00Z";
const NEXT_MORNING: &str = "2026-11-25T23:00:05Z";

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_share_one_database_and_run_each_retry_once() {
    let (w, b, client_b) = common::two_servers(LATE_EVENING, "two_servers").await;

    // Started on A while the municipal servers are closed: pending.
    w.link_while_closed().await;

    // Morning: both schedulers run at the same moment; the request runs once.
    w.advance_to(NEXT_MORNING);
    let (ra, rb) = tokio::join!(w.server.state.retry_due(), b.state.retry_due());
    assert_eq!(ra + rb, 1, "A ran {ra}, B ran {rb}");
    assert_eq!(
        (w.server.state.retry_due().await, b.state.retry_due().await),
        (0, 0)
    );

    // B answers the app's poll from the shared database: linked, one batch of credentials.
    let state = w
        .wallet
        .refresh_linkage(&client_b, &w.handbook)
        .await
        .unwrap();
    assert!(matches!(state, LinkageState::Linked { .. }), "{state:?}");
    let sessions = b.state.sessions().await;
    assert_eq!(sessions.len(), 1);

    // A presentation verifies with B's lists (same issuer keys, the status list from the
    // database), and a revocation made through A shows in B's status list.
    let (_, payload) = w
        .wallet
        .present(Some(&w.handbook), &ClaimId::COUNTER, None)
        .unwrap();
    let now = w.clock.now_utc();
    let (trust, status) = client_b.verifier_lists().await.unwrap();
    verify(&payload.binary(), &trust, &status, now, &Policy::default()).unwrap();
    w.client
        .admin(
            ADMIN,
            &AdminAction {
                session_id: sessions[0].id.clone(),
                action: "revoke".into(),
                reason: "returned".into(),
            },
        )
        .await
        .unwrap();
    let (trust, status) = client_b.verifier_lists().await.unwrap();
    assert_eq!(
        verify(&payload.binary(), &trust, &status, now, &Policy::default()).unwrap_err(),
        VerifyError::Revoked
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn indices_issued_through_both_servers_are_all_distinct() {
    use techo_server::issuer::store::{PgStore, ServerStore};
    let url = fresh_db("indices_both").await;
    let w = world_on(LATE_EVENING, StoreConfig::parse(&url).unwrap()).await;
    // A linkage through A, then the store both servers share holds exactly its indices.
    w.portal
        .state
        .update_knobs(|k| k.mode = HoursMode::AlwaysOpen);
    let state = w.link("yamada", "1234").await.unwrap();
    assert!(matches!(state, LinkageState::Linked { .. }), "{state:?}");
    let store = PgStore::connect(&url).await.unwrap();
    assert_eq!(
        store.indices_in_use().await.unwrap(),
        4,
        "one index per device key"
    );
    let held = w.wallet.credentials(&w.handbook).unwrap();
    let indices: HashSet<u32> = held.iter().map(|c| c.status.index).collect();
    assert_eq!(indices.len(), 4);
    for i in indices {
        assert!(store.holder_of(i).await.unwrap().is_some());
    }
}

trait Now {
    fn now_utc(&self) -> chrono::DateTime<chrono::Utc>;
}

impl Now for std::sync::Arc<techo_core::FixedClock> {
    fn now_utc(&self) -> chrono::DateTime<chrono::Utc> {
        techo_core::Clock::now(self.as_ref())
    }
}
