//! The counter screen over time: which frame to draw, when to sign a new code, and what to show
//! instead of a code. The phones call [`CounterSession::frame`] and draw what it returns; every
//! rule about presenting again lives here, tested against the injected clock.

mod backoff;
mod frame;
mod session;

pub use backoff::Backoff;
pub use frame::{CounterFrame, QrState};
pub use session::CounterSession;
