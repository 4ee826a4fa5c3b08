//! What the server keeps for operators, in the same store as linkages (sled or PostgreSQL), so
//! a restart forgets nothing and two processes on one database agree: the directory (each
//! operator's published entry with the version it changed at, removals, the version counter),
//! when each coupon was withdrawn, operators' tokens (as SHA-256 hashes only), and redemptions
//! (each code's answer, and the count per operator, coupon and holder).

use super::api::StoreError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use techo_core::directory::DirectoryEntry;
use techo_core::directory::redemption::RedemptionResult;

/// One operator as the server keeps it: what the directory publishes, and when each of its
/// coupons was withdrawn (server-side only: a redemption scanned before that time still counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRecord {
    pub entry: DirectoryEntry,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub withdrawn_at: BTreeMap<String, DateTime<Utc>>,
}

/// One row of the directory: an operator, or its removal (`record: None`), with the version
/// it last changed at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryRow {
    pub id: String,
    pub record: Option<OperatorRecord>,
    pub version: u64,
}

/// The directory's version, and the first version it ever had (a delta starts no earlier).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryHead {
    pub version: u64,
    pub since: u64,
}

impl DirectoryHead {
    /// The version a change at `now_ms` gets: publication time in milliseconds, strictly
    /// increasing, so it never goes back below what an app already has.
    #[must_use]
    pub fn next(self, now_ms: u64) -> Self {
        let version = now_ms.max(self.version + 1);
        Self {
            version,
            since: if self.since == 0 { version } else { self.since },
        }
    }
}

/// Whose use of which coupon a redemption counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponUse<'a> {
    pub operator: &'a str,
    pub coupon: &'a str,
    /// The portal's pairwise subject behind the credential (a new linkage keeps the count).
    pub holder: &'a str,
}

/// How many times counters redeemed one coupon for one holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CouponCount {
    pub operator: String,
    pub coupon: String,
    pub count: u32,
}

/// What a key already seen answers now: a counted code is a duplicate.
pub fn answer_again(earlier: RedemptionResult) -> RedemptionResult {
    match earlier {
        RedemptionResult::Recorded | RedemptionResult::Duplicate => RedemptionResult::Duplicate,
        other => other,
    }
}

pub(crate) fn result_name(r: RedemptionResult) -> &'static str {
    match r {
        RedemptionResult::Recorded => "recorded",
        RedemptionResult::Duplicate => "duplicate",
        RedemptionResult::LimitReached => "limit_reached",
        RedemptionResult::Refused => "refused",
        RedemptionResult::Invalid => "invalid",
    }
}

pub(crate) fn result_named(name: &str) -> Result<RedemptionResult, StoreError> {
    Ok(match name {
        "recorded" => RedemptionResult::Recorded,
        "duplicate" => RedemptionResult::Duplicate,
        "limit_reached" => RedemptionResult::LimitReached,
        "refused" => RedemptionResult::Refused,
        "invalid" => RedemptionResult::Invalid,
        other => {
            return Err(StoreError::Corrupt {
                what: "redemption".into(),
                why: format!("unknown result {other}"),
            });
        }
    })
}

/// The SHA-256 (hex) an operator token is kept as: tokens are 192 random bits, so a fast hash
/// is enough, and a copy of the database gives no one a working token.
pub fn token_hash(token: &str) -> String {
    techo_core::hex::encode(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
}

/// The operator half of the server's store. Every method is one atomic step.
pub trait OperatorStore: Send + Sync {
    fn directory_head(&self) -> impl Future<Output = Result<DirectoryHead, StoreError>> + Send;
    /// The head and every row (removals included), read together.
    fn directory_rows(
        &self,
    ) -> impl Future<Output = Result<(DirectoryHead, Vec<DirectoryRow>), StoreError>> + Send;
    fn operator(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<OperatorRecord>, StoreError>> + Send;
    /// Writes `record` for `id` (`None`: removed) at the next version, if the directory is still
    /// at `seen` (compare and swap: no change made meanwhile, by any process, is lost). The new
    /// version, or `None` when the directory moved on (read again and retry).
    fn write_operator(
        &self,
        id: &str,
        record: Option<&OperatorRecord>,
        seen: u64,
        now_ms: u64,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;
    /// Keeps the hash of `operator`'s token (replacing the old one).
    fn put_operator_token(
        &self,
        operator: &str,
        hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn operator_token_hash(
        &self,
        operator: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// The answer already given for `key`, if any.
    fn redemption(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<RedemptionResult>, StoreError>> + Send;
    /// Counts one use under `per_holder` (0: no limit) unless `key` was seen: `Recorded`,
    /// `LimitReached`, or for a key seen before, [`answer_again`] of its first answer. Two
    /// processes sending one code at once count it once.
    fn redeem(
        &self,
        key: &str,
        what: &CouponUse<'_>,
        per_holder: u32,
    ) -> impl Future<Output = Result<RedemptionResult, StoreError>> + Send;
    /// Records the answer for a key that was not counted (refused, invalid), so it is given
    /// again; a key already answered keeps its first answer.
    fn note_redemption(
        &self,
        key: &str,
        result: RedemptionResult,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn coupon_uses(
        &self,
        holder: &str,
    ) -> impl Future<Output = Result<Vec<CouponCount>, StoreError>> + Send;
    /// The portal's pairwise subject consented for linkage session `session`.
    fn subject_of_session(
        &self,
        session: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
}
