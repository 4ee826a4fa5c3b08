//! The signed directory update: a full snapshot, or the changes since a version. Signed with an
//! issuer key from the trust list (content type `application/techo-directory+cbor`).

use super::{Directory, DirectoryEntry};
use crate::token::TrustList;
use crate::token::cbor_read::IntMap;
use chrono::{DateTime, Utc};
use ciborium::Value;

const CONTENT_TYPE: &str = "application/techo-directory+cbor";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateKind {
    /// Replaces whatever the app had.
    Full,
    /// Changes since `base`: the app must be at exactly that version.
    Since { base: u64 },
}

/// A signed directory update, opened and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUpdate {
    pub kind: UpdateKind,
    pub version: u64,
    pub issued_at: DateTime<Utc>,
    pub changed: Vec<(String, DirectoryEntry)>,
    pub removed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    #[error(
        "the directory is not signed by a trusted issuer: it was altered or is not Techo's / 事業者一覧の署名を確認できません"
    )]
    Untrusted,
    #[error("the directory update cannot be read ({0}): update the app / 事業者一覧を読めません")]
    Malformed(&'static str),
    #[error(
        "the update is for version {base} but the app has {have}: fetch the whole directory / 事業者一覧を再取得してください"
    )]
    WrongBase { base: u64, have: u64 },
    #[error(
        "the update goes back from version {have} to {version}: refused / 古い事業者一覧は受け付けません"
    )]
    Rollback { have: u64, version: u64 },
}

impl DirectoryUpdate {
    /// Signs the update with the issuer's key (techo-server); nothing is signed when the key
    /// (an HSM) fails.
    pub fn sign(&self, issuer: &crate::token::Issuer) -> Result<Vec<u8>, crate::token::SignError> {
        let base = match self.kind {
            UpdateKind::Full => 0,
            UpdateKind::Since { base } => base,
        };
        let entries = self
            .changed
            .iter()
            .map(|(id, e)| {
                Value::Array(vec![
                    Value::Text(id.clone()),
                    Value::Text(e.policy_toml.clone()),
                    Value::Text(serde_json::to_string(&e.coupons).unwrap_or_else(|_| "[]".into())),
                ])
            })
            .collect();
        let payload = Value::Map(vec![
            (Value::from(1), Value::from(self.version)),
            (Value::from(2), Value::from(self.issued_at.timestamp())),
            (Value::from(3), Value::from(base)),
            (Value::from(4), Value::Array(entries)),
            (
                Value::from(5),
                Value::Array(self.removed.iter().cloned().map(Value::Text).collect()),
            ),
        ]);
        crate::token::signed_list::sign_with(&payload, issuer.signer(), &issuer.kid, CONTENT_TYPE)
    }

    /// Opens a signed update, checking the signature against the trust list's issuers.
    pub fn open(bytes: &[u8], trust: &TrustList) -> Result<Self, DirectoryError> {
        let (_, value) = crate::token::signed_list::open_by_issuer(bytes, "directory", trust)
            .map_err(|e| match e {
                crate::token::signed_list::OpenError::Malformed(w) => DirectoryError::Malformed(w),
                _ => DirectoryError::Untrusted,
            })?;
        let bad = DirectoryError::Malformed;
        let m = IntMap::new(&value).ok_or(bad("payload must be a map"))?;
        let version = m.uint(1).ok_or(bad("version"))?;
        let issued_at = m
            .get(2)
            .and_then(Value::as_integer)
            .and_then(|i| i64::try_from(i).ok())
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .ok_or(bad("issued at"))?;
        let base = m.uint(3).ok_or(bad("base version"))?;
        let text = |v: &Value| v.as_text().map(str::to_owned);
        let changed = m
            .get(4)
            .and_then(Value::as_array)
            .ok_or(bad("entries"))?
            .iter()
            .map(|e| match e.as_array().map(Vec::as_slice) {
                Some([id, toml, coupons]) => Some((
                    text(id)?,
                    DirectoryEntry {
                        policy_toml: text(toml)?,
                        coupons: serde_json::from_str(coupons.as_text()?).ok()?,
                    },
                )),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or(bad("entry must be [id, policy, coupons]"))?;
        let removed = m
            .get(5)
            .and_then(Value::as_array)
            .ok_or(bad("removed"))?
            .iter()
            .map(text)
            .collect::<Option<Vec<_>>>()
            .ok_or(bad("removed ids must be text"))?;
        Ok(DirectoryUpdate {
            kind: if base == 0 {
                UpdateKind::Full
            } else {
                UpdateKind::Since { base }
            },
            version,
            issued_at,
            changed,
            removed,
        })
    }

    /// Applies the update to the app's copy, or refuses it and leaves the copy as it was.
    pub fn apply(&self, dir: &mut Directory) -> Result<(), DirectoryError> {
        if self.version < dir.version {
            return Err(DirectoryError::Rollback {
                have: dir.version,
                version: self.version,
            });
        }
        let mut next = match self.kind {
            UpdateKind::Full => Directory::default(),
            UpdateKind::Since { base } if base == dir.version => dir.clone(),
            UpdateKind::Since { base } => {
                return Err(DirectoryError::WrongBase {
                    base,
                    have: dir.version,
                });
            }
        };
        for id in &self.removed {
            next.entries.remove(id);
        }
        for (id, e) in &self.changed {
            next.entries.insert(id.clone(), e.clone());
        }
        next.version = self.version;
        *dir = next;
        Ok(())
    }
}
