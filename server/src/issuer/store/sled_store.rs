//! The embedded store (sled): one server process. Sessions, idempotency keys, consents and the
//! status entries in their own trees; retry leases in memory (one process holds the store).

use super::api::{IndexReuse, ServerStore, StoreError};
use super::records::{ConsentEntry, Publication, SessionRecord};
use super::sled_codec::{decode, e};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use techo_core::token::Status;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StatusEntry {
    holder: String,
    status: u8,
    /// When it was handed out; entries from before index reuse count from their first
    /// release pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    allocated_at: Option<DateTime<Utc>>,
    /// When its status last changed (`None`: never since it was handed out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    changed_at: Option<DateTime<Utc>>,
}

#[derive(Debug)]
pub struct SledStore {
    db: sled::Db,
    sessions: sled::Tree,
    idempotency: sled::Tree,
    consents: sled::Tree,
    status: sled::Tree,
    /// Published list versions, keyed by list (4 bytes) and version (8 bytes), big-endian.
    publications: sled::Tree,
    leases: Mutex<HashMap<String, DateTime<Utc>>>,
    /// The operator half (see `sled_operators`).
    pub(super) operators: super::sled_operators::OperatorTrees,
    pub(super) documents: super::documents::DocumentTree,
}

impl SledStore {
    /// Opens the store, waiting up to five seconds for a previous server process in this one
    /// (tests restart the server) to let go of sled's file lock.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let start = std::time::Instant::now();
        let db = loop {
            match sled::Config::new().path(dir).flush_every_ms(None).open() {
                Ok(db) => break db,
                Err(sled::Error::Io(io))
                    if io.to_string().contains("lock")
                        && start.elapsed() < std::time::Duration::from_secs(5) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(x) => return Err(e(x)),
            }
        };
        Ok(Self {
            sessions: db.open_tree("sessions").map_err(e)?,
            idempotency: db.open_tree("idempotency").map_err(e)?,
            consents: db.open_tree("consents").map_err(e)?,
            status: db.open_tree("status").map_err(e)?,
            publications: db.open_tree("publications").map_err(e)?,
            operators: super::sled_operators::OperatorTrees::open(&db)?,
            documents: super::documents::DocumentTree::open(&db)?,
            db,
            leases: Mutex::new(HashMap::new()),
        })
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(e)
    }

    fn get_session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.sessions
            .get(id)
            .map_err(e)?
            .map(|v| decode("session", &v))
            .transpose()
    }

    fn write_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        self.sessions
            .insert(s.id.as_bytes(), serde_json::to_vec(s).map_err(e)?)
            .map_err(e)?;
        self.leases
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&s.id);
        self.flush()
    }

    fn all<T: serde::de::DeserializeOwned>(
        tree: &sled::Tree,
        what: &str,
    ) -> Result<Vec<T>, StoreError> {
        tree.iter()
            .values()
            .map(|v| decode(what, &v.map_err(e)?))
            .collect()
    }

    fn publication_key(list: u32, version: u64) -> [u8; 12] {
        let mut k = [0u8; 12];
        k[..4].copy_from_slice(&list.to_be_bytes());
        k[4..].copy_from_slice(&version.to_be_bytes());
        k
    }

    fn entries(&self) -> Result<Vec<(u32, StatusEntry)>, StoreError> {
        self.status
            .iter()
            .map(|kv| {
                let (k, v) = kv.map_err(e)?;
                let idx = <[u8; 4]>::try_from(k.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::Corrupt {
                        what: "status index".into(),
                        why: "not 4 bytes".into(),
                    })?;
                Ok((idx, decode("status entry", &v)?))
            })
            .collect()
    }
}

impl ServerStore for SledStore {
    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.get_session(id)
    }

    async fn put_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        self.write_session(s)
    }

    async fn replace_session(
        &self,
        old: &SessionRecord,
        new: &SessionRecord,
    ) -> Result<bool, StoreError> {
        let bytes = serde_json::to_vec(new).map_err(e)?;
        loop {
            let Some(stored) = self.sessions.get(old.id.as_bytes()).map_err(e)? else {
                return Ok(false);
            };
            if decode::<SessionRecord>("session", &stored)? != *old {
                return Ok(false);
            }
            // The exact bytes read: a write in between makes the swap fail, and the loop
            // looks again.
            let swapped = self
                .sessions
                .compare_and_swap(old.id.as_bytes(), Some(stored), Some(bytes.as_slice()))
                .map_err(e)?;
            if swapped.is_ok() {
                self.leases
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&new.id);
                self.flush()?;
                return Ok(true);
            }
        }
    }

    async fn create_session(&self, s: &SessionRecord) -> Result<SessionRecord, StoreError> {
        let claimed = self
            .idempotency
            .compare_and_swap(
                s.idempotency_key.as_bytes(),
                None as Option<&[u8]>,
                Some(s.id.as_bytes()),
            )
            .map_err(e)?;
        match claimed {
            Ok(()) => {
                self.write_session(s)?;
                Ok(s.clone())
            }
            Err(existing) => {
                let id = existing
                    .current
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .unwrap_or_default();
                self.get_session(&id)?.ok_or_else(|| StoreError::Corrupt {
                    what: "idempotency key".into(),
                    why: "points to no session".into(),
                })
            }
        }
    }

    async fn sessions(&self) -> Result<Vec<SessionRecord>, StoreError> {
        Self::all(&self.sessions, "session")
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        _worker: &str,
        limit: usize,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        let mut due: Vec<SessionRecord> = Self::all::<SessionRecord>(&self.sessions, "session")?
            .into_iter()
            .filter(|s| s.state.next_try().is_some_and(|t| t <= now))
            .filter(|s| leases.get(&s.id).is_none_or(|until| *until < now))
            .collect();
        due.sort_by_key(|s| s.state.next_try());
        due.truncate(limit);
        for s in &due {
            leases.insert(s.id.clone(), now + lease);
        }
        Ok(due)
    }

    async fn put_consent(&self, c: &ConsentEntry) -> Result<(), StoreError> {
        self.consents
            .insert(c.id.as_bytes(), serde_json::to_vec(c).map_err(e)?)
            .map_err(e)?;
        self.leases
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&format!("consent/{}", c.id));
        self.flush()
    }

    async fn consent(&self, id: &str) -> Result<Option<ConsentEntry>, StoreError> {
        self.consents
            .get(id)
            .map_err(e)?
            .map(|v| decode("consent", &v))
            .transpose()
    }

    async fn claim_expired_consents(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        _worker: &str,
        limit: usize,
    ) -> Result<Vec<ConsentEntry>, StoreError> {
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        let lease_of = |c: &ConsentEntry| format!("consent/{}", c.id);
        let mut due: Vec<ConsentEntry> = Self::all::<ConsentEntry>(&self.consents, "consent")?
            .into_iter()
            .filter(|c| c.purged_at.is_none() && c.expires_at <= now)
            .filter(|c| leases.get(&lease_of(c)).is_none_or(|until| *until < now))
            .collect();
        due.sort_by_key(|c| c.expires_at);
        due.truncate(limit);
        for c in &due {
            leases.insert(lease_of(c), now + lease);
        }
        Ok(due)
    }

    async fn consents(&self) -> Result<Vec<ConsentEntry>, StoreError> {
        Self::all(&self.consents, "consent")
    }

    async fn allocate_indices(
        &self,
        holder: &str,
        n: usize,
        now: DateTime<Utc>,
        space: u32,
    ) -> Result<Vec<u32>, StoreError> {
        let entry = serde_json::to_vec(&StatusEntry {
            holder: holder.to_owned(),
            status: 0,
            allocated_at: Some(now),
            changed_at: None,
        })
        .map_err(e)?;
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            if self.status.len() >= space as usize {
                return Err(StoreError::StatusListFull);
            }
            let idx = super::api::random_index(space);
            let taken = self
                .status
                .compare_and_swap(
                    idx.to_be_bytes(),
                    None as Option<&[u8]>,
                    Some(entry.clone()),
                )
                .map_err(e)?;
            if taken.is_ok() {
                out.push(idx);
            }
        }
        self.flush()?;
        Ok(out)
    }

    async fn release_indices(
        &self,
        now: DateTime<Utc>,
        reuse: IndexReuse,
    ) -> Result<usize, StoreError> {
        let cutoff = now - reuse.kept_for;
        let quiet = now - reuse.quiet_for;
        let mut freed = 0;
        for kv in &self.status {
            let (k, raw) = kv.map_err(e)?;
            let entry: StatusEntry = decode("status entry", &raw)?;
            // Compare and swap: an entry changed meanwhile (a revocation) is left for next time.
            let next = match entry.allocated_at {
                Some(at) if at >= cutoff => continue,
                None => Some(StatusEntry {
                    allocated_at: Some(now),
                    ..entry
                }),
                Some(_) if entry.status != 0 => Some(StatusEntry {
                    status: 0,
                    changed_at: Some(now),
                    ..entry
                }),
                Some(_) if entry.changed_at.is_some_and(|c| c >= quiet) => continue,
                Some(_) => None,
            };
            let freeing = next.is_none();
            let next = next
                .map(|n| serde_json::to_vec(&n).map_err(e))
                .transpose()?;
            if self
                .status
                .compare_and_swap(&k, Some(raw), next)
                .map_err(e)?
                .is_ok()
                && freeing
            {
                freed += 1;
            }
        }
        self.flush()?;
        Ok(freed)
    }

    async fn set_status(
        &self,
        holder: &str,
        status: Status,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut n = 0;
        for (idx, mut entry) in self.entries()? {
            if entry.holder == holder {
                entry.status = status as u8;
                entry.changed_at = Some(now);
                self.status
                    .insert(idx.to_be_bytes(), serde_json::to_vec(&entry).map_err(e)?)
                    .map_err(e)?;
                n += 1;
            }
        }
        self.flush()?;
        Ok(n)
    }

    async fn status_entries(&self) -> Result<Vec<(u32, Status)>, StoreError> {
        Ok(self
            .entries()?
            .into_iter()
            .filter(|(_, entry)| entry.status != 0)
            .map(|(idx, entry)| (idx, Status::from_code(entry.status)))
            .collect())
    }

    async fn holder_of(&self, idx: u32) -> Result<Option<String>, StoreError> {
        self.status
            .get(idx.to_be_bytes())
            .map_err(e)?
            .map(|v| decode::<StatusEntry>("status entry", &v).map(|entry| entry.holder))
            .transpose()
    }

    async fn indices_in_use(&self) -> Result<usize, StoreError> {
        Ok(self.status.len())
    }

    async fn publish(&self, p: &Publication) -> Result<bool, StoreError> {
        let key = Self::publication_key(p.list, p.version);
        let stored = self
            .publications
            .compare_and_swap(
                key,
                None as Option<&[u8]>,
                Some(serde_json::to_vec(p).map_err(e)?),
            )
            .map_err(e)?;
        if stored.is_err() {
            return Ok(false);
        }
        if let Some(before) = p.version.checked_sub(1) {
            let key = Self::publication_key(p.list, before);
            if let Some(raw) = self.publications.get(key).map_err(e)? {
                let mut old: Publication = decode("publication", &raw)?;
                old.entries = None;
                self.publications
                    .insert(key, serde_json::to_vec(&old).map_err(e)?)
                    .map_err(e)?;
            }
        }
        self.flush()?;
        Ok(true)
    }

    async fn newest_publication(&self, list: u32) -> Result<Option<Publication>, StoreError> {
        self.publications
            .scan_prefix(list.to_be_bytes())
            .values()
            .next_back()
            .transpose()
            .map_err(e)?
            .map(|v| decode("publication", &v))
            .transpose()
    }

    async fn publications_after(
        &self,
        list: u32,
        from: u64,
    ) -> Result<Vec<Publication>, StoreError> {
        let Some(start) = from.checked_add(1) else {
            return Ok(Vec::new());
        };
        self.publications
            .range(Self::publication_key(list, start)..=Self::publication_key(list, u64::MAX))
            .values()
            .map(|v| decode("publication", &v.map_err(e)?))
            .collect()
    }

    async fn list_heads(&self) -> Result<Vec<(u32, u64, DateTime<Utc>)>, StoreError> {
        // Lists are numbered from 1 without gaps: the last key names the highest, and each
        // list's newest version is the last key under its prefix.
        let Some((last, _)) = self.publications.last().map_err(e)? else {
            return Ok(Vec::new());
        };
        let highest = last
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| StoreError::Corrupt {
                what: "publication key".into(),
                why: "shorter than 4 bytes".into(),
            })?;
        let mut heads = Vec::new();
        for list in 1..=highest {
            if let Some(p) = self.newest_publication(list).await? {
                heads.push((p.list, p.version, p.issued_at));
            }
        }
        Ok(heads)
    }

    async fn trim_publications(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let heads = self.list_heads().await?;
        let mut trimmed = 0;
        for kv in &self.publications {
            let (k, v) = kv.map_err(e)?;
            let p: Publication = decode("publication", &v)?;
            let newest = heads
                .iter()
                .any(|(l, ver, _)| *l == p.list && *ver == p.version);
            if p.issued_at < before && !newest {
                self.publications.remove(k).map_err(e)?;
                trimmed += 1;
            }
        }
        self.flush()?;
        Ok(trimmed)
    }
}
