//! The issuer's signing seam: credentials, status lists, the operator directory (issuer key)
//! and the trust list (root key) are signed through [`Signer`], so the key can live in a file
//! for development or in an HSM (techo-server's PKCS#11 signer) without this crate knowing.

use super::keys::{PublicKey, SoftwareKey};

/// Why a signature was not made. Nothing was signed; the caller may try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error(
        "the signing key {key} is unavailable ({why}): check that the HSM is reachable and logged in, then try again"
    )]
    Unavailable { key: String, why: String },
    #[error(
        "the signing key {key} gave a signature that does not verify: check the HSM and its key"
    )]
    BadSignature { key: String },
}

/// An ES256 signing key: P-256, SHA-256, the signature as r ‖ s (64 bytes).
pub trait Signer: Send + Sync + std::fmt::Debug {
    fn public(&self) -> PublicKey;
    /// Signs `msg` (hashed with SHA-256 by the signer).
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError>;
}

impl Signer for SoftwareKey {
    fn public(&self) -> PublicKey {
        SoftwareKey::public(self)
    }

    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        Ok(self.sign_bytes(msg))
    }
}
