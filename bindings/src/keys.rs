//! The keys the platform keeps: the store's data key (wrapped by Android Keystore / the Secure
//! Enclave) and the device keys that sign display tokens (P-256 in StrongBox / Secure Enclave).

use std::sync::Arc;
use techo_core::store::{DataKey, KeyError, KeyProvider};
use techo_core::token::{DeviceKeyError as CoreKeyError, PublicKey};

/// Why the platform could not give the store's data key.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum DataKeyError {
    #[error("the platform keystore refused: {reason}")]
    Platform { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for DataKeyError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        DataKeyError::Platform { reason: e.reason }
    }
}

/// The store's 32-byte data key, kept by the platform.
#[uniffi::export(with_foreign)]
pub trait DataKeyProvider: Send + Sync {
    /// 32 bytes; with `create` (a new store) a missing key is made and kept.
    fn data_key(&self, create: bool) -> Result<Vec<u8>, DataKeyError>;
}

pub(crate) struct ForeignDataKey(pub Arc<dyn DataKeyProvider>);

impl std::fmt::Debug for ForeignDataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForeignDataKey")
    }
}

impl KeyProvider for ForeignDataKey {
    fn data_key(&self, create: bool) -> Result<DataKey, KeyError> {
        let bytes = self
            .0
            .data_key(create)
            .map_err(|e| KeyError::Platform(e.to_string()))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Platform("the data key must be 32 bytes".into()))?;
        Ok(DataKey::from_bytes(arr))
    }
}

/// Why a device key could not be made or used. A foreign keystore throws these.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum DeviceKeyError {
    /// The holder cancelled the biometric or lock-screen prompt.
    #[error("the holder cancelled")]
    UserCancelled,
    /// The key needs a fresh unlock (Android: `UserNotAuthenticatedException` once the
    /// authentication window has passed; iOS: authentication failed or not possible now).
    #[error("the holder must unlock first")]
    NotUnlocked,
    /// The key is gone (app reinstalled, lock screen removed): the holder links again.
    #[error("the key is gone")]
    KeyLost,
    #[error("the secure hardware failed: {reason}")]
    Hardware { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for DeviceKeyError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        DeviceKeyError::Hardware { reason: e.reason }
    }
}

impl From<DeviceKeyError> for CoreKeyError {
    fn from(e: DeviceKeyError) -> Self {
        match e {
            DeviceKeyError::UserCancelled => CoreKeyError::UserCancelled,
            DeviceKeyError::NotUnlocked => CoreKeyError::NotUnlocked,
            DeviceKeyError::KeyLost => CoreKeyError::KeyLost,
            DeviceKeyError::Hardware { reason } => CoreKeyError::Hardware(reason),
        }
    }
}

/// The platform keystore holding P-256 device keys by alias (Android Keystore with StrongBox,
/// iOS Secure Enclave). A linkage makes one key per credential; presenting signs with one.
#[uniffi::export(with_foreign)]
pub trait DeviceKeyStore: Send + Sync {
    /// Makes a P-256 key under `alias`; returns its public key as SEC1 (65 or 33 bytes) or as
    /// X.509 SubjectPublicKeyInfo DER (what Android's `PublicKey.getEncoded()` gives).
    fn create_key(&self, alias: String) -> Result<Vec<u8>, DeviceKeyError>;
    /// ECDSA P-256 with SHA-256 over `message`: raw r ‖ s (64 bytes) or X9.62 DER (what
    /// `Signature("SHA256withECDSA")` and `SecKeyCreateSignature` give).
    fn sign(&self, alias: String, message: Vec<u8>) -> Result<Vec<u8>, DeviceKeyError>;
    /// Deletes the key; a missing key is not an error.
    fn delete_key(&self, alias: String) -> Result<(), DeviceKeyError>;
}

pub(crate) struct ForeignDeviceKeys(pub Arc<dyn DeviceKeyStore>);

impl std::fmt::Debug for ForeignDeviceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForeignDeviceKeys")
    }
}

/// The DER prefix of a P-256 SubjectPublicKeyInfo, up to the uncompressed point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

pub(crate) fn public_key_from_platform(bytes: &[u8]) -> Result<PublicKey, CoreKeyError> {
    let sec1 = bytes.strip_prefix(&P256_SPKI_PREFIX[..]).unwrap_or(bytes);
    PublicKey::from_sec1(sec1)
        .map_err(|e| CoreKeyError::Hardware(format!("the keystore's public key is not P-256: {e}")))
}

/// Reads a DER `SEQUENCE { INTEGER r, INTEGER s }` into r ‖ s; raw 64-byte input passes.
pub(crate) fn signature_from_platform(sig: &[u8]) -> Result<Vec<u8>, CoreKeyError> {
    if sig.len() == 64 {
        return Ok(sig.to_vec());
    }
    let bad = || CoreKeyError::Hardware("the keystore's signature is not ECDSA P-256".into());
    let body = match sig {
        [0x30, len, rest @ ..] if usize::from(*len) == rest.len() => rest,
        _ => return Err(bad()),
    };
    let (r, rest) = der_integer(body).ok_or_else(bad)?;
    let (s, rest) = der_integer(rest).ok_or_else(bad)?;
    if !rest.is_empty() {
        return Err(bad());
    }
    let mut out = vec![0u8; 64];
    for (value, at) in [(r, 0), (s, 32)] {
        let value = value.strip_prefix(&[0u8][..]).unwrap_or(value);
        if value.len() > 32 {
            return Err(bad());
        }
        out[at + 32 - value.len()..at + 32].copy_from_slice(value);
    }
    Ok(out)
}

fn der_integer(b: &[u8]) -> Option<(&[u8], &[u8])> {
    match b {
        [0x02, len, rest @ ..] if usize::from(*len) <= rest.len() && *len > 0 => {
            Some(rest.split_at(usize::from(*len)))
        }
        _ => None,
    }
}

impl techo_core::token::DeviceKeyStore for ForeignDeviceKeys {
    fn create(&self, alias: &str) -> Result<PublicKey, CoreKeyError> {
        let bytes = self.0.create_key(alias.to_owned())?;
        public_key_from_platform(&bytes)
    }

    fn sign(&self, alias: &str, msg: &[u8]) -> Result<Vec<u8>, CoreKeyError> {
        let sig = self.0.sign(alias.to_owned(), msg.to_vec())?;
        signature_from_platform(&sig)
    }

    fn delete(&self, alias: &str) -> Result<(), CoreKeyError> {
        Ok(self.0.delete_key(alias.to_owned())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_signatures_become_raw_and_verify() {
        let key = techo_core::token::SoftwareKey::generate();
        let rng = ring::rand::SystemRandom::new();
        let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            key.pkcs8(),
            &rng,
        )
        .expect("a fresh key");
        for _ in 0..32 {
            let der = pair.sign(&rng, b"msg").expect("signs").as_ref().to_vec();
            let raw = signature_from_platform(&der).expect("DER parses");
            assert!(key.public().verify(b"msg", &raw));
        }
        assert!(signature_from_platform(&[0x30, 0x02, 0x02, 0x00]).is_err());
        assert!(signature_from_platform(&[]).is_err());
    }

    #[test]
    fn spki_and_sec1_public_keys_are_read() {
        let key = techo_core::token::SoftwareKey::generate();
        let sec1 = key.public().uncompressed().to_vec();
        let mut spki = P256_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(&sec1);
        assert_eq!(public_key_from_platform(&spki).ok(), Some(key.public()));
        assert_eq!(public_key_from_platform(&sec1).ok(), Some(key.public()));
        assert!(public_key_from_platform(&spki[..40]).is_err());
    }
}
