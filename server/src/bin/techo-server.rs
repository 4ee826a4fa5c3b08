//! Runs the Myna Portal simulator and techo-server on 127.0.0.1 until interrupted, and writes
//! `<data-dir>/endpoints.json` for `techo link` / `techo status` / `techo unlink`.

use std::path::PathBuf;
use std::sync::Arc;
use techo_core::card::JpkiTrust;
use techo_server::bin_support::{self, arg};
use techo_server::endpoints::Endpoints;
use techo_server::issuer::keys::KeyConfig;
use techo_server::issuer::store::StoreConfig;
use techo_server::portal::hours::HoursMode;
use techo_server::portal::records::Records;
use techo_server::{Portal, ServerConfig, TechoServer, TestPki};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    bin_support::main(
        "techo-server",
        "techo-server --data-dir DIR [--records fixtures/portal/records.json] [--jpki-ca fixtures/cards/ca/ca.crt.der] [--portal-hours municipal|always] [--consent-days N] [--proxy PRINCIPAL=AGENT:RELATIONSHIP,...] [--directory fixtures/policies] [--store sled:DIR|postgres://USER@127.0.0.1:PORT/DB] [--issuer-dir DIR] [--keys files|pkcs11:module=LIB;token=LABEL;pin-file=FILE] [--status-lists loopback|production] [--min-token-version N] [--web-verifier web/verifier]",
        |args| async move { run(&args).await },
    )
    .await
}

fn hours(args: &[String]) -> Result<HoursMode, String> {
    match arg(args, "--portal-hours").as_deref() {
        Some("municipal") => Ok(HoursMode::Municipal),
        None | Some("always") => Ok(HoursMode::AlwaysOpen),
        Some(other) => Err(format!(
            "--portal-hours must be municipal or always, not {other}"
        )),
    }
}

/// How status lists are cut and published (`--status-lists`): `loopback` (the default: lists of
/// 2^16, every change out at once) or `production` (lists of 2^22, changes out within 10 s).
fn status_publishing(
    args: &[String],
) -> Result<techo_server::issuer::status_lists::StatusPublishing, String> {
    use techo_server::issuer::status_lists::StatusPublishing;
    match arg(args, "--status-lists").as_deref() {
        None | Some("loopback") => Ok(StatusPublishing::LOOPBACK),
        Some("production") => Ok(StatusPublishing::PRODUCTION),
        Some(other) => Err(format!(
            "--status-lists must be loopback or production, not {other}"
        )),
    }
}

/// `--min-token-version N`: the oldest display-token version the trust list accepts.
fn min_token_version(args: &[String]) -> Result<Option<u32>, String> {
    arg(args, "--min-token-version")
        .map(|v| {
            v.parse()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| format!("--min-token-version takes 1 to 1000, not {v}"))
        })
        .transpose()
}

/// Where the issuer keys are (`--keys`): files in the issuer folder (default) or an HSM.
fn key_config(args: &[String]) -> Result<KeyConfig, String> {
    arg(args, "--keys").map_or(Ok(KeyConfig::Files), |k| {
        KeyConfig::parse(&k).map_err(|e| e.to_string())
    })
}

/// The consented period the simulated portal grants (`--consent-days`, a year by default).
fn consent_days(args: &[String]) -> Result<i64, String> {
    match arg(args, "--consent-days") {
        None => Ok(365),
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=3650).contains(d))
            .ok_or_else(|| format!("--consent-days takes 1 to 3650 days, not {d}")),
    }
}

/// `--proxy`: proxy settings as the municipal office registers them (simulated 代理人設定), for a
/// year.
fn register_proxies(
    args: &[String],
    portal: &Portal,
    clock: &dyn techo_core::Clock,
) -> Result<(), String> {
    for entry in arg(args, "--proxy").iter().flat_map(|v| v.split(',')) {
        let parsed = entry.split_once('=').and_then(|(principal, rest)| {
            let (agent, rel) = rest.split_once(':')?;
            Some((
                principal,
                agent,
                techo_core::model::Relationship::parse(rel)?,
            ))
        });
        let Some((principal, agent, relationship)) = parsed else {
            return Err(format!(
                "--proxy takes PRINCIPAL=AGENT:RELATIONSHIP (parent, legal_guardian, other), not {entry}"
            ));
        };
        portal.state.register_proxy(
            principal,
            agent,
            relationship,
            clock.now() + chrono::Duration::days(365),
        );
    }
    Ok(())
}

async fn run(args: &[String]) -> Result<(), String> {
    let data_dir = PathBuf::from(arg(args, "--data-dir").ok_or("--data-dir is required")?);
    let records = PathBuf::from(
        arg(args, "--records").unwrap_or_else(|| "fixtures/portal/records.json".into()),
    );
    let ca = PathBuf::from(
        arg(args, "--jpki-ca").unwrap_or_else(|| "fixtures/cards/ca/ca.crt.der".into()),
    );
    let hours = hours(args)?;
    techo_core::private_file::private_dir(&data_dir).map_err(|e| e.to_string())?;
    let clock: Arc<dyn techo_core::Clock> = Arc::new(techo_core::SystemClock);
    let pki = TestPki::generate().map_err(|e| e.to_string())?;
    let trust = JpkiTrust::new(vec![
        std::fs::read(&ca).map_err(|e| format!("{}: {e}", ca.display()))?,
    ])
    .map_err(|e| e.to_string())?;
    let portal = Portal::start(&pki, clock.clone(), trust, Records::load(&records)?)
        .await
        .map_err(|e| e.to_string())?;
    let consent_days = consent_days(args)?;
    portal.state.update_knobs(|k| {
        k.mode = hours;
        k.consent_days = consent_days;
    });
    register_proxies(args, &portal, clock.as_ref())?;
    let admin_token = techo_core::hex::random(24);
    let server = TechoServer::start(
        &pki,
        clock,
        ServerConfig {
            portal_timeout: std::time::Duration::from_secs(30),
            retry_every: Some(std::time::Duration::from_secs(5)),
            store: match arg(args, "--store") {
                Some(s) => StoreConfig::parse(&s).map_err(|e| e.to_string())?,
                None => StoreConfig::default(),
            },
            issuer_dir: arg(args, "--issuer-dir").map(PathBuf::from),
            keys: key_config(args)?,
            status: status_publishing(args)?,
            // The staff verifier page (`scripts/web-verifier-build` makes its WebAssembly).
            web_verifier: Some(PathBuf::from(
                arg(args, "--web-verifier").unwrap_or_else(|| "web/verifier".into()),
            ))
            .filter(|d| d.join("index.html").exists()),
            ..ServerConfig::for_portal(data_dir.join("server"), &portal, admin_token.clone())
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    // The oldest display-token format accepted (the trust list's minimum): older apps say
    // "update the app".
    if let Some(version) = min_token_version(args)? {
        server.state.set_min_token_version(version).await?;
    }
    // The operator directory, from the policy files (illustrative ones in the fixtures).
    let directory =
        PathBuf::from(arg(args, "--directory").unwrap_or_else(|| "fixtures/policies".into()));
    if let Ok(entries) = std::fs::read_dir(&directory) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                server
                    .state
                    .publish_operator(&text)
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    let endpoints = Endpoints {
        server: server.url(),
        portal: portal.holder.url(),
        portal_provider: portal.provider.url(),
        ca_pem: pki.ca_pem.clone(),
        admin_token,
    };
    let file = data_dir.join("endpoints.json");
    endpoints.write(&file).map_err(|e| e.to_string())?;
    println!(
        "techo-server {}  portal {}  (endpoints in {})",
        endpoints.server,
        endpoints.portal,
        file.display()
    );
    std::future::pending::<()>().await;
    Ok(())
}
