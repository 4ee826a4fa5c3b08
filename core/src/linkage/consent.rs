//! The holder's part of a linkage at the portal (challenge, card, consent) and the errors a
//! linkage can end in. The wallet runs the whole flow (`Wallet::link`) and stores each move.

use crate::card::{CardError, CardSession, CardTransport, LastTry, Pin};
use crate::portal::dto::{ConsentRequest, ConsentResponse, SCOPE_HANDBOOKS, TECHO_SERVICE_ID};
use crate::portal::{ClientError, TechoClient};
use crate::wallet::WalletError;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Wallet(#[from] WalletError),
    #[error(transparent)]
    Card(#[from] CardError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(
        "the portal or techo-server refused the linkage ({error}): {message} / 連携できませんでした"
    )]
    Refused { error: String, message: String },
    #[error(
        "this handbook has no linkage in progress: start one with `techo link` / 連携手続きがありません"
    )]
    NoSession,
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
