//! How techo-server reaches PostgreSQL: plain TCP only to loopback (or a Unix socket), TLS with
//! the server's certificate verified everywhere else (rustls, ring).
//!
//! Two URL parameters are the server's own and are taken out before the rest goes to
//! tokio-postgres: `sslmode` (`disable`, or `require` / `verify-full`, which both verify the
//! certificate and the host name: this server never accepts an unverified database) and
//! `sslrootcert` (a PEM file of the CA(s) to trust; without it, the web's public roots).

use super::api::StoreError;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;
use tokio_postgres::config::{Host, SslMode};

/// Where to connect, and the TLS configuration when the connection is encrypted.
pub(super) struct Target {
    pub config: tokio_postgres::Config,
    pub tls: Option<rustls::ClientConfig>,
}

fn config_error(why: impl std::fmt::Display) -> StoreError {
    StoreError::Config(format!("--store postgres://…: {why}"))
}

fn is_loopback(config: &tokio_postgres::Config) -> bool {
    config.get_hosts().iter().all(|h| match h {
        Host::Tcp(name) => matches!(name.as_str(), "127.0.0.1" | "localhost" | "::1"),
        Host::Unix(_) => true,
    })
}

/// The URL without the server's own parameters, and their values.
fn split_own(url: &str) -> (String, Option<String>, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None, None);
    };
    let (mut mode, mut root, mut rest) = (None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(v)
            .decode_utf8_lossy()
            .into_owned();
        match k {
            "sslmode" => mode = Some(value),
            "sslrootcert" => root = Some(value),
            _ => rest.push(pair),
        }
    }
    let url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, mode, root)
}

fn roots(path: Option<&str>) -> Result<rustls::RootCertStore, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    match path {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| config_error(format!("sslrootcert {path}: {e}")))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| config_error(format!("sslrootcert {path}: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| config_error(format!("sslrootcert {path}: {e}")))?;
            }
            if roots.is_empty() {
                return Err(config_error(format!(
                    "sslrootcert {path} holds no certificate"
                )));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(roots)
}

/// Reads `--store postgres://…`: TLS (verified) unless the database is on loopback and the
/// URL does not ask for it; a database elsewhere without TLS is refused.
pub(super) fn target(url: &str) -> Result<Target, StoreError> {
    let (url, mode, root) = split_own(url);
    let mut config: tokio_postgres::Config = url.parse().map_err(config_error)?;
    let loopback = is_loopback(&config);
    let tls = match mode.as_deref() {
        Some("disable") if loopback => false,
        Some("disable") => {
            return Err(config_error(
                "sslmode=disable is allowed only for a database on loopback or a Unix socket: use sslmode=verify-full (and sslrootcert= for a private CA)",
            ));
        }
        None => !loopback,
        Some("require" | "verify-full") => true,
        Some(other) => {
            return Err(config_error(format!(
                "sslmode={other}: use verify-full (or disable, on loopback only)"
            )));
        }
    };
    if !tls {
        config.ssl_mode(SslMode::Disable);
        return Ok(Target { config, tls: None });
    }
    config.ssl_mode(SslMode::Require);
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(config_error)?
    .with_root_certificates(roots(root.as_deref())?)
    .with_no_client_auth();
    Ok(Target {
        config,
        tls: Some(client),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls_of(url: &str) -> Result<bool, StoreError> {
        target(url).map(|t| t.tls.is_some())
    }

    #[test]
    fn loopback_may_be_plain_and_everything_else_is_verified_tls() {
        assert_eq!(tls_of("postgres://techo@127.0.0.1:5432/techo"), Ok(false));
        assert_eq!(
            tls_of("postgres://techo@localhost/techo?sslmode=disable"),
            Ok(false)
        );
        assert_eq!(
            tls_of("postgres://techo@127.0.0.1/techo?sslmode=verify-full"),
            Ok(true)
        );
        assert_eq!(tls_of("postgres://techo@db.internal/techo"), Ok(true));
        assert_eq!(
            tls_of("postgres://techo@db.internal/techo?sslmode=require&application_name=techo"),
            Ok(true)
        );
        let refused = tls_of("postgres://techo@db.internal/techo?sslmode=disable").unwrap_err();
        assert!(refused.to_string().contains("verify-full"), "{refused}");
        let prefer = tls_of("postgres://techo@db.internal/techo?sslmode=prefer").unwrap_err();
        assert!(prefer.to_string().contains("verify-full"), "{prefer}");
        let missing = tls_of("postgres://techo@db.internal/techo?sslrootcert=/nonexistent/ca.pem")
            .unwrap_err();
        assert!(
            missing.to_string().contains("/nonexistent/ca.pem"),
            "{missing}"
        );
    }

    #[test]
    fn the_servers_own_parameters_are_taken_out() {
        let (url, mode, root) = split_own(
            "postgres://u@h/db?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        );
        assert_eq!(url, "postgres://u@h/db?application_name=x");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/etc/ca.pem"));
    }
}
