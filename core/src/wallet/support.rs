//! The holder's support profile, kept encrypted in the settings table. Self-declared: it is
//! shown and carried apart from issuer-verified facts.

use super::{Wallet, WalletError};
use crate::model::{SupportError, SupportProfile};
use crate::store::{Batch, StoreError, Table};

const SUPPORT_PROFILE: &str = "support_profile";

impl Wallet {
    /// The support profile (empty until the holder sets one).
    pub fn support_profile(&self) -> Result<SupportProfile, WalletError> {
        match self.store.get(Table::Settings, SUPPORT_PROFILE)? {
            None => Ok(SupportProfile::default()),
            Some(v) => serde_json::from_slice(&v).map_err(|e| {
                StoreError::Corrupt {
                    table: Table::Settings.name(),
                    key: SUPPORT_PROFILE.into(),
                    why: e.to_string(),
                }
                .into()
            }),
        }
    }

    /// Replaces the support profile after checking it; an empty profile removes it.
    pub fn set_support_profile(&self, profile: &SupportProfile) -> Result<(), WalletError> {
        profile.validate()?;
        let batch = if profile.is_empty() {
            Batch::new().delete(Table::Settings, SUPPORT_PROFILE)
        } else {
            let json = serde_json::to_vec(profile).map_err(StoreError::io)?;
            Batch::new().put(Table::Settings, SUPPORT_PROFILE, json)
        };
        Ok(self.store.commit(batch)?)
    }
}

impl From<SupportError> for WalletError {
    fn from(e: SupportError) -> Self {
        WalletError::Support(e)
    }
}
