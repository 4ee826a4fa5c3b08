//! The platform's clock. Every time rule in the core asks it, so a shell can supply network time
//! and tests can pin it.

use chrono::{DateTime, Utc};
use std::sync::Arc;

#[uniffi::export(with_foreign)]
pub trait WalletClock: Send + Sync {
    /// Milliseconds since the Unix epoch, UTC.
    fn now_unix_millis(&self) -> i64;
}

pub(crate) struct ForeignClock(pub Arc<dyn WalletClock>);

impl std::fmt::Debug for ForeignClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForeignClock")
    }
}

impl techo_core::Clock for ForeignClock {
    fn now(&self) -> DateTime<Utc> {
        // A clock outside chrono's range is a platform bug; the epoch makes every time check fail
        // closed (credentials not yet valid) rather than pass.
        DateTime::from_timestamp_millis(self.0.now_unix_millis()).unwrap_or_default()
    }
}
