//! Coupons on techo-server: operators publish and withdraw them with their own token (issued by
//! support), they travel in the signed directory, and redemptions are counted once per
//! presentation and within each coupon's per-holder limit.

use super::admin_auth::admin_denied;
use super::directory::DirectoryError;
use super::directory_log::DirectoryChange;
use super::state::ServerState;
use super::store::{CouponUse, OperatorStore, ServerStore, StoreError, token_hash};
use crate::responses::api_error;
use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use techo_core::directory::coupon::Coupon;
use techo_core::directory::redemption::{Redemption, RedemptionResult};
use techo_core::token::{StatusList, StatusRef, TrustList};

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// Whether the request carries `operator`'s token: its hash is compared with the one kept.
async fn operator_ok(st: &ServerState, operator: &str, headers: &HeaderMap) -> bool {
    let Some(given) = bearer(headers) else {
        return false;
    };
    match st.store.operator_token_hash(operator).await {
        Ok(Some(kept)) => techo_core::hex::same_secret(&token_hash(given), &kept),
        Ok(None) => false,
        Err(e) => {
            tracing::error!(error = %e, "operator token not readable");
            false
        }
    }
}

fn unauthorised() -> Response {
    api_error(
        StatusCode::UNAUTHORIZED,
        "unauthorised",
        "this operator's token is required",
    )
}

impl ServerState {
    /// Support gives an operator its token (a new one replaces the old); only its hash is kept.
    pub async fn operator_token(&self, operator: &str) -> Result<String, StoreError> {
        let token = techo_core::hex::random(24);
        self.store
            .put_operator_token(operator, &token_hash(&token))
            .await?;
        Ok(token)
    }

    /// Publishes a coupon for a listed operator (what `PUT /v1/operators/{op}/coupons/{id}` does).
    pub async fn publish_coupon(
        &self,
        operator: &str,
        coupon: Coupon,
    ) -> Result<u64, DirectoryError> {
        coupon
            .validate()
            .map_err(|e| DirectoryError::BadPolicy(e.to_string()))?;
        self.change_directory(operator, &DirectoryChange::PutCoupon(coupon))
            .await
    }

    /// The issuer's own trust list and status lists as of now: what redemptions are verified
    /// against. Built directly from the key ring and the store; nothing to sign or parse.
    async fn own_lists(&self) -> Result<(TrustList, Vec<StatusList>), StoreError> {
        let entries = self.store.status_entries().await?;
        let now = self.now();
        let p = self.cfg.status;
        let mut lists: std::collections::BTreeMap<u32, StatusList> =
            std::collections::BTreeMap::new();
        for (global, status) in entries {
            let at = p.status_ref(global);
            lists
                .entry(at.list)
                .or_insert_with(|| self.keys.empty_status_list(at.list, p.list_size, now))
                .set(at.index, status);
        }
        // Every list published so far, those with no revoked entry too (a credential on such a
        // list must still find its list).
        let published = self
            .published
            .lists
            .load(std::sync::atomic::Ordering::Acquire)
            .max(1);
        for list in 1..=published {
            lists
                .entry(list)
                .or_insert_with(|| self.keys.empty_status_list(list, p.list_size, now));
        }
        Ok((self.keys.trust_list(now), lists.into_values().collect()))
    }

    /// Counts one redemption whose code verified (`status`: its credential's status reference):
    /// once per key (whichever process it reaches), within the coupon's per-holder limit. A
    /// coupon withdrawn since still counts a code the counter scanned before the withdrawal.
    pub async fn record_redemption(
        &self,
        r: &Redemption,
        status: StatusRef,
    ) -> Result<RedemptionResult, StoreError> {
        if let Some(earlier) = self.store.redemption(&r.key).await? {
            return Ok(super::store::answer_again(earlier));
        }
        let record = self.store.operator(&r.operator).await?;
        let coupon = record.as_ref().and_then(|rec| {
            let c = rec.entry.coupons.iter().find(|c| c.id == r.coupon)?;
            let scanned_in_time = !c.withdrawn
                || rec
                    .withdrawn_at
                    .get(&c.id)
                    .is_some_and(|withdrawn| r.at < *withdrawn);
            scanned_in_time.then_some(c)
        });
        let Some(coupon) = coupon else {
            return self.refuse(&r.key, RedemptionResult::Refused).await;
        };
        // The holder behind the credential: the portal's pairwise subject for its linkage, so a
        // new linkage (new credentials) does not reset the count.
        let Some(session) = self.store.holder_of(status.index).await? else {
            return self.refuse(&r.key, RedemptionResult::Refused).await;
        };
        let holder = self.holder_of_session(&session).await?;
        let what = CouponUse {
            operator: &r.operator,
            coupon: &r.coupon,
            holder: &holder,
        };
        self.store.redeem(&r.key, &what, coupon.per_holder).await
    }

    async fn refuse(
        &self,
        key: &str,
        result: RedemptionResult,
    ) -> Result<RedemptionResult, StoreError> {
        self.store.note_redemption(key, result).await?;
        Ok(result)
    }
}

/// `POST /v1/admin/operators/{id}/token`: support issues an operator's token.
pub async fn issue_token(
    State(st): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(denied) = admin_denied(&st, &headers) {
        return denied;
    }
    match st.operator_token(&id).await {
        Ok(token) => Json(serde_json::json!({ "operator": id, "token": token })).into_response(),
        Err(e) => crate::responses::internal(e),
    }
}

/// `PUT /v1/operators/{op}/coupons/{id}`: publish or replace a coupon.
pub async fn put_coupon(
    State(st): State<Arc<ServerState>>,
    UrlPath((op, id)): UrlPath<(String, String)>,
    headers: HeaderMap,
    Json(coupon): Json<Coupon>,
) -> Response {
    if !operator_ok(&st, &op, &headers).await {
        return unauthorised();
    }
    if coupon.id != id || coupon.validate().is_err() {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_coupon",
            "the coupon needs the id of its path, titles, terms and valid dates in order",
        );
    }
    match st
        .change_directory(&op, &DirectoryChange::PutCoupon(coupon))
        .await
    {
        Ok(v) => Json(serde_json::json!({ "version": v })).into_response(),
        Err(DirectoryError::NotFound) => api_error(
            StatusCode::NOT_FOUND,
            "unknown_operator",
            "the operator is not in the directory",
        ),
        Err(e) => e.response(),
    }
}

/// `DELETE /v1/operators/{op}/coupons/{id}`: withdraw a coupon.
pub async fn withdraw_coupon(
    State(st): State<Arc<ServerState>>,
    UrlPath((op, id)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !operator_ok(&st, &op, &headers).await {
        return unauthorised();
    }
    match st
        .change_directory(&op, &DirectoryChange::WithdrawCoupon { id })
        .await
    {
        Ok(v) => Json(serde_json::json!({ "version": v })).into_response(),
        Err(DirectoryError::NotFound) => {
            api_error(StatusCode::NOT_FOUND, "unknown_coupon", "no such coupon")
        }
        Err(e) => e.response(),
    }
}

#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct Redemptions {
    pub redemptions: Vec<Redemption>,
}

/// `POST /v1/operators/{op}/redemptions`: a counter's redemptions, online or from its queue.
pub async fn redeem(
    State(st): State<Arc<ServerState>>,
    UrlPath(op): UrlPath<String>,
    headers: HeaderMap,
    Json(body): Json<Redemptions>,
) -> Response {
    if !operator_ok(&st, &op, &headers).await {
        return unauthorised();
    }
    if body.redemptions.len() > 1000 {
        return api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many",
            "send at most 1000 at a time",
        );
    }
    let (trust, status) = match st.own_lists().await {
        Ok(lists) => lists,
        Err(e) => return crate::responses::internal(e),
    };
    let now = st.now();
    let mut results = Vec::with_capacity(body.redemptions.len());
    for r in &body.redemptions {
        let result = if r.operator == op {
            match r.check(&trust, &status, now) {
                Ok(status) => match st.record_redemption(r, status).await {
                    Ok(result) => result,
                    Err(e) => return crate::responses::internal(e),
                },
                Err(why) => {
                    tracing::info!(operator = %op, %why, "redemption not counted");
                    RedemptionResult::Invalid
                }
            }
        } else {
            RedemptionResult::Refused
        };
        results.push(serde_json::json!({ "key": r.key, "result": result }));
    }
    Json(serde_json::json!({ "results": results })).into_response()
}

impl ServerState {
    /// The holder behind a linkage session: the portal's pairwise subject (so a new linkage does
    /// not reset a count), or the session itself before the portal named one.
    async fn holder_of_session(&self, session: &str) -> Result<String, StoreError> {
        Ok(self
            .store
            .subject_of_session(session)
            .await?
            .unwrap_or_else(|| session.to_owned()))
    }
}

/// `GET /v1/linkage-sessions/{id}/coupon-uses`: how many times counters redeemed each coupon for
/// the holder of this linkage (the session id is the holder's capability, as for its status),
/// so the phone can mark a coupon used.
pub async fn coupon_uses(
    State(st): State<Arc<ServerState>>,
    UrlPath(session): UrlPath<String>,
) -> Response {
    match st.store.session(&session).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return api_error(
                StatusCode::NOT_FOUND,
                "unknown_session",
                "no such linkage session",
            );
        }
        Err(e) => return crate::responses::internal(e),
    }
    let uses = match st.holder_of_session(&session).await {
        Ok(holder) => st.store.coupon_uses(&holder).await,
        Err(e) => Err(e),
    };
    match uses {
        Ok(uses) => Json(serde_json::json!({ "uses": uses })).into_response(),
        Err(e) => crate::responses::internal(e),
    }
}
