//! The answers techo-server's handlers and middleware share: JSON errors, CBOR bodies, and what
//! a failed signature or an internal failure says.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use techo_core::portal::dto::ApiError;

pub(crate) fn api_error(status: StatusCode, error: &str, message: &str) -> Response {
    (
        status,
        Json(ApiError {
            error: error.into(),
            message: message.into(),
            next_try: None,
        }),
    )
        .into_response()
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "internal error");
    api_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the server failed; try again",
    )
}

pub(crate) fn cbor(bytes: Vec<u8>) -> Response {
    ([("content-type", "application/cbor")], bytes).into_response()
}

/// A signing key (an HSM) failed: 503, try again.
pub(crate) fn unavailable(e: &techo_core::token::SignError) -> Response {
    tracing::error!(error = %e, "signing failed");
    api_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "signing_unavailable",
        "the issuer cannot sign right now: try again shortly",
    )
}
