//! Booking sites: the site's verifier (Python sites use it: start a session, serve its request,
//! finish it with the phone's answer) and the phone's answer to a site's request. The messages
//! are JSON, as on the wire; `docs/booking-sites.md` gives them.

use crate::TechoError;
use crate::records::Language;
use crate::verifier::{Verifier, instant};
use crate::wallet::Wallet;
use chrono::NaiveDate;
use std::sync::Arc;
use techo_core::card::JpkiTrust;
use techo_core::policy::{Decision, OperatorPolicy, Trip};
use techo_core::site::{Flow, IdentityFacts, SessionState, SiteConfig, SiteRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SiteFlow {
    /// The site shows a QR code; another phone answers.
    CrossDevice,
    /// The site opens the app on the same phone, which sends the holder back.
    SameDevice,
}

/// The trip the discount is for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SiteTrip {
    /// `YYYY-MM-DD`, Japan time.
    pub date: String,
    pub distance_km: Option<u32>,
    pub with_caregiver: Option<bool>,
}

/// A started session: show `link` as a QR code (cross-device) or open it (same-device).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SiteSession {
    pub id: String,
    pub link: String,
    pub request_uri: String,
    pub expires_unix: i64,
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SiteOutcome {
    /// `accepted`, `not_accepted` or `check_manually` for a presentation; `signed` for an order.
    pub decision: String,
    pub headline: String,
    pub holder_discount: bool,
    pub caregiver_discount: bool,
    pub reasons: Vec<String>,
    pub linkage: Option<String>,
    pub guardian: Option<String>,
    /// Name and birth date from the card, signed by the presenting phone.
    pub identity_name: Option<String>,
    pub identity_birth_date: Option<String>,
    /// The signer a signed order names.
    pub signer: Option<String>,
    /// Same-device: where the app sends the holder back.
    pub redirect_uri: Option<String>,
    /// The JSON reply to send to the phone.
    pub reply_json: String,
}

/// The name and birth date the holder agreed to send (read from the card by the app).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SiteIdentity {
    pub name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
}

impl TryFrom<SiteTrip> for Trip {
    type Error = TechoError;

    fn try_from(trip: SiteTrip) -> Result<Self, TechoError> {
        Ok(Trip {
            date: date(&trip.date)?,
            distance_km: trip.distance_km,
            with_caregiver: trip.with_caregiver,
        })
    }
}

fn date(text: &str) -> Result<NaiveDate, TechoError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| TechoError::bad(format!("not a YYYY-MM-DD date: {text}")))
}

#[derive(Debug, uniffi::Object)]
pub struct SiteVerifier {
    inner: techo_core::site::SiteVerifier,
}

#[uniffi::export]
impl SiteVerifier {
    /// A verifier for the site at `base_url` (`https://host[:port]`) with its policy (TOML, see
    /// docs/operator-policy.md), checking presentations with `verifier`'s lists; with
    /// `signing_ca_der`, it also takes orders signed with the My Number card.
    #[uniffi::constructor]
    pub fn new(
        name: String,
        name_en: String,
        base_url: String,
        policy_toml: String,
        verifier: Arc<Verifier>,
        signing_ca_der: Option<Vec<u8>>,
    ) -> Result<Arc<Self>, TechoError> {
        let policy =
            OperatorPolicy::from_toml("site policy", &policy_toml).map_err(TechoError::bad)?;
        let signing_trust = signing_ca_der
            .map(|ca| JpkiTrust::new(vec![ca]))
            .transpose()
            .map_err(TechoError::bad)?;
        let (trust, status) = verifier.lists();
        let inner = techo_core::site::SiteVerifier::new(
            SiteConfig {
                name,
                name_en,
                base_url,
                policy,
                signing_trust,
                disclose: Vec::new(),
            },
            trust,
            status,
        )?;
        Ok(Arc::new(Self { inner }))
    }

    /// Uses fresh lists (fetch them again every few minutes, so revocations reach the site).
    pub fn set_verifier(&self, verifier: Arc<Verifier>) {
        let (trust, status) = verifier.lists();
        self.inner.set_lists(trust, status);
    }

    /// Starts a presentation session for the browser holding the secret `browser`.
    pub fn start_session(
        &self,
        browser: String,
        flow: SiteFlow,
        trip: SiteTrip,
        identity: bool,
        now_unix: i64,
    ) -> Result<SiteSession, TechoError> {
        let trip = Trip::try_from(trip)?;
        let flow = match flow {
            SiteFlow::CrossDevice => Flow::CrossDevice,
            SiteFlow::SameDevice => Flow::SameDevice,
        };
        let s = self
            .inner
            .start_session(&browser, flow, trip, identity, instant(now_unix))?;
        Ok(SiteSession {
            id: s.id,
            link: s.link,
            request_uri: s.request_uri,
            expires_unix: s.expires_at.timestamp(),
        })
    }

    /// The request JSON to serve at the session's `request_uri`.
    pub fn request_json(&self, session: String, now_unix: i64) -> Result<String, TechoError> {
        let r = self.inner.request(&session, instant(now_unix))?;
        serde_json::to_string(&r).map_err(TechoError::bad)
    }

    /// Finishes a session with the JSON the phone posted. A refusal is a
    /// `TechoError.Rejected` with a stable code (`replayed`, `revoked`, `request_expired`, …).
    pub fn finish_session(
        &self,
        session: String,
        body: Vec<u8>,
        now_unix: i64,
        browser: String,
        lang: Language,
    ) -> Result<SiteOutcome, TechoError> {
        let lang: techo_core::Lang = lang.into();
        let reply = self
            .inner
            .finish_session(&session, &body, instant(now_unix))?;
        let code = reply
            .redirect_uri
            .as_deref()
            .and_then(|u| u.split("code=").nth(1));
        let view = self.inner.view(&session, &browser, code)?;
        let mut out = SiteOutcome {
            decision: String::new(),
            headline: String::new(),
            holder_discount: false,
            caregiver_discount: false,
            reasons: Vec::new(),
            linkage: None,
            guardian: None,
            identity_name: None,
            identity_birth_date: None,
            signer: None,
            redirect_uri: reply.redirect_uri.clone(),
            reply_json: serde_json::to_string(&reply).map_err(TechoError::bad)?,
        };
        match view.state {
            SessionState::Accepted(a) => {
                let v = &a.verdict;
                out.decision = match v.decision {
                    Decision::Accepted => "accepted",
                    Decision::NotAccepted => "not_accepted",
                    Decision::CheckManually => "check_manually",
                }
                .into();
                out.headline = v.decision.headline(lang).into();
                out.holder_discount = v.grant.holder;
                out.caregiver_discount = v.grant.caregiver;
                out.reasons = v
                    .reasons
                    .iter()
                    .chain(&v.notes)
                    .map(|r| r.text(lang).to_owned())
                    .collect();
                out.linkage = a.linkage.map(|l| l.label(lang).to_owned());
                out.guardian = a.guardian.map(|g| g.label(lang));
                out.identity_name = a.identity.as_ref().map(|i| i.name.clone());
                out.identity_birth_date = a
                    .identity
                    .as_ref()
                    .map(|i| i.birth_date.format("%Y-%m-%d").to_string());
            }
            SessionState::Signed(p) => {
                out.decision = "signed".into();
                out.signer = p.signer;
            }
            SessionState::Waiting | SessionState::Refused { .. } => {
                return Err(TechoError::bad(
                    "the session has no result for this browser",
                ));
            }
        }
        Ok(out)
    }
}

#[uniffi::export]
impl Wallet {
    /// The phone's answer to a site's request (the JSON fetched from `served_from`): checks that
    /// the request, its answer address and its audience are that site and that it is current,
    /// then presents the handbook bound to the site's challenge. `identity` is sent only when the
    /// site asked and the holder agreed. Returns the JSON to post to the request's
    /// `response_uri`.
    pub fn answer_site(
        &self,
        request_json: String,
        served_from: String,
        handbook_id: Option<techo_core::model::HandbookId>,
        identity: Option<SiteIdentity>,
    ) -> Result<String, TechoError> {
        let request: SiteRequest = serde_json::from_str(&request_json)
            .map_err(|e| TechoError::bad(format!("the site's request: {e}")))?;
        let url = reqwest_url(&served_from)?;
        request.check(&url, self.core().now())?;
        let identity = identity
            .map(|i| {
                Ok::<_, TechoError>(IdentityFacts {
                    name: i.name,
                    birth_date: date(&i.birth_date)?,
                })
            })
            .transpose()?;
        let response =
            self.core()
                .answer_site(&request, handbook_id.as_ref(), identity.as_ref())?;
        serde_json::to_string(&response).map_err(TechoError::bad)
    }
}

fn reqwest_url(text: &str) -> Result<techo_core::site::Url, TechoError> {
    techo_core::site::Url::parse(text).map_err(|_| TechoError::bad(format!("not a URL: {text}")))
}
