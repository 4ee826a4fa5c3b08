//! What a verdict rests on: the facts a verified presentation disclosed (or, for the counter
//! screen's hint, the wallet's own handbook), and the trip.

use crate::model::{FareClass, Handbook, HandbookKind};
use crate::token::{GuardianClaim, LinkageKind, VerifiedPresentation};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Facts about the holder's handbook. `None`: not disclosed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub kind: Option<HandbookKind>,
    pub fare_class: Option<FareClass>,
    pub linkage: Option<LinkageKind>,
    /// `Some(None)`: disclosed, and the handbook has no expiry.
    pub expiry: Option<Option<NaiveDate>>,
    /// Last day of the issuer's credential (`None` for a wallet hint).
    pub credential_valid_until: Option<NaiveDate>,
    /// How old the screen's token is (`None` for a wallet hint).
    pub token_age: Option<Duration>,
    /// How old the verifier's revocation list is (`None` for a wallet hint).
    pub status_list_age: Option<Duration>,
    /// The site whose challenge this presentation answered. Set it only when the verifier
    /// issued that challenge and redeemed it once (`ChallengeBook`); otherwise it may be a replay.
    pub challenge_audience: Option<String>,
    /// Presented by a guardian on the holder's behalf.
    pub guardian: Option<GuardianClaim>,
    /// From a verified presentation (`true`) or the holder's own wallet (`false`).
    pub verified: bool,
}

impl Facts {
    /// The facts a presentation proved, at the verifier's `now`.
    pub fn from_presentation(v: &VerifiedPresentation, now: DateTime<Utc>) -> Self {
        Facts {
            kind: v.claims.kind,
            fare_class: v.claims.fare_class,
            linkage: v.claims.linkage,
            expiry: v.claims.expiry,
            credential_valid_until: Some(v.valid_until),
            token_age: Some(now - crate::token::time::step_start(v.step)),
            status_list_age: Some(v.status_list_age),
            challenge_audience: v.challenge.as_ref().map(|c| c.audience.clone()),
            guardian: v.guardian,
            verified: true,
        }
    }

    /// The wallet's own view of a handbook, for the counter screen's "valid here" hint.
    pub fn from_handbook(hb: &Handbook) -> Self {
        Facts {
            kind: Some(hb.kind()),
            fare_class: Some(hb.fare_class),
            linkage: Some(LinkageKind::from(&hb.linkage)),
            expiry: Some(hb.dates.expires),
            credential_valid_until: None,
            token_age: None,
            status_list_age: None,
            challenge_audience: None,
            guardian: GuardianClaim::declared(&hb.presenter),
            verified: false,
        }
    }
}

/// The trip staff are pricing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trip {
    /// The day of travel (Japan time): expiry is compared with it.
    pub date: NaiveDate,
    /// One-way distance in km, when staff know it.
    pub distance_km: Option<u32>,
    /// Whether a caregiver travels with the holder; `None`: not asked yet.
    pub with_caregiver: Option<bool>,
}
