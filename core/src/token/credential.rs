//! The credential: a COSE_Sign1 by the issuer over the holder's device key, validity, status
//! reference and salted digests of the handbook claims. It holds no clear-text personal data.

use super::cbor_read::{IntMap, Malformed, read_item, uint};
use super::claims::{ClaimId, Digest, GuardianClaim};
use super::keys::PublicKey;
use ciborium::Value;
use coset::{AsCborValue, CoseSign1, CoseSign1Builder, HeaderBuilder, iana};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest credential validity, in days (inclusive). Display tokens count 30-second steps from
/// the first day, and 22 days of steps (63,360) still fit the three-byte CBOR integer that keeps
/// the counter QR at version 11.
pub const MAX_VALIDITY_DAYS: u32 = 22;

/// Format version carried in every credential.
pub const CREDENTIAL_VERSION: u64 = 1;

/// Where a credential's status lives: list id and index in that list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusRef {
    pub list: u32,
    pub index: u32,
}

/// Which claims a credential covers and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Digests {
    /// Counter profile: one digest over kind, fare class, caregiver and linkage together.
    Counter(Digest),
    /// Full profile: one digest per claim, for selective disclosure.
    Full(BTreeMap<ClaimId, Digest>),
}

/// The signed content of a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialBody {
    pub issuer: u32,
    pub device_key: PublicKey,
    /// JST day numbers (see `token::time`), both inclusive.
    pub not_before: u32,
    pub not_after: u32,
    pub status: StatusRef,
    pub digests: Digests,
    /// Presented by a guardian (always disclosed; absent for the holder's own credential).
    pub guardian: Option<GuardianClaim>,
}

mod key {
    pub const VERSION: i64 = 1;
    pub const ISSUER: i64 = 2;
    pub const DEVICE_KEY: i64 = 3;
    pub const NOT_BEFORE: i64 = 4;
    pub const NOT_AFTER: i64 = 5;
    pub const STATUS: i64 = 6;
    pub const COUNTER_DIGEST: i64 = 7;
    pub const CLAIM_DIGESTS: i64 = 8;
    pub const GUARDIAN: i64 = 9;
}

impl CredentialBody {
    pub fn to_cbor(&self) -> Vec<u8> {
        let k = |n: i64| Value::from(n);
        let mut map = vec![
            (k(key::VERSION), Value::from(CREDENTIAL_VERSION)),
            (k(key::ISSUER), Value::from(self.issuer)),
            (
                k(key::DEVICE_KEY),
                Value::Bytes(self.device_key.compressed().to_vec()),
            ),
            (k(key::NOT_BEFORE), Value::from(self.not_before)),
            (
                k(key::NOT_AFTER),
                Value::from(self.not_after.saturating_sub(self.not_before)),
            ),
            (
                k(key::STATUS),
                Value::Array(vec![
                    Value::from(self.status.list),
                    Value::from(self.status.index),
                ]),
            ),
        ];
        match &self.digests {
            Digests::Counter(d) => map.push((k(key::COUNTER_DIGEST), Value::Bytes(d.to_vec()))),
            Digests::Full(all) => map.push((
                k(key::CLAIM_DIGESTS),
                Value::Map(
                    all.iter()
                        .map(|(id, d)| (Value::from(*id as u64), Value::Bytes(d.to_vec())))
                        .collect(),
                ),
            )),
        }
        if let Some(g) = &self.guardian {
            map.push((
                k(key::GUARDIAN),
                Value::Array(vec![
                    Value::from(g.relationship.wire()),
                    Value::Bool(g.portal_confirmed),
                ]),
            ));
        }
        super::claims::cbor(&Value::Map(map))
    }

    /// The payload as version 1 writes it: deterministic CBOR, a map of keys 1–9, each once.
    fn shaped<'v>(bytes: &[u8], value: &'v Value) -> Result<IntMap<'v>, &'static str> {
        if !super::cbor_read::is_deterministic(bytes) {
            return Err(
                "credential payload is not in deterministic CBOR (shortest integers, keys in order)",
            );
        }
        let m = IntMap::new(value).ok_or("credential payload must be a map")?;
        if !m.has_unique_keys() {
            return Err("credential payload repeats a key");
        }
        if value.as_map().is_some_and(|entries| {
            entries
                .iter()
                .any(|(k, _)| uint(k).is_none_or(|k| !(1..=9).contains(&k)))
        }) {
            return Err("credential payload has a key version 1 does not define");
        }
        Ok(m)
    }

    /// Parses a credential payload; `at` is where the credential starts in the whole payload.
    pub fn from_cbor(bytes: &[u8], at: usize) -> Result<Self, Malformed> {
        let bad = |what| Malformed { at, what };
        let (value, end) = read_item(bytes, 0, "credential payload").map_err(|m| Malformed {
            at: at + m.at,
            what: m.what,
        })?;
        if end != bytes.len() {
            return Err(bad("credential payload has trailing bytes"));
        }
        let m = Self::shaped(bytes, &value).map_err(bad)?;
        if m.uint(key::VERSION) != Some(CREDENTIAL_VERSION) {
            return Err(bad("credential version must be 1"));
        }
        let point = m
            .bytes(key::DEVICE_KEY)
            .filter(|b| b.len() == 33)
            .ok_or(bad("device key must be a 33-byte compressed point"))?;
        let device_key =
            PublicKey::from_sec1(point).map_err(|_| bad("device key is not a P-256 point"))?;
        let not_before = m.u32(key::NOT_BEFORE).ok_or(bad("not-before"))?;
        let not_after = m
            .u32(key::NOT_AFTER)
            .filter(|d| *d < MAX_VALIDITY_DAYS)
            .and_then(|d| not_before.checked_add(d))
            .ok_or(bad("not-after must be 0 to 21 days after not-before"))?;
        let status = m
            .get(key::STATUS)
            .and_then(Value::as_array)
            .ok_or(bad("credential has no status reference"))?;
        let status = match status.as_slice() {
            [list, index] => StatusRef {
                list: uint(list)
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or(bad("status list id"))?,
                index: uint(index)
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or(bad("status index"))?,
            },
            _ => return Err(bad("status reference must be [list, index]")),
        };
        let digest = |b: &[u8]| -> Result<Digest, Malformed> {
            b.try_into().map_err(|_| bad("digest must be 16 bytes"))
        };
        let digests = match (m.bytes(key::COUNTER_DIGEST), m.get(key::CLAIM_DIGESTS)) {
            (Some(d), None) => Digests::Counter(digest(d)?),
            (None, Some(Value::Map(entries))) if !entries.is_empty() => {
                let mut all = BTreeMap::new();
                for (k, v) in entries {
                    let id = uint(k)
                        .and_then(ClaimId::from_wire)
                        .ok_or(bad("unknown claim id"))?;
                    let d = digest(v.as_bytes().ok_or(bad("digest must be bytes"))?)?;
                    if all.insert(id, d).is_some() {
                        return Err(bad("claim digest repeated"));
                    }
                }
                Digests::Full(all)
            }
            _ => {
                return Err(bad(
                    "credential needs exactly one of counter digest or claim digests",
                ));
            }
        };
        let guardian = match m.get(key::GUARDIAN) {
            None => None,
            Some(v) => Some(match v.as_array().map(Vec::as_slice) {
                Some([rel, Value::Bool(confirmed)]) => GuardianClaim {
                    relationship: uint(rel)
                        .and_then(crate::model::Relationship::from_wire)
                        .ok_or(bad("guardian relationship"))?,
                    portal_confirmed: *confirmed,
                },
                _ => return Err(bad("guardian must be [relationship, confirmed]")),
            }),
        };
        Ok(Self {
            issuer: m.u32(key::ISSUER).ok_or(bad("issuer id"))?,
            device_key,
            not_before,
            not_after,
            status,
            digests,
            guardian,
        })
    }
}

/// Builds the unsigned COSE_Sign1 for a credential: alg ES256 and the issuer key id, protected.
pub fn unsigned(kid: &[u8], body: &CredentialBody) -> CoseSign1Builder {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(kid.to_vec())
        .build();
    CoseSign1Builder::new()
        .protected(protected)
        .payload(body.to_cbor())
}

/// Signs a credential with any ES256 signer (a software key, an HSM, or, for test vectors, a
/// signature recorded earlier: ECDSA signatures are randomised).
pub fn sign_credential<E>(
    kid: &[u8],
    body: &CredentialBody,
    signer: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, E> {
    let sign1 = unsigned(kid, body)
        .try_create_signature(b"", signer)?
        .build();
    Ok(coset::CborSerializable::to_vec(sign1).expect("a COSE_Sign1 encodes"))
}

/// The bytes the issuer signs (the COSE Sig_structure), for specs and test vectors.
pub fn credential_tbs(kid: &[u8], body: &CredentialBody) -> Vec<u8> {
    unsigned(kid, body).build().tbs_data(b"")
}

/// A COSE_Sign1 read off the wire with the protected header checked.
#[derive(Debug)]
pub struct SignedCredential {
    pub sign1: CoseSign1,
    pub kid: Vec<u8>,
}

pub fn parse_sign1(value: Value, at: usize, what: &'static str) -> Result<CoseSign1, Malformed> {
    CoseSign1::from_cbor_value(value).map_err(|_| Malformed { at, what })
}

impl SignedCredential {
    pub fn from_value(value: Value, at: usize) -> Result<Self, Malformed> {
        let sign1 = parse_sign1(value, at, "credential must be a COSE_Sign1")?;
        let bad = |what| Malformed { at, what };
        if sign1.protected.header.alg != Some(coset::Algorithm::Assigned(iana::Algorithm::ES256)) {
            return Err(bad("credential algorithm must be ES256"));
        }
        if sign1.payload.is_none() {
            return Err(bad("credential payload is missing"));
        }
        let kid = sign1.protected.header.key_id.clone();
        if kid.is_empty() {
            return Err(bad("credential key id is missing"));
        }
        // Only alg and kid, in deterministic CBOR; nothing unprotected.
        let only_alg_and_kid = coset::HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .key_id(kid.clone())
            .build();
        if sign1.protected.header != only_alg_and_kid
            || !sign1
                .protected
                .original_data
                .as_deref()
                .is_some_and(super::cbor_read::is_deterministic)
        {
            return Err(bad(
                "credential protected header must be exactly {1: -7, 4: kid}",
            ));
        }
        if sign1.unprotected != coset::Header::default() {
            return Err(bad("credential unprotected header must be empty"));
        }
        Ok(Self { sign1, kid })
    }
}
