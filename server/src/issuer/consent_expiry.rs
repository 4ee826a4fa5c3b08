//! The consented period ends: what the server kept under it is purged and what was issued is
//! revoked (seed 004 §3.2: the data is kept only for the consented period). Run from the
//! background loop with the retries; expired consents are leased like pending requests, so
//! processes sharing a database purge each one once.

use super::linkage::set_issuer_status;
use super::state::ServerState;
use super::store::{ConsentEntry, ServerStore, SessionRecord, SessionState};
use techo_core::token::Status;

/// How long one process holds an expired consent while it purges it.
const LEASE_MINUTES: i64 = 2;
/// Consents purged per pass.
const PER_PASS: usize = 100;

/// Removes from a session what came from the holder or the portal under the consent: the
/// portal's access token, the device keys, the photo digest and the handbook's number and
/// municipality. The session's id and state stay (the app learns it was revoked).
pub(crate) fn forget_portal_data(s: &mut SessionRecord) {
    s.device_keys.clear();
    s.access_token = None;
    s.photo_sha256_hex = None;
    s.handbook.number.clear();
    s.handbook.municipality_code.clear();
}

impl ServerState {
    /// Purges every consent whose period ended and that no other process holds; returns how
    /// many were purged.
    pub async fn purge_expired_consents(&self) -> usize {
        let now = self.now();
        let due = match self
            .store
            .claim_expired_consents(
                now,
                chrono::Duration::minutes(LEASE_MINUTES),
                &self.worker,
                PER_PASS,
            )
            .await
        {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "cannot read expired consents");
                return 0;
            }
        };
        let mut purged = 0;
        for consent in due {
            match self.purge(consent).await {
                Ok(()) => purged += 1,
                Err(e) => tracing::error!(error = %e, "purging an expired consent failed"),
            }
        }
        if purged > 0 {
            self.changed.notify_waiters();
        }
        purged
    }

    async fn purge(&self, mut consent: ConsentEntry) -> Result<(), String> {
        let id = consent.session_id.clone();
        if let Some(mut s) = self.store.session(&id).await.map_err(|e| e.to_string())? {
            // Linked, pending or suspended under this consent: revoked. A session already
            // revoked keeps its reason; either way nothing of the portal's stays.
            if !matches!(s.state, SessionState::Revoked { .. }) {
                s.state = SessionState::Revoked {
                    reason: "consent_expired".into(),
                };
            }
            forget_portal_data(&mut s);
            // A revocation wins over whatever is there (see `admin`), and the list follows.
            self.store
                .put_session(&s)
                .await
                .map_err(|e| e.to_string())?;
            set_issuer_status(self, &id, Status::Revoked).await?;
        }
        consent.purged_at = Some(self.now());
        self.store
            .put_consent(&consent)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(session = %id, "consent expired: credentials revoked, data purged");
        Ok(())
    }
}
