//! The radio boundary: the phones (IsoDep, NFCISO7816Tag), a PC/SC reader or the software card
//! implement `CardTransport`; everything above it is the core's.

/// What the reader and card can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Extended-length APDUs (Android: `IsoDep.isExtendedLengthApduSupported`).
    pub extended_length: bool,
    /// Largest command APDU the transport sends, header included.
    pub max_command: usize,
    /// Largest response the transport accepts, status word included.
    pub max_response: usize,
}

impl Capabilities {
    pub const SHORT: Capabilities = Capabilities {
        extended_length: false,
        max_command: 261,
        max_response: 258,
    };
    pub const EXTENDED: Capabilities = Capabilities {
        extended_length: true,
        max_command: 65_544,
        max_response: 65_538,
    };

    /// [`Capabilities::EXTENDED`] or [`Capabilities::SHORT`].
    pub const fn with_extended_length(extended: bool) -> Self {
        if extended {
            Capabilities::EXTENDED
        } else {
            Capabilities::SHORT
        }
    }

    /// Held to a transport's own maximum, each way (`IsoDep.getMaxTransceiveLength`, or a PC/SC
    /// reader's buffer); 0 means the transport states none. A maximum too small for any short
    /// APDU is raised to the smallest useful one rather than refusing every command.
    #[must_use]
    pub fn with_max_transceive(self, max: usize) -> Self {
        if max == 0 {
            return self;
        }
        let max = max.max(16);
        Self {
            max_command: self.max_command.min(max),
            max_response: self.max_response.min(max),
            ..self
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("the card was moved away from the reader")]
    Removed,
    #[error("the card did not answer in time")]
    Timeout,
    #[error("the reader failed: {0}")]
    Io(String),
}

pub trait CardTransport: Send {
    fn capabilities(&self) -> Capabilities;

    /// Sends one command APDU and returns the response APDU (data ‖ SW1 SW2).
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;
}
