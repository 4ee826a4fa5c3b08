//! The app's HTTPS client for techo-server and the portal's holder API (reqwest on rustls with
//! the ring provider). Timeouts and refusals come back as typed errors.

use super::dto::{
    AdminAction, ApiError, ChallengeRequest, ChallengeResponse, ConsentRequest, ConsentResponse,
    LinkageStatus, RenewRequest, StartLinkage, StartedLinkage, SubmitCode, TECHO_SERVICE_ID,
};
use crate::token::{PublicKey, StatusList, TrustList};
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach {0}: check the connection and try again / サーバーに接続できません")]
    Unreachable(String),
    #[error("{0} did not answer in time: try again later / 応答がありません")]
    Timeout(String),
    #[error("{error}: {message}")]
    Refused {
        status: u16,
        error: String,
        message: String,
    },
    #[error("the server answered something Techo cannot read: update the app / 応答を読めません")]
    Malformed,
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error(
        "{0} is not an https URL: Techo sends nothing in clear; check the server setting / https 以外のサーバーには接続しません"
    )]
    NotHttps(String),
    #[error(
        "techo-server sent the phone to {0}, not to the portal this app knows: nothing was signed; report it / 不明なポータルへの接続を中止しました"
    )]
    UnknownPortal(String),
    #[error(
        "the server's trust or status list does not verify ({0}): do not trust presentations checked with it / 失効情報を検証できません"
    )]
    Untrusted(String),
    #[error(
        "techo-server offered status list {list} at version {offered}, older than the version {held} held: the list held is kept; report it to Techo support / 古い失効情報を拒否しました"
    )]
    StatusRollback { list: u32, held: u64, offered: u64 },
}

#[derive(Debug, Clone)]
pub struct TechoClient {
    pub(super) http: reqwest::Client,
    pub(super) server: String,
    /// The portal's origin the card may answer to; `None`: any https portal techo-server names.
    portal: Option<String>,
    /// Requests sent so far (shared by clones).
    requests: Arc<std::sync::atomic::AtomicU64>,
}

/// `https://host[:port]` of an https URL; anything else is refused, loopback included (the
/// loopback servers speak TLS too, so no exception is needed).
pub fn https_origin(url: &str) -> Result<String, ClientError> {
    let not_https = || ClientError::NotHttps(url.chars().take(200).collect());
    let rest = url.strip_prefix("https://").ok_or_else(not_https)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err(not_https());
    }
    Ok(format!("https://{}", authority.to_ascii_lowercase()))
}

/// A rustls client config that trusts `extra_root_pem` (the loopback test CA) and nothing else
/// when given, else the usual web roots are not bundled: an explicit root is required.
pub fn client_tls(root_pem: &str) -> Result<rustls::ClientConfig, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(root_pem.as_bytes()) {
        let cert = cert.map_err(|e| ClientError::Tls(e.to_string()))?;
        roots
            .add(cert)
            .map_err(|e| ClientError::Tls(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(ClientError::Tls("no root certificate in the PEM".into()));
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
}

impl TechoClient {
    pub fn new(
        server: &str,
        root_pem: &str,
        timeout: std::time::Duration,
    ) -> Result<Self, ClientError> {
        https_origin(server)?;
        let http = crate::http::client(client_tls(root_pem)?, timeout, true)
            .map_err(|e| ClientError::Tls(e.to_string()))?;
        Ok(Self {
            http,
            server: server.trim_end_matches('/').to_owned(),
            portal: None,
            requests: Arc::default(),
        })
    }

    /// Pins the portal: the card signs a challenge only from this origin, whatever URL
    /// techo-server hands out (a server that is not ours cannot relay a card signature).
    pub fn pin_portal(mut self, portal: &str) -> Result<Self, ClientError> {
        self.portal = Some(https_origin(portal)?);
        Ok(self)
    }

    /// The portal URL techo-server named, checked: https, and the pinned origin when there is one.
    fn portal_url(&self, portal: &str) -> Result<String, ClientError> {
        let origin = https_origin(portal)?;
        if self.portal.as_ref().is_some_and(|pinned| *pinned != origin) {
            return Err(ClientError::UnknownPortal(origin));
        }
        Ok(portal.trim_end_matches('/').to_owned())
    }

    /// How many requests this client (and its clones) has sent: for diagnostics, and for the
    /// linkage tests that show none is sent while the card is held.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn count_request(&self) {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<T, ClientError> {
        self.count_request();
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                ClientError::Timeout(what.into())
            } else {
                ClientError::Unreachable(what.into())
            }
        })?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|_| ClientError::Unreachable(what.into()))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|_| ClientError::Malformed);
        }
        let body: Option<ApiError> = serde_json::from_slice(&bytes).ok();
        Err(ClientError::Refused {
            status: status.as_u16(),
            error: body
                .as_ref()
                .map_or_else(|| "http_error".into(), |b| b.error.clone()),
            message: body.map_or_else(|| status.to_string(), |b| b.message),
        })
    }

    async fn send_bytes(&self, url: String, what: &str) -> Result<Vec<u8>, ClientError> {
        self.fetch(self.http.get(url), what)
            .await?
            .ok_or(ClientError::Malformed)
    }

    /// The body of a GET; `None` for 304 Not Modified.
    pub(super) async fn fetch(
        &self,
        req: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<Option<Vec<u8>>, ClientError> {
        self.count_request();
        let resp = req
            .send()
            .await
            .map_err(|_| ClientError::Unreachable(what.into()))?;
        if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(ClientError::Refused {
                status: resp.status().as_u16(),
                error: "http_error".into(),
                message: what.into(),
            });
        }
        resp.bytes()
            .await
            .map(|b| Some(b.to_vec()))
            .map_err(|_| ClientError::Unreachable(what.into()))
    }

    pub async fn start(&self, req: &StartLinkage) -> Result<StartedLinkage, ClientError> {
        self.send(
            self.http
                .post(format!("{}/v1/linkage-sessions", self.server))
                .json(req),
            "techo-server",
        )
        .await
    }

    pub async fn submit_code(
        &self,
        session: &str,
        code: &str,
    ) -> Result<LinkageStatus, ClientError> {
        let body = SubmitCode {
            code: code.to_owned(),
        };
        self.send(
            self.http
                .post(format!(
                    "{}/v1/linkage-sessions/{session}/code",
                    self.server
                ))
                .json(&body),
            "techo-server",
        )
        .await
    }

    /// A fresh batch under the standing consent (see [`RenewRequest`]). `Pending` means the
    /// portal could not answer now: nothing changed, the current credentials stay.
    pub async fn renew(
        &self,
        session: &str,
        req: &RenewRequest,
    ) -> Result<LinkageStatus, ClientError> {
        self.send(
            self.http
                .post(format!(
                    "{}/v1/linkage-sessions/{session}/renew",
                    self.server
                ))
                .json(req),
            "techo-server",
        )
        .await
    }

    pub async fn status(&self, session: &str) -> Result<LinkageStatus, ClientError> {
        self.send(
            self.http
                .get(format!("{}/v1/linkage-sessions/{session}", self.server)),
            "techo-server",
        )
        .await
    }

    /// The status, waited for while 申請中: the server answers as soon as the portal's answer is
    /// stored, or after `wait` (at most 50 s) with the session still pending.
    pub async fn status_waiting(
        &self,
        session: &str,
        wait: std::time::Duration,
    ) -> Result<LinkageStatus, ClientError> {
        let secs = wait.as_secs().min(50);
        self.send(
            self.http
                .get(format!(
                    "{}/v1/linkage-sessions/{session}?wait={secs}",
                    self.server
                ))
                .timeout(std::time::Duration::from_secs(secs + 15)),
            "techo-server",
        )
        .await
    }

    pub async fn acknowledge(&self, session: &str) -> Result<(), ClientError> {
        self.count_request();
        let resp = self
            .http
            .post(format!("{}/v1/linkage-sessions/{session}/ack", self.server))
            .send()
            .await
            .map_err(|_| ClientError::Unreachable("techo-server".into()))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(ClientError::Malformed)
        }
    }

    pub async fn withdraw(&self, session: &str) -> Result<LinkageStatus, ClientError> {
        self.send(
            self.http.post(format!(
                "{}/v1/linkage-sessions/{session}/withdraw",
                self.server
            )),
            "techo-server",
        )
        .await
    }

    /// The portal's holder API: a challenge for the card to sign.
    pub async fn portal_challenge(&self, portal: &str) -> Result<ChallengeResponse, ClientError> {
        let portal = self.portal_url(portal)?;
        let body = ChallengeRequest {
            service_id: TECHO_SERVICE_ID.into(),
        };
        self.send(
            self.http
                .post(format!("{portal}/portal/v1/auth/challenge"))
                .json(&body),
            "the portal",
        )
        .await
    }

    /// The portal's holder API: the signed challenge and the consent; returns the one-time code.
    pub async fn portal_consent(
        &self,
        portal: &str,
        req: &ConsentRequest,
    ) -> Result<ConsentResponse, ClientError> {
        let portal = self.portal_url(portal)?;
        self.send(
            self.http
                .post(format!("{portal}/portal/v1/auth/consent"))
                .json(req),
            "the portal",
        )
        .await
    }

    pub async fn trust_list(&self) -> Result<Vec<u8>, ClientError> {
        self.send_bytes(format!("{}/v1/trust-list", self.server), "techo-server")
            .await
    }

    pub async fn status_list(&self, list: u32) -> Result<Vec<u8>, ClientError> {
        self.send_bytes(
            format!("{}/v1/status-lists/{list}", self.server),
            "techo-server",
        )
        .await
    }

    /// What a verifier needs from techo-server: the trust list checked against the server's
    /// root key, and every status list checked against the trust list (full lists: a verifier
    /// that keeps them catches up later with [`TechoClient::sync_status`]).
    pub async fn verifier_lists(&self) -> Result<(TrustList, Vec<StatusList>), ClientError> {
        let root = PublicKey::from_sec1(&self.root_key().await?)
            .map_err(|e| ClientError::Untrusted(e.to_string()))?;
        let trust = TrustList::from_signed(&self.trust_list().await?, &root, None)
            .map_err(|e| ClientError::Untrusted(e.to_string()))?;
        let mut held = crate::token::StatusSet::default();
        self.sync_status(&trust, &mut held).await?;
        Ok((trust, held.into_vec()))
    }

    /// Support's revoke / suspend / reinstate, with the server's admin token.
    pub async fn admin(
        &self,
        admin_token: &str,
        action: &AdminAction,
    ) -> Result<LinkageStatus, ClientError> {
        let req = self
            .http
            .post(format!("{}/v1/admin/sessions", self.server))
            .bearer_auth(admin_token)
            .json(action);
        self.send(req, "techo-server").await
    }

    /// The signed directory update for an app at version `since` (0: none yet); `None` when the
    /// server answers 304 (nothing changed since).
    pub async fn directory(&self, since: u64) -> Result<Option<Vec<u8>>, ClientError> {
        let mut req = self
            .http
            .get(format!("{}/v1/directory?since={since}", self.server));
        if since > 0 {
            req = req.header("if-none-match", format!("\"{since}\""));
        }
        self.fetch(req, "techo-server").await
    }

    /// How many times counters redeemed each coupon for the holder of linkage `session`:
    /// (operator, coupon id, count).
    pub async fn coupon_uses(
        &self,
        session: &str,
    ) -> Result<Vec<(String, String, u32)>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Use {
            operator: String,
            coupon: String,
            count: u32,
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            uses: Vec<Use>,
        }
        let answer: Answer = self
            .send(
                self.http.get(format!(
                    "{}/v1/linkage-sessions/{session}/coupon-uses",
                    self.server
                )),
                "techo-server",
            )
            .await?;
        Ok(answer
            .uses
            .into_iter()
            .map(|u| (u.operator, u.coupon, u.count))
            .collect())
    }

    /// A counter sends its redemptions (online, or its offline queue) with the operator's token.
    pub async fn redeem(
        &self,
        operator: &str,
        operator_token: &str,
        redemptions: &[crate::directory::redemption::Redemption],
    ) -> Result<Vec<(String, crate::directory::redemption::RedemptionResult)>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Item {
            key: String,
            result: crate::directory::redemption::RedemptionResult,
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            results: Vec<Item>,
        }
        let req = self
            .http
            .post(format!(
                "{}/v1/operators/{operator}/redemptions",
                self.server
            ))
            .bearer_auth(operator_token)
            .json(&serde_json::json!({ "redemptions": redemptions }));
        let answer: Answer = self.send(req, "techo-server").await?;
        Ok(answer
            .results
            .into_iter()
            .map(|i| (i.key, i.result))
            .collect())
    }

    pub async fn root_key(&self) -> Result<Vec<u8>, ClientError> {
        let text = self
            .send_bytes(format!("{}/v1/root-key", self.server), "techo-server")
            .await?;
        crate::hex::decode(&String::from_utf8_lossy(&text)).ok_or(ClientError::Malformed)
    }
}
