//! The status lists a verifier holds, one per list id: the newest version offered is kept, a
//! full list older than the one held is refused as a rollback, and deltas move a held list on.
//! What the CLI, the phone's staff mode and the booking site keep between refreshes.

use super::status::StatusList;
use super::status_delta::{DeltaError, StatusDelta};
use super::verify::StatusSource;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusSet {
    lists: BTreeMap<u32, StatusList>,
}

impl StatusSet {
    /// The newest of `lists` for each list id.
    pub fn of(lists: impl IntoIterator<Item = StatusList>) -> Self {
        let mut set = Self::default();
        for list in lists {
            // An older copy in the input is simply not the one kept.
            let _ = set.offer(list);
        }
        set
    }

    /// Takes a full list: kept if it is at least as new as the one held for its id; an older
    /// one is refused (a rollback) and the held list stays.
    pub fn offer(&mut self, list: StatusList) -> Result<(), DeltaError> {
        if let Some(held) = self.lists.get(&list.list_id) {
            if list.version < held.version || list.issued_at < held.issued_at {
                return Err(DeltaError::Rollback {
                    held: held.version,
                    offered: list.version,
                });
            }
        }
        self.lists.insert(list.list_id, list);
        Ok(())
    }

    /// Moves the held list the delta is for to the version it makes, all of it or nothing.
    pub fn apply(&mut self, delta: &StatusDelta) -> Result<(), DeltaError> {
        self.lists
            .get_mut(&delta.list_id)
            .ok_or(DeltaError::NotHeld(delta.list_id))?
            .apply(delta)
    }

    /// The version held of list `list`.
    pub fn version(&self, list: u32) -> Option<u64> {
        self.lists.get(&list).map(|l| l.version)
    }

    pub fn lists(&self) -> impl Iterator<Item = &StatusList> {
        self.lists.values()
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    pub fn into_vec(self) -> Vec<StatusList> {
        self.lists.into_values().collect()
    }
}

impl StatusSource for StatusSet {
    fn status_list(&self, list: u32) -> Option<&StatusList> {
        self.lists.get(&list)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::token::Status;
    use chrono::{TimeZone, Utc};

    fn list(id: u32, version: u64) -> StatusList {
        let t = Utc.timestamp_opt(1_780_000_000 + i64::try_from(version).unwrap(), 0);
        let mut l = StatusList::new(id, 1, 64, t.unwrap(), 60);
        l.version = version;
        l
    }

    #[test]
    fn the_newest_list_of_an_id_wins_whatever_the_order() {
        let mut revoked = list(1, 5);
        revoked.set(3, Status::Revoked);
        let set = StatusSet::of([revoked.clone(), list(1, 4)]);
        assert_eq!(set.status_list(1), Some(&revoked));
        let set = StatusSet::of([list(1, 4), revoked.clone(), list(2, 1)]);
        assert_eq!(set.status_list(1), Some(&revoked));
        assert_eq!(set.version(2), Some(1));
    }

    #[test]
    fn an_older_full_list_is_refused_and_the_held_one_stays() {
        let mut set = StatusSet::of([list(1, 5)]);
        assert_eq!(
            set.offer(list(1, 4)),
            Err(DeltaError::Rollback {
                held: 5,
                offered: 4
            })
        );
        assert_eq!(set.version(1), Some(5));
        let delta = StatusDelta::between(&list(9, 1), &list(9, 2));
        assert_eq!(set.apply(&delta), Err(DeltaError::NotHeld(9)));
    }
}
