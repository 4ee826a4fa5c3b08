//! The card PIN as the holder types it on the in-app keypad: digits only, held in memory that is
//! wiped after every use, never printed. The shells send key presses and never hold the PIN.

use crate::card::Pin;
use zeroize::Zeroizing;

/// "Hold the card", as every flow that reads the card says it.
pub(super) fn hold_card_prompt(lang: crate::Lang) -> String {
    lang.pick(
        "マイナンバーカードをスマホの背面にかざし、終わるまで動かさないでください",
        "Hold the My Number card to the back of the phone and keep it still until it is done",
    )
    .to_owned()
}

/// What a card's refusal asks of a screen that sent a PIN, the same in every flow: type it again
/// (after a wrong PIN, with the tries left; or after the card moved, timed out or answered
/// something else), confirm before the last try, stop for good (blocked; no signing
/// certificate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CardAnswer {
    AskAgain { tries_left: Option<u8> },
    ConfirmLastTry,
    Blocked,
    Stop,
}

pub(super) fn card_answer(e: &crate::card::CardError) -> CardAnswer {
    use crate::card::CardError;
    match e {
        CardError::WrongPin { tries_left } => CardAnswer::AskAgain {
            tries_left: Some(*tries_left),
        },
        CardError::LastTryNeedsConfirmation => CardAnswer::ConfirmLastTry,
        CardError::PinBlocked => CardAnswer::Blocked,
        CardError::NoSigningCertificate => CardAnswer::Stop,
        _ => CardAnswer::AskAgain { tries_left: None },
    }
}

/// The user-authentication PIN is four digits.
pub const PIN_LENGTH: usize = 4;

pub struct PinEntry {
    digits: Zeroizing<[u8; PIN_LENGTH]>,
    len: usize,
}

impl std::fmt::Debug for PinEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PinEntry({} of {PIN_LENGTH} digits)", self.len)
    }
}

impl Default for PinEntry {
    fn default() -> Self {
        Self {
            digits: Zeroizing::new([0; PIN_LENGTH]),
            len: 0,
        }
    }
}

impl PinEntry {
    /// A digit key (0–9). Returns whether it was taken (not a digit, or already full: ignored).
    pub fn press(&mut self, digit: u8) -> bool {
        if digit > 9 || self.len == PIN_LENGTH {
            return false;
        }
        self.digits[self.len] = b'0' + digit;
        self.len += 1;
        true
    }

    pub fn backspace(&mut self) {
        if self.len > 0 {
            self.len -= 1;
            self.digits[self.len] = 0;
        }
    }

    pub fn clear(&mut self) {
        self.digits.fill(0);
        self.len = 0;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_complete(&self) -> bool {
        self.len == PIN_LENGTH
    }

    /// Dots for the screen: one per digit typed, open circles for the rest.
    pub fn masked(&self) -> String {
        "●".repeat(self.len) + &"○".repeat(PIN_LENGTH - self.len)
    }

    /// The PIN, once: the entry is wiped whatever happens next. `None` until complete.
    pub fn take(&mut self) -> Option<Pin> {
        if !self.is_complete() {
            return None;
        }
        let text = Zeroizing::new(String::from_utf8_lossy(&self.digits[..]).into_owned());
        self.clear();
        Pin::parse(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_digits_then_taken_once_and_wiped() {
        let mut p = PinEntry::default();
        assert!(!p.press(10), "not a digit");
        for d in [1, 2, 3] {
            assert!(p.press(d));
        }
        assert_eq!(p.masked(), "●●●○");
        assert!(p.take().is_none(), "three digits are not a PIN");
        p.backspace();
        assert!(p.press(3) && p.press(4));
        assert!(!p.press(5), "a fifth digit is ignored");
        assert!(p.is_complete());
        assert!(p.take().is_some());
        assert!(p.is_empty() && p.take().is_none(), "taken once, then wiped");
        assert_eq!(format!("{p:?}"), "PinEntry(0 of 4 digits)");
    }
}
