//! Handbook page images: cleaned of metadata, stored encrypted in the `pages` table under
//! `<handbook id>/<nn>`, described in the handbook record, enlarged on the counter screen.

use super::{Wallet, WalletError};
use crate::model::page_image::MAX_PAGES;
use crate::model::{
    Field, Handbook, HandbookId, InvalidHandbook, PageImage, Problem, ValidationError,
};
use crate::store::{Batch, StoreError, Table};

fn page_key(hb: &Handbook, n: usize) -> String {
    format!("{}/{n:02}", hb.id)
}

fn too_many(n: usize) -> WalletError {
    InvalidHandbook(vec![ValidationError::new(
        Field::PageImage,
        Problem::OutOfRange {
            value: format!("{n} pages"),
            allowed: "at most 6 page images per handbook",
        },
    )])
    .into()
}

/// Cleans every page for a new handbook; the first refusal names its page.
pub(super) fn clean_all(pages: &[Vec<u8>]) -> Result<Vec<(PageImage, Vec<u8>)>, WalletError> {
    if pages.len() > MAX_PAGES {
        return Err(too_many(pages.len()));
    }
    pages
        .iter()
        .map(|p| PageImage::clean(p).map_err(|e| InvalidHandbook(vec![e]).into()))
        .collect()
}

/// Puts cleaned pages under a new handbook's keys.
pub(super) fn put_all(batch: Batch, hb: &Handbook, cleaned: Vec<(PageImage, Vec<u8>)>) -> Batch {
    cleaned
        .into_iter()
        .enumerate()
        .fold(batch, |b, (n, (_, bytes))| {
            b.put(Table::Pages, page_key(hb, n), bytes)
        })
}

/// Adds the deletion of every page of `hb` to `batch`.
pub(super) fn delete_all(batch: Batch, hb: &Handbook) -> Batch {
    (0..hb.pages.len()).fold(batch, |b, n| b.delete(Table::Pages, page_key(hb, n)))
}

impl Wallet {
    /// Adds a page image (JPEG or PNG, at most 4 MB) after removing its metadata.
    pub fn add_page(
        &self,
        id: &HandbookId,
        bytes: &[u8],
    ) -> Result<(Handbook, PageImage), WalletError> {
        let mut hb = self.get(id)?;
        if hb.pages.len() >= MAX_PAGES {
            return Err(too_many(hb.pages.len() + 1));
        }
        let (page, clean) = PageImage::clean(bytes).map_err(|e| InvalidHandbook(vec![e]))?;
        let key = page_key(&hb, hb.pages.len());
        hb.pages.push(page.clone());
        let json = serde_json::to_vec(&hb).map_err(StoreError::io)?;
        self.store.commit(
            Batch::new()
                .put(Table::Handbooks, hb.id.as_str(), json)
                .put(Table::Pages, key, clean),
        )?;
        Ok((hb, page))
    }

    /// The cleaned bytes of page `n` (0-based).
    pub fn page(&self, id: &HandbookId, n: usize) -> Result<Option<Vec<u8>>, WalletError> {
        let hb = self.get(id)?;
        if n >= hb.pages.len() {
            return Ok(None);
        }
        Ok(self
            .store
            .get(Table::Pages, &page_key(&hb, n))?
            .map(|v| v.to_vec()))
    }

    /// Removes page `n`; later pages move up, all in one commit.
    pub fn remove_page(&self, id: &HandbookId, n: usize) -> Result<Handbook, WalletError> {
        let mut hb = self.get(id)?;
        if n >= hb.pages.len() {
            return Err(WalletError::NotFound(format!("{}/page {}", hb.id, n + 1)));
        }
        let count = hb.pages.len();
        let mut batch = Batch::new();
        for later in n + 1..count {
            if let Some(bytes) = self.store.get(Table::Pages, &page_key(&hb, later))? {
                batch = batch.put(Table::Pages, page_key(&hb, later - 1), bytes.to_vec());
            }
        }
        batch = batch.delete(Table::Pages, page_key(&hb, count - 1));
        hb.pages.remove(n);
        let json = serde_json::to_vec(&hb).map_err(StoreError::io)?;
        self.store
            .commit(batch.put(Table::Handbooks, hb.id.as_str(), json))?;
        Ok(hb)
    }
}
