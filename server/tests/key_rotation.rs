//! Rotating the issuer key (issue 30): the new key is published in the trust list ahead of use,
//! signs only after the notice period, and the old key stays published until the last
//! credential it signed has expired, then leaves. A verifier is walked through it with an old
//! list, a rotated list and an expired key.
#![allow(clippy::unwrap_used)]

mod common;

use common::coupons::http;
use common::{ADMIN, World, world};
use techo_core::token::{ClaimId, Policy, TrustList, VerifyError, verify};
use techo_core::{Clock, FixedClock};

const DAYTIME: &str = "2026-11-25T03:00:00Z";

/// POSTs to the admin API with `token`: the status and the JSON answer.
async fn http_json(w: &World, url: &str, token: &str) -> (u16, serde_json::Value) {
    let resp = http(w).post(url).bearer_auth(token).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or_default())
}

/// The holder's counter code now.
fn shown(w: &World) -> Vec<u8> {
    let (_, payload) = w
        .wallet
        .present(Some(&w.handbook), &ClaimId::COUNTER, None)
        .unwrap();
    payload.binary()
}

async fn check(w: &World, code: &[u8], trust: &TrustList) -> Result<(), VerifyError> {
    let (_, status) = w.client.verifier_lists().await.unwrap();
    verify(code, trust, &status, w.clock.now(), &Policy::default()).map(|_| ())
}

async fn trust(w: &World) -> TrustList {
    w.client.verifier_lists().await.unwrap().0
}

fn days(clock: &FixedClock, n: i64) {
    clock.advance(chrono::Duration::days(n));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verifier_walks_through_a_rotation_with_old_rotated_and_expired_keys() {
    let w = world(DAYTIME).await;
    w.link("yamada", "1234").await.unwrap();
    let old_list = trust(&w).await;
    assert_eq!(old_list.issuers.len(), 1);
    check(&w, &shown(&w), &old_list).await.unwrap();

    // Step 1: key 02 is made and published; key 01 still signs.
    let url = w.server.url();
    let next = http_json(&w, &format!("{url}/v1/admin/keys/next"), ADMIN).await;
    assert_eq!(next.0, 200, "{}", next.1);
    assert_eq!(next.1["kid"], "02");
    let again = http_json(&w, &format!("{url}/v1/admin/keys/next"), ADMIN).await;
    assert_eq!(again.0, 409, "one next key at a time: {}", again.1);
    let rotated = trust(&w).await;
    assert_eq!(rotated.issuers.len(), 2);
    assert!(rotated.sequence > old_list.sequence);
    // Too soon: verifiers have not all fetched the new list yet.
    let early = http_json(&w, &format!("{url}/v1/admin/keys/activate"), ADMIN).await;
    assert_eq!(early.0, 409, "{}", early.1);
    assert!(early.1["message"].as_str().unwrap().contains("try again"));
    // Without the admin token, nothing.
    let denied = http_json(&w, &format!("{url}/v1/admin/keys/activate"), "wrong-token").await;
    assert_eq!(denied.0, 401);

    // Step 2, a week later: key 02 signs what is issued from now on.
    days(&w.clock, 7);
    let active = http_json(&w, &format!("{url}/v1/admin/keys/activate"), ADMIN).await;
    assert_eq!(active.0, 200, "{}", active.1);
    assert_eq!(active.1["kid"], "02");
    // Credentials key 01 signed still verify, against the lists as they are now (the status
    // list is signed by key 02 already).
    let (rotated_now, _) = w.client.verifier_lists().await.unwrap();
    check(&w, &shown(&w), &rotated_now).await.unwrap();
    w.wallet.renew(&w.client, &w.handbook).await.unwrap();
    let signed_by_02 = shown(&w);

    // The old list does not know key 02; the list fetched after step 1 knows both keys.
    assert!(matches!(
        check(&w, &signed_by_02, &old_list).await.unwrap_err(),
        VerifyError::UnknownIssuer { .. }
    ));
    check(&w, &signed_by_02, &rotated).await.unwrap();

    // Step 3: the retired key stays published until its last credential expires, then leaves.
    days(&w.clock, 20);
    w.server.state.key_pass().await;
    assert_eq!(trust(&w).await.issuers.len(), 2, "key 01 still published");
    days(&w.clock, 5);
    w.server.state.key_pass().await;
    let after = trust(&w).await;
    assert_eq!(after.issuers.len(), 1, "key 01 left the list");
    assert_eq!(after.issuers[0].kid, vec![2]);
    // A list fetched after the activation gave key 01 an end date, now past: a verifier still
    // holding it refuses key 01 too.
    let key_01 = rotated_now.issuer(&[1]).unwrap();
    assert!(w.clock.now() > key_01.not_after);
    assert!(rotated.issuer(&[1]).unwrap().not_after > key_01.not_after);
    // Key 02 keeps signing: a renewed credential verifies under the newest list.
    w.wallet.renew(&w.client, &w.handbook).await.unwrap();
    check(&w, &shown(&w), &after).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_server_keeps_its_ring_and_refuses_a_folder_without_its_keys() {
    let mut w = world(DAYTIME).await;
    let kid = w.server.state.prepare_key_rotation().await.unwrap();
    assert_eq!(kid, "02");
    let before = trust(&w).await;
    w.restart_server(techo_server::issuer::store::StoreConfig::default())
        .await;
    let after = trust(&w).await;
    assert_eq!(after.sequence, before.sequence);
    assert_eq!(after.issuers, before.issuers);
    // The key folder lost key 02: activating it is refused, saying which key and where, and
    // the ring is left as it was (key 01 signs on).
    std::fs::remove_file(w.dir.path().join("issuer/issuer-02.p8")).unwrap();
    days(&w.clock, 8);
    let err = w.server.state.activate_next_key().await.unwrap_err();
    assert!(err.to_string().contains("techo-issuer-02"), "{err}");
    assert!(err.to_string().contains("restore"), "{err}");
    assert_eq!(trust(&w).await.sequence, before.sequence);
    w.link("yamada", "1234").await.unwrap();
    check(&w, &shown(&w), &before).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_on_one_database_rotate_together() {
    let (w, b, client_b) = common::two_servers(DAYTIME, "key_rotation_two").await;
    w.link("yamada", "1234").await.unwrap();
    // A publishes key 02; B takes the ring up on its next pass and serves the same list.
    w.server.state.prepare_key_rotation().await.unwrap();
    b.state.key_pass().await;
    let (from_a, from_b) = (trust(&w).await, client_b.verifier_lists().await.unwrap().0);
    assert_eq!(from_a.issuers, from_b.issuers);
    assert_eq!(from_a.sequence, from_b.sequence);
    // B activates it; A signs with key 02 after its pass, and B's list verifies what A issued.
    days(&w.clock, 7);
    assert_eq!(b.state.activate_next_key().await.unwrap(), "02");
    w.server.state.key_pass().await;
    assert_eq!(w.server.state.keys.issuer().kid, vec![2]);
    w.wallet.renew(&w.client, &w.handbook).await.unwrap();
    let (trust_b, status_b) = client_b.verifier_lists().await.unwrap();
    let v = verify(
        &shown(&w),
        &trust_b,
        &status_b,
        w.clock.now(),
        &Policy::default(),
    )
    .unwrap();
    assert_eq!(v.issuer_name, "Techo");
    // Both processes activating at once: one wins, the other is told there is no next key.
    w.server.state.prepare_key_rotation().await.unwrap();
    days(&w.clock, 7);
    let (ra, rb) = tokio::join!(
        w.server.state.activate_next_key(),
        b.state.activate_next_key()
    );
    assert!(ra.is_ok() != rb.is_ok(), "{ra:?} / {rb:?}");
}
