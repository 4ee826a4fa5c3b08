//! The wallet: the one door the CLI and the phone shells use on the holder's side.
//!
//! It owns the store, the injected clock and the platform keystore. Each concern has its own
//! file: handbooks, credentials, present (the counter and sites), linkage (the only code that
//! moves a handbook's linkage state, and only through [`crate::linkage::next`]), maintenance
//! (check, export). Every operation is one atomic store commit.

use crate::clock::Clock;
use crate::model::{HandbookId, InvalidHandbook};
use crate::store::{KeyProvider, SledStore, Store, StoreError};
use crate::token::PresentError;
use crate::token::keystore::DeviceKeyStore;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod app_version;
mod coupons;
mod credentials;
mod directory;
mod handbooks;
mod keep_linked;
mod ledger;
mod linkage;
mod maintenance;
mod pages;
mod prepared_link;
mod present;
mod renewal;
mod site;
mod support;

pub use keep_linked::{KeepLinkedReport, LinkageNotice, NoticeKind};
pub use ledger::{Disclosure, Ledger, LinkageConsent, item_label, received_from_portal};
pub use linkage::LinkOptions;
pub use maintenance::Export;
pub use prepared_link::{CHALLENGE_MARGIN, PreparedLink};
pub use renewal::{RENEW_DAYS_AHEAD, Renewal};

#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error(transparent)]
    Invalid(#[from] InvalidHandbook),

    #[error(
        "this handbook (same kind, number and municipality) is already registered as {existing}: update it instead / この手帳は登録済みです"
    )]
    Duplicate { existing: HandbookId },

    #[error("no handbook has the id {0}: `techo list` shows the ids / 該当する手帳がありません")]
    NotFound(String),

    /// Techo's terms accept only handbooks with the holder's face photo for linkage: staff
    /// compare it with the person at the counter.
    #[error(
        "add the handbook's face photo first: a handbook is linked only with the photo staff compare with the holder / 顔写真を登録してから連携してください"
    )]
    PhotoRequired,

    #[error(
        "handbook {0} has no current credential: link it (or, for development, `techo issuer issue {0}`) / 連携が必要です"
    )]
    NoCredential(String),

    #[error(transparent)]
    Present(#[from] PresentError),

    #[error(transparent)]
    Store(#[from] StoreError),

    #[error(transparent)]
    Support(crate::model::SupportError),

    #[error(transparent)]
    Coupon(#[from] crate::directory::coupon::CouponError),
    #[error(transparent)]
    Site(#[from] crate::site::SiteError),

    /// A linkage move the state machine does not allow (a stale screen, two flows at once).
    #[error(transparent)]
    Transition(#[from] crate::linkage::TransitionError),

    #[error(transparent)]
    Qr(#[from] crate::token::QrTooLarge),

    /// The development issuer (`techo issuer`, previews, tests) failed.
    #[error(transparent)]
    DevIssuer(#[from] crate::token::DevIssuerError),
}

#[derive(Debug)]
pub struct Wallet {
    store: Box<dyn Store>,
    clock: Arc<dyn Clock>,
    /// The platform keystore for new device keys; `None`: software keys sealed in the store.
    keystore: Option<Arc<dyn DeviceKeyStore>>,
}

impl Wallet {
    /// Opens the wallet kept in `data_dir` (created if needed).
    pub fn open(
        data_dir: &Path,
        keys: &dyn KeyProvider,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, WalletError> {
        crate::private_file::private_dir(data_dir).map_err(StoreError::io)?;
        let store = SledStore::open(&Self::store_dir(data_dir), keys)?;
        Ok(Self::with_store(Box::new(store), clock))
    }

    pub fn with_store(store: Box<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            keystore: None,
        }
    }

    /// Keeps new device keys in the platform's keystore (the phones) instead of the store.
    #[must_use]
    pub fn with_device_keystore(mut self, keystore: Arc<dyn DeviceKeyStore>) -> Self {
        self.keystore = Some(keystore);
        self
    }

    /// Where the encrypted records live inside the data dir.
    pub fn store_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("store")
    }

    /// The desktop key file, beside the store.
    pub fn key_file(data_dir: &Path) -> PathBuf {
        data_dir.join("data.key")
    }

    /// Deletes the store, its second copy, damaged databases kept aside, and its key: the last
    /// step of recovery, after an export.
    pub fn reset(data_dir: &Path) -> Result<(), WalletError> {
        let store = Self::store_dir(data_dir);
        let prefix = store
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entries = match std::fs::read_dir(data_dir) {
            Ok(e) => e.flatten().collect::<Vec<_>>(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(StoreError::io(e).into()),
        };
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = name == prefix
                || name == format!("{prefix}.copy")
                || name.starts_with(&format!("{prefix}.damaged-"));
            if ours && entry.path().is_dir() {
                std::fs::remove_dir_all(entry.path()).map_err(StoreError::io)?;
            }
        }
        match std::fs::remove_file(Self::key_file(data_dir)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError::io(e).into()),
            _ => Ok(()),
        }
    }

    /// The injected clock's time (the counter screen and tokens use it).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today_jst()
    }
}
