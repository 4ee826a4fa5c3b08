//! Redeeming a coupon at the counter, online or offline. The counter checks the verified code
//! carries a usable coupon of its own operator, then records a redemption keyed by the
//! presentation itself; the server counts each key once, so a queue sent twice, or a code scanned
//! twice, is never counted twice. The redemption carries the code as it was scanned, and the
//! server verifies it again (`Redemption::check`): an operator cannot use up a holder's limit
//! with records of presentations that never happened.

use super::Directory;
use super::coupon::CouponError;
use crate::token::VerifiedPresentation;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One redemption as a counter records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// SHA-256 (hex) of the presented code: the idempotency key.
    pub key: String,
    pub operator: String,
    pub coupon: String,
    /// The presented code (hex of its bytes). The server verifies it and maps its credential's
    /// status reference to the holder for the per-holder limit; the operator learns nothing it
    /// did not see at the counter.
    #[serde(default)]
    pub code: String,
    /// When the counter scanned it.
    pub at: DateTime<Utc>,
}

/// How far ahead of the server's clock a counter's scan time may be.
const COUNTER_CLOCK_AHEAD: chrono::Duration = chrono::Duration::minutes(5);

impl Redemption {
    /// Verifies the code behind this redemption as the counter saw it at `at`, against the
    /// issuer's own trust and status lists: a real holder's presentation, this key, this
    /// operator's coupon, scanned no later than now. Returns the credential's status reference.
    pub fn check(
        &self,
        trust: &crate::token::TrustList,
        status: &dyn crate::token::StatusSource,
        now: DateTime<Utc>,
    ) -> Result<crate::token::StatusRef, RedemptionInvalid> {
        let bytes = crate::hex::decode(&self.code).ok_or(RedemptionInvalid::NoCode)?;
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        if crate::hex::encode(digest.as_ref()) != self.key {
            return Err(RedemptionInvalid::KeyMismatch);
        }
        if self.at > now + COUNTER_CLOCK_AHEAD {
            return Err(RedemptionInvalid::FromTheFuture);
        }
        // The lists are the server's current ones: any age is fine, a revocation counts.
        let policy = crate::token::Policy {
            max_status_age: chrono::Duration::days(36_500),
            ..crate::token::Policy::default()
        };
        let verified = crate::token::verify(&bytes, trust, status, self.at, &policy)
            .map_err(|e| RedemptionInvalid::Code(e.code()))?;
        if verified.coupon.as_deref() != Some(&format!("{}/{}", self.operator, self.coupon)) {
            return Err(RedemptionInvalid::OtherCoupon);
        }
        Ok(verified.status)
    }
}

/// Why the server did not count a redemption as a real presentation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedemptionInvalid {
    #[error("the redemption carries no code: update the counter app")]
    NoCode,
    #[error("the key is not the digest of the code")]
    KeyMismatch,
    #[error("scanned later than the server's clock allows")]
    FromTheFuture,
    #[error("the code does not verify ({0})")]
    Code(&'static str),
    #[error("the code carries another coupon")]
    OtherCoupon,
}

/// The server's answer for one redemption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedemptionResult {
    Recorded,
    /// Already counted (the same code, or the same queue sent again).
    Duplicate,
    /// The holder has used this coupon as many times as it allows.
    LimitReached,
    /// The coupon was withdrawn or never existed.
    Refused,
    /// The code behind the redemption does not verify (forged, altered, revoked, or another
    /// coupon): not counted.
    Invalid,
}

impl RedemptionResult {
    /// What the counter tells the holder.
    pub fn message(self, lang: crate::Lang) -> &'static str {
        match self {
            RedemptionResult::Recorded => lang.pick("利用を記録しました", "recorded"),
            RedemptionResult::Duplicate => lang.pick(
                "このコードは記録済みです（二重には数えません）",
                "this code was already counted (never twice)",
            ),
            RedemptionResult::LimitReached => lang.pick(
                "この方の利用回数の上限に達しています",
                "this holder has used it as many times as it allows",
            ),
            RedemptionResult::Refused => lang.pick(
                "このクーポンは取り下げられたか、存在しません",
                "the coupon was withdrawn or does not exist",
            ),
            RedemptionResult::Invalid => lang.pick(
                "提示されたコードを確認できないため記録しません",
                "the presented code does not verify: not counted",
            ),
        }
    }
}

/// Checks a verified presentation's coupon at `operator`'s counter and makes the redemption.
pub fn redeem(
    verified: &VerifiedPresentation,
    payload: &[u8],
    operator: &str,
    dir: &Directory,
    now: DateTime<Utc>,
) -> Result<Redemption, CouponError> {
    let reference = verified
        .coupon
        .as_deref()
        .ok_or(CouponError::NotPresented)?;
    let (op, id) = reference.split_once('/').ok_or(CouponError::NotPresented)?;
    if op != operator {
        return Err(CouponError::Unknown(reference.to_owned()));
    }
    let coupon = dir
        .coupon(op, id)
        .ok_or_else(|| CouponError::Unknown(id.to_owned()))?;
    let today = now.with_timezone(&crate::clock::jst()).date_naive();
    coupon.usable(today, verified.claims.kind)?;
    let digest = ring::digest::digest(&ring::digest::SHA256, payload);
    Ok(Redemption {
        key: crate::hex::encode(digest.as_ref()),
        operator: operator.to_owned(),
        coupon: id.to_owned(),
        code: crate::hex::encode(payload),
        at: now,
    })
}

/// Redemptions made offline, waiting for the server. Serialisable, so a counter keeps it on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionQueue {
    pub pending: Vec<Redemption>,
}

impl RedemptionQueue {
    /// Queues a redemption once (the same code scanned twice is one redemption).
    pub fn push(&mut self, r: Redemption) -> bool {
        if self.pending.iter().any(|p| p.key == r.key) {
            return false;
        }
        self.pending.push(r);
        true
    }

    /// Drops what the server answered for (recorded, duplicate, or refused for good).
    pub fn settle(&mut self, answered: &[(String, RedemptionResult)]) {
        self.pending
            .retain(|p| !answered.iter().any(|(k, _)| *k == p.key));
    }
}
