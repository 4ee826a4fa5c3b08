//! A desktop card reader through PC/SC (pcscd on Linux, the smart-card service on macOS and
//! Windows): the My Number card on a USB reader such as Sony's RC-S380 / RC-S300, or a contact
//! reader. `--reader auto` takes the first reader with a card on it; `--reader NAME` the reader
//! whose name contains NAME.

use techo_core::card::{Capabilities, CardTransport, TransportError};

/// A connected card on one PC/SC reader.
pub struct PcscReader {
    card: pcsc::Card,
    name: String,
    extended: bool,
}

impl std::fmt::Debug for PcscReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PcscReader({})", self.name)
    }
}

/// Why no card could be reached through PC/SC: each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    #[error(
        "the smart-card service is not running or not reachable ({0}): on Linux install and start pcscd (Debian: `apt install pcscd`), then try again"
    )]
    NoService(String),
    #[error("no card reader is connected: plug in the reader (e.g. a Sony RC-S380) and try again")]
    NoReader,
    #[error("no reader is named like {wanted:?}; connected readers: {readers}")]
    UnknownReader { wanted: String, readers: String },
    #[error(
        "no card on {readers}: put the My Number card on the reader (flat, still) and try again"
    )]
    NoCard { readers: String },
    #[error("the reader {reader} failed: {why}")]
    Failed { reader: String, why: String },
}

impl PcscReader {
    /// Connects to the card on `wanted` (`auto`: the first reader holding a card). With
    /// `extended`, extended-length APDUs are sent (most USB readers carry them; `--short` for
    /// those that do not).
    pub fn connect(wanted: &str, extended: bool) -> Result<Self, ReaderError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)
            .map_err(|e| ReaderError::NoService(e.to_string()))?;
        let names: Vec<std::ffi::CString> = match ctx.list_readers_owned() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => return Err(ReaderError::NoReader),
            Err(e) => return Err(ReaderError::NoService(e.to_string())),
        };
        if names.is_empty() {
            return Err(ReaderError::NoReader);
        }
        let listed = names
            .iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        let candidates: Vec<&std::ffi::CString> = if wanted == "auto" {
            names.iter().collect()
        } else {
            names
                .iter()
                .filter(|n| n.to_string_lossy().contains(wanted))
                .collect()
        };
        if candidates.is_empty() {
            return Err(ReaderError::UnknownReader {
                wanted: wanted.to_owned(),
                readers: listed,
            });
        }
        for name in &candidates {
            let reader = name.to_string_lossy().into_owned();
            match ctx.connect(name, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY) {
                Ok(card) => {
                    return Ok(Self {
                        card,
                        name: reader,
                        extended,
                    });
                }
                // No card on this one (or it is still powering up): try the next reader.
                Err(
                    pcsc::Error::NoSmartcard
                    | pcsc::Error::RemovedCard
                    | pcsc::Error::UnpoweredCard
                    | pcsc::Error::UnresponsiveCard
                    | pcsc::Error::ReaderUnavailable,
                ) => {}
                Err(e) => {
                    return Err(ReaderError::Failed {
                        reader,
                        why: e.to_string(),
                    });
                }
            }
        }
        Err(ReaderError::NoCard {
            readers: candidates
                .iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// Whether the card has left the reader (or the reader cannot tell any more).
    fn card_gone(&self) -> bool {
        match self.card.status2_owned() {
            Ok(s) => !s.status().contains(pcsc::Status::PRESENT),
            Err(_) => true,
        }
    }
}

impl CardTransport for PcscReader {
    fn capabilities(&self) -> Capabilities {
        Capabilities::with_extended_length(self.extended)
            .with_max_transceive(pcsc::MAX_BUFFER_SIZE_EXTENDED)
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        match self.card.transmit(apdu, &mut buf) {
            // A reader may hand back what it had when the card left mid-command: ask whether the
            // card is still there before calling it a garbled answer.
            Ok(answer) if answer.len() < 2 && self.card_gone() => Err(TransportError::Removed),
            Ok(answer) => Ok(answer.to_vec()),
            Err(
                pcsc::Error::RemovedCard
                | pcsc::Error::NoSmartcard
                | pcsc::Error::ResetCard
                | pcsc::Error::UnpoweredCard,
            ) => Err(TransportError::Removed),
            Err(pcsc::Error::Timeout | pcsc::Error::UnresponsiveCard) => {
                Err(TransportError::Timeout)
            }
            Err(_) if self.card_gone() => Err(TransportError::Removed),
            Err(e) => Err(TransportError::Io(format!(
                "{} ({e}); a reader without extended-length APDUs needs --short",
                self.name
            ))),
        }
    }
}
