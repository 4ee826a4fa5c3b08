//! The operator directory's offline copy, kept encrypted in the settings table.

use super::{Wallet, WalletError};
use crate::directory::Directory;
use crate::store::{Batch, StoreError, Table};

const DIRECTORY: &str = "operator_directory";

impl Wallet {
    /// The offline directory (empty until the first sync).
    pub fn directory(&self) -> Result<Directory, WalletError> {
        match self.store.get(Table::Settings, DIRECTORY)? {
            None => Ok(Directory::default()),
            Some(v) => serde_json::from_slice(&v).map_err(|e| {
                StoreError::Corrupt {
                    table: Table::Settings.name(),
                    key: DIRECTORY.into(),
                    why: e.to_string(),
                }
                .into()
            }),
        }
    }

    /// Stores a directory that was checked and applied.
    pub fn set_directory(&self, dir: &Directory) -> Result<(), WalletError> {
        let json = serde_json::to_vec(dir).map_err(StoreError::io)?;
        Ok(self
            .store
            .commit(Batch::new().put(Table::Settings, DIRECTORY, json))?)
    }
}
