//! Issuer keys in an HSM through PKCS#11 (`cryptoki`): made inside the token (sensitive, never
//! extractable), found again by label, and used only through sessions: the private key never
//! reaches this process. Tested against SoftHSM2.
//!
//! `--keys pkcs11:module=/usr/lib/softhsm/libsofthsm2.so;token=techo;pin-file=/run/secrets/pin`
//! (or `pin-env=VAR`; `sessions=N` caps the signing sessions). Keys are found by label
//! ([`KeyName::label`]) and `CKA_ID`. A token that forgets this process (restarted, logged
//! out) is logged in to again on the next signature.

use super::source::{DATA_KEY_AAD, KeyError, KeyName, KeySource};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Function, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};
use techo_core::token::{PublicKey, SignError, Signer};
use zeroize::Zeroizing;

/// The DER of the P-256 curve's OID (CKA_EC_PARAMS).
const P256: [u8; 10] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

/// Signing sessions opened on the token unless `sessions=N` says otherwise. HSMs limit open
/// sessions (some to a few dozen for every client together); signing is short, so a few
/// suffice for thousands of signatures a second.
pub const DEFAULT_SESSIONS: usize = 8;
/// How long a signature waits for a free session when all are in use.
const SESSION_WAIT: Duration = Duration::from_secs(2);

/// `pkcs11:module=…;token=…;pin-file=…|pin-env=…[;sessions=N]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkcs11Config {
    pub module: PathBuf,
    pub token: String,
    pin: String,
    /// Most signing sessions open at once (besides the one holding the login).
    pub sessions: usize,
}

impl std::fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token", &self.token)
            .field("pin", &"(hidden)")
            .field("sessions", &self.sessions)
            .finish()
    }
}

impl Pkcs11Config {
    pub fn new(module: impl Into<PathBuf>, token: &str, pin: &str) -> Self {
        Self {
            module: module.into(),
            token: token.to_owned(),
            pin: pin.to_owned(),
            sessions: DEFAULT_SESSIONS,
        }
    }

    /// The same token with at most `sessions` signing sessions open at once.
    #[must_use]
    pub fn with_sessions(mut self, sessions: usize) -> Self {
        self.sessions = sessions;
        self
    }

    /// Reads `module=…;token=…;pin-file=…` or `…;pin-env=…`, and optionally `sessions=N`
    /// (the text after `pkcs11:`).
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
        let sessions = match fields.get("sessions") {
            None => DEFAULT_SESSIONS,
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=1024).contains(n))
                .ok_or_else(|| {
                    KeyError::Config(format!(
                        "pkcs11: sessions= is a number from 1 to 1024, not {n}"
                    ))
                })?,
        };
        Ok(Self::new(module, token, &pin).with_sessions(sessions))
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The token no longer knows this process's session or login: closed sessions, a logout, a
/// token taken out and put back, an HSM restarted. Logging in again on a new session and
/// finding the key again may help; anything else is said as it is.
fn token_forgot_us(e: &CkError) -> bool {
    matches!(
        e,
        CkError::Pkcs11(
            RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::UserNotLoggedIn
                | RvError::DeviceRemoved
                | RvError::TokenNotPresent
                | RvError::KeyHandleInvalid
                | RvError::ObjectHandleInvalid,
            _
        )
    )
}

/// A session the token has closed: not given back to the pool.
fn session_gone(e: &CkError) -> bool {
    matches!(
        e,
        CkError::Pkcs11(
            RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::DeviceRemoved
                | RvError::TokenNotPresent,
            _
        )
    )
}

#[derive(Debug, Default)]
struct Pool {
    idle: Vec<Session>,
    /// Signing sessions open now, idle or in use.
    open: usize,
}

/// The sessions on the token: at most `max` for signing, one per signature in flight, and one
/// more holding the login for the life of the source (closing a token's last session logs the
/// application out).
#[derive(Debug)]
struct Sessions {
    ctx: Pkcs11,
    slot: Slot,
    token: String,
    pin: String,
    max: usize,
    pool: Mutex<Pool>,
    freed: Condvar,
    login: Mutex<Session>,
    /// The token refused the PIN once: never tried again (HSMs lock a PIN after a few wrong
    /// tries, and every signature would be one).
    pin_refused: AtomicBool,
}

impl Sessions {
    /// A free session, a new one while fewer than `max` are open, else the first one given
    /// back within [`SESSION_WAIT`]; after that, CKR_SESSION_COUNT (all busy: try again).
    fn take(&self) -> Result<Session, CkError> {
        let deadline = Instant::now() + SESSION_WAIT;
        let mut pool = lock(&self.pool);
        loop {
            if let Some(s) = pool.idle.pop() {
                return Ok(s);
            }
            if pool.open < self.max {
                pool.open += 1;
                drop(pool);
                return self
                    .ctx
                    .open_rw_session(self.slot)
                    .inspect_err(|_| self.closed(1));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(CkError::Pkcs11(
                    RvError::SessionCount,
                    Function::OpenSession,
                ));
            }
            pool = self
                .freed
                .wait_timeout(pool, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// `n` signing sessions are gone: room for new ones.
    fn closed(&self, n: usize) {
        let mut pool = lock(&self.pool);
        pool.open = pool.open.saturating_sub(n);
        self.freed.notify_all();
    }

    fn give_back(&self, session: Session) {
        lock(&self.pool).idle.push(session);
        self.freed.notify_one();
    }

    fn with<T>(&self, f: impl FnOnce(&Session) -> Result<T, CkError>) -> Result<T, CkError> {
        let session = self.take()?;
        let result = f(&session);
        if result.as_ref().is_err_and(session_gone) {
            drop(session);
            self.closed(1);
        } else {
            self.give_back(session);
        }
        result
    }

    /// After the token forgot this process: every idle session is closed and, unless the login
    /// session still works, a new one logs in with the PIN. A PIN the token now refuses says so.
    fn log_in_again(&self) -> Result<(), KeyError> {
        let stale = std::mem::take(&mut lock(&self.pool).idle);
        let n = stale.len();
        drop(stale);
        self.closed(n);
        let mut login = lock(&self.login);
        if login
            .get_session_info()
            .is_ok_and(|i| i.session_state() == SessionState::RwUser)
        {
            return Ok(());
        }
        if self.pin_refused.load(Ordering::Relaxed) {
            return Err(KeyError::PinRefusedEarlier {
                label: self.token.clone(),
            });
        }
        let fresh = self.ctx.open_rw_session(self.slot).map_err(hsm)?;
        log_in(&fresh, &self.token, &self.pin).inspect_err(|e| {
            if matches!(e, KeyError::Login { .. }) {
                self.pin_refused.store(true, Ordering::Relaxed);
            }
        })?;
        // The old login session is closed only now, so the token keeps one logged-in session.
        *login = fresh;
        Ok(())
    }
}

/// Logs `session` in as the user (already logged in through another session is fine).
fn log_in(session: &Session, token: &str, pin: &str) -> Result<(), KeyError> {
    match session.login(UserType::User, Some(&AuthPin::new(pin.to_owned().into()))) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLocked, _)) => {
            Err(KeyError::Login {
                label: token.to_owned(),
            })
        }
        Err(e) => Err(hsm(e)),
    }
}

/// The label of the AES key that wraps the store's data key.
const SEALING_LABEL: &str = "techo-seal";
/// AES-GCM's nonce length and tag bits, for wrapping the data key in the token.
const GCM_IV: usize = 12;
const GCM_TAG_BITS: u64 = 128;

/// One key pair in the token: both halves share `id` (CKA_ID) and the label.
struct Pair {
    private: ObjectHandle,
    public_handle: ObjectHandle,
    id: Vec<u8>,
    public: PublicKey,
}

/// Some modules (SoftHSM2 among them) are not safe to list slots from two threads at once: two
/// sources opening together take turns.
static SLOT_LIST: Mutex<()> = Mutex::new(());

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
    /// The key's handle, found again (by label and CKA_ID) when the token no longer knows it.
    key: Mutex<ObjectHandle>,
    id: Vec<u8>,
    public: PublicKey,
    label: String,
    described: String,
}

impl Pkcs11Signer {
    fn sign_once(&self, digest: &[u8]) -> Result<Vec<u8>, CkError> {
        let key = *lock(&self.key);
        self.sessions
            .with(|s| s.sign(&Mechanism::Ecdsa, key, digest))
    }

    /// After the token forgot this process: logged in again, the key found again.
    fn recover(&self) -> Result<(), KeyError> {
        self.sessions.log_in_again()?;
        let found = self
            .sessions
            .with(|s| {
                s.find_objects(&[
                    Attribute::Class(ObjectClass::PRIVATE_KEY),
                    Attribute::Label(self.label.as_bytes().to_vec()),
                    Attribute::Id(self.id.clone()),
                ])
            })
            .map_err(hsm)?;
        let handle = found.first().copied().ok_or_else(|| KeyError::Missing {
            kid: self.label.clone(),
            place: format!("the HSM token {}", self.sessions.token),
        })?;
        *lock(&self.key) = handle;
        Ok(())
    }
}

impl Signer for Pkcs11Signer {
    fn public(&self) -> PublicKey {
        self.public.clone()
    }

    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        let digest = ring::digest::digest(&ring::digest::SHA256, msg);
        let unavailable = |why: String| SignError::Unavailable {
            key: self.described.clone(),
            why,
        };
        let signature = match self.sign_once(digest.as_ref()) {
            Err(e) if token_forgot_us(&e) => {
                self.recover().map_err(|e| unavailable(e.to_string()))?;
                self.sign_once(digest.as_ref())
            }
            other => other,
        }
        .map_err(|e| match e {
            CkError::Pkcs11(RvError::SessionCount, _) => unavailable(format!(
                "all {} signing sessions stayed busy for {} s",
                self.sessions.max,
                SESSION_WAIT.as_secs()
            )),
            e => unavailable(e.to_string()),
        })?;
        if signature.len() == 64 {
            Ok(signature)
        } else {
            Err(SignError::BadSignature {
                key: self.described.clone(),
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
        let listing = lock(&SLOT_LIST);
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
        drop(listing);
        let session = ctx.open_rw_session(slot).map_err(hsm)?;
        log_in(&session, &cfg.token, &cfg.pin)?;
        Ok(Self {
            sessions: Arc::new(Sessions {
                ctx,
                slot,
                token: cfg.token.clone(),
                pin: cfg.pin.clone(),
                max: cfg.sessions.max(1),
                pool: Mutex::default(),
                freed: Condvar::new(),
                login: Mutex::new(session),
                pin_refused: AtomicBool::new(false),
            }),
            token: cfg.token.clone(),
        })
    }

    /// Signing sessions open now (idle or signing), at most `sessions=` of the configuration.
    pub fn signing_sessions(&self) -> usize {
        lock(&self.sessions.pool).open
    }

    /// The AES keys labelled [`SEALING_LABEL`] (normally one).
    fn sealing_keys(&self) -> Result<Vec<ObjectHandle>, KeyError> {
        self.sessions
            .with(|s| {
                s.find_objects(&[
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::Label(SEALING_LABEL.as_bytes().to_vec()),
                ])
            })
            .map_err(hsm)
    }

    /// An AES-256 key made inside the token to wrap the store's data key: sensitive, never
    /// extractable, only to encrypt and decrypt.
    fn make_sealing_key(&self) -> Result<ObjectHandle, KeyError> {
        let template = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Label(SEALING_LABEL.as_bytes().to_vec()),
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(32.into()),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::Sign(false),
            Attribute::Derive(false),
        ];
        self.sessions
            .with(|s| s.generate_key(&Mechanism::AesKeyGen, &template))
            .map_err(hsm)
    }

    /// Every key pair under `label`.
    fn pairs(&self, label: &str) -> Result<Vec<Pair>, KeyError> {
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
                    for public_handle in s.find_objects(&[
                        Attribute::Class(ObjectClass::PUBLIC_KEY),
                        Attribute::Label(label.as_bytes().to_vec()),
                        Attribute::Id(id.clone()),
                    ])? {
                        if let Some(Attribute::EcPoint(p)) = s
                            .get_attributes(public_handle, &[AttributeType::EcPoint])?
                            .pop()
                        {
                            if let Some(public) = point_of(&p) {
                                out.push(Pair {
                                    private,
                                    public_handle,
                                    id: id.clone(),
                                    public,
                                });
                            }
                        }
                    }
                }
                Ok(out)
            })
            .map_err(hsm)
    }

    fn signer(&self, pair: Pair, label: &str) -> Arc<dyn Signer> {
        Arc::new(Pkcs11Signer {
            sessions: self.sessions.clone(),
            key: Mutex::new(pair.private),
            id: pair.id,
            public: pair.public,
            label: label.to_owned(),
            described: format!("{label} in token {}", self.token),
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
        let public_key =
            point_of(&p).ok_or_else(|| KeyError::Hsm("the new key's point is not P-256".into()))?;
        Ok(self.signer(
            Pair {
                private,
                public_handle: public,
                id: id.to_vec(),
                public: public_key,
            },
            label,
        ))
    }
}

impl KeySource for Pkcs11Keys {
    fn find(&self, name: &KeyName) -> Result<Vec<Arc<dyn Signer>>, KeyError> {
        let label = name.label();
        Ok(self
            .pairs(&label)?
            .into_iter()
            .map(|pair| self.signer(pair, &label))
            .collect())
    }

    fn generate(&self, name: &KeyName) -> Result<Arc<dyn Signer>, KeyError> {
        self.make(&name.label())
    }

    fn discard(&self, name: &KeyName, public: &PublicKey) -> Result<bool, KeyError> {
        let mut discarded = false;
        for pair in self.pairs(&name.label())? {
            if pair.public == *public {
                self.sessions
                    .with(|s| {
                        s.destroy_object(pair.private)?;
                        s.destroy_object(pair.public_handle)
                    })
                    .map_err(hsm)?;
                discarded = true;
            }
        }
        Ok(discarded)
    }

    fn wrap_data_key(&self, data_key: &[u8]) -> Result<Vec<u8>, KeyError> {
        let key = match self.sealing_keys()?.first() {
            Some(k) => *k,
            None => self.make_sealing_key()?,
        };
        let mut iv = [0u8; GCM_IV];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut iv)
            .map_err(|_| KeyError::Sealing("no randomness for a nonce".into()))?;
        let mut nonce = iv;
        let sealed = self
            .sessions
            .with(|s| {
                let params = GcmParams::new(&mut nonce, DATA_KEY_AAD, GCM_TAG_BITS.into())?;
                s.encrypt(&Mechanism::AesGcm(params), key, data_key)
            })
            .map_err(hsm)?;
        let mut out = iv.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn unwrap_data_key(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let (iv, body) = wrapped
            .split_at_checked(GCM_IV)
            .ok_or_else(|| KeyError::Sealing("the stored data key is too short".into()))?;
        // Two processes starting at once may each have made a sealing key: try each.
        for key in self.sealing_keys()? {
            let mut nonce = [0u8; GCM_IV];
            nonce.copy_from_slice(iv);
            let opened = self.sessions.with(|s| {
                let params = GcmParams::new(&mut nonce, DATA_KEY_AAD, GCM_TAG_BITS.into())?;
                s.decrypt(&Mechanism::AesGcm(params), key, body)
            });
            if let Ok(plain) = opened {
                return Ok(Zeroizing::new(plain));
            }
        }
        Err(KeyError::Sealing(format!(
            "no {SEALING_LABEL} key in token {} opens the stored data key",
            self.token
        )))
    }

    fn describe(&self) -> String {
        format!("the HSM token {}", self.token)
    }
}
