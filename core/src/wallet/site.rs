//! Answering a booking site: a presentation bound to the site's challenge and, with the
//! holder's consent, the name and birth date read from the card, signed by the same device key.

use super::{Wallet, WalletError};
use crate::model::HandbookId;
use crate::site::{
    IdentityFacts, RequestKind, SignedIdentity, SiteError, SiteRequest, SiteResponse,
};

impl Wallet {
    /// The answer to a checked presentation request (see [`SiteRequest::check`]) for handbook
    /// `id` (default: the counter's). `identity` is what the holder agreed to send; a request
    /// that did not ask for it gets none.
    pub fn answer_site(
        &self,
        request: &SiteRequest,
        id: Option<&HandbookId>,
        identity: Option<&IdentityFacts>,
    ) -> Result<SiteResponse, WalletError> {
        if request.kind != RequestKind::Present {
            return Err(SiteError::WrongAnswer {
                expected: "a presentation request",
                got: "an order to sign",
            }
            .into());
        }
        let challenge = request.challenge()?;
        let claims = request.claims()?;
        let hb = self.handbook_or_counter(id)?;
        let (payload, key) = self.present_carrying(&hb, &claims, Some(&challenge), None)?;
        let identity = match identity.filter(|_| request.identity) {
            Some(facts) => Some(
                SignedIdentity::sign(facts, &challenge, key.as_ref())
                    .map_err(crate::token::present::PresentError::from)?,
            ),
            None => None,
        };
        Ok(SiteResponse {
            v: crate::site::SITE_PROTOCOL_VERSION,
            session: request.session.clone(),
            presentation: Some(payload.text()),
            identity,
            order_signature: None,
        })
    }
}
