//! Staff mode's coupon redemptions: a coupon in a scanned code is checked against the operator's
//! own coupons (the signed directory) and queued; the queue is kept in the app's files and sent
//! with the operator's token when online. The server counts each code once and keeps each
//! holder's limit, so a queue sent twice, or a code scanned twice, never counts twice.

use crate::TechoError;
use crate::records::Language;
use crate::service::TechoService;
use crate::staff::OperatorDirectory;
use crate::verifier::Verifier;
use std::sync::{Arc, Mutex, PoisonError};
use techo_core::directory::redemption::{RedemptionQueue, redeem};

/// What a redemption came to, for staff.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RedemptionNote {
    /// `queued`, `already_queued`, or the server's answer (`recorded`, `duplicate`,
    /// `limit_reached`, `refused`, `invalid`).
    pub result: String,
    pub message: String,
}

#[derive(Debug, uniffi::Object)]
pub struct CouponQueue {
    queue: Mutex<RedemptionQueue>,
}

impl CouponQueue {
    fn with<T>(&self, f: impl FnOnce(&mut RedemptionQueue) -> T) -> T {
        f(&mut self.queue.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[uniffi::export]
impl CouponQueue {
    /// The queue saved last time ([`CouponQueue::saved`]); `None` or a damaged file: empty (a
    /// redemption lost that way was never counted, and the holder keeps the use).
    #[uniffi::constructor]
    pub fn open(saved: Option<Vec<u8>>) -> Arc<Self> {
        let queue = saved
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Arc::new(Self {
            queue: Mutex::new(queue),
        })
    }

    /// Redeems the coupon in a scanned code at `operator_id`'s counter: the code verified, the
    /// coupon this operator's and usable today. Queued (the same code once); an error says why
    /// it cannot be used here. Keep `saved()` afterwards.
    pub fn redeem(
        &self,
        verifier: &Verifier,
        directory: &OperatorDirectory,
        operator_id: String,
        payload: Vec<u8>,
        now_unix: i64,
        lang: Language,
    ) -> Result<RedemptionNote, TechoError> {
        let l: techo_core::Lang = lang.into();
        // The staff verdict's rules: the hard list-age limit, below it any list the counter holds.
        let policy = techo_core::token::Policy {
            max_status_age: chrono::Duration::hours(techo_core::policy::HARD_STATUS_AGE_HOURS),
            ..techo_core::token::Policy::default()
        };
        let verified = verifier
            .verified(&payload, now_unix, &policy)
            .map_err(|e| TechoError::Rejected {
                code: e.code().to_owned(),
                detail: e.message(l),
            })?;
        let now = crate::verifier::instant(now_unix);
        let r = redeem(
            &verified,
            &payload,
            &operator_id,
            directory.directory(),
            now,
        )
        .map_err(|e| TechoError::Refused {
            detail: l.part_of(&e.to_string()),
        })?;
        Ok(if self.with(|q| q.push(r)) {
            RedemptionNote {
                result: "queued".into(),
                message: l
                    .pick(
                        "利用を記録しました（送信待ち）",
                        "use recorded (waiting to be sent)",
                    )
                    .into(),
            }
        } else {
            RedemptionNote {
                result: "already_queued".into(),
                message: l
                    .pick(
                        "このコードは記録済みです（二重には数えません）",
                        "this code was already recorded (never twice)",
                    )
                    .into(),
            }
        })
    }

    /// Redemptions waiting to be sent.
    pub fn pending(&self) -> u32 {
        self.with(|q| u32::try_from(q.pending.len()).unwrap_or(u32::MAX))
    }

    /// The queue, to keep in the app's private files.
    pub fn saved(&self) -> Vec<u8> {
        self.with(|q| serde_json::to_vec(q).unwrap_or_default())
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl TechoService {
    /// Sends the queue with `operator_id`'s token; what the server answered is settled (taken
    /// off the queue) and returned, one note per code. Offline: an error, the queue kept.
    pub async fn send_redemptions(
        &self,
        queue: Arc<CouponQueue>,
        operator_id: String,
        operator_token: String,
        lang: Language,
    ) -> Result<Vec<RedemptionNote>, TechoError> {
        let l: techo_core::Lang = lang.into();
        let pending = queue.with(|q| q.pending.clone());
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let answered = self
            .client
            .redeem(&operator_id, &operator_token, &pending)
            .await?;
        queue.with(|q| q.settle(&answered));
        Ok(answered
            .iter()
            .map(|(_, r)| RedemptionNote {
                result: serde_json::to_value(r)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                message: r.message(l).to_owned(),
            })
            .collect())
    }
}
