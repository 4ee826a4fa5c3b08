//! A simulated smartphone certificate (スマホ用電子証明書): a JPKI user-authentication
//! certificate and key held in the phone's secure element, used after the phone's own
//! authentication (biometrics or passcode) instead of the card and its PIN. The real one is
//! reached through the platform's JPKI API by a registered provider (docs/card.md); this one
//! keeps a test key from `fixtures/cards/yamada-smartphone` and asks a closure for the
//! authentication, so tests can accept or cancel it.

use crate::profile::{ProfileError, read_file, rsa_key};
use std::path::Path;
use techo_core::card::jpki::sha256_digest_info;
use techo_core::card::{CardError, JpkiSigner, LinkageProof};

/// The phone's authentication before each signature: `true` when the holder passed it.
pub type UserCheck = Box<dyn FnMut() -> bool + Send>;

pub struct SmartphoneCertificate {
    certificate: Vec<u8>,
    key: rsa::RsaPrivateKey,
    user_check: UserCheck,
    signatures: usize,
}

impl std::fmt::Debug for SmartphoneCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SmartphoneCertificate({} signatures, key hidden)",
            self.signatures
        )
    }
}

impl SmartphoneCertificate {
    /// Loads `auth.crt.der` and `auth.key.der` (PKCS#8) from `dir`.
    pub fn load(dir: &Path, user_check: UserCheck) -> Result<Self, ProfileError> {
        Ok(Self {
            certificate: read_file(dir, "auth.crt.der")?,
            key: rsa_key(dir, "auth.key.der")?,
            user_check,
            signatures: 0,
        })
    }

    /// Signatures made so far.
    pub fn signatures(&self) -> usize {
        self.signatures
    }
}

impl JpkiSigner for SmartphoneCertificate {
    fn authenticate(&mut self, challenge: &[u8]) -> Result<LinkageProof, CardError> {
        if !(self.user_check)() {
            return Err(CardError::NotAuthenticated);
        }
        let signature = self
            .key
            .sign(
                rsa::Pkcs1v15Sign::new_unprefixed(),
                &sha256_digest_info(challenge),
            )
            .map_err(|_| CardError::Malformed("the smartphone certificate's key failed to sign"))?;
        self.signatures += 1;
        Ok(LinkageProof {
            certificate: self.certificate.clone(),
            signature,
            // No card PIN is involved: the phone's authentication has its own rules.
            tries_before: 0,
            apdus: 0,
        })
    }
}
