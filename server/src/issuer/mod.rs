//! techo-server: linkage sessions, the portal exchange over mutual TLS, pending requests with
//! retries that honour the portal's hours, credential issuing, revocation, trust and status lists,
//! the operator directory and coupons.
//!
//! Layers, each depending only on the ones above it: configuration (`config`) and the stores
//! and keys; rules without I/O (`linkage_rules`, `directory_log`, `keys::ring`); the shared
//! state (`state`); work over the store and the portal (`linkage`, `renew`, …); HTTP handlers;
//! and start-up (`startup`), which mounts them.

mod admin_auth;
pub mod config;
mod consent_expiry;
pub mod coupons;
pub mod directory;
pub mod directory_log;
mod handlers;
mod key_admin;
pub mod keys;
mod linkage;
mod linkage_rules;
pub mod portal_client;
mod renew;
pub mod startup;
pub mod state;
mod status_cache;
pub mod status_lists;
pub mod status_publishing;
pub mod store;
pub mod wait;
mod web_verifier;

pub use config::ServerConfig;
pub use startup::TechoServer;
pub use state::ServerState;
