//! Talking to techo-server and the Myna Portal: the shared wire types and the app's HTTP client.

pub mod client;
pub mod dto;
pub mod status_sync;

pub use client::{ClientError, TechoClient};
pub use status_sync::{ListSync, StatusSync, VerifierRefresh};
