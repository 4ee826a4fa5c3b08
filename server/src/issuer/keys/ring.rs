//! The issuer's key ring as data, without I/O: which issuer keys the trust list publishes,
//! which one signs, and the rotation rules (docs/deploy.md, "Rotating the issuer key").
//!
//! A new key is published in the trust list **ahead of use** (`Next`), so verifiers holding a
//! list fetched since then already know it; after the notice period it starts signing
//! (`Active`), and the key before it is `Retired`: still published, with an end date, until the
//! last credential it signed has expired; then it leaves the list.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use techo_core::token::credential::MAX_VALIDITY_DAYS;
use techo_core::token::{PublicKey, TrustList, TrustedIssuer};

/// The issuer id every key of this issuer carries in credentials and the trust list.
pub const ISSUER_ID: u32 = 1;

/// How long a retired key stays published: a credential it signed on its last day is valid for
/// at most [`MAX_VALIDITY_DAYS`] days (a day either side for time zones and clocks).
pub fn retired_key_kept() -> Duration {
    Duration::days(i64::from(MAX_VALIDITY_DAYS) + 2)
}

/// How far before its publication a key is listed as valid: verifiers' clocks may run behind
/// the issuer's (a key made a minute ago must not be "not yet valid" on a slow gate).
const CLOCK_ALLOWANCE_HOURS: i64 = 24;

/// How far ahead an active key's trust-list validity reaches (the list is re-signed often, so
/// this only bounds what an old list may accept).
const ACTIVE_HORIZON_DAYS: i64 = 3 * 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum KeyRole {
    /// Published, not yet signing.
    Next,
    /// Signs credentials, status lists and the directory.
    Active,
    /// No longer signs; published until `since` + [`retired_key_kept`].
    Retired { since: DateTime<Utc> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RingKey {
    /// Key id in credentials and the trust list (hex).
    pub kid: String,
    /// The public key, SEC1 uncompressed (hex): the signer must match it when opened.
    pub public: String,
    pub published_at: DateTime<Utc>,
    #[serde(flatten)]
    pub role: KeyRole,
}

impl RingKey {
    pub fn kid_bytes(&self) -> Vec<u8> {
        techo_core::hex::decode(&self.kid).unwrap_or_default()
    }

    pub fn public_key(&self) -> Option<PublicKey> {
        techo_core::hex::decode(&self.public).and_then(|b| PublicKey::from_sec1(&b).ok())
    }

    /// Until when verifiers may accept this key.
    fn not_after(&self) -> DateTime<Utc> {
        match self.role {
            KeyRole::Retired { since } => since + retired_key_kept(),
            KeyRole::Next | KeyRole::Active => {
                self.published_at + Duration::days(ACTIVE_HORIZON_DAYS)
            }
        }
    }
}

/// Why a rotation step was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    #[error("a next key ({kid}) is already published: activate it first")]
    NextExists { kid: String },
    #[error("there is no next key: prepare one first")]
    NoNext,
    #[error(
        "the next key {kid} was published at {published_at}; verifiers need until {ready_at} to fetch it (try again then)"
    )]
    TooSoon {
        kid: String,
        published_at: DateTime<Utc>,
        ready_at: DateTime<Utc>,
    },
}

/// Everything the trust list says, and which key signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRing {
    pub name: String,
    /// The root key's public key (SEC1 hex): the one apps have built in.
    pub root: String,
    pub trust_sequence: u64,
    pub min_token_version: u32,
    pub keys: Vec<RingKey>,
}

impl KeyRing {
    /// A ring with its first key, active from `now`.
    pub fn first(
        name: &str,
        root: &PublicKey,
        kid: &[u8],
        public: &PublicKey,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            name: name.to_owned(),
            root: techo_core::hex::encode(root.uncompressed()),
            trust_sequence: 1,
            min_token_version: 1,
            keys: vec![RingKey {
                kid: techo_core::hex::encode(kid),
                public: techo_core::hex::encode(public.uncompressed()),
                published_at: now,
                role: KeyRole::Active,
            }],
        }
    }

    pub fn active(&self) -> Option<&RingKey> {
        self.keys.iter().find(|k| k.role == KeyRole::Active)
    }

    pub fn next(&self) -> Option<&RingKey> {
        self.keys.iter().find(|k| k.role == KeyRole::Next)
    }

    /// The key id a new key gets: one more than the largest so far, as few bytes as it needs.
    pub fn next_kid(&self) -> Vec<u8> {
        let largest = self
            .keys
            .iter()
            .map(|k| {
                k.kid_bytes()
                    .iter()
                    .fold(0u64, |n, b| n.saturating_mul(256) + u64::from(*b))
            })
            .max()
            .unwrap_or(0);
        let n = largest + 1;
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
        bytes[skip..].to_vec()
    }

    /// Publishes `public` as the next key (not signing yet).
    pub fn prepare(
        &mut self,
        kid: &[u8],
        public: &PublicKey,
        now: DateTime<Utc>,
    ) -> Result<(), RotationError> {
        if let Some(next) = self.next() {
            return Err(RotationError::NextExists {
                kid: next.kid.clone(),
            });
        }
        self.keys.push(RingKey {
            kid: techo_core::hex::encode(kid),
            public: techo_core::hex::encode(public.uncompressed()),
            published_at: now,
            role: KeyRole::Next,
        });
        self.trust_sequence += 1;
        Ok(())
    }

    /// The next key starts signing, once it has been published for `notice`; the active key
    /// retires (still published until its last credential expires).
    pub fn activate(&mut self, now: DateTime<Utc>, notice: Duration) -> Result<(), RotationError> {
        let next = self.next().ok_or(RotationError::NoNext)?;
        let ready_at = next.published_at + notice;
        if now < ready_at {
            return Err(RotationError::TooSoon {
                kid: next.kid.clone(),
                published_at: next.published_at,
                ready_at,
            });
        }
        for k in &mut self.keys {
            k.role = match k.role {
                KeyRole::Active => KeyRole::Retired { since: now },
                KeyRole::Next => KeyRole::Active,
                retired @ KeyRole::Retired { .. } => retired,
            };
        }
        self.trust_sequence += 1;
        Ok(())
    }

    /// Removes retired keys whose last credential has expired; whether any left.
    pub fn drop_expired(&mut self, now: DateTime<Utc>) -> bool {
        let before = self.keys.len();
        self.keys.retain(|k| match k.role {
            KeyRole::Retired { since } => now <= since + retired_key_kept(),
            KeyRole::Next | KeyRole::Active => true,
        });
        let changed = self.keys.len() != before;
        if changed {
            self.trust_sequence += 1;
        }
        changed
    }

    /// The trust list as of `now`: every published key with its validity.
    pub fn trust_list(&self, now: DateTime<Utc>) -> TrustList {
        TrustList {
            sequence: self.trust_sequence,
            issued_at: now,
            min_token_version: self.min_token_version,
            issuers: self
                .keys
                .iter()
                .filter_map(|k| {
                    Some(TrustedIssuer {
                        kid: k.kid_bytes(),
                        issuer_id: ISSUER_ID,
                        name: self.name.clone(),
                        key: k.public_key()?,
                        not_before: k.published_at - Duration::hours(CLOCK_ALLOWANCE_HOURS),
                        not_after: k.not_after(),
                    })
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use techo_core::token::SoftwareKey;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("a time")
    }

    #[test]
    fn a_rotation_publishes_ahead_then_signs_then_forgets_the_old_key() {
        let t0 = at("2026-01-01T00:00:00Z");
        let (k1, k2) = (SoftwareKey::generate(), SoftwareKey::generate());
        let mut ring = KeyRing::first("Techo", &k1.public(), &[1], &k1.public(), t0);
        assert_eq!(ring.next_kid(), vec![2]);
        ring.prepare(&[2], &k2.public(), t0 + Duration::days(1))
            .expect("prepared");
        assert_eq!(ring.trust_sequence, 2);
        assert!(matches!(
            ring.prepare(&[3], &k2.public(), t0 + Duration::days(1)),
            Err(RotationError::NextExists { .. })
        ));
        assert_eq!(
            ring.trust_list(t0).issuers.len(),
            2,
            "published ahead of use"
        );
        assert_eq!(ring.active().expect("one active").kid, "01");
        let early = ring.activate(t0 + Duration::days(3), Duration::days(7));
        assert!(
            matches!(early, Err(RotationError::TooSoon { .. })),
            "{early:?}"
        );
        let t_act = t0 + Duration::days(8);
        ring.activate(t_act, Duration::days(7)).expect("activated");
        assert_eq!(ring.active().expect("one active").kid, "02");
        let old = ring.trust_list(t_act).issuers[0].clone();
        assert_eq!(old.kid, vec![1]);
        assert_eq!(old.not_after, t_act + retired_key_kept());
        assert!(!ring.drop_expired(t_act + retired_key_kept()));
        assert!(ring.drop_expired(t_act + retired_key_kept() + Duration::seconds(1)));
        assert_eq!(ring.keys.len(), 1);
        assert_eq!(ring.trust_sequence, 4);
        assert_eq!(ring.next_kid(), vec![3]);
    }

    #[test]
    fn key_ids_grow_past_one_byte() {
        let k = SoftwareKey::generate();
        let mut ring = KeyRing::first(
            "Techo",
            &k.public(),
            &[0xff],
            &k.public(),
            at("2026-01-01T00:00:00Z"),
        );
        assert_eq!(ring.next_kid(), vec![1, 0]);
        ring.keys[0].kid = "0100".into();
        assert_eq!(ring.next_kid(), vec![1, 1]);
        assert!(matches!(
            ring.activate(at("2026-01-02T00:00:00Z"), Duration::zero()),
            Err(RotationError::NoNext)
        ));
    }
}
