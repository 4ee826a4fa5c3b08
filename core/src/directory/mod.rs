//! The operator directory: where Techo is accepted and what a holder gets there. techo-server
//! publishes it signed by the issuer key (checked against the trust list like a status list),
//! versioned, as full snapshots or as updates since a version; the app keeps it offline and
//! answers "where can I use this handbook" and "what will I get here".

pub mod coupon;
pub mod redemption;
mod sync;
mod update;

pub use sync::{SyncError, Synced, sync};
pub use update::{DirectoryError, DirectoryUpdate, UpdateKind};

use crate::Lang;
use crate::model::Handbook;
use crate::policy::{Decision, Facts, OperatorPolicy, Trip, Verdict, evaluate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One operator as published: its policy file, verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    pub policy_toml: String,
    /// The operator's current coupons (withdrawn ones stay listed as withdrawn, so a counter
    /// can say so).
    #[serde(default)]
    pub coupons: Vec<coupon::Coupon>,
}

impl DirectoryEntry {
    pub fn policy(&self, id: &str) -> Result<OperatorPolicy, crate::policy::PolicyError> {
        OperatorPolicy::from_toml(id, &self.policy_toml)
    }
}

/// The app's offline copy: every operator at one version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub version: u64,
    pub entries: BTreeMap<String, DirectoryEntry>,
}

/// A search: any field left `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct PlaceQuery<'a> {
    pub category: Option<&'a str>,
    /// Matches operators whose area contains this text, and nationwide (全国) ones.
    pub area: Option<&'a str>,
    /// Only operators where this handbook is accepted (or needs a manual check).
    pub handbook: Option<&'a Handbook>,
    /// Only operators accepting this kind.
    pub kind: Option<crate::model::HandbookKind>,
}

/// One search result: the operator and, with a handbook, what the holder gets there.
#[derive(Debug, Clone)]
pub struct Place {
    pub policy: OperatorPolicy,
    pub verdict: Option<Verdict>,
}

pub const NATIONWIDE: &str = "全国";

impl Directory {
    /// Operators matching `q`, nationwide ones last, each with the holder's verdict when a
    /// handbook is given. Entries whose policy no longer reads are skipped.
    pub fn places(&self, q: &PlaceQuery<'_>, trip: &Trip) -> Vec<Place> {
        let mut out: Vec<Place> = self
            .entries
            .iter()
            .filter_map(|(id, e)| e.policy(id).ok())
            .filter(|p| q.category.is_none_or(|c| p.category == c))
            .filter(|p| q.kind.is_none_or(|k| p.kinds.contains(&k)))
            .filter(|p| {
                q.area.is_none_or(|a| {
                    p.area == NATIONWIDE
                        || p.area.contains(a)
                        || a.contains(&p.area) && !p.area.is_empty()
                })
            })
            .map(|policy| {
                let verdict = q
                    .handbook
                    .map(|hb| evaluate(&Facts::from_handbook(hb), &policy, trip));
                Place { policy, verdict }
            })
            .filter(|p| {
                p.verdict
                    .as_ref()
                    .is_none_or(|v| v.decision != Decision::NotAccepted)
            })
            .collect();
        out.sort_by_key(|p| (p.policy.area == NATIONWIDE, p.policy.id.clone()));
        out
    }

    /// What a handbook gets at one operator, by id.
    pub fn what_here(&self, id: &str, hb: &Handbook, trip: &Trip) -> Option<Verdict> {
        let policy = self.entries.get(id)?.policy(id).ok()?;
        Some(evaluate(&Facts::from_handbook(hb), &policy, trip))
    }

    /// An operator's coupon, by id.
    pub fn coupon(&self, operator: &str, id: &str) -> Option<&coupon::Coupon> {
        self.entries
            .get(operator)?
            .coupons
            .iter()
            .find(|c| c.id == id)
    }

    /// Operator `id`'s name in `lang` (its id when the directory no longer reads its policy).
    pub fn operator_name(&self, id: &str, lang: Lang) -> String {
        self.entries
            .get(id)
            .and_then(|e| e.policy(id).ok())
            .map_or_else(|| id.to_owned(), |p| p.display_name(lang).to_owned())
    }

    /// A one-line description for lists.
    pub fn describe(p: &OperatorPolicy, lang: Lang) -> String {
        format!(
            "{}（{}・{}）{}",
            p.display_name(lang),
            p.category,
            if p.area.is_empty() { "-" } else { &p.area },
            lang.pick(&p.discount_ja, &p.discount_en)
        )
    }
}
