//! Runs the reference booking site on 127.0.0.1 until interrupted. It checks presentations
//! against the trust and status lists of a running techo-server (`--endpoints`), and writes
//! `--info FILE` (its URL and TLS CA) for the phone side (`techo site answer --site-info FILE`).

use std::path::PathBuf;
use std::sync::Arc;
use techo_booking_site::{BookingSite, Lists, Options};
use techo_server::bin_support::{self, arg};
use techo_server::endpoints::Endpoints;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    bin_support::main(
        "techo-booking-site",
        "techo-booking-site --endpoints DIR/endpoints.json [--port N] [--signing-ca fixtures/cards/ca-sign/ca.crt.der] [--info FILE]",
        |args| async move { run(&args).await },
    )
    .await
}

async fn run(args: &[String]) -> Result<(), String> {
    let endpoints = Endpoints::read(&PathBuf::from(
        arg(args, "--endpoints").ok_or("--endpoints is required (techo-server writes it)")?,
    ))?;
    let port = match arg(args, "--port") {
        Some(p) => p.parse().map_err(|_| format!("--port: not a port: {p}"))?,
        None => 0,
    };
    let ca_path = PathBuf::from(
        arg(args, "--signing-ca").unwrap_or_else(|| "fixtures/cards/ca-sign/ca.crt.der".into()),
    );
    let signing_ca = std::fs::read(&ca_path).map_err(|e| format!("{}: {e}", ca_path.display()))?;
    let client = techo_core::portal::TechoClient::new(
        &endpoints.server,
        &endpoints.ca_pem,
        std::time::Duration::from_secs(10),
    )
    .map_err(|e| e.to_string())?;
    let site = BookingSite::start(Options {
        lists: Lists::Server(client),
        signing_ca: Some(signing_ca),
        clock: Arc::new(techo_core::SystemClock),
        port,
    })
    .await
    .map_err(|e| e.to_string())?;
    if let Some(info) = arg(args, "--info") {
        let text = serde_json::json!({
            "url": site.url,
            "ca_pem": site.ca_pem,
            "spki_sha256": site.spki_sha256,
        });
        // Written whole, then renamed: a reader never sees half a file.
        let partial = format!("{info}.partial");
        std::fs::write(&partial, text.to_string()).map_err(|e| format!("{partial}: {e}"))?;
        std::fs::rename(&partial, &info).map_err(|e| format!("{info}: {e}"))?;
    }
    println!("booking site: {}", site.url);
    // Serves until the process is stopped.
    std::future::pending::<()>().await;
    Ok(())
}
