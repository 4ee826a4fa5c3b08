//! What the server asks of its store: the [`ServerStore`] trait, its errors, where the store is
//! ([`StoreConfig`]) and the index-reuse timing.

use super::records::{ConsentEntry, Publication, SessionRecord};
use chrono::{DateTime, Duration, Utc};
use std::future::Future;
use techo_core::token::Status;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the database at {url} cannot be reached: {why}. Start it, or check --store")]
    Unreachable { url: String, why: String },
    #[error(
        "the database schema is version {found}, newer than this server understands ({supported}): run the newer server, or restore a backup taken before the upgrade"
    )]
    SchemaTooNew { found: i32, supported: i32 },
    #[error("{0}")]
    Config(String),
    #[error("a stored record is damaged ({what}): {why}")]
    Corrupt { what: String, why: String },
    #[error("the status list is full: start a new list")]
    StatusListFull,
    #[error("server store: {0}")]
    Backend(String),
}

/// Where the server keeps its state: `sled:<dir>` or `postgres://…`.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum StoreConfig {
    /// sled in `<data-dir>/store`.
    #[default]
    Sled,
    SledAt(std::path::PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreConfig::Sled => f.write_str("Sled"),
            StoreConfig::SledAt(dir) => write!(f, "SledAt({})", dir.display()),
            // The URL may carry a password.
            StoreConfig::Postgres(url) => match url.split_once('@') {
                Some((_, host)) => write!(f, "Postgres(…@{host})"),
                None => f.write_str("Postgres(…)"),
            },
        }
    }
}

impl StoreConfig {
    /// `sled:<dir>`, `postgres://…` / `postgresql://…`.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        if let Some(dir) = text.strip_prefix("sled:") {
            return Ok(StoreConfig::SledAt(dir.into()));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(StoreConfig::Postgres(text.to_owned()));
        }
        Err(StoreError::Config(format!(
            "--store takes sled:<dir> or postgres://user@host/db, not {text}"
        )))
    }
}

/// What the server needs from its store. Every method is one atomic step.
pub trait ServerStore: Send + Sync {
    fn session(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<SessionRecord>, StoreError>> + Send;
    /// Writes a session (and releases any retry lease on it).
    fn put_session(&self, s: &SessionRecord)
    -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Writes `new` only if the stored session is still `old` (compare and swap); `false` when
    /// something else changed it first (a revocation, a withdrawal, another process). Work that
    /// took time (a portal query) writes with this, so it never undoes a revocation made while
    /// it ran.
    fn replace_session(
        &self,
        old: &SessionRecord,
        new: &SessionRecord,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Inserts a new session unless its idempotency key is known; returns the stored session.
    fn create_session(
        &self,
        s: &SessionRecord,
    ) -> impl Future<Output = Result<SessionRecord, StoreError>> + Send;
    fn sessions(&self) -> impl Future<Output = Result<Vec<SessionRecord>, StoreError>> + Send;
    /// Up to `limit` pending sessions due at `now` that no worker holds, leased to `worker`
    /// until `now + lease`. A lease ends when the session is written again, or runs out (a
    /// crashed worker's requests are picked up by another).
    fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        worker: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<SessionRecord>, StoreError>> + Send;
    fn put_consent(&self, c: &ConsentEntry) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn consent(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<ConsentEntry>, StoreError>> + Send;
    fn consents(&self) -> impl Future<Output = Result<Vec<ConsentEntry>, StoreError>> + Send;
    /// Up to `limit` consents expired at `now` and not yet purged that no worker holds, leased
    /// to `worker` until `now + lease` (released when the consent is written again).
    fn claim_expired_consents(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        worker: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<ConsentEntry>, StoreError>> + Send;
    /// `n` free random status indices below `space`, recorded as issued to `holder` at `now`.
    /// Two processes never get the same index (the store decides, atomically).
    fn allocate_indices(
        &self,
        holder: &str,
        n: usize,
        now: DateTime<Utc>,
        space: u32,
    ) -> impl Future<Output = Result<Vec<u32>, StoreError>> + Send;
    /// Index reuse, in two steps (docs/token-spec.md, "Index reuse"). An index handed out more
    /// than `reuse.kept_for` before `now` can have no valid credential left: if its status is
    /// not valid it is set back to valid now; once valid and unchanged for `reuse.quiet_for`
    /// (so every list a verifier may still hold shows it valid) it returns to the pool.
    /// Returns how many returned to the pool.
    fn release_indices(
        &self,
        now: DateTime<Utc>,
        reuse: IndexReuse,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
    /// Sets the status of every index issued to `holder` (changed at `now`); returns how many.
    fn set_status(
        &self,
        holder: &str,
        status: Status,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
    /// Every index whose status is not valid.
    fn status_entries(&self)
    -> impl Future<Output = Result<Vec<(u32, Status)>, StoreError>> + Send;
    /// The holder a status index was issued to.
    fn holder_of(
        &self,
        idx: u32,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// How many indices are in use (for capacity checks and the load test).
    fn indices_in_use(&self) -> impl Future<Output = Result<usize, StoreError>> + Send;
    /// Stores a new version of a list unless that version exists (another process published
    /// it first: `false`); the version before it loses its `entries`.
    fn publish(&self, p: &Publication) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// The newest version of `list`, with its entries.
    fn newest_publication(
        &self,
        list: u32,
    ) -> impl Future<Output = Result<Option<Publication>, StoreError>> + Send;
    /// The versions of `list` after `from`, oldest first.
    fn publications_after(
        &self,
        list: u32,
        from: u64,
    ) -> impl Future<Output = Result<Vec<Publication>, StoreError>> + Send;
    /// Every published list with its newest version and when it was issued.
    fn list_heads(
        &self,
    ) -> impl Future<Output = Result<Vec<(u32, u64, DateTime<Utc>)>, StoreError>> + Send;
    /// Forgets versions issued before `before`, never a list's newest; returns how many.
    fn trim_publications(
        &self,
        before: DateTime<Utc>,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// How long an index stays with its holder, and how long it stays valid before reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexReuse {
    pub kept_for: Duration,
    pub quiet_for: Duration,
}

/// A random index below `space` (uniform: rejection sampling), so an operator cannot read
/// issuing order or batch from it.
pub(crate) fn random_index(space: u32) -> u32 {
    use ring::rand::{SecureRandom, SystemRandom};
    let space = space.max(1);
    let zone = u32::MAX - (u32::MAX % space);
    loop {
        let mut b = [0u8; 4];
        SystemRandom::new()
            .fill(&mut b)
            .expect("the OS random source works");
        let v = u32::from_le_bytes(b);
        if v < zone {
            return v % space;
        }
    }
}
