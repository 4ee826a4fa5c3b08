//! The signing password (署名用電子証明書の暗証番号): 6 to 16 characters, capital letters A–Z and
//! digits 0–9, 5 tries. Wiped from memory after use.

use zeroize::Zeroizing;

/// Shortest and longest signing password the card accepts.
pub const SIGNING_PIN_MIN: usize = 6;
pub const SIGNING_PIN_MAX: usize = 16;
/// Tries a fresh signing password has (the user-authentication PIN has 3).
pub const SIGNING_PIN_TRIES: u8 = 5;

/// A signing password. Never printed; dropped bytes are zeroed.
pub struct SigningPin(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for SigningPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningPin(****)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the signing password must be 6 to 16 letters A–Z and digits 0–9; nothing was sent to the card / 署名用パスワードは英大文字と数字の6〜16文字です（カードには送信していません）"
)]
pub struct SigningPinFormatError;

impl SigningPin {
    /// Accepts 6–16 letters and digits. Lower-case and full-width characters are converted:
    /// the card stores capitals only, so a lower-case letter could never match as typed.
    pub fn parse(input: &str) -> Result<Self, SigningPinFormatError> {
        let mut out = Zeroizing::new(Vec::with_capacity(SIGNING_PIN_MAX));
        for c in input.chars() {
            let c = match c {
                '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                    char::from_u32(c as u32 - 0xFEE0).ok_or(SigningPinFormatError)?
                }
                _ => c,
            };
            if !c.is_ascii_alphanumeric() || out.len() == SIGNING_PIN_MAX {
                return Err(SigningPinFormatError);
            }
            out.push(c.to_ascii_uppercase() as u8);
        }
        if out.len() < SIGNING_PIN_MIN {
            return Err(SigningPinFormatError);
        }
        Ok(Self(out))
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0[..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_to_sixteen_capitals_and_digits() {
        assert_eq!(
            SigningPin::parse("abc123").map(|p| p.bytes().to_vec()),
            Ok(b"ABC123".to_vec())
        );
        assert_eq!(
            SigningPin::parse("ＴＥＣＨＯ１２").map(|p| p.bytes().to_vec()),
            Ok(b"TECHO12".to_vec())
        );
        assert!(SigningPin::parse("A234567890123456").is_ok());
        for bad in [
            "",
            "ABC12",
            "A2345678901234567",
            "ABC 123",
            "ABC-123",
            "ＡＢＣ１２",
            "ÀBC123",
        ] {
            assert_eq!(
                SigningPin::parse(bad).map(|_| ()),
                Err(SigningPinFormatError),
                "{bad:?}"
            );
        }
        assert_eq!(
            format!("{:?}", SigningPin::parse("ABC123")),
            "Ok(SigningPin(****))"
        );
    }
}
