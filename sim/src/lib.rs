//! A software My Number card that answers the same APDUs as the real one (JPKI applet and the
//! card-info-input-support applet), for tests, the CLI and the demo. Dev-only.
//!
//! Cards are folders in `fixtures/cards/`; retry counters persist in a separate state file, so a
//! blocked card stays blocked across "taps" and the fixtures never change.

mod apdu_in;
mod card;
mod profile;
mod smartphone;
pub mod vpcd;

pub use card::{SimOptions, SoftCard};
pub use profile::{CardProfile, ProfileError};
pub use smartphone::{SmartphoneCertificate, UserCheck};
