//! Where the JPKI user-authentication signature comes from. The My Number card is one source
//! (its certificate and key on the chip, the 4-digit PIN, APDUs over NFC or a reader); the
//! smartphone certificate (スマホ用電子証明書: the same kind of certificate issued into the phone's
//! secure element, on Android since May 2023 and on iPhone since June 2025) is another, reached
//! through the platform's JPKI API with the phone's own authentication instead of the card.
//! The portal checks both the same way: a certificate that chains to JPKI and an RSA PKCS#1 v1.5
//! SHA-256 signature over its challenge. docs/card.md says how a real provider plugs in.

use super::error::CardError;
use super::pin::{LastTry, Pin};
use super::session::{CardSession, LinkageProof};
use super::transport::CardTransport;

/// One way to answer the portal's challenge as the holder.
pub trait JpkiSigner: Send {
    /// The user-authentication certificate (DER) and a signature over `challenge`. Called with
    /// everything else ready: only the holder's proof happens here.
    fn authenticate(&mut self, challenge: &[u8]) -> Result<LinkageProof, CardError>;
}

/// The My Number card as a [`JpkiSigner`]: the linkage read with the PIN, once.
pub struct CardSigner<'a> {
    pub transport: &'a mut dyn CardTransport,
    pub pin: &'a Pin,
    pub last_try: LastTry,
}

impl std::fmt::Debug for CardSigner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardSigner(PIN hidden)")
    }
}

impl JpkiSigner for CardSigner<'_> {
    fn authenticate(&mut self, challenge: &[u8]) -> Result<LinkageProof, CardError> {
        CardSession::new(&mut *self.transport).linkage_read(self.pin, challenge, self.last_try)
    }
}
