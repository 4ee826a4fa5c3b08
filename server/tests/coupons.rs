//! Coupons: published by an operator with its own token, synced in the signed directory,
//! presented in the device-signed QR, redeemed offline then online and counted once, refused
//! from another device, when withdrawn, or when expired.
#![allow(clippy::unwrap_used)]

mod common;

use common::coupons::{MUSEUM, coupon, http, send};
use common::{ADMIN, World, repo, world};
use techo_core::directory::coupon::CouponError;
use techo_core::directory::redemption::{RedemptionQueue, RedemptionResult, redeem};
use techo_core::directory::{Directory, sync};
use techo_core::token::{Policy, VerifyError, verify};
use techo_core::{Clock, WalletError};

const DAYTIME: &str = "2026-11-25T03:00:00Z";

/// The museum in the directory, with a token and a coupon; the holder linked and synced.
async fn setup(w: &World) -> (String, techo_core::token::TrustList) {
    let museum = std::fs::read_to_string(repo("fixtures/policies/museum-all-kinds.toml")).unwrap();
    w.server.state.publish_operator(&museum).await.unwrap();
    let client = http(w);
    let url = format!(
        "{}/v1/operators/{MUSEUM}/coupons/winter-2026",
        w.server.url()
    );
    // Without the operator's token nothing is published.
    let refused = client.put(&url).json(&coupon(1)).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let token = common::operator_token(&client, &w.server.url(), ADMIN, MUSEUM).await;
    let ok = client
        .put(&url)
        .bearer_auth(&token)
        .json(&coupon(1))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    w.link("yamada", "1234").await.unwrap();
    let (trust, _) = w.client.verifier_lists().await.unwrap();
    resync(w, &trust).await;
    (token, trust)
}

/// The app brings its offline directory up to date and keeps it.
async fn resync(w: &World, trust: &techo_core::token::TrustList) -> Directory {
    let mut dir = w.wallet.directory().unwrap();
    sync(&w.client, trust, &mut dir).await.unwrap();
    w.wallet.set_directory(&dir).unwrap();
    dir
}

/// The museum's coupon as the holder shows it now, and the status lists a counter holds.
async fn shown_coupon(
    w: &World,
) -> (
    Vec<techo_core::token::StatusList>,
    techo_core::token::Payload,
) {
    let (_, status) = w.client.verifier_lists().await.unwrap();
    let (_, _, payload) = w
        .wallet
        .present_coupon(None, MUSEUM, "winter-2026")
        .unwrap();
    (status, payload)
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_then_online_redemption_counts_once_and_the_limit_holds() {
    let w = world(DAYTIME).await;
    let (token, trust) = setup(&w).await;
    let listed = w.wallet.coupons(None).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].1.terms_en, "Once only; not with other discounts.");

    let (_, shown, payload) = w
        .wallet
        .present_coupon(None, MUSEUM, "winter-2026")
        .unwrap();
    assert_eq!(shown.id, "winter-2026");
    let (_, status) = w.client.verifier_lists().await.unwrap();
    let now = w.clock.now();
    let v = verify(&payload.binary(), &trust, &status, now, &Policy::default()).unwrap();
    assert_eq!(v.coupon.as_deref(), Some("example-museum/winter-2026"));

    // The counter is offline: it checks against its own directory copy and queues.
    let counter_dir: Directory = w.wallet.directory().unwrap();
    let r = redeem(&v, &payload.binary(), MUSEUM, &counter_dir, now).unwrap();
    let mut queue = RedemptionQueue::default();
    assert!(queue.push(r.clone()));
    assert!(
        !queue.push(r.clone()),
        "the same code scanned twice is one redemption"
    );
    // Online again, from two counters at once: recorded once, the other a duplicate.
    let (one, other) = tokio::join!(send(&w, &token, &queue), send(&w, &token, &queue));
    let mut both = vec![one[0].1, other[0].1];
    both.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        both,
        [RedemptionResult::Duplicate, RedemptionResult::Recorded]
    );
    // The same queue sent again is a duplicate, never a second count.
    let again = send(&w, &token, &queue).await;
    assert_eq!(again, [(r.key.clone(), RedemptionResult::Duplicate)]);
    queue.settle(&again);
    assert!(queue.pending.is_empty());

    // A second, fresh code for the same once-only coupon reaches the per-holder limit.
    w.clock.advance(chrono::Duration::seconds(60));
    let (_, _, second) = w
        .wallet
        .present_coupon(None, MUSEUM, "winter-2026")
        .unwrap();
    let v2 = verify(
        &second.binary(),
        &trust,
        &status,
        w.clock.now(),
        &Policy::default(),
    )
    .unwrap();
    let r2 = redeem(&v2, &second.binary(), MUSEUM, &counter_dir, w.clock.now()).unwrap();
    assert_ne!(r2.key, r.key);
    let mut q2 = RedemptionQueue::default();
    q2.push(r2.clone());
    assert_eq!(
        send(&w, &token, &q2).await,
        [(r2.key, RedemptionResult::LimitReached)]
    );

    // The holder's phone learns the coupon is used up (one use counted, not two).
    let hb = w.wallet.get(&w.handbook).unwrap();
    assert_eq!(
        w.wallet.coupon_uses(&hb.id, MUSEUM, "winter-2026").unwrap(),
        0
    );
    w.wallet.sync_coupon_uses(&w.client).await.unwrap();
    assert_eq!(
        w.wallet.coupon_uses(&hb.id, MUSEUM, "winter-2026").unwrap(),
        1
    );
    // Only with the holder's own linkage session.
    assert!(w.client.coupon_uses("no-such-session").await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn another_device_a_withdrawn_or_an_expired_coupon_is_refused() {
    let w = world(DAYTIME).await;
    let (token, trust) = setup(&w).await;
    let (status, payload) = shown_coupon(&w).await;

    // A screenshot forwarded to another phone is stale within a minute; a code re-signed by
    // another phone's key fails the device binding (core/tests/self_declared.rs).
    let later = w.clock.now() + chrono::Duration::seconds(120);
    let err = verify(
        &payload.binary(),
        &trust,
        &status,
        later,
        &Policy::default(),
    )
    .unwrap_err();
    assert!(matches!(err, VerifyError::StaleScreen(_)), "{err:?}");

    // The museum withdraws the coupon: the app (after syncing) and the counter both refuse.
    let v = verify(
        &payload.binary(),
        &trust,
        &status,
        w.clock.now(),
        &Policy::default(),
    )
    .unwrap();
    let gone = http(&w)
        .delete(format!(
            "{}/v1/operators/{MUSEUM}/coupons/winter-2026",
            w.server.url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 200);
    let dir = resync(&w, &trust).await;
    let err = w
        .wallet
        .present_coupon(None, MUSEUM, "winter-2026")
        .unwrap_err();
    assert!(
        matches!(err, WalletError::Coupon(CouponError::Withdrawn)),
        "{err:?}"
    );
    assert!(err.to_string().contains("withdrew"), "{err}");
    let at_counter = redeem(&v, &payload.binary(), MUSEUM, &dir, w.clock.now()).unwrap_err();
    assert_eq!(at_counter, CouponError::Withdrawn);
    assert!(
        w.wallet.coupons(None).unwrap().is_empty(),
        "no longer listed"
    );

    // Published again, then past its last day: refused with the date.
    let client = http(&w);
    let url = format!(
        "{}/v1/operators/{MUSEUM}/coupons/winter-2026",
        w.server.url()
    );
    client
        .put(&url)
        .bearer_auth(&token)
        .json(&coupon(0))
        .send()
        .await
        .unwrap();
    resync(&w, &trust).await;
    w.clock.set(common::at("2027-01-02T03:00:00Z"));
    let err = w
        .wallet
        .present_coupon(None, MUSEUM, "winter-2026")
        .unwrap_err();
    assert!(err.to_string().contains("2026-12-31"), "{err}");
}

/// A dishonest operator cannot use up a holder's limit: the server verifies the code behind each
/// redemption. Records with no code, a code altered (with its key recomputed), a real code sent
/// under another coupon, or a scan time the code does not fit are not counted; the holder's real
/// redemption afterwards still is.
#[tokio::test(flavor = "multi_thread")]
async fn redemptions_without_a_real_presentation_are_not_counted() {
    let w = world(DAYTIME).await;
    let (token, trust) = setup(&w).await;
    let (status, payload) = shown_coupon(&w).await;
    let now = w.clock.now();
    let v = verify(&payload.binary(), &trust, &status, now, &Policy::default()).unwrap();
    let counter_dir = w.wallet.directory().unwrap();
    let real = redeem(&v, &payload.binary(), MUSEUM, &counter_dir, now).unwrap();
    let key_of = |bytes: &[u8]| {
        techo_core::hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
    };

    let mut no_code = real.clone();
    no_code.code = String::new();
    no_code.key = "ab".repeat(32);
    let mut altered = real.clone();
    let mut bytes = payload.binary();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    altered.code = techo_core::hex::encode(&bytes);
    altered.key = key_of(&bytes);
    let mut other_coupon = real.clone();
    other_coupon.coupon = "spring-2027".into();
    let mut wrong_key = real.clone();
    wrong_key.key = "cd".repeat(32);
    let mut later = real.clone();
    later.at = now + chrono::Duration::minutes(10);
    for forged in [no_code, altered, other_coupon, wrong_key, later] {
        let queue = RedemptionQueue {
            pending: vec![forged.clone()],
        };
        assert_eq!(
            send(&w, &token, &queue).await,
            [(forged.key.clone(), RedemptionResult::Invalid)],
            "{forged:?}"
        );
    }

    // The holder's real redemption is still counted: nothing above used up the limit of one.
    let queue = RedemptionQueue {
        pending: vec![real.clone()],
    };
    assert_eq!(
        send(&w, &token, &queue).await,
        [(real.key.clone(), RedemptionResult::Recorded)]
    );
}
