//! An in-memory [`Store`] for tests and fuzzing: records are kept as plaintext and never written
//! anywhere, so it lets a test put any bytes a damaged (but authentic) record could hold in front
//! of the wallet's decoders. Clones share the same records. The phones and the CLI use
//! [`super::SledStore`].

use super::{Batch, CheckReport, DamagedRecord, Op, Records, Store, StoreError, Table};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use zeroize::Zeroizing;

type Tables = BTreeMap<(&'static str, String), Zeroizing<Vec<u8>>>;

#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    tables: Arc<Mutex<Tables>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every record: table, key, value.
    pub fn records(&self) -> Vec<(Table, String, Zeroizing<Vec<u8>>)> {
        self.with(|t| {
            t.iter()
                .filter_map(|((name, k), v)| {
                    let table = Table::ALL.into_iter().find(|t| t.name() == *name)?;
                    Some((table, k.clone(), v.clone()))
                })
                .collect()
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Tables) -> T) -> T {
        f(&mut self.tables.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Store for MemoryStore {
    fn get(&self, table: Table, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        Ok(self.with(|t| t.get(&(table.name(), key.to_owned())).cloned()))
    }

    fn scan(&self, table: Table) -> Result<Records, StoreError> {
        Ok(self.with(|t| {
            t.iter()
                .filter(|((name, _), _)| *name == table.name())
                .map(|((_, k), v)| (k.clone(), v.clone()))
                .collect()
        }))
    }

    fn keys(&self, table: Table) -> Result<Vec<String>, StoreError> {
        Ok(self.scan(table)?.into_iter().map(|(k, _)| k).collect())
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.with(|t| {
            for op in batch.0 {
                match op {
                    Op::Put { table, key, value } => {
                        t.insert((table.name(), key), value);
                    }
                    Op::Delete { table, key } => {
                        t.remove(&(table.name(), key));
                    }
                }
            }
        });
        Ok(())
    }

    fn check(&self) -> Result<CheckReport, StoreError> {
        let readable = Table::ALL
            .iter()
            .map(|table| Ok((table.name(), self.keys(*table)?.len())))
            .collect::<Result<_, StoreError>>()?;
        Ok(CheckReport {
            schema_version: super::SCHEMA_VERSION,
            readable,
            damaged: Vec::new(),
        })
    }

    fn drop_damaged(&self, damaged: &[DamagedRecord]) -> Result<(), StoreError> {
        self.with(|t| {
            for d in damaged {
                t.remove(&(d.table, d.key.clone()));
            }
        });
        Ok(())
    }
}
