//! The phone's HTTPS calls to a site: fetch the request a link points to (and check it), post
//! the answer, read the site's reply.

use super::error::SiteError;
use super::link::parse_link;
use super::request::SiteRequest;
use super::response::{SiteReply, SiteResponse};
use chrono::{DateTime, Utc};
use reqwest::Url;

/// Largest request or reply read from a site.
const MAX_BODY: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct SiteClient {
    http: reqwest::Client,
}

impl SiteClient {
    /// A client trusting `root_pem` only (a test site's CA, or a site pinned by configuration).
    pub fn new(root_pem: &str, timeout: std::time::Duration) -> Result<Self, SiteError> {
        let tls = crate::portal::client::client_tls(root_pem)
            .map_err(|e| SiteError::Unreachable(e.to_string()))?;
        Self::with_tls(tls, timeout)
    }

    /// A client for booking sites on the public web: the web's root certificates (Mozilla's
    /// list, built in, so every phone trusts the same roots whatever its vendor installed).
    pub fn for_the_web(timeout: std::time::Duration) -> Result<Self, SiteError> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| SiteError::Unreachable(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Self::with_tls(tls, timeout)
    }

    fn with_tls(
        tls: rustls::ClientConfig,
        timeout: std::time::Duration,
    ) -> Result<Self, SiteError> {
        // A site must not bounce the phone to another origin: no redirects.
        let http = crate::http::client(tls, timeout, false)
            .map_err(|e| SiteError::Unreachable(e.to_string()))?;
        Ok(Self { http })
    }

    async fn read(resp: reqwest::Response) -> Result<(u16, Vec<u8>), SiteError> {
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| SiteError::Unreachable(e.to_string()))?;
        if bytes.len() > MAX_BODY {
            return Err(SiteError::BadRequest("the site sent too much".into()));
        }
        Ok((status, bytes.to_vec()))
    }

    /// Follows a site link: fetches the request and runs the phone's checks on it.
    pub async fn fetch_request(
        &self,
        link: &str,
        now: DateTime<Utc>,
    ) -> Result<SiteRequest, SiteError> {
        let url: Url = parse_link(link)?;
        let resp = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| SiteError::Unreachable(e.without_url().to_string()))?;
        let (status, body) = Self::read(resp).await?;
        if status != 200 {
            return Err(match serde_json::from_slice::<SiteReply>(&body) {
                Ok(r) if r.code == "request_expired" => SiteError::RequestExpired,
                Ok(r) => SiteError::SiteRefused(r.message_en),
                Err(_) => SiteError::SiteRefused(format!("HTTP {status}")),
            });
        }
        let request: SiteRequest =
            serde_json::from_slice(&body).map_err(|e| SiteError::BadRequest(e.to_string()))?;
        request.check(&url, now)?;
        Ok(request)
    }

    /// Posts the answer to the request's `response_uri`; a refusal comes back as the site's
    /// reply (with `accepted == false`), not as an error.
    pub async fn post(
        &self,
        request: &SiteRequest,
        response: &SiteResponse,
    ) -> Result<SiteReply, SiteError> {
        self.post_raw(
            &request.response_uri,
            &serde_json::to_vec(response).map_err(|e| SiteError::BadRequest(e.to_string()))?,
        )
        .await
    }

    /// Posts bytes as an answer (also how a test replays a captured answer).
    pub async fn post_raw(&self, response_uri: &str, body: &[u8]) -> Result<SiteReply, SiteError> {
        let resp = self
            .http
            .post(response_uri)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| SiteError::Unreachable(e.without_url().to_string()))?;
        let (status, body) = Self::read(resp).await?;
        serde_json::from_slice(&body)
            .map_err(|_| SiteError::SiteRefused(format!("HTTP {status} without a reply")))
    }
}
