//! What every techo-server response gets, whatever the handler: security headers, a time limit,
//! and per-client rate limits on the linkage endpoints (the ones that reach the portal and the
//! card). Body size is capped by the router (64 KB).

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

/// Ends any request that takes longer than `limit` with 503, so a stuck dependency cannot hold
/// connections open.
pub async fn time_limit(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => crate::issuer::api_error(
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

/// Rate limits linkage requests per client address (what one phone or one abuser can send).
pub async fn limit_linkage(
    State(limiter): State<Arc<RateLimiter>>,
    req: Request,
    next: Next,
) -> Response {
    let is_linkage = req.uri().path().starts_with("/v1/linkage-sessions")
        && req.method() == axum::http::Method::POST;
    if is_linkage {
        let peer = req
            .extensions()
            .get::<PeerAddr>()
            .map_or_else(|| "unknown".to_owned(), |p| p.0.to_string());
        if let Err(wait) = limiter.take(&peer) {
            let mut resp = crate::issuer::api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                &format!("too many linkage requests from this address: try again in {wait} s"),
            );
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return resp.into_response();
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
