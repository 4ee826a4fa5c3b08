//! techo-server's store behind one trait, [`ServerStore`]: sled (embedded, one process: the
//! laptop and demo default) or PostgreSQL (several server processes on one database). Both keep
//! linkage sessions with their idempotency keys and retry schedule, the consent ledger, and the
//! status list: which index was issued to whom, and its status.
//!
//! Correct under concurrency on PostgreSQL: a pending retry is claimed with a lease
//! (`FOR UPDATE SKIP LOCKED`), so two processes never run it at once; a status index is a
//! primary key, so it is never handed out twice; an idempotency key is a unique column, so a
//! retried start returns the same session from any process.

mod any;
mod api;
mod documents;
mod operators;
mod pg_operators;
mod pg_store;
mod pg_tls;
mod records;
mod sealed;
mod sled_codec;
mod sled_operators;
mod sled_store;

pub use any::AnyStore;
pub use api::{IndexReuse, ServerStore, StoreConfig, StoreError};
pub use documents::DocumentStore;
pub use operators::{
    CouponCount, CouponUse, DirectoryHead, DirectoryRow, OperatorRecord, OperatorStore,
    answer_again, token_hash,
};
pub use pg_store::{PgStore, SCHEMA_VERSION};
pub use records::{ConsentEntry, Publication, SessionRecord, SessionState};
pub use sealed::{SEALED_PREFIX, Sealed};
pub use sled_store::SledStore;
