//! Status list deltas: what changed in one list between two of its versions, signed by the
//! issuer, so a verifier that holds yesterday's list catches up with a few kilobytes instead of
//! the whole list (issue 32). A delta names the list version it starts from and the version it
//! makes, and applies only to the version it starts from: a verifier that missed one (a gap)
//! fetches the full list again; one handed a delta that would take it back (a rollback, a
//! replay) refuses it and keeps what it holds.
//!
//! Changes are written as three runs: entries released (back to valid), revoked, suspended, each
//! sorted values as gaps from the previous one (the first from 0) in Golomb-Rice code: a varint
//! count, one byte `k`, then per gap the quotient `gap >> k` in unary (ones ended by a zero) and
//! the low `k` bits, most significant bit first. Revoked and suspended entries are named by
//! index; released ones by rank among the entries the `from` version holds as not valid, which
//! the verifier knows (about 6 bits each at national scale instead of 13). Random indices are
//! close to incompressible; Rice codes them within a bit or so of their entropy, where DEFLATE
//! over varints needed 17.

use super::cbor_read::IntMap;
use super::keys::SoftwareKey;
use super::signed_list::OpenError;
use super::status::{Status, StatusList};
use super::trust::TrustList;
use chrono::{DateTime, TimeZone, Utc};
use ciborium::Value;

/// Refuse change runs larger than this (far above a day's changes of one list).
const MAX_DELTA_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusDelta {
    pub list_id: u32,
    pub issuer: u32,
    /// The list version this delta applies to.
    pub from: u64,
    /// The version it makes.
    pub version: u64,
    /// The new version's issued-at.
    pub issued_at: DateTime<Utc>,
    pub ttl_seconds: u32,
    /// Entries set back to valid, by rank: `r` is the `r`-th entry (from 0, in index order)
    /// that is not valid in version `from`. A verifier holds that version, so it knows them;
    /// ranks among the few revoked entries code in a third of the bits an index needs.
    pub released: Vec<u32>,
    /// Entries set revoked or suspended, by index, sorted.
    pub marked: Vec<(u32, Status)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeltaError {
    #[error("the status delta is not a signed Techo status delta ({0})")]
    Malformed(&'static str),
    #[error("the status delta is signed by a key the trust list does not know")]
    UnknownSigner,
    #[error("the status delta signature is wrong")]
    BadSignature,
    #[error("the status delta is for list {delta}, not list {held}")]
    OtherList { held: u32, delta: u32 },
    #[error(
        "a status delta is missing (this list is version {held}, the delta starts at {from}): fetch the full list"
    )]
    Gap { held: u64, from: u64 },
    #[error(
        "the status list offered is older than the one held (version {held}, offered {offered}): refused as a rollback; keep the list held and tell the issuer"
    )]
    Rollback { held: u64, offered: u64 },
    #[error("no status list {0} is held: fetch the full list")]
    NotHeld(u32),
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = u8::try_from(v & 0x7F).unwrap_or(0);
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn take_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Bits written most significant first into bytes.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    used: u8,
}

impl BitWriter {
    fn bit(&mut self, one: bool) {
        if self.used == 0 {
            self.bytes.push(0);
        }
        if one {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 0x80 >> self.used;
            }
        }
        self.used = (self.used + 1) % 8;
    }

    fn bits(&mut self, value: u64, count: u8) {
        for n in (0..count).rev() {
            self.bit((value >> n) & 1 == 1);
        }
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl BitReader<'_> {
    fn bit(&mut self) -> Option<bool> {
        let byte = self.bytes.get(self.at / 8)?;
        let one = byte & (0x80 >> (self.at % 8)) != 0;
        self.at += 1;
        Some(one)
    }

    fn bits(&mut self, count: u8) -> Option<u64> {
        (0..count).try_fold(0u64, |v, _| Some((v << 1) | u64::from(self.bit()?)))
    }
}

/// The Rice parameter that codes `gaps` in the fewest bits.
fn best_k(gaps: &[u64]) -> u8 {
    (0u8..32)
        .min_by_key(|k| {
            gaps.iter()
                .map(|g| (g >> k) + 1 + u64::from(*k))
                .sum::<u64>()
        })
        .unwrap_or(0)
}

const CODED: [Status; 3] = [Status::Valid, Status::Revoked, Status::Suspended];

/// One Rice-coded run of strictly increasing values (see the module documentation).
fn put_run(out: &mut Vec<u8>, values: &[u32]) {
    let mut previous = 0u64;
    let gaps: Vec<u64> = values
        .iter()
        .map(|v| {
            let gap = u64::from(*v) - previous;
            previous = u64::from(*v);
            gap
        })
        .collect();
    let k = best_k(&gaps);
    put_varint(out, gaps.len() as u64);
    out.push(k);
    let mut w = BitWriter::default();
    for g in &gaps {
        for _ in 0..(g >> k) {
            w.bit(true);
        }
        w.bit(false);
        w.bits(g & ((1 << k) - 1), k);
    }
    put_varint(out, w.bytes.len() as u64);
    out.extend_from_slice(&w.bytes);
}

/// Reads one run at `at`; `None` for anything malformed (values must stay below 2^32 and
/// increase strictly).
fn take_run(bytes: &[u8], at: &mut usize) -> Option<Vec<u32>> {
    let count = take_varint(bytes, at)?;
    let k = *bytes.get(*at)?;
    *at += 1;
    if k > 32 {
        return None;
    }
    let len = usize::try_from(take_varint(bytes, at)?).ok()?;
    let run = bytes.get(*at..at.checked_add(len)?)?;
    *at += len;
    // Every value costs at least one bit: a count beyond that is a lie.
    if count > (len as u64) * 8 {
        return None;
    }
    let mut r = BitReader { bytes: run, at: 0 };
    let mut value = 0u64;
    let mut out = Vec::with_capacity(usize::try_from(count).ok()?);
    for n in 0..count {
        let mut q = 0u64;
        while r.bit()? {
            q += 1;
            if q > u64::from(u32::MAX) >> k {
                return None;
            }
        }
        let gap = (q << k) | r.bits(k)?;
        if n > 0 && gap == 0 {
            return None;
        }
        value += gap;
        out.push(u32::try_from(value).ok()?);
    }
    Some(out)
}

fn indices_with(changes: &[(u32, Status)], status: Status) -> Vec<u32> {
    let mut v: Vec<u32> = changes
        .iter()
        .filter(|(_, s)| *s == status)
        .map(|(i, _)| *i)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Writes entries with their status as three runs of indices (valid, revoked, suspended):
/// techo-server keeps its publications in this form.
pub fn encode_runs(changes: &[(u32, Status)]) -> Vec<u8> {
    let mut out = Vec::new();
    for status in CODED {
        put_run(&mut out, &indices_with(changes, status));
    }
    out
}

/// Reads [`encode_runs`] back, sorted by index; `None` for anything malformed, an index in two
/// runs included.
pub fn decode_runs(bytes: &[u8]) -> Option<Vec<(u32, Status)>> {
    let mut at = 0;
    let mut changes = Vec::new();
    for status in CODED {
        changes.extend(take_run(bytes, &mut at)?.into_iter().map(|i| (i, status)));
    }
    if at != bytes.len() {
        return None;
    }
    changes.sort_by_key(|(i, _)| *i);
    if changes.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    Some(changes)
}

/// The delta's own form: released entries by rank, then revoked and suspended by index.
fn encode_wire(released: &[u32], marked: &[(u32, Status)]) -> Vec<u8> {
    let mut out = Vec::new();
    put_run(&mut out, released);
    put_run(&mut out, &indices_with(marked, Status::Revoked));
    put_run(&mut out, &indices_with(marked, Status::Suspended));
    out
}

/// Released ranks, and marked entries by index.
type WireChanges = (Vec<u32>, Vec<(u32, Status)>);

fn decode_wire(bytes: &[u8]) -> Option<WireChanges> {
    let mut at = 0;
    let released = take_run(bytes, &mut at)?;
    let mut marked: Vec<(u32, Status)> = take_run(bytes, &mut at)?
        .into_iter()
        .map(|i| (i, Status::Revoked))
        .collect();
    marked.extend(
        take_run(bytes, &mut at)?
            .into_iter()
            .map(|i| (i, Status::Suspended)),
    );
    if at != bytes.len() {
        return None;
    }
    marked.sort_by_key(|(i, _)| *i);
    if marked.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    Some((released, marked))
}

impl StatusDelta {
    /// What changed from `old` to `new` (one list, two versions).
    pub fn between(old: &StatusList, new: &StatusList) -> Self {
        Self {
            list_id: new.list_id,
            issuer: new.issuer,
            from: old.version,
            version: new.version,
            issued_at: new.issued_at,
            ttl_seconds: new.ttl_seconds,
            released: Vec::new(),
            marked: Vec::new(),
        }
        .with_changes(&old.not_valid(), &new.not_valid())
    }

    /// This delta carrying what takes `old` to `new`: the entries that are not valid in each
    /// version, sorted by index (as [`StatusList::not_valid`] gives them).
    #[must_use]
    pub fn with_changes(mut self, old: &[(u32, Status)], new: &[(u32, Status)]) -> Self {
        let after: std::collections::HashMap<u32, Status> = new.iter().copied().collect();
        let before: std::collections::HashMap<u32, Status> = old.iter().copied().collect();
        self.released = old
            .iter()
            .enumerate()
            .filter(|(_, (i, _))| !after.contains_key(i))
            .filter_map(|(rank, _)| u32::try_from(rank).ok())
            .collect();
        self.marked = new
            .iter()
            .filter(|(i, s)| before.get(i) != Some(s))
            .copied()
            .collect();
        self
    }

    /// How many entries the delta changes.
    pub fn change_count(&self) -> usize {
        self.released.len() + self.marked.len()
    }

    /// Signs the delta with the issuer key (`kid` as in the trust list).
    pub fn sign(&self, key: &SoftwareKey, kid: &[u8]) -> Vec<u8> {
        super::signed_list::sign(&self.payload(), key, kid, "application/techo-status-delta")
    }

    /// [`Self::sign`] with any signer (an HSM); nothing is signed when it fails.
    pub fn sign_with(
        &self,
        key: &dyn super::Signer,
        kid: &[u8],
    ) -> Result<Vec<u8>, super::SignError> {
        super::signed_list::sign_with(&self.payload(), key, kid, "application/techo-status-delta")
    }

    fn payload(&self) -> Value {
        Value::Map(vec![
            (Value::from(1), Value::from(self.list_id)),
            (Value::from(2), Value::from(self.issuer)),
            (Value::from(3), Value::from(self.from)),
            (
                Value::from(4),
                Value::Bytes(encode_wire(&self.released, &self.marked)),
            ),
            (Value::from(5), Value::from(self.issued_at.timestamp())),
            (Value::from(6), Value::from(self.ttl_seconds)),
            (Value::from(7), Value::from(self.version)),
        ])
    }

    /// Checks the signature against the trust list and decodes the delta.
    pub fn from_signed(bytes: &[u8], trust: &TrustList) -> Result<Self, DeltaError> {
        let bad = DeltaError::Malformed;
        let (issuer, value) = super::signed_list::open_by_issuer(bytes, "status delta", trust)
            .map_err(|e| match e {
                OpenError::Malformed(w) => bad(w),
                OpenError::UnknownSigner => DeltaError::UnknownSigner,
                OpenError::BadSignature => DeltaError::BadSignature,
            })?;
        let m = IntMap::new(&value).ok_or(bad("payload must be a map"))?;
        let delta_issuer = m.u32(2).ok_or(bad("issuer id"))?;
        if delta_issuer != issuer.issuer_id {
            return Err(DeltaError::UnknownSigner);
        }
        let runs = m.bytes(4).ok_or(bad("changes"))?;
        if runs.len() as u64 > MAX_DELTA_BYTES {
            return Err(bad("changes are too large"));
        }
        let (released, marked) = decode_wire(runs).ok_or(bad("changes are not well formed"))?;
        let from = m.uint(3).ok_or(bad("from version"))?;
        let version = m.uint(7).ok_or(bad("version"))?;
        if version <= from {
            return Err(bad("a delta must move its list forward"));
        }
        let issued_at = m
            .get(5)
            .and_then(Value::as_integer)
            .and_then(|i| i64::try_from(i).ok())
            .and_then(|t| Utc.timestamp_opt(t, 0).single())
            .ok_or(bad("issued-at"))?;
        Ok(Self {
            list_id: m.u32(1).ok_or(bad("list id"))?,
            issuer: delta_issuer,
            from,
            version,
            issued_at,
            ttl_seconds: m.u32(6).ok_or(bad("time to live"))?,
            released,
            marked,
        })
    }
}

impl StatusList {
    /// Applies a delta that starts at this list's version, all of it or nothing: a delta for
    /// another list, one that starts elsewhere (a missed day: fetch the full list) or that
    /// would take the list back (a rollback) is refused and the list stays as it was.
    pub fn apply(&mut self, delta: &StatusDelta) -> Result<(), DeltaError> {
        if delta.list_id != self.list_id || delta.issuer != self.issuer {
            return Err(DeltaError::OtherList {
                held: self.list_id,
                delta: delta.list_id,
            });
        }
        if delta.version <= self.version || delta.issued_at < self.issued_at {
            return Err(DeltaError::Rollback {
                held: self.version,
                offered: delta.version,
            });
        }
        if delta.from != self.version {
            return Err(DeltaError::Gap {
                held: self.version,
                from: delta.from,
            });
        }
        if delta.marked.iter().any(|(i, _)| *i >= self.capacity()) {
            return Err(DeltaError::Malformed("an index beyond the list"));
        }
        let held = self.not_valid();
        let mut released = Vec::with_capacity(delta.released.len());
        for rank in &delta.released {
            let (i, _) = usize::try_from(*rank)
                .ok()
                .and_then(|r| held.get(r))
                .ok_or(DeltaError::Malformed(
                    "a released entry beyond the list's revoked and suspended ones",
                ))?;
            if delta.marked.binary_search_by_key(i, |(m, _)| *m).is_ok() {
                return Err(DeltaError::Malformed("an entry both released and marked"));
            }
            released.push(*i);
        }
        for i in released {
            self.set(i, Status::Valid);
        }
        for (i, status) in &delta.marked {
            self.set(*i, *status);
        }
        self.issued_at = delta.issued_at;
        self.ttl_seconds = delta.ttl_seconds;
        self.version = delta.version;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::token::sample::Sample;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_780_000_000 + h * 3600, 0).unwrap()
    }

    #[test]
    fn a_signed_delta_brings_yesterdays_list_to_todays() {
        let s = Sample::new();
        let issuer = s.issuer.id;
        let mut yesterday = StatusList::new(1, issuer, 4096, at(0), 86_400);
        yesterday.set(7, Status::Revoked);
        yesterday.set(900, Status::Suspended);
        let mut today = yesterday.clone();
        today.issued_at = at(24);
        today.version += 1;
        today.set(7, Status::Valid); // released after expiry
        today.set(900, Status::Revoked);
        today.set(4095, Status::Suspended);
        let delta = StatusDelta::between(&yesterday, &today);
        assert_eq!(delta.change_count(), 3);
        let signed = delta.sign(&s.issuer_key, &s.issuer.kid);
        let opened = StatusDelta::from_signed(&signed, &s.trust).unwrap();
        assert_eq!(opened, delta);
        let mut held = yesterday.clone();
        held.apply(&opened).unwrap();
        assert_eq!(held, today);
        // Applied again (a replay), or a delta from before: a rollback, nothing changes.
        assert!(matches!(
            held.apply(&opened),
            Err(DeltaError::Rollback { .. })
        ));
        assert_eq!(held, today);
        // A missed day: the next delta does not start where the list is.
        let mut day_after = today.clone();
        day_after.issued_at = at(48);
        day_after.version += 1;
        let mut third = day_after.clone();
        third.issued_at = at(72);
        third.version += 1;
        third.set(1, Status::Revoked);
        let skipped = StatusDelta::between(&day_after, &third);
        let mut stale = today.clone();
        assert!(matches!(stale.apply(&skipped), Err(DeltaError::Gap { .. })));
        assert_eq!(stale, today);
    }

    #[test]
    fn a_tampered_or_foreign_delta_is_refused() {
        let s = Sample::new();
        let issuer = s.issuer.id;
        let a = StatusList::new(1, issuer, 64, at(0), 60);
        let mut b = a.clone();
        b.issued_at = at(1);
        b.version += 1;
        b.set(3, Status::Revoked);
        let mut signed = StatusDelta::between(&a, &b).sign(&s.issuer_key, &s.issuer.kid);
        let last = signed.len() - 1;
        signed[last] ^= 1;
        assert!(StatusDelta::from_signed(&signed, &s.trust).is_err());
        let other = StatusList::new(2, issuer, 64, at(0), 60);
        let delta = StatusDelta::between(&a, &b);
        let mut held = other;
        assert!(matches!(
            held.apply(&delta),
            Err(DeltaError::OtherList { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn runs_round_trip(mut changes in proptest::collection::vec((0u32..5_000_000, 0u8..3), 0..300)) {
            changes.sort_by_key(|(i, _)| *i);
            changes.dedup_by_key(|(i, _)| *i);
            let changes: Vec<(u32, Status)> = changes
                .into_iter()
                .map(|(i, s)| (i, CODED[usize::from(s)]))
                .collect();
            proptest::prop_assert_eq!(decode_runs(&encode_runs(&changes)), Some(changes));
        }

        /// Any two versions of a list: the delta between them, signed and read back, takes the
        /// first to the second exactly (released entries found again by their rank).
        #[test]
        fn a_delta_takes_any_version_to_any_later_one(
            old in proptest::collection::vec((0u32..2_000, 0u8..3), 0..200),
            new in proptest::collection::vec((0u32..2_000, 0u8..3), 0..200),
        ) {
            let s = Sample::new();
            let mut a = StatusList::new(1, s.issuer.id, 2_000, at(0), 60);
            for (i, c) in old {
                a.set(i, CODED[usize::from(c)]);
            }
            let mut b = StatusList::new(1, s.issuer.id, 2_000, at(1), 60);
            b.version = a.version + 1;
            for (i, c) in new {
                b.set(i, CODED[usize::from(c)]);
            }
            let signed = StatusDelta::between(&a, &b).sign(&s.issuer_key, &s.issuer.kid);
            let delta = StatusDelta::from_signed(&signed, &s.trust).unwrap();
            a.apply(&delta).unwrap();
            proptest::prop_assert_eq!(a, b);
        }

        #[test]
        fn arbitrary_runs_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = decode_runs(&bytes);
            let _ = decode_wire(&bytes);
        }
    }
}
