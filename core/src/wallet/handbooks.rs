//! Handbooks: registration, lookup by id, updates, withdrawal and the one shown at the counter.
//!
//! Ids are exact: a [`HandbookId`] names one handbook. Typing a prefix of one is a desktop
//! convenience the CLI resolves against [`Wallet::list`].

use super::{Wallet, WalletError, pages};
use crate::linkage::{Event, next};
use crate::model::{Handbook, HandbookDraft, HandbookId};
use crate::store::{Batch, StoreError, Table};

/// Settings key of the handbook shown at the counter.
const COUNTER_HANDBOOK: &str = "counter_handbook";

impl Wallet {
    /// Validates and registers a handbook (未連携). The first one becomes the counter handbook.
    pub fn add(
        &self,
        draft: &HandbookDraft,
        photo: Option<&[u8]>,
    ) -> Result<Handbook, WalletError> {
        self.add_with_pages(draft, photo, &[])
    }

    /// [`Wallet::add`] with photographed pages, all in one commit: if any page is refused, nothing
    /// is registered.
    pub fn add_with_pages(
        &self,
        draft: &HandbookDraft,
        photo: Option<&[u8]>,
        pages: &[Vec<u8>],
    ) -> Result<Handbook, WalletError> {
        let (mut handbook, photo) = draft.validate_with_photo(photo, self.now())?;
        let photo = photo.as_deref();
        let cleaned = pages::clean_all(pages)?;
        handbook.pages = cleaned.iter().map(|(p, _)| p.clone()).collect();
        let existing = self.list()?;
        handbook.seq = existing.iter().map(|h| h.seq + 1).max().unwrap_or(0);
        if let Some(other) = existing.iter().find(|h| h.same_paper_handbook(&handbook)) {
            return Err(WalletError::Duplicate {
                existing: other.id.clone(),
            });
        }
        let mut batch = put_handbook(Batch::new(), &handbook, photo)?;
        batch = pages::put_all(batch, &handbook, cleaned);
        if self.store.get(Table::Settings, COUNTER_HANDBOOK)?.is_none() {
            batch = batch.put(
                Table::Settings,
                COUNTER_HANDBOOK,
                handbook.id.as_str().as_bytes().to_vec(),
            );
        }
        self.store.commit(batch)?;
        Ok(handbook)
    }

    /// Replaces a handbook's facts. Changed facts are no longer what the portal confirmed, so the
    /// handbook goes back to 未連携 (its credentials with it) unless nothing changed. Without a new
    /// photo the old one stays.
    pub fn update(
        &self,
        id: &HandbookId,
        draft: &HandbookDraft,
        photo: Option<&[u8]>,
    ) -> Result<Handbook, WalletError> {
        let old = self.get(id)?;
        let (mut new, photo) = draft.validate_with_photo(photo, self.now())?;
        let photo = photo.as_deref();
        if let Some(other) = self
            .list()?
            .iter()
            .find(|h| h.id != old.id && h.same_paper_handbook(&new))
        {
            return Err(WalletError::Duplicate {
                existing: other.id.clone(),
            });
        }
        new.id = old.id.clone();
        new.registered_at = old.registered_at;
        new.seq = old.seq;
        new.pages.clone_from(&old.pages);
        new.confirmed.clone_from(&old.confirmed);
        if photo.is_none() {
            new.photo.clone_from(&old.photo);
        }
        let unchanged = Handbook {
            linkage: old.linkage.clone(),
            ..new.clone()
        } == old;
        let mut batch = Batch::new();
        let mut dropped = Vec::new();
        if unchanged {
            new.linkage = old.linkage;
        } else {
            // Facts the portal did not confirm: nothing issued for the old ones may be shown.
            new.linkage = next(&old.linkage, &Event::Edited, self.now())?;
            // The history of what the portal corrected stays; nothing is confirmed any more.
            if let Some(c) = &mut new.confirmed {
                c.at = None;
            }
            (batch, dropped) = self.credentials_replaced(batch, &old.id, &[])?;
        }
        self.commit_forgetting(put_handbook(batch, &new, photo)?, &dropped)?;
        Ok(new)
    }

    /// All handbooks, in registration order.
    pub fn list(&self) -> Result<Vec<Handbook>, WalletError> {
        let mut all = self
            .store
            .scan(Table::Handbooks)?
            .into_iter()
            .map(|(key, value)| decode(&key, &value))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| {
            a.seq
                .cmp(&b.seq)
                .then(a.registered_at.cmp(&b.registered_at))
        });
        Ok(all)
    }

    /// One handbook by its id.
    pub fn get(&self, id: &HandbookId) -> Result<Handbook, WalletError> {
        match self.store.get(Table::Handbooks, id.as_str())? {
            Some(value) => Ok(decode(id.as_str(), &value)?),
            None => Err(WalletError::NotFound(id.to_string())),
        }
    }

    /// The photo's bytes, if the handbook has one.
    pub fn photo(&self, id: &HandbookId) -> Result<Option<Vec<u8>>, WalletError> {
        let hb = self.get(id)?;
        Ok(self
            .store
            .get(Table::Photos, hb.id.as_str())?
            .map(|v| v.to_vec()))
    }

    /// Removes a handbook (returned or reissued) with its photo, pages, credentials and device
    /// keys; if it was on the counter, the next remaining handbook takes its place.
    pub fn withdraw(&self, id: &HandbookId) -> Result<Handbook, WalletError> {
        let hb = self.get(id)?;
        let batch = pages::delete_all(
            Self::ledger_dropped(Batch::new(), &hb.id)
                .delete(Table::Settings, super::coupons::uses_key(&hb.id))
                .delete(Table::Handbooks, hb.id.as_str())
                .delete(Table::Photos, hb.id.as_str()),
            &hb,
        );
        let (batch, mut dropped) = self.credentials_replaced(batch, &hb.id, &[])?;
        let (mut batch, renewal_keys) = self.renewal_state_dropped(batch, &hb.id)?;
        dropped.extend(renewal_keys);
        if self.selected_id()?.as_ref() == Some(&hb.id) {
            let next = self.list()?.into_iter().find(|h| h.id != hb.id);
            batch = match next {
                Some(n) => batch.put(
                    Table::Settings,
                    COUNTER_HANDBOOK,
                    n.id.as_str().as_bytes().to_vec(),
                ),
                None => batch.delete(Table::Settings, COUNTER_HANDBOOK),
            };
        }
        self.commit_forgetting(batch, &dropped)?;
        Ok(hb)
    }

    /// Chooses the handbook shown at the counter (one tap to switch).
    pub fn select_for_counter(&self, id: &HandbookId) -> Result<Handbook, WalletError> {
        let hb = self.get(id)?;
        self.store.commit(Batch::new().put(
            Table::Settings,
            COUNTER_HANDBOOK,
            hb.id.as_str().as_bytes().to_vec(),
        ))?;
        Ok(hb)
    }

    /// The handbook chosen for the counter, or the first registered one.
    pub fn counter_handbook(&self) -> Result<Option<Handbook>, WalletError> {
        if let Some(id) = self.selected_id()? {
            match self.get(&id) {
                Ok(hb) => return Ok(Some(hb)),
                Err(WalletError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.list()?.into_iter().next())
    }

    /// `id`'s handbook, or the counter's when `id` is `None`.
    pub(crate) fn handbook_or_counter(
        &self,
        id: Option<&HandbookId>,
    ) -> Result<Handbook, WalletError> {
        match id {
            Some(id) => self.get(id),
            None => self
                .counter_handbook()?
                .ok_or_else(|| WalletError::NotFound(String::new())),
        }
    }

    fn selected_id(&self) -> Result<Option<HandbookId>, WalletError> {
        Ok(self
            .store
            .get(Table::Settings, COUNTER_HANDBOOK)?
            .map(|v| HandbookId::from_string(String::from_utf8_lossy(&v).into_owned())))
    }
}

/// Adds the handbook record (and the photo, when given) to `batch`.
pub(super) fn put_handbook(
    batch: Batch,
    hb: &Handbook,
    photo: Option<&[u8]>,
) -> Result<Batch, WalletError> {
    let json = serde_json::to_vec(hb).map_err(StoreError::io)?;
    let batch = batch.put(Table::Handbooks, hb.id.as_str(), json);
    Ok(match photo {
        Some(bytes) => batch.put(Table::Photos, hb.id.as_str(), bytes.to_vec()),
        None if hb.photo.is_none() => batch.delete(Table::Photos, hb.id.as_str()),
        None => batch,
    })
}

pub(super) fn decode(key: &str, value: &[u8]) -> Result<Handbook, StoreError> {
    serde_json::from_slice(value).map_err(|e| StoreError::Corrupt {
        table: Table::Handbooks.name(),
        key: key.to_owned(),
        why: format!("record does not decode: {e}"),
    })
}
