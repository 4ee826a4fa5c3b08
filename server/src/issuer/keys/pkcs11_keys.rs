//! Issuer keys in an HSM through PKCS#11 (`cryptoki`): made inside the token (sensitive, never
//! extractable), found again by label, and used only through sessions: the private key never
//! reaches this process. Tested against SoftHSM2.
//!
//! `--keys pkcs11:module=/usr/lib/softhsm/libsofthsm2.so;token=techo;pin-file=/run/secrets/pin`
//! (or `pin-env=VAR`). Keys are found by label ([`KeyName::label`]).

use super::source::{KeyError, KeyName, KeySource};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use techo_core::token::{PublicKey, SignError, Signer};

/// The DER of the P-256 curve's OID (CKA_EC_PARAMS).
const P256: [u8; 10] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

/// `pkcs11:module=…;token=…;pin-file=…|pin-env=…`.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkcs11Config {
    pub module: PathBuf,
    pub token: String,
    pin: String,
}

impl std::fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token", &self.token)
            .field("pin", &"(hidden)")
            .finish()
    }
}

impl Pkcs11Config {
    pub fn new(module: impl Into<PathBuf>, token: &str, pin: &str) -> Self {
        Self {
            module: module.into(),
            token: token.to_owned(),
            pin: pin.to_owned(),
        }
    }

    /// Reads `module=…;token=…;pin-file=…` or `…;pin-env=…` (the text after `pkcs11:`).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let mut fields: HashMap<&str, &str> = HashMap::new();
        for part in text.split(';').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                KeyError::Config(format!("pkcs11: expected key=value, not {part}"))
            })?;
            fields.insert(k.trim(), v.trim());
        }
        let need = |k: &str| {
            fields
                .get(k)
                .copied()
                .ok_or_else(|| KeyError::Config(format!("pkcs11: {k}= is required")))
        };
        let module = need("module")?;
        let token = need("token")?;
        let pin = match (fields.get("pin-file"), fields.get("pin-env")) {
            (Some(path), None) => std::fs::read_to_string(path)
                .map_err(|e| KeyError::Config(format!("pkcs11: pin-file {path}: {e}")))?
                .trim_end_matches(['\n', '\r'])
                .to_owned(),
            (None, Some(var)) => std::env::var(var).map_err(|_| {
                KeyError::Config(format!("pkcs11: pin-env names {var}, which is not set"))
            })?,
            _ => {
                return Err(KeyError::Config(
                    "pkcs11: give the user PIN as pin-file=PATH or pin-env=VAR (one of them)"
                        .into(),
                ));
            }
        };
        Ok(Self::new(module, token, &pin))
    }
}

/// One context per module for the whole process: a module is initialised once, and never
/// finalised under another server's sessions (tests run several servers in one process).
fn context(module: &Path) -> Result<Pkcs11, KeyError> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut all = CONTEXTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(ctx) = all.get(module) {
        return Ok(ctx.clone());
    }
    let failed = |why: String| KeyError::Module {
        module: module.display().to_string(),
        why,
    };
    let ctx = Pkcs11::new(module).map_err(|e| failed(e.to_string()))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(failed(e.to_string())),
    }
    all.insert(module.to_owned(), ctx.clone());
    Ok(ctx)
}

fn hsm(e: impl std::fmt::Display) -> KeyError {
    KeyError::Hsm(e.to_string())
}

/// Open sessions on the token, one per signature in flight. The first stays open for the
/// life of the source: closing a token's last session logs the application out.
#[derive(Debug)]
struct Sessions {
    ctx: Pkcs11,
    slot: Slot,
    idle: Mutex<Vec<Session>>,
    _logged_in: Mutex<Session>,
}

impl Sessions {
    fn take(&self) -> Result<Session, CkError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(s) => Ok(s),
            None => self.ctx.open_rw_session(self.slot),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&Session) -> Result<T, CkError>) -> Result<T, CkError> {
        let session = self.take()?;
        let result = f(&session);
        // A session the token closed is not kept.
        if !matches!(
            result,
            Err(CkError::Pkcs11(
                RvError::SessionHandleInvalid | RvError::SessionClosed | RvError::DeviceRemoved,
                _
            ))
        ) {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(session);
        }
        result
    }
}

/// The keys of one token.
#[derive(Debug)]
pub struct Pkcs11Keys {
    sessions: Arc<Sessions>,
    token: String,
}

/// One private key in the token, signing through a session.
#[derive(Debug)]
pub struct Pkcs11Signer {
    sessions: Arc<Sessions>,
    key: ObjectHandle,
    public: PublicKey,
    label: String,
}

impl Signer for Pkcs11Signer {
    fn public(&self) -> PublicKey {
        self.public.clone()
    }

    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        let digest = ring::digest::digest(&ring::digest::SHA256, msg);
        let signature = self
            .sessions
            .with(|s| s.sign(&Mechanism::Ecdsa, self.key, digest.as_ref()))
            .map_err(|e| SignError::Unavailable {
                key: self.label.clone(),
                why: e.to_string(),
            })?;
        if signature.len() == 64 {
            Ok(signature)
        } else {
            Err(SignError::BadSignature {
                key: self.label.clone(),
            })
        }
    }
}

/// CKA_EC_POINT is the point in a DER OCTET STRING (SoftHSM and most tokens); some give it bare.
fn point_of(ec_point: &[u8]) -> Option<PublicKey> {
    let bare = match ec_point {
        [0x04, 0x41, rest @ ..] if rest.len() == 65 => rest,
        other => other,
    };
    PublicKey::from_sec1(bare).ok()
}

impl Pkcs11Keys {
    /// Opens the token labelled `cfg.token` and logs in with the user PIN.
    pub fn open(cfg: &Pkcs11Config) -> Result<Self, KeyError> {
        let ctx = context(&cfg.module)?;
        let slot = ctx
            .get_slots_with_initialized_token()
            .map_err(hsm)?
            .into_iter()
            .find(|slot| {
                ctx.get_token_info(*slot)
                    .is_ok_and(|info| info.label() == cfg.token)
            })
            .ok_or_else(|| KeyError::NoToken {
                label: cfg.token.clone(),
            })?;
        let session = ctx.open_rw_session(slot).map_err(hsm)?;
        match session.login(UserType::User, Some(&AuthPin::new(cfg.pin.clone().into()))) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLocked, _)) => {
                return Err(KeyError::Login {
                    label: cfg.token.clone(),
                });
            }
            Err(e) => return Err(hsm(e)),
        }
        Ok(Self {
            sessions: Arc::new(Sessions {
                ctx,
                slot,
                idle: Mutex::new(Vec::new()),
                _logged_in: Mutex::new(session),
            }),
            token: cfg.token.clone(),
        })
    }

    /// Every key pair under `label`, with its public key.
    fn pairs(&self, label: &str) -> Result<Vec<(ObjectHandle, PublicKey)>, KeyError> {
        self.sessions
            .with(|s| {
                let mut out = Vec::new();
                for private in s.find_objects(&[
                    Attribute::Class(ObjectClass::PRIVATE_KEY),
                    Attribute::Label(label.as_bytes().to_vec()),
                ])? {
                    let Some(Attribute::Id(id)) =
                        s.get_attributes(private, &[AttributeType::Id])?.pop()
                    else {
                        continue;
                    };
                    for public in s.find_objects(&[
                        Attribute::Class(ObjectClass::PUBLIC_KEY),
                        Attribute::Label(label.as_bytes().to_vec()),
                        Attribute::Id(id.clone()),
                    ])? {
                        if let Some(Attribute::EcPoint(p)) =
                            s.get_attributes(public, &[AttributeType::EcPoint])?.pop()
                        {
                            if let Some(pk) = point_of(&p) {
                                out.push((private, pk));
                            }
                        }
                    }
                }
                Ok(out)
            })
            .map_err(hsm)
    }

    fn signer(&self, key: ObjectHandle, public: PublicKey, label: &str) -> Arc<dyn Signer> {
        Arc::new(Pkcs11Signer {
            sessions: self.sessions.clone(),
            key,
            public,
            label: format!("{label} in token {}", self.token),
        })
    }

    /// Makes a P-256 key pair inside the token: private part sensitive and never extractable,
    /// usable only to sign. The pair shares a random CKA_ID, so two made under one label (two
    /// processes at once) are never mixed up.
    fn make(&self, label: &str) -> Result<Arc<dyn Signer>, KeyError> {
        let mut id = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut id)
            .map_err(|_| KeyError::Hsm("no randomness for a key id".into()))?;
        let common = |private: bool| {
            vec![
                Attribute::Token(true),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(id.to_vec()),
                Attribute::KeyType(KeyType::EC),
                Attribute::Private(private),
            ]
        };
        let mut public_template = common(false);
        public_template.extend([Attribute::Verify(true), Attribute::EcParams(P256.to_vec())]);
        let mut private_template = common(true);
        private_template.extend([
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Derive(false),
        ]);
        let (public, private) = self
            .sessions
            .with(|s| {
                s.generate_key_pair(
                    &Mechanism::EccKeyPairGen,
                    &public_template,
                    &private_template,
                )
            })
            .map_err(hsm)?;
        let point = self
            .sessions
            .with(|s| s.get_attributes(public, &[AttributeType::EcPoint]))
            .map_err(hsm)?;
        let Some(Attribute::EcPoint(p)) = point.into_iter().next() else {
            return Err(KeyError::Hsm("the new key has no public point".into()));
        };
        let pk =
            point_of(&p).ok_or_else(|| KeyError::Hsm("the new key's point is not P-256".into()))?;
        Ok(self.signer(private, pk, label))
    }
}

impl KeySource for Pkcs11Keys {
    fn find(&self, name: &KeyName) -> Result<Vec<Arc<dyn Signer>>, KeyError> {
        let label = name.label();
        Ok(self
            .pairs(&label)?
            .into_iter()
            .map(|(key, pk)| self.signer(key, pk, &label))
            .collect())
    }

    fn generate(&self, name: &KeyName) -> Result<Arc<dyn Signer>, KeyError> {
        self.make(&name.label())
    }

    fn describe(&self) -> String {
        format!("the HSM token {}", self.token)
    }
}
