//! Myna Portal linkage state as staff see it: 連携済 / 未連携 / 申請中, and カードで再連携が必要
//! when the holder's consent ended and only the card can link again.

use crate::lang::Lang;
use chrono::{DateTime, NaiveDate, Utc};

/// The consent's end is announced this many days ahead.
pub const CONSENT_WARNING_DAYS: i64 = 30;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum LinkageState {
    /// 未連携: registered by the holder, not confirmed by the portal.
    #[default]
    Unlinked,
    /// Linking: a session with techo-server is open; the holder is reading the card.
    Linking {
        since: DateTime<Utc>,
        #[serde(default)]
        session: String,
        /// The state to go back to if this attempt fails (a linked handbook stays linked with
        /// its old credentials); `None`: 未連携.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<Box<LinkageState>>,
    },
    /// 申請中: the portal was asked and has not answered yet.
    Pending {
        since: DateTime<Utc>,
        reason: String,
        next_try: Option<DateTime<Utc>>,
        #[serde(default)]
        session: String,
    },
    /// 連携済: confirmed by the portal; credentials were issued.
    Linked {
        since: DateTime<Utc>,
        #[serde(default)]
        session: String,
        #[serde(default)]
        valid_until: Option<NaiveDate>,
        /// The last day of the holder's consent (the portal's period): renewals stop there
        /// and the card is needed again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consent_until: Option<NaiveDate>,
    },
    /// カードで再連携が必要: the consent ended (expired or withdrawn on the portal), or this
    /// linkage cannot be renewed; what was issued is revoked and only the card links again.
    #[serde(rename = "relink_needed")]
    RelinkNeeded {
        since: DateTime<Utc>,
        reason: String,
        #[serde(default)]
        session: String,
    },
}

impl LinkageState {
    pub fn label(&self, lang: Lang) -> &'static str {
        match self {
            LinkageState::Unlinked | LinkageState::Linking { .. } => {
                lang.pick("未連携", "Not linked")
            }
            LinkageState::Pending { .. } => lang.pick("申請中", "Pending"),
            LinkageState::Linked { .. } => lang.pick("連携済", "Linked"),
            LinkageState::RelinkNeeded { .. } => {
                lang.pick("カードで再連携が必要", "Link again with the card")
            }
        }
    }

    /// What the holder is told about this linkage beside its label, if anything: the card
    /// will be needed soon (the consent ends within [`CONSENT_WARNING_DAYS`]), or is needed now.
    pub fn holder_notice(&self, today: NaiveDate, lang: Lang) -> Option<String> {
        self.consent_days_left(today)
            .map(|days| consent_ends_in(days, lang))
            .or_else(|| self.relink_notice(lang))
    }

    /// Why カードで再連携が必要, in the holder's words (`None` in any other state).
    pub fn relink_notice(&self, lang: Lang) -> Option<String> {
        let LinkageState::RelinkNeeded { reason, .. } = self else {
            return None;
        };
        Some(
            if crate::portal::dto::consent_ended(reason) {
                lang.pick(
                    "同意期間が終わったため、連携を更新できません。マイナンバーカードで再連携してください。",
                    "Your consent ended, so the linkage cannot be renewed. Link again with your My Number card.",
                )
            } else {
                lang.pick(
                    "この連携はカードなしでは更新できません。マイナンバーカードで再連携してください。",
                    "This linkage cannot be renewed without the card. Link again with your My Number card.",
                )
            }
            .to_owned(),
        )
    }

    /// Days left of the holder's consent while 連携済, once within [`CONSENT_WARNING_DAYS`]:
    /// the app says ahead of time that the card will be needed.
    pub fn consent_days_left(&self, today: NaiveDate) -> Option<i64> {
        match self {
            LinkageState::Linked {
                consent_until: Some(until),
                ..
            } => Some((*until - today).num_days().max(0)).filter(|d| *d <= CONSENT_WARNING_DAYS),
            _ => None,
        }
    }

    pub fn is_linked(&self) -> bool {
        matches!(self, LinkageState::Linked { .. })
    }

    /// The techo-server session this state refers to, if any.
    pub fn session(&self) -> Option<&str> {
        match self {
            LinkageState::Unlinked => None,
            LinkageState::Linking { session, .. }
            | LinkageState::Pending { session, .. }
            | LinkageState::Linked { session, .. }
            | LinkageState::RelinkNeeded { session, .. } => {
                Some(session.as_str()).filter(|s| !s.is_empty())
            }
        }
    }
}

/// "The consent ends in `days` days; then link again with the card."
pub fn consent_ends_in(days: i64, lang: Lang) -> String {
    match (days, lang) {
        (0, Lang::Ja) => "マイナポータル連携の同意期間は今日で終わります。明日からはマイナンバーカードで再連携してください。".to_owned(),
        (0, Lang::En) => "Your consent to the portal linkage ends today. From tomorrow, link again with your My Number card.".to_owned(),
        (_, Lang::Ja) => format!(
            "マイナポータル連携の同意期間が{days}日後に終わります。その後はマイナンバーカードで再連携してください。"
        ),
        (_, Lang::En) => format!(
            "Your consent to the portal linkage ends in {days} days. After that, link again with your My Number card."
        ),
    }
}
