//! The wire types of the Myna Portal (simulated) and of techo-server's app API, shared by the
//! servers and the app so both sides read the same JSON.

use crate::token::HeldCredential;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The service id Techo is registered under at the portal.
pub const TECHO_SERVICE_ID: &str = "techo-disability-handbook";
/// What the holder consents to give: 障害者手帳情報 (self-information category 5-4).
pub const SCOPE_HANDBOOKS: &str = "disability_handbooks";

/// An error body from either server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_try: Option<DateTime<Utc>>,
}

// ---- Portal: holder authentication and consent ----

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChallengeRequest {
    pub service_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChallengeResponse {
    pub auth_session: String,
    pub challenge_hex: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsentRequest {
    pub auth_session: String,
    pub service_id: String,
    pub scope: String,
    /// The card's user-authentication certificate (DER, hex).
    pub certificate_hex: String,
    /// RSA PKCS#1 v1.5 SHA-256 signature over the challenge bytes (hex).
    pub signature_hex: String,
    /// A proxy (代理人, API item 17) consenting for someone else: the principal as the agent's
    /// 代理人メニュー lists them. The portal checks its proxy setting for the card's holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsentResponse {
    /// One-time code for the service provider's server.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

// ---- Portal: provider API (mutual TLS) ----

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRequest {
    pub code: String,
    pub service_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// A pairwise identifier for the holder at this provider.
    pub subject: String,
    pub consent_expires_at: DateTime<Utc>,
    /// Set when a proxy consented for the holder: the relationship the portal has on record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<ProxyAgent>,
}

/// The portal's proxy setting behind a consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyAgent {
    pub relationship: crate::model::Relationship,
}

/// One handbook as the portal reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalRecord {
    /// `physical`, `mental` or `intellectual`.
    pub kind: String,
    pub number: String,
    /// 身体/精神: "1".."6"; 療育: the prefecture's label.
    pub grade: String,
    /// `first`, `second` or `none` (旅客運賃減額).
    pub fare_class: String,
    pub municipality_code: String,
    pub municipality_name: String,
    pub issued: NaiveDate,
    #[serde(default)]
    pub reissued: Option<NaiveDate>,
    #[serde(default)]
    pub returned: Option<NaiveDate>,
    #[serde(default)]
    pub expires: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordsResponse {
    pub records: Vec<PortalRecord>,
}

// ---- techo-server: app API ----

/// Which of the holder's handbooks to link (matched against the portal's records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandbookRef {
    pub kind: String,
    pub number: String,
    pub municipality_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceKeyDto {
    pub alias: String,
    /// SEC1 compressed P-256 point, hex.
    pub public_hex: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartLinkage {
    pub idempotency_key: String,
    pub handbook: HandbookRef,
    #[serde(default)]
    pub photo_sha256_hex: Option<String>,
    pub device_keys: Vec<DeviceKeyDto>,
    /// The handbook is presented by a guardian (declared by the app; the portal confirms it when
    /// the guardian consents as a proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian: Option<crate::model::Relationship>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartedLinkage {
    pub session_id: String,
    pub portal_url: String,
    pub service_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmitCode {
    pub code: String,
}

/// A fresh batch of credentials without the card: the portal is asked again under the consent
/// the holder gave at linkage. Signed by a device key of the current batch, so only the phone
/// that holds the linkage can ask; the new batch's keys were made on the phone before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewRequest {
    /// A replayed request gets the batch the first one got, never a second one.
    pub idempotency_key: String,
    pub signed_at: DateTime<Utc>,
    /// The signing key: one of the session's current device keys (SEC1 compressed, hex).
    pub signer_hex: String,
    pub device_keys: Vec<DeviceKeyDto>,
    /// ES256 (r ‖ s, hex) over [`RenewRequest::signed_bytes`].
    pub signature_hex: String,
}

impl RenewRequest {
    /// What the device key signs: the session, the request's key and time, and the new keys.
    pub fn signed_bytes(&self, session: &str) -> Vec<u8> {
        let keys: Vec<&str> = self
            .device_keys
            .iter()
            .map(|k| k.public_hex.as_str())
            .collect();
        format!(
            "techo-renew-v1\n{session}\n{}\n{}\n{}",
            self.idempotency_key,
            self.signed_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            keys.join(",")
        )
        .into_bytes()
    }
}

/// Where a linkage session stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LinkageStatus {
    AwaitingCode,
    Pending {
        reason: String,
        next_try: DateTime<Utc>,
    },
    Linked {
        credentials: Vec<HeldCredential>,
        valid_until: NaiveDate,
        /// The last day (JST) of the holder's consent: renewals stop there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consent_until: Option<NaiveDate>,
    },
    Failed {
        error: String,
        message: String,
    },
    Revoked {
        reason: String,
    },
    Suspended,
}

/// Whether a revocation's reason is the end of the holder's consent (expired, or withdrawn on
/// the portal): only the card can link again.
pub fn consent_ended(revocation_reason: &str) -> bool {
    revocation_reason.starts_with("consent_")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminAction {
    pub session_id: String,
    /// `revoke`, `suspend` or `reinstate`.
    pub action: String,
    pub reason: String,
}

/// `GET /v1/status-lists`: every status list the issuer publishes, with its newest version.
/// Unsigned (each list and delta is signed): a list left out only makes credentials in it fail
/// to verify, never pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListIndex {
    /// Entries per list.
    pub list_size: u32,
    pub lists: Vec<StatusListHead>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListHead {
    pub list: u32,
    pub version: u64,
    pub issued_at: chrono::DateTime<chrono::Utc>,
}
