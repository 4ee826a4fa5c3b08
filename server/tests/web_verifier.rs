//! The staff verifier page at `/verify/` (issue 31): the page's files with a policy that lets
//! the browser compile its WebAssembly and use the camera, the root key it trusts written from
//! the server's key ring, and nothing outside the page's folder.
#![allow(clippy::unwrap_used)]

mod common;

use common::{repo, world_configured};
use techo_server::issuer::store::StoreConfig;

const DAYTIME: &str = "2026-11-25T03:00:00Z";

#[tokio::test(flavor = "multi_thread")]
async fn the_page_its_root_key_and_nothing_else_are_served() {
    let w = world_configured(DAYTIME, StoreConfig::default(), None, |c| {
        c.web_verifier = Some(repo("web/verifier"));
    })
    .await;
    let http = common::coupons::http(&w);
    let get = |path: &str| http.get(format!("{}{path}", w.server.url())).send();

    let page = get("/verify/").await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(page.text().await.unwrap().contains("verifier.js"));
    let script = get("/verify/verifier.js").await.unwrap();
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );

    // The root key the page trusts is the server's.
    let root_js = get("/verify/root-key.js")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let served = get("/v1/root-key").await.unwrap().text().await.unwrap();
    let root = techo_core::token::PublicKey::from_sec1(&techo_core::hex::decode(&served).unwrap())
        .unwrap();
    assert!(
        root_js.contains(&techo_core::hex::encode(root.uncompressed())),
        "{root_js}"
    );

    // The public, signed reads are open to a page on another origin; nothing else is.
    let trust = get("/v1/trust-list").await.unwrap();
    assert_eq!(trust.headers()["access-control-allow-origin"], "*");
    for path in ["/verify/", "/v1/linkage-sessions/none"] {
        let closed = get(path).await.unwrap();
        assert!(
            closed
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{path}"
        );
    }

    // Nothing outside the folder, nothing of an unknown kind.
    for path in [
        "/verify/../Cargo.toml",
        "/verify/%2e%2e/Cargo.toml",
        "/verify/tests/conformance.cjs",
        "/verify/nope.html",
    ] {
        assert_eq!(get(path).await.unwrap().status(), 404, "{path}");
    }
}
