//! What every handler shares: the store, the keys, the portal client, the configuration and
//! the caches, behind one `Arc`.

use super::config::ServerConfig;
use super::directory_log::DirectoryCache;
use super::keys::IssuerKeys;
use super::portal_client::PortalClient;
use super::status_cache::Published;
use super::store::{AnyStore, ConsentEntry, ServerStore, SessionRecord};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use techo_core::Clock;

#[derive(Debug)]
pub struct ServerState {
    pub(crate) clock: Arc<dyn Clock>,
    pub store: AnyStore,
    /// The key ring and its signers (files or an HSM); which index went to whom, and
    /// statuses, are in the store.
    pub keys: IssuerKeys,
    /// Names this process's retry leases.
    pub(crate) worker: String,
    pub(crate) portal: PortalClient,
    pub(crate) cfg: ServerConfig,
    pub(crate) directory: DirectoryCache,
    /// Woken when this process stores a retry's or a purge's outcome (see [`wait`]).
    pub(crate) changed: tokio::sync::Notify,
    pub(crate) published: Published,
}

impl ServerState {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub async fn consents(&self) -> Vec<ConsentEntry> {
        self.store.consents().await.unwrap_or_default()
    }

    pub async fn sessions(&self) -> Vec<SessionRecord> {
        self.store.sessions().await.unwrap_or_default()
    }
}
