//! Staying linked without the card: before the credentials run out the wallet asks techo-server
//! for a fresh batch under the holder's standing consent, signed by a key of the current batch.
//! The portal's answer moves the linkage through the same state machine as a linkage does.

use super::{Wallet, WalletError};
use crate::linkage::{Event, LinkError};
use crate::model::HandbookId;
use crate::portal::TechoClient;
use crate::portal::dto::{DeviceKeyDto, LinkageStatus, RenewRequest};
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
        let hb = self.get(id)?;
        if !hb.linkage.is_linked() {
            return Ok(false);
        }
        if self.renew_after(id)?.is_some_and(|t| self.now() < t) {
            return Ok(false);
        }
        let horizon = self.today() + Duration::days(RENEW_DAYS_AHEAD);
        Ok(self
            .credentials(id)?
            .iter()
            .map(|c| c.not_after)
            .max()
            .is_none_or(|last| last <= horizon))
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
            } => {
                if !credentials.is_empty() {
                    self.record(id, &Event::Linked { valid_until }, Some(&credentials))?;
                    let _ = client.acknowledge(&session).await;
                }
                self.set_renew_after(id, None)?;
                Renewal::Renewed { valid_until }
            }
            LinkageStatus::Pending { reason, next_try } => {
                self.set_renew_after(id, Some(next_try))?;
                Renewal::Later { reason, next_try }
            }
            LinkageStatus::Revoked { reason } => {
                self.record(id, &Event::Revoked, Some(&[]))?;
                self.set_renew_after(id, None)?;
                if reason.starts_with("consent_") {
                    Renewal::NeedsCard { reason }
                } else {
                    Renewal::Revoked { reason }
                }
            }
            LinkageStatus::Suspended => {
                self.record(id, &Event::Revoked, Some(&[]))?;
                Renewal::Revoked {
                    reason: "suspended".into(),
                }
            }
            LinkageStatus::Failed { error, .. } => Renewal::NeedsCard { reason: error },
            LinkageStatus::AwaitingCode => Renewal::NeedsCard {
                reason: "not_linked".into(),
            },
        })
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
