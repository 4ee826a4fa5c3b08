//! The site's side: start a session (a challenge bound to this site, single use, five minutes),
//! serve its request to the phone, finish it with the phone's answer, show the result to the
//! browser that started it.

use super::SITE_PROTOCOL_VERSION;
use super::error::SiteError;
use super::link::{origin_of, request_link};
use super::order::{OrderBody, OrderDocument, OrderLine, SignedPurchase};
use super::request::{Flow, RequestKind, SiteInfo, SiteRequest};
use super::response::{SiteReply, SiteResponse};
use super::session::{Accepted, Session, SessionState, SessionView};
use crate::card::JpkiTrust;
use crate::policy::{
    CHALLENGE_TTL_SECONDS, ChallengeBook, ChallengeError, Facts, OperatorPolicy, Trip, evaluate,
};
use crate::token::{ClaimId, Policy, StatusList, TrustList, VerifyError, verify};
use chrono::{DateTime, Duration, Utc};
use reqwest::Url;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError, RwLock};

/// Finished sessions are kept this long for the browser to read, then dropped.
const KEEP_MINUTES: i64 = 60;

/// A site's configuration.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    pub name: String,
    pub name_en: String,
    /// `https://host[:port]`: requests and answers live under it, and its `host[:port]` is the
    /// audience every challenge is bound to.
    pub base_url: String,
    /// The site's acceptance rules; its `[online] audience` becomes the site's own.
    pub policy: OperatorPolicy,
    /// The JPKI signing CA(s), when the site takes signed orders.
    pub signing_trust: Option<JpkiTrust>,
    /// Claims asked for (default: the counter four).
    pub disclose: Vec<ClaimId>,
}

/// A session as started: the link for the QR code or the same-device button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedSession {
    pub id: String,
    pub link: String,
    pub request_uri: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    book: ChallengeBook,
}

#[derive(Debug)]
pub struct SiteVerifier {
    config: SiteConfig,
    audience: String,
    base: String,
    lists: RwLock<(TrustList, Vec<StatusList>)>,
    inner: Mutex<Inner>,
}

fn refused(e: &SiteError) -> SessionState {
    SessionState::Refused {
        code: e.code(),
        ja: e.message(crate::Lang::Ja),
        en: e.message(crate::Lang::En),
    }
}

impl SiteVerifier {
    /// A verifier for the site at `config.base_url`, checking presentations against `trust`
    /// and `status` (refresh them with [`SiteVerifier::set_lists`]).
    pub fn new(
        mut config: SiteConfig,
        trust: TrustList,
        status: Vec<StatusList>,
    ) -> Result<Self, SiteError> {
        let url = Url::parse(&config.base_url)
            .map_err(|_| SiteError::BadRequest(format!("base URL {}", config.base_url)))?;
        if url.scheme() != "https" {
            return Err(SiteError::NotHttps(config.base_url.clone()));
        }
        let audience = origin_of(&url).ok_or(SiteError::NotASiteLink)?;
        config.policy.online_audience = Some(audience.clone());
        if config.disclose.is_empty() {
            config.disclose = ClaimId::COUNTER.to_vec();
        }
        Ok(Self {
            base: config.base_url.trim_end_matches('/').to_owned(),
            config,
            audience,
            lists: RwLock::new((trust, status)),
            inner: Mutex::new(Inner::default()),
        })
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    pub fn policy(&self) -> &OperatorPolicy {
        &self.config.policy
    }

    /// Replaces the trust and status lists (fetched again from the issuer).
    pub fn set_lists(&self, trust: TrustList, status: Vec<StatusList>) {
        *self.lists.write().unwrap_or_else(PoisonError::into_inner) = (trust, status);
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn open(
        &self,
        inner: &mut Inner,
        browser: &str,
        kind: RequestKind,
        flow: Flow,
        trip: Trip,
        now: DateTime<Utc>,
    ) -> Result<(String, StartedSession), SiteError> {
        let cutoff = now - Duration::minutes(KEEP_MINUTES);
        inner.sessions.retain(|_, s| s.created > cutoff);
        let id = crate::hex::encode(&crate::hex::random_bytes(16));
        let challenge = inner.book.issue(&self.audience, now);
        let expires = now + Duration::seconds(CHALLENGE_TTL_SECONDS);
        let request_uri = format!("{}/techo/requests/{id}", self.base);
        inner.sessions.insert(
            id.clone(),
            Session {
                kind,
                flow,
                challenge,
                created: now,
                expires,
                browser: browser.to_owned(),
                trip,
                identity: false,
                order: None,
                parent: None,
                state: SessionState::Waiting,
                response_code: None,
            },
        );
        let started = StartedSession {
            link: request_link(&request_uri)?,
            id: id.clone(),
            request_uri,
            expires_at: expires,
        };
        Ok((id, started))
    }

    /// Starts a presentation session for the browser holding `browser` (a secret the site keeps
    /// in that browser's cookie), for `trip`; `identity` asks for name and birth date too.
    pub fn start_session(
        &self,
        browser: &str,
        flow: Flow,
        trip: Trip,
        identity: bool,
        now: DateTime<Utc>,
    ) -> Result<StartedSession, SiteError> {
        let mut inner = self.inner();
        let (id, started) =
            self.open(&mut inner, browser, RequestKind::Present, flow, trip, now)?;
        if let Some(s) = inner.sessions.get_mut(&id) {
            s.identity = identity;
        }
        Ok(started)
    }

    /// Starts an order-signing session after an accepted presentation in the same browser.
    pub fn start_signing(
        &self,
        browser: &str,
        presentation: &str,
        flow: Flow,
        lines: Vec<OrderLine>,
        now: DateTime<Utc>,
    ) -> Result<(StartedSession, OrderBody), SiteError> {
        if self.config.signing_trust.is_none() {
            return Err(SiteError::BadRequest(
                "this site does not take signed orders".into(),
            ));
        }
        let mut inner = self.inner();
        let parent = inner
            .sessions
            .get(presentation)
            .filter(|s| crate::hex::same_secret(&s.browser, browser))
            .ok_or(SiteError::UnknownSession)?;
        if !matches!(parent.state, SessionState::Accepted(_)) {
            return Err(SiteError::WrongAnswer {
                expected: "an accepted presentation",
                got: parent.state.name(),
            });
        }
        let trip = parent.trip;
        let (id, started) =
            self.open(&mut inner, browser, RequestKind::SignOrder, flow, trip, now)?;
        let body = OrderBody {
            order_id: format!("T-{}", &id[..8].to_uppercase()),
            site: self.audience.clone(),
            total_yen: lines.iter().map(|l| l.yen).sum(),
            lines,
            created_at: now,
        };
        if let Some(s) = inner.sessions.get_mut(&id) {
            s.order = Some(OrderDocument::new(&body));
            s.parent = Some(presentation.to_owned());
        }
        Ok((started, body))
    }

    /// The request the phone fetches from the link.
    pub fn request(&self, id: &str, now: DateTime<Utc>) -> Result<SiteRequest, SiteError> {
        let inner = self.inner();
        let s = inner.sessions.get(id).ok_or(SiteError::UnknownSession)?;
        if now > s.expires {
            return Err(SiteError::RequestExpired);
        }
        Ok(SiteRequest {
            v: SITE_PROTOCOL_VERSION,
            kind: s.kind,
            session: id.to_owned(),
            site: SiteInfo {
                name: self.config.name.clone(),
                name_en: self.config.name_en.clone(),
                audience: self.audience.clone(),
            },
            nonce: crate::hex::encode(&s.challenge.nonce),
            expires_at: s.expires,
            disclose: match s.kind {
                RequestKind::Present => self
                    .config
                    .disclose
                    .iter()
                    .map(|c| c.name().to_owned())
                    .collect(),
                RequestKind::SignOrder => Vec::new(),
            },
            identity: s.identity,
            order: s.order.clone(),
            response_uri: format!("{}/techo/responses/{id}", self.base),
            flow: s.flow,
        })
    }

    /// Finishes session `id` with the phone's answer (the JSON body it posted). A refusal is
    /// recorded for the browser to show, and the session stays open for a valid answer until
    /// it expires; an accepted answer uses the challenge up.
    pub fn finish_session(
        &self,
        id: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<SiteReply, SiteError> {
        let mut inner = self.inner();
        let Inner { sessions, book } = &mut *inner;
        let session = sessions.get_mut(id).ok_or(SiteError::UnknownSession)?;
        let answer = self.check_answer(session, id, body, book, now);
        match answer {
            Ok(state) => {
                if session.flow == Flow::SameDevice {
                    session.response_code = Some(crate::hex::encode(&crate::hex::random_bytes(16)));
                }
                session.state = state;
                Ok(self.reply(id, session))
            }
            Err(e) => {
                // An answer already accepted is not undone by a later bad one.
                if !matches!(
                    session.state,
                    SessionState::Accepted(_) | SessionState::Signed(_)
                ) {
                    session.state = refused(&e);
                }
                Err(e)
            }
        }
    }

    fn reply(&self, id: &str, session: &Session) -> SiteReply {
        let (ja, en) = match &session.state {
            SessionState::Signed(_) => ("注文に署名しました", "the order is signed"),
            _ => ("提示を受け付けました", "presentation received"),
        };
        SiteReply {
            accepted: true,
            code: session.state.name().to_owned(),
            message_ja: ja.into(),
            message_en: en.into(),
            redirect_uri: session
                .response_code
                .as_ref()
                .map(|code| format!("{}/sessions/{id}?code={code}", self.base)),
        }
    }

    fn check_answer(
        &self,
        session: &Session,
        id: &str,
        body: &[u8],
        book: &mut ChallengeBook,
        now: DateTime<Utc>,
    ) -> Result<SessionState, SiteError> {
        if now > session.expires {
            return Err(SiteError::RequestExpired);
        }
        let response: SiteResponse = serde_json::from_slice(body)
            .map_err(|e| SiteError::BadRequest(format!("answer: {e}")))?;
        if response.v != SITE_PROTOCOL_VERSION {
            return Err(SiteError::UnsupportedVersion(response.v));
        }
        let state = match session.kind {
            RequestKind::Present => self.check_presentation(session, &response, book, now)?,
            RequestKind::SignOrder => self.check_order(session, &response, now)?,
        };
        if response.session != id {
            return Err(SiteError::BadRequest(
                "the answer names another session".into(),
            ));
        }
        book.redeem(&session.challenge, now)
            .map_err(SiteError::Challenge)?;
        Ok(state)
    }

    fn check_presentation(
        &self,
        session: &Session,
        response: &SiteResponse,
        book: &ChallengeBook,
        now: DateTime<Utc>,
    ) -> Result<SessionState, SiteError> {
        let token = response
            .presentation
            .as_deref()
            .ok_or(SiteError::WrongAnswer {
                expected: "a presentation",
                got: "no presentation",
            })?;
        let verified = {
            let lists = self.lists.read().unwrap_or_else(PoisonError::into_inner);
            // Checked without the challenge first, so a presentation made for another of this
            // site's sessions can be named a replay rather than just "another challenge".
            verify(
                token.as_bytes(),
                &lists.0,
                &lists.1,
                now,
                &Policy::default(),
            )
            .map_err(SiteError::Presentation)?
        };
        match &verified.challenge {
            None => return Err(SiteError::Presentation(VerifyError::ChallengeMissing)),
            Some(c) if *c != session.challenge => {
                return Err(match book.used_at(c) {
                    Some(used_at) => SiteError::Challenge(ChallengeError::Replayed { used_at }),
                    None => SiteError::Presentation(VerifyError::WrongChallenge),
                });
            }
            Some(_) => {}
        }
        let identity = match (&response.identity, session.identity) {
            (Some(signed), true) => Some(signed.verify(&session.challenge, &verified.device_key)?),
            (Some(_), false) => {
                return Err(SiteError::BadRequest(
                    "name and birth date were not asked for".into(),
                ));
            }
            (None, _) => None,
        };
        let facts = Facts::from_presentation(&verified, now);
        Ok(SessionState::Accepted(Box::new(Accepted {
            verdict: evaluate(&facts, &self.config.policy, &session.trip),
            issuer: verified.issuer_name.clone(),
            linkage: verified.claims.linkage,
            guardian: verified.guardian,
            identity,
            device_key: crate::hex::encode(&verified.device_key),
            at: now,
        })))
    }

    fn check_order(
        &self,
        session: &Session,
        response: &SiteResponse,
        now: DateTime<Utc>,
    ) -> Result<SessionState, SiteError> {
        let signature = response
            .order_signature
            .as_ref()
            .ok_or(SiteError::WrongAnswer {
                expected: "an order signature",
                got: "no signature",
            })?;
        let (Some(document), Some(trust)) = (&session.order, &self.config.signing_trust) else {
            return Err(SiteError::UnknownSession);
        };
        let cert = signature.verify(document, trust, now)?;
        Ok(SessionState::Signed(Box::new(SignedPurchase {
            order: document.body()?,
            signer: cert.common_name,
            certificate_serial: cert.serial_hex,
            certificate_issuer: cert.issuer,
            signed_at: now,
        })))
    }

    /// The session as the browser that started it sees it. Same-device sessions show their
    /// result only with the code the app's redirect brought back.
    pub fn view(
        &self,
        id: &str,
        browser: &str,
        code: Option<&str>,
    ) -> Result<SessionView, SiteError> {
        let inner = self.inner();
        let s = inner
            .sessions
            .get(id)
            .filter(|s| crate::hex::same_secret(&s.browser, browser))
            .ok_or(SiteError::UnknownSession)?;
        let hidden = s.flow == Flow::SameDevice
            && s.response_code.as_deref().is_some_and(|expected| {
                !code.is_some_and(|given| crate::hex::same_secret(expected, given))
            });
        Ok(SessionView {
            id: id.to_owned(),
            kind: s.kind,
            flow: s.flow,
            expires_at: s.expires,
            trip: s.trip,
            parent: s.parent.clone(),
            state: if hidden {
                SessionState::Waiting
            } else {
                s.state.clone()
            },
        })
    }

    /// The accepted presentation a browser's order follows (for pricing the order).
    pub fn accepted(&self, id: &str, browser: &str) -> Option<Accepted> {
        let inner = self.inner();
        match inner
            .sessions
            .get(id)
            .filter(|s| crate::hex::same_secret(&s.browser, browser))
        {
            Some(Session {
                state: SessionState::Accepted(a),
                ..
            }) => Some((**a).clone()),
            _ => None,
        }
    }
}
