//! techo-server's client for the portal's provider API (mutual TLS). Every answer is sorted
//! into: data, "try again later" (pending), or a final failure.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use techo_core::portal::dto::{
    ApiError, PortalRecord, RecordsResponse, TECHO_SERVICE_ID, TokenRequest, TokenResponse,
};

#[derive(Debug, Clone)]
pub struct PortalClient {
    http: reqwest::Client,
    base: String,
}

/// How a portal call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    Ok(T),
    /// Closed, not ready, or failing: keep the request and try again at `next_try`.
    Later {
        reason: String,
        next_try: Option<DateTime<Utc>>,
    },
    /// Will not succeed by retrying (consent withdrawn, code used, bad request).
    Failed {
        error: String,
        message: String,
    },
}

impl PortalClient {
    pub fn new(
        tls: rustls::ClientConfig,
        base: String,
        timeout: std::time::Duration,
    ) -> Result<Self, String> {
        techo_core::portal::client::https_origin(&base).map_err(|e| e.to_string())?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(true)
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { http, base })
    }

    async fn classify<T: serde::de::DeserializeOwned>(
        r: Result<reqwest::Response, reqwest::Error>,
    ) -> Outcome<T> {
        let resp = match r {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Outcome::Later {
                    reason: "portal_timeout".into(),
                    next_try: None,
                };
            }
            Err(_) => {
                return Outcome::Later {
                    reason: "portal_unreachable".into(),
                    next_try: None,
                };
            }
        };
        let status = resp.status();
        let Ok(bytes) = resp.bytes().await else {
            return Outcome::Later {
                reason: "portal_connection_dropped".into(),
                next_try: None,
            };
        };
        if status == StatusCode::OK {
            return match serde_json::from_slice::<T>(&bytes) {
                Ok(v) => Outcome::Ok(v),
                Err(_) => Outcome::Later {
                    reason: "portal_malformed_answer".into(),
                    next_try: None,
                },
            };
        }
        let body: Option<ApiError> = serde_json::from_slice(&bytes).ok();
        let next_try = body.as_ref().and_then(|b| b.next_try);
        let code = body
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), |b| b.error.clone());
        match status {
            StatusCode::SERVICE_UNAVAILABLE => Outcome::Later {
                reason: format!(
                    "portal_closed:{}",
                    body.map(|b| b.message).unwrap_or_default()
                ),
                next_try,
            },
            StatusCode::ACCEPTED => Outcome::Later {
                reason: "data_not_ready".into(),
                next_try,
            },
            s if s.is_server_error() => Outcome::Later {
                reason: "portal_error".into(),
                next_try,
            },
            _ => Outcome::Failed {
                error: code,
                message: body.map(|b| b.message).unwrap_or_default(),
            },
        }
    }

    pub async fn exchange(&self, code: &str) -> Outcome<TokenResponse> {
        let req = TokenRequest {
            code: code.to_owned(),
            service_id: TECHO_SERVICE_ID.to_owned(),
        };
        Self::classify(
            self.http
                .post(format!("{}/portal/v1/provider/token", self.base))
                .json(&req)
                .send()
                .await,
        )
        .await
    }

    /// 時点指定: the holder's handbooks in force on `date`.
    pub async fn as_of(&self, token: &str, date: NaiveDate) -> Outcome<Vec<PortalRecord>> {
        let r = self
            .http
            .get(format!(
                "{}/portal/v1/provider/handbooks?as_of={date}",
                self.base
            ))
            .bearer_auth(token)
            .send()
            .await;
        match Self::classify::<RecordsResponse>(r).await {
            Outcome::Ok(v) => Outcome::Ok(v.records),
            Outcome::Later { reason, next_try } => Outcome::Later { reason, next_try },
            Outcome::Failed { error, message } => Outcome::Failed { error, message },
        }
    }
}

/// Backoff for attempt n (1-based): 1, 2, 4 … minutes, at most an hour.
pub fn backoff(attempt: u32) -> Duration {
    Duration::minutes(1i64 << attempt.saturating_sub(1).min(6)).min(Duration::hours(1))
}
