//! The My Number card driver: APDUs over a `CardTransport`, PIN safety, JPKI operations and
//! certificate checks. The phones only pass bytes; every decision is here.

pub mod apdu;
pub mod basic_four;
mod ber;
pub mod cert;
pub mod channel;
pub mod error;
pub mod jpki;
pub mod pin;
pub mod session;
pub mod signer;
pub mod signing_pin;
pub mod tap_model;
pub mod transport;

pub use apdu::{Command, Response, StatusWord};
pub use basic_four::{BasicFour, Sex};
pub use cert::{CertError, CertUsage, CheckedCertificate, JpkiTrust};
pub use channel::TraceEntry;
pub use error::CardError;
pub use pin::{LastTry, Pin, PinFormatError};
pub use session::{CardSession, CardStatus, DocumentSignature, LinkageProof};
pub use signer::{CardSigner, JpkiSigner};
pub use signing_pin::{SigningPin, SigningPinFormatError};
pub use tap_model::TapModel;
pub use transport::{Capabilities, CardTransport, TransportError};
