//! `TechoService`: the connection to techo-server (linkage, trust and status lists).

use crate::TechoError;
use crate::verifier::Verifier;
use std::sync::Arc;
use techo_core::portal::TechoClient;
use techo_core::token::{PublicKey, VerifierBundle};

#[derive(Debug, uniffi::Object)]
pub struct TechoService {
    pub(crate) client: TechoClient,
}

#[uniffi::export(async_runtime = "tokio")]
impl TechoService {
    /// `server_url` is techo-server's https URL; `root_ca_pem` the CA its certificate chains to
    /// (pinned: no other root is trusted).
    #[uniffi::constructor]
    pub fn new(server_url: String, root_ca_pem: String) -> Result<Arc<Self>, TechoError> {
        let client = TechoClient::new(
            &server_url,
            &root_ca_pem,
            std::time::Duration::from_secs(60),
        )?;
        Ok(Arc::new(Self { client }))
    }

    /// The issuer's root public key as the server states it. A verifier should pin the key it
    /// shipped with and use this only to notice a rollover.
    pub async fn root_key(&self) -> Result<Vec<u8>, TechoError> {
        Ok(self.client.root_key().await?)
    }

    /// Fetches the trust and status lists and checks them against `pinned_root_key`: a verifier
    /// ready for offline use until the status lists' freshness runs out.
    pub async fn fetch_verifier(
        &self,
        pinned_root_key: Vec<u8>,
    ) -> Result<Arc<Verifier>, TechoError> {
        self.refresh_verifier(pinned_root_key, None).await
    }

    /// Staff mode's refresh: with `saved` (what the last verifier's `saved()` gave), each status
    /// list catches up by one small signed delta, or is fetched whole when the server no longer
    /// has the versions held; without it, everything is fetched. Keep the new verifier's
    /// `saved()`. On an error (offline, a list older than the one held) use
    /// `Verifier.fromSaved` and show the lists' age.
    pub async fn refresh_verifier(
        &self,
        pinned_root_key: Vec<u8>,
        saved: Option<Vec<u8>>,
    ) -> Result<Arc<Verifier>, TechoError> {
        let root = PublicKey::from_sec1(&pinned_root_key).map_err(TechoError::bad)?;
        // A damaged saved copy is simply not used: everything is fetched again.
        let saved = saved.and_then(|b| VerifierBundle::from_bytes(&b).ok());
        let r = self.client.refresh_verifier(&root, saved.as_ref()).await?;
        Ok(Verifier::refreshed(
            r.trust,
            r.status,
            r.bundle,
            r.sync.bytes(),
        ))
    }
}
