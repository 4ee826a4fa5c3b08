//! The per-handbook linkage state machine: 未連携 → linking → 申請中 → 連携済 → back to 未連携
//! on expiry, revocation or withdrawal. `transitions` is pure (state, event, time); `flow` runs it
//! against techo-server, the portal and the card.

pub mod flow;
pub mod transitions;

pub use flow::{LinkError, Linker, consent_with_card};
pub use transitions::{Event, TransitionError, next};
