//! What an outside tester did to one linkage session (hardening round 2, item 7): two valid
//! codes at once, an idempotency key reused for another request, the code limit dodged by
//! percent-encoding the session id, and a server killed between issuing and storing.
#![allow(clippy::unwrap_used)]

mod common;

use common::hand::{code_from_portal, consented_by_hand, dto};
use common::{World, world_configured};
use techo_core::Clock;
use techo_core::portal::ClientError;
use techo_core::portal::dto::{HandbookRef, LinkageStatus, StartLinkage};
use techo_core::token::{SoftwareKey, Status};
use techo_server::issuer::store::{ServerStore, SessionState, StoreConfig};

const DAYTIME: &str = "2026-11-25T03:00:00Z";

async fn generous() -> World {
    generous_on(StoreConfig::default()).await
}

async fn generous_on(store: StoreConfig) -> World {
    world_configured(DAYTIME, store, None, |c| {
        c.linkage_rate = (10_000, 10_000);
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn two_codes_at_once_make_one_consent_and_one_batch_on_sled() {
    two_codes_at_once(&generous().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_codes_at_once_make_one_consent_and_one_batch_on_postgres() {
    let store = StoreConfig::parse(&common::fresh_db("two_codes").await).unwrap();
    two_codes_at_once(&generous_on(store).await).await;
}

async fn two_codes_at_once(w: &World) {
    // The portal takes a while, as the real one does, so the two requests overlap.
    w.portal
        .state
        .update_knobs(|k| k.latency = std::time::Duration::from_millis(40));
    for _ in 0..5 {
        let (started, first) = consented_by_hand(w).await;
        let second = code_from_portal(w, &started.portal_url).await;
        let id = &started.session_id;
        let (a, b) = tokio::join!(
            w.client.submit_code(id, &first),
            w.client.submit_code(id, &second)
        );
        let batches: Vec<Vec<u32>> = [a, b]
            .into_iter()
            .filter_map(|answer| match answer {
                Ok(LinkageStatus::Linked { credentials, .. }) => {
                    Some(credentials.iter().map(|c| c.status.index).collect())
                }
                Err(ClientError::Refused { error, .. }) => {
                    assert_eq!(error, "code_in_progress");
                    None
                }
                other => panic!("unexpected answer {other:?}"),
            })
            .collect();
        assert!(!batches.is_empty());
        assert!(
            batches.windows(2).all(|p| p[0] == p[1]),
            "one batch: {batches:?}"
        );
        let consents = w.server.state.store.consents().await.unwrap();
        assert_eq!(
            consents.iter().filter(|c| &c.session_id == id).count(),
            1,
            "one consent for one session"
        );
    }
}

fn start(key: &str, number: &str) -> StartLinkage {
    StartLinkage {
        idempotency_key: key.into(),
        handbook: HandbookRef {
            kind: "physical".into(),
            number: number.into(),
            municipality_code: "131016".into(),
        },
        photo_sha256_hex: None,
        device_keys: dto(&[SoftwareKey::generate()]),
        guardian: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotency_key_reused_for_another_request_is_a_conflict() {
    let w = generous().await;
    let first = start("same-key", "第12345号");
    let a = w.client.start(&first).await.unwrap();
    // The same request again (a retry): the same session.
    let again = w.client.start(&first).await.unwrap();
    assert_eq!(again.session_id, a.session_id);
    // Another handbook, or other device keys, under the same key: refused, not the first session.
    for other in [
        start("same-key", "第99999号"),
        start("same-key", "第12345号"),
    ] {
        match w.client.start(&other).await {
            Err(ClientError::Refused { status, error, .. }) => {
                assert_eq!((status, error.as_str()), (409, "idempotency_conflict"));
            }
            answer => panic!("expected a conflict, got {answer:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn percent_encoding_the_session_id_does_not_dodge_the_code_limit() {
    let w = world_configured(DAYTIME, StoreConfig::default(), None, |_| {}).await;
    let (started, _) = consented_by_hand(&w).await;
    let id = &started.session_id;
    let http = common::https(&w.pki.ca_pem);
    let send = |path: String| {
        let http = http.clone();
        let url = format!("{}/v1/linkage-sessions/{path}/code", w.server.url());
        async move {
            http.post(url)
                .json(&serde_json::json!({ "code": "000000" }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Five codes at once is the limit for one session...
    for _ in 0..5 {
        assert_ne!(send(id.clone()).await, 429);
    }
    // ...whether the id is written plainly or with one character percent-encoded.
    let encoded = format!("%{:02X}{}", id.as_bytes()[0], &id[1..]);
    assert_eq!(send(encoded).await, 429);
    let all_encoded: String = id
        .bytes()
        .flat_map(|b| format!("%{b:02x}").into_bytes())
        .map(char::from)
        .collect();
    assert_eq!(send(all_encoded).await, 429);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exchange_a_crash_interrupted_ends_failed_and_revokes_what_it_issued() {
    let w = generous().await;
    let (started, _) = consented_by_hand(&w).await;
    let id = &started.session_id;
    let store = &w.server.state.store;
    // What a kill -9 leaves: the session claimed for its exchange, indices allocated for a
    // batch that was signed but never stored or delivered.
    let mut s = store.session(id).await.unwrap().unwrap();
    s.exchanging_since = Some(w.clock.now());
    store.put_session(&s).await.unwrap();
    let indices = store
        .allocate_indices(id, 2, w.clock.now(), 1 << 16)
        .await
        .unwrap();
    // While the claim is young, nothing is ended (the exchange may still be running).
    assert_eq!(w.server.state.fail_interrupted_exchanges().await, 0);
    w.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(w.server.state.fail_interrupted_exchanges().await, 1);
    let s = store.session(id).await.unwrap().unwrap();
    assert!(
        matches!(&s.state, SessionState::Failed { error, .. } if error == "interrupted"),
        "{:?}",
        s.state
    );
    let (_, status) = w.client.verifier_lists().await.unwrap();
    for i in indices {
        assert_eq!(status[0].get(i), Some(Status::Revoked));
    }
    // The app asking about it is told to link again.
    assert!(matches!(
        w.client.status(id).await.unwrap(),
        LinkageStatus::Failed { .. }
    ));
}
