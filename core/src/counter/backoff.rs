//! Waiting after a keystore failure: 2 s, then twice as long each time, at most a minute. A
//! keystore that keeps failing is asked a handful of times a minute, never at every frame.

use chrono::{DateTime, Duration, Utc};

/// First wait after a failure.
pub const FIRST_WAIT: Duration = Duration::seconds(2);
/// Longest wait between tries.
pub const LONGEST_WAIT: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
    until: Option<DateTime<Utc>>,
}

impl Backoff {
    /// A failure at `now`: returns when the next try may be made.
    pub fn failed(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        let wait = FIRST_WAIT
            .checked_mul(1 << self.failures.min(6))
            .map_or(LONGEST_WAIT, |w| w.min(LONGEST_WAIT));
        self.failures = self.failures.saturating_add(1);
        let until = now + wait;
        self.until = Some(until);
        until
    }

    /// Success, or a fresh start the holder asked for.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Whether a try may be made at `now`.
    pub fn ready(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|t| now >= t)
    }

    /// Milliseconds until the next try may be made (0: now).
    pub fn wait_ms(&self, now: DateTime<Utc>) -> u32 {
        self.until.map_or(0, |t| {
            u32::try_from((t - now).num_milliseconds().max(0)).unwrap_or(u32::MAX)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn waits_double_up_to_a_minute() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        let mut b = Backoff::default();
        assert!(b.ready(t0));
        let waits: Vec<i64> = (0..8).map(|_| (b.failed(t0) - t0).num_seconds()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60, 60]);
        assert!(!b.ready(t0 + Duration::seconds(59)));
        assert_eq!(b.wait_ms(t0 + Duration::seconds(59)), 1_000);
        b.reset();
        assert!(b.ready(t0));
    }
}
