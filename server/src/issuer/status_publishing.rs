//! How status lists are cut and published: list size, how soon a change goes out, the
//! heartbeat, and how long versions are kept (docs/token-spec.md, "Publishing").

use chrono::Duration;
use techo_core::token::StatusRef;

/// The most lists there are: a list id above 255 costs the counter code a byte, and version 11
/// has none left (docs/token-spec.md, "Size budget"). With lists of 2^22 that is about 800
/// million live entries; beyond it allocation fails with "the status list is full".
pub const MAX_LISTS: u32 = 255;

/// How lists are cut and published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusPublishing {
    /// Entries per list (production: 2^22).
    pub list_size: u32,
    /// A change is published at once unless the list's newest version is younger than this
    /// (then the next pass publishes it).
    pub min_gap: Duration,
    /// An unchanged list still gets a new version this often.
    pub heartbeat: Duration,
    /// Versions older than this are forgotten: a verifier further behind fetches the full list.
    pub keep: Duration,
}

impl StatusPublishing {
    /// Production: lists of 2^22 entries, changes out within 10 s, an hourly heartbeat, a
    /// week of versions.
    pub const PRODUCTION: Self = Self {
        list_size: 1 << 22,
        min_gap: Duration::seconds(10),
        heartbeat: Duration::hours(1),
        keep: Duration::days(7),
    };
    /// Tests and the demo: small lists, every change published at once.
    pub const LOOPBACK: Self = Self {
        list_size: 1 << 16,
        min_gap: Duration::zero(),
        heartbeat: Duration::hours(1),
        keep: Duration::days(7),
    };

    /// How many lists keep `in_use` entries within three quarters of the space (a random
    /// free index is then found in at most four tries on average).
    pub fn lists_for(&self, in_use: usize) -> u32 {
        let size = u64::from(self.list_size.max(1));
        u32::try_from((in_use as u64 * 4).div_ceil(size * 3).max(1))
            .unwrap_or(MAX_LISTS)
            .min(MAX_LISTS)
    }

    /// Where the store's index `global` lives.
    pub fn status_ref(&self, global: u32) -> StatusRef {
        let size = self.list_size.max(1);
        StatusRef {
            list: global / size + 1,
            index: global % size,
        }
    }
}
