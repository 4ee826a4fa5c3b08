//! techo-server: linkage sessions, the portal exchange over mutual TLS, pending requests with
//! retries that honour the portal's hours, credential issuing, revocation, trust and status lists.

mod consent_expiry;
pub mod coupons;
pub mod directory;
pub mod directory_log;
mod key_admin;
pub mod keys;
pub mod portal_client;
mod renew;
pub mod status_lists;
pub mod store;
pub mod wait;

use crate::ServerError;
use crate::tls::{Running, TestPki, serve};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use portal_client::{Outcome, PortalClient, backoff};
use std::path::PathBuf;
use std::sync::Arc;
use store::{AnyStore, ConsentEntry, ServerStore, SessionRecord, SessionState, StoreConfig};
use techo_core::Clock;
use techo_core::model::{FareClass, HandbookKind};
use techo_core::portal::dto::{
    AdminAction, ApiError, LinkageStatus, PortalRecord, SCOPE_HANDBOOKS, StartLinkage,
    StartedLinkage, SubmitCode, TECHO_SERVICE_ID,
};
use techo_core::token::{HandbookClaims, LinkageKind, PublicKey, Status};

#[derive(Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    /// Where the app sends the holder to authenticate and consent.
    pub portal_holder_url: String,
    /// The portal's provider API (mutual TLS).
    pub portal_provider_url: String,
    pub admin_token: String,
    pub portal_timeout: std::time::Duration,
    /// Run the retry scheduler in the background at this interval (`None`: the caller drives it).
    pub retry_every: Option<std::time::Duration>,
    /// sled in `data_dir/store` (default) or a PostgreSQL database shared by several processes.
    pub store: StoreConfig,
    /// The issuer folder (default `data_dir/issuer`): file keys live here; processes sharing a
    /// database with file keys share it.
    pub issuer_dir: Option<PathBuf>,
    /// Where the issuer's private keys are: files in the issuer folder, or an HSM.
    pub keys: keys::KeyConfig,
    /// How long a new issuer key is published before it may sign (verifiers fetch the trust
    /// list at least this often).
    pub rotation_notice: chrono::Duration,
    /// Linkage requests one client address may send: a burst, then so many a minute.
    pub linkage_rate: (u32, u32),
    /// No request runs longer than this.
    pub request_time_limit: std::time::Duration,
    /// How status lists are cut and published.
    pub status: status_lists::StatusPublishing,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("data_dir", &self.data_dir)
            .field("portal_holder_url", &self.portal_holder_url)
            .field("portal_provider_url", &self.portal_provider_url)
            .field("admin_token", &"(hidden)")
            .field("store", &self.store)
            .field("issuer_dir", &self.issuer_dir)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// Defaults for what a test or the demo does not set: 20 linkage requests at once per
    /// address, 60 a minute; 60 s per request (past the portal's own timeout).
    pub const LINKAGE_RATE: (u32, u32) = (20, 60);
    pub const REQUEST_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);
    /// The shortest admin token the server starts with (the binary generates 48 hex characters).
    pub const MIN_ADMIN_TOKEN: usize = 16;
    /// A new issuer key is published a week before it signs.
    pub const ROTATION_NOTICE: chrono::Duration = chrono::Duration::days(7);

    /// A server in `data_dir` linking through `portal`, with the defaults: 10 s for the portal,
    /// retries driven by the caller, sled in `data_dir/store`, issuer keys in `data_dir/issuer`,
    /// the default rate and time limits, small status lists with every change published at once. Callers change what they need with `..`.
    pub fn for_portal(
        data_dir: PathBuf,
        portal: &crate::portal::Portal,
        admin_token: impl Into<String>,
    ) -> Self {
        Self {
            data_dir,
            portal_holder_url: portal.holder.url(),
            portal_provider_url: portal.provider.url(),
            admin_token: admin_token.into(),
            portal_timeout: std::time::Duration::from_secs(10),
            retry_every: None,
            store: StoreConfig::default(),
            issuer_dir: None,
            keys: keys::KeyConfig::Files,
            rotation_notice: Self::ROTATION_NOTICE,
            linkage_rate: Self::LINKAGE_RATE,
            request_time_limit: Self::REQUEST_TIME_LIMIT,
            status: status_lists::StatusPublishing::LOOPBACK,
        }
    }
}

#[derive(Debug)]
pub struct ServerState {
    clock: Arc<dyn Clock>,
    pub store: AnyStore,
    /// The key ring and its signers (files or an HSM); which index went to whom, and
    /// statuses, are in the store.
    pub keys: keys::IssuerKeys,
    /// Names this process's retry leases.
    worker: String,
    portal: PortalClient,
    cfg: ServerConfig,
    directory: directory::DirectoryCache,
    /// Woken when this process stores a retry's or a purge's outcome (see [`wait`]).
    changed: tokio::sync::Notify,
    published: status_lists::Published,
}

#[derive(Debug)]
pub struct TechoServer {
    pub state: Arc<ServerState>,
    pub running: Running,
    retry_task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TechoServer {
    fn drop(&mut self) {
        if let Some(t) = &self.retry_task {
            t.abort();
        }
    }
}

pub(crate) fn api_error(status: StatusCode, error: &str, message: &str) -> Response {
    (
        status,
        Json(ApiError {
            error: error.into(),
            message: message.into(),
            next_try: None,
        }),
    )
        .into_response()
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "internal error");
    api_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the server failed; try again",
    )
}

/// The portal's record for the handbook the app names, turned into credential claims.
pub(crate) fn claims_for(
    records: &[PortalRecord],
    s: &SessionRecord,
    today: chrono::NaiveDate,
) -> Result<HandbookClaims, (String, String)> {
    let normalise = |n: &str| {
        n.trim()
            .trim_start_matches('第')
            .trim_end_matches('号')
            .to_ascii_uppercase()
    };
    let r = records
        .iter()
        .find(|r| {
            r.kind == s.handbook.kind
                && normalise(&r.number) == normalise(&s.handbook.number)
                && r.municipality_code == s.handbook.municipality_code
        })
        .ok_or_else(|| {
            ("not_found".to_owned(), "the portal has no such handbook in force for this holder: check the kind, number and municipality".to_owned())
        })?;
    if r.expires.is_some_and(|e| e < today) {
        return Err((
            "expired".into(),
            "the portal reports this handbook as expired: renew it first".into(),
        ));
    }
    let kind =
        HandbookKind::parse(&r.kind).map_err(|e| ("portal_data".to_owned(), e.to_string()))?;
    let fare_class = match r.fare_class.as_str() {
        "first" => FareClass::First,
        "second" => FareClass::Second,
        _ => FareClass::NotRecorded,
    };
    let grade = match kind {
        HandbookKind::Intellectual => r.grade.clone(),
        _ => format!("{}級", r.grade),
    };
    let photo = s
        .photo_sha256_hex
        .as_deref()
        .and_then(techo_core::hex::decode)
        .and_then(|b| <[u8; 32]>::try_from(b).ok());
    Ok(HandbookClaims {
        kind,
        grade,
        fare_class,
        caregiver: fare_class == FareClass::First,
        municipality: r.municipality_code.clone(),
        expiry: r.expires,
        linkage: LinkageKind::Linked,
        photo,
        guardian: s.guardian,
    })
}

impl ServerState {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn status_of(s: &SessionRecord) -> LinkageStatus {
        match &s.state {
            SessionState::AwaitingCode => LinkageStatus::AwaitingCode,
            SessionState::Pending {
                reason, next_try, ..
            } => LinkageStatus::Pending {
                reason: reason.clone(),
                next_try: *next_try,
            },
            SessionState::Linked {
                valid_until,
                credentials,
                ..
            } => LinkageStatus::Linked {
                credentials: credentials.clone().unwrap_or_default(),
                valid_until: *valid_until,
                consent_until: s
                    .consent_until
                    .map(|t| t.with_timezone(&techo_core::clock::jst()).date_naive()),
            },
            SessionState::Failed { error, message } => LinkageStatus::Failed {
                error: error.clone(),
                message: message.clone(),
            },
            SessionState::Revoked { reason } => LinkageStatus::Revoked {
                reason: reason.clone(),
            },
            SessionState::Suspended { .. } => LinkageStatus::Suspended,
        }
    }

    /// Queries the portal for a session that holds an access token, and moves it on. `stored`
    /// is the session as read from the store: the result is written only if nothing changed it
    /// meanwhile (a revocation or a withdrawal during the portal query wins, and what was just
    /// issued is revoked with it).
    async fn query_and_issue(
        &self,
        stored: &SessionRecord,
        mut s: SessionRecord,
        token: String,
        consent_id: String,
        attempts: u32,
    ) -> Result<SessionRecord, String> {
        let now = self.now();
        let today = self.clock.today_jst();
        s.state = match self.portal.as_of(&token, today).await {
            Outcome::Ok(records) => match claims_for(&records, &s, today) {
                Ok(claims) => {
                    let (creds, valid_until) = self.issue_for(&s, &claims, today).await?;
                    // The portal records go out of scope here: only the credential keeps facts.
                    s.access_token = Some(token.clone());
                    SessionState::Linked {
                        consent_id,
                        valid_until,
                        credentials: Some(creds),
                    }
                }
                Err((error, message)) => SessionState::Failed { error, message },
            },
            Outcome::Later { reason, next_try } => {
                let attempts = attempts + 1;
                let next_try = next_try.unwrap_or(now + backoff(attempts)).max(now);
                tracing::info!(session = %s.id, %reason, %next_try, "pending");
                SessionState::Pending {
                    access_token: token,
                    consent_id,
                    reason,
                    next_try,
                    attempts,
                }
            }
            Outcome::Failed { error, message } => SessionState::Failed { error, message },
        };
        let written = self.write_unless_changed(stored, s).await?;
        if let SessionState::Linked {
            credentials: Some(c),
            ..
        } = &written.state
        {
            // Said once it is stored, never before: a crash in between leaves no false "linked".
            tracing::info!(session = %written.id, credentials = c.len(), "linked");
        }
        Ok(written)
    }

    /// How long a status index stays with its holder: the longest validity a credential may
    /// have, plus a day for the inclusive last day in Japan time and a day for verifiers'
    /// clocks. After it, no credential that used the index can verify (docs/token-spec.md,
    /// "Index reuse").
    pub const INDEX_KEPT_DAYS: i64 = techo_core::token::credential::MAX_VALIDITY_DAYS as i64 + 2;

    /// Exchanges a crash interrupted (the session still claimed long past any request's time
    /// limit) end as failed, and whatever they may have issued is revoked: nobody received it.
    /// The app sees "failed" and the holder links again. Returns how many were ended.
    pub async fn fail_interrupted_exchanges(&self) -> usize {
        let now = self.now();
        let cutoff = now - chrono::Duration::minutes(EXCHANGE_LEASE_MINUTES);
        let Ok(sessions) = self.store.sessions().await else {
            return 0;
        };
        let mut ended = 0;
        for stored in sessions.into_iter().filter(|s| {
            matches!(s.state, SessionState::AwaitingCode)
                && s.exchanging_since.is_some_and(|t| t <= cutoff)
        }) {
            let mut s = stored.clone();
            s.exchanging_since = None;
            s.state = SessionState::Failed {
                error: "interrupted".into(),
                message: "the server stopped while linking: link again with the card".into(),
            };
            if matches!(self.store.replace_session(&stored, &s).await, Ok(true))
                && set_issuer_status(self, &s.id, Status::Revoked)
                    .await
                    .is_ok()
            {
                tracing::warn!(session = %s.id, "an interrupted linkage was ended as failed");
                ended += 1;
            }
        }
        ended
    }

    /// Credentials for `claims`, one pair per device key of `s`, each at a fresh status index;
    /// with the last day they are all valid.
    pub(crate) async fn issue_for(
        &self,
        s: &SessionRecord,
        claims: &HandbookClaims,
        today: chrono::NaiveDate,
    ) -> Result<(Vec<techo_core::token::HeldCredential>, chrono::NaiveDate), String> {
        let keys: Vec<(String, PublicKey)> = s
            .device_keys
            .iter()
            .filter_map(|k| {
                let pk = techo_core::hex::decode(&k.public_hex)
                    .and_then(|b| PublicKey::from_sec1(&b).ok())?;
                Some((k.alias.clone(), pk))
            })
            .collect();
        let space = self.status_space().await?;
        let allocated = match self
            .store
            .allocate_indices(&s.id, keys.len(), self.now(), space)
            .await
        {
            // Lists are added by the publishing pass; one more pass makes room now.
            Err(store::StoreError::StatusListFull) => {
                self.publish_status_lists().await?;
                let space = self.status_space().await?;
                self.store
                    .allocate_indices(&s.id, keys.len(), self.now(), space)
                    .await
            }
            other => other,
        };
        let status: Vec<techo_core::token::StatusRef> = allocated
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|global| self.cfg.status.status_ref(global))
            .collect();
        let creds = self
            .keys
            .issue(claims, &keys, today, &status)
            .map_err(|e| e.to_string())?;
        let valid_until = creds.iter().map(|c| c.not_after).min().unwrap_or(today);
        Ok((creds, valid_until))
    }

    /// Writes `s` if the stored session is still `stored`; otherwise the other change wins
    /// (a revocation, a suspension, a withdrawal), its status is applied again to every index of
    /// the session (indices this request allocated included), and the stored session returns.
    pub(crate) async fn write_unless_changed(
        &self,
        stored: &SessionRecord,
        s: SessionRecord,
    ) -> Result<SessionRecord, String> {
        if self
            .store
            .replace_session(stored, &s)
            .await
            .map_err(|e| e.to_string())?
        {
            return Ok(s);
        }
        let current = self
            .store
            .session(&s.id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the session disappeared")?;
        let status = match current.state {
            SessionState::Suspended { .. } => Some(Status::Suspended),
            SessionState::Revoked { .. } | SessionState::Failed { .. } => Some(Status::Revoked),
            _ => None,
        };
        if let Some(status) = status {
            set_issuer_status(self, &s.id, status).await?;
        }
        tracing::info!(session = %s.id, state = current.state.name(), "changed while it ran: the other change wins");
        Ok(current)
    }

    /// Runs every pending request whose time has come and that no other process holds; returns
    /// how many were tried. Each is leased to this process while it runs (two minutes, past the
    /// portal timeout), so processes sharing a database never run the same request twice.
    pub async fn retry_due(&self) -> usize {
        let now = self.now();
        let due = match self
            .store
            .claim_due(now, chrono::Duration::minutes(2), &self.worker, 100)
            .await
        {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "cannot read pending requests");
                return 0;
            }
        };
        let n = due.len();
        for s in due {
            if let SessionState::Pending {
                access_token,
                consent_id,
                attempts,
                ..
            } = s.state.clone()
            {
                let stored = s.clone();
                if let Err(e) = self
                    .query_and_issue(&stored, s, access_token, consent_id, attempts)
                    .await
                {
                    tracing::error!(error = %e, "retry failed");
                }
            }
        }
        if n > 0 {
            self.changed.notify_waiters();
        }
        n
    }

    pub async fn consents(&self) -> Vec<ConsentEntry> {
        self.store.consents().await.unwrap_or_default()
    }

    pub async fn sessions(&self) -> Vec<SessionRecord> {
        self.store.sessions().await.unwrap_or_default()
    }
}

async fn start(State(st): State<Arc<ServerState>>, Json(req): Json<StartLinkage>) -> Response {
    if req.device_keys.is_empty() || req.device_keys.len() > 64 || req.idempotency_key.len() > 128 {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "send 1 to 64 device keys and an idempotency key",
        );
    }
    let digest_ok = req
        .photo_sha256_hex
        .as_deref()
        .is_none_or(|h| h.len() == 64 && techo_core::hex::decode(h).is_some());
    let handbook_ok = [
        &req.handbook.kind,
        &req.handbook.number,
        &req.handbook.municipality_code,
    ]
    .iter()
    .all(|f| !f.is_empty() && f.chars().count() <= 32);
    let aliases_ok = req
        .device_keys
        .iter()
        .all(|k| !k.alias.is_empty() && k.alias.len() <= 64);
    if !digest_ok || !handbook_ok || !aliases_ok {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "send the handbook's kind, number and municipality code (up to 32 characters each), \
             the photo's SHA-256 in hex, and device key aliases of up to 64 characters",
        );
    }
    if req.device_keys.iter().any(|k| {
        techo_core::hex::decode(&k.public_hex)
            .and_then(|b| PublicKey::from_sec1(&b).ok())
            .is_none()
    }) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_device_key",
            "device keys must be P-256 points in hex",
        );
    }
    let record = SessionRecord {
        id: techo_core::hex::random(16),
        idempotency_key: req.idempotency_key,
        created_at: st.now(),
        handbook: req.handbook,
        photo_sha256_hex: req.photo_sha256_hex,
        device_keys: req.device_keys,
        state: SessionState::AwaitingCode,
        access_token: None,
        renewed_with: None,
        renewed_by: None,
        exchanging_since: None,
        consent_until: None,
        guardian: req
            .guardian
            .map(|relationship| techo_core::token::GuardianClaim {
                relationship,
                portal_confirmed: false,
            }),
    };
    match st.store.create_session(&record).await {
        Ok(s) if s.id != record.id && !same_request(&s, &record) => api_error(
            StatusCode::CONFLICT,
            "idempotency_conflict",
            "this idempotency key was used for a different linkage request: use a new key",
        ),
        Ok(s) => Json(StartedLinkage {
            session_id: s.id,
            portal_url: st.cfg.portal_holder_url.clone(),
            service_id: TECHO_SERVICE_ID.into(),
        })
        .into_response(),
        Err(e) => internal(e),
    }
}

/// Whether a stored session was started by the same request as `new` (an idempotent retry).
fn same_request(stored: &SessionRecord, new: &SessionRecord) -> bool {
    stored.handbook == new.handbook
        && stored.photo_sha256_hex == new.photo_sha256_hex
        && stored.device_keys == new.device_keys
        && stored.guardian.map(|g| g.relationship) == new.guardian.map(|g| g.relationship)
}

/// How long an exchange may hold a session before it is taken as interrupted (a crash): far
/// past the request time limit.
const EXCHANGE_LEASE_MINUTES: i64 = 10;

async fn submit_code(
    State(st): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
    Json(req): Json<SubmitCode>,
) -> Response {
    let Ok(Some(s)) = st.store.session(&id).await else {
        return api_error(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "no such linkage session",
        );
    };
    // Idempotent: a code already exchanged is never exchanged (or consented) again.
    if !matches!(s.state, SessionState::AwaitingCode) {
        return Json(ServerState::status_of(&s)).into_response();
    }
    let now = st.now();
    // One exchange at a time per session, across processes: claim it first (compare and swap).
    let busy = || {
        api_error(
            StatusCode::CONFLICT,
            "code_in_progress",
            "a code for this linkage is being exchanged: wait for its answer",
        )
    };
    if s.exchanging_since
        .is_some_and(|t| now - t < chrono::Duration::minutes(EXCHANGE_LEASE_MINUTES))
    {
        return busy();
    }
    let mut claimed = s.clone();
    claimed.exchanging_since = Some(now);
    match st.store.replace_session(&s, &claimed).await {
        Ok(true) => {}
        Ok(false) => return busy(),
        Err(e) => return internal(e),
    }
    let stored = claimed;
    let s = stored.clone();
    let release = |st: Arc<ServerState>, stored: SessionRecord| async move {
        let mut open = stored.clone();
        open.exchanging_since = None;
        let _ = st.store.replace_session(&stored, &open).await;
    };
    let token = match st.portal.exchange(&req.code).await {
        Outcome::Ok(t) => t,
        Outcome::Later { reason, .. } => {
            release(st.clone(), stored).await;
            return api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "portal_unavailable",
                &format!("the portal could not take the code ({reason}): try linking again"),
            );
        }
        Outcome::Failed { error, message } => {
            release(st.clone(), stored).await;
            return api_error(StatusCode::BAD_REQUEST, &error, &message);
        }
    };
    let mut s = s;
    s.exchanging_since = None;
    s.consent_until = Some(token.consent_expires_at);
    if let Some(agent) = &token.agent {
        // A proxy consented: the portal's proxy setting, not the app's word, names the guardian.
        s.guardian = Some(techo_core::token::GuardianClaim {
            relationship: agent.relationship,
            portal_confirmed: true,
        });
    }
    let consent = ConsentEntry {
        id: techo_core::hex::random(16),
        session_id: s.id.clone(),
        subject: token.subject.clone(),
        scope: SCOPE_HANDBOOKS.into(),
        consented_at: now,
        expires_at: token.consent_expires_at,
        withdrawn_at: None,
        purged_at: None,
        by_proxy: token.agent.as_ref().map(|a| a.relationship),
    };
    if let Err(e) = st.store.put_consent(&consent).await {
        return internal(e);
    }
    match st
        .query_and_issue(&stored, s, token.access_token, consent.id, 0)
        .await
    {
        Ok(s) => Json(ServerState::status_of(&s)).into_response(),
        Err(e) => internal(e),
    }
}

/// The app stored its credentials: the server forgets them.
async fn acknowledge(State(st): State<Arc<ServerState>>, UrlPath(id): UrlPath<String>) -> Response {
    match st.store.session(&id).await {
        Ok(Some(stored)) => {
            let mut s = stored.clone();
            if let SessionState::Linked { credentials, .. } = &mut s.state {
                *credentials = None;
            }
            // Only over the session as read: an acknowledgement never undoes a revocation.
            match st.store.replace_session(&stored, &s).await {
                Ok(_) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => internal(e),
            }
        }
        Ok(None) => api_error(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "no such linkage session",
        ),
        Err(e) => internal(e),
    }
}

pub(crate) async fn set_issuer_status(
    st: &ServerState,
    id: &str,
    status: Status,
) -> Result<(), String> {
    st.store
        .set_status(id, status, st.now())
        .await
        .map_err(|e| e.to_string())?;
    st.publish_change().await
}

/// The holder withdraws consent: revoke everything issued and purge what the server kept.
async fn withdraw(State(st): State<Arc<ServerState>>, UrlPath(id): UrlPath<String>) -> Response {
    let Ok(Some(mut s)) = st.store.session(&id).await else {
        return api_error(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "no such linkage session",
        );
    };
    let consent_id = match &s.state {
        SessionState::Pending { consent_id, .. }
        | SessionState::Linked { consent_id, .. }
        | SessionState::Suspended { consent_id, .. } => Some(consent_id.clone()),
        _ => None,
    };
    s.state = SessionState::Revoked {
        reason: "consent_withdrawn".into(),
    };
    consent_expiry::forget_portal_data(&mut s);
    if let Err(e) = st.store.put_session(&s).await {
        return internal(e);
    }
    // After the session is written (see `admin`): nothing issued meanwhile stays valid.
    if let Err(e) = set_issuer_status(&st, &id, Status::Revoked).await {
        return internal(e);
    }
    let consent = match consent_id {
        Some(c) => st.store.consent(&c).await,
        None => Ok(None),
    };
    if let Ok(Some(mut c)) = consent {
        let now = st.now();
        c.withdrawn_at = Some(now);
        c.purged_at = Some(now);
        if let Err(e) = st.store.put_consent(&c).await {
            return internal(e);
        }
    }
    tracing::info!(session = %id, "consent withdrawn, credentials revoked, data purged");
    Json(ServerState::status_of(&s)).into_response()
}

async fn admin(
    State(st): State<Arc<ServerState>>,
    headers: HeaderMap,
    Json(a): Json<AdminAction>,
) -> Response {
    if let Some(denied) = admin_denied(&st, &headers) {
        return denied;
    }
    let Ok(Some(mut s)) = st.store.session(&a.session_id).await else {
        return api_error(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "no such linkage session",
        );
    };
    let (status, next) = match (a.action.as_str(), &s.state) {
        ("revoke", _) => (
            Status::Revoked,
            SessionState::Revoked {
                reason: a.reason.clone(),
            },
        ),
        (
            "suspend",
            SessionState::Linked {
                consent_id,
                valid_until,
                ..
            },
        ) => (
            Status::Suspended,
            SessionState::Suspended {
                consent_id: consent_id.clone(),
                valid_until: *valid_until,
            },
        ),
        (
            "reinstate",
            SessionState::Suspended {
                consent_id,
                valid_until,
            },
        ) => (
            Status::Valid,
            SessionState::Linked {
                consent_id: consent_id.clone(),
                valid_until: *valid_until,
                credentials: None,
            },
        ),
        _ => {
            return api_error(
                StatusCode::CONFLICT,
                "bad_action",
                "revoke, suspend (a linked session) or reinstate (a suspended one)",
            );
        }
    };
    let stored = s.clone();
    let revoke = matches!(next, SessionState::Revoked { .. });
    if revoke {
        s.access_token = None;
    }
    s.state = next;
    // A revocation always wins: written over whatever is there. Suspend and reinstate only
    // over the session as read (a reinstatement never undoes a revocation that came first).
    let written = if revoke {
        st.store.put_session(&s).await.map(|()| true)
    } else {
        st.store.replace_session(&stored, &s).await
    };
    match written {
        Ok(true) => {}
        Ok(false) => {
            return api_error(
                StatusCode::CONFLICT,
                "changed_meanwhile",
                "the session changed while this action ran: look at it again and retry",
            );
        }
        Err(e) => return internal(e),
    }
    // The list after the session: a batch a code exchange allocated before this write is
    // caught here; one allocated after it loses its own write and applies this status itself.
    if let Err(e) = set_issuer_status(&st, &s.id, status).await {
        return internal(e);
    }
    tracing::info!(session = %s.id, action = %a.action, "admin action");
    Json(ServerState::status_of(&s)).into_response()
}

/// `Some(401)` unless the request carries the admin token (compared in constant time).
pub(crate) fn admin_denied(st: &ServerState, headers: &HeaderMap) -> Option<Response> {
    let ok = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| techo_core::hex::same_secret(t, &st.cfg.admin_token));
    (!ok).then(|| {
        api_error(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "an admin token is required",
        )
    })
}

fn cbor(bytes: Vec<u8>) -> Response {
    ([("content-type", "application/cbor")], bytes).into_response()
}

async fn trust_list(State(st): State<Arc<ServerState>>) -> Response {
    match st.keys.signed_trust_list(st.now()) {
        Ok(bytes) => cbor(bytes),
        Err(e) => unavailable(&e),
    }
}

/// A signing key (an HSM) failed: 503, try again.
pub(crate) fn unavailable(e: &techo_core::token::SignError) -> Response {
    tracing::error!(error = %e, "signing failed");
    api_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "signing_unavailable",
        "the issuer cannot sign right now: try again shortly",
    )
}

async fn root_key(State(st): State<Arc<ServerState>>) -> Response {
    techo_core::hex::encode(&st.keys.root_public().compressed()).into_response()
}

/// The background passes, every `every`: interrupted exchanges, due retries, status lists
/// (index reuse, publishing, old versions), expired consents.
fn background(st: Arc<ServerState>, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        st.fail_interrupted_exchanges().await;
        loop {
            tokio::time::sleep(every).await;
            st.fail_interrupted_exchanges().await;
            st.retry_due().await;
            st.status_pass().await;
            st.purge_expired_consents().await;
            st.key_pass().await;
        }
    })
}

impl TechoServer {
    pub async fn start(
        pki: &TestPki,
        clock: Arc<dyn Clock>,
        cfg: ServerConfig,
    ) -> Result<Self, ServerError> {
        if cfg.admin_token.chars().count() < ServerConfig::MIN_ADMIN_TOKEN {
            return Err(ServerError::WeakAdminToken);
        }
        techo_core::private_file::private_dir(&cfg.data_dir).map_err(|e| ServerError::Store {
            path: cfg.data_dir.display().to_string(),
            why: e.to_string(),
        })?;
        let store = AnyStore::open(&cfg.store, &cfg.data_dir)
            .await
            .map_err(|e| ServerError::Store {
                path: cfg.data_dir.display().to_string(),
                why: e.to_string(),
            })?;
        let issuer_dir = cfg
            .issuer_dir
            .clone()
            .unwrap_or_else(|| cfg.data_dir.join("issuer"));
        let source = cfg.keys.open(&issuer_dir).map_err(keys::KeysError::from)?;
        let keys = keys::IssuerKeys::open(source, &store, clock.now(), Some(&issuer_dir)).await?;
        let portal = PortalClient::new(
            pki.client_config(true)?,
            cfg.portal_provider_url.clone(),
            cfg.portal_timeout,
        )
        .map_err(ServerError::Client)?;
        let state = Arc::new(ServerState {
            clock,
            store,
            keys,
            worker: format!("{}-{}", std::process::id(), techo_core::hex::random(4)),
            portal,
            cfg: cfg.clone(),
            directory: directory::DirectoryCache::default(),
            changed: tokio::sync::Notify::new(),
            published: status_lists::Published::default(),
        });
        state
            .publish_status_lists()
            .await
            .map_err(|why| ServerError::Store {
                path: cfg.data_dir.display().to_string(),
                why,
            })?;
        let routes = Router::new()
            .route("/v1/linkage-sessions", post(start))
            .route("/v1/linkage-sessions/{id}", get(wait::status))
            .route("/v1/linkage-sessions/{id}/code", post(submit_code))
            .route("/v1/linkage-sessions/{id}/ack", post(acknowledge))
            .route("/v1/linkage-sessions/{id}/withdraw", post(withdraw))
            .route("/v1/linkage-sessions/{id}/renew", post(renew::renew))
            .route(
                "/v1/linkage-sessions/{id}/coupon-uses",
                get(coupons::coupon_uses),
            )
            .route("/v1/admin/sessions", post(admin))
            .route("/v1/admin/keys/next", post(key_admin::next_key))
            .route("/v1/admin/keys/activate", post(key_admin::activate_key))
            .route("/v1/trust-list", get(trust_list))
            .route("/v1/status-lists", get(status_lists::index))
            .route("/v1/status-lists/{list}", get(status_lists::full))
            .route("/v1/status-lists/{list}/delta", get(status_lists::delta))
            .route("/v1/root-key", get(root_key))
            .route("/v1/directory", get(directory::get_directory))
            .route("/v1/admin/operators/{id}/token", post(coupons::issue_token))
            .route(
                "/v1/operators/{op}/coupons/{id}",
                axum::routing::put(coupons::put_coupon).delete(coupons::withdraw_coupon),
            )
            .route("/v1/operators/{op}/redemptions", post(coupons::redeem))
            .route(
                "/v1/admin/directory/{id}",
                axum::routing::put(directory::put_operator).delete(directory::delete_operator),
            )
            .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(crate::hardening::LinkageLimits::new(cfg.linkage_rate)),
                crate::hardening::limit_linkage,
            ))
            .layer(axum::middleware::from_fn_with_state(
                cfg.request_time_limit,
                crate::hardening::time_limit,
            ))
            .layer(axum::middleware::from_fn(
                crate::hardening::security_headers,
            ));
        let running = serve(routes, pki.server_config()?, 0).await?;
        let retry_task = cfg
            .retry_every
            .map(|every| background(state.clone(), every));
        Ok(Self {
            state,
            running,
            retry_task,
        })
    }

    pub fn url(&self) -> String {
        self.running.url()
    }
}
