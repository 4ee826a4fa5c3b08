//! Where the issuer's private keys live: files (development, the demo, tests) or an HSM through
//! PKCS#11. The server only ever asks a source to open, make or sign with a key; a key made in
//! an HSM never leaves it.

use std::sync::Arc;
use techo_core::token::{PublicKey, Signer};
use zeroize::Zeroizing;

/// The associated data binding a wrapped data key to its purpose.
pub(crate) const DATA_KEY_AAD: &[u8] = b"techo store data key v1";

/// Why the keys could not be opened or made. The server does not start (or the rotation step
/// is not taken); nothing is half-written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("--keys {0}")]
    Config(String),
    #[error("cannot load the PKCS#11 module {module}: {why}. Check module= in --keys")]
    Module { module: String, why: String },
    #[error(
        "no initialised token labelled {label} in the HSM: create it (for SoftHSM: softhsm2-util --init-token --free --label {label}) or check token= in --keys"
    )]
    NoToken { label: String },
    #[error("the HSM refused the PIN for token {label}: check pin-file= / pin-env= in --keys")]
    Login { label: String },
    #[error(
        "the HSM refused this server's PIN for token {label} since it started; so as not to lock the PIN, no login is tried again: correct pin-file= / pin-env= in --keys and restart the server"
    )]
    PinRefusedEarlier { label: String },
    #[error(
        "issuer key {kid} is in the trust list but not in {place}: restore the HSM (or key folder) from its backup; do not make a new key under the same id"
    )]
    Missing { kid: String, place: String },
    #[error("the HSM failed ({0}): check that it is reachable, then start again")]
    Hsm(String),
    #[error("cannot read or write the issuer key {path}: {why}")]
    Io { path: String, why: String },
    #[error(
        "the store's sealing key cannot be used ({0}): start with the key folder or HSM token this database was set up with"
    )]
    Sealing(String),
}

/// Which key: the root (signs the trust list) or issuer key `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyName {
    Root,
    Issuer(Vec<u8>),
}

impl KeyName {
    /// The key's label in an HSM.
    pub fn label(&self) -> String {
        match self {
            KeyName::Root => "techo-root".into(),
            KeyName::Issuer(kid) => format!("techo-issuer-{}", techo_core::hex::encode(kid)),
        }
    }
}

/// A place that keeps issuer keys.
pub trait KeySource: Send + Sync + std::fmt::Debug {
    /// Every key the source holds under `name` (normally one; two processes making the same
    /// key at once make two until the loser discards its own; told apart by their public keys).
    fn find(&self, name: &KeyName) -> Result<Vec<Arc<dyn Signer>>, KeyError>;
    /// Makes a new key `name` inside the source.
    fn generate(&self, name: &KeyName) -> Result<Arc<dyn Signer>, KeyError>;
    /// Destroys the key `name` whose public key is `public`, made by this process and then not
    /// used (another process changed the ring first). Whether there was one.
    fn discard(&self, name: &KeyName, public: &PublicKey) -> Result<bool, KeyError>;
    /// The store's data key wrapped under this source's sealing key (an AES key made in the
    /// source on first use, never leaving an HSM).
    fn wrap_data_key(&self, data_key: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// The data key `wrapped` holds; [`KeyError::Sealing`] if no sealing key here opens it.
    fn unwrap_data_key(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError>;
    /// Says where the keys are, for messages (no secrets).
    fn describe(&self) -> String;
}
