//! P-256 keys: public keys in SEC1 / COSE_Key form, the `DeviceKey` trait the phones implement
//! in StrongBox or the Secure Enclave, and a software key for desktops, tests and issuers.

use coset::{CoseKey, CoseKeyBuilder, Label, iana};
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};
use zeroize::Zeroizing;

/// Length of an ES256 signature (r ‖ s).
pub const SIGNATURE_LEN: usize = 64;

/// A P-256 public key, kept uncompressed (what `ring` verifies with).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey([u8; 65]);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", crate::hex::encode(&self.compressed()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicKeyError {
    #[error("not a P-256 point")]
    NotOnCurve,
    #[error("a COSE_Key must be EC2 / P-256 with x and y")]
    NotP256CoseKey,
}

impl PublicKey {
    /// Accepts a SEC1 point, compressed (33 bytes) or uncompressed (65 bytes), on the curve.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, PublicKeyError> {
        match (bytes.first(), bytes.len()) {
            (Some(0x02 | 0x03), 33) | (Some(0x04), 65) => {}
            _ => return Err(PublicKeyError::NotOnCurve),
        }
        let encoded =
            p256::EncodedPoint::from_bytes(bytes).map_err(|_| PublicKeyError::NotOnCurve)?;
        let point: Option<p256::AffinePoint> =
            p256::AffinePoint::from_encoded_point(&encoded).into();
        let point = point.ok_or(PublicKeyError::NotOnCurve)?;
        let full = point.to_encoded_point(false);
        let arr: [u8; 65] = full
            .as_bytes()
            .try_into()
            .map_err(|_| PublicKeyError::NotOnCurve)?;
        Ok(Self(arr))
    }

    pub fn uncompressed(&self) -> &[u8; 65] {
        &self.0
    }

    pub fn compressed(&self) -> [u8; 33] {
        let mut out = [0u8; 33];
        out[0] = 0x02 | (self.0[64] & 1);
        out[1..].copy_from_slice(&self.0[1..33]);
        out
    }

    /// COSE_Key (RFC 9053): kty EC2, crv P-256, x, and y as its sign bit (compressed form).
    pub fn to_cose_key(&self) -> CoseKey {
        CoseKeyBuilder::new_ec2_pub_key_y_sign(
            iana::EllipticCurve::P_256,
            self.0[1..33].to_vec(),
            self.0[64] & 1 == 1,
        )
        .build()
    }

    pub fn from_cose_key(key: &CoseKey) -> Result<Self, PublicKeyError> {
        use ciborium::Value;
        if key.kty != coset::KeyType::Assigned(iana::KeyType::EC2) {
            return Err(PublicKeyError::NotP256CoseKey);
        }
        let param = |l: i64| {
            key.params
                .iter()
                .find(|(k, _)| *k == Label::Int(l))
                .map(|(_, v)| v)
        };
        let crv_ok = matches!(param(iana::Ec2KeyParameter::Crv as i64), Some(Value::Integer(i)) if i128::from(*i) == iana::EllipticCurve::P_256 as i128);
        let x = match param(iana::Ec2KeyParameter::X as i64) {
            Some(Value::Bytes(x)) if x.len() == 32 && crv_ok => x,
            _ => return Err(PublicKeyError::NotP256CoseKey),
        };
        let mut sec1 = Vec::with_capacity(65);
        match param(iana::Ec2KeyParameter::Y as i64) {
            Some(Value::Bool(odd)) => {
                sec1.push(if *odd { 0x03 } else { 0x02 });
                sec1.extend_from_slice(x);
            }
            Some(Value::Bytes(y)) if y.len() == 32 => {
                sec1.push(0x04);
                sec1.extend_from_slice(x);
                sec1.extend_from_slice(y);
            }
            _ => return Err(PublicKeyError::NotP256CoseKey),
        }
        Self::from_sec1(&sec1)
    }

    /// Verifies an ES256 signature (r ‖ s) over `msg`.
    pub fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.0[..])
            .verify(msg, signature)
            .is_ok()
    }
}

/// Why a device key could not sign. The phones map their keystore failures onto these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceKeyError {
    #[error(
        "the holder did not confirm (biometrics or PIN cancelled) / 本人確認がキャンセルされました"
    )]
    UserCancelled,
    /// The key needs the holder to unlock first (biometrics or the phone's PIN): what a thief
    /// with a phone that was left unlocked meets once the unlock has lapsed.
    #[error(
        "unlock Techo (fingerprint, face or the phone's PIN) to show the handbook / 手帳を表示するにはロックを解除してください"
    )]
    NotUnlocked,
    #[error(
        "the device key is gone (the app was reinstalled or the lock screen changed): link the handbook again / 端末の鍵が失われました。再連携してください"
    )]
    KeyLost,
    #[error("the secure hardware failed: {0} / セキュア領域のエラー")]
    Hardware(String),
}

/// A P-256 signing key that never leaves its hardware. `sign` returns r ‖ s (64 bytes) over
/// SHA-256 of `msg`.
pub trait DeviceKey: Send + Sync + std::fmt::Debug {
    fn public_key(&self) -> Result<PublicKey, DeviceKeyError>;
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, DeviceKeyError>;
}

/// A P-256 key held in memory: desktop device keys, dev issuers, trust-list roots, tests.
pub struct SoftwareKey {
    pair: EcdsaKeyPair,
    pkcs8: Zeroizing<Vec<u8>>,
    rng: SystemRandom,
}

impl std::fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SoftwareKey({:?}, private part hidden)", self.public())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored private key is not a P-256 PKCS#8 key")]
pub struct BadPrivateKey;

impl SoftwareKey {
    pub fn generate() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("the OS random source works");
        Self::from_pkcs8(pkcs8.as_ref()).expect("ring reads its own PKCS#8")
    }

    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, BadPrivateKey> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|_| BadPrivateKey)?;
        Ok(Self {
            pair,
            pkcs8: Zeroizing::new(pkcs8.to_vec()),
            rng,
        })
    }

    /// The private key as PKCS#8, for the encrypted store only.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    pub fn public(&self) -> PublicKey {
        PublicKey::from_sec1(self.pair.public_key().as_ref()).expect("ring makes valid points")
    }

    pub fn sign_bytes(&self, msg: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&self.rng, msg)
            .expect("signing with a valid key works")
            .as_ref()
            .to_vec()
    }
}

impl DeviceKey for SoftwareKey {
    fn public_key(&self) -> Result<PublicKey, DeviceKeyError> {
        Ok(self.public())
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, DeviceKeyError> {
        Ok(self.sign_bytes(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_every_form() {
        let k = SoftwareKey::generate();
        let p = k.public();
        assert_eq!(PublicKey::from_sec1(&p.compressed()).unwrap(), p);
        assert_eq!(PublicKey::from_cose_key(&p.to_cose_key()).unwrap(), p);
        let sig = k.sign_bytes(b"hello");
        assert_eq!(sig.len(), SIGNATURE_LEN);
        assert!(p.verify(b"hello", &sig));
        assert!(!p.verify(b"hellp", &sig));
        let again = SoftwareKey::from_pkcs8(k.pkcs8()).unwrap();
        assert_eq!(again.public(), p);
        assert!(PublicKey::from_sec1(&[5; 33]).is_err());
        assert!(
            PublicKey::from_sec1(&[0]).is_err(),
            "the point at infinity is refused"
        );
        let mut off_curve = p.uncompressed().to_vec();
        off_curve[64] ^= 1;
        assert!(PublicKey::from_sec1(&off_curve).is_err());
        assert!(format!("{k:?}").contains("hidden"));
    }
}
