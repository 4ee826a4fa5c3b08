//! Two `techo-server` processes on one PostgreSQL database (issue 30): nothing about operators
//! or keys is held in one process's memory. Both start with the same policy files (the second
//! finds them published and keeps the version), a token support issues through one works on the
//! other, a coupon published or withdrawn through one shows in the other's directory, both
//! serve the same root and trust list, and a restarted process serves what the others left.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fresh_db, repo};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use techo_server::endpoints::Endpoints;

/// A running `techo-server` process, killed when dropped.
struct Process {
    child: Child,
    endpoints: Endpoints,
    http: reqwest::Client,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &Path, store: &str, issuer_dir: &Path) -> Process {
    let file = data_dir.join("endpoints.json");
    let _ = std::fs::remove_file(&file);
    let child = Command::new(env!("CARGO_BIN_EXE_techo-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--store")
        .arg(store)
        .arg("--issuer-dir")
        .arg(issuer_dir)
        .arg("--records")
        .arg(repo("fixtures/portal/records.json"))
        .arg("--jpki-ca")
        .arg(repo("fixtures/cards/ca/ca.crt.der"))
        .arg("--directory")
        .arg(repo("fixtures/policies"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let endpoints = loop {
        if let Ok(e) = Endpoints::read(&file) {
            break e;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "techo-server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(
            techo_core::portal::client::client_tls(&endpoints.ca_pem).unwrap(),
        )
        .build()
        .unwrap();
    Process {
        child,
        endpoints,
        http,
    }
}

impl Process {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoints.server)
    }

    async fn directory_tag(&self) -> String {
        let resp = self
            .http
            .get(self.url("/v1/directory"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.headers()["etag"].to_str().unwrap().to_owned()
    }

    async fn root_key(&self) -> String {
        let resp = self
            .http
            .get(self.url("/v1/root-key"))
            .send()
            .await
            .unwrap();
        resp.text().await.unwrap()
    }

    async fn operator_token(&self, operator: &str) -> String {
        let resp = self
            .http
            .post(self.url(&format!("/v1/admin/operators/{operator}/token")))
            .bearer_auth(&self.endpoints.admin_token)
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = resp.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    async fn coupon(&self, method: reqwest::Method, token: &str) -> u16 {
        let url = self.url("/v1/operators/example-museum/coupons/winter-2026");
        let mut req = self.http.request(method.clone(), url).bearer_auth(token);
        if method == reqwest::Method::PUT {
            req = req.json(&common::coupons::coupon(1));
        }
        req.send().await.unwrap().status().as_u16()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_server_processes_share_operators_tokens_and_keys() {
    let store = fresh_db("two_processes").await;
    let dir = tempfile::tempdir().unwrap();
    let issuer: PathBuf = dir.path().join("issuer");
    let a = start(&dir.path().join("a"), &store, &issuer);
    let b = start(&dir.path().join("b"), &store, &issuer);

    // Both published the same policy files at start: one version, served by both.
    let first = a.directory_tag().await;
    assert_eq!(b.directory_tag().await, first);
    assert_eq!(a.root_key().await, b.root_key().await);

    // A token support issues through A opens the museum's API on B.
    let token = a.operator_token("example-museum").await;
    assert_eq!(b.coupon(reqwest::Method::PUT, "not-the-token").await, 401);
    assert_eq!(b.coupon(reqwest::Method::PUT, &token).await, 200);
    let with_coupon = a.directory_tag().await;
    assert_ne!(with_coupon, first);
    assert_eq!(b.directory_tag().await, with_coupon);
    // Withdrawn through A, seen by B.
    assert_eq!(a.coupon(reqwest::Method::DELETE, &token).await, 200);
    let withdrawn = b.directory_tag().await;
    assert_ne!(withdrawn, with_coupon);
    assert_eq!(a.directory_tag().await, withdrawn);

    // A restarted: the same directory version, root key, and the token still works.
    let root = a.root_key().await;
    drop(a);
    let a = start(&dir.path().join("a"), &store, &issuer);
    assert_eq!(a.directory_tag().await, withdrawn);
    assert_eq!(a.root_key().await, root);
    assert_eq!(a.coupon(reqwest::Method::PUT, &token).await, 200);
    assert_eq!(b.directory_tag().await, a.directory_tag().await);
}
