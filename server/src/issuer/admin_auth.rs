//! The admin API's credential: the admin token, compared in constant time.

use super::state::ServerState;
use crate::responses::api_error;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// `Some(401)` unless the request carries the admin token (compared in constant time).
pub(crate) fn admin_denied(st: &ServerState, headers: &HeaderMap) -> Option<Response> {
    let ok = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| techo_core::hex::same_secret(t, &st.cfg.admin_token));
    (!ok).then(|| {
        api_error(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "an admin token is required",
        )
    })
}
