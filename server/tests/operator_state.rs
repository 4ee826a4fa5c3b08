//! Nothing about operators lives only in a server's memory (issue 30): the directory and its
//! versions, operators' tokens (kept as hashes), coupon withdrawal times and redemptions survive
//! a restart on sled and on PostgreSQL, and two servers on one database give the same answers.
#![allow(clippy::unwrap_used)]

mod common;

use common::coupons::{MUSEUM, coupon, http, send_to};
use common::{ADMIN, World, fresh_db, repo, world_on};
use techo_core::Clock;
use techo_core::directory::redemption::{Redemption, RedemptionResult, redeem};
use techo_core::directory::{Directory, sync};
use techo_core::portal::TechoClient;
use techo_core::token::{Policy, verify};
use techo_server::issuer::store::{OperatorStore, ServerStore, StoreConfig, token_hash};

const DAYTIME: &str = "2026-11-25T03:00:00Z";
const COUPON: &str = "winter-2026";

/// The museum publishes its coupon (`Some(per_holder)`) or withdraws it (`None`) through the
/// server at `server_url` with `token`; the answer's status.
async fn coupon_call(w: &World, server_url: &str, token: &str, publish: Option<u32>) -> u16 {
    let url = format!("{server_url}/v1/operators/{MUSEUM}/coupons/{COUPON}");
    let req = match publish {
        Some(per_holder) => http(w).put(url).json(&coupon(per_holder)),
        None => http(w).delete(url),
    };
    req.bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The museum listed, its token issued through `admin_url`, its coupon (`per_holder` uses)
/// published through `coupon_url`; the holder linked, the app's directory synced.
async fn museum_with_coupon(
    w: &World,
    admin_url: &str,
    coupon_url: &str,
    per_holder: u32,
) -> String {
    let museum = std::fs::read_to_string(repo("fixtures/policies/museum-all-kinds.toml")).unwrap();
    w.server.state.publish_operator(&museum).await.unwrap();
    let token = common::operator_token(&http(w), admin_url, ADMIN, MUSEUM).await;
    assert_eq!(
        coupon_call(w, coupon_url, &token, Some(per_holder)).await,
        200,
        "a token issued by one server works on the other"
    );
    w.link("yamada", "1234").await.unwrap();
    synced(w, &w.client).await;
    token
}

async fn synced(w: &World, client: &TechoClient) -> Directory {
    let (trust, _) = client.verifier_lists().await.unwrap();
    let mut dir = w.wallet.directory().unwrap();
    sync(client, &trust, &mut dir).await.unwrap();
    w.wallet.set_directory(&dir).unwrap();
    dir
}

/// The coupon shown now and scanned by the museum's counter against `counter_dir`.
async fn scanned(w: &World, counter_dir: &Directory) -> Redemption {
    let (trust, status) = w.client.verifier_lists().await.unwrap();
    let (_, _, payload) = w.wallet.present_coupon(None, MUSEUM, COUPON).unwrap();
    let now = w.clock.now();
    let v = verify(&payload.binary(), &trust, &status, now, &Policy::default()).unwrap();
    redeem(&v, &payload.binary(), MUSEUM, counter_dir, now).unwrap()
}

fn queue(r: &Redemption) -> techo_core::directory::redemption::RedemptionQueue {
    let mut q = techo_core::directory::redemption::RedemptionQueue::default();
    q.push(r.clone());
    q
}

async fn answer(w: &World, token: &str, r: &Redemption) -> RedemptionResult {
    send_to(w, &w.server.url(), token, &queue(r)).await[0].1
}

async fn etag(w: &World, server_url: &str) -> String {
    let resp = http(w)
        .get(format!("{server_url}/v1/directory"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.headers()["etag"].to_str().unwrap().to_owned()
}

async fn survives_a_restart(store: StoreConfig) {
    let mut w = world_on(DAYTIME, store.clone()).await;
    let url = w.server.url();
    let token = museum_with_coupon(&w, &url, &url, 2).await;
    let counter_dir = w.wallet.directory().unwrap();

    let first = scanned(&w, &counter_dir).await;
    assert_eq!(answer(&w, &token, &first).await, RedemptionResult::Recorded);
    // Scanned offline before the museum withdraws the coupon, sent after the restart.
    w.clock.advance(chrono::Duration::seconds(60));
    let before_withdrawal = scanned(&w, &counter_dir).await;
    w.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(coupon_call(&w, &url, &token, None).await, 200);
    // A counter with an old directory copy scans it after the withdrawal.
    w.clock.advance(chrono::Duration::seconds(60));
    let after_withdrawal = scanned(&w, &counter_dir).await;
    let version = w.server.state.store.directory_head().await.unwrap().version;
    let tag = etag(&w, &url).await;

    w.restart_server(store).await;

    // The directory: same version (the start did not republish), the withdrawal kept.
    assert_eq!(etag(&w, &w.server.url()).await, tag);
    assert!(w.client.directory(version).await.unwrap().is_none(), "304");
    let dir = synced(&w, &w.client).await;
    assert!(dir.coupon(MUSEUM, COUPON).unwrap().withdrawn);
    // The token still opens the museum's API, and only its hash was kept.
    let kept = w
        .server
        .state
        .store
        .operator_token_hash(MUSEUM)
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(token_hash(&token).as_str()));
    assert_ne!(kept.as_deref(), Some(token.as_str()));
    // Redemptions: the counted code is a duplicate; the code scanned before the withdrawal
    // counts (its time was kept); the one scanned after is refused.
    assert_eq!(
        answer(&w, &token, &first).await,
        RedemptionResult::Duplicate
    );
    assert_eq!(
        answer(&w, &token, &before_withdrawal).await,
        RedemptionResult::Recorded
    );
    assert_eq!(
        answer(&w, &token, &after_withdrawal).await,
        RedemptionResult::Refused
    );
    assert_eq!(
        answer(&w, &token, &after_withdrawal).await,
        RedemptionResult::Refused,
        "the same answer again"
    );
    // The holder's phone sees both uses.
    w.wallet.sync_coupon_uses(&w.client).await.unwrap();
    let hb = w.wallet.get(&w.handbook).unwrap();
    assert_eq!(w.wallet.coupon_uses(&hb.id, MUSEUM, COUPON).unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn operator_state_survives_a_restart_on_sled() {
    survives_a_restart(StoreConfig::default()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn operator_state_survives_a_restart_on_postgres() {
    let url = fresh_db("operator_state_restart").await;
    survives_a_restart(StoreConfig::parse(&url).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_is_kept_only_as_its_hash_on_disk() {
    let w = world_on(DAYTIME, StoreConfig::default()).await;
    let url = w.server.url();
    let token = museum_with_coupon(&w, &url, &url, 1).await;
    drop(w.server);
    let found = common::files_containing(&w.dir.path().join("server"), token.as_bytes());
    assert!(found.is_empty(), "the token is in {found:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_on_one_database_agree_on_operators_tokens_and_redemptions() {
    let (w, b, client_b) = common::two_servers(DAYTIME, "operator_state_two").await;
    let (a_url, b_url) = (w.server.url(), b.url());
    // Listed through A, the token issued by A, the coupon published through B.
    let token = museum_with_coupon(&w, &a_url, &b_url, 1).await;
    assert_eq!(etag(&w, &a_url).await, etag(&w, &b_url).await);
    let counter_dir = w.wallet.directory().unwrap();
    assert!(counter_dir.coupon(MUSEUM, COUPON).is_some());

    // One code sent to both at once: counted once.
    let q = queue(&scanned(&w, &counter_dir).await);
    let (on_a, on_b) = tokio::join!(
        send_to(&w, &a_url, &token, &q),
        send_to(&w, &b_url, &token, &q)
    );
    let mut both = vec![on_a[0].1, on_b[0].1];
    both.sort_by_key(|x| format!("{x:?}"));
    assert_eq!(
        both,
        [RedemptionResult::Duplicate, RedemptionResult::Recorded]
    );
    // The once-only limit holds across servers.
    w.clock.advance(chrono::Duration::seconds(60));
    let second = scanned(&w, &counter_dir).await;
    assert_eq!(
        send_to(&w, &b_url, &token, &queue(&second)).await[0].1,
        RedemptionResult::LimitReached
    );
    // Either server tells the phone the coupon is used.
    w.wallet.sync_coupon_uses(&client_b).await.unwrap();
    let hb = w.wallet.get(&w.handbook).unwrap();
    assert_eq!(w.wallet.coupon_uses(&hb.id, MUSEUM, COUPON).unwrap(), 1);

    // Withdrawn through B: A's directory says so at the same version.
    assert_eq!(coupon_call(&w, &b_url, &token, None).await, 200);
    assert_eq!(etag(&w, &a_url).await, etag(&w, &b_url).await);
    let dir = synced(&w, &w.client).await;
    assert!(dir.coupon(MUSEUM, COUPON).unwrap().withdrawn);
    // A token B issues replaces A's everywhere.
    let newer = common::operator_token(&http(&w), &b_url, ADMIN, MUSEUM).await;
    assert_eq!(coupon_call(&w, &a_url, &token, Some(1)).await, 401);
    assert_eq!(coupon_call(&w, &a_url, &newer, Some(1)).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn directory_changes_from_two_servers_at_once_are_all_kept() {
    let (w, b, _) = common::two_servers(DAYTIME, "operator_state_race").await;
    let names = [
        "rail-jr-style",
        "city-bus-linked-only",
        "museum-all-kinds",
        "ferry-no-mental",
    ];
    let texts: Vec<String> = names
        .iter()
        .map(|n| std::fs::read_to_string(repo(&format!("fixtures/policies/{n}.toml"))).unwrap())
        .collect();
    let (a, bs) = (&w.server.state, &b.state);
    let (r1, r2, r3, r4) = tokio::join!(
        a.publish_operator(&texts[0]),
        bs.publish_operator(&texts[1]),
        a.publish_operator(&texts[2]),
        bs.publish_operator(&texts[3]),
    );
    let mut versions = vec![r1.unwrap(), r2.unwrap(), r3.unwrap(), r4.unwrap()];
    versions.sort_unstable();
    versions.dedup();
    assert_eq!(versions.len(), 4, "every change has its own version");
    let (head, rows) = bs.store.directory_rows().await.unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(head.version, versions[3]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_withdrawal_through_one_server_keeps_its_time_for_the_other() {
    let (w, b, _) = common::two_servers(DAYTIME, "operator_state_withdrawal").await;
    let (a_url, b_url) = (w.server.url(), b.url());
    let token = museum_with_coupon(&w, &a_url, &a_url, 0).await;
    let counter_dir = w.wallet.directory().unwrap();
    // Scanned offline before the museum withdraws the coupon through B; another scanned after.
    let before = scanned(&w, &counter_dir).await;
    w.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(coupon_call(&w, &b_url, &token, None).await, 200);
    w.clock.advance(chrono::Duration::seconds(60));
    let after = scanned(&w, &counter_dir).await;
    // The queue reaches A: the withdrawal time B stored decides.
    assert_eq!(
        send_to(&w, &a_url, &token, &queue(&before)).await[0].1,
        RedemptionResult::Recorded
    );
    assert_eq!(
        send_to(&w, &a_url, &token, &queue(&after)).await[0].1,
        RedemptionResult::Refused
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_on_any_status_list_is_counted() {
    // Lists of four, three of list 1's entries taken by others: the holder's credentials land
    // on later lists, none with a revoked entry; a redemption still finds its credential's list.
    let w = common::world_configured(DAYTIME, StoreConfig::default(), None, |c| {
        c.status = techo_server::issuer::status_lists::StatusPublishing {
            list_size: 4,
            ..techo_server::issuer::status_lists::StatusPublishing::LOOPBACK
        };
    })
    .await;
    w.server
        .state
        .store
        .allocate_indices("others", 3, w.clock.now(), 4)
        .await
        .unwrap();
    let url = w.server.url();
    let token = museum_with_coupon(&w, &url, &url, 0).await;
    assert!(w.client.status_index().await.unwrap().lists.len() >= 2);
    let counter_dir = w.wallet.directory().unwrap();
    for _ in 0..3 {
        let r = scanned(&w, &counter_dir).await;
        assert_eq!(answer(&w, &token, &r).await, RedemptionResult::Recorded);
        w.clock.advance(chrono::Duration::seconds(61));
    }
}
