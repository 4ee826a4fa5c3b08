//! The configured store, sled or PostgreSQL, and every store trait forwarded to it.

use super::api::{IndexReuse, ServerStore, StoreConfig, StoreError};
use super::documents::DocumentStore;
use super::operators::{
    CouponCount, CouponUse, DirectoryHead, DirectoryRow, OperatorRecord, OperatorStore,
};
use super::pg_store::PgStore;
use super::records::{ConsentEntry, Publication, SessionRecord};
use super::sled_store::SledStore;
use chrono::{DateTime, Duration, Utc};
use techo_core::directory::redemption::RedemptionResult;
use techo_core::token::Status;

/// Forwards a store method to the configured backend.
macro_rules! delegate {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Sled($s) => $call.await,
            AnyStore::Postgres($s) => $call.await,
        }
    };
}

/// The configured store.
#[derive(Debug)]
pub enum AnyStore {
    Sled(SledStore),
    Postgres(PgStore),
}

impl AnyStore {
    /// Opens the store `config` names (`data_dir/store` for the sled default), applying
    /// PostgreSQL migrations first.
    pub async fn open(
        config: &StoreConfig,
        data_dir: &std::path::Path,
    ) -> Result<Self, StoreError> {
        Ok(match config {
            StoreConfig::Sled => AnyStore::Sled(SledStore::open(&data_dir.join("store"))?),
            StoreConfig::SledAt(dir) => AnyStore::Sled(SledStore::open(dir)?),
            StoreConfig::Postgres(url) => AnyStore::Postgres(PgStore::connect(url).await?),
        })
    }
}

impl ServerStore for AnyStore {
    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        delegate!(self, s => s.session(id))
    }
    async fn put_session(&self, r: &SessionRecord) -> Result<(), StoreError> {
        delegate!(self, s => s.put_session(r))
    }
    async fn replace_session(
        &self,
        old: &SessionRecord,
        new: &SessionRecord,
    ) -> Result<bool, StoreError> {
        delegate!(self, s => s.replace_session(old, new))
    }
    async fn create_session(&self, r: &SessionRecord) -> Result<SessionRecord, StoreError> {
        delegate!(self, s => s.create_session(r))
    }
    async fn sessions(&self) -> Result<Vec<SessionRecord>, StoreError> {
        delegate!(self, s => s.sessions())
    }
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        worker: &str,
        limit: usize,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        delegate!(self, s => s.claim_due(now, lease, worker, limit))
    }
    async fn put_consent(&self, c: &ConsentEntry) -> Result<(), StoreError> {
        delegate!(self, s => s.put_consent(c))
    }
    async fn consent(&self, id: &str) -> Result<Option<ConsentEntry>, StoreError> {
        delegate!(self, s => s.consent(id))
    }
    async fn consents(&self) -> Result<Vec<ConsentEntry>, StoreError> {
        delegate!(self, s => s.consents())
    }
    async fn claim_expired_consents(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        worker: &str,
        limit: usize,
    ) -> Result<Vec<ConsentEntry>, StoreError> {
        delegate!(self, s => s.claim_expired_consents(now, lease, worker, limit))
    }
    async fn allocate_indices(
        &self,
        holder: &str,
        n: usize,
        now: DateTime<Utc>,
        space: u32,
    ) -> Result<Vec<u32>, StoreError> {
        delegate!(self, s => s.allocate_indices(holder, n, now, space))
    }
    async fn release_indices(
        &self,
        now: DateTime<Utc>,
        reuse: IndexReuse,
    ) -> Result<usize, StoreError> {
        delegate!(self, s => s.release_indices(now, reuse))
    }
    async fn set_status(
        &self,
        holder: &str,
        status: Status,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        delegate!(self, s => s.set_status(holder, status, now))
    }
    async fn status_entries(&self) -> Result<Vec<(u32, Status)>, StoreError> {
        delegate!(self, s => s.status_entries())
    }
    async fn holder_of(&self, idx: u32) -> Result<Option<String>, StoreError> {
        delegate!(self, s => s.holder_of(idx))
    }
    async fn indices_in_use(&self) -> Result<usize, StoreError> {
        delegate!(self, s => s.indices_in_use())
    }
    async fn publish(&self, p: &Publication) -> Result<bool, StoreError> {
        delegate!(self, s => s.publish(p))
    }
    async fn newest_publication(&self, list: u32) -> Result<Option<Publication>, StoreError> {
        delegate!(self, s => s.newest_publication(list))
    }
    async fn publications_after(
        &self,
        list: u32,
        from: u64,
    ) -> Result<Vec<Publication>, StoreError> {
        delegate!(self, s => s.publications_after(list, from))
    }
    async fn list_heads(&self) -> Result<Vec<(u32, u64, DateTime<Utc>)>, StoreError> {
        delegate!(self, s => s.list_heads())
    }
    async fn trim_publications(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        delegate!(self, s => s.trim_publications(before))
    }
}

/// Forwards to the sled store's operator trees or to PostgreSQL.
macro_rules! operators {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Sled(sled) => {
                let $s = &sled.operators;
                $call.await
            }
            AnyStore::Postgres($s) => $call.await,
        }
    };
}

impl OperatorStore for AnyStore {
    async fn directory_head(&self) -> Result<DirectoryHead, StoreError> {
        operators!(self, s => s.directory_head())
    }
    async fn directory_rows(&self) -> Result<(DirectoryHead, Vec<DirectoryRow>), StoreError> {
        operators!(self, s => s.directory_rows())
    }
    async fn operator(&self, id: &str) -> Result<Option<OperatorRecord>, StoreError> {
        operators!(self, s => s.operator(id))
    }
    async fn write_operator(
        &self,
        id: &str,
        record: Option<&OperatorRecord>,
        seen: u64,
        now_ms: u64,
    ) -> Result<Option<u64>, StoreError> {
        operators!(self, s => s.write_operator(id, record, seen, now_ms))
    }
    async fn put_operator_token(&self, operator: &str, hash: &str) -> Result<(), StoreError> {
        operators!(self, s => s.put_operator_token(operator, hash))
    }
    async fn operator_token_hash(&self, operator: &str) -> Result<Option<String>, StoreError> {
        operators!(self, s => s.operator_token_hash(operator))
    }
    async fn redemption(&self, key: &str) -> Result<Option<RedemptionResult>, StoreError> {
        operators!(self, s => s.redemption(key))
    }
    async fn redeem(
        &self,
        key: &str,
        what: &CouponUse<'_>,
        per_holder: u32,
    ) -> Result<RedemptionResult, StoreError> {
        operators!(self, s => s.redeem(key, what, per_holder))
    }
    async fn note_redemption(&self, key: &str, result: RedemptionResult) -> Result<(), StoreError> {
        operators!(self, s => s.note_redemption(key, result))
    }
    async fn coupon_uses(&self, holder: &str) -> Result<Vec<CouponCount>, StoreError> {
        operators!(self, s => s.coupon_uses(holder))
    }
    async fn subject_of_session(&self, session: &str) -> Result<Option<String>, StoreError> {
        operators!(self, s => s.subject_of_session(session))
    }
}

impl DocumentStore for AnyStore {
    async fn document(&self, name: &str) -> Result<Option<(String, u64)>, StoreError> {
        match self {
            AnyStore::Sled(s) => s.documents.document(name).await,
            AnyStore::Postgres(s) => s.document(name).await,
        }
    }
    async fn put_document(&self, name: &str, body: &str, seen: u64) -> Result<bool, StoreError> {
        match self {
            AnyStore::Sled(s) => s.documents.put_document(name, body, seen).await,
            AnyStore::Postgres(s) => s.put_document(name, body, seen).await,
        }
    }
}
