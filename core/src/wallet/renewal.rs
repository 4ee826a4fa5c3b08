//! Staying linked without the card: before the credentials run out the wallet asks techo-server
//! for a fresh batch under the holder's standing consent, signed by a key of the current batch.
//! The portal's answer moves the linkage through the same state machine as a linkage does.

use super::keep_linked::CONSENT_WARNED;
use super::{Wallet, WalletError};
use crate::linkage::{Event, LinkError};
use crate::model::HandbookId;
use crate::portal::dto::{DeviceKeyDto, LinkageStatus, RenewRequest, consent_ended};
use crate::portal::{ClientError, TechoClient};
use crate::store::{Batch, Table};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// A batch is renewed this many days before its last credential runs out.
pub const RENEW_DAYS_AHEAD: i64 = 7;
/// Settings key prefix: when to ask again after the portal could not answer.
const RENEW_AFTER: &str = "renew_after/";
/// Settings key prefix: a renewal request sent and not yet answered.
const IN_FLIGHT: &str = "renewal_in_flight/";

/// What a renewal came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// A fresh batch: 連携済 until `valid_until`.
    Renewed { valid_until: NaiveDate },
    /// The portal could not answer now: the current credentials stay good; asked again at
    /// `next_try` (申請中 for the renewal only).
    Later {
        reason: String,
        next_try: DateTime<Utc>,
    },
    /// The issuer revoked the linkage (the handbook was returned, reissued or is no longer on
    /// record): 未連携, with the reason.
    Revoked { reason: String },
    /// The consent ended or expired: only the card can link again (カードで再連携が必要).
    NeedsCard { reason: String },
}

impl Wallet {
    /// Whether `id` should be renewed now: linked, its credentials run out within
    /// [`RENEW_DAYS_AHEAD`] days (or already have), and no "ask again later" is pending.
    pub fn renewal_due(&self, id: &HandbookId) -> Result<bool, WalletError> {
        Ok(self.get(id)?.linkage.is_linked() && self.renewal_time(id)? <= self.now())
    }

    /// When `id`'s batch is to be renewed: [`RENEW_DAYS_AHEAD`] days before its last credential
    /// runs out (midnight, Japan time), or later if the portal asked to wait.
    pub fn renewal_time(&self, id: &HandbookId) -> Result<DateTime<Utc>, WalletError> {
        let last = self.credentials(id)?.iter().map(|c| c.not_after).max();
        let from_validity = last.map_or(DateTime::<Utc>::MIN_UTC, |last| {
            (last - Duration::days(RENEW_DAYS_AHEAD))
                .and_time(chrono::NaiveTime::MIN)
                .and_local_timezone(crate::clock::jst())
                .single()
                .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
        });
        Ok(self
            .renew_after(id)?
            .map_or(from_validity, |after| after.max(from_validity)))
    }

    /// Asks for a fresh batch without the card (see [`Renewal`]). New device keys are made and
    /// the signed request is stored before it is sent: if the answer is lost (a timeout, the app
    /// killed) the next attempt sends the same request again and gets the same batch, never a
    /// second one, and never strands the linkage on keys the server no longer knows.
    pub async fn renew(&self, client: &TechoClient, id: &HandbookId) -> Result<Renewal, LinkError> {
        let hb = self.get(id)?;
        let session = match &hb.linkage {
            crate::model::LinkageState::Linked { session, .. } if !session.is_empty() => {
                session.clone()
            }
            _ => return Err(LinkError::NoSession),
        };
        let req = match self.renewal_in_flight(id)? {
            Some(req) => req,
            None => self.new_renewal(id, &session)?,
        };
        let new_aliases: Vec<String> = req.device_keys.iter().map(|k| k.alias.clone()).collect();
        let status = match client.renew(&session, &req).await {
            Ok(status) => status,
            // Refused (too old, not this linkage's key): the server issued nothing for it, so
            // the request and its keys go; the next attempt makes a new one.
            Err(e @ ClientError::Refused { .. }) => {
                self.delete_device_keys(&new_aliases)?;
                self.forget_in_flight(id)?;
                return Err(e.into());
            }
            // Unreachable, timed out, garbled: the answer may be lost, not the batch. The
            // request and its keys stay for the next attempt.
            Err(e) => return Err(e.into()),
        };
        if !matches!(status, LinkageStatus::Linked { .. }) {
            // Nothing was issued to them (later, revoked). A 連携済 answer keeps them: either
            // the batch is in it, or it was delivered before (the app stopped before it noted
            // so) and the stored credentials use them.
            self.delete_device_keys(&new_aliases)?;
        }
        let outcome = self.apply_renewal(client, id, &session, status).await?;
        // Only once the batch is stored: a stop in between replays the same request.
        self.forget_in_flight(id)?;
        Ok(outcome)
    }

    /// Stores what the server answered a renewal.
    async fn apply_renewal(
        &self,
        client: &TechoClient,
        id: &HandbookId,
        session: &str,
        status: LinkageStatus,
    ) -> Result<Renewal, WalletError> {
        Ok(match status {
            LinkageStatus::Linked {
                credentials,
                valid_until,
                consent_until,
            } => {
                if !credentials.is_empty() {
                    let event = Event::Linked {
                        valid_until,
                        consent_until,
                    };
                    self.record(id, &event, Some(&credentials))?;
                    let _ = client.acknowledge(session).await;
                }
                self.set_renew_after(id, None)?;
                Renewal::Renewed { valid_until }
            }
            LinkageStatus::Pending { reason, next_try } => {
                self.set_renew_after(id, Some(next_try))?;
                Renewal::Later { reason, next_try }
            }
            LinkageStatus::Revoked { reason } if consent_ended(&reason) => {
                self.card_needed(id, reason)?
            }
            // A linkage from before renewals existed, or one the server no longer holds as
            // linked: only the card can renew it.
            LinkageStatus::Failed { error: reason, .. } => self.card_needed(id, reason)?,
            LinkageStatus::AwaitingCode => self.card_needed(id, "not_linked".into())?,
            LinkageStatus::Revoked { reason } => {
                self.record(id, &Event::Revoked, Some(&[]))?;
                self.set_renew_after(id, None)?;
                Renewal::Revoked { reason }
            }
            LinkageStatus::Suspended => {
                self.record(id, &Event::Revoked, Some(&[]))?;
                Renewal::Revoked {
                    reason: "suspended".into(),
                }
            }
        })
    }

    /// カードで再連携が必要: recorded, with the credentials dropped (the server revoked them or
    /// will not renew them).
    fn card_needed(&self, id: &HandbookId, reason: String) -> Result<Renewal, WalletError> {
        self.record(
            id,
            &Event::CardNeeded {
                reason: reason.clone(),
            },
            Some(&[]),
        )?;
        self.set_renew_after(id, None)?;
        Ok(Renewal::NeedsCard { reason })
    }

    /// New device keys for the next batch and the request naming them, signed by the key of the
    /// current batch that lasts longest, stored before anything is sent.
    fn new_renewal(&self, id: &HandbookId, session: &str) -> Result<RenewRequest, WalletError> {
        let held = self.credentials(id)?;
        let signer_alias = held
            .iter()
            .max_by_key(|c| c.not_after)
            .map(|c| c.device_key.clone())
            .ok_or_else(|| WalletError::NoCredential(id.to_string()))?;
        let signer = self.device_key(&signer_alias)?;
        let signer_hex = crate::hex::encode(
            &signer
                .public_key()
                .map_err(|e| WalletError::from(crate::token::PresentError::from(e)))?
                .compressed(),
        );
        let mut aliases: Vec<&str> = held.iter().map(|c| c.device_key.as_str()).collect();
        aliases.sort_unstable();
        aliases.dedup();
        let keys = self.create_device_keys(aliases.len().clamp(1, 64))?;
        let mut req = RenewRequest {
            idempotency_key: crate::hex::random(16),
            signed_at: self.now(),
            signer_hex,
            device_keys: keys
                .iter()
                .map(|(alias, pk)| DeviceKeyDto {
                    alias: alias.clone(),
                    public_hex: crate::hex::encode(&pk.compressed()),
                })
                .collect(),
            signature_hex: String::new(),
        };
        let signed = signer
            .sign(&req.signed_bytes(session))
            .map_err(|e| WalletError::from(crate::token::PresentError::from(e)));
        let signature = match signed {
            Ok(s) => s,
            Err(e) => {
                // Locked phone, cancelled prompt: nothing was sent, nothing is kept.
                let made: Vec<String> = keys.into_iter().map(|(a, _)| a).collect();
                self.delete_device_keys(&made)?;
                return Err(e);
            }
        };
        req.signature_hex = crate::hex::encode(&signature);
        // Strings and a time: serialising cannot fail (an empty value would only mean a fresh
        // request next time).
        let bytes = serde_json::to_vec(&req).unwrap_or_default();
        self.store
            .commit(Batch::new().put(Table::Settings, format!("{IN_FLIGHT}{id}"), bytes))?;
        Ok(req)
    }

    fn forget_in_flight(&self, id: &HandbookId) -> Result<(), WalletError> {
        Ok(self
            .store
            .commit(Batch::new().delete(Table::Settings, format!("{IN_FLIGHT}{id}")))?)
    }

    /// Adds to `batch` the deletion of what renewals keep for `id` (a request in flight and the
    /// device keys it made, when to ask again, the consent end already warned of): the
    /// linkage ended or the handbook is gone. Returns the key aliases to forget in the platform
    /// keystore once the batch is committed.
    pub(crate) fn renewal_state_dropped(
        &self,
        mut batch: Batch,
        id: &HandbookId,
    ) -> Result<(Batch, Vec<String>), WalletError> {
        let mut dropped = Vec::new();
        for key in self
            .renewal_in_flight(id)?
            .into_iter()
            .flat_map(|r| r.device_keys)
        {
            batch = batch.delete(Table::DeviceKeys, key.alias.clone());
            dropped.push(key.alias);
        }
        for prefix in [IN_FLIGHT, RENEW_AFTER, CONSENT_WARNED] {
            batch = batch.delete(Table::Settings, format!("{prefix}{id}"));
        }
        Ok((batch, dropped))
    }

    /// A renewal sent before whose answer never arrived.
    fn renewal_in_flight(&self, id: &HandbookId) -> Result<Option<RenewRequest>, WalletError> {
        Ok(self
            .store
            .get(Table::Settings, &format!("{IN_FLIGHT}{id}"))?
            .and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// While a renewal waits for the portal (closed, failing): what the holder is told beside
    /// 連携済. The code on screen keeps working meanwhile.
    pub fn renewal_notice(
        &self,
        id: &HandbookId,
        lang: crate::Lang,
    ) -> Result<Option<String>, WalletError> {
        if !self.get(id)?.linkage.is_linked() {
            return Ok(None);
        }
        Ok(self.renew_after(id)?.filter(|t| *t > self.now()).map(|t| {
            let at = t
                .with_timezone(&crate::clock::jst())
                .format("%m/%d %H:%M")
                .to_string();
            match lang {
                crate::Lang::Ja => format!(
                    "証明書の更新はマイナポータルの再開を待っています（次回 {at}）。今の画面はそのまま使えます。"
                ),
                crate::Lang::En => format!(
                    "Renewing the credentials waits for the portal (next try {at} JST). The screen keeps working meanwhile."
                ),
            }
        }))
    }

    fn renew_after(&self, id: &HandbookId) -> Result<Option<DateTime<Utc>>, WalletError> {
        Ok(self
            .store
            .get(Table::Settings, &format!("{RENEW_AFTER}{id}"))?
            .and_then(|v| String::from_utf8(v.to_vec()).ok())
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    fn set_renew_after(
        &self,
        id: &HandbookId,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), WalletError> {
        let key = format!("{RENEW_AFTER}{id}");
        let batch = match at {
            Some(t) => Batch::new().put(Table::Settings, key, t.to_rfc3339().into_bytes()),
            None => Batch::new().delete(Table::Settings, key),
        };
        Ok(self.store.commit(batch)?)
    }
}
