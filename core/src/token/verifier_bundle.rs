//! What an offline verifier keeps between refreshes, all of it as the issuer signed it: the
//! root key it pinned, the trust list, and per status list the full list last fetched with the
//! deltas applied since. Opening checks every signature again and replays the deltas, so a file
//! changed on disk is refused, never believed. The CLI keeps it in a file; the phone's staff
//! mode in its private files, so a gate with no network still checks against the last lists.

use super::cbor_read::{IntMap, read_item};
use super::keys::PublicKey;
use super::status::StatusList;
use super::status_delta::StatusDelta;
use super::status_set::StatusSet;
use super::trust::TrustList;
use crate::portal::ListSync;
use ciborium::Value;
use std::collections::BTreeMap;

/// A list's signed full version and the signed deltas applied to it since, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Chain {
    full: Vec<u8>,
    deltas: Vec<Vec<u8>>,
}

impl Chain {
    /// Deltas weigh more than a fresh full list would: fetch it whole next time.
    fn heavy(&self) -> bool {
        self.deltas.iter().map(Vec::len).sum::<usize>() > self.full.len()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierBundle {
    root: Vec<u8>,
    trust: Vec<u8>,
    status: BTreeMap<u32, Chain>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error(
        "the saved verifier lists are damaged ({0}): fetch them again while connected / 保存した失効情報が壊れています"
    )]
    Damaged(String),
}

fn damaged(e: impl std::fmt::Display) -> BundleError {
    BundleError::Damaged(e.to_string())
}

impl VerifierBundle {
    /// A bundle pinned to `root` (SEC1), with the trust list it signed.
    pub fn new(root: &PublicKey, trust: Vec<u8>) -> Self {
        Self {
            root: root.compressed().to_vec(),
            trust,
            status: BTreeMap::new(),
        }
    }

    /// The root key pinned.
    pub fn root(&self) -> Result<PublicKey, BundleError> {
        PublicKey::from_sec1(&self.root).map_err(damaged)
    }

    /// A newer signed trust list (checked by the caller).
    pub fn set_trust(&mut self, trust: Vec<u8>) {
        self.trust = trust;
    }

    /// Keeps what a sync fetched for `list`.
    pub fn record(&mut self, list: u32, how: &ListSync) {
        match how {
            ListSync::Current => {}
            ListSync::Full { signed } => {
                self.status.insert(
                    list,
                    Chain {
                        full: signed.clone(),
                        deltas: Vec::new(),
                    },
                );
            }
            ListSync::Delta { signed, .. } => {
                if let Some(chain) = self.status.get_mut(&list) {
                    chain.deltas.push(signed.clone());
                }
            }
        }
    }

    /// Checks everything against the pinned root and rebuilds the lists, for a sync: a list
    /// whose deltas now weigh more than the list is left out, so the sync fetches it whole.
    pub fn open_for_sync(&self) -> Result<(TrustList, StatusSet), BundleError> {
        self.rebuild(false)
    }

    /// Checks everything against the pinned root and rebuilds every list, for verifying.
    pub fn open(&self) -> Result<(TrustList, StatusSet), BundleError> {
        self.rebuild(true)
    }

    fn rebuild(&self, heavy_too: bool) -> Result<(TrustList, StatusSet), BundleError> {
        let trust = TrustList::from_signed(&self.trust, &self.root()?, None).map_err(damaged)?;
        let mut set = StatusSet::default();
        for (id, chain) in &self.status {
            let mut list = StatusList::from_signed(&chain.full, &trust).map_err(damaged)?;
            if list.list_id != *id {
                return Err(damaged(format!("list {} saved as {id}", list.list_id)));
            }
            for d in &chain.deltas {
                list.apply(&StatusDelta::from_signed(d, &trust).map_err(damaged)?)
                    .map_err(damaged)?;
            }
            if heavy_too || !chain.heavy() {
                set.offer(list).map_err(damaged)?;
            }
        }
        Ok((trust, set))
    }

    /// CBOR: `{1: root, 2: trust list, 3: [[list id, full list, [delta, …]], …]}`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let lists = self
            .status
            .iter()
            .map(|(id, c)| {
                Value::Array(vec![
                    Value::from(*id),
                    Value::Bytes(c.full.clone()),
                    Value::Array(c.deltas.iter().cloned().map(Value::Bytes).collect()),
                ])
            })
            .collect();
        super::claims::cbor(&Value::Map(vec![
            (Value::from(1), Value::Bytes(self.root.clone())),
            (Value::from(2), Value::Bytes(self.trust.clone())),
            (Value::from(3), Value::Array(lists)),
        ]))
    }

    /// Reads [`VerifierBundle::to_bytes`]; nothing is checked until [`VerifierBundle::open`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        let (value, end) = read_item(bytes, 0, "verifier bundle").map_err(|m| damaged(m.what))?;
        if end != bytes.len() {
            return Err(damaged("trailing bytes"));
        }
        let m = IntMap::new(&value).ok_or_else(|| damaged("not a map"))?;
        let bytes_of = |v: &Value| v.as_bytes().cloned().ok_or_else(|| damaged("not bytes"));
        let mut status = BTreeMap::new();
        for item in m
            .get(3)
            .and_then(Value::as_array)
            .ok_or_else(|| damaged("no lists"))?
        {
            let [id, full, deltas] = item
                .as_array()
                .map(Vec::as_slice)
                .ok_or_else(|| damaged("a list entry"))?
            else {
                return Err(damaged("a list entry"));
            };
            let id = super::cbor_read::uint(id)
                .and_then(|i| u32::try_from(i).ok())
                .ok_or_else(|| damaged("a list id"))?;
            let deltas = deltas
                .as_array()
                .ok_or_else(|| damaged("deltas"))?
                .iter()
                .map(bytes_of)
                .collect::<Result<_, _>>()?;
            status.insert(
                id,
                Chain {
                    full: bytes_of(full)?,
                    deltas,
                },
            );
        }
        Ok(Self {
            root: m.bytes(1).ok_or_else(|| damaged("root key"))?.to_vec(),
            trust: m.bytes(2).ok_or_else(|| damaged("trust list"))?.to_vec(),
            status,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::token::dev_issuer::StatusDocument;
    use crate::token::verify::StatusSource;
    use crate::token::{DevIssuer, Status};
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn saved_lists_reopen_checked_and_heavy_chains_are_fetched_whole_next_time() {
        let issuer = DevIssuer::generate();
        let now = Utc.timestamp_opt(1_780_000_000, 0).unwrap();
        let mut list = issuer.empty_status_list(1, 4096, now);
        list.version = 1;
        let mut bundle = VerifierBundle::new(&issuer.root_public(), issuer.signed_trust_list(now));
        bundle.record(
            1,
            &ListSync::Full {
                signed: issuer.sign_status(StatusDocument::List(&list)),
            },
        );
        // Deltas until they outweigh the (small, mostly empty) full list.
        let mut applied = 0;
        while !bundle.status[&1].heavy() {
            let mut next = list.clone();
            next.version += 1;
            next.issued_at = list.issued_at + Duration::minutes(1);
            next.set(applied * 7, Status::Revoked);
            let delta = StatusDelta::between(&list, &next);
            bundle.record(
                1,
                &ListSync::Delta {
                    signed: issuer.sign_status(StatusDocument::Delta(&delta)),
                    changes: 1,
                },
            );
            list = next;
            applied += 1;
        }
        let reread = VerifierBundle::from_bytes(&bundle.to_bytes()).unwrap();
        assert_eq!(reread, bundle);
        let (_, all) = reread.open().unwrap();
        assert_eq!(all.status_list(1), Some(&list));
        let (_, for_sync) = reread.open_for_sync().unwrap();
        assert!(for_sync.is_empty(), "a heavy chain is fetched whole");
        // Another root pinned: nothing opens.
        let other = DevIssuer::generate();
        let foreign = VerifierBundle {
            root: other.root_public().compressed().to_vec(),
            ..bundle
        };
        assert!(foreign.open().is_err());
    }
}
