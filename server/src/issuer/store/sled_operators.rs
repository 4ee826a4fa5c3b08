//! The operator half of the sled store. sled is held by one process, so one lock makes each
//! read-check-write step atomic; every step is flushed before it answers.

use super::api::StoreError;
use super::operators::{
    CouponCount, CouponUse, DirectoryHead, DirectoryRow, OperatorRecord, OperatorStore,
    answer_again, result_name, result_named,
};
use super::records::ConsentEntry;
use super::sled_codec::{decode, e};
use std::sync::{Mutex, PoisonError};
use techo_core::directory::redemption::RedemptionResult;

const HEAD: &[u8] = b"head";

/// The operator trees of the sled store, with the handles they need (the consents tree for
/// the holder behind a session, the database to flush).
#[derive(Debug)]
pub(super) struct OperatorTrees {
    db: sled::Db,
    consents: sled::Tree,
    /// Operator id → [`DirectoryRow`]; `HEAD` in `meta` → [`DirectoryHead`].
    directory: sled::Tree,
    meta: sled::Tree,
    /// Operator id → token hash.
    tokens: sled::Tree,
    /// Redemption key → result name.
    redemptions: sled::Tree,
    /// operator \0 coupon \0 holder → count (u32, big-endian).
    uses: sled::Tree,
    lock: Mutex<()>,
}

impl OperatorTrees {
    pub(super) fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(Self {
            db: db.clone(),
            consents: db.open_tree("consents").map_err(e)?,
            directory: db.open_tree("directory").map_err(e)?,
            meta: db.open_tree("directory_meta").map_err(e)?,
            tokens: db.open_tree("operator_tokens").map_err(e)?,
            redemptions: db.open_tree("redemptions").map_err(e)?,
            uses: db.open_tree("coupon_uses").map_err(e)?,
            lock: Mutex::new(()),
        })
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(e)
    }

    fn head(&self) -> Result<DirectoryHead, StoreError> {
        self.meta
            .get(HEAD)
            .map_err(e)?
            .map_or(Ok(DirectoryHead::default()), |v| {
                decode("directory head", &v)
            })
    }

    fn uses_key(u: &CouponUse<'_>) -> Vec<u8> {
        [u.operator, u.coupon, u.holder].join("\0").into_bytes()
    }

    fn earlier(&self, key: &str) -> Result<Option<RedemptionResult>, StoreError> {
        self.redemptions
            .get(key)
            .map_err(e)?
            .map(|v| result_named(&String::from_utf8_lossy(&v)))
            .transpose()
    }
}

impl OperatorStore for OperatorTrees {
    async fn directory_head(&self) -> Result<DirectoryHead, StoreError> {
        self.head()
    }

    async fn directory_rows(&self) -> Result<(DirectoryHead, Vec<DirectoryRow>), StoreError> {
        let t = self;
        let _held = t.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let rows = t
            .directory
            .iter()
            .values()
            .map(|v| decode("directory row", &v.map_err(e)?))
            .collect::<Result<_, _>>()?;
        Ok((t.head()?, rows))
    }

    async fn operator(&self, id: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let row: Option<DirectoryRow> = self
            .directory
            .get(id)
            .map_err(e)?
            .map(|v| decode("directory row", &v))
            .transpose()?;
        Ok(row.and_then(|r| r.record))
    }

    async fn write_operator(
        &self,
        id: &str,
        record: Option<&OperatorRecord>,
        seen: u64,
        now_ms: u64,
    ) -> Result<Option<u64>, StoreError> {
        let t = self;
        let _held = t.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let head = t.head()?;
        if head.version != seen {
            return Ok(None);
        }
        let next = head.next(now_ms);
        let row = DirectoryRow {
            id: id.to_owned(),
            record: record.cloned(),
            version: next.version,
        };
        t.directory
            .insert(id, serde_json::to_vec(&row).map_err(e)?)
            .map_err(e)?;
        t.meta
            .insert(HEAD, serde_json::to_vec(&next).map_err(e)?)
            .map_err(e)?;
        self.flush()?;
        Ok(Some(next.version))
    }

    async fn put_operator_token(&self, operator: &str, hash: &str) -> Result<(), StoreError> {
        self.tokens.insert(operator, hash.as_bytes()).map_err(e)?;
        self.flush()
    }

    async fn operator_token_hash(&self, operator: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tokens
            .get(operator)
            .map_err(e)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    async fn redemption(&self, key: &str) -> Result<Option<RedemptionResult>, StoreError> {
        self.earlier(key)
    }

    async fn redeem(
        &self,
        key: &str,
        what: &CouponUse<'_>,
        per_holder: u32,
    ) -> Result<RedemptionResult, StoreError> {
        let t = self;
        let _held = t.lock.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(earlier) = t.earlier(key)? {
            return Ok(answer_again(earlier));
        }
        let uses_key = OperatorTrees::uses_key(what);
        let count = t
            .uses
            .get(&uses_key)
            .map_err(e)?
            .and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok())
            .map_or(0, u32::from_be_bytes);
        let result = if per_holder > 0 && count >= per_holder {
            RedemptionResult::LimitReached
        } else {
            t.uses
                .insert(uses_key, &(count + 1).to_be_bytes())
                .map_err(e)?;
            RedemptionResult::Recorded
        };
        t.redemptions.insert(key, result_name(result)).map_err(e)?;
        self.flush()?;
        Ok(result)
    }

    async fn note_redemption(&self, key: &str, result: RedemptionResult) -> Result<(), StoreError> {
        let t = self;
        let _held = t.lock.lock().unwrap_or_else(PoisonError::into_inner);
        if t.earlier(key)?.is_none() {
            t.redemptions.insert(key, result_name(result)).map_err(e)?;
            self.flush()?;
        }
        Ok(())
    }

    async fn coupon_uses(&self, holder: &str) -> Result<Vec<CouponCount>, StoreError> {
        let mut found = Vec::new();
        for kv in &self.uses {
            let (k, v) = kv.map_err(e)?;
            let text = String::from_utf8_lossy(&k);
            let mut parts = text.split('\0');
            let (Some(operator), Some(coupon), Some(h)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if h == holder {
                found.push(CouponCount {
                    operator: operator.to_owned(),
                    coupon: coupon.to_owned(),
                    count: <[u8; 4]>::try_from(v.as_ref()).map_or(0, u32::from_be_bytes),
                });
            }
        }
        Ok(found)
    }

    async fn subject_of_session(&self, session: &str) -> Result<Option<String>, StoreError> {
        for v in self.consents.iter().values() {
            let c: ConsentEntry = decode("consent", &v.map_err(e)?)?;
            if c.session_id == session {
                return Ok(Some(c.subject));
            }
        }
        Ok(None)
    }
}
