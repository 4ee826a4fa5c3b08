//! One exchange between a site and a phone, as the site keeps it: what was asked, for which
//! browser, and how it ended.

use super::identity::IdentityFacts;
use super::order::{OrderDocument, SignedPurchase};
use super::request::{Flow, RequestKind};
use crate::policy::{Trip, Verdict};
use crate::token::{Challenge, GuardianClaim, LinkageKind};
use chrono::{DateTime, Utc};

/// A presentation the site accepted (its policy may still say "not accepted here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub verdict: Verdict,
    pub issuer: String,
    pub linkage: Option<LinkageKind>,
    pub guardian: Option<GuardianClaim>,
    /// Name and birth date from the card, signed by the presenting phone (when asked and given).
    pub identity: Option<IdentityFacts>,
    /// The presenting phone's key (hex), to tie a later order to the same phone.
    pub device_key: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    Waiting,
    Accepted(Box<Accepted>),
    Signed(Box<SignedPurchase>),
    /// The last answer was refused; a valid one may still come until the request expires.
    Refused {
        code: &'static str,
        ja: String,
        en: String,
    },
}

impl SessionState {
    pub fn name(&self) -> &'static str {
        match self {
            SessionState::Waiting => "waiting",
            SessionState::Accepted(_) => "accepted",
            SessionState::Signed(_) => "signed",
            SessionState::Refused { .. } => "refused",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub kind: RequestKind,
    pub flow: Flow,
    pub challenge: Challenge,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    /// The browser that started it (a secret in its cookie).
    pub browser: String,
    pub trip: Trip,
    pub identity: bool,
    pub order: Option<OrderDocument>,
    /// For an order: the presentation it follows.
    pub parent: Option<String>,
    pub state: SessionState,
    /// Same-device: the code the app's redirect carries back, so only that browser sees the
    /// result (a link forwarded to someone else shows nothing).
    pub response_code: Option<String>,
}

/// What the browser that started a session may see of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub id: String,
    pub kind: RequestKind,
    pub flow: Flow,
    pub expires_at: DateTime<Utc>,
    pub trip: Trip,
    pub parent: Option<String>,
    pub state: SessionState,
}
