//! What every techo-server response gets, whatever the handler: security headers, a time limit,
//! and rate limits on the linkage endpoints (the ones that reach the portal and the card): per
//! client address, and per linkage session (one phone's linkage) for the portal codes it sends.
//! Body size is capped by the router (64 KB).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The client's address, attached to each connection's requests by [`crate::tls::serve`].
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub IpAddr);

/// Sets the headers an API that handles personal data should send.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: header::HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(
        h,
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=63072000; includeSubDomains",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::CACHE_CONTROL, "no-store");
    resp
}

/// The trust list, status lists, operator directory and root key are public, signed, and the
/// same for everyone: any page may read them (the staff verifier page on a static host of its
/// own). Nothing else is opened to other origins.
pub async fn public_reads(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let public = req.method() == axum::http::Method::GET
        && (matches!(path, "/v1/trust-list" | "/v1/directory" | "/v1/root-key")
            || path == "/v1/status-lists"
            || path.starts_with("/v1/status-lists/"));
    let mut resp = next.run(req).await;
    if public {
        resp.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    resp
}

/// Ends any request that takes longer than `limit` with 503, so a stuck dependency cannot hold
/// connections open.
pub async fn time_limit(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => crate::responses::api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the server took too long: try again",
        ),
    }
}

/// A token bucket per key: `burst` requests at once, refilled at `per_minute`.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(burst: u32, per_minute: u32) -> Self {
        Self {
            burst: f64::from(burst),
            per_second: f64::from(per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; `Err(seconds)` until the next one when there is none.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > 100_000 {
            // Forget clients that are full again (idle for a whole refill).
            let full = Duration::from_secs_f64(self.burst / self.per_second);
            buckets.retain(|_, (_, at)| now.duration_since(*at) < full);
        }
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a few seconds"
            )]
            Err(((1.0 - *tokens) / self.per_second).ceil() as u64)
        }
    }
}

/// The linkage endpoints' limits.
#[derive(Debug)]
pub struct LinkageLimits {
    /// Every linkage request, per client address (what one network or one abuser can send).
    pub per_address: RateLimiter,
    /// Portal codes sent for one linkage session (one phone's linkage), wherever they come from.
    pub per_session: RateLimiter,
}

impl LinkageLimits {
    /// Codes one session may send: 5 at once, then one a minute. A holder retyping after a
    /// portal hiccup never meets it; guessing at a session from many addresses does.
    pub const CODES_PER_SESSION: (u32, u32) = (5, 1);

    pub fn new(per_address: (u32, u32)) -> Self {
        let (burst, per_minute) = Self::CODES_PER_SESSION;
        Self {
            per_address: RateLimiter::new(per_address.0, per_address.1),
            per_session: RateLimiter::new(burst, per_minute),
        }
    }
}

fn too_many(wait: u64, what: &str) -> Response {
    let mut resp = crate::responses::api_error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        &format!("too many {what}: try again in {wait} s"),
    );
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp.into_response()
}

/// Rate limits linkage requests per client address, and code submissions per session.
pub async fn limit_linkage(
    State(limits): State<Arc<LinkageLimits>>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let is_linkage =
        path.starts_with("/v1/linkage-sessions") && req.method() == axum::http::Method::POST;
    if is_linkage {
        let peer = req
            .extensions()
            .get::<PeerAddr>()
            .map_or_else(|| "unknown".to_owned(), |p| p.0.to_string());
        if let Err(wait) = limits.per_address.take(&peer) {
            return too_many(wait, "linkage requests from this address");
        }
        let session = path
            .strip_prefix("/v1/linkage-sessions/")
            .and_then(|rest| rest.strip_suffix("/code"));
        if let Some(session) = session {
            // The key is the id as the router reads it (axum decodes with the same crate):
            // `%61` and `a` are one session.
            let session = percent_encoding::percent_decode_str(session).decode_utf8_lossy();
            if let Err(wait) = limits.per_session.take(&session) {
                return too_many(wait, "codes for this linkage; start linking again");
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_asks_to_wait() {
        let l = RateLimiter::new(3, 60);
        assert!((0..3).all(|_| l.take("a").is_ok()));
        assert_eq!(l.take("a"), Err(1));
        assert!(l.take("b").is_ok(), "buckets are per client");
    }
}
