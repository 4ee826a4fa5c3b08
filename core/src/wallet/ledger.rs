//! The consent ledger: per handbook, who received what and when. Two kinds of recipient: the
//! issuer, which receives the handbook's facts from the Myna Portal under the holder's linkage
//! consent (read from the linkage state: since, until, withdraw = unlink), and booking sites the
//! holder answered (recorded here when the answer is sent, kept encrypted in the store).
//! Counter codes shown to staff are not recorded: the phone does not know who read them.

use super::{Wallet, WalletError};
use crate::Lang;
use crate::model::{HandbookId, HandbookKind, LinkageState};
use crate::store::{Batch, StoreError, Table};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Entries kept per handbook; the oldest go first.
const KEPT: usize = 200;

fn key(id: &HandbookId) -> String {
    format!("ledger/{}", id.as_str())
}

/// What one answer to a site sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    pub at: DateTime<Utc>,
    pub site: String,
    pub site_en: String,
    /// `host[:port]` the answer was bound to.
    pub audience: String,
    /// Claim names (`kind`, `fare`, …), `identity` (name and birth date from the card), `order`
    /// (an order signed with the card's signing key).
    pub items: Vec<String>,
    /// Whether the site accepted the answer (it received it either way).
    pub accepted: bool,
}

/// The issuer's standing consent, as the ledger shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkageConsent {
    pub since: DateTime<Utc>,
    /// The consent's last day (the portal's period); `None` when the portal gave none.
    pub until: Option<NaiveDate>,
    /// What the issuer receives from the portal, labelled.
    pub items: Vec<String>,
}

/// A handbook's ledger: the issuer's consent (while linked) and what sites received, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    pub linkage: Option<LinkageConsent>,
    pub shared: Vec<Disclosure>,
}

/// What the issuer receives from the portal for a handbook of `kind` (the link screen's list).
pub fn received_from_portal(kind: HandbookKind, lang: Lang) -> Vec<String> {
    let mut items = vec![
        lang.pick("手帳番号", "handbook number"),
        lang.pick("障害等級・判定", "grade"),
        lang.pick("旅客運賃減額の種別", "fare discount class"),
        lang.pick("交付自治体", "issuing municipality"),
        lang.pick(
            "交付・再交付・返還の年月日",
            "dates issued, reissued and returned",
        ),
    ];
    if kind == HandbookKind::Mental {
        items.push(lang.pick("有効期限", "expiry date"));
    }
    items.into_iter().map(str::to_owned).collect()
}

/// A ledger item's label: a claim's, or what the card gave.
pub fn item_label(item: &str, lang: Lang) -> String {
    match item {
        "identity" => lang.pick(
            "氏名・生年月日（カードから）",
            "name and birth date (from the card)",
        ),
        "order" => lang.pick("注文への電子署名", "the order, signed with the card"),
        other => {
            return crate::token::ClaimId::parse(other)
                .map_or_else(|| other.to_owned(), |c| c.label(lang).to_owned());
        }
    }
    .to_owned()
}

impl Wallet {
    /// Appends what an answer to a site sent (the newest [`KEPT`] are kept).
    pub fn record_disclosure(&self, id: &HandbookId, d: Disclosure) -> Result<(), WalletError> {
        let mut all = self.disclosures(id)?;
        all.push(d);
        let drop = all.len().saturating_sub(KEPT);
        all.drain(..drop);
        let json = serde_json::to_vec(&all).map_err(StoreError::io)?;
        Ok(self
            .store
            .commit(Batch::new().put(Table::Settings, key(id), json))?)
    }

    /// Records an answer sent to `request`'s site for handbook `id`: what it showed, whether
    /// the card's name and birth date went with it, whether the site accepted it.
    pub fn note_site_answer(
        &self,
        id: &HandbookId,
        request: &crate::site::SiteRequest,
        identity: bool,
        accepted: bool,
    ) -> Result<(), WalletError> {
        let mut items = match request.kind {
            crate::site::RequestKind::Present => request.disclose.clone(),
            crate::site::RequestKind::SignOrder => vec!["order".to_owned()],
        };
        if identity {
            items.push("identity".to_owned());
        }
        self.record_disclosure(
            id,
            Disclosure {
                at: self.now(),
                site: request.site.name.clone(),
                site_en: request.site.name_en.clone(),
                audience: request.site.audience.clone(),
                items,
                accepted,
            },
        )
    }

    /// What sites received for handbook `id`, oldest first.
    pub fn disclosures(&self, id: &HandbookId) -> Result<Vec<Disclosure>, WalletError> {
        let k = key(id);
        match self.store.get(Table::Settings, &k)? {
            None => Ok(Vec::new()),
            Some(v) => serde_json::from_slice(&v).map_err(|e| {
                StoreError::Corrupt {
                    table: Table::Settings.name(),
                    key: k,
                    why: e.to_string(),
                }
                .into()
            }),
        }
    }

    /// Handbook `id`'s ledger: the issuer's consent while linked, then sites, newest first.
    pub fn ledger(&self, id: &HandbookId, lang: Lang) -> Result<Ledger, WalletError> {
        let hb = self.get(id)?;
        let linkage = match &hb.linkage {
            LinkageState::Linked {
                since,
                consent_until,
                ..
            } => Some(LinkageConsent {
                since: *since,
                until: *consent_until,
                items: received_from_portal(hb.kind(), lang),
            }),
            _ => None,
        };
        let mut shared = self.disclosures(id)?;
        shared.reverse();
        Ok(Ledger { linkage, shared })
    }

    /// Deletes handbook `id`'s ledger into `batch` (the handbook is being removed).
    pub(super) fn ledger_dropped(batch: Batch, id: &HandbookId) -> Batch {
        batch.delete(Table::Settings, key(id))
    }
}
