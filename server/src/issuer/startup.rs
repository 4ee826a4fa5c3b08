//! Starting techo-server: open the store and the keys, publish the status lists, mount the
//! routes behind the hardening middleware, serve on loopback with TLS, and run the background
//! passes.

use super::config::ServerConfig;
use super::portal_client::PortalClient;
use super::state::ServerState;
use super::store::AnyStore;
use super::{
    coupons, directory, directory_log, handlers, key_admin, keys, renew, status_cache,
    status_lists, wait, web_verifier,
};
use crate::error::ServerError;
use crate::tls::{Running, TestPki, TlsError, serve};
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;
use techo_core::Clock;

/// Why techo-server did not start. Nothing was served.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("the server store at {path} cannot be opened: {why}")]
    Store { path: String, why: String },
    #[error("the issuer keys cannot be opened: {0}")]
    Keys(#[from] keys::KeysError),
    #[error(
        "the admin token must be at least {} characters: leave it to the server to generate one",
        ServerConfig::MIN_ADMIN_TOKEN
    )]
    WeakAdminToken,
}

#[derive(Debug)]
pub struct TechoServer {
    pub state: Arc<ServerState>,
    pub running: Running,
    retry_task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TechoServer {
    fn drop(&mut self) {
        if let Some(t) = &self.retry_task {
            t.abort();
        }
    }
}

/// The background passes, every `every`: interrupted exchanges, due retries, status lists
/// (index reuse, publishing, old versions), expired consents.
fn background(st: Arc<ServerState>, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        st.fail_interrupted_exchanges().await;
        loop {
            tokio::time::sleep(every).await;
            st.fail_interrupted_exchanges().await;
            st.retry_due().await;
            st.status_pass().await;
            st.purge_expired_consents().await;
            st.key_pass().await;
        }
    })
}

/// Every route of the API, before the hardening layers.
fn api() -> Router<Arc<ServerState>> {
    Router::new()
        .route("/v1/linkage-sessions", post(handlers::start))
        .route("/v1/linkage-sessions/{id}", get(wait::status))
        .route(
            "/v1/linkage-sessions/{id}/code",
            post(handlers::submit_code),
        )
        .route("/v1/linkage-sessions/{id}/ack", post(handlers::acknowledge))
        .route(
            "/v1/linkage-sessions/{id}/withdraw",
            post(handlers::withdraw),
        )
        .route("/v1/linkage-sessions/{id}/renew", post(renew::renew))
        .route(
            "/v1/linkage-sessions/{id}/coupon-uses",
            get(coupons::coupon_uses),
        )
        .route("/v1/admin/sessions", post(handlers::admin))
        .route("/v1/admin/keys/next", post(key_admin::next_key))
        .route("/v1/admin/keys/activate", post(key_admin::activate_key))
        .route("/v1/trust-list", get(handlers::trust_list))
        .route("/v1/status-lists", get(status_lists::index))
        .route("/v1/status-lists/{list}", get(status_lists::full))
        .route("/v1/status-lists/{list}/delta", get(status_lists::delta))
        .route("/v1/root-key", get(handlers::root_key))
        .route("/verify/", get(web_verifier::page))
        .route("/verify/{*path}", get(web_verifier::file))
        .route("/v1/directory", get(directory::get_directory))
        .route("/v1/admin/operators/{id}/token", post(coupons::issue_token))
        .route(
            "/v1/operators/{op}/coupons/{id}",
            axum::routing::put(coupons::put_coupon).delete(coupons::withdraw_coupon),
        )
        .route("/v1/operators/{op}/redemptions", post(coupons::redeem))
        .route(
            "/v1/admin/directory/{id}",
            axum::routing::put(directory::put_operator).delete(directory::delete_operator),
        )
}

impl TechoServer {
    pub async fn start(
        pki: &TestPki,
        clock: Arc<dyn Clock>,
        cfg: ServerConfig,
    ) -> Result<Self, StartError> {
        if cfg.admin_token.chars().count() < ServerConfig::MIN_ADMIN_TOKEN {
            return Err(StartError::WeakAdminToken);
        }
        techo_core::private_file::private_dir(&cfg.data_dir).map_err(|e| StartError::Store {
            path: cfg.data_dir.display().to_string(),
            why: e.to_string(),
        })?;
        let store = AnyStore::open(&cfg.store, &cfg.data_dir)
            .await
            .map_err(|e| StartError::Store {
                path: cfg.data_dir.display().to_string(),
                why: e.to_string(),
            })?;
        let issuer_dir = cfg
            .issuer_dir
            .clone()
            .unwrap_or_else(|| cfg.data_dir.join("issuer"));
        let source = cfg.keys.open(&issuer_dir).map_err(keys::KeysError::from)?;
        let keys = keys::IssuerKeys::open(source, &store, clock.now(), Some(&issuer_dir)).await?;
        let portal = PortalClient::new(
            pki.client_config(true)?,
            cfg.portal_provider_url.clone(),
            cfg.portal_timeout,
        )
        .map_err(ServerError::Client)?;
        let state = Arc::new(ServerState {
            clock,
            store,
            keys,
            worker: format!("{}-{}", std::process::id(), techo_core::hex::random(4)),
            portal,
            cfg: cfg.clone(),
            directory: directory_log::DirectoryCache::default(),
            changed: tokio::sync::Notify::new(),
            published: status_cache::Published::default(),
        });
        state
            .publish_status_lists()
            .await
            .map_err(|why| StartError::Store {
                path: cfg.data_dir.display().to_string(),
                why,
            })?;
        let routes = api()
            .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(crate::hardening::LinkageLimits::new(cfg.linkage_rate)),
                crate::hardening::limit_linkage,
            ))
            .layer(axum::middleware::from_fn_with_state(
                cfg.request_time_limit,
                crate::hardening::time_limit,
            ))
            .layer(axum::middleware::from_fn(
                crate::hardening::security_headers,
            ))
            .layer(axum::middleware::from_fn(crate::hardening::public_reads));
        let running = serve(routes, pki.server_config()?, 0)
            .await
            .map_err(ServerError::Listen)?;
        let retry_task = cfg
            .retry_every
            .map(|every| background(state.clone(), every));
        Ok(Self {
            state,
            running,
            retry_task,
        })
    }

    pub fn url(&self) -> String {
        self.running.url()
    }
}
