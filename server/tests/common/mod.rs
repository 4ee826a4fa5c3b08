//! A loopback world: test PKI, portal simulator, techo-server, a wallet and a software card,
//! all on one simulated clock.
#![allow(dead_code, clippy::unwrap_used)]

pub mod coupons;
pub mod hand;
pub mod hsm;

use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use techo_core::card::{JpkiTrust, LastTry, Pin};
use techo_core::model::HandbookDraft;
use techo_core::model::HandbookId;
use techo_core::portal::TechoClient;
use techo_core::store::{DataKey, StaticKeyProvider};
use techo_core::wallet::LinkOptions;
use techo_core::{FixedClock, Wallet};
use techo_server::issuer::store::StoreConfig;
use techo_server::portal::records::Records;
use techo_server::{Portal, ServerConfig, TechoServer, TestPki};
use techo_sim::{SimOptions, SoftCard};

pub fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub clock: Arc<FixedClock>,
    pub pki: TestPki,
    pub portal: Portal,
    pub server: TechoServer,
    pub wallet: Wallet,
    pub client: TechoClient,
    pub handbook: HandbookId,
}

pub const ADMIN: &str = "test-admin-token";

/// Support issues `operator` its token (`POST /v1/admin/operators/{id}/token`).
pub async fn operator_token(
    http: &reqwest::Client,
    server_url: &str,
    admin: &str,
    operator: &str,
) -> String {
    let body = json_of(
        http.post(format!("{server_url}/v1/admin/operators/{operator}/token"))
            .bearer_auth(admin),
    )
    .await;
    body["token"].as_str().unwrap().to_owned()
}

/// Sends `req` and reads its JSON answer, whatever the status.
pub async fn json_of(req: reqwest::RequestBuilder) -> serde_json::Value {
    req.send().await.unwrap().json().await.unwrap()
}

pub async fn start_server(
    pki: &TestPki,
    clock: Arc<FixedClock>,
    portal: &Portal,
    dir: &std::path::Path,
    timeout_ms: u64,
) -> TechoServer {
    start_server_on(
        pki,
        clock,
        portal,
        dir,
        timeout_ms,
        StoreConfig::default(),
        None,
    )
    .await
}

/// A server on the given store; `issuer_dir` shared by servers on one database.
pub async fn start_server_on(
    pki: &TestPki,
    clock: Arc<FixedClock>,
    portal: &Portal,
    dir: &std::path::Path,
    timeout_ms: u64,
    store: StoreConfig,
    issuer_dir: Option<PathBuf>,
) -> TechoServer {
    let cfg = config(portal, dir, timeout_ms, store, issuer_dir);
    TechoServer::start(pki, clock, cfg).await.unwrap()
}

/// The configuration tests start servers with (default rate and time limits).
pub fn config(
    portal: &Portal,
    dir: &std::path::Path,
    timeout_ms: u64,
    store: StoreConfig,
    issuer_dir: Option<PathBuf>,
) -> ServerConfig {
    ServerConfig {
        portal_timeout: std::time::Duration::from_millis(timeout_ms),
        store,
        issuer_dir,
        ..ServerConfig::for_portal(dir.to_owned(), portal, ADMIN)
    }
}

/// The portal simulator with the fixture records and the test JPKI CA.
pub async fn start_portal(pki: &TestPki, clock: Arc<FixedClock>) -> Portal {
    let trust = JpkiTrust::new(vec![
        std::fs::read(repo("fixtures/cards/ca/ca.crt.der")).unwrap(),
    ])
    .unwrap();
    let records = Records::load(&repo("fixtures/portal/records.json")).unwrap();
    Portal::start(pki, clock, trust, records).await.unwrap()
}

/// An HTTPS client trusting `ca_pem` only.
pub fn https(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(techo_core::portal::client::client_tls(ca_pem).unwrap())
        .build()
        .unwrap()
}

/// A database of its own for one test, on the live PostgreSQL `scripts/with-postgres` started
/// (TECHO_TEST_PG_URL); without one the test fails, it never passes silently.
pub async fn fresh_db(name: &str) -> String {
    let url = std::env::var("TECHO_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "this test needs a live PostgreSQL: run it with `bash scripts/with-postgres cargo test -p techo-server` (scripts/test does)"
        )
    });
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        client.batch_execute(&sql).await.unwrap();
    }
    format!("{}/{name}", url.rsplit_once('/').unwrap().0)
}

/// A portal and a sled server on loopback, the server's configuration adjusted by `edit`.
pub struct Loopback {
    pub dir: tempfile::TempDir,
    pub clock: Arc<FixedClock>,
    pub pki: TestPki,
    pub portal: Portal,
    pub server: TechoServer,
}

pub async fn loopback(timeout_ms: u64, edit: impl FnOnce(&mut ServerConfig)) -> Loopback {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(at("2026-11-26T03:00:00Z")));
    let pki = TestPki::generate().unwrap();
    let portal = start_portal(&pki, clock.clone()).await;
    let mut cfg = config(
        &portal,
        &dir.path().join("server"),
        timeout_ms,
        StoreConfig::default(),
        None,
    );
    edit(&mut cfg);
    let server = TechoServer::start(&pki, clock.clone(), cfg).await.unwrap();
    Loopback {
        dir,
        clock,
        pki,
        portal,
        server,
    }
}

/// Everything running, a wallet with fixture 01 (the handbook on card `yamada`).
pub async fn world(now: &str) -> World {
    world_on(now, StoreConfig::default()).await
}

/// [`world`] with the server on `store` (its issuer keys in `<dir>/issuer`).
pub async fn world_on(now: &str, store: StoreConfig) -> World {
    world_with(now, store, None).await
}

/// [`world_on`] with the wallet on `wallet_store` instead of its own sled store.
pub async fn world_with(
    now: &str,
    store: StoreConfig,
    wallet_store: Option<Box<dyn techo_core::store::Store>>,
) -> World {
    world_configured(now, store, wallet_store, |_| {}).await
}

/// [`world_with`] with the server's configuration adjusted by `edit`.
pub async fn world_configured(
    now: &str,
    store: StoreConfig,
    wallet_store: Option<Box<dyn techo_core::store::Store>>,
    edit: impl FnOnce(&mut ServerConfig),
) -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(at(now)));
    let pki = TestPki::generate().unwrap();
    let portal = start_portal(&pki, clock.clone()).await;
    let mut cfg = config(
        &portal,
        &dir.path().join("server"),
        1500,
        store,
        Some(dir.path().join("issuer")),
    );
    edit(&mut cfg);
    let server = TechoServer::start(&pki, clock.clone(), cfg).await.unwrap();
    let wallet = match wallet_store {
        Some(store) => Wallet::with_store(store, clock.clone()),
        None => Wallet::open(
            &dir.path().join("wallet"),
            &StaticKeyProvider::new(DataKey::from_bytes([9; 32])),
            clock.clone(),
        )
        .unwrap(),
    };
    let text =
        std::fs::read_to_string(repo("fixtures/handbooks/01-physical-1-tokyo.toml")).unwrap();
    let draft = HandbookDraft::from_toml(&text).unwrap();
    let photo = std::fs::read(repo("fixtures/handbooks/photos/yamada.png")).unwrap();
    let handbook = wallet.add(&draft, Some(&photo)).unwrap().id;
    let client = TechoClient::new(
        &server.url(),
        &pki.ca_pem,
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    World {
        dir,
        clock,
        pki,
        portal,
        server,
        wallet,
        client,
        handbook,
    }
}

/// A world on a fresh PostgreSQL database `name`, and a second server on the same database
/// with the same issuer keys (as a second process behind a load balancer would be), with an
/// app client for it.
pub async fn two_servers(now: &str, name: &str) -> (World, TechoServer, TechoClient) {
    let db = fresh_db(name).await;
    let store = StoreConfig::parse(&db).unwrap();
    let w = world_on(now, store.clone()).await;
    let b = start_server_on(
        &w.pki,
        w.clock.clone(),
        &w.portal,
        &w.dir.path().join("server-b"),
        1500,
        store,
        Some(w.dir.path().join("issuer")),
    )
    .await;
    let client_b =
        TechoClient::new(&b.url(), &w.pki.ca_pem, std::time::Duration::from_secs(10)).unwrap();
    (w, b, client_b)
}

impl World {
    /// Stops the server (and the app's pooled connections to it) and starts a new one on the
    /// same data folder, store and issuer keys, on a new port: what a restart leaves is what
    /// the store kept.
    pub async fn restart_server(&mut self, store: StoreConfig) {
        self.restart_server_with(store, |_| {}).await;
    }

    /// [`World::restart_server`] with the new server's configuration adjusted by `edit`.
    pub async fn restart_server_with(
        &mut self,
        store: StoreConfig,
        edit: impl FnOnce(&mut ServerConfig),
    ) {
        self.client = TechoClient::new(
            "https://127.0.0.1:9",
            &self.pki.ca_pem,
            std::time::Duration::from_secs(1),
        )
        .unwrap();
        let dir = self.dir.path().join("server");
        let issuer = Some(self.dir.path().join("issuer"));
        let spare = start_server(
            &self.pki,
            self.clock.clone(),
            &self.portal,
            &self.dir.path().join("spare"),
            1500,
        )
        .await;
        drop(std::mem::replace(&mut self.server, spare));
        let mut cfg = config(&self.portal, &dir, 1500, store, issuer);
        edit(&mut cfg);
        let again = TechoServer::start(&self.pki, self.clock.clone(), cfg)
            .await
            .unwrap();
        drop(std::mem::replace(&mut self.server, again));
        self.client = TechoClient::new(
            &self.server.url(),
            &self.pki.ca_pem,
            std::time::Duration::from_secs(10),
        )
        .unwrap();
    }

    pub fn card(&self, name: &str) -> SoftCard {
        SoftCard::open(
            &repo(&format!("fixtures/cards/{name}")),
            Some(&self.dir.path().join(format!("{name}.state"))),
            SimOptions {
                extended: true,
                ..SimOptions::default()
            },
        )
        .unwrap()
    }

    /// Support's revoke / suspend / reinstate for a handbook's linkage session.
    pub async fn admin(&self, handbook: &HandbookId, action: &str, reason: &str) {
        let session = self
            .wallet
            .get(handbook)
            .unwrap()
            .linkage
            .session()
            .unwrap()
            .to_owned();
        self.client
            .admin(
                ADMIN,
                &techo_core::portal::dto::AdminAction {
                    session_id: session,
                    action: action.into(),
                    reason: reason.into(),
                },
            )
            .await
            .unwrap();
    }

    /// Linkage options for the tests: small batches keep them fast.
    pub fn options() -> LinkOptions {
        LinkOptions {
            batch: 4,
            ..LinkOptions::default()
        }
    }

    pub async fn link(
        &self,
        card: &str,
        pin: &str,
    ) -> Result<techo_core::model::LinkageState, techo_core::linkage::LinkError> {
        let mut c = self.card(card);
        self.wallet
            .link(
                &self.client,
                &self.handbook,
                &mut c,
                &Pin::parse(pin).unwrap(),
                LastTry::Refuse,
                &Self::options(),
            )
            .await
    }

    /// 山田 links while the municipal servers are closed (the portal keeps office hours): the
    /// linkage is 申請中, which this returns.
    pub async fn link_while_closed(&self) -> techo_core::model::LinkageState {
        self.portal
            .state
            .update_knobs(|k| k.mode = techo_server::portal::hours::HoursMode::Municipal);
        let state = self.link("yamada", "1234").await.unwrap();
        assert!(
            matches!(state, techo_core::model::LinkageState::Pending { .. }),
            "{state:?}"
        );
        state
    }

    pub fn advance_to(&self, t: &str) {
        self.clock.set(at(t));
    }

    /// A client for a techo-server that is down (a loopback port nothing listens on).
    pub fn client_to_nowhere(&self) -> TechoClient {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        TechoClient::new(
            &format!("https://127.0.0.1:{port}"),
            &self.pki.ca_pem,
            std::time::Duration::from_secs(2),
        )
        .unwrap()
    }
}

/// Every file under `dir` (recursively) whose bytes contain `needle`.
pub fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle)
        {
            found.push(path);
        }
    }
    found
}
