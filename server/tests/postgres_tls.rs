//! TLS to PostgreSQL (issue 30): with `sslmode=verify-full` the server's certificate is verified
//! against `sslrootcert`, and PostgreSQL itself reports the connection encrypted; a certificate
//! from another CA is refused with the reason; plain TCP stays allowed on loopback only.
#![allow(clippy::unwrap_used)]

mod common;

use common::fresh_db;
use techo_server::issuer::store::{PgStore, ServerStore, StoreError};

fn test_ca() -> String {
    std::env::var("TECHO_TEST_PG_CA").unwrap_or_else(|_| {
        panic!(
            "this test needs the TLS PostgreSQL of `bash scripts/with-postgres` (TECHO_TEST_PG_CA)"
        )
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_speaks_verified_tls_to_postgres() {
    let url = fresh_db("tls_store").await;
    let tls = format!("{url}?sslmode=verify-full&sslrootcert={}", test_ca());
    let store = PgStore::connect(&tls).await.unwrap();
    assert!(
        store.uses_tls().await.unwrap(),
        "PostgreSQL sees an encrypted connection"
    );
    // The store works over it (migrations ran; a read answers).
    assert!(store.sessions().await.unwrap().is_empty());
    // Loopback without TLS is still allowed, and is plain.
    let plain = PgStore::connect(&url).await.unwrap();
    assert!(!plain.uses_tls().await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_from_another_ca_is_refused() {
    let url = fresh_db("tls_stranger").await;
    let stranger = rcgen::CertificateParams::new(Vec::<String>::new())
        .unwrap()
        .self_signed(&rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("other-ca.pem");
    std::fs::write(&ca, stranger.pem()).unwrap();
    let err = PgStore::connect(&format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        ca.display()
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
}
