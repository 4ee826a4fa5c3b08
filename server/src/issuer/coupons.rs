//! Coupons on techo-server: operators publish and withdraw them with their own token (issued by
//! support), they travel in the signed directory, and redemptions are counted once per
//! presentation and within each coupon's per-holder limit.

use super::store::{ServerStore, StoreError};
use super::{ServerState, admin_denied, api_error};
use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use techo_core::directory::coupon::Coupon;
use techo_core::directory::redemption::{Redemption, RedemptionResult};
use techo_core::token::{StatusList, StatusRef, TrustList};

/// Operator tokens and the redemption ledger (in memory; the PostgreSQL issue persists them).
#[derive(Debug, Default)]
pub struct CouponLedger {
    operator_tokens: HashMap<String, String>,
    by_key: HashMap<String, RedemptionResult>,
    counts: HashMap<(String, String, String), u32>,
}

impl CouponLedger {
    /// The answer for a key already seen: a counted code is a duplicate now.
    fn already(&self, key: &str) -> Option<RedemptionResult> {
        self.by_key.get(key).map(|done| match done {
            RedemptionResult::Recorded | RedemptionResult::Duplicate => RedemptionResult::Duplicate,
            other => *other,
        })
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

fn ledger(st: &ServerState) -> std::sync::MutexGuard<'_, CouponLedger> {
    st.coupons.lock().unwrap_or_else(PoisonError::into_inner)
}

fn operator_ok(st: &ServerState, operator: &str, headers: &HeaderMap) -> bool {
    let token = bearer(headers);
    ledger(st)
        .operator_tokens
        .get(operator)
        .is_some_and(|t| token.is_some_and(|given| techo_core::hex::same_secret(given, t)))
}

fn unauthorised() -> Response {
    api_error(
        StatusCode::UNAUTHORIZED,
        "unauthorised",
        "this operator's token is required",
    )
}

impl ServerState {
    /// Support gives an operator its token (a new one replaces the old).
    pub fn operator_token(&self, operator: &str) -> String {
        let token = techo_core::hex::random(24);
        ledger(self)
            .operator_tokens
            .insert(operator.to_owned(), token.clone());
        token
    }

    /// Publishes a coupon for a listed operator (what `PUT /v1/operators/{op}/coupons/{id}` does).
    pub fn publish_coupon(&self, operator: &str, coupon: Coupon) -> Result<u64, String> {
        coupon.validate().map_err(|e| e.to_string())?;
        let now = u64::try_from(self.now().timestamp_millis()).unwrap_or(0);
        self.directory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put_coupon(operator, coupon, now)
            .ok_or_else(|| format!("{operator} is not in the directory"))
    }

    /// The issuer's own trust list and status list as of now: what redemptions are verified
    /// against. Built directly from the issuer and the store; nothing to sign or parse.
    async fn own_lists(&self) -> Result<(TrustList, Vec<StatusList>), StoreError> {
        let entries = self.store.status_entries().await?;
        let now = self.now();
        let issuer = self.issuer.lock().unwrap_or_else(PoisonError::into_inner);
        Ok((
            issuer.trust_list(now),
            vec![issuer.status_list_of(entries, now)],
        ))
    }

    /// Counts one redemption whose code verified (`status`: its credential's status reference):
    /// once per key, within the coupon's per-holder limit.
    pub async fn record_redemption(&self, r: &Redemption, status: StatusRef) -> RedemptionResult {
        if let Some(done) = ledger(self).already(&r.key) {
            return done;
        }
        let coupon = self
            .directory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .coupon(&r.operator, &r.coupon);
        let Some(coupon) = coupon.filter(|c| !c.withdrawn) else {
            return RedemptionResult::Refused;
        };
        // The holder behind the credential: the portal's pairwise subject for its linkage, so a
        // new linkage (new credentials) does not reset the count.
        let Ok(Some(session)) = self.store.holder_of(status.index).await else {
            return RedemptionResult::Refused;
        };
        let holder = self.holder_of_session(&session).await;
        // Checked again under the same lock as the count, so two counters sending the same code
        // at once still count it once.
        let mut l = ledger(self);
        if let Some(done) = l.already(&r.key) {
            return done;
        }
        let count = l
            .counts
            .entry((r.operator.clone(), r.coupon.clone(), holder))
            .or_default();
        let result = if coupon.per_holder > 0 && *count >= coupon.per_holder {
            RedemptionResult::LimitReached
        } else {
            *count += 1;
            RedemptionResult::Recorded
        };
        l.by_key.insert(r.key.clone(), result);
        result
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
    Json(serde_json::json!({ "operator": id, "token": st.operator_token(&id) })).into_response()
}

/// `PUT /v1/operators/{op}/coupons/{id}`: publish or replace a coupon.
pub async fn put_coupon(
    State(st): State<Arc<ServerState>>,
    UrlPath((op, id)): UrlPath<(String, String)>,
    headers: HeaderMap,
    Json(coupon): Json<Coupon>,
) -> Response {
    if !operator_ok(&st, &op, &headers) {
        return unauthorised();
    }
    if coupon.id != id || coupon.validate().is_err() {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_coupon",
            "the coupon needs the id of its path, titles, terms and valid dates in order",
        );
    }
    let now = u64::try_from(st.now().timestamp_millis()).unwrap_or(0);
    match st
        .directory
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .put_coupon(&op, coupon, now)
    {
        Some(v) => Json(serde_json::json!({ "version": v })).into_response(),
        None => api_error(
            StatusCode::NOT_FOUND,
            "unknown_operator",
            "the operator is not in the directory",
        ),
    }
}

/// `DELETE /v1/operators/{op}/coupons/{id}`: withdraw a coupon.
pub async fn withdraw_coupon(
    State(st): State<Arc<ServerState>>,
    UrlPath((op, id)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !operator_ok(&st, &op, &headers) {
        return unauthorised();
    }
    let now = u64::try_from(st.now().timestamp_millis()).unwrap_or(0);
    match st
        .directory
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .withdraw_coupon(&op, &id, now)
    {
        Some(v) => Json(serde_json::json!({ "version": v })).into_response(),
        None => api_error(StatusCode::NOT_FOUND, "unknown_coupon", "no such coupon"),
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
    if !operator_ok(&st, &op, &headers) {
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
        Err(e) => return super::internal(e),
    };
    let now = st.now();
    let mut results = Vec::with_capacity(body.redemptions.len());
    for r in &body.redemptions {
        let result = if r.operator == op {
            match r.check(&trust, &status, now) {
                Ok(status) => st.record_redemption(r, status).await,
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
    async fn holder_of_session(&self, session: &str) -> String {
        self.consents()
            .await
            .into_iter()
            .find(|c| c.session_id == session)
            .map_or_else(|| session.to_owned(), |c| c.subject)
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
        Err(e) => return super::internal(e),
    }
    let holder = st.holder_of_session(&session).await;
    let uses: Vec<serde_json::Value> = ledger(&st)
        .counts
        .iter()
        .filter(|((_, _, h), _)| *h == holder)
        .map(|((op, coupon, _), n)| serde_json::json!({ "operator": op, "coupon": coupon, "count": n }))
        .collect();
    Json(serde_json::json!({ "uses": uses })).into_response()
}
