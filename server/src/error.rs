//! The errors of serving on loopback, shared by techo-server and the portal simulator.

use crate::tls;

/// Why a server (techo-server or the portal simulator) could not serve: TLS, the socket, or
/// its HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot listen on 127.0.0.1: {0}")]
    Listen(#[from] std::io::Error),
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
}
