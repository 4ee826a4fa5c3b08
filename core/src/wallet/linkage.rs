//! Linkage under the wallet: techo-server session → portal challenge → card → consent → code →
//! credentials. The only code that changes a handbook's linkage state, and it does so only
//! through [`crate::linkage::next`], stored in the same commit as the credentials that go with
//! the move. Each step is stored at once, so an app killed halfway resumes from what it saved (a
//! pending request keeps its session and is asked about later).

use super::handbooks::put_handbook;
use super::prepared_link::PreparedLink;
use super::{Wallet, WalletError};
use crate::card::{CardSigner, CardTransport, JpkiSigner, LastTry, LinkageProof, Pin};
use crate::linkage::{Event, LinkError, fetch_challenge, next, send_consent};
use crate::model::{Handbook, HandbookId, HandbookKind, LinkageState};
use crate::portal::TechoClient;
use crate::portal::dto::{DeviceKeyDto, HandbookRef, LinkageStatus, StartLinkage};
use crate::store::Batch;
use crate::token::{DevIssuer, HandbookClaims, HeldCredential, LinkageKind, Profile, PublicKey};

/// How a linkage is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkOptions {
    /// Credentials per batch (1–64): each with its own device key and status index, so that two
    /// operators never see the same one.
    pub batch: usize,
    /// A guardian consenting with their own card as the holder's proxy: the principal as the
    /// portal's 代理人メニュー names them. `None`: the card read is the holder's own.
    pub on_behalf_of: Option<String>,
}

impl Default for LinkOptions {
    fn default() -> Self {
        Self {
            batch: 8,
            on_behalf_of: None,
        }
    }
}

fn kind_name(k: HandbookKind) -> &'static str {
    match k {
        HandbookKind::Physical => "physical",
        HandbookKind::Mental => "mental",
        HandbookKind::Intellectual => "intellectual",
    }
}

impl Wallet {
    /// The whole linkage with a card: [`Wallet::prepare_link`], the card read, then
    /// [`Wallet::finish_link`]. On a card or portal failure the handbook goes back to the state
    /// it had (a linked handbook stays linked with its old credentials) and the new device keys
    /// are deleted.
    pub async fn link(
        &self,
        client: &TechoClient,
        id: &HandbookId,
        card: &mut dyn CardTransport,
        pin: &Pin,
        last_try: LastTry,
        options: &LinkOptions,
    ) -> Result<LinkageState, LinkError> {
        let mut card = CardSigner {
            transport: card,
            pin,
            last_try,
        };
        self.link_with_signer(client, id, &mut card, options).await
    }

    /// The whole linkage with any [`JpkiSigner`] (the smartphone certificate, or a card): the
    /// same preparation before and consent after as [`Wallet::link`].
    pub async fn link_with_signer(
        &self,
        client: &TechoClient,
        id: &HandbookId,
        signer: &mut dyn JpkiSigner,
        options: &LinkOptions,
    ) -> Result<LinkageState, LinkError> {
        let prepared = self.prepare_link(client, id, options).await?;
        let proof = match prepared.sign_with(signer) {
            Ok(proof) => proof,
            Err(e) => {
                self.abandon_link(prepared)?;
                return Err(e.into());
            }
        };
        self.finish_link(client, prepared, &proof).await
    }

    /// Everything a linkage needs before the card: this phone's device keys, a techo-server
    /// session and the portal's challenge. The handbook's state does not change yet.
    /// On failure nothing is left behind: keys deleted, the handbook as it was.
    pub async fn prepare_link(
        &self,
        client: &TechoClient,
        id: &HandbookId,
        options: &LinkOptions,
    ) -> Result<PreparedLink, LinkError> {
        let before = self.get(id)?;
        if before.photo.is_none() {
            return Err(WalletError::PhotoRequired.into());
        }
        let keys = self.create_device_keys(options.batch.clamp(1, 64))?;
        let opened = async {
            let (session, portal_url) = self.open_session(client, &before, &keys).await?;
            let challenge = fetch_challenge(client, &portal_url).await?;
            Ok::<_, LinkError>((session, portal_url, challenge))
        }
        .await;
        match opened {
            Ok((session, portal_url, challenge)) => Ok(PreparedLink {
                handbook: id.clone(),
                keys,
                session,
                portal_url,
                challenge,
                on_behalf_of: options.on_behalf_of.clone(),
            }),
            Err(e) => {
                self.forget_attempt(id, keys)?;
                Err(e)
            }
        }
    }

    /// A new portal challenge for a prepared linkage whose challenge is about to expire (the
    /// holder took long over a wrong PIN). Keys and session stay.
    pub async fn renew_challenge(
        &self,
        client: &TechoClient,
        prepared: &mut PreparedLink,
    ) -> Result<(), LinkError> {
        prepared.challenge = fetch_challenge(client, &prepared.portal_url).await?;
        Ok(())
    }

    /// After the card: the consent to the portal, its code to techo-server, the credentials
    /// stored. The card may already be away. On failure the attempt is abandoned.
    pub async fn finish_link(
        &self,
        client: &TechoClient,
        prepared: PreparedLink,
        proof: &LinkageProof,
    ) -> Result<LinkageState, LinkError> {
        let result = async {
            // Stored only now: until the card has answered there is nothing to resume, and a
            // holder still on the PIN screen sees the handbook as it was.
            self.record(
                &prepared.handbook,
                &Event::Started {
                    session: prepared.session.clone(),
                },
                None,
            )?;
            let consent = send_consent(
                client,
                &prepared.portal_url,
                &prepared.challenge,
                proof,
                prepared.on_behalf_of.as_deref(),
            )
            .await?;
            let status = client.submit_code(&prepared.session, &consent.code).await?;
            self.apply(client, &prepared.handbook, &prepared.session, status)
                .await
        }
        .await;
        if result.is_err() {
            self.abandon_link(prepared)?;
        }
        result
    }

    /// Gives a prepared linkage up (the holder stopped, or the attempt failed): its device keys
    /// are deleted and the handbook goes back to what it was.
    pub fn abandon_link(&self, prepared: PreparedLink) -> Result<(), WalletError> {
        self.forget_attempt(&prepared.handbook, prepared.keys)
    }

    fn forget_attempt(
        &self,
        id: &HandbookId,
        keys: Vec<(String, PublicKey)>,
    ) -> Result<(), WalletError> {
        let aliases: Vec<String> = keys.into_iter().map(|(a, _)| a).collect();
        self.delete_device_keys(&aliases)?;
        // Back to what it was, unless the attempt never got as far as a session.
        if matches!(self.get(id)?.linkage, LinkageState::Linking { .. }) {
            self.record(id, &Event::Failed, None)?;
        }
        Ok(())
    }

    /// Opens the techo-server session for `hb` with these keys (stored with the handbook only
    /// when the card has answered: [`Wallet::finish_link`]).
    async fn open_session(
        &self,
        client: &TechoClient,
        hb: &Handbook,
        keys: &[(String, PublicKey)],
    ) -> Result<(String, String), LinkError> {
        let started = client
            .start(&StartLinkage {
                idempotency_key: crate::hex::random(16),
                handbook: HandbookRef {
                    kind: kind_name(hb.kind()).into(),
                    number: hb.number.clone(),
                    municipality_code: hb.municipality.code.as_str().into(),
                },
                photo_sha256_hex: hb.photo.as_ref().map(|p| p.sha256.clone()),
                device_keys: keys
                    .iter()
                    .map(|(alias, pk)| DeviceKeyDto {
                        alias: alias.clone(),
                        public_hex: crate::hex::encode(&pk.compressed()),
                    })
                    .collect(),
                guardian: crate::token::GuardianClaim::declared(&hb.presenter)
                    .map(|g| g.relationship),
            })
            .await?;
        Ok((started.session_id, started.portal_url))
    }

    /// Asks techo-server how a pending (申請中) or linked handbook is doing, and applies the
    /// answer: new credentials, still pending, or revoked.
    pub async fn refresh_linkage(
        &self,
        client: &TechoClient,
        id: &HandbookId,
    ) -> Result<LinkageState, LinkError> {
        self.refresh_linkage_waiting(client, id, std::time::Duration::ZERO)
            .await
    }

    /// [`Wallet::refresh_linkage`], waiting up to `wait` (at most 50 s) on the server while the
    /// linkage is 申請中: it returns as soon as the portal's answer is stored.
    pub async fn refresh_linkage_waiting(
        &self,
        client: &TechoClient,
        id: &HandbookId,
        wait: std::time::Duration,
    ) -> Result<LinkageState, LinkError> {
        let hb = self.get(id)?;
        let session = hb.linkage.session().ok_or(LinkError::NoSession)?.to_owned();
        let status = if wait.is_zero() {
            client.status(&session).await?
        } else {
            client.status_waiting(&session, wait).await?
        };
        self.apply(client, id, &session, status).await
    }

    /// Withdraws consent: the server revokes and purges; the wallet drops the credentials.
    pub async fn unlink(
        &self,
        client: &TechoClient,
        id: &HandbookId,
    ) -> Result<LinkageState, LinkError> {
        let hb = self.get(id)?;
        if let Some(session) = hb.linkage.session() {
            client.withdraw(session).await?;
        }
        Ok(self.record(id, &Event::Withdrawn, Some(&[]))?.linkage)
    }

    /// Development and previews: linkage against a local [`DevIssuer`] instead of the portal,
    /// through the same moves (a session opened, credentials issued for the facts as 連携済).
    /// Never what a phone does: techo-server is the only issuer the phones talk to.
    pub fn link_for_development(
        &self,
        id: &HandbookId,
        issuer: &mut DevIssuer,
        n: usize,
    ) -> Result<LinkageState, WalletError> {
        let hb = self.record(
            id,
            &Event::Started {
                session: format!("development-{}", crate::hex::random(4)),
            },
            None,
        )?;
        let mut claims = HandbookClaims::from_handbook(&hb);
        claims.linkage = LinkageKind::Linked;
        let creds = match self.issue_locally(id, &claims, issuer, n) {
            Ok(creds) => creds,
            Err(e) => {
                self.record(id, &Event::Failed, None)?;
                return Err(e);
            }
        };
        let valid_until = creds.iter().map(|c| c.not_after).min().unwrap_or_default();
        Ok(self
            .record(
                id,
                &Event::Linked {
                    valid_until,
                    consent_until: None,
                },
                Some(&creds),
            )?
            .linkage)
    }

    async fn apply(
        &self,
        client: &TechoClient,
        id: &HandbookId,
        session: &str,
        status: LinkageStatus,
    ) -> Result<LinkageState, LinkError> {
        let hb = self.get(id)?;
        match status {
            LinkageStatus::AwaitingCode => Ok(hb.linkage),
            LinkageStatus::Pending { reason, next_try } => Ok(self
                .record(
                    id,
                    &Event::Pending {
                        reason,
                        next_try: Some(next_try),
                    },
                    None,
                )?
                .linkage),
            LinkageStatus::Linked {
                credentials,
                valid_until,
                consent_until,
            } => {
                if credentials.is_empty() && hb.linkage.is_linked() {
                    // Already stored and acknowledged on an earlier poll.
                    return Ok(hb.linkage);
                }
                let creds = (!credentials.is_empty()).then_some(credentials.as_slice());
                let state = self
                    .record(
                        id,
                        &Event::Linked {
                            valid_until,
                            consent_until,
                        },
                        creds,
                    )?
                    .linkage;
                if creds.is_some() {
                    // Best effort: if the acknowledgement is lost the server keeps the copy until
                    // the next poll; the credentials are already safe in the wallet.
                    let _ = client.acknowledge(session).await;
                }
                Ok(state)
            }
            LinkageStatus::Failed { error, message } => {
                self.record(id, &Event::Failed, None)?;
                Err(LinkError::Refused { error, message })
            }
            // Already known: カードで再連携が必要 stays until the card links again.
            LinkageStatus::Revoked { .. }
                if matches!(hb.linkage, LinkageState::RelinkNeeded { .. }) =>
            {
                Ok(hb.linkage)
            }
            LinkageStatus::Revoked { reason } if crate::portal::dto::consent_ended(&reason) => {
                Ok(self
                    .record(id, &Event::CardNeeded { reason }, Some(&[]))?
                    .linkage)
            }
            LinkageStatus::Revoked { .. } | LinkageStatus::Suspended => {
                Ok(self.record(id, &Event::Revoked, Some(&[]))?.linkage)
            }
        }
    }

    /// The one place a handbook's linkage state changes: `event` through the state machine,
    /// stored in one commit with the credentials that go with it (`Some(&[])` drops them all,
    /// `None` leaves them as they are).
    pub(crate) fn record(
        &self,
        id: &HandbookId,
        event: &Event,
        creds: Option<&[HeldCredential]>,
    ) -> Result<Handbook, WalletError> {
        let mut hb = self.get(id)?;
        hb.linkage = next(&hb.linkage, event, self.now())?;
        if let (Event::Linked { .. }, Some(creds)) = (event, creds) {
            // What the portal confirmed replaces what was typed (kept in the history): the
            // screen, the list and the QR then show the same facts.
            let facts = creds
                .iter()
                .filter(|c| c.profile == Profile::Full)
                .find_map(HeldCredential::facts);
            if let Some(facts) = facts {
                crate::model::confirmed::apply(&mut hb, &facts, self.now());
            }
        }
        let (mut batch, mut dropped) = match creds {
            Some(creds) => self.credentials_replaced(Batch::new(), id, creds)?,
            None => (Batch::new(), Vec::new()),
        };
        if matches!(
            hb.linkage,
            LinkageState::Unlinked | LinkageState::RelinkNeeded { .. }
        ) {
            // The linkage ended: nothing of its renewals is kept.
            let more;
            (batch, more) = self.renewal_state_dropped(batch, id)?;
            dropped.extend(more);
        }
        self.commit_forgetting(put_handbook(batch, &hb, None)?, &dropped)?;
        Ok(hb)
    }
}
