//! The phone's answer, and the site's reply to it.

use super::identity::SignedIdentity;
use super::order::OrderSignature;
use serde::{Deserialize, Serialize};

/// Posted as JSON to the request's `response_uri`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteResponse {
    pub v: u32,
    pub session: String,
    /// The display token (`TK1:` text) bound to the site's challenge.
    #[serde(default)]
    pub presentation: Option<String>,
    /// Name and birth date from the card, signed by the presenting phone's key.
    #[serde(default)]
    pub identity: Option<SignedIdentity>,
    /// The order signed with the card's signing key.
    #[serde(default)]
    pub order_signature: Option<OrderSignature>,
}

/// The site's answer to a response: accepted or not, why, and (same-device) where the app
/// sends the holder back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteReply {
    pub accepted: bool,
    pub code: String,
    pub message_ja: String,
    pub message_en: String,
    #[serde(default)]
    pub redirect_uri: Option<String>,
}
