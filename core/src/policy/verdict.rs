//! The staff verdict: a decision, what is granted, and why, in both languages.

use super::facts::Facts;
use crate::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Accepted,
    NotAccepted,
    /// The rules need something the code does not show (trip distance, a fresh revocation list):
    /// staff decide, with the reason in front of them.
    CheckManually,
}

impl Decision {
    /// The headline staff read first.
    pub fn headline(self, lang: Lang) -> &'static str {
        match self {
            Decision::Accepted => lang.pick("◯ 利用できます", "◯ ACCEPTED HERE"),
            Decision::NotAccepted => lang.pick("✕ 利用できません", "✕ NOT ACCEPTED HERE"),
            Decision::CheckManually => lang.pick("△ 確認してください", "△ CHECK MANUALLY"),
        }
    }
}

/// Who travels (or enters) at the discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Grant {
    pub holder: bool,
    /// One caregiver (介護者) travelling with the holder.
    pub caregiver: bool,
}

impl Grant {
    pub fn line(self, lang: Lang) -> &'static str {
        match (self.holder, self.caregiver) {
            (true, true) => lang.pick(
                "本人＋介護者1名 割引",
                "holder + 1 caregiver at the discount",
            ),
            (true, false) => lang.pick("本人のみ 割引", "holder only at the discount"),
            (false, true) => lang.pick("介護者1名のみ 割引", "1 caregiver only at the discount"),
            (false, false) => lang.pick("割引なし", "no discount"),
        }
    }
}

/// One reason, with a stable code for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reason {
    pub code: &'static str,
    pub ja: String,
    pub en: String,
}

impl Reason {
    pub(crate) fn new(code: &'static str, ja: impl Into<String>, en: impl Into<String>) -> Self {
        Reason {
            code,
            ja: ja.into(),
            en: en.into(),
        }
    }

    pub fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.ja, &self.en)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub operator_id: String,
    pub decision: Decision,
    pub grant: Grant,
    /// Why, most important first. Empty only for a plain acceptance.
    pub reasons: Vec<Reason>,
    /// Conditions staff should know even when accepted ("holder alone: only over 100 km").
    pub notes: Vec<Reason>,
    pub facts: Facts,
}

impl Verdict {
    /// The stable codes of reasons and notes, for tests and logs.
    pub fn codes(&self) -> Vec<&'static str> {
        self.reasons
            .iter()
            .chain(&self.notes)
            .map(|r| r.code)
            .collect()
    }
}
