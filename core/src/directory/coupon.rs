//! Coupons operators publish for holders (seed 001): presented at the counter inside the rotating
//! QR, so they are bound to the holder's credential and device key; not transferable, holder
//! only, withdrawable by the operator; redeemed once per presentation and within a per-holder
//! limit on the server.

use crate::Lang;
use crate::model::HandbookKind;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    /// Unique within its operator: letters, digits and '-'.
    pub id: String,
    pub title_ja: String,
    pub title_en: String,
    /// The terms the app shows before use.
    pub terms_ja: String,
    pub terms_en: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// Handbook kinds it is for (empty: every kind).
    #[serde(default)]
    pub kinds: Vec<HandbookKind>,
    /// Redemptions per holder (0: no limit).
    #[serde(default)]
    pub per_holder: u32,
    /// Withdrawn by the operator: listed no more, refused at the counter.
    #[serde(default)]
    pub withdrawn: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponError {
    #[error("this operator has no coupon {0} / このクーポンはありません")]
    Unknown(String),
    #[error("the operator withdrew this coupon / このクーポンは取り下げられました")]
    Withdrawn,
    #[error("this coupon ended on {0} / このクーポンは{0}で終了しました")]
    Expired(NaiveDate),
    #[error("this coupon starts on {0} / このクーポンは{0}からです")]
    NotYet(NaiveDate),
    #[error("this coupon is not for this handbook kind / この手帳の種類では使えません")]
    NotEligible,
    #[error("the code carries no coupon / クーポンが提示されていません")]
    NotPresented,
    #[error(
        "a coupon must have an id of letters, digits and '-', titles, terms and valid dates in order / クーポンの内容が正しくありません"
    )]
    Invalid,
}

impl Coupon {
    /// Checks the coupon's own fields.
    pub fn validate(&self) -> Result<(), CouponError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 40
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        let text_ok = [
            &self.title_ja,
            &self.title_en,
            &self.terms_ja,
            &self.terms_en,
        ]
        .iter()
        .all(|t| !t.trim().is_empty() && t.chars().count() <= 400);
        if id_ok && text_ok && self.valid_from <= self.valid_until {
            Ok(())
        } else {
            Err(CouponError::Invalid)
        }
    }

    /// Usable today by a holder of `kind`.
    pub fn usable(&self, today: NaiveDate, kind: Option<HandbookKind>) -> Result<(), CouponError> {
        if self.withdrawn {
            return Err(CouponError::Withdrawn);
        }
        if today > self.valid_until {
            return Err(CouponError::Expired(self.valid_until));
        }
        if today < self.valid_from {
            return Err(CouponError::NotYet(self.valid_from));
        }
        if !self.kinds.is_empty() && !kind.is_some_and(|k| self.kinds.contains(&k)) {
            return Err(CouponError::NotEligible);
        }
        Ok(())
    }

    pub fn title(&self, lang: Lang) -> &str {
        lang.pick(&self.title_ja, &self.title_en)
    }

    pub fn terms(&self, lang: Lang) -> &str {
        lang.pick(&self.terms_ja, &self.terms_en)
    }
}

/// What the seed's terms say of every coupon, shown with the operator's own terms.
pub fn standard_terms(lang: Lang) -> &'static str {
    lang.pick(
        "ご本人のみ利用でき、譲渡できません。事業者が取り下げることがあります。",
        "For the holder only and not transferable; the operator may withdraw it.",
    )
}
