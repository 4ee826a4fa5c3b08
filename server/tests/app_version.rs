//! The "update the app" banner follows the issuer: when techo-server's trust list retires the
//! display-token format this app makes, the next keep-linked run learns it and the counter
//! screen says so; when the issuer goes back, the banner goes too.
#![allow(clippy::unwrap_used)]

mod common;

use common::world;

const DAYTIME: &str = "2026-11-25T03:00:00Z";

fn banner(w: &common::World) -> Option<String> {
    let min = w.wallet.min_token_version().unwrap();
    w.wallet
        .counter_screen(techo_core::screen::Options::default(), min)
        .unwrap()
        .unwrap()
        .update_banner
}

#[tokio::test(flavor = "multi_thread")]
async fn the_counter_says_update_the_app_when_the_trust_list_retires_its_tokens() {
    let w = world(DAYTIME).await;
    w.link("yamada", "1234").await.unwrap();
    assert_eq!(w.wallet.min_token_version().unwrap(), 1);
    assert_eq!(banner(&w), None);

    w.server.state.set_min_token_version(2).await.unwrap();
    assert_eq!(banner(&w), None, "nothing changes before the wallet asks");
    w.wallet.keep_linked(&w.client).await.unwrap();
    assert_eq!(w.wallet.min_token_version().unwrap(), 2);
    let said = banner(&w).expect("the banner");
    assert!(said.contains("更新") || said.contains("update"), "{said}");

    w.server.state.set_min_token_version(1).await.unwrap();
    assert_eq!(w.wallet.check_app_version(&w.client).await.unwrap(), 1);
    assert_eq!(banner(&w), None);
}
