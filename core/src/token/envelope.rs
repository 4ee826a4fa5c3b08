//! The QR payload: a version prefix, then the credential and the display token as a CBOR
//! sequence (RFC 8742).
//!
//! - binary form: `"TK1"` ‖ credential ‖ token — for QR byte mode;
//! - text form:   `"TK1:"` ‖ Base45(credential ‖ token) — for QR alphanumeric mode and for
//!   copying a payload as text (`techo verify <payload>`).

use super::base45;
use super::cbor_read::Malformed;

pub const PREFIX: &[u8] = b"TK1";
pub const TEXT_PREFIX: &str = "TK1:";
/// Anything longer is not a Techo payload (the largest full disclosure is well under this).
pub const MAX_PAYLOAD: usize = 4096;

/// A presentation as carried in a QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// credential ‖ token, without prefix.
    pub body: Vec<u8>,
}

/// Why the prefix was refused: not ours, or a version this build does not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixError {
    NotTecho,
    Version(String),
    TooLarge(usize),
    Malformed(Malformed),
}

impl Payload {
    pub fn binary(&self) -> Vec<u8> {
        let mut out = PREFIX.to_vec();
        out.extend_from_slice(&self.body);
        out
    }

    pub fn text(&self) -> String {
        format!("{TEXT_PREFIX}{}", base45::encode(&self.body))
    }

    /// Accepts either form. Offsets in later errors count from the start of `body`.
    pub fn parse(input: &[u8]) -> Result<Self, PrefixError> {
        if input.len() > MAX_PAYLOAD * 2 {
            return Err(PrefixError::TooLarge(input.len()));
        }
        // Only the text form may carry surrounding whitespace (copied from a terminal or a
        // form field); a binary payload ends in signature bytes that may look like spaces.
        let text = trim_ascii(input);
        let bytes = if text.get(3) == Some(&b':') {
            text
        } else {
            input
        };
        // Exactly "TK": QR alphanumeric mode has no lower case, and one payload has one form.
        if bytes.len() < 3 || &bytes[..2] != b"TK" {
            return Err(PrefixError::NotTecho);
        }
        if bytes[2] != b'1' {
            let version: String = bytes[2..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .map(|b| char::from(*b))
                .collect();
            return Err(PrefixError::Version(version));
        }
        let body = if bytes.get(3) == Some(&b':') {
            let text = std::str::from_utf8(&bytes[4..]).map_err(|e| {
                PrefixError::Malformed(Malformed {
                    at: e.valid_up_to(),
                    what: "Base45 text",
                })
            })?;
            base45::decode(text).map_err(|at| {
                PrefixError::Malformed(Malformed {
                    at,
                    what: "Base45 text",
                })
            })?
        } else {
            bytes[3..].to_vec()
        };
        if body.len() > MAX_PAYLOAD {
            return Err(PrefixError::TooLarge(body.len()));
        }
        Ok(Self { body })
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}
