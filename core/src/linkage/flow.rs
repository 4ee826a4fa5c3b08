//! Linking a handbook: techo-server session → portal challenge → card → consent → code → result.
//! Each step's outcome moves the state machine and is stored at once, so an app killed halfway
//! resumes from what it saved (a pending request keeps its session and is polled later).

use super::transitions::{Event, TransitionError, next};
use crate::card::{CardError, CardSession, CardTransport, LastTry, Pin};
use crate::model::{Handbook, HandbookKind, LinkageState};
use crate::portal::dto::{
    ConsentRequest, ConsentResponse, DeviceKeyDto, HandbookRef, LinkageStatus, SCOPE_HANDBOOKS,
    StartLinkage, TECHO_SERVICE_ID,
};
use crate::portal::{ClientError, TechoClient};
use crate::wallet::{Wallet, WalletError};

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Wallet(#[from] WalletError),
    #[error(transparent)]
    Card(#[from] CardError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(
        "the portal or techo-server refused the linkage ({error}): {message} / 連携できませんでした"
    )]
    Refused { error: String, message: String },
    #[error(
        "this handbook has no linkage in progress: start one with `techo link` / 連携手続きがありません"
    )]
    NoSession,
}

/// Runs linkage for one wallet against one techo-server.
#[derive(Debug)]
pub struct Linker<'a> {
    wallet: &'a Wallet,
    client: &'a TechoClient,
    /// Credentials per batch: each with its own device key and status index.
    pub batch: usize,
    /// A guardian consenting with their own card as the holder's proxy: the principal as the
    /// portal's 代理人メニュー names them. `None`: the card read is the holder's own.
    pub on_behalf_of: Option<String>,
}

fn kind_name(k: HandbookKind) -> &'static str {
    match k {
        HandbookKind::Physical => "physical",
        HandbookKind::Mental => "mental",
        HandbookKind::Intellectual => "intellectual",
    }
}

/// The holder's part at the portal: a challenge, signed by the card (certificate read, PIN
/// checked and sent once), then the consent. Returns the one-time code for techo-server.
pub async fn consent_with_card(
    client: &TechoClient,
    portal_url: &str,
    card: &mut dyn CardTransport,
    pin: &Pin,
    last_try: LastTry,
    on_behalf_of: Option<&str>,
) -> Result<ConsentResponse, LinkError> {
    let challenge = client.portal_challenge(portal_url).await?;
    let challenge_bytes =
        crate::hex::decode(&challenge.challenge_hex).ok_or(ClientError::Malformed)?;
    let proof = CardSession::new(card).linkage_read(pin, &challenge_bytes, last_try)?;
    Ok(client
        .portal_consent(
            portal_url,
            &ConsentRequest {
                auth_session: challenge.auth_session,
                service_id: TECHO_SERVICE_ID.into(),
                scope: SCOPE_HANDBOOKS.into(),
                certificate_hex: crate::hex::encode(&proof.certificate),
                signature_hex: crate::hex::encode(&proof.signature),
                on_behalf_of: on_behalf_of.map(str::to_owned),
            },
        )
        .await?)
}

impl<'a> Linker<'a> {
    pub fn new(wallet: &'a Wallet, client: &'a TechoClient) -> Self {
        Self {
            wallet,
            client,
            batch: 8,
            on_behalf_of: None,
        }
    }

    fn step(&self, hb: &Handbook, event: &Event) -> Result<LinkageState, LinkError> {
        let state = next(&hb.linkage, event, self.wallet.now())?;
        self.wallet.set_linkage(hb.id.as_str(), state.clone())?;
        Ok(state)
    }

    /// The whole linkage with the holder's card. On a card or portal failure the handbook goes
    /// back to the state it had (a linked handbook stays linked with its old credentials).
    pub async fn link(
        &self,
        id: &str,
        card: &mut dyn CardTransport,
        pin: &Pin,
        last_try: LastTry,
    ) -> Result<LinkageState, LinkError> {
        let before = self.wallet.get(id)?;
        let keys = self.wallet.create_device_keys(self.batch.clamp(1, 64))?;
        let aliases: Vec<String> = keys.iter().map(|(a, _)| a.clone()).collect();
        let result = self.attempt(&before, &keys, card, pin, last_try).await;
        match result {
            Ok(state) => Ok(state),
            Err(e) => {
                self.wallet.delete_device_keys(&aliases)?;
                self.wallet
                    .set_linkage(before.id.as_str(), before.linkage.clone())?;
                Err(e)
            }
        }
    }

    async fn attempt(
        &self,
        hb: &Handbook,
        keys: &[(String, crate::token::PublicKey)],
        card: &mut dyn CardTransport,
        pin: &Pin,
        last_try: LastTry,
    ) -> Result<LinkageState, LinkError> {
        let started = self
            .client
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
        self.step(
            hb,
            &Event::Started {
                session: started.session_id.clone(),
            },
        )?;
        let consent = consent_with_card(
            self.client,
            &started.portal_url,
            card,
            pin,
            last_try,
            self.on_behalf_of.as_deref(),
        )
        .await?;
        let status = self
            .client
            .submit_code(&started.session_id, &consent.code)
            .await?;
        self.apply(hb.id.as_str(), &started.session_id, status)
            .await
    }

    /// Asks techo-server how a pending linkage is doing, and applies the answer.
    pub async fn poll(&self, id: &str) -> Result<LinkageState, LinkError> {
        let hb = self.wallet.get(id)?;
        let session = hb.linkage.session().ok_or(LinkError::NoSession)?.to_owned();
        let status = self.client.status(&session).await?;
        self.apply(id, &session, status).await
    }

    /// Withdraws consent: the server revokes and purges; the wallet drops the credentials.
    pub async fn unlink(&self, id: &str) -> Result<LinkageState, LinkError> {
        let hb = self.wallet.get(id)?;
        if let Some(session) = hb.linkage.session() {
            self.client.withdraw(session).await?;
        }
        self.wallet.store_credentials(hb.id.as_str(), &[])?;
        self.wallet
            .set_linkage(hb.id.as_str(), LinkageState::Unlinked)?;
        Ok(LinkageState::Unlinked)
    }

    async fn apply(
        &self,
        id: &str,
        session: &str,
        status: LinkageStatus,
    ) -> Result<LinkageState, LinkError> {
        let hb = self.wallet.get(id)?;
        match status {
            LinkageStatus::AwaitingCode => Ok(hb.linkage),
            LinkageStatus::Pending { reason, next_try } => self.step(
                &hb,
                &Event::Pending {
                    reason,
                    next_try: Some(next_try),
                },
            ),
            LinkageStatus::Linked {
                credentials,
                valid_until,
            } => {
                if !credentials.is_empty() {
                    self.wallet.store_credentials(id, &credentials)?;
                    // Best effort: if the acknowledgement is lost the server keeps the copy until
                    // the next poll; the credentials are already safe in the wallet.
                    let _ = self.client.acknowledge(session).await;
                }
                match &hb.linkage {
                    LinkageState::Linked { .. } if credentials.is_empty() => Ok(hb.linkage.clone()),
                    _ => self.step(&hb, &Event::Linked { valid_until }),
                }
            }
            LinkageStatus::Failed { error, message } => {
                self.step(&hb, &Event::Failed)?;
                Err(LinkError::Refused { error, message })
            }
            LinkageStatus::Revoked { .. } | LinkageStatus::Suspended => {
                self.wallet.store_credentials(id, &[])?;
                self.step(&hb, &Event::Revoked)
            }
        }
    }
}
