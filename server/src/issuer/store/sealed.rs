//! A secret as the store keeps it: sealed by the issuer's keys ([`crate::issuer::keys::Sealer`])
//! before it is written, so neither a database dump nor a copied sled folder shows it.

use serde::{Deserialize, Serialize};

/// What a sealed value starts with; a stored value without it was written before sealing.
pub const SEALED_PREFIX: &str = "sealed1:";

/// A sealed secret (or, in a record from before sealing, the secret in clear). Its text never
/// shows in logs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(String);

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_sealed() {
            "Sealed(…)"
        } else {
            "Sealed(unsealed, from before sealing)"
        })
    }
}

impl Sealed {
    /// The value as stored (made by the sealer, or read back from the store).
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// Whether the value was sealed (false: a record from before sealing, still in clear).
    pub fn is_sealed(&self) -> bool {
        self.0.starts_with(SEALED_PREFIX)
    }

    /// The stored text.
    pub fn stored_text(&self) -> &str {
        &self.0
    }
}
