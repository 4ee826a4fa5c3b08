//! The NFC boundary: Android's `IsoDep` and iOS's `NFCISO7816Tag` implement `CardTransport`;
//! the core drives every APDU.

use std::sync::Arc;
use techo_core::card::{Capabilities, TransportError};

/// What a transport reports when an APDU cannot be exchanged.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum CardTransportError {
    /// The card left the field (`TagLostException`, `NFCReaderError.readerTransceiveErrorTagConnectionLost`).
    #[error("the card was moved away")]
    Removed,
    #[error("the card did not answer in time")]
    Timeout,
    #[error("the reader failed: {reason}")]
    Io { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CardTransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CardTransportError::Io { reason: e.reason }
    }
}

/// One connected card. `transmit` blocks until the response APDU (data ‖ SW1 SW2) arrives.
#[uniffi::export(with_foreign)]
pub trait CardTransport: Send + Sync {
    /// Whether reader and card take extended-length APDUs (`IsoDep.isExtendedLengthApduSupported`).
    fn extended_length(&self) -> bool;
    /// The largest APDU the transport carries each way (`IsoDep.getMaxTransceiveLength`); 0 when
    /// the platform states none (iOS). The core keeps every command and response within it.
    fn max_transceive_length(&self) -> u32;
    fn transmit(&self, apdu: Vec<u8>) -> Result<Vec<u8>, CardTransportError>;
}

pub(crate) struct ForeignCard(pub Arc<dyn CardTransport>);

impl techo_core::card::CardTransport for ForeignCard {
    fn capabilities(&self) -> Capabilities {
        Capabilities::with_extended_length(self.0.extended_length())
            .with_max_transceive(usize::try_from(self.0.max_transceive_length()).unwrap_or(0))
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.transmit(apdu.to_vec()).map_err(|e| match e {
            CardTransportError::Removed => TransportError::Removed,
            CardTransportError::Timeout => TransportError::Timeout,
            CardTransportError::Io { reason } => TransportError::Io(reason),
        })
    }
}

/// What a [`JpkiSigner`] reports when it cannot sign.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SignerError {
    /// The holder cancelled or failed the phone's own authentication (biometrics, passcode).
    #[error("the phone's authentication was cancelled or failed")]
    NotAuthenticated,
    /// The platform's JPKI service is missing, has no certificate, or failed.
    #[error("the smartphone certificate is not available: {reason}")]
    Unavailable { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SignerError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        SignerError::Unavailable { reason: e.reason }
    }
}

/// A JPKI user-authentication certificate and its signature over the portal's challenge.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct JpkiProof {
    /// The certificate (DER).
    pub certificate: Vec<u8>,
    /// RSA PKCS#1 v1.5 SHA-256 over the challenge as given.
    pub signature: Vec<u8>,
}

/// Another source of the holder's JPKI signature beside the card: the smartphone certificate
/// (スマホ用電子証明書) through the platform's JPKI API. The shell implements it with that API,
/// after the phone's own authentication; the core gives it the portal's challenge with every
/// other step already done (docs/card.md "Other JPKI signers").
#[uniffi::export(with_foreign)]
pub trait JpkiSigner: Send + Sync {
    fn authenticate(&self, challenge: Vec<u8>) -> Result<JpkiProof, SignerError>;
}

pub(crate) struct ForeignSigner(pub Arc<dyn JpkiSigner>);

impl techo_core::card::JpkiSigner for ForeignSigner {
    fn authenticate(
        &mut self,
        challenge: &[u8],
    ) -> Result<techo_core::card::LinkageProof, techo_core::card::CardError> {
        use techo_core::card::CardError;
        let proof = self
            .0
            .authenticate(challenge.to_vec())
            .map_err(|e| match e {
                SignerError::NotAuthenticated => CardError::NotAuthenticated,
                SignerError::Unavailable { reason } => CardError::Reader(reason),
            })?;
        if proof.certificate.is_empty() || proof.signature.is_empty() {
            return Err(CardError::Malformed(
                "the smartphone certificate's answer is empty",
            ));
        }
        Ok(techo_core::card::LinkageProof {
            certificate: proof.certificate,
            signature: proof.signature,
            tries_before: 0,
            apdus: 0,
        })
    }
}

/// The basic four facts on the card (券面入力補助AP), to pre-fill registration.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CardIdentity {
    pub name: String,
    pub address: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `male`, `female`, `other` or `unknown` (a code this version does not know).
    pub sex: String,
}

/// The in-app keypad for a card PIN outside the link flow (reading the basic four facts at
/// registration): digits held in the core, wiped when used, never in the shell's memory.
#[derive(Debug, Default, uniffi::Object)]
pub struct PinPad {
    entry: std::sync::Mutex<techo_core::flows::PinEntry>,
}

impl PinPad {
    fn with<T>(&self, f: impl FnOnce(&mut techo_core::flows::PinEntry) -> T) -> T {
        f(&mut self
            .entry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

#[uniffi::export]
impl PinPad {
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A digit key (0–9); returns how many digits are entered.
    pub fn press(&self, digit: u8) -> u8 {
        self.with(|p| {
            p.press(digit);
            u8::try_from(p.len()).unwrap_or(0)
        })
    }

    pub fn backspace(&self) -> u8 {
        self.with(|p| {
            p.backspace();
            u8::try_from(p.len()).unwrap_or(0)
        })
    }

    pub fn clear(&self) {
        self.with(techo_core::flows::PinEntry::clear);
    }

    pub fn entered(&self) -> u8 {
        self.with(|p| u8::try_from(p.len()).unwrap_or(0))
    }

    pub fn is_complete(&self) -> bool {
        self.with(|p| p.is_complete())
    }
}

/// Reads the card's basic four facts with the PIN typed on `pin` (the card-info applet's own
/// counter, 3 tries; the last one only with `confirm_last_try`). The PIN is wiped whatever
/// happens.
#[uniffi::export]
pub fn read_card_identity(
    card: Arc<dyn CardTransport>,
    pin: Arc<PinPad>,
    confirm_last_try: bool,
) -> Result<CardIdentity, crate::TechoError> {
    use techo_core::card::{CardError, CardSession, LastTry};
    let pin = pin.with(techo_core::flows::PinEntry::take).ok_or_else(|| {
        crate::TechoError::from(CardError::from(techo_core::card::PinFormatError))
    })?;
    let last_try = if confirm_last_try {
        LastTry::Confirmed
    } else {
        LastTry::Refuse
    };
    let mut card = ForeignCard(card);
    let four = CardSession::new(&mut card).basic_four(&pin, last_try)?;
    Ok(CardIdentity {
        name: four.name,
        address: four.address,
        birth_date: four.birth_date.format("%Y-%m-%d").to_string(),
        sex: four.sex.as_str().into(),
    })
}
