//! Keeping a verifier's status lists current (issue 32; docs/token-spec.md, "Publishing"): ask
//! techo-server which lists exist and their newest versions, then for each list held, fetch
//! the signed delta from the version held; a list not held, or one whose delta the server no
//! longer has (410) or that does not apply (a gap), is fetched whole. A list older than the one
//! held is refused as a rollback and the held one kept.

use super::client::{ClientError, TechoClient};
use super::dto::StatusListIndex;
use crate::token::{
    DeltaError, PublicKey, StatusDelta, StatusList, StatusSet, TrustList, VerifierBundle,
};

/// How one list was brought up to date, with what was fetched as the issuer signed it (for a
/// [`crate::token::VerifierBundle`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListSync {
    /// The version held is the newest.
    Current,
    /// Moved on by a signed delta carrying `changes` changes.
    Delta { signed: Vec<u8>, changes: usize },
    /// Fetched whole: not held before, or the delta was gone or did not apply.
    Full { signed: Vec<u8> },
}

impl ListSync {
    /// Bytes fetched.
    pub fn bytes(&self) -> usize {
        match self {
            ListSync::Current => 0,
            ListSync::Delta { signed, .. } | ListSync::Full { signed } => signed.len(),
        }
    }
}

/// What a sync did, per list id, with the version now held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusSync {
    pub lists: Vec<(u32, u64, ListSync)>,
}

impl StatusSync {
    /// Bytes fetched for status lists and deltas.
    pub fn bytes(&self) -> usize {
        self.lists.iter().map(|(_, _, s)| s.bytes()).sum()
    }
}

/// A refreshed verifier: what to save, what to verify with, and what was fetched.
#[derive(Debug, Clone)]
pub struct VerifierRefresh {
    pub bundle: VerifierBundle,
    pub trust: TrustList,
    pub status: StatusSet,
    pub sync: StatusSync,
}

fn untrusted(e: impl std::fmt::Display) -> ClientError {
    ClientError::Untrusted(e.to_string())
}

fn rollback(list: u32, e: DeltaError) -> ClientError {
    match e {
        DeltaError::Rollback { held, offered } => ClientError::StatusRollback {
            list,
            held,
            offered,
        },
        other => untrusted(other),
    }
}

impl TechoClient {
    /// Every list techo-server publishes, with its newest version.
    pub async fn status_index(&self) -> Result<StatusListIndex, ClientError> {
        let bytes = self
            .fetch(
                self.http.get(format!("{}/v1/status-lists", self.server)),
                "techo-server",
            )
            .await?
            .ok_or(ClientError::Malformed)?;
        serde_json::from_slice(&bytes).map_err(|_| ClientError::Malformed)
    }

    /// The signed delta of `list` from version `from`: `Ok(None)` when `from` is the newest,
    /// `Err(Refused { status: 410 })` when the server no longer has it.
    pub async fn status_delta(&self, list: u32, from: u64) -> Result<Option<Vec<u8>>, ClientError> {
        self.fetch(
            self.http.get(format!(
                "{}/v1/status-lists/{list}/delta?from={from}",
                self.server
            )),
            "techo-server",
        )
        .await
    }

    /// Brings `held` up to the server's newest versions (see the module documentation). All
    /// or nothing per list: a list that fails to update keeps the version held, the other
    /// lists are still tried, and the first failure is returned after them (`held` then has
    /// the lists that did update).
    pub async fn sync_status(
        &self,
        trust: &TrustList,
        held: &mut StatusSet,
    ) -> Result<StatusSync, ClientError> {
        let (report, failure) = self.sync_each(trust, held).await?;
        match failure {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    async fn sync_each(
        &self,
        trust: &TrustList,
        held: &mut StatusSet,
    ) -> Result<(StatusSync, Option<ClientError>), ClientError> {
        let index = self.status_index().await?;
        let mut report = StatusSync::default();
        let mut first_error = None;
        for head in &index.lists {
            match self.sync_list(trust, held, head.list, head.version).await {
                Ok(how) => {
                    let version = held.version(head.list).unwrap_or(head.version);
                    report.lists.push((head.list, version, how));
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Ok((report, first_error))
    }

    /// Refreshes what an offline verifier keeps (see [`VerifierBundle`]): the trust list,
    /// checked against `root` and never older than the one saved, then every status list by
    /// delta or whole. `saved` pinned to another root is not used. On an error nothing saved
    /// is changed: the caller keeps `saved` and may go on verifying with it.
    pub async fn refresh_verifier(
        &self,
        root: &PublicKey,
        saved: Option<&VerifierBundle>,
    ) -> Result<VerifierRefresh, ClientError> {
        match self.refresh_from(root, saved).await? {
            Ok(fresh) => Ok(fresh),
            // What was saved no longer opens under the new trust list (an issuer key retired
            // since those lists were signed): start again from nothing, everything fetched.
            Err(_) if saved.is_some() => self.refresh_from(root, None).await?.map_err(untrusted),
            Err(e) => Err(untrusted(e)),
        }
    }

    async fn refresh_from(
        &self,
        root: &PublicKey,
        saved: Option<&VerifierBundle>,
    ) -> Result<Result<VerifierRefresh, crate::token::BundleError>, ClientError> {
        let saved = saved.filter(|b| b.root().is_ok_and(|r| r == *root));
        let opened = saved.and_then(|b| b.open_for_sync().ok());
        let trust_bytes = self.trust_list().await?;
        let trust =
            TrustList::from_signed(&trust_bytes, root, opened.as_ref().map(|(t, _)| t.sequence))
                .map_err(untrusted)?;
        let mut bundle = match (saved, &opened) {
            (Some(b), Some(_)) => b.clone(),
            _ => VerifierBundle::new(root, Vec::new()),
        };
        bundle.set_trust(trust_bytes);
        let mut held = opened.map(|(_, set)| set).unwrap_or_default();
        let (sync, failure) = self.sync_each(&trust, &mut held).await?;
        if let Some(e) = failure {
            return Err(e);
        }
        for (list, _, how) in &sync.lists {
            bundle.record(*list, how);
        }
        Ok(bundle.open().map(|(trust, status)| VerifierRefresh {
            bundle,
            trust,
            status,
            sync,
        }))
    }

    async fn sync_list(
        &self,
        trust: &TrustList,
        held: &mut StatusSet,
        list: u32,
        newest: u64,
    ) -> Result<ListSync, ClientError> {
        if let Some(version) = held.version(list) {
            if version > newest {
                return Err(ClientError::StatusRollback {
                    list,
                    held: version,
                    offered: newest,
                });
            }
            if version == newest {
                return Ok(ListSync::Current);
            }
            match self.status_delta(list, version).await {
                Ok(None) => return Ok(ListSync::Current),
                Ok(Some(bytes)) => {
                    let delta = StatusDelta::from_signed(&bytes, trust).map_err(untrusted)?;
                    match held.apply(&delta) {
                        Ok(()) => {
                            return Ok(ListSync::Delta {
                                changes: delta.change_count(),
                                signed: bytes,
                            });
                        }
                        Err(DeltaError::Gap { .. }) => {}
                        Err(e) => return Err(rollback(list, e)),
                    }
                }
                // Versions forgotten by the server: heal with the full list.
                Err(ClientError::Refused { status: 410, .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let bytes = self.status_list(list).await?;
        let full = StatusList::from_signed(&bytes, trust).map_err(untrusted)?;
        if full.list_id != list {
            return Err(untrusted(format!(
                "asked for status list {list}, got list {}",
                full.list_id
            )));
        }
        held.offer(full).map_err(|e| rollback(list, e))?;
        Ok(ListSync::Full { signed: bytes })
    }
}
