//! The user-authentication PIN: exactly four ASCII digits, wiped from memory after use.

use zeroize::Zeroizing;

/// A 4-digit PIN. Never printed; dropped bytes are zeroed.
pub struct Pin(Zeroizing<[u8; 4]>);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(****)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the PIN must be exactly 4 digits (0–9); nothing was sent to the card / 暗証番号は数字4桁です（カードには送信していません）"
)]
pub struct PinFormatError;

impl Pin {
    /// Accepts exactly four ASCII digits (full-width digits are converted).
    pub fn parse(input: &str) -> Result<Self, PinFormatError> {
        let mut out = Zeroizing::new([0u8; 4]);
        let mut n = 0;
        for c in input.chars() {
            let d = match c {
                '0'..='9' => c as u32,
                '０'..='９' => c as u32 - 0xFEE0,
                _ => return Err(PinFormatError),
            };
            if n == 4 {
                return Err(PinFormatError);
            }
            out[n] = u8::try_from(d).map_err(|_| PinFormatError)?;
            n += 1;
        }
        if n == 4 {
            Ok(Self(out))
        } else {
            Err(PinFormatError)
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0[..]
    }
}

/// Whether the holder confirmed spending the last try (the card blocks after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LastTry {
    /// Refuse to send the PIN when only one try is left.
    #[default]
    Refuse,
    /// The holder saw the warning and chose to try anyway.
    Confirmed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_four_digits() {
        assert!(Pin::parse("1234").is_ok());
        assert!(Pin::parse("１２３４").is_ok());
        for bad in ["123", "12345", "12a4", "", " 1234", "12 34"] {
            assert_eq!(Pin::parse(bad).unwrap_err(), PinFormatError, "{bad:?}");
        }
        assert_eq!(format!("{:?}", Pin::parse("1234").unwrap()), "Pin(****)");
    }
}
