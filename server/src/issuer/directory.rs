//! The operator directory techo-server publishes: a log of changes by version, served as a full
//! snapshot or as the changes since the app's version, signed by the issuer key; ETag / 304 when
//! nothing changed. Operators are added, changed and removed through the admin API.

use super::{ServerState, admin_denied, api_error, cbor};
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError};
use techo_core::directory::coupon::Coupon;
use techo_core::directory::{DirectoryEntry, DirectoryUpdate, UpdateKind};
use techo_core::policy::OperatorPolicy;

/// Every operator with the version it last changed at, and removals by version.
#[derive(Debug, Default)]
pub struct DirectoryLog {
    version: u64,
    /// The oldest version a delta can start from (older apps get a full snapshot).
    since: u64,
    entries: BTreeMap<String, (DirectoryEntry, u64)>,
    removed: BTreeMap<String, u64>,
}

impl DirectoryLog {
    /// Versions are publication times in milliseconds, strictly increasing, so a restarted
    /// server never goes back below what an app already has.
    fn next_version(&mut self, now_ms: u64) -> u64 {
        self.version = now_ms.max(self.version + 1);
        if self.since == 0 {
            self.since = self.version;
        }
        self.version
    }

    /// Adds or replaces an operator's policy; its coupons stay.
    pub fn publish(&mut self, id: &str, policy_toml: &str, now_ms: u64) -> u64 {
        let v = self.next_version(now_ms);
        self.removed.remove(id);
        let coupons = self
            .entries
            .get(id)
            .map(|(e, _)| e.coupons.clone())
            .unwrap_or_default();
        self.entries.insert(
            id.to_owned(),
            (
                DirectoryEntry {
                    policy_toml: policy_toml.to_owned(),
                    coupons,
                },
                v,
            ),
        );
        v
    }

    /// Adds or replaces a coupon of a listed operator.
    pub fn put_coupon(&mut self, operator: &str, coupon: Coupon, now_ms: u64) -> Option<u64> {
        self.entries.get(operator)?;
        let v = self.next_version(now_ms);
        let (entry, at) = self.entries.get_mut(operator)?;
        entry.coupons.retain(|c| c.id != coupon.id);
        entry.coupons.push(coupon);
        *at = v;
        Some(v)
    }

    /// Marks a coupon withdrawn (it stays listed so counters can say so).
    pub fn withdraw_coupon(&mut self, operator: &str, id: &str, now_ms: u64) -> Option<u64> {
        let found = self
            .entries
            .get(operator)?
            .0
            .coupons
            .iter()
            .any(|c| c.id == id);
        if !found {
            return None;
        }
        let v = self.next_version(now_ms);
        let (entry, at) = self.entries.get_mut(operator)?;
        for c in entry.coupons.iter_mut().filter(|c| c.id == id) {
            c.withdrawn = true;
        }
        *at = v;
        Some(v)
    }

    /// The coupon, as currently published.
    pub fn coupon(&self, operator: &str, id: &str) -> Option<Coupon> {
        self.entries
            .get(operator)?
            .0
            .coupons
            .iter()
            .find(|c| c.id == id)
            .cloned()
    }

    pub fn remove(&mut self, id: &str, now_ms: u64) -> Option<u64> {
        self.entries.remove(id)?;
        let v = self.next_version(now_ms);
        self.removed.insert(id.to_owned(), v);
        Some(v)
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// The update an app at version `have` needs.
    pub fn update_since(
        &self,
        have: u64,
        issued_at: chrono::DateTime<chrono::Utc>,
    ) -> DirectoryUpdate {
        let delta = have >= self.since && have > 0 && have <= self.version;
        DirectoryUpdate {
            kind: if delta {
                UpdateKind::Since { base: have }
            } else {
                UpdateKind::Full
            },
            version: self.version,
            issued_at,
            changed: self
                .entries
                .iter()
                .filter(|(_, (_, at))| !delta || *at > have)
                .map(|(id, (e, _))| (id.clone(), e.clone()))
                .collect(),
            removed: if delta {
                self.removed
                    .iter()
                    .filter(|(_, at)| **at > have)
                    .map(|(id, _)| id.clone())
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

fn now_ms(st: &ServerState) -> u64 {
    u64::try_from(st.now().timestamp_millis()).unwrap_or(0)
}

impl ServerState {
    /// Retires display-token formats older than `version` in the trust list it serves (apps that
    /// make only older ones show "update the app").
    pub fn set_min_token_version(&self, version: u32) -> Result<(), String> {
        self.issuer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .set_min_token_version(version)
            .map_err(|e| e.to_string())
    }

    /// Publishes (adds or replaces) an operator; its policy must read.
    pub fn publish_operator(&self, policy_toml: &str) -> Result<u64, String> {
        let policy = OperatorPolicy::from_toml("policy", policy_toml).map_err(|e| e.to_string())?;
        let now = now_ms(self);
        Ok(self
            .directory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .publish(&policy.id, policy_toml, now))
    }

    /// Removes an operator (it withdrew); `None` when there was none.
    pub fn remove_operator(&self, id: &str) -> Option<u64> {
        let now = now_ms(self);
        self.directory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id, now)
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
    let update = {
        let log = st.directory.lock().unwrap_or_else(PoisonError::into_inner);
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
    let signed = update.sign(
        st.issuer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .issuer(),
    );
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
        Ok(p) if p.id == id => match st.publish_operator(text) {
            Ok(v) => axum::Json(serde_json::json!({ "version": v })).into_response(),
            Err(e) => api_error(StatusCode::BAD_REQUEST, "bad_policy", &e),
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
    match st.remove_operator(&id) {
        Some(v) => axum::Json(serde_json::json!({ "version": v })).into_response(),
        None => api_error(
            StatusCode::NOT_FOUND,
            "unknown_operator",
            "no such operator",
        ),
    }
}
