//! What techo-server keeps: linkage sessions (with their idempotency key and, while pending,
//! the retry schedule) and the consent ledger. No portal data: records are turned into a
//! credential and dropped.

use super::sealed::Sealed;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use techo_core::portal::dto::{DeviceKeyDto, HandbookRef};
use techo_core::token::HeldCredential;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SessionState {
    AwaitingCode,
    Pending {
        /// Sealed for this session (the issuer's sealer).
        access_token: Sealed,
        consent_id: String,
        reason: String,
        next_try: DateTime<Utc>,
        attempts: u32,
    },
    /// `credentials` is dropped once the app acknowledges it stored them.
    Linked {
        consent_id: String,
        valid_until: NaiveDate,
        credentials: Option<Vec<HeldCredential>>,
    },
    Failed {
        error: String,
        message: String,
    },
    Revoked {
        reason: String,
    },
    Suspended {
        consent_id: String,
        valid_until: NaiveDate,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id: String,
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
    pub handbook: HandbookRef,
    pub photo_sha256_hex: Option<String>,
    pub device_keys: Vec<DeviceKeyDto>,
    pub state: SessionState,
    /// Presented by a guardian: declared by the app, or confirmed by the portal's proxy setting.
    #[serde(default)]
    pub guardian: Option<techo_core::token::GuardianClaim>,
    /// The portal's access token under the holder's standing consent, kept while linked so a
    /// batch can be renewed without the card; dropped on revocation and withdrawal. Sealed for
    /// this session (the issuer's sealer): the store never holds it in clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<Sealed>,
    /// Set while one request exchanges this session's portal code: a second code sent meanwhile
    /// is refused (one consent, one batch), and an exchange a crash left behind is found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchanging_since: Option<DateTime<Utc>>,
    /// The idempotency key of the last renewal, so a replay gets that batch, never another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed_with: Option<String>,
    /// The key (of the batch before) that signed the last renewal: only it may replay it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed_by: Option<String>,
    /// When the holder's consent ends (the portal's period): told to the app, which warns ahead
    /// that the card will be needed; renewals stop there and the data is purged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_until: Option<DateTime<Utc>>,
}

/// What the holder consented to, when, and when the data was purged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEntry {
    pub id: String,
    pub session_id: String,
    /// The portal's pairwise subject for Techo (not the holder's name or number).
    pub subject: String,
    pub scope: String,
    pub consented_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub purged_at: Option<DateTime<Utc>>,
    /// Who consented for the holder: `None` the holder (with their card); else the proxy's
    /// relationship as the portal has it.
    #[serde(default)]
    pub by_proxy: Option<techo_core::model::Relationship>,
}

impl SessionState {
    /// The state's name, as the store indexes it.
    pub fn name(&self) -> &'static str {
        match self {
            SessionState::AwaitingCode => "awaiting_code",
            SessionState::Pending { .. } => "pending",
            SessionState::Linked { .. } => "linked",
            SessionState::Failed { .. } => "failed",
            SessionState::Revoked { .. } => "revoked",
            SessionState::Suspended { .. } => "suspended",
        }
    }

    /// When a pending request is due.
    pub fn next_try(&self) -> Option<DateTime<Utc>> {
        match self {
            SessionState::Pending { next_try, .. } => Some(*next_try),
            _ => None,
        }
    }
}

/// One published version of a status list (docs/token-spec.md, "Publishing"). `undo` and
/// `entries` are Rice-coded runs (`techo_core::token::status_delta::encode_runs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    pub list: u32,
    pub version: u64,
    pub issued_at: DateTime<Utc>,
    /// The entries this version changed, with the status they had in the version before (for
    /// version 1: valid): the newest entries walked back through these give any older version.
    pub undo: Vec<u8>,
    /// Every entry that is not valid, kept on the newest version only (the base the next
    /// version is compared with); `None` on older ones.
    pub entries: Option<Vec<u8>>,
}
