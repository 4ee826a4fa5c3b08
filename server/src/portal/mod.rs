//! A faithful stand-in for the Myna Portal's consent-based self-information API, on loopback:
//! holder authentication with the card (challenge signed by the user-authentication key, checked
//! against the test JPKI CA), consent, a one-time code; and the provider API over mutual TLS.

pub mod hours;
pub mod records;

use crate::tls::{Running, TestPki, serve};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use hours::HoursMode;
use records::Records;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use techo_core::Clock;
use techo_core::card::JpkiTrust;
use techo_core::model::Relationship;
use techo_core::portal::dto::{
    ApiError, ChallengeRequest, ChallengeResponse, ConsentRequest, ConsentResponse, ProxyAgent,
    RecordsResponse, SCOPE_HANDBOOKS, TECHO_SERVICE_ID, TokenRequest, TokenResponse,
};

/// Faults for tests and the demo. Counters apply to the next n data queries (the slow, fragile
/// part that goes to the municipal intermediate servers); the code exchange is the portal's own.
#[derive(Debug, Clone)]
pub struct Knobs {
    pub mode: HoursMode,
    /// Added to every provider data query (the real fetch takes about 20 s).
    pub latency: std::time::Duration,
    pub fail_5xx: u32,
    pub malformed_json: u32,
    /// Requests that hang far past any client timeout.
    pub hang: u32,
    /// The municipality has not sent the data yet until this time.
    pub not_ready_until: Option<DateTime<Utc>>,
    /// How long a consent given now lasts (the service's consented period).
    pub consent_days: i64,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            mode: HoursMode::AlwaysOpen,
            latency: std::time::Duration::ZERO,
            fail_5xx: 0,
            malformed_json: 0,
            hang: 0,
            not_ready_until: None,
            consent_days: 365,
        }
    }
}

/// Who consented to what, for whom (the portal's own ledger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalConsent {
    /// Whose data: the principal.
    pub subject: String,
    /// Who consented, when a proxy did: the agent and the relationship on record.
    pub agent: Option<(String, Relationship)>,
    pub service_id: String,
    pub scope: String,
    pub at: DateTime<Utc>,
    pub revoked: bool,
}

/// A proxy setting (代理人設定, API item 17): `agent` may consent for `principal` until `until`.
/// Registered at the municipal office for minors and adults under guardianship, or by the
/// principal through a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySetting {
    pub principal: String,
    pub agent: String,
    pub relationship: Relationship,
    pub until: DateTime<Utc>,
    pub ended: bool,
}

/// What a one-time code or an access token stands for: whose data, and through which proxy.
#[derive(Debug, Clone)]
struct Grant {
    principal: String,
    agent: Option<(String, Relationship)>,
}

#[derive(Debug, Default)]
struct Inner {
    challenges: HashMap<String, (Vec<u8>, DateTime<Utc>)>,
    codes: HashMap<String, (Grant, DateTime<Utc>)>,
    /// Access tokens: the grant, and the end of the consented period.
    tokens: HashMap<String, (Grant, DateTime<Utc>)>,
    proxies: Vec<ProxySetting>,
    consents: Vec<PortalConsent>,
    revoked: HashSet<String>,
    knobs: Knobs,
}

#[derive(Debug)]
pub struct PortalState {
    clock: Arc<dyn Clock>,
    trust: JpkiTrust,
    records: Records,
    inner: Mutex<Inner>,
}

/// The running simulator: a holder-facing HTTPS server and a provider server with mutual TLS.
#[derive(Debug)]
pub struct Portal {
    pub state: Arc<PortalState>,
    pub holder: Running,
    pub provider: Running,
}

fn error(
    status: StatusCode,
    code: &str,
    message: &str,
    next_try: Option<DateTime<Utc>>,
) -> Response {
    (
        status,
        Json(ApiError {
            error: code.into(),
            message: message.into(),
            next_try,
        }),
    )
        .into_response()
}

fn pairwise(service: &str, holder: &str) -> String {
    let d = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{service}|{holder}").as_bytes(),
    );
    techo_core::hex::encode(&d.as_ref()[..12])
}

impl PortalState {
    pub fn new(clock: Arc<dyn Clock>, trust: JpkiTrust, records: Records) -> Self {
        Self {
            clock,
            trust,
            records,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set_knobs(&self, knobs: Knobs) {
        self.lock().knobs = knobs;
    }

    pub fn update_knobs(&self, f: impl FnOnce(&mut Knobs)) {
        f(&mut self.lock().knobs);
    }

    pub fn consents(&self) -> Vec<PortalConsent> {
        self.lock().consents.clone()
    }

    /// Registers a proxy setting (as the municipal office does for a minor or an adult under
    /// guardianship). Principal and agent are the cards' subject serials.
    pub fn register_proxy(
        &self,
        principal: &str,
        agent: &str,
        relationship: Relationship,
        until: DateTime<Utc>,
    ) {
        let mut inner = self.lock();
        inner
            .proxies
            .retain(|p| !(p.principal == principal && p.agent == agent));
        inner.proxies.push(ProxySetting {
            principal: principal.to_owned(),
            agent: agent.to_owned(),
            relationship,
            until,
            ended: false,
        });
    }

    /// Ends a proxy setting (the child came of age, the guardian changed): data queries through
    /// tokens it granted stop working.
    pub fn end_proxy(&self, principal: &str, agent: &str) {
        for p in &mut self.lock().proxies {
            if p.principal == principal && p.agent == agent {
                p.ended = true;
            }
        }
    }

    fn proxy(&self, principal: &str, agent: &str, now: DateTime<Utc>) -> Option<Relationship> {
        self.lock()
            .proxies
            .iter()
            .find(|p| p.principal == principal && p.agent == agent && !p.ended && now <= p.until)
            .map(|p| p.relationship)
    }

    /// The holder withdraws consent on the portal: the provider's token stops working.
    pub fn revoke_consent(&self, service_pairwise_subject: &str) {
        let mut inner = self.lock();
        inner.revoked.insert(service_pairwise_subject.to_owned());
        for c in &mut inner.consents {
            if pairwise(&c.service_id, &c.subject) == service_pairwise_subject {
                c.revoked = true;
            }
        }
    }
}

async fn challenge(
    State(s): State<Arc<PortalState>>,
    Json(req): Json<ChallengeRequest>,
) -> Response {
    if req.service_id != TECHO_SERVICE_ID {
        return error(
            StatusCode::BAD_REQUEST,
            "unknown_service",
            "this service is not registered",
            None,
        );
    }
    let session = techo_core::hex::random(16);
    let challenge = techo_core::hex::random_bytes(32);
    let expires = s.clock.now() + Duration::minutes(5);
    s.lock()
        .challenges
        .insert(session.clone(), (challenge.clone(), expires));
    Json(ChallengeResponse {
        auth_session: session,
        challenge_hex: techo_core::hex::encode(&challenge),
        expires_at: expires,
    })
    .into_response()
}

fn common_name(subject: &str) -> Option<&str> {
    subject
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("CN="))
}

/// Whose data a consent is for: the card's holder, or the principal it is a current proxy for.
fn grant_for(
    s: &PortalState,
    holder: String,
    on_behalf_of: Option<&str>,
    now: DateTime<Utc>,
) -> Option<Grant> {
    let Some(principal) = on_behalf_of else {
        return Some(Grant {
            principal: holder,
            agent: None,
        });
    };
    s.proxy(principal, &holder, now).map(|relationship| Grant {
        principal: principal.to_owned(),
        agent: Some((holder, relationship)),
    })
}

async fn consent(State(s): State<Arc<PortalState>>, Json(req): Json<ConsentRequest>) -> Response {
    let now = s.clock.now();
    let Some((challenge, expires)) = s.lock().challenges.remove(&req.auth_session) else {
        return error(
            StatusCode::BAD_REQUEST,
            "unknown_session",
            "start again: the authentication session is unknown or used",
            None,
        );
    };
    if now > expires {
        return error(
            StatusCode::BAD_REQUEST,
            "expired",
            "the challenge expired: start again",
            None,
        );
    }
    if req.service_id != TECHO_SERVICE_ID || req.scope != SCOPE_HANDBOOKS {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_scope",
            "consent must name Techo and disability handbook data",
            None,
        );
    }
    let (Some(cert), Some(sig)) = (
        techo_core::hex::decode(&req.certificate_hex),
        techo_core::hex::decode(&req.signature_hex),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "malformed",
            "certificate and signature must be hex",
            None,
        );
    };
    let checked = match s.trust.check(&cert, now) {
        Ok(c) => c,
        Err(e) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "certificate_rejected",
                &e.to_string(),
                None,
            );
        }
    };
    if checked.verify_signature(&challenge, &sig).is_err() {
        return error(
            StatusCode::UNAUTHORIZED,
            "signature_rejected",
            "the card's signature does not match the challenge",
            None,
        );
    }
    let Some(holder) = common_name(&checked.subject).map(str::to_owned) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "certificate_rejected",
            "the certificate has no subject serial",
            None,
        );
    };
    // A proxy consents for the principal only where the portal has the setting on record.
    let Some(grant) = grant_for(&s, holder, req.on_behalf_of.as_deref(), now) else {
        return error(
            StatusCode::FORBIDDEN,
            "not_a_proxy",
            "this card's holder has no current proxy setting for that person: register it at the municipal office or through the portal's 代理人設定",
            None,
        );
    };
    let code = techo_core::hex::random(16);
    let expires = now + Duration::minutes(10);
    let mut inner = s.lock();
    inner.codes.insert(code.clone(), (grant.clone(), expires));
    inner
        .revoked
        .remove(&pairwise(&req.service_id, &grant.principal));
    inner.consents.push(PortalConsent {
        subject: grant.principal,
        agent: grant.agent,
        service_id: req.service_id,
        scope: req.scope,
        at: now,
        revoked: false,
    });
    Json(ConsentResponse {
        code,
        expires_at: expires,
    })
    .into_response()
}

async fn token(State(s): State<Arc<PortalState>>, Json(req): Json<TokenRequest>) -> Response {
    let now = s.clock.now();
    let Some((grant, expires)) = s.lock().codes.remove(&req.code) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_code",
            "the code is unknown or was already used",
            None,
        );
    };
    if now > expires {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_code",
            "the code expired",
            None,
        );
    }
    let access = techo_core::hex::random(24);
    let subject = pairwise(&req.service_id, &grant.principal);
    let agent = grant.agent.as_ref().map(|(_, relationship)| ProxyAgent {
        relationship: *relationship,
    });
    let consent_until = now + Duration::days(s.lock().knobs.consent_days);
    s.lock()
        .tokens
        .insert(access.clone(), (grant, consent_until));
    Json(TokenResponse {
        access_token: access,
        subject,
        consent_expires_at: consent_until,
        agent,
    })
    .into_response()
}

/// Applies the one-shot fault knobs; `Some` when the request must fail.
async fn injected_fault(s: &PortalState) -> Option<Response> {
    let (hang, fail, malformed, latency) = {
        let mut inner = s.lock();
        let k = &mut inner.knobs;
        let hang = k.hang > 0;
        k.hang = k.hang.saturating_sub(u32::from(hang));
        let fail = !hang && k.fail_5xx > 0;
        k.fail_5xx = k.fail_5xx.saturating_sub(u32::from(fail));
        let malformed = !hang && !fail && k.malformed_json > 0;
        k.malformed_json = k.malformed_json.saturating_sub(u32::from(malformed));
        (hang, fail, malformed, k.latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if hang {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
    if fail {
        return Some(error(
            StatusCode::BAD_GATEWAY,
            "intermediate_server_error",
            "the municipal server failed",
            None,
        ));
    }
    if malformed {
        return Some(
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                "{\"records\": [ {\"kind\": ",
            )
                .into_response(),
        );
    }
    None
}

#[derive(Debug, serde::Deserialize)]
struct Period {
    as_of: Option<NaiveDate>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

async fn handbooks(
    State(s): State<Arc<PortalState>>,
    headers: HeaderMap,
    Query(p): Query<Period>,
) -> Response {
    let now = s.clock.now();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let Some((grant, consent_until)) = token.and_then(|t| s.lock().tokens.get(&t).cloned()) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "unknown access token",
            None,
        );
    };
    if now >= consent_until {
        return error(
            StatusCode::FORBIDDEN,
            "consent_expired",
            "the consented period is over: the holder must consent again",
            None,
        );
    }
    if let Some((agent, _)) = &grant.agent
        && s.proxy(&grant.principal, agent, now).is_none()
    {
        return error(
            StatusCode::FORBIDDEN,
            "proxy_ended",
            "the proxy setting behind this consent has ended",
            None,
        );
    }
    let holder = grant.principal;
    if s.lock()
        .revoked
        .contains(&pairwise(TECHO_SERVICE_ID, &holder))
    {
        return error(
            StatusCode::FORBIDDEN,
            "consent_revoked",
            "the holder withdrew consent",
            None,
        );
    }
    let (mode, not_ready) = {
        let inner = s.lock();
        (inner.knobs.mode, inner.knobs.not_ready_until)
    };
    if let Err(closed) = hours::check(mode, now) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_available",
            closed.reason,
            Some(closed.next_open),
        );
    }
    if let Some(r) = injected_fault(&s).await {
        return r;
    }
    if let Some(until) = not_ready.filter(|u| now < *u) {
        return error(
            StatusCode::ACCEPTED,
            "not_ready",
            "the municipality has not sent the data yet",
            Some(until),
        );
    }
    let records = match (p.as_of, p.from, p.to) {
        (Some(d), None, None) => s.records.as_of(&holder, d),
        (None, Some(f), Some(t)) if f <= t => s.records.range(&holder, f, t),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_period",
                "give as_of, or from and to",
                None,
            );
        }
    };
    Json(RecordsResponse { records }).into_response()
}

impl Portal {
    /// Starts both servers on 127.0.0.1 ephemeral ports.
    pub async fn start(
        pki: &TestPki,
        clock: Arc<dyn Clock>,
        trust: JpkiTrust,
        records: Records,
    ) -> Result<Self, crate::error::ServerError> {
        let state = Arc::new(PortalState::new(clock, trust, records));
        let holder_routes = Router::new()
            .route("/portal/v1/auth/challenge", post(challenge))
            .route("/portal/v1/auth/consent", post(consent))
            .with_state(state.clone());
        let provider_routes = Router::new()
            .route("/portal/v1/provider/token", post(token))
            .route("/portal/v1/provider/handbooks", get(handbooks))
            .with_state(state.clone());
        let holder = serve(holder_routes, pki.server_config()?, 0).await?;
        let provider = serve(provider_routes, pki.mtls_server_config()?, 0).await?;
        Ok(Self {
            state,
            holder,
            provider,
        })
    }
}
