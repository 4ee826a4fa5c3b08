//! The operator directory techo-server publishes, kept in the store (directory_log has the
//! rules): served as a full snapshot or as the changes since the app's version, signed by the
//! issuer key; ETag / 304 when nothing changed. Operators are added, changed and removed through
//! the admin API; every process on one database serves the same versions.

use super::admin_auth::admin_denied;
use super::directory_log::{DirectoryChange, DirectoryLog, NotFound};
use super::state::ServerState;
use super::store::{OperatorStore, StoreError};
use crate::responses::{api_error, cbor};
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, PoisonError};
use techo_core::policy::OperatorPolicy;

/// Why a directory change was not made.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("{0}")]
    BadPolicy(String),
    #[error("no such operator or coupon in the directory")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn now_ms(st: &ServerState) -> u64 {
    u64::try_from(st.now().timestamp_millis()).unwrap_or(0)
}

impl ServerState {
    /// Retires display-token formats older than `version` in the trust list it serves (apps that
    /// make only older ones show "update the app").
    pub async fn set_min_token_version(&self, version: u32) -> Result<(), String> {
        self.keys
            .set_min_token_version(&self.store, version)
            .await
            .map_err(|e| e.to_string())
    }

    /// Publishes (adds or replaces) an operator; its policy must read.
    pub async fn publish_operator(&self, policy_toml: &str) -> Result<u64, DirectoryError> {
        let policy = OperatorPolicy::from_toml("policy", policy_toml)
            .map_err(|e| DirectoryError::BadPolicy(e.to_string()))?;
        let change = DirectoryChange::Publish {
            policy_toml: policy_toml.to_owned(),
        };
        self.change_directory(&policy.id, &change).await
    }

    /// Removes an operator (it withdrew).
    pub async fn remove_operator(&self, id: &str) -> Result<u64, DirectoryError> {
        self.change_directory(id, &DirectoryChange::Remove).await
    }

    /// Applies one change to one operator at the next version: read, apply, compare and swap,
    /// again if another request or process changed the directory in between.
    pub(crate) async fn change_directory(
        &self,
        id: &str,
        change: &DirectoryChange,
    ) -> Result<u64, DirectoryError> {
        loop {
            let head = self.store.directory_head().await?;
            let current = self.store.operator(id).await?;
            let record = change
                .apply(current.clone(), self.now())
                .map_err(|NotFound| DirectoryError::NotFound)?;
            if record == current {
                // Nothing changes (a server starting with the same policy files): apps keep
                // their version.
                return Ok(head.version);
            }
            if let Some(v) = self
                .store
                .write_operator(id, record.as_ref(), head.version, now_ms(self))
                .await?
            {
                return Ok(v);
            }
        }
    }

    /// The directory as the store has it now (read again only when its version moved).
    pub(crate) async fn directory(&self) -> Result<Arc<DirectoryLog>, StoreError> {
        let head = self.store.directory_head().await?;
        let cached = self
            .directory
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(log) = cached.filter(|l| l.head == head) {
            return Ok(log);
        }
        let (head, rows) = self.store.directory_rows().await?;
        let log = Arc::new(DirectoryLog { head, rows });
        *self
            .directory
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(log.clone());
        Ok(log)
    }
}

impl DirectoryError {
    pub(crate) fn response(&self) -> Response {
        match self {
            DirectoryError::BadPolicy(why) => api_error(StatusCode::BAD_REQUEST, "bad_policy", why),
            DirectoryError::NotFound => api_error(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such operator or coupon in the directory",
            ),
            DirectoryError::Store(e) => crate::responses::internal(e),
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct Since {
    #[serde(default)]
    since: u64,
}

fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// `GET /v1/directory?since=N`: 304 when the app is current, else the signed update.
pub async fn get_directory(
    State(st): State<Arc<ServerState>>,
    headers: HeaderMap,
    Query(q): Query<Since>,
) -> Response {
    let log = match st.directory().await {
        Ok(log) => log,
        Err(e) => return crate::responses::internal(e),
    };
    let update = {
        let current = etag(log.version());
        let unchanged = headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == current);
        if unchanged || (q.since > 0 && q.since == log.version()) {
            return (StatusCode::NOT_MODIFIED, [("etag", current)]).into_response();
        }
        log.update_since(q.since, st.now())
    };
    let signed = match update.sign(&st.keys.issuer()) {
        Ok(bytes) => bytes,
        Err(e) => return crate::responses::unavailable(&e),
    };
    let mut resp = cbor(signed);
    if let Ok(v) = etag(update.version).parse() {
        resp.headers_mut().insert("etag", v);
    }
    resp
}

/// `PUT /v1/admin/directory/{id}`: the body is the operator's policy file.
pub async fn put_operator(
    State(st): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(denied) = admin_denied(&st, &headers) {
        return denied;
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_policy",
            "the policy must be UTF-8 TOML",
        );
    };
    match OperatorPolicy::from_toml(&id, text) {
        Ok(p) if p.id == id => match st.publish_operator(text).await {
            Ok(v) => axum::Json(serde_json::json!({ "version": v })).into_response(),
            Err(e) => e.response(),
        },
        Ok(p) => api_error(
            StatusCode::BAD_REQUEST,
            "bad_policy",
            &format!(
                "the path says {id} but the policy's operator.id is {}",
                p.id
            ),
        ),
        Err(e) => api_error(StatusCode::BAD_REQUEST, "bad_policy", &e.to_string()),
    }
}

/// `DELETE /v1/admin/directory/{id}`.
pub async fn delete_operator(
    State(st): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(denied) = admin_denied(&st, &headers) {
        return denied;
    }
    match st.remove_operator(&id).await {
        Ok(v) => axum::Json(serde_json::json!({ "version": v })).into_response(),
        Err(DirectoryError::NotFound) => api_error(
            StatusCode::NOT_FOUND,
            "unknown_operator",
            "no such operator",
        ),
        Err(e) => e.response(),
    }
}
