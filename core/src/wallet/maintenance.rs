//! Looking after the store: a full check, dropping what is damaged, and the readable export
//! that comes before a reset.

use super::handbooks::decode;
use super::{Wallet, WalletError};
use crate::model::{Handbook, HandbookId};
use crate::store::{CheckReport, DamagedRecord, StoreError, Table};

/// Everything readable in a store, for `techo store export`.
#[derive(Debug)]
pub struct Export {
    pub schema_version: u32,
    pub handbooks: Vec<Handbook>,
    pub photos: Vec<(HandbookId, Vec<u8>)>,
    /// Page images: handbook, page number (0-based), cleaned bytes.
    pub pages: Vec<(HandbookId, usize, Vec<u8>)>,
    /// The support profile, when it reads.
    pub support: Option<crate::model::SupportProfile>,
    pub damaged: Vec<DamagedRecord>,
}

impl Wallet {
    /// What opening restored from the store's second copy after damage (say it to the holder).
    pub fn store_recovery(&self) -> Option<crate::store::Recovery> {
        self.store.recovered()
    }

    /// Opens every record, and decodes every handbook, without stopping at the first problem.
    pub fn check(&self) -> Result<CheckReport, WalletError> {
        let mut report = self.store.check()?;
        let unreadable: Vec<String> = report
            .damaged
            .iter()
            .filter(|d| d.table == Table::Handbooks.name())
            .map(|d| d.key.clone())
            .collect();
        for key in self.store.keys(Table::Handbooks)? {
            if unreadable.contains(&key) {
                continue;
            }
            if let Some(value) = self.store.get(Table::Handbooks, &key)? {
                if let Err(StoreError::Corrupt { table, key, why }) = decode(&key, &value) {
                    report.damaged.push(DamagedRecord { table, key, why });
                }
            }
        }
        Ok(report)
    }

    /// Deletes what a check found damaged.
    pub fn drop_damaged(&self, damaged: &[DamagedRecord]) -> Result<(), WalletError> {
        Ok(self.store.drop_damaged(damaged)?)
    }

    /// Every readable handbook and photo, plus a list of what could not be read.
    pub fn export(&self) -> Result<Export, WalletError> {
        let report = self.check()?;
        let is_damaged = |table: Table, key: &str| {
            report
                .damaged
                .iter()
                .any(|d| d.table == table.name() && d.key == key)
        };
        let mut handbooks = Vec::new();
        let mut photos = Vec::new();
        let mut pages = Vec::new();
        for key in self.store.keys(Table::Handbooks)? {
            if is_damaged(Table::Handbooks, &key) {
                continue;
            }
            if let Some(value) = self.store.get(Table::Handbooks, &key)? {
                let hb = decode(&key, &value)?;
                if !is_damaged(Table::Photos, &key) {
                    if let Some(p) = self.store.get(Table::Photos, &key)? {
                        photos.push((hb.id.clone(), p.to_vec()));
                    }
                }
                for n in 0..hb.pages.len() {
                    if let Ok(Some(bytes)) = self.page(&hb.id, n) {
                        pages.push((hb.id.clone(), n, bytes));
                    }
                }
                handbooks.push(hb);
            }
        }
        Ok(Export {
            schema_version: report.schema_version,
            handbooks,
            photos,
            pages,
            support: self.support_profile().ok().filter(|p| !p.is_empty()),
            damaged: report.damaged,
        })
    }
}
