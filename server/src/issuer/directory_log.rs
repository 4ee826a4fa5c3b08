//! The operator directory as data, without I/O: the changes an administrator or an operator
//! makes to one operator's record, and the update an app at a given version needs, built from
//! the rows the store keeps.

use super::store::{DirectoryHead, DirectoryRow, OperatorRecord};
use chrono::{DateTime, Utc};
use techo_core::directory::coupon::Coupon;
use techo_core::directory::{DirectoryEntry, DirectoryUpdate, UpdateKind};

/// One change to one operator.
#[derive(Debug, Clone)]
pub enum DirectoryChange {
    /// Adds or replaces the operator's policy; its coupons stay.
    Publish { policy_toml: String },
    /// Adds or replaces a coupon of a listed operator.
    PutCoupon(Coupon),
    /// Marks a coupon withdrawn (it stays listed so counters can say so) and keeps when.
    WithdrawCoupon { id: String },
    /// The operator left the directory.
    Remove,
}

/// The change does not apply: no such operator, or no such coupon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotFound;

impl DirectoryChange {
    /// The operator's record after this change (`None`: removed), from what it was.
    pub fn apply(
        &self,
        current: Option<OperatorRecord>,
        now: DateTime<Utc>,
    ) -> Result<Option<OperatorRecord>, NotFound> {
        match self {
            DirectoryChange::Publish { policy_toml } => {
                let mut record = current.unwrap_or_else(|| OperatorRecord {
                    entry: DirectoryEntry {
                        policy_toml: String::new(),
                        coupons: Vec::new(),
                    },
                    withdrawn_at: std::collections::BTreeMap::new(),
                });
                policy_toml.clone_into(&mut record.entry.policy_toml);
                Ok(Some(record))
            }
            DirectoryChange::PutCoupon(coupon) => {
                let mut record = current.ok_or(NotFound)?;
                record.entry.coupons.retain(|c| c.id != coupon.id);
                record.entry.coupons.push(coupon.clone());
                if !coupon.withdrawn {
                    record.withdrawn_at.remove(&coupon.id);
                }
                Ok(Some(record))
            }
            DirectoryChange::WithdrawCoupon { id } => {
                let mut record = current.ok_or(NotFound)?;
                let mut found = false;
                for c in record.entry.coupons.iter_mut().filter(|c| c.id == *id) {
                    found = true;
                    c.withdrawn = true;
                }
                if !found {
                    return Err(NotFound);
                }
                // The first withdrawal counts: withdrawing again does not move it later.
                record.withdrawn_at.entry(id.clone()).or_insert(now);
                Ok(Some(record))
            }
            DirectoryChange::Remove => {
                current.ok_or(NotFound)?;
                Ok(None)
            }
        }
    }
}

/// The last directory read from the store, reused while the store's version is the same.
#[derive(Debug, Default)]
pub struct DirectoryCache(pub(crate) std::sync::Mutex<Option<std::sync::Arc<DirectoryLog>>>);

/// The directory at one version: every row the store keeps.
#[derive(Debug, Clone, Default)]
pub struct DirectoryLog {
    pub head: DirectoryHead,
    pub rows: Vec<DirectoryRow>,
}

impl DirectoryLog {
    pub fn version(&self) -> u64 {
        self.head.version
    }

    /// The update an app at version `have` needs: the changes since, or everything when `have`
    /// is older than the log (or from another server).
    pub fn update_since(&self, have: u64, issued_at: DateTime<Utc>) -> DirectoryUpdate {
        let delta = have >= self.head.since && have > 0 && have <= self.head.version;
        let newer = |at: u64| !delta || at > have;
        DirectoryUpdate {
            kind: if delta {
                UpdateKind::Since { base: have }
            } else {
                UpdateKind::Full
            },
            version: self.head.version,
            issued_at,
            changed: self
                .rows
                .iter()
                .filter(|r| newer(r.version))
                .filter_map(|r| Some((r.id.clone(), r.record.as_ref()?.entry.clone())))
                .collect(),
            removed: if delta {
                self.rows
                    .iter()
                    .filter(|r| r.record.is_none() && r.version > have)
                    .map(|r| r.id.clone())
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coupon(id: &str) -> Coupon {
        serde_json::from_value(serde_json::json!({
            "id": id, "title_ja": "割引", "title_en": "Discount",
            "terms_ja": "一回", "terms_en": "Once",
            "valid_from": "2026-01-01", "valid_until": "2026-12-31",
        }))
        .expect("a coupon")
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("a time")
    }

    #[test]
    fn a_withdrawal_keeps_its_first_time_and_republishing_clears_it() {
        let publish = DirectoryChange::Publish {
            policy_toml: "p".into(),
        };
        let r = publish.apply(None, at("2026-03-01T00:00:00Z")).unwrap();
        let r = DirectoryChange::PutCoupon(coupon("c1"))
            .apply(r, at("2026-03-01T00:00:00Z"))
            .unwrap();
        let withdraw = DirectoryChange::WithdrawCoupon { id: "c1".into() };
        let r = withdraw.apply(r, at("2026-03-02T00:00:00Z")).unwrap();
        let r = withdraw.apply(r, at("2026-03-09T00:00:00Z")).unwrap();
        let record = r.clone().unwrap();
        assert!(record.entry.coupons[0].withdrawn);
        assert_eq!(record.withdrawn_at["c1"], at("2026-03-02T00:00:00Z"));
        // The policy changes; the coupon and its withdrawal stay.
        let r = DirectoryChange::Publish {
            policy_toml: "p2".into(),
        }
        .apply(r, at("2026-03-10T00:00:00Z"))
        .unwrap()
        .unwrap();
        assert_eq!(r.entry.policy_toml, "p2");
        assert_eq!(r.withdrawn_at.len(), 1);
        let r = DirectoryChange::PutCoupon(coupon("c1"))
            .apply(Some(r), at("2026-03-11T00:00:00Z"))
            .unwrap()
            .unwrap();
        assert!(r.withdrawn_at.is_empty());
    }

    #[test]
    fn changes_to_what_is_not_there_are_refused() {
        let now = at("2026-03-01T00:00:00Z");
        assert_eq!(
            DirectoryChange::PutCoupon(coupon("c")).apply(None, now),
            Err(NotFound)
        );
        assert_eq!(DirectoryChange::Remove.apply(None, now), Err(NotFound));
        let r = DirectoryChange::Publish {
            policy_toml: "p".into(),
        }
        .apply(None, now)
        .unwrap();
        assert_eq!(
            DirectoryChange::WithdrawCoupon { id: "x".into() }.apply(r, now),
            Err(NotFound)
        );
    }
}
