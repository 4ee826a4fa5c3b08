//! Operator acceptance policies: what a holder gets at *this* operator, as a staff verdict.
//!
//! A policy file (TOML, `docs/operator-policy.md`) states an operator's rules; [`evaluate`] is a
//! pure function of (facts from a verified presentation, policy, trip) that says accepted / not
//! accepted / check manually, the discount granted, the reasons in staff language and the facts
//! it rests on. The same function gives the counter screen its "valid at this operator" hint
//! from a handbook in the wallet.

mod challenge;
mod evaluate;
mod facts;
mod format;
mod judge;
mod verdict;

pub use challenge::{CHALLENGE_TTL_SECONDS, ChallengeBook, ChallengeError};
pub use evaluate::evaluate;
pub use facts::{Facts, Trip};
pub use format::{CaregiverRule, OperatorPolicy, PolicyError, category_label};
pub use judge::{HARD_STATUS_AGE_HOURS, Judgement, declared_lines, judge};
pub use verdict::{Decision, Grant, Reason, Verdict};
