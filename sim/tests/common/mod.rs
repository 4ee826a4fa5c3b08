//! The fixture cards and their CAs, for the card tests.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};
use techo_sim::{SimOptions, SoftCard};

pub fn card_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/cards")
        .join(name)
}

/// A card whose retry counters live in `state`.
pub fn card(name: &str, state: &Path, options: SimOptions) -> SoftCard {
    SoftCard::open(&card_dir(name), Some(state), options).unwrap()
}

pub fn ext() -> SimOptions {
    SimOptions {
        extended: true,
        ..SimOptions::default()
    }
}

/// A CA certificate (DER) from `fixtures/cards/<dir>/ca.crt.der`.
pub fn ca(dir: &str) -> Vec<u8> {
    std::fs::read(card_dir(dir).join("ca.crt.der")).unwrap()
}
