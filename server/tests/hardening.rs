//! What every response carries and what every client is held to: security headers, a rate
//! limit on linkage requests per address, and a time limit on every request.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Loopback, at, https, loopback, start_portal};
use std::sync::Arc;
use techo_core::FixedClock;
use techo_server::issuer::keys::{KeyConfig, Pkcs11Config};
use techo_server::issuer::store::StoreConfig;
use techo_server::{ServerConfig, TestPki};

struct Setup {
    lb: Loopback,
    http: reqwest::Client,
}

impl std::ops::Deref for Setup {
    type Target = Loopback;
    fn deref(&self) -> &Loopback {
        &self.lb
    }
}

const ADMIN_TOKEN: &str = "hardening-admin-token";

async fn setup(rate: (u32, u32), limit: std::time::Duration) -> Setup {
    let lb = loopback(10_000, |cfg| {
        cfg.admin_token = ADMIN_TOKEN.into();
        cfg.linkage_rate = rate;
        cfg.request_time_limit = limit;
    })
    .await;
    let http = https(&lb.pki.ca_pem);
    Setup { lb, http }
}

fn start_body(n: usize) -> serde_json::Value {
    serde_json::json!({
        "idempotency_key": format!("k-{n}"),
        "handbook": { "kind": "physical", "number": "12345", "municipality_code": "131016" },
        "photo_sha256_hex": null,
        "device_keys": [{
            "alias": "a",
            "public_hex": techo_core::hex::encode(&techo_core::token::SoftwareKey::generate().public().compressed()),
        }],
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_the_security_headers() {
    let s = setup(ServerConfig::LINKAGE_RATE, ServerConfig::REQUEST_TIME_LIMIT).await;
    for path in [
        "/v1/trust-list",
        "/v1/linkage-sessions/nope",
        "/v1/no-such-thing",
    ] {
        let resp = s
            .http
            .get(format!("{}{path}", s.server.url()))
            .send()
            .await
            .unwrap();
        let h = resp.headers();
        for (name, want) in [
            (
                "strict-transport-security",
                "max-age=63072000; includeSubDomains",
            ),
            ("x-content-type-options", "nosniff"),
            ("cache-control", "no-store"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
        ] {
            assert_eq!(
                h.get(name).and_then(|v| v.to_str().ok()),
                Some(want),
                "{path}: {name}"
            );
        }
        assert!(h.contains_key("content-security-policy"), "{path}");
    }
}

/// Bodies over 64 KB are refused before any handler reads them.
#[tokio::test(flavor = "multi_thread")]
async fn request_bodies_are_limited_to_64_kb() {
    let s = setup(ServerConfig::LINKAGE_RATE, ServerConfig::REQUEST_TIME_LIMIT).await;
    let mut big = start_body(1);
    big["photo_sha256_hex"] = serde_json::Value::String("0".repeat(70 * 1024));
    let resp = s
        .http
        .post(format!("{}/v1/linkage-sessions", s.server.url()))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    // Just under the limit is read, and refused for what it says: a digest is 64 hex digits.
    let mut under = start_body(2);
    under["photo_sha256_hex"] = serde_json::Value::String("0".repeat(60 * 1024));
    let resp = s
        .http
        .post(format!("{}/v1/linkage-sessions", s.server.url()))
        .json(&under)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
}

/// Per device: the portal codes sent for one linkage session (one phone's linkage) are limited
/// wherever they come from; another session is not held back by it.
#[tokio::test(flavor = "multi_thread")]
async fn codes_for_one_linkage_session_are_rate_limited() {
    let s = setup((100, 100), ServerConfig::REQUEST_TIME_LIMIT).await;
    let start = |n| {
        let http = s.http.clone();
        let url = format!("{}/v1/linkage-sessions", s.server.url());
        async move {
            let body = common::json_of(http.post(url).json(&start_body(n))).await;
            body["session_id"].as_str().unwrap().to_owned()
        }
    };
    let (one, other) = (start(1).await, start(2).await);
    let code = |id: &str| {
        s.http
            .post(format!("{}/v1/linkage-sessions/{id}/code", s.server.url()))
            .json(&serde_json::json!({ "code": "not-a-portal-code" }))
            .send()
    };
    let (burst, _) = techo_server::hardening::LinkageLimits::CODES_PER_SESSION;
    for n in 0..burst {
        let resp = code(&one).await.unwrap();
        assert_eq!(
            resp.status(),
            400,
            "code {n} reaches the portal and is refused there"
        );
    }
    let resp = code(&one).await.unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("this linkage"),
        "{body}"
    );
    assert_eq!(code(&other).await.unwrap().status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn linkage_requests_are_rate_limited_per_address_and_reads_are_not() {
    let s = setup((3, 1), ServerConfig::REQUEST_TIME_LIMIT).await;
    let url = format!("{}/v1/linkage-sessions", s.server.url());
    for n in 0..3 {
        let resp = s.http.post(&url).json(&start_body(n)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "request {n}");
    }
    let resp = s.http.post(&url).json(&start_body(9)).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    // Verifiers keep reading the lists.
    for _ in 0..10 {
        let resp = s
            .http
            .get(format!("{}/v1/status-lists/1", s.server.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_past_the_time_limit_ends_with_503() {
    // The same layer techo-server puts around every route, around a handler that waits on a
    // dependency that never answers.
    let pki = TestPki::generate().unwrap();
    let router = axum::Router::new()
        .route(
            "/stuck",
            axum::routing::get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                "never"
            }),
        )
        .route("/quick", axum::routing::get(|| async { "ok" }))
        .layer(axum::middleware::from_fn_with_state(
            std::time::Duration::from_millis(200),
            techo_server::hardening::time_limit,
        ));
    let running = techo_server::tls::serve(router, pki.server_config().unwrap(), 0)
        .await
        .unwrap();
    let http = https(&pki.ca_pem);
    let started = std::time::Instant::now();
    let resp = http
        .get(format!("{}/stuck", running.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "timeout");
    let resp = http
        .get(format!("{}/quick", running.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_portal_refuses_a_client_without_its_certificate_and_clients_refuse_a_stranger() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(at("2026-11-26T03:00:00Z")));
    let pki = TestPki::generate().unwrap();
    let portal = start_portal(&pki, clock).await;
    // The provider API is mutual TLS: the right CA but no client certificate is refused.
    let anonymous = reqwest::Client::builder()
        .tls_backend_preconfigured(pki.client_config(false).unwrap())
        .build()
        .unwrap();
    let err = anonymous
        .post(format!("{}/token", portal.provider.url()))
        .body("{}")
        .send()
        .await;
    assert!(
        err.is_err(),
        "a client without a certificate got an answer: {err:?}"
    );
    // techo-server's own client certificate is accepted (any HTTP answer means TLS passed).
    let techo = reqwest::Client::builder()
        .tls_backend_preconfigured(pki.client_config(true).unwrap())
        .build()
        .unwrap();
    assert!(
        techo
            .get(format!("{}/token", portal.provider.url()))
            .send()
            .await
            .is_ok()
    );
    // A man in the middle with another CA's certificate: the app's client refuses it.
    let stranger = TestPki::generate().unwrap();
    let mitm = https(&stranger.ca_pem);
    assert!(
        mitm.get(format!("{}/", portal.holder.url()))
            .send()
            .await
            .is_err()
    );
    drop(dir);
}

/// Admin endpoints answer only to the admin token: not to no token, a wrong one, or an
/// operator's token; and a server will not start with a guessable admin token.
#[tokio::test(flavor = "multi_thread")]
async fn admin_endpoints_need_their_own_credential() {
    let s = setup(ServerConfig::LINKAGE_RATE, ServerConfig::REQUEST_TIME_LIMIT).await;
    let url = |path: &str| format!("{}{path}", s.server.url());
    let operator_token =
        common::operator_token(&s.http, &s.server.url(), ADMIN_TOKEN, "example-museum").await;
    let wrong = format!("{ADMIN_TOKEN}x");
    for token in [
        None,
        Some(""),
        Some(wrong.as_str()),
        Some(operator_token.as_str()),
    ] {
        let requests = [
            s.http
                .post(url("/v1/admin/sessions"))
                .json(&serde_json::json!({ "session_id": "x", "action": "revoke", "reason": "r" })),
            s.http.post(url("/v1/admin/operators/example-museum/token")),
            s.http
                .put(url("/v1/admin/directory/example-museum"))
                .body("[operator]"),
            s.http.delete(url("/v1/admin/directory/example-museum")),
        ];
        for req in requests {
            let req = match token {
                Some(t) => req.bearer_auth(t),
                None => req,
            };
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 401, "{:?} with {token:?}", resp.url().path());
        }
    }

    let weak = config(s.dir.path().join("weak"), "short");
    let err = techo_server::TechoServer::start(&s.pki, s.clock.clone(), weak)
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("at least 16"), "{err}");
}

/// A configuration pointing at nothing, for what is checked before anything starts.
fn config(data_dir: std::path::PathBuf, admin_token: &str) -> ServerConfig {
    ServerConfig {
        data_dir,
        portal_holder_url: "https://127.0.0.1:1".into(),
        portal_provider_url: "https://127.0.0.1:2".into(),
        admin_token: admin_token.into(),
        portal_timeout: std::time::Duration::from_secs(1),
        retry_every: None,
        store: StoreConfig::default(),
        issuer_dir: None,
        keys: KeyConfig::Files,
        rotation_notice: ServerConfig::ROTATION_NOTICE,
        linkage_rate: ServerConfig::LINKAGE_RATE,
        request_time_limit: ServerConfig::REQUEST_TIME_LIMIT,
        status: techo_server::issuer::status_lists::StatusPublishing::LOOPBACK,
        web_verifier: None,
    }
}

#[test]
fn configurations_print_without_their_secrets() {
    let portal_less = ServerConfig {
        store: StoreConfig::parse("postgres://techo:db-password@127.0.0.1:5432/techo").unwrap(),
        keys: KeyConfig::Pkcs11(Pkcs11Config::new("/lib/hsm.so", "techo", "hsm-user-pin")),
        ..config("/tmp/x".into(), "very-secret-admin-token")
    };
    let printed = format!("{portal_less:?}");
    assert!(
        !printed.contains("very-secret")
            && !printed.contains("db-password")
            && !printed.contains("hsm-user-pin"),
        "{printed}"
    );
    let endpoints = techo_server::endpoints::Endpoints {
        server: "https://127.0.0.1:1".into(),
        portal: "https://127.0.0.1:2".into(),
        portal_provider: "https://127.0.0.1:3".into(),
        ca_pem: String::new(),
        admin_token: "very-secret-admin-token".into(),
    };
    assert!(!format!("{endpoints:?}").contains("very-secret"));
    let pki = TestPki::generate().unwrap();
    assert!(!format!("{pki:?}").contains("PRIVATE"));
}

/// What `openssl s_client` reports when it offers only `args` to the server.
fn offer(port: u16, args: &[&str]) -> String {
    let out = std::process::Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("this test drives the openssl command line tool: {e}"));
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn only_tls_1_3_and_1_2_with_aead_suites_are_accepted() {
    let s = setup(ServerConfig::LINKAGE_RATE, ServerConfig::REQUEST_TIME_LIMIT).await;
    let port: u16 = s.server.url().rsplit(':').next().unwrap().parse().unwrap();
    let probe =
        move |args: &'static [&'static str]| tokio::task::spawn_blocking(move || offer(port, args));
    for args in [&["-tls1_3"][..], &["-tls1_2"][..]] {
        let out = probe(args).await.unwrap();
        assert!(
            out.contains("Cipher is ") && !out.contains("Cipher is (NONE)"),
            "{args:?} refused:\n{out}"
        );
    }
    // Old protocols and suites without AEAD, even when the client lowers its own bar.
    for args in [
        &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"][..],
        &["-tls1_2", "-cipher", "AES128-SHA:@SECLEVEL=0"][..],
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:@SECLEVEL=0",
        ][..],
    ] {
        let out = probe(args).await.unwrap();
        assert!(
            out.contains("Cipher is (NONE)"),
            "{args:?} accepted:\n{out}"
        );
    }
}

/// Found by an outside tester: the server's store (portal access tokens inside) and its issuer
/// keys were readable by every local user. The data folder is made private at start.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_server_keeps_its_data_folder_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let clock = Arc::new(FixedClock::new(at("2026-11-26T03:00:00Z")));
    let pki = TestPki::generate().unwrap();
    let portal = start_portal(&pki, clock.clone()).await;
    let _server = common::start_server(&pki, clock, &portal, &data, 1500).await;
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}
