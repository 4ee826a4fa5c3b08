//! Signed credentials and rotating display tokens: issue, present as a QR code, verify offline.
//!
//! The format is specified in `docs/token-spec.md`; test vectors live in `fixtures/vectors/`.

pub mod base45;
pub mod cbor_read;
pub mod claims;
pub mod credential;
pub mod dev_issuer;
pub mod display;
pub mod envelope;
pub mod issuer;
pub mod keys;
pub mod keystore;
pub mod present;
pub mod qr;
pub mod sample;
pub(crate) mod signed_list;
pub mod signer;
pub mod status;
pub mod status_delta;
pub mod status_set;
pub mod time;
pub mod trust;
pub mod verifier_bundle;
pub mod verify;

pub use claims::{ClaimId, DisclosedClaims, GuardianClaim, HandbookClaims, LinkageKind};
pub use credential::StatusRef;
pub use dev_issuer::{DevIssuer, DevIssuerError};
pub use display::DisplayToken;
pub use envelope::Payload;
pub use issuer::{IssueError, IssueRequest, Issuer};
pub use keys::{DeviceKey, DeviceKeyError, PublicKey, SoftwareKey};
pub use keystore::{DeviceKeyStore, StoredKey};
pub use present::{
    Challenge, Extras, HeldCredential, PresentError, Profile, present, present_declaring,
    present_with,
};
pub use qr::{QrImage, QrMode, QrTooLarge, ShownCode};
pub use signer::{SignError, Signer};
pub use status::{Status, StatusList};
pub use status_delta::{DeltaError, StatusDelta};
pub use status_set::StatusSet;
pub use trust::{TrustList, TrustedIssuer};
pub use verifier_bundle::{BundleError, VerifierBundle};
pub use verify::{Policy, StatusSource, VerifiedPresentation, VerifyError, verify};
