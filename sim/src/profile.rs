//! A card folder: `card.toml`, `auth.key.der` (PKCS#8), `auth.crt.der`, and on cards with a
//! signing certificate `sign.key.der` and `sign.crt.der`.

use chrono::NaiveDate;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use techo_core::card::{BasicFour, Sex};

#[derive(Debug, Deserialize)]
struct CardToml {
    pin: String,
    auth_tries: u8,
    info_tries: u8,
    name: String,
    address: String,
    birth_date: String,
    sex: String,
    /// The signing password; absent on cards without a signing certificate.
    sign_pin: Option<String>,
    sign_tries: Option<u8>,
    /// The sex code exactly as the card stores it, when it is not one `sex` names.
    sex_code: Option<String>,
    /// What the card answers for a blocked PIN: `6983` (ISO's "blocked") or `6984` (seen from
    /// real cards). Default 6983.
    blocked_status: Option<String>,
    /// Whether a READ BINARY by short EF identifier makes that EF current (ISO 7816-4 allows it;
    /// no public reader relies on it). Default false: later offset reads need a SELECT.
    #[serde(default)]
    sfi_sets_current_ef: bool,
}

/// The signing certificate, its key and password (署名用電子証明書).
pub struct SigningKey {
    pub pin: String,
    pub tries: u8,
    pub certificate: Vec<u8>,
    pub(crate) key: rsa::RsaPrivateKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SigningKey({} tries, password and key hidden)",
            self.tries
        )
    }
}

/// Everything the card holds.
pub struct CardProfile {
    pub name: String,
    pub pin: String,
    pub auth_tries: u8,
    pub info_tries: u8,
    pub basic_four: BasicFour,
    /// The basic-four record as the card stores it (its sex code may be one no reader knows).
    pub basic_four_record: Vec<u8>,
    /// The status word for a blocked PIN (0x6983 or 0x6984).
    pub blocked_sw: u16,
    pub sfi_sets_current_ef: bool,
    pub certificate: Vec<u8>,
    pub(crate) key: rsa::RsaPrivateKey,
    pub signing: Option<SigningKey>,
}

impl std::fmt::Debug for CardProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardProfile({}, PIN and key hidden)", self.name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read the test card {path}: {why}")]
    Read { path: PathBuf, why: String },
    #[error("the test card {path} is malformed: {why}")]
    Malformed { path: PathBuf, why: String },
    #[error(
        "the software card's PIN counters in {path} are damaged ({why}): the card stays unusable rather than forgetting wrong tries. Restore the file, or delete it only to start the card over as new"
    )]
    DamagedState { path: PathBuf, why: String },
}

/// `dir/name`, read whole.
pub(crate) fn read_file(dir: &Path, name: &str) -> Result<Vec<u8>, ProfileError> {
    std::fs::read(dir.join(name)).map_err(|e| ProfileError::Read {
        path: dir.join(name),
        why: e.to_string(),
    })
}

/// The RSA key (PKCS#8 DER) in `dir/name`.
pub(crate) fn rsa_key(dir: &Path, name: &str) -> Result<rsa::RsaPrivateKey, ProfileError> {
    <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_der(&read_file(dir, name)?)
        .map_err(|e| ProfileError::Malformed {
            path: dir.to_owned(),
            why: format!("{name}: {e}"),
        })
}

impl CardProfile {
    pub fn load(dir: &Path) -> Result<Self, ProfileError> {
        let read = |name: &str| read_file(dir, name);
        let bad = |why: String| ProfileError::Malformed {
            path: dir.to_owned(),
            why,
        };
        let text = String::from_utf8(read("card.toml")?).map_err(|e| bad(e.to_string()))?;
        let t: CardToml = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let rsa_key = |name: &str| rsa_key(dir, name);
        let key = rsa_key("auth.key.der")?;
        let signing = match t.sign_pin {
            Some(pin) => Some(SigningKey {
                pin,
                tries: t.sign_tries.unwrap_or(5),
                certificate: read("sign.crt.der")?,
                key: rsa_key("sign.key.der")?,
            }),
            None => None,
        };
        let sex = match t.sex.as_str() {
            "male" => Sex::Male,
            "female" => Sex::Female,
            "other" => Sex::Other,
            "unknown" => Sex::Unknown,
            other => {
                return Err(bad(format!(
                    "sex {other:?}: male, female, other or unknown"
                )));
            }
        };
        let blocked_sw = match t.blocked_status.as_deref() {
            None | Some("6983") => 0x6983,
            Some("6984") => 0x6984,
            Some(other) => return Err(bad(format!("blocked_status {other:?}: 6983 or 6984"))),
        };
        let birth_date =
            NaiveDate::parse_from_str(&t.birth_date, "%Y-%m-%d").map_err(|e| bad(e.to_string()))?;
        let basic_four = BasicFour {
            name: t.name,
            address: t.address,
            birth_date,
            sex,
        };
        let basic_four_record = match &t.sex_code {
            Some(code) => basic_four.encode_with_sex_code(code.as_bytes()),
            None => basic_four.encode(),
        };
        Ok(Self {
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            pin: t.pin,
            auth_tries: t.auth_tries,
            info_tries: t.info_tries,
            basic_four,
            basic_four_record,
            blocked_sw,
            sfi_sets_current_ef: t.sfi_sets_current_ef,
            certificate: read("auth.crt.der")?,
            key,
            signing,
        })
    }
}
