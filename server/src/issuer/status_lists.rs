//! Status lists as published versions (issue 32; docs/token-spec.md, "Publishing").
//!
//! The index space is cut into lists of `list_size` entries (list `n` holds the store's
//! indices `(n-1)·size .. n·size`); there are as many lists as keep them at most three quarters
//! full (at most [`MAX_LISTS`]), and a list once published is never withdrawn. Each list is published as numbered versions: a new one
//! when its entries changed (at most one per `min_gap`) and at least one per `heartbeat`, so a
//! verifier's copy stays fresh. The newest version keeps its entries and every version the
//! entries it changed with their status before, so any version of the last `keep` can be
//! rebuilt and a verifier holding it gets one signed delta to the newest; versions older than
//! `keep` are forgotten and such a verifier fetches the full list again.

use super::state::ServerState;
use super::store::{IndexReuse, Publication, ServerStore};
use crate::responses::{api_error, cbor, internal};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use techo_core::token::dev_issuer::StatusDocument;
use techo_core::token::status_delta::{decode_runs, encode_runs};
use techo_core::token::{Status, StatusDelta};

pub use super::status_publishing::{MAX_LISTS, StatusPublishing};

/// The entries whose status differs between `old` and `new` (valid entries left out of both),
/// each with its status in `old`: what walks `new` back to `old`.
fn undo_between(old: &[(u32, Status)], new: &[(u32, Status)]) -> Vec<(u32, Status)> {
    let before: HashMap<u32, Status> = old.iter().copied().collect();
    let after: HashMap<u32, Status> = new.iter().copied().collect();
    let mut undo: BTreeMap<u32, Status> = BTreeMap::new();
    for (i, s) in old {
        if after.get(i) != Some(s) {
            undo.insert(*i, *s);
        }
    }
    for (i, s) in new {
        if before.get(i) != Some(s) {
            undo.entry(*i).or_insert(Status::Valid);
        }
    }
    undo.into_iter().collect()
}

fn corrupt(what: &str) -> String {
    format!("a stored status list version is damaged ({what})")
}

impl ServerState {
    /// The store's index space allocation may use: the lists published so far.
    pub(crate) async fn status_space(&self) -> Result<u32, String> {
        if self.published.lists.load(Ordering::Acquire) == 0 {
            self.publish_status_lists().await?;
        }
        let lists = self.published.lists.load(Ordering::Acquire).max(1);
        Ok(lists.saturating_mul(self.cfg.status.list_size))
    }

    /// Publishes a new version of every list that is due (see the module documentation),
    /// adding lists when the live entries need them; returns the versions published. Another
    /// process publishing the same version first is not an error: this one reads again.
    pub async fn publish_status_lists(&self) -> Result<Vec<(u32, u64)>, String> {
        let p = self.cfg.status;
        let mut published = Vec::new();
        for _attempt in 0..5 {
            let now = self.now();
            let entries = self
                .store
                .status_entries()
                .await
                .map_err(|e| e.to_string())?;
            let heads = self.store.list_heads().await.map_err(|e| e.to_string())?;
            let in_use = self
                .store
                .indices_in_use()
                .await
                .map_err(|e| e.to_string())?;
            let lists = p
                .lists_for(in_use)
                .max(u32::try_from(heads.len()).unwrap_or(u32::MAX));
            let mut by_list: BTreeMap<u32, Vec<(u32, Status)>> = BTreeMap::new();
            for (global, status) in entries {
                let at = p.status_ref(global);
                by_list.entry(at.list).or_default().push((at.index, status));
            }
            let mut lost_race = false;
            for list in 1..=lists {
                let current = by_list.remove(&list).unwrap_or_default();
                let (version, base, last) = match self.newest(list).await? {
                    Some((h, base)) => (h.version + 1, base, Some(h.issued_at)),
                    None => (1, Vec::new(), None),
                };
                let undo = undo_between(&base, &current);
                let due = match last {
                    None => true,
                    Some(t) => (!undo.is_empty() && now - t >= p.min_gap) || now - t >= p.heartbeat,
                };
                if !due {
                    continue;
                }
                let publication = Publication {
                    list,
                    version,
                    issued_at: last.map_or(now, |t| now.max(t)),
                    undo: encode_runs(&undo),
                    entries: Some(encode_runs(&current)),
                };
                if self
                    .store
                    .publish(&publication)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    tracing::debug!(list, version, changes = undo.len(), "status list published");
                    published.push((list, version));
                } else {
                    lost_race = true;
                }
            }
            self.published.lists.fetch_max(lists, Ordering::AcqRel);
            if !lost_race {
                break;
            }
        }
        Ok(published)
    }

    /// How long an index stays valid before it is handed out again: as long as a verifier may
    /// keep a list (its time to live), plus the longest a change waits to be published and a
    /// heartbeat's time.
    pub fn index_quiet_for(&self) -> Duration {
        Duration::seconds(i64::from(super::keys::STATUS_TTL))
            + self.cfg.status.min_gap
            + self.cfg.status.heartbeat
    }

    /// Index reuse (docs/token-spec.md): indices past [`Self::INDEX_KEPT_DAYS`] still revoked or
    /// suspended are set valid; valid ones quiet for [`Self::index_quiet_for`] return to the
    /// pool. Returns how many returned.
    pub async fn release_expired_indices(&self) -> usize {
        let reuse = IndexReuse {
            kept_for: Duration::days(Self::INDEX_KEPT_DAYS),
            quiet_for: self.index_quiet_for(),
        };
        match self.store.release_indices(self.now(), reuse).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "cannot release expired status indices");
                0
            }
        }
    }

    /// One pass of the status housekeeping: indices past their use set valid or returned to
    /// the pool, lists published, old versions forgotten.
    pub async fn status_pass(&self) {
        let now = self.now();
        self.release_expired_indices().await;
        if let Err(e) = self.publish_status_lists().await {
            tracing::error!(error = %e, "cannot publish the status lists");
        }
        if let Err(e) = self
            .store
            .trim_publications(now - self.cfg.status.keep)
            .await
        {
            tracing::error!(error = %e, "cannot forget old status list versions");
        }
    }

    /// Publishes if some list's newest version is at least `age` old. Checks the versions only;
    /// reads the entries (every one not valid) only when a list can be published.
    async fn publish_if_older_than(&self, age: Duration) -> Result<(), String> {
        let now = self.now();
        let heads = self.store.list_heads().await.map_err(|e| e.to_string())?;
        if heads.is_empty() || heads.iter().any(|(_, _, t)| now - *t >= age) {
            self.publish_status_lists().await?;
        }
        Ok(())
    }

    /// Before answering a verifier: a list older than the heartbeat (a server whose background
    /// pass is off, or late) is published first, so nobody is handed a list older than that.
    async fn publish_if_stale(&self) -> Result<(), String> {
        self.publish_if_older_than(self.cfg.status.heartbeat).await
    }

    /// After a status change: out at once unless every list went out within the publishing gap
    /// (then the next background pass takes it), without reading the entries in that case.
    pub(crate) async fn publish_change(&self) -> Result<(), String> {
        self.publish_if_older_than(self.cfg.status.min_gap).await
    }

    /// The newest version of `list` with its entries (not valid, by index).
    async fn newest(&self, list: u32) -> Result<Option<(Publication, Vec<(u32, Status)>)>, String> {
        let Some(head) = self
            .store
            .newest_publication(list)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let entries = head
            .entries
            .as_deref()
            .and_then(decode_runs)
            .ok_or_else(|| corrupt("entries"))?;
        Ok(Some((head, entries)))
    }

    /// The newest version of `list`, signed.
    async fn signed_list(&self, list: u32) -> Result<Option<Arc<Vec<u8>>>, String> {
        let Some((head, entries)) = self.newest(list).await? else {
            return Ok(None);
        };
        Ok(Some(self.published.cached(
            (list, head.version, 0),
            || {
                let mut l =
                    self.keys
                        .empty_status_list(list, self.cfg.status.list_size, head.issued_at);
                l.version = head.version;
                for (i, s) in entries {
                    l.set(i, s);
                }
                self.keys.sign_status(StatusDocument::List(&l))
            },
        )?))
    }

    /// The signed delta from version `from` of `list` to its newest: version `from` rebuilt by
    /// walking the newest entries back through the versions after it.
    async fn signed_delta(&self, list: u32, from: u64) -> Result<DeltaAnswer, String> {
        let Some((head, newest)) = self.newest(list).await? else {
            return Ok(DeltaAnswer::NoList);
        };
        if head.version == from {
            return Ok(DeltaAnswer::Current);
        }
        if from == 0 || from > head.version {
            return Ok(DeltaAnswer::Gone);
        }
        let after: Vec<Publication> = self
            .store
            .publications_after(list, from)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|p| p.version <= head.version)
            .collect();
        if after.first().map(|p| p.version) != Some(from + 1) {
            return Ok(DeltaAnswer::Gone);
        }
        let mut state: BTreeMap<u32, Status> = newest.iter().copied().collect();
        for p in after.iter().rev() {
            for (i, s) in decode_runs(&p.undo).ok_or_else(|| corrupt("undo"))? {
                if s == Status::Valid {
                    state.remove(&i);
                } else {
                    state.insert(i, s);
                }
            }
        }
        let old: Vec<(u32, Status)> = state.into_iter().collect();
        Ok(DeltaAnswer::Delta(self.published.cached(
            (list, from, head.version),
            || {
                let delta = StatusDelta {
                    list_id: list,
                    issuer: super::keys::ring::ISSUER_ID,
                    from,
                    version: head.version,
                    issued_at: head.issued_at,
                    ttl_seconds: super::keys::STATUS_TTL,
                    released: Vec::new(),
                    marked: Vec::new(),
                }
                .with_changes(&old, &newest);
                self.keys.sign_status(StatusDocument::Delta(&delta))
            },
        )?))
    }
}

enum DeltaAnswer {
    Delta(Arc<Vec<u8>>),
    /// The verifier holds the newest version.
    Current,
    /// Versions after `from` are forgotten (or `from` was never published): fetch the full list.
    Gone,
    NoList,
}

/// `GET /v1/status-lists`: every list with its newest version.
pub(crate) async fn index(State(st): State<Arc<ServerState>>) -> Response {
    if let Err(e) = st.publish_if_stale().await {
        return internal(e);
    }
    match st.store.list_heads().await {
        Ok(heads) => axum::Json(techo_core::portal::dto::StatusListIndex {
            list_size: st.cfg.status.list_size,
            lists: heads
                .into_iter()
                .map(
                    |(list, version, issued_at)| techo_core::portal::dto::StatusListHead {
                        list,
                        version,
                        issued_at,
                    },
                )
                .collect(),
        })
        .into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /v1/status-lists/{list}`: the newest version, signed.
pub(crate) async fn full(
    State(st): State<Arc<ServerState>>,
    UrlPath(list): UrlPath<u32>,
) -> Response {
    if let Err(e) = st.publish_if_stale().await {
        return internal(e);
    }
    match st.signed_list(list).await {
        Ok(Some(bytes)) => cbor(bytes.as_ref().clone()),
        Ok(None) => api_error(StatusCode::NOT_FOUND, "unknown_list", "no such status list"),
        Err(e) => internal(e),
    }
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct From {
    from: u64,
}

/// `GET /v1/status-lists/{list}/delta?from=V`: 200 with the signed delta to the newest version,
/// 304 when `V` is the newest, 410 when the versions after `V` are forgotten (fetch the list).
pub(crate) async fn delta(
    State(st): State<Arc<ServerState>>,
    UrlPath(list): UrlPath<u32>,
    Query(q): Query<From>,
) -> Response {
    if let Err(e) = st.publish_if_stale().await {
        return internal(e);
    }
    match st.signed_delta(list, q.from).await {
        Ok(DeltaAnswer::Delta(bytes)) => cbor(bytes.as_ref().clone()),
        Ok(DeltaAnswer::Current) => StatusCode::NOT_MODIFIED.into_response(),
        Ok(DeltaAnswer::Gone) => api_error(
            StatusCode::GONE,
            "delta_gone",
            "no delta from that version: fetch the full list",
        ),
        Ok(DeltaAnswer::NoList) => {
            api_error(StatusCode::NOT_FOUND, "unknown_list", "no such status list")
        }
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use techo_core::token::StatusRef;

    #[test]
    fn undo_gives_each_changed_entry_its_old_status() {
        let old = [
            (1, Status::Revoked),
            (5, Status::Suspended),
            (9, Status::Revoked),
        ];
        let new = [
            (5, Status::Revoked),
            (9, Status::Revoked),
            (12, Status::Suspended),
        ];
        assert_eq!(
            undo_between(&old, &new),
            vec![
                (1, Status::Revoked),
                (5, Status::Suspended),
                (12, Status::Valid)
            ]
        );
        assert!(undo_between(&new, &new).is_empty());
    }

    #[test]
    fn lists_keep_the_live_entries_within_three_quarters() {
        let p = StatusPublishing::PRODUCTION;
        assert_eq!(p.lists_for(0), 1);
        assert_eq!(p.lists_for(3 << 20), 1);
        assert_eq!(p.lists_for((3 << 20) + 1), 2);
        // 7 million handbooks × 16 live credentials × 24/21 (kept past expiry): 41 lists.
        assert_eq!(p.lists_for(7_000_000 * 16 * 24 / 21), 41);
        assert_eq!(p.lists_for(usize::MAX / 8), MAX_LISTS);
        assert_eq!(p.status_ref((1 << 22) + 7), StatusRef { list: 2, index: 7 });
    }
}
