//! Rotating the issuer key through the admin API (docs/deploy.md, "Rotating the issuer key"):
//! `POST /v1/admin/keys/next` makes a new key in the key source and publishes it in the trust
//! list; `POST /v1/admin/keys/activate`, once the notice period has passed, makes it the signing
//! key. Retired keys leave the trust list on their own (the background pass) once the last
//! credential they signed has expired.

use super::admin_auth::admin_denied;
use super::keys::KeysError;
use super::state::ServerState;
use crate::responses::api_error;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

impl ServerState {
    /// Rotation step 1: a new key, published as next. Its key id (hex).
    pub async fn prepare_key_rotation(&self) -> Result<String, KeysError> {
        self.keys.prepare_rotation(&self.store, self.now()).await
    }

    /// Rotation step 2: the next key signs from now on (after the configured notice).
    pub async fn activate_next_key(&self) -> Result<String, KeysError> {
        self.keys
            .activate_next(&self.store, self.now(), self.cfg.rotation_notice)
            .await
    }

    /// The background pass for keys: take up a rotation another process made, and drop retired
    /// keys whose credentials have all expired.
    pub async fn key_pass(&self) {
        // `drop_expired` reads the ring from the store first, like every ring change.
        match self.keys.drop_expired(&self.store, self.now()).await {
            Ok(true) => tracing::info!("a retired issuer key left the trust list"),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "cannot read or update the key ring"),
        }
    }
}

fn answer(result: Result<String, KeysError>) -> Response {
    match result {
        Ok(kid) => Json(serde_json::json!({ "kid": kid })).into_response(),
        Err(KeysError::Rotation(e)) => {
            api_error(StatusCode::CONFLICT, "rotation_refused", &e.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "key rotation failed");
            api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "keys_unavailable",
                &e.to_string(),
            )
        }
    }
}

/// `POST /v1/admin/keys/next`.
pub async fn next_key(State(st): State<Arc<ServerState>>, headers: HeaderMap) -> Response {
    if let Some(denied) = admin_denied(&st, &headers) {
        return denied;
    }
    answer(st.prepare_key_rotation().await)
}

/// `POST /v1/admin/keys/activate`.
pub async fn activate_key(State(st): State<Arc<ServerState>>, headers: HeaderMap) -> Response {
    if let Some(denied) = admin_denied(&st, &headers) {
        return denied;
    }
    answer(st.activate_next_key().await)
}
