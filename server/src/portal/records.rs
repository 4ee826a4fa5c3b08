//! The records the simulated portal holds, and the two query forms: 時点指定 (as of a date) and
//! 範囲指定 (a date range).

use chrono::NaiveDate;
use std::collections::HashMap;
use std::path::Path;
use techo_core::portal::dto::PortalRecord;

/// 療育手帳 data reaches the portal only from June 2022 (seed 003).
pub fn intellectual_data_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 6, 1).unwrap_or(NaiveDate::MIN)
}

#[derive(Debug, Clone, Default)]
pub struct Records(HashMap<String, Vec<PortalRecord>>);

impl Records {
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let raw: HashMap<String, serde_json::Value> =
            serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        let mut out = HashMap::new();
        for (subject, v) in raw {
            if subject.starts_with('_') {
                continue;
            }
            let records: Vec<PortalRecord> =
                serde_json::from_value(v).map_err(|e| format!("{subject}: {e}"))?;
            out.insert(subject, records);
        }
        Ok(Self(out))
    }

    fn in_force(r: &PortalRecord, d: NaiveDate) -> bool {
        r.issued <= d
            && r.returned.is_none_or(|x| d < x)
            && (r.kind != "intellectual" || d >= intellectual_data_from())
    }

    /// 時点指定: the handbooks in force on `date`.
    pub fn as_of(&self, subject: &str, date: NaiveDate) -> Vec<PortalRecord> {
        self.0
            .get(subject)
            .map(|v| {
                v.iter()
                    .filter(|r| Self::in_force(r, date))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// 範囲指定: the handbooks in force at any time between `from` and `to`.
    pub fn range(&self, subject: &str, from: NaiveDate, to: NaiveDate) -> Vec<PortalRecord> {
        self.0
            .get(subject)
            .map(|v| {
                v.iter()
                    .filter(|r| {
                        let start = if r.kind == "intellectual" {
                            r.issued.max(intellectual_data_from())
                        } else {
                            r.issued
                        };
                        start <= to && r.returned.is_none_or(|x| x > from)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}
