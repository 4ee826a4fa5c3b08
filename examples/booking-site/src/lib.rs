//! A reference booking site (seed 000): pick a trip, apply the disability discount with a Techo
//! presentation bound to this site's challenge (QR code for another phone, or a link that opens
//! the app on this one), see the discounted price and the verdict, and buy with the order
//! signed by the My Number card's signing key. Plain HTML and a little JS; the checks are all
//! in [`techo_core::site::SiteVerifier`].

mod html;
mod pages;
pub mod trips;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use techo_core::card::JpkiTrust;
use techo_core::policy::{OperatorPolicy, Trip};
use techo_core::portal::TechoClient;
use techo_core::site::{Flow, SiteConfig, SiteError, SiteReply, SiteVerifier, request_link};
use techo_core::{Clock, Lang};
use techo_server::tls::{Running, TestPki, serve};
use trips::TripOffer;

/// The policy the site applies (an illustrative online operator).
pub const POLICY: &str = include_str!("../../../fixtures/policies/booking-site-online.toml");
const COOKIE: &str = "techo_browser";
/// The issuer's lists are fetched again when older than this.
const REFRESH_SECONDS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum SiteStartError {
    #[error("the site policy does not load: {0}")]
    Policy(String),
    #[error("cannot start HTTPS on 127.0.0.1: {0}")]
    Listen(String),
    #[error("cannot fetch the issuer's trust and status lists: {0}")]
    Lists(String),
    #[error(transparent)]
    Site(#[from] SiteError),
}

/// Where the verifier's trust and status lists come from.
#[derive(Debug)]
pub enum Lists {
    /// Fetched from techo-server (checked against its root key, pinned at start), refreshed
    /// every 30 s by one signed delta per status list.
    Server(TechoClient),
    /// Fixed lists (tests).
    Fixed(
        techo_core::token::TrustList,
        Vec<techo_core::token::StatusList>,
    ),
}

/// The lists as last fetched from techo-server: the root key pinned at start, what the issuer
/// signed (for the next delta), and when.
#[derive(Debug, Default)]
struct HeldLists {
    root: Option<techo_core::token::PublicKey>,
    bundle: Option<techo_core::token::VerifierBundle>,
    refreshed: Option<DateTime<Utc>>,
}

/// What the site needs to start.
#[derive(Debug)]
pub struct Options {
    pub lists: Lists,
    /// The JPKI signing CA (DER), for signed orders.
    pub signing_ca: Option<Vec<u8>>,
    pub clock: Arc<dyn Clock>,
    /// 0: an ephemeral port.
    pub port: u16,
}

#[derive(Debug)]
struct AppState {
    verifier: SiteVerifier,
    client: Option<TechoClient>,
    held: tokio::sync::Mutex<HeldLists>,
    trips: Mutex<HashMap<String, TripOffer>>,
    clock: Arc<dyn Clock>,
}

/// A running site.
#[derive(Debug)]
pub struct BookingSite {
    pub url: String,
    /// The site's TLS CA (PEM): the phone (the CLI) trusts it to reach the site.
    pub ca_pem: String,
    /// SHA-256 of the server certificate's public key (base64), for a browser that pins it
    /// (Chromium's `--ignore-certificate-errors-spki-list`) instead of trusting the test CA.
    pub spki_sha256: String,
    _running: Running,
}

impl BookingSite {
    pub async fn start(options: Options) -> Result<Self, SiteStartError> {
        let pki = TestPki::generate().map_err(|e| SiteStartError::Listen(e.to_string()))?;
        let config = pki
            .server_config()
            .map_err(|e| SiteStartError::Listen(e.to_string()))?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", options.port))
            .map_err(|e| SiteStartError::Listen(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| SiteStartError::Listen(e.to_string()))?
            .port();
        drop(listener);
        let url = format!("https://127.0.0.1:{port}");
        let policy = OperatorPolicy::from_toml("booking-site-online.toml", POLICY)
            .map_err(|e| SiteStartError::Policy(e.to_string()))?;
        let signing_trust = options
            .signing_ca
            .map(|ca| JpkiTrust::new(vec![ca]))
            .transpose()
            .map_err(|e| SiteStartError::Policy(e.to_string()))?;
        let mut held = HeldLists::default();
        let (trust, status, client) = match options.lists {
            Lists::Fixed(t, s) => (t, s, None),
            Lists::Server(c) => {
                let lists =
                    |e: techo_core::portal::ClientError| SiteStartError::Lists(e.to_string());
                let root =
                    techo_core::token::PublicKey::from_sec1(&c.root_key().await.map_err(lists)?)
                        .map_err(|e| SiteStartError::Lists(e.to_string()))?;
                let r = c.refresh_verifier(&root, None).await.map_err(lists)?;
                held = HeldLists {
                    root: Some(root),
                    bundle: Some(r.bundle),
                    refreshed: Some(options.clock.now()),
                };
                (r.trust, r.status.into_vec(), Some(c))
            }
        };
        let verifier = SiteVerifier::new(
            SiteConfig {
                name: policy.name.clone(),
                name_en: policy.name_en.clone(),
                base_url: url.clone(),
                policy,
                signing_trust,
                disclose: Vec::new(),
            },
            trust,
            status,
        )?;
        let state = Arc::new(AppState {
            verifier,
            held: tokio::sync::Mutex::new(held),
            client,
            trips: Mutex::new(HashMap::new()),
            clock: options.clock,
        });
        let running = serve(router(state), config, port)
            .await
            .map_err(|e| SiteStartError::Listen(e.to_string()))?;
        Ok(Self {
            url,
            ca_pem: pki.ca_pem.clone(),
            spki_sha256: spki_sha256(&pki.server.cert)?,
            _running: running,
        })
    }
}

fn spki_sha256(cert: &[u8]) -> Result<String, SiteStartError> {
    use base64::Engine as _;
    use x509_parser::prelude::FromDer as _;
    let (_, parsed) = x509_parser::certificate::X509Certificate::from_der(cert)
        .map_err(|e| SiteStartError::Listen(e.to_string()))?;
    let digest = ring::digest::digest(&ring::digest::SHA256, parsed.public_key().raw);
    Ok(base64::engine::general_purpose::STANDARD.encode(digest.as_ref()))
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/discount", post(discount))
        .route("/sessions/{id}", get(session_page))
        .route("/sessions/{id}/order", post(order))
        .route("/api/sessions/{id}", get(session_api))
        .route("/techo/requests/{id}", get(techo_request))
        .route("/techo/responses/{id}", post(techo_response))
        .route("/static/site.js", get(script))
        .route("/static/site.css", get(style))
        .with_state(state)
}

/// The browser's secret from its cookie, or a new one to set.
fn browser(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let existing = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == COOKIE && v.len() == 32)
        .map(|(_, v)| v.to_owned());
    if let Some(b) = existing {
        return (b, None);
    }
    let b = techo_core::hex::encode(&techo_core::hex::random_bytes(16));
    let cookie = format!("{COOKIE}={b}; Path=/; Secure; HttpOnly; SameSite=Lax");
    (b, HeaderValue::from_str(&cookie).ok())
}

fn with_cookie(cookie: Option<HeaderValue>, resp: impl IntoResponse) -> Response {
    let mut resp = resp.into_response();
    if let Some(c) = cookie {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    resp
}

fn error_page(status: StatusCode, e: &SiteError) -> Response {
    (
        status,
        Html(pages::error_page(
            status.canonical_reason().unwrap_or("error"),
            &e.message(Lang::Ja),
            &e.message(Lang::En),
        )),
    )
        .into_response()
}

async fn index(headers: HeaderMap) -> Response {
    let (_, cookie) = browser(&headers);
    with_cookie(cookie, Html(pages::index()))
}

#[derive(Debug, Deserialize)]
struct DiscountForm {
    trip: String,
    caregiver: Option<String>,
    identity: Option<String>,
    flow: String,
}

fn flow(name: &str) -> Option<Flow> {
    match name {
        "cross_device" => Some(Flow::CrossDevice),
        "same_device" => Some(Flow::SameDevice),
        _ => None,
    }
}

impl AppState {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Brings the issuer's lists up to date when they were fetched over 30 s ago (a
    /// revocation reaches the site within that), by a small signed delta per list; on failure
    /// the old lists stay, and their age limits what passes.
    async fn refresh(&self) {
        let Some(client) = &self.client else { return };
        let mut held = self.held.lock().await;
        let now = self.now();
        if held
            .refreshed
            .is_some_and(|t| (now - t).num_seconds() < REFRESH_SECONDS)
        {
            return;
        }
        let Some(root) = held.root.clone() else {
            return;
        };
        match client.refresh_verifier(&root, held.bundle.as_ref()).await {
            Ok(r) => {
                tracing::debug!(bytes = r.sync.bytes(), "issuer's lists refreshed");
                self.verifier.set_lists(r.trust, r.status.into_vec());
                held.bundle = Some(r.bundle);
                held.refreshed = Some(now);
            }
            Err(e) => tracing::warn!(error = %e, "could not refresh the issuer's lists"),
        }
    }

    fn trips(&self) -> std::sync::MutexGuard<'_, HashMap<String, TripOffer>> {
        self.trips.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn link(&self, id: &str) -> String {
        request_link(&format!("{}/techo/requests/{id}", self.verifier_base())).unwrap_or_default()
    }

    fn verifier_base(&self) -> String {
        format!("https://{}", self.verifier.audience())
    }
}

async fn discount(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<DiscountForm>,
) -> Response {
    let (browser, cookie) = browser(&headers);
    let (Some(offer), Some(flow)) = (trips::find(&form.trip), flow(&form.flow)) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &SiteError::BadRequest("trip or flow".into()),
        );
    };
    app.refresh().await;
    let now = app.now();
    let trip = Trip {
        date: now.with_timezone(&techo_core::clock::jst()).date_naive(),
        distance_km: Some(offer.km),
        with_caregiver: Some(form.caregiver.is_some()),
    };
    match app
        .verifier
        .start_session(&browser, flow, trip, form.identity.is_some(), now)
    {
        Ok(started) => {
            app.trips().insert(started.id.clone(), offer);
            with_cookie(cookie, Redirect::to(&format!("/sessions/{}", started.id)))
        }
        Err(e) => error_page(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

#[derive(Debug, Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

fn view_of(
    app: &AppState,
    headers: &HeaderMap,
    id: &str,
    code: Option<&str>,
) -> Result<(techo_core::site::SessionView, TripOffer), SiteError> {
    let (browser, _) = browser(headers);
    let view = app.verifier.view(id, &browser, code)?;
    let offer = app
        .trips()
        .get(id)
        .copied()
        .ok_or(SiteError::UnknownSession)?;
    Ok((view, offer))
}

fn poll_url(id: &str, code: Option<&str>) -> String {
    match code {
        Some(c) => format!("/api/sessions/{id}?code={c}"),
        None => format!("/api/sessions/{id}"),
    }
}

async fn session_page(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<CodeQuery>,
    headers: HeaderMap,
) -> Response {
    match view_of(&app, &headers, &id, q.code.as_deref()) {
        Ok((view, offer)) => Html(pages::session_page(
            &view,
            &app.link(&id),
            offer,
            &poll_url(&id, q.code.as_deref()),
            app.now(),
        ))
        .into_response(),
        Err(e) => error_page(StatusCode::NOT_FOUND, &e),
    }
}

async fn session_api(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<CodeQuery>,
    headers: HeaderMap,
) -> Response {
    match view_of(&app, &headers, &id, q.code.as_deref()) {
        Ok((view, offer)) => {
            let (html, done) = pages::panel(&view, &app.link(&id), offer, app.now());
            let mut body = serde_json::json!({
                "state": view.state.name(),
                "final": done,
                "link": app.link(&id),
                "html": html,
            });
            if let (Some(obj), serde_json::Value::Object(extra)) =
                (body.as_object_mut(), summary(&view, offer))
            {
                obj.extend(extra);
            }
            Json(body).into_response()
        }
        Err(e) => (StatusCode::NOT_FOUND, Json(reply_of(&e))).into_response(),
    }
}

/// The result in fields, for scripts and the demo (the page uses `html`).
fn summary(view: &techo_core::site::SessionView, offer: TripOffer) -> serde_json::Value {
    use techo_core::site::SessionState;
    match &view.state {
        SessionState::Waiting => serde_json::json!({}),
        SessionState::Refused { code, ja, en } => {
            serde_json::json!({ "code": code, "message_ja": ja, "message_en": en })
        }
        SessionState::Accepted(a) => {
            let lines = offer.lines(a.verdict.grant, view.trip.with_caregiver == Some(true));
            serde_json::json!({
                "decision": a.verdict.decision,
                "holder_discount": a.verdict.grant.holder,
                "caregiver_discount": a.verdict.grant.caregiver,
                "total_yen": trips::total(&lines),
                "regular_yen": offer.regular() * if view.trip.with_caregiver == Some(true) { 2 } else { 1 },
                "identity_name": a.identity.as_ref().map(|i| i.name.clone()),
            })
        }
        SessionState::Signed(p) => serde_json::json!({
            "order_id": p.order.order_id,
            "signer": p.signer,
            "total_yen": p.order.total_yen,
        }),
    }
}

#[derive(Debug, Deserialize)]
struct OrderForm {
    flow: String,
}

async fn order(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<OrderForm>,
) -> Response {
    let (browser, _) = browser(&headers);
    let Some(offer) = app.trips().get(&id).copied() else {
        return error_page(StatusCode::NOT_FOUND, &SiteError::UnknownSession);
    };
    let Some(accepted) = app.verifier.accepted(&id, &browser) else {
        return error_page(StatusCode::NOT_FOUND, &SiteError::UnknownSession);
    };
    let with_caregiver = app
        .verifier
        .view(&id, &browser, None)
        .is_ok_and(|v| v.trip.with_caregiver == Some(true));
    let lines = offer.lines(accepted.verdict.grant, with_caregiver);
    if form.flow == "unsigned" {
        return Html(pages::unsigned_purchase(&lines)).into_response();
    }
    let Some(flow) = flow(&form.flow) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &SiteError::BadRequest("flow".into()),
        );
    };
    match app
        .verifier
        .start_signing(&browser, &id, flow, lines, app.now())
    {
        Ok((started, _)) => {
            app.trips().insert(started.id.clone(), offer);
            Redirect::to(&format!("/sessions/{}", started.id)).into_response()
        }
        Err(e) => error_page(StatusCode::BAD_REQUEST, &e),
    }
}

fn reply_of(e: &SiteError) -> SiteReply {
    SiteReply {
        accepted: false,
        code: e.code().to_owned(),
        message_ja: e.message(Lang::Ja),
        message_en: e.message(Lang::En),
        redirect_uri: None,
    }
}

fn status_of(e: &SiteError) -> StatusCode {
    match e {
        SiteError::UnknownSession => StatusCode::NOT_FOUND,
        SiteError::RequestExpired => StatusCode::GONE,
        SiteError::Challenge(_) => StatusCode::CONFLICT,
        SiteError::BadRequest(_) | SiteError::UnsupportedVersion(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    }
}

async fn techo_request(State(app): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    match app.verifier.request(&id, app.now()) {
        Ok(r) => Json(r).into_response(),
        Err(e) => (status_of(&e), Json(reply_of(&e))).into_response(),
    }
}

async fn techo_response(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    app.refresh().await;
    match app.verifier.finish_session(&id, &body, app.now()) {
        Ok(reply) => Json(reply).into_response(),
        Err(e) => {
            tracing::info!(session = %id, code = e.code(), "answer refused");
            (status_of(&e), Json(reply_of(&e))).into_response()
        }
    }
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../static/site.js"),
    )
        .into_response()
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/site.css"),
    )
        .into_response()
}
