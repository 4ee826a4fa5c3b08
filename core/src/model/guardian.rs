//! Who presents a handbook: its holder, or a guardian (代理人) on the holder's behalf. Many 療育
//! holders are children or adults who cannot use a phone or a card PIN; a parent or legal
//! guardian presents for them, and the screen and the verifier say so.

use crate::Lang;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// 親（親権者）
    Parent,
    /// 後見人など法定代理人
    LegalGuardian,
    /// その他（施設職員など）
    Other,
}

impl Relationship {
    pub const ALL: [Relationship; 3] = [
        Relationship::Parent,
        Relationship::LegalGuardian,
        Relationship::Other,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Relationship::Parent => lang.pick("親", "parent"),
            Relationship::LegalGuardian => lang.pick("法定代理人", "legal guardian"),
            Relationship::Other => lang.pick("その他の代理人", "other representative"),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().replace('-', "_").as_str() {
            "parent" | "親" => Some(Relationship::Parent),
            "legal_guardian" | "法定代理人" | "後見人" => Some(Relationship::LegalGuardian),
            "other" | "その他" => Some(Relationship::Other),
            _ => None,
        }
    }

    /// The number carried in a credential.
    pub fn wire(self) -> u64 {
        match self {
            Relationship::Parent => 1,
            Relationship::LegalGuardian => 2,
            Relationship::Other => 3,
        }
    }

    pub fn from_wire(n: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.wire() == n)
    }
}

/// Who holds and presents this handbook in this wallet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Presenter {
    /// The holder's own handbook.
    #[default]
    Holder,
    /// Presented on the holder's behalf.
    Guardian {
        relationship: Relationship,
        /// The guardian's own name, shown on the counter screen.
        name: String,
    },
}

impl Presenter {
    pub fn is_guardian(&self) -> bool {
        matches!(self, Presenter::Guardian { .. })
    }

    /// "保護者が提示（親：伊藤 美咲）" / "Presented by guardian (parent: 伊藤 美咲)".
    pub fn band_text(&self, lang: Lang) -> Option<String> {
        match self {
            Presenter::Holder => None,
            Presenter::Guardian { relationship, name } => Some(match lang {
                Lang::Ja => format!("保護者が提示（{}：{name}）", relationship.label(lang)),
                Lang::En => format!(
                    "Presented by guardian ({}: {name})",
                    relationship.label(lang)
                ),
            }),
        }
    }
}

/// The guardian section of a handbook file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardianDraft {
    pub relationship: Option<String>,
    pub name: Option<String>,
}
