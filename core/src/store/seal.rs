//! AES-256-GCM sealing of store values.
//!
//! Layout of a sealed value: `format (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
//! Associated data: `techo-store/v1/<table>/<key>`, which binds a value to its place.

use super::key::DataKey;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

const FORMAT: u8 = 1;

pub(crate) struct Sealer {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(AES-256-GCM, key hidden)")
    }
}

/// Why a value did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    Truncated,
    UnknownFormat(u8),
    Authentication,
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Truncated => f.write_str("value is truncated"),
            OpenError::UnknownFormat(b) => write!(f, "unknown value format {b}"),
            OpenError::Authentication => {
                f.write_str("authentication failed: altered, moved, or sealed with another key")
            }
        }
    }
}

fn aad(place: &str) -> Vec<u8> {
    let mut a = b"techo-store/v1/".to_vec();
    a.extend_from_slice(place.as_bytes());
    a
}

impl Sealer {
    pub(crate) fn new(key: &DataKey) -> Self {
        let unbound =
            UnboundKey::new(&AES_256_GCM, key.bytes()).expect("a 32-byte key suits AES-256");
        Self {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    /// `place` is `table/key`.
    pub(crate) fn seal(&self, place: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .expect("the OS random source works");
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(place)),
                &mut buf,
            )
            .expect("AES-GCM sealing only fails on absurd lengths");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
        out.push(FORMAT);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        zeroize::Zeroize::zeroize(&mut buf);
        out
    }

    pub(crate) fn open(&self, place: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let (&format, rest) = sealed.split_first().ok_or(OpenError::Truncated)?;
        if format != FORMAT {
            return Err(OpenError::UnknownFormat(format));
        }
        if rest.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(OpenError::Truncated);
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenError::Truncated)?;
        let mut buf = Zeroizing::new(ct.to_vec());
        let len = self
            .key
            .open_in_place(nonce, Aad::from(aad(place)), &mut buf)
            .map_err(|_| OpenError::Authentication)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let s = Sealer::new(&DataKey::from_bytes([7; 32]));
        let sealed = s.seal("handbooks/a", b"hello");
        assert_eq!(&**s.open("handbooks/a", &sealed).unwrap(), b"hello");
        assert_eq!(
            s.open("handbooks/b", &sealed).unwrap_err(),
            OpenError::Authentication
        );
        let again = s.seal("handbooks/a", b"hello");
        assert_ne!(sealed, again, "fresh nonce per write");
        let other = Sealer::new(&DataKey::from_bytes([8; 32]));
        assert_eq!(
            other.open("handbooks/a", &sealed).unwrap_err(),
            OpenError::Authentication
        );
        assert_eq!(s.open("x", &[1, 2]).unwrap_err(), OpenError::Truncated);
        assert_eq!(
            s.open("x", &[9; 40]).unwrap_err(),
            OpenError::UnknownFormat(9)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, failure_persistence: None, ..proptest::prelude::ProptestConfig::default() })]

        /// A damaged or forged record (from a stolen or corrupted store) is refused, never
        /// opened and never a panic; so is a genuine record with one byte changed.
        #[test]
        fn damaged_records_are_refused(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), flip in 0usize..64) {
            let s = Sealer::new(&DataKey::from_bytes([7; 32]));
            proptest::prop_assert!(s.open("handbooks/a", &bytes).is_err());
            let mut sealed = s.seal("handbooks/a", b"a handbook record");
            let i = flip % sealed.len();
            sealed[i] ^= 1;
            proptest::prop_assert!(s.open("handbooks/a", &sealed).is_err());
        }
    }
}
