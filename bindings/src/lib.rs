//! The surface the phones (and Python booking sites) see. Thin: it converts between uniffi
//! records and techo-core types and maps errors; every decision stays in the core.
//!
//! Platform-implemented (foreign) traits: [`DataKeyProvider`], [`DeviceKeyStore`],
//! [`CardTransport`], [`WalletClock`]. Objects: [`Wallet`], [`TechoService`], [`Verifier`].

#![allow(
    clippy::needless_pass_by_value,
    reason = "uniffi passes foreign arguments by value"
)]

mod card;
mod clock;
mod error;
mod keys;
mod records;
mod service;
mod site;
mod verifier;
mod wallet;

#[cfg(feature = "testing")]
pub use card::SoftwareCard;
pub use card::{CardIdentity, CardTransport, CardTransportError, read_card_identity};
pub use clock::WalletClock;
pub use error::TechoError;
pub use keys::{DataKeyError, DataKeyProvider, DeviceKeyError, DeviceKeyStore};
pub use records::*;
pub use service::TechoService;
pub use site::{SiteFlow, SiteIdentity, SiteOutcome, SiteSession, SiteTrip, SiteVerifier};
pub use verifier::Verifier;
pub use wallet::{PageImageData, Wallet};

uniffi::setup_scaffolding!();
