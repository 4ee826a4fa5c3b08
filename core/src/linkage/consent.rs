//! The holder's part of a linkage at the portal (challenge before the card, consent after it)
//! and the errors a linkage can end in. The wallet runs the whole flow (`Wallet::link`) and
//! stores each move; the card itself is read in between, with nothing else going on
//! (`PreparedLink::read_card`).

use crate::card::{CardError, LinkageProof};
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

/// The portal's challenge for one card signature: fetched before the card is asked for.
#[derive(Clone, PartialEq, Eq)]
pub struct PortalChallenge {
    pub auth_session: String,
    pub bytes: Vec<u8>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Debug for PortalChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PortalChallenge(until {})", self.expires_at)
    }
}

/// Asks the portal for a challenge (network; no card).
pub async fn fetch_challenge(
    client: &TechoClient,
    portal_url: &str,
) -> Result<PortalChallenge, LinkError> {
    let challenge = client.portal_challenge(portal_url).await?;
    let bytes = crate::hex::decode(&challenge.challenge_hex).ok_or(ClientError::Malformed)?;
    if bytes.is_empty() || bytes.len() > 256 {
        return Err(ClientError::Malformed.into());
    }
    Ok(PortalChallenge {
        auth_session: challenge.auth_session,
        bytes,
        expires_at: challenge.expires_at,
    })
}

/// Sends the card's proof to the portal as the holder's consent (network; the card may be gone).
/// Returns the one-time code for techo-server.
pub async fn send_consent(
    client: &TechoClient,
    portal_url: &str,
    challenge: &PortalChallenge,
    proof: &LinkageProof,
    on_behalf_of: Option<&str>,
) -> Result<ConsentResponse, LinkError> {
    Ok(client
        .portal_consent(
            portal_url,
            &ConsentRequest {
                auth_session: challenge.auth_session.clone(),
                service_id: TECHO_SERVICE_ID.into(),
                scope: SCOPE_HANDBOOKS.into(),
                certificate_hex: crate::hex::encode(&proof.certificate),
                signature_hex: crate::hex::encode(&proof.signature),
                on_behalf_of: on_behalf_of.map(str::to_owned),
            },
        )
        .await?)
}
