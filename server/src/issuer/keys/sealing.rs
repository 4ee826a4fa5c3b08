//! Secrets the store keeps, sealed: the portal access tokens that let a linkage be renewed
//! without the card. AES-256-GCM under a data key; the data key is kept in the store wrapped by
//! the key source (a key file, or an AES key made inside the HSM that never leaves it), so a
//! database dump or a copied sled folder gives no token. The record's id is the associated
//! data: a sealed token copied into another record does not open.

use super::source::KeyError;
use crate::issuer::store::{SEALED_PREFIX as PREFIX, Sealed};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;
/// Why a sealed secret did not open. The record is left as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a sealed portal token does not open with this server's sealing key (the record was altered, or the database belongs to another key folder or HSM token): the holder links again with the card"
)]
pub struct SealError;

/// Seals and opens the store's secrets with its data key.
pub struct Sealer {
    key: LessSafeKey,
    random: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

/// `nonce ‖ ciphertext ‖ tag` of `plain` under `key`, bound to `aad`.
pub(crate) fn seal_bytes(
    key: &LessSafeKey,
    random: &dyn SecureRandom,
    plain: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, KeyError> {
    let mut nonce = [0u8; NONCE_LEN];
    random
        .fill(&mut nonce)
        .map_err(|_| KeyError::Sealing("no randomness for a nonce".into()))?;
    let mut out = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut out,
    )
    .map_err(|_| KeyError::Sealing("AES-GCM refused to seal".into()))?;
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&out);
    Ok(sealed)
}

/// What [`seal_bytes`] sealed, or `None` if it was altered or sealed under another key.
pub(crate) fn open_bytes(key: &LessSafeKey, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buf = body.to_vec();
    let plain = key.open_in_place(nonce, Aad::from(aad), &mut buf).ok()?;
    Some(plain.to_vec())
}

/// An AES-256-GCM key from 32 bytes.
pub(crate) fn aes_key(bytes: &[u8]) -> Result<LessSafeKey, KeyError> {
    UnboundKey::new(&AES_256_GCM, bytes)
        .map(LessSafeKey::new)
        .map_err(|_| KeyError::Sealing("a sealing key is not 32 bytes".into()))
}

impl Sealer {
    pub(crate) fn new(data_key: &[u8]) -> Result<Self, KeyError> {
        Ok(Self {
            key: aes_key(data_key)?,
            random: SystemRandom::new(),
        })
    }

    /// `secret` sealed for the record `record_id`.
    pub fn seal(&self, secret: &str, record_id: &str) -> Result<Sealed, KeyError> {
        let sealed = seal_bytes(
            &self.key,
            &self.random,
            secret.as_bytes(),
            record_id.as_bytes(),
        )?;
        Ok(Sealed::from_stored(format!(
            "{PREFIX}{}",
            techo_core::hex::encode(&sealed)
        )))
    }

    /// The secret `sealed` holds for the record `record_id`. A value stored before sealing is
    /// returned as it is (and sealed when the record is next written).
    pub fn open(&self, sealed: &Sealed, record_id: &str) -> Result<String, SealError> {
        let Some(hex) = sealed.stored_text().strip_prefix(PREFIX) else {
            return Ok(sealed.stored_text().to_owned());
        };
        let bytes = techo_core::hex::decode(hex).ok_or(SealError)?;
        let plain =
            Zeroizing::new(open_bytes(&self.key, &bytes, record_id.as_bytes()).ok_or(SealError)?);
        String::from_utf8(plain.to_vec()).map_err(|_| SealError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_token_opens_only_for_its_record_and_unaltered() {
        let sealer = Sealer::new(&[7; 32]).unwrap();
        let sealed = sealer.seal("portal-token-123", "session-a").unwrap();
        assert!(sealed.is_sealed());
        assert!(!sealed.stored_text().contains("portal-token-123"));
        assert_eq!(
            sealer.open(&sealed, "session-a").unwrap(),
            "portal-token-123"
        );
        assert_eq!(sealer.open(&sealed, "session-b"), Err(SealError));
        let mut altered = sealed.stored_text().to_owned();
        let last = altered.pop().unwrap();
        altered.push(if last == '0' { '1' } else { '0' });
        assert_eq!(
            sealer.open(&Sealed::from_stored(altered), "session-a"),
            Err(SealError)
        );
        let other = Sealer::new(&[8; 32]).unwrap();
        assert_eq!(other.open(&sealed, "session-a"), Err(SealError));
        // Two seals of one token differ (a fresh nonce each time).
        assert_ne!(
            sealer.seal("portal-token-123", "session-a").unwrap(),
            sealed
        );
        // A value from before sealing still opens, as it is.
        let legacy = Sealed::from_stored("plain-token".into());
        assert!(!legacy.is_sealed());
        assert_eq!(sealer.open(&legacy, "any").unwrap(), "plain-token");
        assert_eq!(format!("{sealed:?}"), "Sealed(…)");
    }
}
