//! techo-server's configuration: where it keeps its state and keys, which portal it links
//! through, and its limits.

use super::keys::KeyConfig;
use super::status_publishing::StatusPublishing;
use super::store::StoreConfig;
use std::path::PathBuf;

#[derive(Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    /// Where the app sends the holder to authenticate and consent.
    pub portal_holder_url: String,
    /// The portal's provider API (mutual TLS).
    pub portal_provider_url: String,
    pub admin_token: String,
    pub portal_timeout: std::time::Duration,
    /// Run the retry scheduler in the background at this interval (`None`: the caller drives it).
    pub retry_every: Option<std::time::Duration>,
    /// sled in `data_dir/store` (default) or a PostgreSQL database shared by several processes.
    pub store: StoreConfig,
    /// The issuer folder (default `data_dir/issuer`): file keys live here; processes sharing a
    /// database with file keys share it.
    pub issuer_dir: Option<PathBuf>,
    /// Where the issuer's private keys are: files in the issuer folder, or an HSM.
    pub keys: KeyConfig,
    /// How long a new issuer key is published before it may sign (verifiers fetch the trust
    /// list at least this often).
    pub rotation_notice: chrono::Duration,
    /// Linkage requests one client address may send: a burst, then so many a minute.
    pub linkage_rate: (u32, u32),
    /// No request runs longer than this.
    pub request_time_limit: std::time::Duration,
    /// How status lists are cut and published.
    pub status: StatusPublishing,
    /// The staff verifier page's folder (`web/verifier`, with its WebAssembly built), served at
    /// `/verify/`; `None`: only `/verify/root-key.js`.
    pub web_verifier: Option<PathBuf>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("data_dir", &self.data_dir)
            .field("portal_holder_url", &self.portal_holder_url)
            .field("portal_provider_url", &self.portal_provider_url)
            .field("admin_token", &"(hidden)")
            .field("store", &self.store)
            .field("issuer_dir", &self.issuer_dir)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// Defaults for what a test or the demo does not set: 20 linkage requests at once per
    /// address, 60 a minute; 60 s per request (past the portal's own timeout).
    pub const LINKAGE_RATE: (u32, u32) = (20, 60);
    pub const REQUEST_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);
    /// The shortest admin token the server starts with (the binary generates 48 hex characters).
    pub const MIN_ADMIN_TOKEN: usize = 16;
    /// A new issuer key is published a week before it signs.
    pub const ROTATION_NOTICE: chrono::Duration = chrono::Duration::days(7);

    /// A server in `data_dir` linking through `portal`, with the defaults: 10 s for the portal,
    /// retries driven by the caller, sled in `data_dir/store`, issuer keys in `data_dir/issuer`,
    /// the default rate and time limits, small status lists with every change published at once. Callers change what they need with `..`.
    pub fn for_portal(
        data_dir: PathBuf,
        portal: &crate::portal::Portal,
        admin_token: impl Into<String>,
    ) -> Self {
        Self {
            data_dir,
            portal_holder_url: portal.holder.url(),
            portal_provider_url: portal.provider.url(),
            admin_token: admin_token.into(),
            portal_timeout: std::time::Duration::from_secs(10),
            retry_every: None,
            store: StoreConfig::default(),
            issuer_dir: None,
            keys: KeyConfig::Files,
            rotation_notice: Self::ROTATION_NOTICE,
            linkage_rate: Self::LINKAGE_RATE,
            request_time_limit: Self::REQUEST_TIME_LIMIT,
            status: StatusPublishing::LOOPBACK,
            web_verifier: None,
        }
    }
}
