//! A linkage's status, optionally waited for: `GET /v1/linkage-sessions/{id}?wait=N` answers
//! at once unless the session is 申請中, and otherwise when the portal's answer has been stored
//! or after N seconds (at most [`MAX_WAIT_SECS`]), whichever is first. The app (or
//! `techo status --wait`) asks again after a timeout; it is told as soon as a retry ends.

use super::linkage_rules::status_of;
use super::state::ServerState;
use super::store::{ServerStore, SessionState};
use crate::responses::{api_error, internal};
use axum::Json;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

/// Below the server's request time limit (60 s) and common proxies' idle timeouts.
pub const MAX_WAIT_SECS: u64 = 50;
/// How often a waiting request looks at the store, for retries run by another process.
const LOOK_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, serde::Deserialize)]
pub(super) struct WaitQuery {
    /// Seconds to wait while the session is pending (0 or absent: answer at once).
    #[serde(default)]
    wait: u64,
}

pub(super) async fn status(
    State(st): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
    Query(q): Query<WaitQuery>,
) -> Response {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(q.wait.min(MAX_WAIT_SECS));
    loop {
        // Registered before the read, so a change stored between the read and the wait
        // still wakes this request.
        let changed = st.changed.notified();
        let s = match st.store.session(&id).await {
            Ok(Some(s)) => s,
            Ok(None) => {
                return api_error(
                    StatusCode::NOT_FOUND,
                    "unknown_session",
                    "no such linkage session",
                );
            }
            Err(e) => return internal(e),
        };
        let now = tokio::time::Instant::now();
        if !matches!(s.state, SessionState::Pending { .. }) || now >= deadline {
            return Json(status_of(&s)).into_response();
        }
        let look = deadline.min(now + LOOK_EVERY);
        let _ = tokio::time::timeout_at(look, changed).await;
    }
}
