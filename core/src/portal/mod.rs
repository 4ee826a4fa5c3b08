//! Talking to techo-server and the Myna Portal: the shared wire types and the app's HTTP client.

pub mod dto;
