//! Redeeming a coupon at the counter, online or offline. The counter checks the verified code
//! carries a usable coupon of its own operator, then records a redemption keyed by the
//! presentation itself; the server counts each key once, so a queue sent twice, or a code scanned
//! twice, is never counted twice.

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
    /// The credential's status reference: the server maps it to the holder for the per-holder
    /// limit; the operator learns nothing it could track a person by.
    pub status_list: u32,
    pub status_index: u32,
    pub at: DateTime<Utc>,
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
        status_list: verified.status.list,
        status_index: verified.status.index,
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
