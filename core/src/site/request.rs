//! What a site asks the phone for: a presentation bound to its challenge (and optionally the
//! name and birth date from the card), or an order to sign with the card's signing key.

use super::SITE_PROTOCOL_VERSION;
use super::error::SiteError;
use super::link::origin_of;
use super::order::OrderDocument;
use crate::token::{Challenge, ClaimId};
use chrono::{DateTime, Utc};
use reqwest::Url;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A presentation for the discount.
    Present,
    /// The order, signed with the card's signing key.
    SignOrder,
}

/// Cross-device: the site shows a QR code, the phone answers, the site's page updates.
/// Same-device: the site opens the app, which answers and then opens `redirect_uri`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    CrossDevice,
    SameDevice,
}

/// Who is asking, as the app shows it on the consent screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    pub name: String,
    pub name_en: String,
    /// `host[:port]` of the site; the challenge is bound to it and the app checks it against
    /// the address it fetched the request from.
    pub audience: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteRequest {
    pub v: u32,
    pub kind: RequestKind,
    pub session: String,
    pub site: SiteInfo,
    /// The challenge's nonce (hex, 16 bytes).
    pub nonce: String,
    pub expires_at: DateTime<Utc>,
    /// Claim names (`kind`, `fare`, `caregiver`, `linkage`, ...), for `present`.
    #[serde(default)]
    pub disclose: Vec<String>,
    /// The site asks for the holder's name and birth date from the card (consent needed).
    #[serde(default)]
    pub identity: bool,
    /// The order to sign, for `sign_order`.
    #[serde(default)]
    pub order: Option<OrderDocument>,
    /// Where the phone posts its answer.
    pub response_uri: String,
    pub flow: Flow,
}

impl SiteRequest {
    pub fn challenge(&self) -> Result<Challenge, SiteError> {
        let nonce = crate::hex::decode(&self.nonce)
            .filter(|n| (16..=64).contains(&n.len()))
            .ok_or_else(|| SiteError::BadRequest("nonce".into()))?;
        Ok(Challenge {
            nonce,
            audience: self.site.audience.clone(),
        })
    }

    /// The claims asked for; unknown names are refused rather than skipped.
    pub fn claims(&self) -> Result<Vec<ClaimId>, SiteError> {
        self.disclose
            .iter()
            .map(|n| ClaimId::parse(n).ok_or_else(|| SiteError::BadRequest(format!("claim {n:?}"))))
            .collect()
    }

    /// The phone's checks before it shows the consent screen: version, https, the site is the
    /// one that served the request and will receive the answer, not expired, well formed.
    pub fn check(&self, served_from: &Url, now: DateTime<Utc>) -> Result<(), SiteError> {
        if self.v != SITE_PROTOCOL_VERSION {
            return Err(SiteError::UnsupportedVersion(self.v));
        }
        let response = Url::parse(&self.response_uri)
            .map_err(|_| SiteError::BadRequest("response_uri".into()))?;
        for url in [served_from, &response] {
            if url.scheme() != "https" {
                return Err(SiteError::NotHttps(url.to_string()));
            }
            let actual = origin_of(url).unwrap_or_default();
            if actual != self.site.audience {
                return Err(SiteError::WrongSite {
                    claimed: self.site.audience.clone(),
                    actual,
                });
            }
        }
        if now > self.expires_at {
            return Err(SiteError::RequestExpired);
        }
        self.challenge()?;
        match self.kind {
            RequestKind::Present => {
                if self.claims()?.is_empty() || self.order.is_some() {
                    return Err(SiteError::BadRequest("a presentation request".into()));
                }
            }
            RequestKind::SignOrder => {
                let order = self
                    .order
                    .as_ref()
                    .ok_or_else(|| SiteError::BadRequest("order".into()))?;
                order.check(&self.site.audience)?;
            }
        }
        Ok(())
    }
}
