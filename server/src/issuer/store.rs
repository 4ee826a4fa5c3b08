//! techo-server's embedded store (sled): linkage sessions, idempotency keys, the consent ledger.
//! Holds no portal data: records are turned into a credential and dropped.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;
use techo_core::portal::dto::{DeviceKeyDto, HandbookRef};
use techo_core::token::HeldCredential;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SessionState {
    AwaitingCode,
    Pending {
        access_token: String,
        consent_id: String,
        reason: String,
        next_try: DateTime<Utc>,
        attempts: u32,
    },
    /// `credentials` is dropped once the app acknowledges it stored them.
    Linked {
        consent_id: String,
        valid_until: NaiveDate,
        credentials: Option<Vec<HeldCredential>>,
    },
    Failed {
        error: String,
        message: String,
    },
    Revoked {
        reason: String,
    },
    Suspended {
        consent_id: String,
        valid_until: NaiveDate,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id: String,
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
    pub handbook: HandbookRef,
    pub photo_sha256_hex: Option<String>,
    pub device_keys: Vec<DeviceKeyDto>,
    pub state: SessionState,
    /// Presented by a guardian: declared by the app, or confirmed by the portal's proxy setting.
    #[serde(default)]
    pub guardian: Option<techo_core::token::GuardianClaim>,
}

/// What the holder consented to, when, and when the data was purged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEntry {
    pub id: String,
    pub session_id: String,
    /// The portal's pairwise subject for Techo (not the holder's name or number).
    pub subject: String,
    pub scope: String,
    pub consented_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub purged_at: Option<DateTime<Utc>>,
    /// Who consented for the holder: `None` the holder (with their card); else the proxy's
    /// relationship as the portal has it.
    #[serde(default)]
    pub by_proxy: Option<techo_core::model::Relationship>,
}

#[derive(Debug, Clone)]
pub struct Store {
    db: sled::Db,
    sessions: sled::Tree,
    idempotency: sled::Tree,
    consents: sled::Tree,
}

#[derive(Debug, thiserror::Error)]
#[error("server store: {0}")]
pub struct StoreError(pub String);

fn e(x: impl std::fmt::Display) -> StoreError {
    StoreError(x.to_string())
}

impl Store {
    /// Opens the store, waiting up to five seconds for a previous server process in this one
    /// (tests restart the server) to let go of sled's file lock.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let start = std::time::Instant::now();
        let db = loop {
            match sled::Config::new().path(dir).flush_every_ms(None).open() {
                Ok(db) => break db,
                Err(sled::Error::Io(io))
                    if io.to_string().contains("lock")
                        && start.elapsed() < std::time::Duration::from_secs(5) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(x) => return Err(e(x)),
            }
        };
        Ok(Self {
            sessions: db.open_tree("sessions").map_err(e)?,
            idempotency: db.open_tree("idempotency").map_err(e)?,
            consents: db.open_tree("consents").map_err(e)?,
            db,
        })
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(e)
    }

    pub fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.sessions
            .get(id)
            .map_err(e)?
            .map(|v| serde_json::from_slice(&v).map_err(e))
            .transpose()
    }

    pub fn put_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        self.sessions
            .insert(s.id.as_bytes(), serde_json::to_vec(s).map_err(e)?)
            .map_err(e)?;
        self.flush()
    }

    /// Inserts a new session unless the idempotency key is known; returns the stored session.
    pub fn create_session(&self, s: &SessionRecord) -> Result<SessionRecord, StoreError> {
        let claimed = self
            .idempotency
            .compare_and_swap(
                s.idempotency_key.as_bytes(),
                None as Option<&[u8]>,
                Some(s.id.as_bytes()),
            )
            .map_err(e)?;
        match claimed {
            Ok(()) => {
                self.put_session(s)?;
                Ok(s.clone())
            }
            Err(existing) => {
                let id = existing
                    .current
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .unwrap_or_default();
                self.session(&id)?
                    .ok_or_else(|| StoreError("idempotency key points nowhere".into()))
            }
        }
    }

    pub fn sessions(&self) -> Result<Vec<SessionRecord>, StoreError> {
        self.sessions
            .iter()
            .values()
            .map(|v| serde_json::from_slice(&v.map_err(e)?).map_err(e))
            .collect()
    }

    pub fn put_consent(&self, c: &ConsentEntry) -> Result<(), StoreError> {
        self.consents
            .insert(c.id.as_bytes(), serde_json::to_vec(c).map_err(e)?)
            .map_err(e)?;
        self.flush()
    }

    pub fn consent(&self, id: &str) -> Result<Option<ConsentEntry>, StoreError> {
        self.consents
            .get(id)
            .map_err(e)?
            .map(|v| serde_json::from_slice(&v).map_err(e))
            .transpose()
    }

    pub fn consents(&self) -> Result<Vec<ConsentEntry>, StoreError> {
        self.consents
            .iter()
            .values()
            .map(|v| serde_json::from_slice(&v.map_err(e)?).map_err(e))
            .collect()
    }
}
