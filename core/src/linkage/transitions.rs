//! One function, one arm per (state, event): every legal move and nothing else.

use crate::model::LinkageState;
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// techo-server opened a session.
    Started { session: String },
    /// The portal was closed or the data not ready: try again at `next_try`.
    Pending {
        reason: String,
        next_try: Option<DateTime<Utc>>,
    },
    /// Credentials were issued and stored; the consent they rest on lasts until
    /// `consent_until` (when the server says).
    Linked {
        valid_until: NaiveDate,
        consent_until: Option<NaiveDate>,
    },
    /// The consent ended or the linkage cannot be renewed: what was issued is revoked and only
    /// the card can link again (カードで再連携が必要).
    CardNeeded { reason: String },
    /// The attempt failed for good (wrong handbook, consent refused, card error).
    Failed,
    /// The credentials ran out (checked against the clock).
    Expired,
    /// The issuer revoked them (handbook reissued or returned) or the holder withdrew consent.
    Revoked,
    /// The holder withdrew consent (the server revokes and forgets).
    Withdrawn,
    /// The holder changed the handbook's facts: what the portal confirmed no longer applies.
    Edited,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("linkage cannot go from {from} on {event}")]
pub struct TransitionError {
    pub from: &'static str,
    pub event: &'static str,
}

fn name(s: &LinkageState) -> &'static str {
    match s {
        LinkageState::Unlinked => "unlinked",
        LinkageState::Linking { .. } => "linking",
        LinkageState::Pending { .. } => "pending",
        LinkageState::Linked { .. } => "linked",
        LinkageState::RelinkNeeded { .. } => "relink_needed",
    }
}

fn event_name(e: &Event) -> &'static str {
    match e {
        Event::Started { .. } => "started",
        Event::Pending { .. } => "pending",
        Event::Linked { .. } => "linked",
        Event::CardNeeded { .. } => "card_needed",
        Event::Failed => "failed",
        Event::Expired => "expired",
        Event::Revoked => "revoked",
        Event::Withdrawn => "withdrawn",
        Event::Edited => "edited",
    }
}

pub fn next(
    state: &LinkageState,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<LinkageState, TransitionError> {
    use LinkageState as S;
    let session = state.session().unwrap_or_default().to_owned();
    Ok(match (state, event) {
        // A new attempt may start from anywhere. From 連携済 or 申請中 the state it replaces is
        // kept, to go back to if the attempt fails; from linking (an attempt abandoned when the
        // app was killed) what that attempt kept is carried over.
        (S::Unlinked, Event::Started { session }) => S::Linking {
            since: now,
            session: session.clone(),
            before: None,
        },
        (
            S::Linked { .. } | S::Pending { .. } | S::RelinkNeeded { .. },
            Event::Started { session },
        ) => S::Linking {
            since: now,
            session: session.clone(),
            before: Some(Box::new(state.clone())),
        },
        (S::Linking { before, .. }, Event::Started { session }) => S::Linking {
            since: now,
            session: session.clone(),
            before: before.clone(),
        },
        (S::Linking { .. } | S::Pending { .. }, Event::Pending { reason, next_try }) => {
            let since = match state {
                S::Pending { since, .. } => *since,
                _ => now,
            };
            S::Pending {
                since,
                reason: reason.clone(),
                next_try: *next_try,
                session,
            }
        }
        (
            S::Linking { .. } | S::Pending { .. } | S::Linked { .. },
            Event::Linked {
                valid_until,
                consent_until,
            },
        ) => S::Linked {
            since: now,
            session,
            valid_until: Some(*valid_until),
            consent_until: *consent_until,
        },
        (S::Linked { .. } | S::Pending { .. }, Event::CardNeeded { reason }) => S::RelinkNeeded {
            since: now,
            reason: reason.clone(),
            session,
        },
        // An attempt that fails goes back to what it replaced.
        (S::Linking { before, .. }, Event::Failed) => {
            before.as_deref().cloned().unwrap_or(S::Unlinked)
        }
        // A pending request refused for good, expiry or revocation: back to 未連携. So are a
        // withdrawn consent and edited facts (never confirmed), whatever was under way.
        (S::Pending { .. }, Event::Failed | Event::Revoked)
        | (
            S::Linked { .. } | S::Unlinked | S::RelinkNeeded { .. },
            Event::Expired | Event::Revoked,
        )
        | (_, Event::Withdrawn | Event::Edited) => S::Unlinked,
        _ => {
            return Err(TransitionError {
                from: name(state),
                event: event_name(event),
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, 0, 0).unwrap()
    }

    #[test]
    fn the_happy_path_through_pending() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let s0 = LinkageState::Unlinked;
        let s1 = next(
            &s0,
            &Event::Started {
                session: "abc".into(),
            },
            t(1),
        )
        .unwrap();
        assert_eq!(
            s1,
            LinkageState::Linking {
                since: t(1),
                session: "abc".into(),
                before: None,
            }
        );
        let s2 = next(
            &s1,
            &Event::Pending {
                reason: "closed".into(),
                next_try: Some(t(8)),
            },
            t(1),
        )
        .unwrap();
        let s3 = next(
            &s2,
            &Event::Pending {
                reason: "not ready".into(),
                next_try: Some(t(9)),
            },
            t(8),
        )
        .unwrap();
        assert!(
            matches!(&s3, LinkageState::Pending { since, session, .. } if *since == t(1) && session == "abc")
        );
        let s4 = next(
            &s3,
            &Event::Linked {
                valid_until: d,
                consent_until: None,
            },
            t(9),
        )
        .unwrap();
        assert_eq!(
            s4,
            LinkageState::Linked {
                consent_until: None,
                since: t(9),
                session: "abc".into(),
                valid_until: Some(d)
            }
        );
        assert_eq!(
            next(&s4, &Event::Expired, t(10)).unwrap(),
            LinkageState::Unlinked
        );
        assert_eq!(
            next(&s4, &Event::Revoked, t(10)).unwrap(),
            LinkageState::Unlinked
        );
    }

    #[test]
    fn illegal_moves_are_refused() {
        let linking = LinkageState::Linking {
            since: t(1),
            session: "a".into(),
            before: None,
        };
        for (state, event) in [
            (
                &LinkageState::Unlinked,
                Event::Pending {
                    reason: "x".into(),
                    next_try: None,
                },
            ),
            (
                &LinkageState::Unlinked,
                Event::Linked {
                    consent_until: None,
                    valid_until: NaiveDate::MIN,
                },
            ),
            (&LinkageState::Unlinked, Event::Failed),
            (&linking, Event::Expired),
            (&linking, Event::Revoked),
        ] {
            assert!(next(state, &event, t(2)).is_err(), "{state:?} on {event:?}");
        }
        assert_eq!(
            next(&linking, &Event::Failed, t(2)).unwrap(),
            LinkageState::Unlinked
        );
    }

    #[test]
    fn a_failed_relink_goes_back_to_what_it_replaced() {
        let linked = LinkageState::Linked {
            consent_until: None,
            since: t(1),
            session: "old".into(),
            valid_until: NaiveDate::from_ymd_opt(2026, 12, 15),
        };
        let started = |s: &LinkageState, session: &str| {
            next(
                s,
                &Event::Started {
                    session: session.into(),
                },
                t(3),
            )
            .unwrap()
        };
        let linking = started(&linked, "new");
        assert_eq!(linking.session(), Some("new"));
        assert_eq!(next(&linking, &Event::Failed, t(4)).unwrap(), linked);
        // An attempt abandoned by a killed app may be started again; what it kept stays kept.
        let again = started(&linking, "newer");
        assert_eq!(next(&again, &Event::Failed, t(5)).unwrap(), linked);
        // Withdrawal and edits end everything.
        for event in [Event::Withdrawn, Event::Edited] {
            assert_eq!(next(&again, &event, t(5)).unwrap(), LinkageState::Unlinked);
        }
    }

    #[test]
    fn an_ended_consent_needs_the_card_and_only_the_card_links_again() {
        let linked = LinkageState::Linked {
            since: t(1),
            session: "a".into(),
            valid_until: NaiveDate::from_ymd_opt(2026, 12, 15),
            consent_until: NaiveDate::from_ymd_opt(2027, 11, 25),
        };
        let ended = Event::CardNeeded {
            reason: "consent_expired".into(),
        };
        let relink = next(&linked, &ended, t(2)).unwrap();
        assert_eq!(
            relink,
            LinkageState::RelinkNeeded {
                since: t(2),
                reason: "consent_expired".into(),
                session: "a".into(),
            }
        );
        assert!(!relink.is_linked());
        // No renewal brings it back: only a new linkage (the card) does, and a failed one
        // returns to カードで再連携が必要, not to 連携済.
        let renewed = Event::Linked {
            valid_until: NaiveDate::from_ymd_opt(2027, 1, 5).unwrap(),
            consent_until: None,
        };
        assert!(next(&relink, &renewed, t(3)).is_err());
        let attempt = next(
            &relink,
            &Event::Started {
                session: "b".into(),
            },
            t(3),
        )
        .unwrap();
        assert_eq!(next(&attempt, &Event::Failed, t(4)).unwrap(), relink);
        assert!(next(&attempt, &renewed, t(4)).unwrap().is_linked());
        // Withdrawing or editing ends it as anything else; an unlinked handbook has no consent.
        assert_eq!(
            next(&relink, &Event::Withdrawn, t(5)).unwrap(),
            LinkageState::Unlinked
        );
        assert!(next(&LinkageState::Unlinked, &ended, t(5)).is_err());
    }
}
