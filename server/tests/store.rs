//! The server store suite, run against sled and a live PostgreSQL (`bash scripts/with-postgres`
//! sets TECHO_TEST_PG_URL; without it the PostgreSQL tests fail, they never pass silently), and
//! PostgreSQL under concurrency: two stores on their own connections, as two server processes
//! would be, racing for the same retries, indices and idempotency keys.
#![allow(clippy::unwrap_used)]

mod common;

use common::fresh_db;

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::HashSet;
use techo_core::portal::dto::HandbookRef;
use techo_core::token::Status;
use techo_server::issuer::store::{
    AnyStore, ConsentEntry, IndexReuse, PgStore, Publication, SCHEMA_VERSION, Sealed, ServerStore,
    SessionRecord, SessionState, SledStore, StoreConfig, StoreError,
};

/// The index space the tests allocate in (one list of 2^16).
const SPACE: u32 = 1 << 16;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 3, 0, 0).unwrap()
}

fn session(id: &str, key: &str, state: SessionState) -> SessionRecord {
    SessionRecord {
        consent_until: None,
        id: id.into(),
        idempotency_key: key.into(),
        created_at: t0(),
        handbook: HandbookRef {
            kind: "physical".into(),
            number: "12345".into(),
            municipality_code: "131016".into(),
        },
        photo_sha256_hex: None,
        device_keys: Vec::new(),
        state,
        guardian: None,
        access_token: None,
        renewed_with: None,
        renewed_by: None,
        exchanging_since: None,
    }
}

fn pending(next_try: DateTime<Utc>) -> SessionState {
    SessionState::Pending {
        access_token: Sealed::from_stored("t".into()),
        consent_id: "c".into(),
        reason: "closed".into(),
        next_try,
        attempts: 1,
    }
}

/// Everything a store must do, the same for both backends.
async fn suite(store: &impl ServerStore) {
    // Sessions and idempotency.
    let a = session("s-a", "key-a", SessionState::AwaitingCode);
    assert_eq!(store.create_session(&a).await.unwrap().id, "s-a");
    let retry = session("s-other", "key-a", SessionState::AwaitingCode);
    assert_eq!(
        store.create_session(&retry).await.unwrap().id,
        "s-a",
        "same key, same session"
    );
    assert!(store.session("s-other").await.unwrap().is_none());
    assert!(store.session("nope").await.unwrap().is_none());

    compare_and_swap(store, &a).await;
    pending_retries(store).await;
    consents(store).await;
    status_indices(store).await;
}

/// A write over the session as read succeeds once; a write over a session someone changed
/// meanwhile (a revocation) is refused and changes nothing.
async fn compare_and_swap(store: &impl ServerStore, a: &SessionRecord) {
    let mut linked = a.clone();
    linked.access_token = Some(Sealed::from_stored("token".into()));
    assert!(store.replace_session(a, &linked).await.unwrap());
    assert!(!store.replace_session(a, &linked).await.unwrap(), "stale");
    let mut revoked = linked.clone();
    revoked.state = SessionState::Revoked {
        reason: "returned".into(),
    };
    store.put_session(&revoked).await.unwrap();
    let mut late = linked.clone();
    late.renewed_with = Some("renewal".into());
    assert!(!store.replace_session(&linked, &late).await.unwrap());
    assert_eq!(store.session("s-a").await.unwrap().unwrap(), revoked);
    assert!(
        !store
            .replace_session(&session("gone", "k", SessionState::AwaitingCode), &late)
            .await
            .unwrap(),
        "no such session"
    );
}

/// Pending retries: claimed once, released by a write, reclaimable after the lease.
async fn pending_retries(store: &impl ServerStore) {
    for i in 0..3 {
        let s = session(
            &format!("p-{i}"),
            &format!("pk-{i}"),
            pending(t0() - Duration::minutes(i)),
        );
        store.create_session(&s).await.unwrap();
    }
    let later = session("p-later", "pk-later", pending(t0() + Duration::hours(1)));
    store.create_session(&later).await.unwrap();
    let lease = Duration::minutes(2);
    let first = store.claim_due(t0(), lease, "w1", 10).await.unwrap();
    let mut ids: Vec<_> = first.iter().map(|s| s.id.clone()).collect();
    ids.sort();
    assert_eq!(ids, ["p-0", "p-1", "p-2"]);
    assert!(
        store
            .claim_due(t0(), lease, "w2", 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    let mut done = first[0].clone();
    done.state = SessionState::Failed {
        error: "x".into(),
        message: "y".into(),
    };
    store.put_session(&done).await.unwrap();
    let again = store
        .claim_due(t0() + Duration::minutes(3), lease, "w2", 10)
        .await
        .unwrap();
    assert_eq!(
        again.len(),
        2,
        "the lease ran out for the two not written back"
    );
    assert_eq!(store.sessions().await.unwrap().len(), 5);
}

async fn consents(store: &impl ServerStore) {
    let c = ConsentEntry {
        id: "c-1".into(),
        session_id: "s-a".into(),
        subject: "pairwise".into(),
        scope: "handbooks".into(),
        consented_at: t0(),
        expires_at: t0() + Duration::days(30),
        withdrawn_at: None,
        purged_at: None,
        by_proxy: None,
    };
    store.put_consent(&c).await.unwrap();
    let mut withdrawn = c.clone();
    withdrawn.withdrawn_at = Some(t0());
    store.put_consent(&withdrawn).await.unwrap();
    assert_eq!(store.consent("c-1").await.unwrap(), Some(withdrawn.clone()));
    assert_eq!(store.consents().await.unwrap(), vec![withdrawn.clone()]);

    // Expiry: claimed once when its time comes, not again while leased, claimable again when
    // the lease runs out, and never once it is written back purged.
    let lease = Duration::minutes(2);
    let end = c.expires_at;
    let claim = |at, worker| store.claim_expired_consents(at, lease, worker, 10);
    assert!(
        claim(end - Duration::seconds(1), "w1")
            .await
            .unwrap()
            .is_empty()
    );
    let first = claim(end, "w1").await.unwrap();
    assert_eq!(first, vec![withdrawn.clone()]);
    assert!(claim(end, "w2").await.unwrap().is_empty(), "leased");
    let again = claim(end + Duration::minutes(3), "w2").await.unwrap();
    assert_eq!(again.len(), 1, "a crashed worker's lease runs out");
    let mut purged = withdrawn;
    purged.purged_at = Some(end);
    store.put_consent(&purged).await.unwrap();
    assert!(
        claim(end + Duration::days(1), "w3")
            .await
            .unwrap()
            .is_empty(),
        "purged"
    );
    assert_eq!(store.consent("c-1").await.unwrap(), Some(purged));
}

/// Status indices: distinct, recorded per holder, statuses kept.
async fn status_indices(store: &impl ServerStore) {
    let mine = store
        .allocate_indices("holder-1", 8, t0(), SPACE)
        .await
        .unwrap();
    let theirs = store
        .allocate_indices("holder-2", 8, t0(), SPACE)
        .await
        .unwrap();
    let all: HashSet<u32> = mine.iter().chain(&theirs).copied().collect();
    assert_eq!(all.len(), 16);
    assert!(all.iter().all(|i| *i < SPACE));
    assert_eq!(store.indices_in_use().await.unwrap(), 16);
    assert_eq!(
        store.holder_of(mine[0]).await.unwrap().as_deref(),
        Some("holder-1")
    );
    assert_eq!(
        store
            .set_status("holder-1", Status::Revoked, t0())
            .await
            .unwrap(),
        8
    );
    assert_eq!(
        store
            .set_status("nobody", Status::Revoked, t0())
            .await
            .unwrap(),
        0
    );
    let entries = store.status_entries().await.unwrap();
    assert_eq!(entries.len(), 8);
    assert!(
        entries
            .iter()
            .all(|(i, s)| mine.contains(i) && *s == Status::Revoked)
    );
    store
        .set_status("holder-1", Status::Valid, t0())
        .await
        .unwrap();
    assert!(store.status_entries().await.unwrap().is_empty());
}

/// Index reuse: an index returns to the pool only after the kept period from when it was
/// handed out; one still revoked is first set valid and returns only after the quiet period, so
/// no list a verifier may hold shows the next holder's credential revoked.
async fn index_reuse(store: &impl ServerStore) {
    let reuse = IndexReuse {
        kept_for: Duration::days(24),
        quiet_for: Duration::days(2),
    };
    let early = store
        .allocate_indices("early", 6, t0(), SPACE)
        .await
        .unwrap();
    let later = store
        .allocate_indices("later", 6, t0() + Duration::days(10), SPACE)
        .await
        .unwrap();
    store
        .set_status("early", Status::Revoked, t0())
        .await
        .unwrap();
    let release = |days: f64| {
        #[allow(clippy::cast_possible_truncation)]
        let at = t0() + Duration::minutes((days * 1440.0) as i64);
        store.release_indices(at, reuse)
    };
    // A day before the early ones' period ends: nothing changes.
    assert_eq!(release(23.0).await.unwrap(), 0);
    assert_eq!(store.status_entries().await.unwrap().len(), 6);
    // After it: the early six, still revoked, are set valid but stay held.
    assert_eq!(release(25.0).await.unwrap(), 0);
    assert!(store.status_entries().await.unwrap().is_empty());
    assert_eq!(store.indices_in_use().await.unwrap(), 12);
    assert_eq!(release(26.0).await.unwrap(), 0, "still in their quiet days");
    // Valid for longer than the quiet period: back to the pool. The later six stay.
    assert_eq!(release(27.5).await.unwrap(), 6);
    assert_eq!(store.indices_in_use().await.unwrap(), 6);
    for i in &early {
        assert_eq!(store.holder_of(*i).await.unwrap(), None);
    }
    for i in &later {
        assert_eq!(store.holder_of(*i).await.unwrap().as_deref(), Some("later"));
    }
    // The later six were never revoked: they go as soon as their kept period ends.
    assert_eq!(release(35.0).await.unwrap(), 6);
    assert_eq!(store.indices_in_use().await.unwrap(), 0);
}

/// Published versions: stored once each (a second writer of a version loses), only the newest
/// keeps its entries, versions after one are read in order, old ones trimmed but never the
/// newest.
async fn publications(store: &impl ServerStore) {
    let version = |list: u32, version: u64, hours: i64| Publication {
        list,
        version,
        issued_at: t0() + Duration::hours(hours),
        undo: vec![u8::try_from(version).unwrap()],
        entries: Some(vec![9, 9]),
    };
    assert_eq!(store.newest_publication(1).await.unwrap(), None);
    for v in 1..=4 {
        assert!(
            store
                .publish(&version(1, v, i64::try_from(v).unwrap() * 24))
                .await
                .unwrap()
        );
    }
    assert!(store.publish(&version(2, 1, 0)).await.unwrap());
    assert!(
        !store.publish(&version(1, 4, 200)).await.unwrap(),
        "version 4 exists: the second writer loses"
    );
    let newest = store.newest_publication(1).await.unwrap().unwrap();
    assert_eq!(newest, version(1, 4, 96));
    let after = store.publications_after(1, 1).await.unwrap();
    assert_eq!(
        after.iter().map(|p| p.version).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert!(
        after[..2].iter().all(|p| p.entries.is_none()),
        "only the newest keeps entries"
    );
    assert_eq!(
        store.list_heads().await.unwrap(),
        vec![(1, 4, t0() + Duration::hours(96)), (2, 1, t0())]
    );
    // Everything before day 3 goes, except list 2's only (newest) version.
    assert_eq!(
        store
            .trim_publications(t0() + Duration::hours(72))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .publications_after(1, 0)
            .await
            .unwrap()
            .iter()
            .map(|p| p.version)
            .collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!(
        store.newest_publication(2).await.unwrap(),
        Some(version(2, 1, 0))
    );
}

#[tokio::test]
async fn sled_keeps_each_published_version_once() {
    let dir = tempfile::tempdir().unwrap();
    publications(&SledStore::open(&dir.path().join("store")).unwrap()).await;
}

#[tokio::test]
async fn postgres_keeps_each_published_version_once() {
    publications(
        &PgStore::connect(&fresh_db("publications").await)
            .await
            .unwrap(),
    )
    .await;
}

#[tokio::test]
async fn sled_reuses_indices_only_after_their_period() {
    let dir = tempfile::tempdir().unwrap();
    index_reuse(&SledStore::open(&dir.path().join("store")).unwrap()).await;
}

#[tokio::test]
async fn postgres_reuses_indices_only_after_their_period() {
    index_reuse(&PgStore::connect(&fresh_db("reuse").await).await.unwrap()).await;
}

#[tokio::test]
async fn sled_passes_the_store_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::open(&StoreConfig::Sled, dir.path())
        .await
        .unwrap();
    suite(&store).await;
    // The same data after reopening.
    drop(store);
    let store = SledStore::open(&dir.path().join("store")).unwrap();
    assert_eq!(store.indices_in_use().await.unwrap(), 16);
}

#[tokio::test]
async fn postgres_passes_the_store_suite() {
    let url = fresh_db("suite").await;
    let store = AnyStore::open(
        &StoreConfig::parse(&url).unwrap(),
        std::path::Path::new("."),
    )
    .await
    .unwrap();
    suite(&store).await;
    // Reconnecting migrates nothing again and finds the data.
    drop(store);
    let store = PgStore::connect(&url).await.unwrap();
    assert_eq!(store.indices_in_use().await.unwrap(), 16);
}

#[tokio::test]
async fn two_servers_on_one_database_never_share_a_retry_an_index_or_a_key() {
    let url = fresh_db("concurrency").await;
    // Two stores, each with its own connection: what two server processes have.
    let (a, b) = tokio::join!(PgStore::connect(&url), PgStore::connect(&url));
    let (a, b) = (
        std::sync::Arc::new(a.unwrap()),
        std::sync::Arc::new(b.unwrap()),
    );

    // 200 due requests, claimed by both at once in small batches until none are left.
    for i in 0..200 {
        let s = session(&format!("p-{i}"), &format!("k-{i}"), pending(t0()));
        a.create_session(&s).await.unwrap();
    }
    let claim_all = |store: std::sync::Arc<PgStore>, worker: &'static str| async move {
        let mut got = Vec::new();
        loop {
            let batch = store
                .claim_due(t0(), Duration::minutes(2), worker, 7)
                .await
                .unwrap();
            if batch.is_empty() {
                return got;
            }
            got.extend(batch.into_iter().map(|s| s.id));
        }
    };
    let (ga, gb) = tokio::join!(claim_all(a.clone(), "a"), claim_all(b.clone(), "b"));
    let both: HashSet<&String> = ga.iter().chain(&gb).collect();
    assert_eq!(
        ga.len() + gb.len(),
        200,
        "every request claimed once: {} + {}",
        ga.len(),
        gb.len()
    );
    assert_eq!(both.len(), 200);
    assert!(!ga.is_empty() && !gb.is_empty(), "both workers took part");

    // 2 × 40 holders × 8 indices allocated at once: 640 distinct indices.
    let allocate = |store: std::sync::Arc<PgStore>, side: &'static str| async move {
        let mut got = Vec::new();
        for h in 0..40 {
            got.extend(
                store
                    .allocate_indices(&format!("{side}-{h}"), 8, t0(), SPACE)
                    .await
                    .unwrap(),
            );
        }
        got
    };
    let (ia, ib) = tokio::join!(allocate(a.clone(), "a"), allocate(b.clone(), "b"));
    let distinct: HashSet<u32> = ia.iter().chain(&ib).copied().collect();
    assert_eq!(distinct.len(), 640);
    assert_eq!(a.indices_in_use().await.unwrap(), 640);

    // A month on, one process frees those 640 while both hand out 640 more: the new ones are
    // all distinct and all held, whichever old index they reuse.
    let month = t0() + Duration::days(30);
    let allocate_later = |store: std::sync::Arc<PgStore>, side: &'static str| async move {
        let mut got = Vec::new();
        for h in 0..40 {
            got.extend(
                store
                    .allocate_indices(&format!("{side}-later-{h}"), 8, month, SPACE)
                    .await
                    .unwrap(),
            );
        }
        got
    };
    let (la, lb, freed) = tokio::join!(
        allocate_later(a.clone(), "a"),
        allocate_later(b.clone(), "b"),
        a.release_indices(
            month,
            IndexReuse {
                kept_for: Duration::days(24),
                quiet_for: Duration::days(2),
            }
        )
    );
    assert_eq!(freed.unwrap(), 640);
    let fresh: HashSet<u32> = la.iter().chain(&lb).copied().collect();
    assert_eq!(fresh.len(), 640);
    assert_eq!(a.indices_in_use().await.unwrap(), 640);
    for i in la.iter().chain(&lb) {
        assert!(a.holder_of(*i).await.unwrap().unwrap().contains("-later-"));
    }

    // The same idempotency key sent to both servers at once: one session.
    for round in 0..20 {
        let key = format!("same-{round}");
        let sx = session(&format!("x-{round}"), &key, SessionState::AwaitingCode);
        let sy = session(&format!("y-{round}"), &key, SessionState::AwaitingCode);
        let (x, y) = tokio::join!(a.create_session(&sx), b.create_session(&sy));
        assert_eq!(x.unwrap().id, y.unwrap().id, "round {round}");
    }
}

#[tokio::test]
async fn a_newer_schema_an_absent_database_and_a_remote_host_are_clear_errors() {
    let url = fresh_db("newer").await;
    let store = PgStore::connect(&url).await.unwrap();
    drop(store);
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute("INSERT INTO schema_migrations (version) VALUES (99)")
        .await
        .unwrap();
    let err = PgStore::connect(&url).await.unwrap_err();
    assert_eq!(
        err,
        StoreError::SchemaTooNew {
            found: 99,
            supported: SCHEMA_VERSION
        }
    );
    assert!(err.to_string().contains("newer than this server"));

    // Nothing listening: named, without the password.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = PgStore::connect(&format!("postgres://techo:secret@127.0.0.1:{port}/techo"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    assert!(!err.to_string().contains("secret"), "{err}");
    assert!(err.to_string().contains(&port.to_string()), "{err}");

    // A remote database without TLS is refused before any connection is tried.
    let err = PgStore::connect("postgres://techo@db.example:5432/techo?sslmode=disable")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("verify-full"), "{err}");
    assert!(matches!(
        StoreConfig::parse("mysql://x"),
        Err(StoreError::Config(_))
    ));
}
