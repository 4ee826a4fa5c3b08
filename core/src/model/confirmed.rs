//! What the Myna Portal confirmed: the facts the issuer signed at linkage, and what they changed
//! in what the holder had typed. Staff are told that 連携済 means the facts were confirmed through
//! the portal, so once credentials arrive the portal's facts replace the typed ones; the typed
//! values stay in this history.

use super::error::Field;
use super::fare::FareClass;
use super::handbook::Handbook;
use super::kind::Category;
use crate::Lang;
use crate::token::DisclosedClaims;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One fact the portal put right: what was typed, what the portal holds. Values are kept in a
/// language-neutral form (a grade number or label, `first` / `second` / `not_recorded`, an ISO
/// date or `none`) and shown in the holder's language by [`PortalChange::describe`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalChange {
    /// The field's key (`grade`, `fare_class`, `expires`).
    pub field: String,
    pub typed: String,
    pub portal: String,
    pub at: DateTime<Utc>,
}

impl PortalChange {
    /// "運賃減額：第1種 → 第2種（マイナポータル）" / "Fare discount: Class 1 → Class 2 (Myna Portal)".
    pub fn describe(&self, lang: Lang) -> String {
        let value = |v: &str| -> String {
            match self.field.as_str() {
                "grade" if v.chars().all(|c| c.is_ascii_digit()) => match lang {
                    Lang::Ja => format!("{v}級"),
                    Lang::En => format!("grade {v}"),
                },
                "fare_class" => serde_json::from_value::<FareClass>(serde_json::Value::from(v))
                    .map_or_else(|_| v.to_owned(), |f| f.label(lang).to_owned()),
                "expires" if v == "none" => lang.pick("なし", "none").to_owned(),
                _ => v.to_owned(),
            }
        };
        let label = match self.field.as_str() {
            "grade" => lang.pick("等級・判定", "Grade"),
            "fare_class" => lang.pick("運賃減額", "Fare discount"),
            "expires" => lang.pick("有効期限", "Valid until"),
            other => other,
        };
        let (typed, portal) = (value(&self.typed), value(&self.portal));
        match lang {
            Lang::Ja => format!("{label}：{typed} → {portal}（マイナポータル）"),
            Lang::En => format!("{label}: {typed} → {portal} (Myna Portal)"),
        }
    }
}

fn fare_key(f: FareClass) -> String {
    serde_json::to_value(f)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn grade_key(c: &Category) -> String {
    match c {
        Category::Physical { grade } | Category::Mental { grade } => grade.to_string(),
        Category::Intellectual { label, .. } => label.clone(),
    }
}

/// The portal's confirmation of a handbook: when, and every change it made over time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalConfirmation {
    pub at: Option<DateTime<Utc>>,
    /// Every correction the portal made, oldest first (the typed values are kept here).
    #[serde(default)]
    pub history: Vec<PortalChange>,
}

impl PortalConfirmation {
    /// The corrections of the last confirmation (empty when the portal agreed with everything).
    pub fn latest(&self) -> impl Iterator<Item = &PortalChange> {
        self.history
            .iter()
            .filter(move |c| self.at.is_some_and(|at| c.at == at))
    }
}

/// Replaces the handbook's grade, fare class and expiry with the facts the issuer signed (read
/// from the credentials the portal's record produced), and returns the changes made. Kind,
/// number and municipality were what the portal matched on, so they are confirmed as they are.
pub(crate) fn apply(
    hb: &mut Handbook,
    portal: &DisclosedClaims,
    at: DateTime<Utc>,
) -> Vec<PortalChange> {
    let mut changes = Vec::new();
    let mut change = |field: Field, typed: String, portal: String| {
        changes.push(PortalChange {
            field: field.key().to_owned(),
            typed,
            portal,
            at,
        });
    };
    if let Some(grade) = &portal.grade {
        let typed = grade_key(&hb.category);
        let confirmed = match &hb.category {
            Category::Physical { .. } => {
                grade_number(grade).and_then(|g| Category::physical(g).ok())
            }
            Category::Mental { .. } => grade_number(grade).and_then(|g| Category::mental(g).ok()),
            // The prefecture's label as the portal has it; the severity follows the label when
            // it says one, else the holder's stays.
            Category::Intellectual { label, severity } if label.trim() != grade.trim() => {
                Category::intellectual(grade, None)
                    .or_else(|_| Category::intellectual(grade, Some(*severity)))
                    .ok()
            }
            Category::Intellectual { .. } => None,
        };
        if let Some(c) = confirmed.filter(|c| *c != hb.category) {
            hb.category = c;
            change(Field::Grade, typed, grade_key(&hb.category));
        }
    }
    if let Some(fare) = portal.fare_class.filter(|f| *f != hb.fare_class) {
        change(Field::FareClass, fare_key(hb.fare_class), fare_key(fare));
        hb.fare_class = fare;
    }
    if let Some(expiry) = portal.expiry.filter(|e| *e != hb.dates.expires) {
        let show =
            |d: Option<chrono::NaiveDate>| d.map_or_else(|| "none".to_owned(), |d| d.to_string());
        change(Field::Expires, show(hb.dates.expires), show(expiry));
        hb.dates.expires = expiry;
    }
    let confirmation = hb.confirmed.get_or_insert_with(PortalConfirmation::default);
    confirmation.at = Some(at);
    confirmation.history.extend(changes.iter().cloned());
    changes
}

/// "1級", "1" → 1.
fn grade_number(label: &str) -> Option<u8> {
    label.trim().trim_end_matches('級').parse().ok()
}
