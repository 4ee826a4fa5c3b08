//! Single-use challenges for sites that need a fresh presentation (booking sites, online
//! checks): issued for one audience, answered once, within a few minutes.

use crate::token::Challenge;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long an issued challenge can be answered.
pub const CHALLENGE_TTL_SECONDS: i64 = 300;
/// Used and expired entries are kept this long, so a late replay is still named as such.
const KEEP_HOURS: i64 = 24;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error(
        "this challenge was not issued by this verifier: start again with a fresh one / このチャレンジは発行されていません"
    )]
    Unknown,
    #[error(
        "this challenge was issued for {issued_for}, not {audience} / 別のサイト向けのチャレンジです"
    )]
    WrongAudience {
        issued_for: String,
        audience: String,
    },
    #[error(
        "this challenge was already answered at {}: a replayed presentation / このチャレンジは使用済みです（再利用の疑い）",
        used_at.format("%Y-%m-%d %H:%M:%S UTC")
    )]
    Replayed { used_at: DateTime<Utc> },
    #[error(
        "this challenge expired ({seconds} s old, limit {CHALLENGE_TTL_SECONDS} s): ask for a fresh presentation / チャレンジの有効期限切れです"
    )]
    Expired { seconds: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    nonce_hex: String,
    audience: String,
    issued: DateTime<Utc>,
    used: Option<DateTime<Utc>>,
}

/// The challenges a verifier has issued. Serialisable, so a CLI or a server can keep it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeBook {
    entries: Vec<Entry>,
}

impl ChallengeBook {
    /// A fresh 16-byte nonce for `audience`.
    pub fn issue(&mut self, audience: &str, now: DateTime<Utc>) -> Challenge {
        self.prune(now);
        let nonce = crate::hex::random_bytes(16);
        self.entries.push(Entry {
            nonce_hex: crate::hex::encode(&nonce),
            audience: audience.to_owned(),
            issued: now,
            used: None,
        });
        Challenge {
            nonce,
            audience: audience.to_owned(),
        }
    }

    /// Accepts an answer to a challenge once: known, same audience, unused, not expired.
    pub fn redeem(&mut self, c: &Challenge, now: DateTime<Utc>) -> Result<(), ChallengeError> {
        let hex = crate::hex::encode(&c.nonce);
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.nonce_hex == hex)
            .ok_or(ChallengeError::Unknown)?;
        if entry.audience != c.audience {
            return Err(ChallengeError::WrongAudience {
                issued_for: entry.audience.clone(),
                audience: c.audience.clone(),
            });
        }
        if let Some(used_at) = entry.used {
            return Err(ChallengeError::Replayed { used_at });
        }
        let age = now - entry.issued;
        if age > Duration::seconds(CHALLENGE_TTL_SECONDS) || age < Duration::seconds(-60) {
            return Err(ChallengeError::Expired {
                seconds: age.num_seconds(),
            });
        }
        entry.used = Some(now);
        Ok(())
    }

    /// When an issued challenge was answered, if it was: tells a replay from a stranger.
    pub fn used_at(&self, c: &Challenge) -> Option<DateTime<Utc>> {
        let hex = crate::hex::encode(&c.nonce);
        self.entries
            .iter()
            .find(|e| e.nonce_hex == hex && e.audience == c.audience)
            .and_then(|e| e.used)
    }

    fn prune(&mut self, now: DateTime<Utc>) {
        self.entries
            .retain(|e| now - e.issued < Duration::hours(KEEP_HOURS));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_is_answered_once_for_its_audience_within_its_time() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let mut book = ChallengeBook::default();
        let c = book.issue("tickets.example", t0);
        let other_site = Challenge {
            audience: "elsewhere.example".into(),
            ..c.clone()
        };
        assert!(matches!(
            book.redeem(&other_site, t0),
            Err(ChallengeError::WrongAudience { .. })
        ));
        assert_eq!(book.redeem(&c, t0 + Duration::seconds(10)), Ok(()));
        assert!(matches!(
            book.redeem(&c, t0 + Duration::seconds(20)),
            Err(ChallengeError::Replayed { .. })
        ));
        assert_eq!(book.used_at(&c), Some(t0 + Duration::seconds(10)));
        let late = book.issue("tickets.example", t0);
        assert!(matches!(
            book.redeem(&late, t0 + Duration::seconds(CHALLENGE_TTL_SECONDS + 1)),
            Err(ChallengeError::Expired { .. })
        ));
        let forged = Challenge {
            nonce: vec![7; 16],
            audience: "tickets.example".into(),
        };
        assert_eq!(book.redeem(&forged, t0), Err(ChallengeError::Unknown));
        // Survives a save and load.
        let again: ChallengeBook =
            serde_json::from_str(&serde_json::to_string(&book).unwrap_or_default())
                .unwrap_or_default();
        assert_eq!(again, book);
    }
}
