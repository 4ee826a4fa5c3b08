//! Credentials and the device keys they are bound to.
//!
//! Only the linkage code stores credentials (with the state move that goes with them); the
//! public surface reads them. The development issuer path is here too, so the CLI's `techo
//! issuer issue`, previews and tests store credentials the same way linkage does.

use super::{Wallet, WalletError};
use crate::model::HandbookId;
use crate::store::{Batch, StoreError, Table};
use crate::token::keystore::{HARDWARE_PREFIX, StoredKey};
use crate::token::{
    DevIssuer, DeviceKey, DeviceKeyError, HandbookClaims, HeldCredential, PresentError, PublicKey,
    SoftwareKey,
};

/// New device keys: their aliases and public keys.
pub(crate) type NewKeys = Vec<(String, PublicKey)>;

impl Wallet {
    /// The credentials held for a handbook.
    pub fn credentials(&self, id: &HandbookId) -> Result<Vec<HeldCredential>, WalletError> {
        let hb = self.get(id)?;
        let mut out = Vec::new();
        for key in self.credential_keys(&hb.id)? {
            if let Some(v) = self.store.get(Table::Credentials, &key)? {
                out.push(serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                    table: Table::Credentials.name(),
                    key: key.clone(),
                    why: e.to_string(),
                })?);
            }
        }
        Ok(out)
    }

    /// Development and tests: a batch of `n` credentials from a local [`DevIssuer`] for the
    /// handbook's facts as they stand, bound to new device keys. The linkage state does not move:
    /// a development issuer is not the portal, so a 未連携 handbook stays 未連携 (its QR says so).
    pub fn issue_for_development(
        &self,
        id: &HandbookId,
        issuer: &mut DevIssuer,
        n: usize,
    ) -> Result<Vec<HeldCredential>, WalletError> {
        let hb = self.get(id)?;
        let creds = self.issue_locally(&hb.id, &HandbookClaims::from_handbook(&hb), issuer, n)?;
        let (batch, dropped) = self.credentials_replaced(Batch::new(), &hb.id, &creds)?;
        self.commit_forgetting(batch, &dropped)?;
        Ok(creds)
    }

    /// New keys, then credentials from `issuer` for them; the keys are deleted again if the
    /// issuer fails.
    pub(crate) fn issue_locally(
        &self,
        id: &HandbookId,
        claims: &HandbookClaims,
        issuer: &mut DevIssuer,
        n: usize,
    ) -> Result<Vec<HeldCredential>, WalletError> {
        let keys = self.create_device_keys(n.clamp(1, 64))?;
        match issuer.issue_batch(id.as_str(), claims, &keys, self.today()) {
            Ok(creds) => Ok(creds),
            Err(e) => {
                let aliases: Vec<String> = keys.into_iter().map(|(a, _)| a).collect();
                self.delete_device_keys(&aliases)?;
                Err(e.into())
            }
        }
    }

    /// Makes `n` device keys for a credential batch: in the platform keystore when there is one,
    /// else software P-256 keys sealed in the store. The store records every alias (with the
    /// public key for hardware keys), so a failed linkage or a withdrawal can delete them.
    pub(crate) fn create_device_keys(&self, n: usize) -> Result<NewKeys, WalletError> {
        let mut batch = Batch::new();
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let (alias, public, sealed) = if let Some(ks) = &self.keystore {
                let alias = format!("{HARDWARE_PREFIX}{}", HandbookId::random());
                let public = ks.create(&alias).map_err(|e| {
                    self.forget_hardware_keys(out.iter().map(|(a, _)| a));
                    WalletError::from(PresentError::DeviceKey(e))
                })?;
                let sec1 = public.uncompressed().to_vec();
                (alias, public, sec1)
            } else {
                let key = SoftwareKey::generate();
                let alias = format!("sw-{}", HandbookId::random());
                (alias, key.public(), key.pkcs8().to_vec())
            };
            batch = batch.put(Table::DeviceKeys, alias.clone(), sealed);
            out.push((alias, public));
        }
        if let Err(e) = self.store.commit(batch) {
            self.forget_hardware_keys(out.iter().map(|(a, _)| a));
            return Err(e.into());
        }
        Ok(out)
    }

    /// Deletes device keys that were never bound to a credential (a failed linkage).
    pub(crate) fn delete_device_keys(&self, aliases: &[String]) -> Result<(), WalletError> {
        let batch = aliases
            .iter()
            .fold(Batch::new(), |b, a| b.delete(Table::DeviceKeys, a.clone()));
        self.store.commit(batch)?;
        self.forget_hardware_keys(aliases.iter());
        Ok(())
    }

    /// Asks the platform keystore to delete keys the store no longer refers to. Best effort: a
    /// key left behind signs nothing any verifier accepts, since its credential is gone.
    pub(crate) fn forget_hardware_keys<'s>(&self, aliases: impl Iterator<Item = &'s String>) {
        if let Some(ks) = &self.keystore {
            for alias in aliases.filter(|a| a.starts_with(HARDWARE_PREFIX)) {
                let _ = ks.delete(alias);
            }
        }
    }

    pub(crate) fn device_key(&self, alias: &str) -> Result<Box<dyn DeviceKey>, WalletError> {
        let sealed = self
            .store
            .get(Table::DeviceKeys, alias)?
            .ok_or(PresentError::DeviceKey(DeviceKeyError::KeyLost))?;
        let corrupt = |why: &str| {
            WalletError::Store(StoreError::Corrupt {
                table: Table::DeviceKeys.name(),
                key: alias.to_owned(),
                why: why.into(),
            })
        };
        if alias.starts_with(HARDWARE_PREFIX) {
            // A store moved to another phone (or opened without its keystore) has no hardware
            // key: the holder links again on this phone.
            let store = self
                .keystore
                .clone()
                .ok_or(PresentError::DeviceKey(DeviceKeyError::KeyLost))?;
            let public = PublicKey::from_sec1(&sealed).map_err(|_| corrupt("not a P-256 point"))?;
            return Ok(Box::new(StoredKey {
                store,
                alias: alias.to_owned(),
                public,
            }));
        }
        let key = SoftwareKey::from_pkcs8(&sealed).map_err(|_| corrupt("not a P-256 key"))?;
        Ok(Box::new(key))
    }

    /// Adds to `batch` the handbook's credentials replaced by `creds` (empty: all dropped) and
    /// the deletion of the device keys no longer bound to any. Returns the aliases to forget in
    /// the platform keystore once the batch is committed ([`Self::commit_forgetting`]).
    pub(crate) fn credentials_replaced(
        &self,
        mut batch: Batch,
        id: &HandbookId,
        creds: &[HeldCredential],
    ) -> Result<(Batch, Vec<String>), WalletError> {
        let kept: Vec<&str> = creds.iter().map(|c| c.device_key.as_str()).collect();
        let mut dropped = Vec::new();
        for key in self.credential_keys(id)? {
            if let Some(v) = self.store.get(Table::Credentials, &key)? {
                // A record that does not decode still goes; its key alias is lost with it.
                if let Ok(c) = serde_json::from_slice::<HeldCredential>(&v) {
                    if !kept.contains(&c.device_key.as_str()) {
                        batch = batch.delete(Table::DeviceKeys, c.device_key.clone());
                        dropped.push(c.device_key);
                    }
                }
            }
            batch = batch.delete(Table::Credentials, key);
        }
        for (n, c) in creds.iter().enumerate() {
            let json = serde_json::to_vec(c).map_err(StoreError::io)?;
            batch = batch.put(Table::Credentials, format!("{id}/{n:03}"), json);
        }
        Ok((batch, dropped))
    }

    /// Commits `batch`, then asks the platform keystore to forget `dropped` keys.
    pub(crate) fn commit_forgetting(
        &self,
        batch: Batch,
        dropped: &[String],
    ) -> Result<(), WalletError> {
        self.store.commit(batch)?;
        self.forget_hardware_keys(dropped.iter());
        Ok(())
    }

    fn credential_keys(&self, id: &HandbookId) -> Result<Vec<String>, WalletError> {
        let prefix = format!("{id}/");
        Ok(self
            .store
            .keys(Table::Credentials)?
            .into_iter()
            .filter(|k| k.starts_with(&prefix))
            .collect())
    }
}
