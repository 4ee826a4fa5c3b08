//! techo-server (linkage and credential issuing) and the Myna Portal simulator. Both run on
//! 127.0.0.1 with TLS; tests, the demo and the binaries start them in-process.

pub mod bin_support;
pub mod endpoints;
pub mod error;
pub mod hardening;
pub mod issuer;
pub mod portal;
pub mod responses;
pub mod tls;

pub use error::ServerError;
pub use issuer::startup::StartError;
pub use issuer::{ServerConfig, TechoServer};
pub use portal::{Knobs, Portal};
pub use tls::TestPki;
