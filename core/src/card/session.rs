//! Whole card operations, each in the fewest APDUs the card allows.
//!
//! Linkage read (extended length): SELECT JPKI, READ BINARY (certificate by short EF id), VERIFY
//! (tries left), VERIFY (PIN), SELECT EF (key), COMPUTE DIGITAL SIGNATURE: 6 APDUs. With short
//! APDUs the certificate takes one READ BINARY per 256 bytes and one SELECT EF before the
//! second: 13 APDUs for a 1.7 KB certificate (docs/card.md "APDU counts").

use super::basic_four::BasicFour;
use super::channel::{Channel, TraceEntry};
use super::error::CardError;
use super::jpki::{
    AUTH_CERT_EF, AUTH_PIN_EF, BASIC_FOUR_EF, BASIC_FOUR_RECORD, CARD_INFO_AID, CARD_INFO_PIN_EF,
    JPKI_AID, PinRef, SIGN_CERT_EF, SIGN_KEY_EF, pin_tries_left, read_der_file, read_whole_file,
    select_application, sign_digest, sign_sha256, verify_pin,
};
use super::pin::{LastTry, Pin};
use super::signing_pin::SigningPin;
use super::transport::CardTransport;

/// What the linkage read returns: the certificate and the card's signature over the challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkageProof {
    /// The user-authentication certificate (DER).
    pub certificate: Vec<u8>,
    /// RSA PKCS#1 v1.5 SHA-256 signature over the portal's challenge.
    pub signature: Vec<u8>,
    /// Tries left before the PIN was sent (the counter resets to 3 after a correct PIN).
    pub tries_before: u8,
    pub apdus: usize,
}

/// A signature with the card's signing key (署名用電子証明書) over a document's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSignature {
    /// The signing certificate (DER). It names the holder, so the card only releases it after
    /// the signing password.
    pub certificate: Vec<u8>,
    /// RSA PKCS#1 v1.5 over the SHA-256 DigestInfo of the document.
    pub signature: Vec<u8>,
    /// Tries left before the password was sent (5 again after a correct one).
    pub tries_before: u8,
    pub apdus: usize,
}

/// What can be read without a PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardStatus {
    pub certificate: Vec<u8>,
    pub tries_left: u8,
}

/// A session with one card tap. The trace is kept whatever the outcome.
#[derive(Debug)]
pub struct CardSession<'t> {
    ch: Channel<'t>,
}

impl<'t> CardSession<'t> {
    pub fn new(transport: &'t mut dyn CardTransport) -> Self {
        Self {
            ch: Channel::new(transport),
        }
    }

    pub fn trace(&self) -> &[TraceEntry] {
        self.ch.trace()
    }

    pub fn apdus(&self) -> usize {
        self.ch.count()
    }

    pub fn extended(&self) -> bool {
        self.ch.extended()
    }

    /// Certificate and PIN tries left, without a PIN.
    pub fn status(&mut self) -> Result<CardStatus, CardError> {
        select_application(&mut self.ch, &JPKI_AID, "JPKI")?;
        let certificate = read_der_file(&mut self.ch, AUTH_CERT_EF, "SELECT EF (certificate)")?;
        let tries_left = match pin_tries_left(&mut self.ch, AUTH_PIN_EF, 3) {
            Ok(n) => n,
            Err(CardError::PinBlocked) => 0,
            Err(e) => return Err(e),
        };
        Ok(CardStatus {
            certificate,
            tries_left,
        })
    }

    /// Proves the holder to the portal: certificate, PIN (once), signature over `challenge`.
    pub fn linkage_read(
        &mut self,
        pin: &Pin,
        challenge: &[u8],
        last_try: LastTry,
    ) -> Result<LinkageProof, CardError> {
        select_application(&mut self.ch, &JPKI_AID, "JPKI")?;
        let certificate = read_der_file(&mut self.ch, AUTH_CERT_EF, "SELECT EF (certificate)")?;
        let tries_before =
            verify_pin(&mut self.ch, PinRef::four_digit(AUTH_PIN_EF, pin), last_try)?;
        let signature = sign_sha256(&mut self.ch, challenge)?;
        Ok(LinkageProof {
            certificate,
            signature,
            tries_before,
            apdus: self.ch.count(),
        })
    }

    /// The basic four facts, to pre-fill registration (same 4-digit PIN, its own counter).
    pub fn basic_four(&mut self, pin: &Pin, last_try: LastTry) -> Result<BasicFour, CardError> {
        select_application(&mut self.ch, &CARD_INFO_AID, "card-info-input-support")?;
        verify_pin(
            &mut self.ch,
            PinRef::four_digit(CARD_INFO_PIN_EF, pin),
            last_try,
        )?;
        let bytes = read_whole_file(
            &mut self.ch,
            BASIC_FOUR_EF,
            "SELECT EF (basic four facts)",
            BASIC_FOUR_RECORD,
        )?;
        BasicFour::parse(&bytes).ok_or(CardError::Malformed("the basic four facts"))
    }

    /// Signs a document (a booking site's order) with the signing key: signing password (once),
    /// signing certificate, COMPUTE DIGITAL SIGNATURE over `sha256`. A card without a signing
    /// certificate (not issued, or issued to a child under 15) says so.
    pub fn sign_document(
        &mut self,
        pin: &SigningPin,
        sha256: &[u8; 32],
        last_try: LastTry,
    ) -> Result<DocumentSignature, CardError> {
        select_application(&mut self.ch, &JPKI_AID, "JPKI")?;
        let tries_before = match verify_pin(&mut self.ch, PinRef::signing(pin), last_try) {
            Err(CardError::Status {
                sw: super::apdu::StatusWord::NotFound | super::apdu::StatusWord::ReferenceNotFound,
                ..
            }) => return Err(CardError::NoSigningCertificate),
            other => other?,
        };
        let certificate = read_der_file(
            &mut self.ch,
            SIGN_CERT_EF,
            "SELECT EF (signing certificate)",
        )
        .map_err(|e| match e {
            CardError::NotMyNumberCard(_) => CardError::NoSigningCertificate,
            e => e,
        })?;
        let signature = sign_digest(&mut self.ch, SIGN_KEY_EF, "SELECT EF (signing key)", sha256)?;
        Ok(DocumentSignature {
            certificate,
            signature,
            tries_before,
            apdus: self.ch.count(),
        })
    }
}
