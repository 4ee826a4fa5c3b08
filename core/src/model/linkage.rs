//! Myna Portal linkage state as staff see it: 連携済 / 未連携 / 申請中.

use crate::lang::Lang;
use chrono::{DateTime, Utc};
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
        valid_until: Option<chrono::NaiveDate>,
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
            | LinkageState::Linked { session, .. } => {
                Some(session.as_str()).filter(|s| !s.is_empty())
            }
        }
    }
}
