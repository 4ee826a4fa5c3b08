//! The encrypted on-device store.
//!
//! A small key-value interface ([`Store`]) over named tables. Every value is sealed with
//! AES-256-GCM under the data key from a [`KeyProvider`], with the table and record key as
//! associated data, so a value moved to another record no longer opens. Multi-record changes go
//! through one atomic [`Batch`]. The layout and recovery path are described in `docs/store.md`.

mod error;
mod key;
mod memory_store;
mod migrate;
mod mirror;
mod seal;
mod sled_store;

pub use error::StoreError;
pub use key::{DataKey, FileKeyProvider, KeyError, KeyProvider, StaticKeyProvider};
pub use memory_store::MemoryStore;
pub use migrate::SCHEMA_VERSION;
pub use sled_store::SledStore;

use zeroize::Zeroizing;

/// Decrypted records of one table, in key order.
pub type Records = Vec<(String, Zeroizing<Vec<u8>>)>;

/// The tables of the wallet. Later features add their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// Handbook records (JSON), keyed by handbook id.
    Handbooks,
    /// Photo bytes, keyed by handbook id.
    Photos,
    /// Small wallet settings, such as the handbook chosen for the counter.
    Settings,
    /// Credentials held for a handbook (JSON), keyed `<handbook id>/<n>`.
    Credentials,
    /// Desktop device keys (PKCS#8), keyed by alias. Phones keep theirs in hardware.
    DeviceKeys,
    /// Handbook page images (cleaned of metadata), keyed `<handbook id>/<nn>`.
    Pages,
}

impl Table {
    pub const ALL: [Table; 6] = [
        Table::Handbooks,
        Table::Photos,
        Table::Settings,
        Table::Credentials,
        Table::DeviceKeys,
        Table::Pages,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Handbooks => "handbooks",
            Table::Photos => "photos",
            Table::Settings => "settings",
            Table::Credentials => "credentials",
            Table::DeviceKeys => "device_keys",
            Table::Pages => "pages",
        }
    }
}

/// One change in a batch.
#[derive(Debug)]
pub enum Op {
    Put {
        table: Table,
        key: String,
        value: Zeroizing<Vec<u8>>,
    },
    Delete {
        table: Table,
        key: String,
    },
}

/// Changes applied all together or not at all.
#[derive(Debug, Default)]
pub struct Batch(pub(crate) Vec<Op>);

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn put(mut self, table: Table, key: impl Into<String>, value: Vec<u8>) -> Self {
        self.0.push(Op::Put {
            table,
            key: key.into(),
            value: Zeroizing::new(value),
        });
        self
    }

    #[must_use]
    pub fn delete(mut self, table: Table, key: impl Into<String>) -> Self {
        self.0.push(Op::Delete {
            table,
            key: key.into(),
        });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A record that could not be read during a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedRecord {
    pub table: &'static str,
    pub key: String,
    pub why: String,
}

/// What `techo store check` reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub schema_version: u32,
    /// Readable records per table.
    pub readable: Vec<(&'static str, usize)>,
    pub damaged: Vec<DamagedRecord>,
}

impl CheckReport {
    pub fn is_healthy(&self) -> bool {
        self.damaged.is_empty()
    }
}

/// What opening a store restored from its second copy after damage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Where the damaged database was moved (kept: nothing is deleted).
    pub damaged_kept_at: Option<std::path::PathBuf>,
    /// Records restored from the copy.
    pub restored: usize,
    /// Records neither the database nor the copy could prove (`table/key`).
    pub lost: Vec<String>,
    /// Why the database could not be opened.
    pub cause: String,
}

impl Recovery {
    /// What to tell the holder, once, on the open that repaired the store.
    pub fn describe(&self, lang: crate::Lang) -> String {
        let kept = self
            .damaged_kept_at
            .as_ref()
            .map(|p| p.display().to_string());
        match lang {
            crate::Lang::Ja => format!(
                "保存データの破損（{}）を予備コピーから復元しました：{}件を復元、{}件は復元できませんでした{}",
                self.cause,
                self.restored,
                self.lost.len(),
                kept.map(|p| format!("（破損したファイルは {p} に保管）"))
                    .unwrap_or_default()
            ),
            crate::Lang::En => format!(
                "the store was damaged ({}) and was rebuilt from its second copy: {} record(s) restored, {} lost{}",
                self.cause,
                self.restored,
                self.lost.len(),
                kept.map(|p| format!("; the damaged files are kept in {p}"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// An encrypted, transactional key-value store.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The decrypted value, or `None` when there is no such record.
    fn get(&self, table: Table, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError>;

    /// Every record of a table in key order; the first unreadable record is an error.
    fn scan(&self, table: Table) -> Result<Records, StoreError>;

    /// The keys of a table, without opening the values.
    fn keys(&self, table: Table) -> Result<Vec<String>, StoreError>;

    /// Applies every change atomically and durably (flushed to disk before it returns).
    fn commit(&self, batch: Batch) -> Result<(), StoreError>;

    /// Tries to open every record and reports the ones that do not.
    fn check(&self) -> Result<CheckReport, StoreError>;

    /// Repairs the records a check found damaged: restored from a verified second copy where the
    /// store keeps one, deleted otherwise, so the rest of the wallet can be used.
    fn drop_damaged(&self, damaged: &[DamagedRecord]) -> Result<(), StoreError>;

    /// What opening restored from the second copy, if it had to.
    fn recovered(&self) -> Option<Recovery> {
        None
    }
}
