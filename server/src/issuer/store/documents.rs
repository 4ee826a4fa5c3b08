//! Small named documents every process on the store shares, each with a revision for compare
//! and swap: the issuer's key ring (which keys the trust list publishes and which one signs).

use super::api::StoreError;
use super::pg_store::PgStore;
use super::sled_codec::{decode, e};
use std::future::Future;
use std::sync::{Mutex, PoisonError};

pub trait DocumentStore: Send + Sync {
    /// The document and its revision (1 for the first write).
    fn document(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<(String, u64)>, StoreError>> + Send;
    /// Writes `body` if the document is still at revision `seen` (0: absent); whether it did.
    /// A write makes the revision `seen + 1`.
    fn put_document(
        &self,
        name: &str,
        body: &str,
        seen: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// The sled side: one tree, one lock (sled is held by one process).
#[derive(Debug)]
pub(super) struct DocumentTree {
    db: sled::Db,
    tree: sled::Tree,
    lock: Mutex<()>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    body: String,
    rev: u64,
}

impl DocumentTree {
    pub(super) fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(Self {
            db: db.clone(),
            tree: db.open_tree("documents").map_err(e)?,
            lock: Mutex::new(()),
        })
    }

    fn get(&self, name: &str) -> Result<Option<Stored>, StoreError> {
        self.tree
            .get(name)
            .map_err(e)?
            .map(|v| decode("document", &v))
            .transpose()
    }
}

impl DocumentStore for DocumentTree {
    async fn document(&self, name: &str) -> Result<Option<(String, u64)>, StoreError> {
        Ok(self.get(name)?.map(|d| (d.body, d.rev)))
    }

    async fn put_document(&self, name: &str, body: &str, seen: u64) -> Result<bool, StoreError> {
        let t = self;
        let _held = t.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let rev = t.get(name)?.map_or(0, |d| d.rev);
        if rev != seen {
            return Ok(false);
        }
        let stored = Stored {
            body: body.to_owned(),
            rev: rev + 1,
        };
        t.tree
            .insert(name, serde_json::to_vec(&stored).map_err(e)?)
            .map_err(e)?;
        self.db.flush().map_err(e)?;
        Ok(true)
    }
}

impl DocumentStore for PgStore {
    async fn document(&self, name: &str) -> Result<Option<(String, u64)>, StoreError> {
        Ok(self
            .client
            .query_opt(
                "SELECT body::text, rev FROM documents WHERE name = $1",
                &[&name],
            )
            .await
            .map_err(super::pg_store::e)?
            .map(|r| (r.get(0), u64::try_from(r.get::<_, i64>(1)).unwrap_or(0))))
    }

    async fn put_document(&self, name: &str, body: &str, seen: u64) -> Result<bool, StoreError> {
        let seen = i64::try_from(seen).unwrap_or(i64::MAX);
        let written = if seen == 0 {
            self.client
                .execute(
                    "INSERT INTO documents (name, body, rev) VALUES ($1, $2::text::jsonb, 1)
                     ON CONFLICT (name) DO NOTHING",
                    &[&name, &body],
                )
                .await
        } else {
            self.client
                .execute(
                    "UPDATE documents SET body = $2::text::jsonb, rev = rev + 1
                     WHERE name = $1 AND rev = $3",
                    &[&name, &body, &seen],
                )
                .await
        };
        Ok(written.map_err(super::pg_store::e)? == 1)
    }
}
