//! A throw-away test PKI made at start with rcgen, and TLS plumbing on rustls with the ring
//! provider: server certificates for 127.0.0.1, a client certificate for techo-server's mutual
//! TLS to the portal, and an HTTPS server loop for axum routers.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot make test certificates: {0}")]
    Certificates(String),
    #[error("TLS configuration failed: {0}")]
    Config(String),
}

/// A leaf certificate with its key.
pub struct Leaf {
    pub cert: CertificateDer<'static>,
    key: Vec<u8>,
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Leaf(key hidden)")
    }
}

impl Leaf {
    fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()))
    }
}

/// The test CA and every certificate the loopback setup needs.
#[derive(Debug)]
pub struct TestPki {
    pub ca_pem: String,
    pub ca_der: CertificateDer<'static>,
    /// Server certificate for 127.0.0.1 / localhost (both servers use it).
    pub server: Leaf,
    /// techo-server's client certificate for the portal's provider API.
    pub provider_client: Leaf,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn err(e: impl std::fmt::Display) -> TlsError {
    TlsError::Certificates(e.to_string())
}

impl TestPki {
    pub fn generate() -> Result<Self, TlsError> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Techo loopback test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(err)?)
            .map_err(err)?;

        let leaf = |cn: &str, eku: ExtendedKeyUsagePurpose| -> Result<Leaf, TlsError> {
            let mut p = CertificateParams::new(vec!["localhost".to_owned()]).map_err(err)?;
            p.subject_alt_names
                .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
            p.distinguished_name.push(DnType::CommonName, cn);
            p.extended_key_usages = vec![eku];
            let key = KeyPair::generate().map_err(err)?;
            let cert = p.signed_by(&key, &ca).map_err(err)?;
            Ok(Leaf {
                cert: cert.der().clone(),
                key: key.serialize_der(),
            })
        };
        Ok(Self {
            ca_pem: ca.pem(),
            ca_der: ca.der().clone(),
            server: leaf("localhost", ExtendedKeyUsagePurpose::ServerAuth)?,
            provider_client: leaf(
                techo_core::portal::dto::TECHO_SERVICE_ID,
                ExtendedKeyUsagePurpose::ClientAuth,
            )?,
        })
    }

    fn roots(&self) -> Result<RootCertStore, TlsError> {
        let mut roots = RootCertStore::empty();
        roots
            .add(self.ca_der.clone())
            .map_err(|e| TlsError::Config(e.to_string()))?;
        Ok(roots)
    }

    /// HTTPS server, no client certificate.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, TlsError> {
        let cfg = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![self.server.cert.clone()], self.server.key())
            .map_err(|e| TlsError::Config(e.to_string()))?;
        Ok(Arc::new(cfg))
    }

    /// HTTPS server that requires a client certificate from the test CA (mutual TLS).
    pub fn mtls_server_config(&self) -> Result<Arc<ServerConfig>, TlsError> {
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(self.roots()?), provider())
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
        let cfg = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![self.server.cert.clone()], self.server.key())
            .map_err(|e| TlsError::Config(e.to_string()))?;
        Ok(Arc::new(cfg))
    }

    /// Client trusting only the test CA; with `client_cert`, it presents techo-server's.
    pub fn client_config(&self, client_cert: bool) -> Result<ClientConfig, TlsError> {
        let b = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_root_certificates(self.roots()?);
        let cfg = if client_cert {
            b.with_client_auth_cert(
                vec![self.provider_client.cert.clone()],
                self.provider_client.key(),
            )
            .map_err(|e| TlsError::Config(e.to_string()))?
        } else {
            b.with_no_client_auth()
        };
        Ok(cfg)
    }
}

/// A running HTTPS server.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub task: JoinHandle<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What one listener allows its clients, so that idle or slow clients cannot hold the server.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections served at once; beyond it new ones wait in the kernel's queue instead of
    /// taking file descriptors (and are served as soon as a slot frees).
    pub max_connections: usize,
    /// Time a client has to finish the TLS handshake.
    pub handshake: Duration,
    /// Time a client has to send a request's headers, also while a kept-alive connection idles.
    pub headers: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 512,
            handshake: Duration::from_secs(10),
            headers: Duration::from_secs(10),
        }
    }
}

/// Serves `router` over TLS on 127.0.0.1 (port 0: an ephemeral port), with the default limits.
pub async fn serve(
    router: axum::Router,
    config: Arc<ServerConfig>,
    port: u16,
) -> std::io::Result<Running> {
    serve_with(router, config, port, ConnectionLimits::default()).await
}

/// Serves `router` over TLS on 127.0.0.1 with the given connection limits.
pub async fn serve_with(
    router: axum::Router,
    config: Arc<ServerConfig>,
    port: u16,
    limits: ConnectionLimits,
) -> std::io::Result<Running> {
    let listener =
        TcpListener::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)).await?;
    let addr = listener.local_addr()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let task = tokio::spawn(async move {
        loop {
            // A slot first: at the cap, connections queue in the kernel, not in our descriptors.
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let (tcp, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or a reset before accept: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let router = router.clone();
            tokio::spawn(async move {
                let _slot = slot;
                let tls = match tokio::time::timeout(limits.handshake, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(_)) => {
                        tracing::debug!(%peer, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake too slow");
                        return;
                    }
                };
                // Each request of this connection knows the client's address (rate limits).
                let router = router.layer(axum::Extension(crate::hardening::PeerAddr(peer.ip())));
                let service = hyper_util::service::TowerToHyperService::new(router);
                let mut builder = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                );
                builder
                    .http1()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(limits.headers);
                if let Err(e) = builder
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await
                {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
            });
        }
    });
    Ok(Running { addr, task })
}
