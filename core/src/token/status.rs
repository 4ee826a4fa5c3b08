//! Status lists: a compressed bitstring of credential states (in the spirit of the IETF Token
//! Status List), signed by the issuer, with issued-at and time-to-live. Verifiers cache it and
//! work offline; they report its age and refuse one older than their policy allows.

use super::cbor_read::IntMap;
use super::keys::SoftwareKey;
use super::signed_list::OpenError;
use super::trust::TrustList;
use chrono::{DateTime, TimeZone, Utc};
use ciborium::Value;
use std::io::{Read, Write};

/// Two bits per credential.
pub const BITS: u8 = 2;
/// Refuse lists that would inflate beyond this (16 million credentials).
const MAX_ENTRIES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Valid = 0,
    Revoked = 1,
    Suspended = 2,
}

impl Status {
    /// From the stored code (0 valid, 1 revoked, 2 suspended); anything else reads as valid
    /// only if it is 0, else as suspended (fail safe: an unknown code never shows as valid).
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => Status::Valid,
            1 => Status::Revoked,
            _ => Status::Suspended,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    pub list_id: u32,
    pub issuer: u32,
    pub issued_at: DateTime<Utc>,
    pub ttl_seconds: u32,
    /// Grows with every publication of the list: a delta names the version it starts from and
    /// the one it makes, and a verifier never takes a list back to a lower one. `new` sets the
    /// Unix time of `issued_at` (the development issuer makes a list on demand); techo-server
    /// counts its publications from 1.
    pub version: u64,
    /// 2 bits per entry, entry i at bits (2i % 8) of byte 2i / 8, least significant first.
    bits: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    #[error("the status list is not a signed Techo status list ({0})")]
    Malformed(&'static str),
    #[error("the status list is signed by a key the trust list does not know")]
    UnknownSigner,
    #[error("the status list signature is wrong")]
    BadSignature,
}

impl StatusList {
    pub fn new(
        list_id: u32,
        issuer: u32,
        capacity: u32,
        issued_at: DateTime<Utc>,
        ttl_seconds: u32,
    ) -> Self {
        let bytes = (capacity as usize * usize::from(BITS)).div_ceil(8);
        Self {
            list_id,
            issuer,
            issued_at,
            ttl_seconds,
            version: u64::try_from(issued_at.timestamp()).unwrap_or(0),
            bits: vec![0; bytes],
        }
    }

    pub fn capacity(&self) -> u32 {
        u32::try_from(self.bits.len() * 8 / usize::from(BITS)).unwrap_or(u32::MAX)
    }

    pub fn get(&self, index: u32) -> Option<Status> {
        let bit = index as usize * usize::from(BITS);
        let byte = *self.bits.get(bit / 8)?;
        match (byte >> (bit % 8)) & 0b11 {
            0 => Some(Status::Valid),
            1 => Some(Status::Revoked),
            2 => Some(Status::Suspended),
            _ => None,
        }
    }

    pub fn set(&mut self, index: u32, status: Status) -> bool {
        let bit = index as usize * usize::from(BITS);
        match self.bits.get_mut(bit / 8) {
            Some(byte) => {
                *byte = (*byte & !(0b11 << (bit % 8))) | ((status as u8) << (bit % 8));
                true
            }
            None => false,
        }
    }

    /// The entries that are not valid, by index (a scan that skips whole zero bytes: fast on
    /// a list where most entries are valid).
    pub fn not_valid(&self) -> Vec<(u32, Status)> {
        let mut out = Vec::new();
        for (byte_at, byte) in self.bits.iter().enumerate() {
            if *byte == 0 {
                continue;
            }
            for slot in 0..4u8 {
                let code = (byte >> (slot * 2)) & 0b11;
                if code != 0 {
                    let index = byte_at * 4 + usize::from(slot);
                    if let Ok(index) = u32::try_from(index) {
                        out.push((index, Status::from_code(code)));
                    }
                }
            }
        }
        out
    }

    pub fn age(&self, now: DateTime<Utc>) -> chrono::Duration {
        now - self.issued_at
    }

    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.age(now) > chrono::Duration::seconds(i64::from(self.ttl_seconds))
    }

    /// Signs the list with the issuer key (`kid` as in the trust list).
    pub fn sign(&self, key: &SoftwareKey, kid: &[u8]) -> Vec<u8> {
        super::signed_list::sign(&self.payload(), key, kid, "application/techo-status-list")
    }

    /// [`Self::sign`] with any signer (an HSM); nothing is signed when it fails.
    pub fn sign_with(
        &self,
        key: &dyn super::Signer,
        kid: &[u8],
    ) -> Result<Vec<u8>, super::SignError> {
        super::signed_list::sign_with(&self.payload(), key, kid, "application/techo-status-list")
    }

    fn payload(&self) -> Value {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&self.bits).expect("compressing into memory");
        let compressed = z.finish().expect("compressing into memory");
        Value::Map(vec![
            (Value::from(1), Value::from(self.list_id)),
            (Value::from(2), Value::from(self.issuer)),
            (Value::from(3), Value::from(BITS)),
            (Value::from(4), Value::Bytes(compressed)),
            (Value::from(5), Value::from(self.issued_at.timestamp())),
            (Value::from(6), Value::from(self.ttl_seconds)),
            (Value::from(7), Value::from(self.version)),
        ])
    }

    /// Checks the signature against the trust list and decodes the list.
    pub fn from_signed(bytes: &[u8], trust: &TrustList) -> Result<Self, StatusListError> {
        let bad = StatusListError::Malformed;
        let (issuer, value) = super::signed_list::open_by_issuer(bytes, "status list", trust)
            .map_err(|e| match e {
                OpenError::Malformed(w) => bad(w),
                OpenError::UnknownSigner => StatusListError::UnknownSigner,
                OpenError::BadSignature => StatusListError::BadSignature,
            })?;
        let m = IntMap::new(&value).ok_or(bad("payload must be a map"))?;
        if m.uint(3) != Some(u64::from(BITS)) {
            return Err(bad("only 2-bit status lists are supported"));
        }
        let list_issuer = m.u32(2).ok_or(bad("issuer id"))?;
        if list_issuer != issuer.issuer_id {
            return Err(StatusListError::UnknownSigner);
        }
        let mut bits = Vec::new();
        flate2::read::ZlibDecoder::new(m.bytes(4).ok_or(bad("list bytes"))?)
            .take(MAX_ENTRIES as u64 / 4 + 1)
            .read_to_end(&mut bits)
            .map_err(|_| bad("list does not inflate"))?;
        if bits.len() > MAX_ENTRIES / 4 {
            return Err(bad("list is too large"));
        }
        let iat = m
            .get(5)
            .and_then(Value::as_integer)
            .and_then(|i| i64::try_from(i).ok())
            .ok_or(bad("issued-at"))?;
        Ok(Self {
            list_id: m.u32(1).ok_or(bad("list id"))?,
            issuer: list_issuer,
            issued_at: Utc.timestamp_opt(iat, 0).single().ok_or(bad("issued-at"))?,
            ttl_seconds: m.u32(6).ok_or(bad("time to live"))?,
            version: m.uint(7).ok_or(bad("version"))?,
            bits,
        })
    }
}
