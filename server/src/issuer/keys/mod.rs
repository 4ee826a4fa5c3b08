//! The issuer's keys at run time: the key ring (kept in the store, shared by every process)
//! with its signers opened from a [`KeySource`] (files or an HSM). Signing never holds a lock:
//! the current ring and its signers are an `Arc` swapped when the ring changes.

mod file_keys;
mod pkcs11_keys;
pub mod ring;
pub mod sealing;
mod source;

pub use file_keys::FileKeys;
pub use pkcs11_keys::{Pkcs11Config, Pkcs11Keys};
pub use ring::{KeyRing, KeyRole, RingKey, RotationError};
pub use sealing::{SealError, Sealer};
pub use source::{KeyError, KeyName, KeySource};

use super::store::{AnyStore, DocumentStore, StoreError};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use techo_core::token::dev_issuer::StatusDocument;
use techo_core::token::{
    HandbookClaims, HeldCredential, IssueError, Issuer, PublicKey, SignError, Signer, StatusList,
    StatusRef, TrustList,
};

/// The store document holding the ring.
const RING: &str = "issuer-key-ring";
/// The name verifiers show for this issuer.
pub const ISSUER_NAME: &str = "Techo";
/// Days a credential stays valid.
pub const VALIDITY_DAYS: u32 = 21;
/// How long a status list may be cached (seconds).
pub const STATUS_TTL: u32 = 86_400;

/// Where the issuer's private keys are: `files` (in the issuer folder) or `pkcs11:…`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum KeyConfig {
    #[default]
    Files,
    Pkcs11(Pkcs11Config),
}

impl KeyConfig {
    /// `files` or `pkcs11:module=…;token=…;pin-file=…`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text == "files" {
            return Ok(KeyConfig::Files);
        }
        match text.strip_prefix("pkcs11:") {
            Some(rest) => Ok(KeyConfig::Pkcs11(Pkcs11Config::parse(rest)?)),
            None => Err(KeyError::Config(format!(
                "takes files or pkcs11:module=…;token=…;pin-file=…, not {text}"
            ))),
        }
    }

    /// Opens the source (`dir`: the issuer folder, for file keys).
    pub fn open(&self, dir: &Path) -> Result<Box<dyn KeySource>, KeyError> {
        Ok(match self {
            KeyConfig::Files => Box::new(FileKeys::open(dir)?),
            KeyConfig::Pkcs11(cfg) => Box::new(Pkcs11Keys::open(cfg)?),
        })
    }
}

/// Why the keys could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Rotation(#[from] RotationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored key ring is damaged ({0}): restore the database from a backup")]
    Damaged(String),
}

/// The ring as of one revision, with its signers open.
#[derive(Debug)]
pub struct Loaded {
    pub ring: KeyRing,
    rev: u64,
    root: Arc<dyn Signer>,
    /// The active key.
    pub issuer: Issuer,
}

#[derive(Debug)]
pub struct IssuerKeys {
    source: Box<dyn KeySource>,
    loaded: RwLock<Arc<Loaded>>,
    /// Seals the secrets the store keeps (portal access tokens).
    sealer: Sealer,
}

/// What an issuer folder written by earlier servers says about the trust list.
#[derive(serde::Deserialize)]
struct Legacy {
    name: String,
    trust_sequence: u64,
    #[serde(default)]
    min_token_version: Option<u32>,
}

fn legacy(dir: Option<&PathBuf>) -> Option<Legacy> {
    let text = std::fs::read(dir?.join("state.json")).ok()?;
    serde_json::from_slice(&text).ok()
}

/// The one key under `name` whose public key is `public`.
fn open_key(
    source: &dyn KeySource,
    name: &KeyName,
    public: &str,
) -> Result<Arc<dyn Signer>, KeyError> {
    source
        .find(name)?
        .into_iter()
        .find(|k| techo_core::hex::encode(k.public().uncompressed()) == public)
        .ok_or_else(|| KeyError::Missing {
            kid: name.label(),
            place: source.describe(),
        })
}

/// The key under `name` if the source holds exactly one, else a new one (`true`: made now).
fn adopt_or_make(
    source: &dyn KeySource,
    name: &KeyName,
) -> Result<(Arc<dyn Signer>, bool), KeyError> {
    let mut found = source.find(name)?;
    match found.len() {
        1 => found
            .pop()
            .map(|k| (k, false))
            .ok_or_else(|| KeyError::Hsm("a key vanished".into())),
        _ => source.generate(name).map(|k| (k, true)),
    }
}

/// Whether `ring` names `public` as its root or as any of its issuer keys.
fn ring_uses(ring: &KeyRing, public: &PublicKey) -> bool {
    let hex = techo_core::hex::encode(public.uncompressed());
    ring.root == hex || ring.keys.iter().any(|k| k.public == hex)
}

/// Destroys a key this process made for a ring change that lost, unless `ring` (as the store
/// has it now) uses it. Failing to destroy it only leaves an unused key behind: said, not fatal.
fn discard_unused(source: &dyn KeySource, ring: &KeyRing, name: &KeyName, public: &PublicKey) {
    if ring_uses(ring, public) {
        return;
    }
    if let Err(e) = source.discard(name, public) {
        tracing::warn!(key = %name.label(), place = %source.describe(), error = %e, "an unused key stays behind");
    }
}

/// The store document holding the sealing data key, wrapped by the key source.
const DATA_KEY: &str = "store-sealing-key";

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredDataKey {
    /// The data key wrapped by the key source (hex).
    wrapped: String,
}

/// The store's sealer: its data key unwrapped by `source`, or on first start a new data key
/// wrapped by `source` and written (another process writing first: its key is used).
async fn open_sealer(source: &dyn KeySource, store: &AnyStore) -> Result<Sealer, KeysError> {
    loop {
        if let Some((body, _)) = store.document(DATA_KEY).await? {
            let stored: StoredDataKey = serde_json::from_str(&body)
                .map_err(|e| KeysError::Damaged(format!("{DATA_KEY}: {e}")))?;
            let wrapped = techo_core::hex::decode(&stored.wrapped)
                .ok_or_else(|| KeysError::Damaged(format!("{DATA_KEY}: not hex")))?;
            let data_key = source.unwrap_data_key(&wrapped)?;
            return Ok(Sealer::new(&data_key)?);
        }
        let mut data_key = zeroize::Zeroizing::new([0u8; 32]);
        ::ring::rand::SecureRandom::fill(&::ring::rand::SystemRandom::new(), data_key.as_mut())
            .map_err(|_| KeyError::Sealing("no randomness for the data key".into()))?;
        let body = serde_json::to_string(&StoredDataKey {
            wrapped: techo_core::hex::encode(&source.wrap_data_key(data_key.as_ref())?),
        })
        .map_err(|e| KeysError::Damaged(e.to_string()))?;
        // Written or not (another process first), the next pass reads the one stored.
        store.put_document(DATA_KEY, &body, 0).await?;
    }
}

impl IssuerKeys {
    /// Opens the ring the store keeps, or makes the first one (adopting keys an earlier server
    /// left in `legacy_dir`, with its trust-list sequence so apps do not see a rollback).
    pub async fn open(
        source: Box<dyn KeySource>,
        store: &AnyStore,
        now: DateTime<Utc>,
        legacy_dir: Option<&PathBuf>,
    ) -> Result<Self, KeysError> {
        let loaded = if let Some(l) = Self::read(source.as_ref(), store).await? {
            l
        } else {
            Self::first_ring(source.as_ref(), store, now, legacy_dir).await?
        };
        let sealer = open_sealer(source.as_ref(), store).await?;
        Ok(Self {
            source,
            loaded: RwLock::new(Arc::new(loaded)),
            sealer,
        })
    }

    /// Makes the first ring: the root and key 01 adopted from the source or made in it.
    async fn first_ring(
        source: &dyn KeySource,
        store: &AnyStore,
        now: DateTime<Utc>,
        legacy_dir: Option<&PathBuf>,
    ) -> Result<Loaded, KeysError> {
        let (root, root_made) = adopt_or_make(source, &KeyName::Root)?;
        let (first, first_made) = adopt_or_make(source, &KeyName::Issuer(vec![1]))?;
        let mut ring = KeyRing::first(ISSUER_NAME, &root.public(), &[1], &first.public(), now);
        if let Some(old) = legacy(legacy_dir) {
            ring.name = old.name;
            ring.trust_sequence = old.trust_sequence + 1;
            ring.min_token_version = old.min_token_version.unwrap_or(1).max(1);
        }
        let body = serde_json::to_string(&ring).map_err(|e| KeysError::Damaged(e.to_string()))?;
        // Another process may have made the ring first: then its ring is the one, and keys
        // made here for a ring that lost are destroyed rather than left in the HSM.
        let written = store.put_document(RING, &body, 0).await?;
        let loaded = Self::read(source, store)
            .await?
            .ok_or_else(|| KeysError::Damaged("the ring vanished".into()))?;
        if !written {
            for (name, key, made) in [
                (KeyName::Root, &root, root_made),
                (KeyName::Issuer(vec![1]), &first, first_made),
            ] {
                if made {
                    discard_unused(source, &loaded.ring, &name, &key.public());
                }
            }
        }
        Ok(loaded)
    }

    async fn read(source: &dyn KeySource, store: &AnyStore) -> Result<Option<Loaded>, KeysError> {
        let Some((body, rev)) = store.document(RING).await? else {
            return Ok(None);
        };
        let ring: KeyRing =
            serde_json::from_str(&body).map_err(|e| KeysError::Damaged(e.to_string()))?;
        let (root, issuer) = Self::signers_of(source, &ring)?;
        Ok(Some(Loaded {
            ring,
            rev,
            root,
            issuer,
        }))
    }

    /// The root and the active issuer of `ring`, opened from `source` (each must match the
    /// public key the ring publishes).
    fn signers_of(
        source: &dyn KeySource,
        ring: &KeyRing,
    ) -> Result<(Arc<dyn Signer>, Issuer), KeysError> {
        let active = ring
            .active()
            .ok_or_else(|| KeysError::Damaged("no active key".into()))?;
        let root = open_key(source, &KeyName::Root, &ring.root)?;
        let key = open_key(source, &KeyName::Issuer(active.kid_bytes()), &active.public)?;
        let issuer = Issuer::new(ring::ISSUER_ID, ring.name.clone(), active.kid_bytes(), key);
        Ok((root, issuer))
    }

    fn signers(&self, ring: &KeyRing) -> Result<(Arc<dyn Signer>, Issuer), KeysError> {
        Self::signers_of(self.source.as_ref(), ring)
    }

    /// Seals and opens the secrets the store keeps.
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// The ring and signers in use now.
    pub fn current(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Takes up the ring as the store has it (another process rotated); whether it changed.
    pub async fn reload(&self, store: &AnyStore) -> Result<bool, KeysError> {
        let Some((_, rev)) = store.document(RING).await? else {
            return Ok(false);
        };
        if rev == self.current().rev {
            return Ok(false);
        }
        if let Some(l) = Self::read(self.source.as_ref(), store).await? {
            *self.loaded.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(l);
        }
        Ok(true)
    }

    /// Applies `change` to the ring (compare and swap on its revision: again on the newest
    /// ring if another process changed it first), then uses the new ring.
    async fn change<T>(
        &self,
        store: &AnyStore,
        change: impl Fn(&mut KeyRing) -> Result<T, KeysError>,
    ) -> Result<T, KeysError> {
        loop {
            self.reload(store).await?;
            let current = self.current();
            let mut ring = current.ring.clone();
            let out = change(&mut ring)?;
            if ring == current.ring {
                return Ok(out);
            }
            // The source must hold what the new ring signs with before anyone is told.
            let (root, issuer) = self.signers(&ring)?;
            let body =
                serde_json::to_string(&ring).map_err(|e| KeysError::Damaged(e.to_string()))?;
            if store.put_document(RING, &body, current.rev).await? {
                // A successful write is the next revision: use it with the signers just opened.
                *self.loaded.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(Loaded {
                    ring,
                    rev: current.rev + 1,
                    root,
                    issuer,
                });
                return Ok(out);
            }
        }
    }

    /// Step 1 of a rotation: a new issuer key made in the key source and published in the
    /// trust list as the next key (not signing yet). Returns its key id (hex).
    pub async fn prepare_rotation(
        &self,
        store: &AnyStore,
        now: DateTime<Utc>,
    ) -> Result<String, KeysError> {
        let current = self.current().ring.clone();
        if let Some(next) = current.next() {
            return Err(RotationError::NextExists {
                kid: next.kid.clone(),
            }
            .into());
        }
        let kid = current.next_kid();
        let name = KeyName::Issuer(kid.clone());
        let key = self.source.generate(&name)?;
        let public = key.public();
        let changed = self
            .change(store, |ring| {
                ring.prepare(&kid, &public, now)?;
                Ok(())
            })
            .await;
        if let Err(e) = changed {
            // Another process prepared first (or the store failed): the key made here is not
            // in the ring as the store now has it, so it is destroyed. If the store cannot be
            // read, it is kept: it may have been written after all.
            if self.reload(store).await.is_ok() {
                discard_unused(self.source.as_ref(), &self.current().ring, &name, &public);
            }
            return Err(e);
        }
        Ok(techo_core::hex::encode(&kid))
    }

    /// Step 2: the next key signs from now on, once it has been published for `notice`.
    pub async fn activate_next(
        &self,
        store: &AnyStore,
        now: DateTime<Utc>,
        notice: Duration,
    ) -> Result<String, KeysError> {
        self.change(store, |ring| {
            ring.activate(now, notice)?;
            Ok(ring.active().map(|k| k.kid.clone()).unwrap_or_default())
        })
        .await
    }

    /// Step 3 (the background pass): retired keys leave the trust list once their last
    /// credential has expired. Whether any left.
    pub async fn drop_expired(
        &self,
        store: &AnyStore,
        now: DateTime<Utc>,
    ) -> Result<bool, KeysError> {
        self.change(store, |ring| Ok(ring.drop_expired(now))).await
    }

    /// Retires display-token formats older than `version` in the trust list.
    pub async fn set_min_token_version(
        &self,
        store: &AnyStore,
        version: u32,
    ) -> Result<(), KeysError> {
        self.change(store, |ring| {
            let version = version.max(1);
            if ring.min_token_version != version {
                ring.min_token_version = version;
                ring.trust_sequence += 1;
            }
            Ok(())
        })
        .await
    }

    pub fn root_public(&self) -> PublicKey {
        self.current().root.public()
    }

    pub fn trust_list(&self, now: DateTime<Utc>) -> TrustList {
        self.current().ring.trust_list(now)
    }

    /// The trust list, signed by the root key.
    pub fn signed_trust_list(&self, now: DateTime<Utc>) -> Result<Vec<u8>, SignError> {
        let l = self.current();
        l.ring
            .trust_list(now)
            .sign_with(l.root.as_ref(), techo_core::token::dev_issuer::ROOT_KID)
    }

    /// The active issuer (signs credentials and the directory).
    pub fn issuer(&self) -> Issuer {
        self.current().issuer.clone()
    }

    /// An all-valid status list to fill from the store.
    pub fn empty_status_list(
        &self,
        list: u32,
        capacity: u32,
        issued_at: DateTime<Utc>,
    ) -> StatusList {
        StatusList::new(list, ring::ISSUER_ID, capacity, issued_at, STATUS_TTL)
    }

    /// Signs a status list or delta with the active key.
    pub fn sign_status(&self, what: StatusDocument<'_>) -> Result<Vec<u8>, SignError> {
        let issuer = self.issuer();
        match what {
            StatusDocument::List(l) => l.sign_with(issuer.signer(), &issuer.kid),
            StatusDocument::Delta(d) => d.sign_with(issuer.signer(), &issuer.kid),
        }
    }

    /// One counter + full credential pair per device key, valid from `today` for
    /// [`VALIDITY_DAYS`] (never past the handbook's own expiry), signed by the active key.
    pub fn issue(
        &self,
        claims: &HandbookClaims,
        device_keys: &[(String, PublicKey)],
        today: NaiveDate,
        status: &[StatusRef],
    ) -> Result<Vec<HeldCredential>, IssueError> {
        self.issuer()
            .issue_for_devices(claims, device_keys, today, VALIDITY_DAYS, status)
    }
}
