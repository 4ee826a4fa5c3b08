//! `TechoService`: the connection to techo-server (linkage, trust and status lists).

use crate::TechoError;
use crate::verifier::Verifier;
use std::sync::Arc;
use techo_core::portal::TechoClient;

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
    /// ready for offline use until the status list's freshness runs out.
    pub async fn fetch_verifier(
        &self,
        pinned_root_key: Vec<u8>,
    ) -> Result<Arc<Verifier>, TechoError> {
        let trust = self.client.trust_list().await?;
        let status = self.client.status_list(1).await?;
        Verifier::new(pinned_root_key, trust, vec![status])
    }
}
