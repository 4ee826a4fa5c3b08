//! Where device keys live. On a desktop they are software keys sealed in the encrypted store; on
//! a phone the platform keeps them in hardware (StrongBox / Secure Enclave) by alias, and the
//! wallet only ever sees public keys and signatures.

use super::keys::{DeviceKey, DeviceKeyError, PublicKey};
use std::sync::Arc;

/// A platform keystore holding P-256 device keys by alias. A linkage asks for a batch of keys
/// (one per credential); the private parts never leave the keystore.
pub trait DeviceKeyStore: Send + Sync + std::fmt::Debug {
    /// Makes a new key under `alias` and returns its public key.
    fn create(&self, alias: &str) -> Result<PublicKey, DeviceKeyError>;
    /// Signs `msg` (ES256: r ‖ s over SHA-256 of `msg`) with the key under `alias`.
    fn sign(&self, alias: &str, msg: &[u8]) -> Result<Vec<u8>, DeviceKeyError>;
    /// Deletes the key under `alias`; deleting a missing key is not an error.
    fn delete(&self, alias: &str) -> Result<(), DeviceKeyError>;
}

/// Aliases of keys held by a platform keystore start with this; software keys start with `sw-`.
pub const HARDWARE_PREFIX: &str = "hw-";

/// One key of a [`DeviceKeyStore`], usable wherever a [`DeviceKey`] is.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub store: Arc<dyn DeviceKeyStore>,
    pub alias: String,
    pub public: PublicKey,
}

impl DeviceKey for StoredKey {
    fn public_key(&self) -> Result<PublicKey, DeviceKeyError> {
        Ok(self.public.clone())
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, DeviceKeyError> {
        let sig = self.store.sign(&self.alias, msg)?;
        // A keystore that signs with the wrong key (or returns junk) is caught here, at the
        // phone, rather than at every gate that later rejects the token.
        if sig.len() != 64 || !self.public.verify(msg, &sig) {
            return Err(DeviceKeyError::Hardware(format!(
                "the keystore's signature for {} does not verify",
                self.alias
            )));
        }
        Ok(sig)
    }
}
