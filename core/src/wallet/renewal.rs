//! Staying linked without the card: before the credentials run out the wallet asks techo-server
//! for a fresh batch under the holder's standing consent, signed by a key of the current batch.
//! The portal's answer moves the linkage through the same state machine as a linkage does.

use super::{Wallet, WalletError};
use crate::linkage::{Event, LinkError};
use crate::model::HandbookId;
use crate::portal::TechoClient;
use crate::portal::dto::{DeviceKeyDto, LinkageStatus, RenewRequest, consent_ended};
use crate::store::{Batch, Table};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// A batch is renewed this many days before its last credential runs out.
pub const RENEW_DAYS_AHEAD: i64 = 7;
/// Settings key prefix: when to ask again after the portal could not answer.
const RENEW_AFTER: &str = "renew_after/";

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

    /// Asks for a fresh batch without the card (see [`Renewal`]). New device keys are made
    /// first and deleted again unless the batch arrives.
    pub async fn renew(&self, client: &TechoClient, id: &HandbookId) -> Result<Renewal, LinkError> {
        let hb = self.get(id)?;
        let session = match &hb.linkage {
            crate::model::LinkageState::Linked { session, .. } if !session.is_empty() => {
                session.clone()
            }
            _ => return Err(LinkError::NoSession),
        };
        let held = self.credentials(id)?;
        let signer_alias = held
            .iter()
            .max_by_key(|c| c.not_after)
            .map(|c| c.device_key.clone())
            .ok_or_else(|| WalletError::NoCredential(id.to_string()))?;
        let signer = self.device_key(&signer_alias)?;
        let mut aliases: Vec<&str> = held.iter().map(|c| c.device_key.as_str()).collect();
        aliases.sort_unstable();
        aliases.dedup();
        let keys = self.create_device_keys(aliases.len().clamp(1, 64))?;
        let new_aliases: Vec<String> = keys.iter().map(|(a, _)| a.clone()).collect();
        let outcome = async {
            let mut req = RenewRequest {
                idempotency_key: crate::hex::random(16),
                signed_at: self.now(),
                signer_hex: crate::hex::encode(
                    &signer
                        .public_key()
                        .map_err(|e| WalletError::from(crate::token::PresentError::from(e)))?
                        .compressed(),
                ),
                device_keys: keys
                    .iter()
                    .map(|(alias, pk)| DeviceKeyDto {
                        alias: alias.clone(),
                        public_hex: crate::hex::encode(&pk.compressed()),
                    })
                    .collect(),
                signature_hex: String::new(),
            };
            let signature = signer
                .sign(&req.signed_bytes(&session))
                .map_err(|e| WalletError::from(crate::token::PresentError::from(e)))?;
            req.signature_hex = crate::hex::encode(&signature);
            Ok::<_, LinkError>(client.renew(&session, &req).await?)
        }
        .await;
        let status = match outcome {
            Ok(status) => status,
            Err(e) => {
                self.delete_device_keys(&new_aliases)?;
                return Err(e);
            }
        };
        let keep_new_keys =
            matches!(&status, LinkageStatus::Linked { credentials, .. } if !credentials.is_empty());
        if !keep_new_keys {
            self.delete_device_keys(&new_aliases)?;
        }
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
                    let _ = client.acknowledge(&session).await;
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
