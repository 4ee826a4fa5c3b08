//! The per-handbook linkage state machine: 未連携 → linking → 申請中 → 連携済 → back to 未連携
//! on expiry, revocation or withdrawal. `transitions` is pure (state, event, time); `consent` is
//! the holder's part at the portal. The wallet (`crate::wallet`) runs the flow and is the only
//! code that stores a move.

pub mod consent;
pub mod transitions;

pub use consent::{LinkError, PortalChallenge, fetch_challenge, send_consent};
pub use transitions::{Event, TransitionError, next};
