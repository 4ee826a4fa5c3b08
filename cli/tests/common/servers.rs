//! techo-server and the portal simulator on loopback for CLI tests, with the endpoints file the
//! CLI reads.
#![allow(dead_code, clippy::unwrap_used)]

use super::repo;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use techo_core::FixedClock;
use techo_core::card::JpkiTrust;
use techo_server::endpoints::Endpoints;
use techo_server::portal::records::Records;
use techo_server::{Portal, ServerConfig, TechoServer, TestPki};

pub struct Servers {
    pub pki: TestPki,
    pub portal: Portal,
    pub server: TechoServer,
    pub endpoints: PathBuf,
}

/// Starts both on `clock`, the server's data in `dir/server`, its configuration adjusted by
/// `edit`; writes `dir/endpoints.json` with `admin` as the admin token.
pub async fn start(
    dir: &Path,
    clock: Arc<FixedClock>,
    admin: &str,
    edit: impl FnOnce(&mut ServerConfig),
) -> Servers {
    let pki = TestPki::generate().unwrap();
    let jpki = JpkiTrust::new(vec![
        std::fs::read(repo("fixtures/cards/ca/ca.crt.der")).unwrap(),
    ])
    .unwrap();
    let records = Records::load(&repo("fixtures/portal/records.json")).unwrap();
    let portal = Portal::start(&pki, clock.clone(), jpki, records)
        .await
        .unwrap();
    let mut config = ServerConfig::for_portal(dir.join("server"), &portal, admin);
    edit(&mut config);
    let server = TechoServer::start(&pki, clock, config).await.unwrap();
    let endpoints = dir.join("endpoints.json");
    Endpoints {
        server: server.url(),
        portal: portal.holder.url(),
        portal_provider: portal.provider.url(),
        ca_pem: pki.ca_pem.clone(),
        admin_token: admin.into(),
    }
    .write(&endpoints)
    .unwrap();
    Servers {
        pki,
        portal,
        server,
        endpoints,
    }
}
