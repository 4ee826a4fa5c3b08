//! The small state machines the phone screens walk: PIN entry, the linkage flow (purpose → PIN
//! → card → progress → result), answering a booking site (consent → card → reply) and when to
//! ask for the app lock. The shells draw their state
//! and forward taps; the rules live here, tested on the desktop.

pub mod app_lock;
pub mod link_flow;
pub mod pin_entry;
pub mod site_flow;

pub use app_lock::AppLockPolicy;
pub use link_flow::{LinkFlow, LinkStage, LinkStep};
pub use pin_entry::PinEntry;
pub use site_flow::{CardUse, OrderLine, SiteFlow, SiteStage, SiteStep};
