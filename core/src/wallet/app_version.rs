//! Whether this app is still new enough: the issuer's signed trust list names the oldest
//! display-token format it accepts, and an app that makes only older ones shows "update the app"
//! on the counter screen (`screen::build`'s banner). The wallet keeps the last minimum it saw in
//! a trust list checked under the root it trusts.

use super::directory::pinned_root;
use super::{Wallet, WalletError};
use crate::linkage::LinkError;
use crate::portal::{ClientError, TechoClient};
use crate::store::{Batch, Table};
use crate::token::{PublicKey, TrustList};

const MIN_TOKEN_VERSION: &str = "min_token_version";

impl Wallet {
    /// The oldest display-token format the issuer accepts, as last seen; this app's own format
    /// until a trust list has been seen.
    pub fn min_token_version(&self) -> Result<u32, WalletError> {
        Ok(self
            .store
            .get(Table::Settings, MIN_TOKEN_VERSION)?
            .and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok())
            .unwrap_or(crate::screen::TOKEN_VERSION))
    }

    /// Keeps `trust`'s minimum (a list already checked under the trusted root).
    pub(crate) fn note_trust_list(&self, trust: &TrustList) -> Result<(), WalletError> {
        if self.min_token_version()? != trust.min_token_version {
            self.store.commit(Batch::new().put(
                Table::Settings,
                MIN_TOKEN_VERSION,
                trust.min_token_version.to_string().into_bytes(),
            ))?;
        }
        Ok(())
    }

    /// Fetches the trust list, checks it under the root this wallet pinned at its first
    /// directory sync (else the root techo-server states over its pinned TLS), and keeps its
    /// minimum token version. Run by `keep_linked`.
    pub async fn check_app_version(&self, client: &TechoClient) -> Result<u32, LinkError> {
        let untrusted = |e: String| LinkError::Client(ClientError::Untrusted(e));
        let root = match pinned_root(self)? {
            Some(root) => root,
            None => client.root_key().await?,
        };
        let root = PublicKey::from_sec1(&root).map_err(|e| untrusted(e.to_string()))?;
        let trust = TrustList::from_signed(&client.trust_list().await?, &root, None)
            .map_err(|e| untrusted(e.to_string()))?;
        self.note_trust_list(&trust)?;
        Ok(trust.min_token_version)
    }
}
