//! The operator directory's offline copy, kept encrypted in the settings table.

use super::{Wallet, WalletError};
use crate::directory::{Directory, SyncError, Synced, sync};
use crate::portal::{ClientError, TechoClient};
use crate::store::{Batch, StoreError, Table};
use crate::token::{PublicKey, TrustList};

const DIRECTORY: &str = "operator_directory";
/// The root key the directory was first synced under (hex, SEC1): later syncs must match it.
const DIRECTORY_ROOT: &str = "directory_root";

/// A short, readable form of a root key for messages.
fn fingerprint(sec1: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, sec1);
    crate::hex::encode(&digest.as_ref()[..8])
}

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

    /// Brings the offline directory up to date from techo-server, checked under the root key
    /// this wallet trusted at its first sync (pinned then). A server offering another root is
    /// refused and the directory kept, unless `trust_new_root` (the issuer announced a rollover).
    pub async fn sync_directory(
        &self,
        client: &TechoClient,
        trust_new_root: bool,
    ) -> Result<Synced, SyncError> {
        let store = |e: WalletError| SyncError::Store(e.to_string());
        let offered = client.root_key().await?;
        let pinned = pinned_root(self).map_err(store)?;
        let new_root = pinned.as_ref().is_some_and(|p| *p != offered);
        if let Some(pinned) = pinned.as_ref().filter(|_| new_root && !trust_new_root) {
            return Err(SyncError::RootChanged {
                pinned: fingerprint(pinned),
                offered: fingerprint(&offered),
            });
        }
        let root = PublicKey::from_sec1(&offered)
            .map_err(|e| SyncError::Client(ClientError::Untrusted(e.to_string())))?;
        let trust = TrustList::from_signed(&client.trust_list().await?, &root, None)
            .map_err(|e| SyncError::Client(ClientError::Untrusted(e.to_string())))?;
        // Under a new root nothing of the old directory carries over: fetched whole.
        let mut dir = if new_root {
            Directory::default()
        } else {
            self.directory().map_err(store)?
        };
        let synced = sync(client, &trust, &mut dir).await?;
        self.note_trust_list(&trust).map_err(store)?;
        let json = serde_json::to_vec(&dir).map_err(|e| SyncError::Store(e.to_string()))?;
        self.store
            .commit(Batch::new().put(Table::Settings, DIRECTORY, json).put(
                Table::Settings,
                DIRECTORY_ROOT,
                crate::hex::encode(&offered).into_bytes(),
            ))
            .map_err(|e| store(e.into()))?;
        Ok(synced)
    }
}

/// The root key this wallet pinned at its first directory sync, if any.
pub(super) fn pinned_root(w: &Wallet) -> Result<Option<Vec<u8>>, WalletError> {
    Ok(w.store
        .get(Table::Settings, DIRECTORY_ROOT)?
        .and_then(|v| crate::hex::decode(&String::from_utf8_lossy(&v))))
}
