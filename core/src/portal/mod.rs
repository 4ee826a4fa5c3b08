//! Talking to techo-server and the Myna Portal: the shared wire types and the app's HTTP client.

pub mod client;
pub mod dto;

pub use client::{ClientError, TechoClient};
