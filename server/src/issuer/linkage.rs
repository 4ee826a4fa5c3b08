//! Linkage work over the store and the portal: querying the portal and issuing, writing a
//! result unless something changed the session meanwhile, the retry scheduler, and ending
//! exchanges a crash interrupted.

use super::linkage_rules::claims_for;
use super::portal_client::{Outcome, backoff};
use super::state::ServerState;
use super::store::{self, ServerStore, SessionRecord, SessionState};
use techo_core::token::{HandbookClaims, PublicKey, Status};

/// How long an exchange may hold a session before it is taken as interrupted (a crash): far
/// past the request time limit.
pub(crate) const EXCHANGE_LEASE_MINUTES: i64 = 10;

impl ServerState {
    /// Queries the portal for a session that holds an access token, and moves it on. `stored`
    /// is the session as read from the store: the result is written only if nothing changed it
    /// meanwhile (a revocation or a withdrawal during the portal query wins, and what was just
    /// issued is revoked with it).
    pub(crate) async fn query_and_issue(
        &self,
        stored: &SessionRecord,
        mut s: SessionRecord,
        token: String,
        consent_id: String,
        attempts: u32,
    ) -> Result<SessionRecord, String> {
        let now = self.now();
        let today = self.clock.today_jst();
        // Kept for renewal (linked) or the next try (pending): sealed for this session.
        let sealed = self
            .keys
            .sealer()
            .seal(&token, &s.id)
            .map_err(|e| e.to_string())?;
        s.state = match self.portal.as_of(&token, today).await {
            Outcome::Ok(records) => match claims_for(&records, &s, today) {
                Ok(claims) => {
                    let (creds, valid_until) = self.issue_for(&s, &claims, today).await?;
                    // The portal records go out of scope here: only the credential keeps facts.
                    s.access_token = Some(sealed);
                    SessionState::Linked {
                        consent_id,
                        valid_until,
                        credentials: Some(creds),
                    }
                }
                Err((error, message)) => SessionState::Failed { error, message },
            },
            Outcome::Later { reason, next_try } => {
                let attempts = attempts + 1;
                let next_try = next_try.unwrap_or(now + backoff(attempts)).max(now);
                tracing::info!(session = %s.id, %reason, %next_try, "pending");
                SessionState::Pending {
                    access_token: sealed,
                    consent_id,
                    reason,
                    next_try,
                    attempts,
                }
            }
            Outcome::Failed { error, message } => SessionState::Failed { error, message },
        };
        let written = self.write_unless_changed(stored, s).await?;
        if let SessionState::Linked {
            credentials: Some(c),
            ..
        } = &written.state
        {
            // Said once it is stored, never before: a crash in between leaves no false "linked".
            tracing::info!(session = %written.id, credentials = c.len(), "linked");
        }
        Ok(written)
    }

    /// How long a status index stays with its holder: the longest validity a credential may
    /// have, plus a day for the inclusive last day in Japan time and a day for verifiers'
    /// clocks. After it, no credential that used the index can verify (docs/token-spec.md,
    /// "Index reuse").
    pub const INDEX_KEPT_DAYS: i64 = techo_core::token::credential::MAX_VALIDITY_DAYS as i64 + 2;

    /// Exchanges a crash interrupted (the session still claimed long past any request's time
    /// limit) end as failed, and whatever they may have issued is revoked: nobody received it.
    /// The app sees "failed" and the holder links again. Returns how many were ended.
    pub async fn fail_interrupted_exchanges(&self) -> usize {
        let now = self.now();
        let cutoff = now - chrono::Duration::minutes(EXCHANGE_LEASE_MINUTES);
        let Ok(sessions) = self.store.sessions().await else {
            return 0;
        };
        let mut ended = 0;
        for stored in sessions.into_iter().filter(|s| {
            matches!(s.state, SessionState::AwaitingCode)
                && s.exchanging_since.is_some_and(|t| t <= cutoff)
        }) {
            let mut s = stored.clone();
            s.exchanging_since = None;
            s.state = SessionState::Failed {
                error: "interrupted".into(),
                message: "the server stopped while linking: link again with the card".into(),
            };
            if matches!(self.store.replace_session(&stored, &s).await, Ok(true))
                && set_issuer_status(self, &s.id, Status::Revoked)
                    .await
                    .is_ok()
            {
                tracing::warn!(session = %s.id, "an interrupted linkage was ended as failed");
                ended += 1;
            }
        }
        ended
    }

    /// Credentials for `claims`, one pair per device key of `s`, each at a fresh status index;
    /// with the last day they are all valid.
    pub(crate) async fn issue_for(
        &self,
        s: &SessionRecord,
        claims: &HandbookClaims,
        today: chrono::NaiveDate,
    ) -> Result<(Vec<techo_core::token::HeldCredential>, chrono::NaiveDate), String> {
        let keys: Vec<(String, PublicKey)> = s
            .device_keys
            .iter()
            .filter_map(|k| {
                let pk = techo_core::hex::decode(&k.public_hex)
                    .and_then(|b| PublicKey::from_sec1(&b).ok())?;
                Some((k.alias.clone(), pk))
            })
            .collect();
        let space = self.status_space().await?;
        let allocated = match self
            .store
            .allocate_indices(&s.id, keys.len(), self.now(), space)
            .await
        {
            // Lists are added by the publishing pass; one more pass makes room now.
            Err(store::StoreError::StatusListFull) => {
                self.publish_status_lists().await?;
                let space = self.status_space().await?;
                self.store
                    .allocate_indices(&s.id, keys.len(), self.now(), space)
                    .await
            }
            other => other,
        };
        let status: Vec<techo_core::token::StatusRef> = allocated
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|global| self.cfg.status.status_ref(global))
            .collect();
        let creds = self
            .keys
            .issue(claims, &keys, today, &status)
            .map_err(|e| e.to_string())?;
        let valid_until = creds.iter().map(|c| c.not_after).min().unwrap_or(today);
        Ok((creds, valid_until))
    }

    /// Writes `s` if the stored session is still `stored`; otherwise the other change wins
    /// (a revocation, a suspension, a withdrawal), its status is applied again to every index of
    /// the session (indices this request allocated included), and the stored session returns.
    pub(crate) async fn write_unless_changed(
        &self,
        stored: &SessionRecord,
        s: SessionRecord,
    ) -> Result<SessionRecord, String> {
        if self
            .store
            .replace_session(stored, &s)
            .await
            .map_err(|e| e.to_string())?
        {
            return Ok(s);
        }
        let current = self
            .store
            .session(&s.id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the session disappeared")?;
        let status = match current.state {
            SessionState::Suspended { .. } => Some(Status::Suspended),
            SessionState::Revoked { .. } | SessionState::Failed { .. } => Some(Status::Revoked),
            _ => None,
        };
        if let Some(status) = status {
            set_issuer_status(self, &s.id, status).await?;
        }
        tracing::info!(session = %s.id, state = current.state.name(), "changed while it ran: the other change wins");
        Ok(current)
    }

    /// Runs every pending request whose time has come and that no other process holds; returns
    /// how many were tried. Each is leased to this process while it runs (two minutes, past the
    /// portal timeout), so processes sharing a database never run the same request twice.
    pub async fn retry_due(&self) -> usize {
        let now = self.now();
        let due = match self
            .store
            .claim_due(now, chrono::Duration::minutes(2), &self.worker, 100)
            .await
        {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "cannot read pending requests");
                return 0;
            }
        };
        let n = due.len();
        for s in due {
            if let SessionState::Pending {
                access_token,
                consent_id,
                attempts,
                ..
            } = s.state.clone()
            {
                let stored = s.clone();
                let tried = match self.keys.sealer().open(&access_token, &s.id) {
                    Ok(token) => {
                        self.query_and_issue(&stored, s, token, consent_id, attempts)
                            .await
                    }
                    // The token cannot be opened (the record altered, or another key's
                    // database): the request fails with what to do, nothing is sent.
                    Err(e) => {
                        let mut failed = s;
                        failed.state = SessionState::Failed {
                            error: "relink_needed".into(),
                            message: e.to_string(),
                        };
                        self.write_unless_changed(&stored, failed).await
                    }
                };
                if let Err(e) = tried {
                    tracing::error!(error = %e, "retry failed");
                }
            }
        }
        if n > 0 {
            self.changed.notify_waiters();
        }
        n
    }
}

pub(crate) async fn set_issuer_status(
    st: &ServerState,
    id: &str,
    status: Status,
) -> Result<(), String> {
    st.store
        .set_status(id, status, st.now())
        .await
        .map_err(|e| e.to_string())?;
    st.publish_change().await
}
