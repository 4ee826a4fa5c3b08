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
    /// 申請中: the portal was asked and has not answered yet.
    Pending {
        since: DateTime<Utc>,
        reason: String,
        next_try: Option<DateTime<Utc>>,
    },
    /// 連携済: confirmed by the portal; a credential was issued.
    Linked { since: DateTime<Utc> },
}

impl LinkageState {
    pub fn label(&self, lang: Lang) -> &'static str {
        match self {
            LinkageState::Unlinked => lang.pick("未連携", "Not linked"),
            LinkageState::Pending { .. } => lang.pick("申請中", "Pending"),
            LinkageState::Linked { .. } => lang.pick("連携済", "Linked"),
        }
    }

    pub fn is_linked(&self) -> bool {
        matches!(self, LinkageState::Linked { .. })
    }
}
