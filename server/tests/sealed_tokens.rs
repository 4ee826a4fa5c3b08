//! The portal access tokens that let a linkage be renewed without the card are kept sealed
//! (AES-256-GCM under a data key the key source wraps): in no file of the sled store and in no
//! PostgreSQL row in clear; a server started again opens them and renews; a record from before
//! sealing still renews and is sealed by it; a token moved into another record does not open,
//! and the holder is told to link again with nothing changed.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::{World, fresh_db, world_on};
use techo_core::wallet::Renewal;
use techo_server::issuer::store::{Sealed, ServerStore, SessionRecord, StoreConfig};

const DAYTIME: &str = "2026-11-25T03:00:00Z";

/// The linked session and the portal token it keeps, opened.
async fn session_and_token(w: &World) -> (SessionRecord, String) {
    let s = w.server.state.sessions().await.pop().unwrap();
    let sealed = s.access_token.clone().unwrap();
    assert!(sealed.is_sealed(), "{sealed:?}");
    let token = w.server.state.keys.sealer().open(&sealed, &s.id).unwrap();
    assert!(token.len() >= 16, "a real portal token");
    assert!(!sealed.stored_text().contains(&token));
    (s, token)
}

async fn renew(w: &World) -> Renewal {
    w.clock.advance(Duration::days(15));
    w.wallet.renew(&w.client, &w.handbook).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_file_of_the_sled_store_holds_the_token_and_a_restart_still_renews() {
    let mut w = world_on(DAYTIME, StoreConfig::default()).await;
    w.link("yamada", "1234").await.unwrap();
    let (session, token) = session_and_token(&w).await;
    // Started again (sled flushed and closed): the data key is unwrapped from the key folder.
    w.restart_server(StoreConfig::default()).await;
    let folder = w.dir.path().join("server");
    let found = common::files_containing(&folder, token.as_bytes());
    assert!(
        found.is_empty(),
        "the portal token is in clear in {found:?}"
    );
    // The same scan does find what is kept in clear: the session's id.
    assert!(!common::files_containing(&folder, session.id.as_bytes()).is_empty());
    assert!(matches!(renew(&w).await, Renewal::Renewed { .. }));
    // The renewed record keeps the token sealed again, under a fresh nonce.
    let (_, again) = session_and_token(&w).await;
    assert_eq!(again, token);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_postgresql_row_holds_the_token() {
    let db = fresh_db("sealed_tokens").await;
    let w = world_on(DAYTIME, StoreConfig::parse(&db).unwrap()).await;
    w.link("yamada", "1234").await.unwrap();
    let (_, token) = session_and_token(&w).await;
    let (client, conn) = tokio_postgres::connect(&db, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    // Every text and JSON column of every table, as text.
    let tables = client
        .query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
            &[],
        )
        .await
        .unwrap();
    assert!(tables.len() > 5);
    for t in tables {
        let name: String = t.get(0);
        let sql = format!("SELECT count(*) FROM \"{name}\" AS r WHERE strpos(r::text, $1) > 0");
        let n: i64 = client.query_one(&sql, &[&token]).await.unwrap().get(0);
        assert_eq!(n, 0, "the portal token is in clear in {name}");
    }
    let n: i64 = client
        .query_one(
            "SELECT count(*) FROM sessions WHERE data->>'access_token' LIKE 'sealed1:%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_from_before_sealing_renews_and_is_sealed_by_it() {
    let w = world_on(DAYTIME, StoreConfig::default()).await;
    w.link("yamada", "1234").await.unwrap();
    let (stored, token) = session_and_token(&w).await;
    let mut before_sealing = stored.clone();
    before_sealing.access_token = Some(Sealed::from_stored(token.clone()));
    let store = &w.server.state.store;
    assert!(
        store
            .replace_session(&stored, &before_sealing)
            .await
            .unwrap()
    );
    assert!(matches!(renew(&w).await, Renewal::Renewed { .. }));
    let (_, again) = session_and_token(&w).await;
    assert_eq!(again, token);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_moved_from_another_record_does_not_open_and_nothing_changes() {
    let w = world_on(DAYTIME, StoreConfig::default()).await;
    w.link("yamada", "1234").await.unwrap();
    let (stored, token) = session_and_token(&w).await;
    // The same token sealed for another session, copied into this record.
    let moved = w
        .server
        .state
        .keys
        .sealer()
        .seal(&token, "another-session")
        .unwrap();
    let mut tampered = stored.clone();
    tampered.access_token = Some(moved);
    let store = &w.server.state.store;
    assert!(store.replace_session(&stored, &tampered).await.unwrap());
    let answer = renew(&w).await;
    assert!(
        matches!(&answer, Renewal::NeedsCard { reason } if reason.contains("link")),
        "{answer:?}"
    );
    // The record is as it was: no batch issued, nothing revoked.
    let now = w.server.state.sessions().await.pop().unwrap();
    assert_eq!(now, tampered);
}
