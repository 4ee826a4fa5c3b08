//! techo-server (linkage and credential issuing) and the Myna Portal simulator. Both run on
//! 127.0.0.1 with TLS; tests, the demo and the binaries start them in-process.

pub mod bin_support;
pub mod endpoints;
pub mod hardening;
pub mod issuer;
pub mod portal;
pub mod tls;

pub use issuer::{ServerConfig, TechoServer};
pub use portal::{Knobs, Portal};
pub use tls::TestPki;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot listen on 127.0.0.1: {0}")]
    Listen(#[from] std::io::Error),
    #[error("the server store at {path} cannot be opened: {why}")]
    Store { path: String, why: String },
    #[error("the issuer keys cannot be opened: {0}")]
    Keys(#[from] issuer::keys::KeysError),
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
    #[error(
        "the admin token must be at least {} characters: leave it to the server to generate one",
        issuer::ServerConfig::MIN_ADMIN_TOKEN
    )]
    WeakAdminToken,
}
