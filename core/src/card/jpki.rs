//! My Number card operations: the JPKI applet (user-authentication certificate, PIN, signature)
//! and the card-info-input-support applet (the basic four facts).

use super::apdu::{Command, StatusWord};
use super::channel::Channel;
use super::error::CardError;
use super::pin::{LastTry, Pin};
use super::signing_pin::{SIGNING_PIN_TRIES, SigningPin};

pub const JPKI_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
pub const CARD_INFO_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];

/// JPKI: user-authentication certificate, its private key and its PIN.
pub const AUTH_CERT_EF: u16 = 0x000A;
pub const AUTH_KEY_EF: u16 = 0x0017;
pub const AUTH_PIN_EF: u16 = 0x0018;
/// JPKI: signing certificate (readable only after the signing password), key and password.
pub const SIGN_CERT_EF: u16 = 0x0001;
pub const SIGN_KEY_EF: u16 = 0x001A;
pub const SIGN_PIN_EF: u16 = 0x001B;
/// Card-info-input-support: PIN and basic four facts.
pub const CARD_INFO_PIN_EF: u16 = 0x0011;
pub const BASIC_FOUR_EF: u16 = 0x0002;

/// Certificates are 1–2 KB; anything claiming more than this is refused.
pub const MAX_CERT_LEN: usize = 16 * 1024;

/// DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2).
pub const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

fn low_byte(fid: u16) -> u8 {
    fid.to_be_bytes()[1]
}

/// SELECT an application by AID, no response data.
pub fn select_application(
    ch: &mut Channel<'_>,
    aid: &[u8],
    name: &'static str,
) -> Result<(), CardError> {
    let r = ch.send(
        "SELECT application",
        &Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(aid.to_vec()),
    )?;
    match r.sw {
        StatusWord::Ok => Ok(()),
        StatusWord::NotFound | StatusWord::FunctionNotSupported => {
            Err(CardError::NotMyNumberCard(name))
        }
        sw => Err(CardError::Status {
            command: "SELECT application",
            sw,
        }),
    }
}

/// SELECT an EF by its two-byte identifier.
pub fn select_ef(ch: &mut Channel<'_>, fid: u16, what: &'static str) -> Result<(), CardError> {
    let r = ch.send(
        what,
        &Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes().to_vec()),
    )?;
    match r.sw {
        StatusWord::Ok => Ok(()),
        sw => Err(CardError::Status { command: what, sw }),
    }
}

fn read_binary(
    ch: &mut Channel<'_>,
    p1: u8,
    p2: u8,
    le: u32,
) -> Result<(Vec<u8>, StatusWord), CardError> {
    let r = ch.send("READ BINARY", &Command::new(0x00, 0xB0, p1, p2).with_le(le))?;
    Ok((r.data, r.sw))
}

/// Total length of a DER item (a SEQUENCE) from its header, if the header is complete.
fn der_length(head: &[u8]) -> Option<usize> {
    super::ber::item_length(head, &[0x30])
}

/// What a file holds, as far as reading it goes: how its length is told and what is too much.
#[derive(Debug, Clone, Copy)]
pub struct FileShape {
    /// The content's whole length from its first bytes.
    pub length_of: fn(&[u8]) -> Option<usize>,
    pub max_len: usize,
    /// For `CardError::NotMyNumberCard` when the file does not exist.
    pub name: &'static str,
    pub bad_header: &'static str,
    pub too_long: &'static str,
    pub cut_short: &'static str,
}

pub const CERTIFICATE: FileShape = FileShape {
    length_of: der_length,
    max_len: MAX_CERT_LEN,
    name: "certificate",
    bad_header: "the certificate does not start with a DER header",
    too_long: "the certificate claims to be larger than 16 KB",
    cut_short: "the certificate ends before its DER length",
};

pub const BASIC_FOUR_RECORD: FileShape = FileShape {
    length_of: super::basic_four::record_length,
    max_len: 4096,
    name: "card-info-input-support",
    bad_header: "the basic four facts do not start with their record header",
    too_long: "the basic four facts claim to be larger than 4 KB",
    cut_short: "the basic four facts end before their length",
};

fn read_ok(sw: StatusWord) -> Result<(), CardError> {
    match sw {
        StatusWord::Ok | StatusWord::EndOfFile => Ok(()),
        sw => Err(CardError::Status {
            command: "READ BINARY",
            sw,
        }),
    }
}

/// Reads a whole file whose content says its own length (a certificate, the basic-four record).
///
/// The first READ BINARY names the EF by short identifier, so no SELECT is needed when the
/// transport carries the whole file at once (extended length: one APDU). When more is left, the
/// EF is selected explicitly before reading on by offset: a card need not make an EF current
/// when it is read by short identifier, and no public reader relies on it. A card that refuses
/// short identifiers is read after a SELECT from the start.
pub fn read_whole_file(
    ch: &mut Channel<'_>,
    fid: u16,
    what: &'static str,
    shape: FileShape,
) -> Result<Vec<u8>, CardError> {
    let (mut data, sw) = read_binary(ch, 0x80 | low_byte(fid), 0x00, ch.max_le())?;
    let mut selected = false;
    match sw {
        StatusWord::FunctionNotSupported | StatusWord::IncorrectParameters => {
            select_ef(ch, fid, what)?;
            selected = true;
            let (d, sw) = read_binary(ch, 0x00, 0x00, ch.max_le())?;
            read_ok(sw)?;
            data = d;
        }
        StatusWord::NotFound => return Err(CardError::NotMyNumberCard(shape.name)),
        sw => read_ok(sw)?,
    }
    let total = (shape.length_of)(&data).ok_or(CardError::Malformed(shape.bad_header))?;
    if total > shape.max_len {
        return Err(CardError::Malformed(shape.too_long));
    }
    while data.len() < total {
        if !selected {
            select_ef(ch, fid, what)?;
            selected = true;
        }
        let offset =
            u16::try_from(data.len()).map_err(|_| CardError::Malformed("offset beyond 64 KB"))?;
        let [hi, lo] = offset.to_be_bytes();
        let want = u32::try_from(total - data.len())
            .unwrap_or(u32::MAX)
            .min(ch.max_le());
        let (chunk, sw) = read_binary(ch, hi & 0x7F, lo, want)?;
        read_ok(sw)?;
        if chunk.is_empty() {
            return Err(CardError::Malformed(shape.cut_short));
        }
        data.extend_from_slice(&chunk);
    }
    data.truncate(total);
    Ok(data)
}

/// Reads a certificate (DER) by [`read_whole_file`].
pub fn read_der_file(
    ch: &mut Channel<'_>,
    fid: u16,
    what: &'static str,
) -> Result<Vec<u8>, CardError> {
    read_whole_file(ch, fid, what, CERTIFICATE)
}

/// Tries left for a PIN, without spending one: VERIFY with no data, the PIN referenced in P2.
/// `full` is the PIN's starting count, reported when the card answers "already verified".
pub fn pin_tries_left(ch: &mut Channel<'_>, pin_ef: u16, full: u8) -> Result<u8, CardError> {
    let r = ch.send(
        "VERIFY (tries left)",
        &Command::new(0x00, 0x20, 0x00, 0x80 | low_byte(pin_ef)),
    )?;
    match r.sw {
        StatusWord::TriesLeft(n) => Ok(n),
        // Some cards answer 90 00 once the PIN is verified in this session.
        StatusWord::Ok => Ok(full),
        StatusWord::Blocked | StatusWord::DataUnusable => Err(CardError::PinBlocked),
        sw => Err(CardError::Status {
            command: "VERIFY (tries left)",
            sw,
        }),
    }
}

/// A PIN as the card compares it: its bytes and how many tries a fresh one has.
#[derive(Clone, Copy)]
pub struct PinRef<'p> {
    ef: u16,
    secret: &'p [u8],
    full_tries: u8,
}

impl std::fmt::Debug for PinRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PinRef(EF {:04X}, ****)", self.ef)
    }
}

impl PinRef<'_> {
    /// The 4-digit PIN of the user-authentication key or of the card-info applet (3 tries).
    pub fn four_digit(ef: u16, pin: &Pin) -> PinRef<'_> {
        PinRef {
            ef,
            secret: pin.bytes(),
            full_tries: 3,
        }
    }

    /// The signing password (5 tries).
    pub fn signing(pin: &SigningPin) -> PinRef<'_> {
        PinRef {
            ef: SIGN_PIN_EF,
            secret: pin.bytes(),
            full_tries: SIGNING_PIN_TRIES,
        }
    }
}

/// Checks the counter, then sends the PIN once. Never retries by itself.
pub fn verify_pin(
    ch: &mut Channel<'_>,
    pin: PinRef<'_>,
    last_try: LastTry,
) -> Result<u8, CardError> {
    let pin_ef = pin.ef;
    let tries = pin_tries_left(ch, pin_ef, pin.full_tries)?;
    match tries {
        0 => return Err(CardError::PinBlocked),
        1 if last_try == LastTry::Refuse => return Err(CardError::LastTryNeedsConfirmation),
        _ => {}
    }
    let cmd = Command::new(0x00, 0x20, 0x00, 0x80 | low_byte(pin_ef))
        .with_data(pin.secret.to_vec())
        .secret();
    let r = ch.send("VERIFY", &cmd)?;
    match r.sw {
        StatusWord::Ok => Ok(tries),
        StatusWord::TriesLeft(0) | StatusWord::Blocked | StatusWord::DataUnusable => {
            Err(CardError::PinBlocked)
        }
        StatusWord::TriesLeft(n) => Err(CardError::WrongPin { tries_left: n }),
        sw => Err(CardError::Status {
            command: "VERIFY",
            sw,
        }),
    }
}

/// RSA PKCS#1 v1.5 signature with the user-authentication key over SHA-256(`message`).
pub fn sign_sha256(ch: &mut Channel<'_>, message: &[u8]) -> Result<Vec<u8>, CardError> {
    sign_digest(
        ch,
        AUTH_KEY_EF,
        "SELECT EF (authentication key)",
        &sha256(message),
    )
}

fn sha256(message: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, message);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// The SHA-256 DigestInfo a JPKI key signs (RSA PKCS#1 v1.5, the hash already made).
pub fn digest_info(sha256: &[u8; 32]) -> Vec<u8> {
    let mut out = SHA256_DIGEST_INFO_PREFIX.to_vec();
    out.extend_from_slice(sha256);
    out
}

/// [`digest_info`] of SHA-256(`message`): what a JPKI signer signs for the portal's challenge.
pub fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    digest_info(&sha256(message))
}

/// RSA PKCS#1 v1.5 signature over a SHA-256 digest the caller computed, with the key in
/// `key_ef` (the PIN guarding it must be verified in this session).
pub fn sign_digest(
    ch: &mut Channel<'_>,
    key_ef: u16,
    what: &'static str,
    sha256: &[u8; 32],
) -> Result<Vec<u8>, CardError> {
    select_ef(ch, key_ef, what)?;
    let cmd = Command::new(0x80, 0x2A, 0x00, 0x80)
        .with_data(digest_info(sha256))
        .with_le(256);
    let r = ch.send("COMPUTE DIGITAL SIGNATURE", &cmd)?;
    match r.sw {
        StatusWord::Ok if r.data.len() == 256 => Ok(r.data),
        StatusWord::Ok => Err(CardError::Malformed("the signature is not 256 bytes")),
        StatusWord::SecurityNotSatisfied => Err(CardError::Status {
            command: "COMPUTE DIGITAL SIGNATURE (PIN not verified)",
            sw: r.sw,
        }),
        sw => Err(CardError::Status {
            command: "COMPUTE DIGITAL SIGNATURE",
            sw,
        }),
    }
}
