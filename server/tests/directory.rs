//! The operator directory: published signed, synced incrementally (changed and removed
//! operators), 304 when current, a tampered update refused, a gap healed by a full fetch.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ADMIN, World, repo, world};
use techo_core::directory::{Directory, DirectoryError, DirectoryUpdate, PlaceQuery, Synced, sync};
use techo_core::policy::{Decision, Trip};
use techo_core::token::TrustList;

const DAYTIME: &str = "2026-11-25T03:00:00Z";

fn policy(name: &str) -> String {
    std::fs::read_to_string(repo(&format!("fixtures/policies/{name}.toml"))).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_applies_changes_and_removals_and_refuses_tampering() {
    let w = world(DAYTIME).await;
    let st = &w.server.state;
    for name in ["rail-jr-style", "city-bus-linked-only", "museum-all-kinds"] {
        st.publish_operator(&policy(name)).await.unwrap();
    }
    let (trust, _) = w.client.verifier_lists().await.unwrap();
    let mut dir = Directory::default();
    assert_eq!(
        sync(&w.client, &trust, &mut dir).await.unwrap(),
        Synced::Full { operators: 3 }
    );
    assert_eq!(
        sync(&w.client, &trust, &mut dir).await.unwrap(),
        Synced::Unchanged
    );

    // The museum changes its discount, the bus withdraws, a ferry joins.
    w.clock.advance(chrono::Duration::seconds(5));
    let cheaper = policy("museum-all-kinds").replace("観覧料無料", "観覧料半額");
    st.publish_operator(&cheaper).await.unwrap();
    assert!(st.remove_operator("example-city-bus").await.is_ok());
    st.publish_operator(&policy("ferry-no-mental"))
        .await
        .unwrap();
    let before = dir.version;
    assert_eq!(
        sync(&w.client, &trust, &mut dir).await.unwrap(),
        Synced::Changes {
            changed: 2,
            removed: 1
        }
    );
    assert!(dir.version > before);
    assert!(!dir.entries.contains_key("example-city-bus"));
    assert!(
        dir.entries["example-museum"]
            .policy_toml
            .contains("観覧料半額")
    );
    assert_eq!(dir.entries.len(), 3);

    // Where can this handbook be used in Tokyo, and what does the holder get?
    let hb = w.wallet.get(&w.handbook).unwrap();
    let trip = Trip {
        date: w.wallet.today(),
        distance_km: None,
        with_caregiver: None,
    };
    let places = dir.places(
        &PlaceQuery {
            area: Some("東京都"),
            handbook: Some(&hb),
            ..PlaceQuery::default()
        },
        &trip,
    );
    let ids: Vec<&str> = places.iter().map(|p| p.policy.id.as_str()).collect();
    assert_eq!(
        ids,
        ["example-museum", "example-rail"],
        "Tokyo first, nationwide after; no ferry"
    );
    assert!(
        places
            .iter()
            .all(|p| p.verdict.as_ref().unwrap().decision != Decision::NotAccepted)
    );
    let rail = dir.places(
        &PlaceQuery {
            category: Some("rail"),
            ..PlaceQuery::default()
        },
        &trip,
    );
    assert_eq!(rail.len(), 1);

    let bytes = tampering_is_refused(&w, &trust, &dir).await;

    // An app whose copy is from before the server's log (or was lost) gets the whole directory.
    let mut stale = Directory {
        version: 1,
        ..Directory::default()
    };
    assert_eq!(
        sync(&w.client, &trust, &mut stale).await.unwrap(),
        Synced::Full { operators: 3 }
    );
    // An older directory never replaces a newer one.
    let old = DirectoryUpdate::open(&bytes, &trust).unwrap();
    let mut ahead = Directory {
        version: old.version + 10,
        ..Directory::default()
    };
    assert!(matches!(
        old.apply(&mut ahead),
        Err(DirectoryError::Rollback { .. })
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_are_published_only_with_the_admin_token_and_a_valid_policy() {
    let w = world(DAYTIME).await;
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(techo_core::portal::client::client_tls(&w.pki.ca_pem).unwrap())
        .build()
        .unwrap();
    let url = format!("{}/v1/admin/directory/example-rail", w.server.url());
    let no_token = http
        .put(&url)
        .body(policy("rail-jr-style"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    let bad = http
        .put(&url)
        .bearer_auth(ADMIN)
        .body("[operator]\nid = 1\n")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let wrong_id = http
        .put(format!("{}/v1/admin/directory/other", w.server.url()))
        .bearer_auth(ADMIN)
        .body(policy("rail-jr-style"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_id.status(), 400);
    let ok = http
        .put(&url)
        .bearer_auth(ADMIN)
        .body(policy("rail-jr-style"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let gone = http.delete(&url).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(gone.status(), 200);
    let again = http.delete(&url).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(again.status(), 404);
}

/// Found by an outside tester: `places --sync` took a directory from a server signing under a
/// root key other than the one the wallet first trusted. The root is pinned at the first sync.
#[tokio::test(flavor = "multi_thread")]
async fn a_directory_under_another_root_key_is_refused_and_the_copy_kept() {
    use techo_core::directory::SyncError;
    let w = world(DAYTIME).await;
    w.server
        .state
        .publish_operator(&policy("museum-all-kinds"))
        .await
        .unwrap();
    assert_eq!(
        w.wallet.sync_directory(&w.client, false).await.unwrap(),
        Synced::Full { operators: 1 }
    );
    // Another server (its own issuer, its own root key) answering at the address the app uses.
    let impostor = common::start_server(
        &w.pki,
        w.clock.clone(),
        &w.portal,
        &w.dir.path().join("impostor"),
        1500,
    )
    .await;
    for name in ["rail-jr-style", "ferry-no-mental"] {
        impostor
            .state
            .publish_operator(&policy(name))
            .await
            .unwrap();
    }
    let client = techo_core::portal::TechoClient::new(
        &impostor.url(),
        &w.pki.ca_pem,
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    let err = w.wallet.sync_directory(&client, false).await.unwrap_err();
    assert!(matches!(err, SyncError::RootChanged { .. }), "{err}");
    let kept = w.wallet.directory().unwrap();
    assert_eq!(kept.entries.len(), 1);
    assert!(kept.entries.contains_key("example-museum"));
    // Only when the holder is told the issuer rolled its root over.
    assert!(matches!(
        w.wallet.sync_directory(&client, true).await.unwrap(),
        Synced::Full { operators: 2 }
    ));
    // And from then on the new root is the pinned one.
    let err = w.wallet.sync_directory(&w.client, false).await.unwrap_err();
    assert!(matches!(err, SyncError::RootChanged { .. }), "{err}");
}

/// A tampered update is refused and the copy stays as it was; the untampered bytes back.
async fn tampering_is_refused(w: &World, trust: &TrustList, dir: &Directory) -> Vec<u8> {
    // A tampered update is refused and the copy stays as it was.
    let bytes = w.client.directory(0).await.unwrap().unwrap();
    let mut forged = bytes.clone();
    let needle = "観覧料半額".as_bytes();
    let at = forged
        .windows(needle.len())
        .position(|x| x == needle)
        .unwrap();
    forged[at + 3] ^= 1;
    let copy = dir.clone();
    assert_eq!(
        DirectoryUpdate::open(&forged, trust).unwrap_err(),
        DirectoryError::Untrusted
    );
    assert_eq!(*dir, copy);
    bytes
}
