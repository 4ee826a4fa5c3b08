//! Places and coupons on the phone: the operator directory kept offline (synced from
//! techo-server, checked against the root key pinned at the first sync), where this handbook is
//! accepted and what it gets there, and the coupons it can use today.

use crate::TechoError;
use crate::records::Language;
use crate::service::TechoService;
use crate::wallet::Wallet;
use std::sync::Arc;
use techo_core::directory::PlaceQuery;
use techo_core::model::HandbookId;
use techo_core::policy::Trip;

/// A search: any field left `None` matches everything.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlaceFilter {
    /// `rail`, `bus`, `venue`, … (see `Wallet.placeCategories`).
    pub category: Option<String>,
    /// Text an area contains (`東京`); nationwide operators always match.
    pub area: Option<String>,
    /// Only where this handbook is accepted (or needs a check), each with what it gets there.
    pub handbook_id: Option<HandbookId>,
}

/// A category to filter by.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlaceCategory {
    pub id: String,
    pub label: String,
}

/// One operator in the list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlaceRow {
    pub operator: String,
    pub name: String,
    pub category: String,
    /// The category in the holder's language.
    pub category_label: String,
    pub area: String,
    pub discount: String,
    /// With a handbook: "◯ ACCEPTED HERE" / "△ CHECK MANUALLY", and who gets the discount.
    pub headline: Option<String>,
    pub grant: Option<String>,
}

/// One coupon this handbook can use today.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CouponRow {
    pub operator: String,
    pub operator_name: String,
    pub id: String,
    pub title: String,
    /// The operator's terms, shown before use.
    pub terms: String,
    /// ISO dates.
    pub valid_from: String,
    pub valid_until: String,
    /// Uses per holder (0: no limit), counted by the server at redemption.
    pub per_holder: u32,
    /// Redemptions counters made for this holder, as the server last said (`syncCouponUses`).
    pub used: u32,
    /// Used as many times as it allows: shown as used, not offered at the counter.
    pub used_up: bool,
}

#[uniffi::export]
impl Wallet {
    /// The offline directory's version (0: never synced: call `syncDirectory` once online).
    pub fn directory_version(&self) -> Result<u64, TechoError> {
        Ok(self.core().directory()?.version)
    }

    /// The handbook the counter shows (the one places and coupons are for by default).
    pub fn counter_handbook_id(&self) -> Result<Option<HandbookId>, TechoError> {
        Ok(self.core().counter_handbook()?.map(|h| h.id))
    }

    /// The categories the directory has, sorted, labelled in `lang`.
    pub fn place_categories(&self, lang: Language) -> Result<Vec<PlaceCategory>, TechoError> {
        let dir = self.core().directory()?;
        let mut out: Vec<String> = dir
            .entries
            .iter()
            .filter_map(|(id, e)| e.policy(id).ok().map(|p| p.category))
            .collect();
        out.sort();
        out.dedup();
        Ok(out
            .into_iter()
            .map(|id| PlaceCategory {
                label: techo_core::policy::category_label(&id, lang.into()),
                id,
            })
            .collect())
    }

    /// Operators matching `filter`, nationwide ones last, from the offline copy.
    pub fn places(&self, filter: PlaceFilter, lang: Language) -> Result<Vec<PlaceRow>, TechoError> {
        let l: techo_core::Lang = lang.into();
        let core = self.core();
        let dir = core.directory()?;
        let hb = filter
            .handbook_id
            .as_ref()
            .map(|id| core.get(id))
            .transpose()?;
        let trip = Trip {
            date: core.today(),
            distance_km: None,
            with_caregiver: None,
        };
        let query = PlaceQuery {
            category: filter.category.as_deref(),
            area: filter.area.as_deref(),
            handbook: hb.as_ref(),
            kind: None,
        };
        Ok(dir
            .places(&query, &trip)
            .into_iter()
            .map(|p| PlaceRow {
                name: p.policy.display_name(l).to_owned(),
                discount: l
                    .pick(&p.policy.discount_ja, &p.policy.discount_en)
                    .to_owned(),
                headline: p
                    .verdict
                    .as_ref()
                    .map(|v| v.decision.headline(l).to_owned()),
                grant: p.verdict.as_ref().map(|v| v.grant.line(l).to_owned()),
                operator: p.policy.id,
                category_label: techo_core::policy::category_label(&p.policy.category, l),
                category: p.policy.category,
                area: p.policy.area,
            })
            .collect())
    }

    /// Coupons usable today with handbook `handbook_id` (default: the counter's).
    pub fn coupons(
        &self,
        handbook_id: Option<HandbookId>,
        lang: Language,
    ) -> Result<Vec<CouponRow>, TechoError> {
        let l: techo_core::Lang = lang.into();
        let dir = self.core().directory()?;
        let hb = match handbook_id {
            Some(id) => id,
            None => match self.core().counter_handbook()? {
                Some(h) => h.id,
                None => return Ok(Vec::new()),
            },
        };
        self.core()
            .coupons(Some(&hb))?
            .into_iter()
            .map(|(op, c)| {
                let used = self.core().coupon_uses(&hb, &op, &c.id)?;
                Ok(CouponRow {
                    operator_name: dir.operator_name(&op, l),
                    title: c.title(l).to_owned(),
                    terms: c.terms(l).to_owned(),
                    valid_from: c.valid_from.to_string(),
                    valid_until: c.valid_until.to_string(),
                    per_holder: c.per_holder,
                    used,
                    used_up: c.per_holder > 0 && used >= c.per_holder,
                    id: c.id,
                    operator: op,
                })
            })
            .collect()
    }
}

/// The terms every coupon shares (holder only, not transferable, …), shown with the list.
#[uniffi::export]
pub fn standard_coupon_terms(lang: Language) -> String {
    techo_core::directory::coupon::standard_terms(lang.into()).to_owned()
}

#[uniffi::export(async_runtime = "tokio")]
impl Wallet {
    /// Asks techo-server how often counters redeemed each coupon for this holder (every linked
    /// handbook), so used coupons show as used. Offline: an error, what was known kept.
    pub async fn sync_coupon_uses(&self, service: Arc<TechoService>) -> Result<(), TechoError> {
        Ok(self.core().sync_coupon_uses(&service.client).await?)
    }

    /// Brings the offline directory up to date (changes since its version, or all of it),
    /// checked under the root key this wallet pinned at its first sync; a server offering
    /// another root is refused and the copy kept. Returns what changed, in `lang`.
    pub async fn sync_directory(
        &self,
        service: Arc<TechoService>,
        lang: Language,
    ) -> Result<String, TechoError> {
        let l: techo_core::Lang = lang.into();
        let synced = self
            .core()
            .sync_directory(&service.client, false)
            .await
            .map_err(|e| match e {
                // Unreachable or refusing: the copy is kept; say so as the network's.
                techo_core::directory::SyncError::Client(c) => TechoError::from(c),
                other => TechoError::Refused {
                    detail: l.part_of(&other.to_string()),
                },
            })?;
        Ok(synced.describe(l))
    }
}
