//! The trust list: which issuer keys verifiers accept, by key id and validity, signed by the
//! Techo root key. Verifiers pin the root public key and refuse a list older than the one they
//! already hold (sequence numbers only go up).

use super::cbor_read::{IntMap, uint};
use super::keys::{PublicKey, SoftwareKey};
use chrono::{DateTime, TimeZone, Utc};
use ciborium::Value;
use coset::AsCborValue;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuer {
    pub kid: Vec<u8>,
    pub issuer_id: u32,
    pub name: String,
    pub key: PublicKey,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustList {
    pub sequence: u64,
    pub issued_at: DateTime<Utc>,
    /// Oldest display-token format the issuer still accepts; older apps show "update the app".
    pub min_token_version: u32,
    pub issuers: Vec<TrustedIssuer>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustListError {
    #[error("the trust list is malformed ({0})")]
    Malformed(&'static str),
    #[error("the trust list is not signed by the Techo root key")]
    BadSignature,
    #[error(
        "the trust list (sequence {found}) is older than the one already held ({held}): refusing a rollback"
    )]
    Rollback { found: u64, held: u64 },
}

fn unix(t: DateTime<Utc>) -> Value {
    Value::from(t.timestamp())
}

fn from_unix(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(v?.as_integer()?).ok()?;
    Utc.timestamp_opt(secs, 0).single()
}

impl TrustedIssuer {
    /// The trust-list entry for an issuer key, valid between the two times.
    pub fn of(
        issuer: &super::issuer::Issuer,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Self {
        Self {
            kid: issuer.kid.clone(),
            issuer_id: issuer.id,
            name: issuer.name.clone(),
            key: issuer.public(),
            not_before,
            not_after,
        }
    }
}

impl TrustList {
    pub fn issuer(&self, kid: &[u8]) -> Option<&TrustedIssuer> {
        self.issuers.iter().find(|i| i.kid == kid)
    }

    pub fn sign(&self, root: &SoftwareKey, root_kid: &[u8]) -> Vec<u8> {
        super::signed_list::sign(
            &self.payload(),
            root,
            root_kid,
            "application/techo-trust-list",
        )
    }

    /// [`Self::sign`] with any signer (an HSM); nothing is signed when it fails.
    pub fn sign_with(
        &self,
        root: &dyn super::Signer,
        root_kid: &[u8],
    ) -> Result<Vec<u8>, super::SignError> {
        super::signed_list::sign_with(
            &self.payload(),
            root,
            root_kid,
            "application/techo-trust-list",
        )
    }

    fn payload(&self) -> Value {
        let issuers = self
            .issuers
            .iter()
            .map(|i| {
                Value::Map(vec![
                    (Value::from(1), Value::Bytes(i.kid.clone())),
                    (Value::from(2), Value::from(i.issuer_id)),
                    (Value::from(3), Value::Text(i.name.clone())),
                    (
                        Value::from(4),
                        i.key
                            .to_cose_key()
                            .to_cbor_value()
                            .expect("COSE_Key encodes"),
                    ),
                    (Value::from(5), unix(i.not_before)),
                    (Value::from(6), unix(i.not_after)),
                ])
            })
            .collect();
        Value::Map(vec![
            (Value::from(1), Value::from(self.sequence)),
            (Value::from(2), unix(self.issued_at)),
            (Value::from(3), Value::from(self.min_token_version)),
            (Value::from(4), Value::Array(issuers)),
        ])
    }

    /// Verifies a signed trust list against the pinned root key. `held` is the sequence of the
    /// list the verifier already trusts, if any.
    pub fn from_signed(
        bytes: &[u8],
        root: &PublicKey,
        held: Option<u64>,
    ) -> Result<Self, TrustListError> {
        let bad = TrustListError::Malformed;
        let (_, value) =
            super::signed_list::open(bytes, "trust list", |_| Some(root)).map_err(|e| match e {
                super::signed_list::OpenError::Malformed(w) => bad(w),
                _ => TrustListError::BadSignature,
            })?;
        let m = IntMap::new(&value).ok_or(bad("payload must be a map"))?;
        let sequence = m.uint(1).ok_or(bad("sequence"))?;
        if let Some(held) = held.filter(|h| sequence < *h) {
            return Err(TrustListError::Rollback {
                found: sequence,
                held,
            });
        }
        let mut issuers = Vec::new();
        for entry in m.get(4).and_then(Value::as_array).ok_or(bad("issuers"))? {
            let e = IntMap::new(entry).ok_or(bad("issuer entry"))?;
            let key = e.get(4).cloned().ok_or(bad("issuer key"))?;
            let key = coset::CoseKey::from_cbor_value(key).map_err(|_| bad("issuer key"))?;
            issuers.push(TrustedIssuer {
                kid: e.bytes(1).ok_or(bad("issuer kid"))?.to_vec(),
                issuer_id: e
                    .get(2)
                    .and_then(uint)
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or(bad("issuer id"))?,
                name: e.text(3).ok_or(bad("issuer name"))?.to_owned(),
                key: PublicKey::from_cose_key(&key).map_err(|_| bad("issuer key"))?,
                not_before: from_unix(e.get(5)).ok_or(bad("issuer not-before"))?,
                not_after: from_unix(e.get(6)).ok_or(bad("issuer not-after"))?,
            });
        }
        Ok(Self {
            sequence,
            issued_at: from_unix(m.get(2)).ok_or(bad("issued-at"))?,
            min_token_version: m.u32(3).ok_or(bad("minimum token version"))?,
            issuers,
        })
    }
}
