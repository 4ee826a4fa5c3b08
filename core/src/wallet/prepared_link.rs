//! A linkage made ready before the card is asked for: this phone's device keys made, the
//! techo-server session open, the portal's challenge in hand. Holding the card then costs only
//! the APDUs of one linkage read ([`PreparedLink::read_card`]): no key generation (slow on
//! StrongBox) and no network call while the holder keeps the card still, which also keeps an
//! iPhone's NFC session (60 s at most) for the card alone.

use crate::card::{CardError, CardSigner, CardTransport, JpkiSigner, LastTry, LinkageProof, Pin};
use crate::linkage::PortalChallenge;
use crate::model::HandbookId;
use crate::token::PublicKey;
use chrono::{DateTime, Utc};

/// How long before the challenge expires a prepared linkage asks for a new one instead of
/// sending the holder to the card (a read and the consent take seconds; this leaves margin).
pub const CHALLENGE_MARGIN: chrono::Duration = chrono::Duration::seconds(60);

pub struct PreparedLink {
    pub(super) handbook: HandbookId,
    pub(super) keys: Vec<(String, PublicKey)>,
    pub(super) session: String,
    pub(super) portal_url: String,
    pub(super) challenge: PortalChallenge,
    pub(super) on_behalf_of: Option<String>,
}

impl std::fmt::Debug for PreparedLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedLink")
            .field("handbook", &self.handbook)
            .field("keys", &self.keys.len())
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl PreparedLink {
    pub fn handbook(&self) -> &HandbookId {
        &self.handbook
    }

    /// Whether the challenge is still good for a card read and the consent after it.
    pub fn challenge_fresh(&self, now: DateTime<Utc>) -> bool {
        self.challenge.expires_at - now > CHALLENGE_MARGIN
    }

    /// The card-held window: the linkage read over `card` and nothing else. It has no client
    /// and no wallet to reach, so no network call or key generation can happen inside it.
    pub fn read_card(
        &self,
        card: &mut dyn CardTransport,
        pin: &Pin,
        last_try: LastTry,
    ) -> Result<LinkageProof, CardError> {
        self.sign_with(&mut CardSigner {
            transport: card,
            pin,
            last_try,
        })
    }

    /// The holder's proof from any [`JpkiSigner`] (the card, or the smartphone certificate):
    /// the same window, nothing but the signer's own work.
    pub fn sign_with(&self, signer: &mut dyn JpkiSigner) -> Result<LinkageProof, CardError> {
        signer.authenticate(&self.challenge.bytes)
    }
}
