//! When the app asks for its lock (biometric or the phone's own PIN): at start, and again when it
//! comes back after more than a minute in the background (a phone put down unlocked and picked up
//! by someone else). Moving between the app's own screens never asks: the next screen starts
//! before the last one stops. Times are the platform's monotonic milliseconds.

/// How long the app may sit in the background before it locks again.
pub const RELOCK_AFTER_MS: u64 = 60_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppLockPolicy {
    relock_after_ms: u64,
    unlocked: bool,
    visible_screens: u32,
    background_since: Option<u64>,
}

impl Default for AppLockPolicy {
    fn default() -> Self {
        Self::new(RELOCK_AFTER_MS)
    }
}

impl AppLockPolicy {
    pub fn new(relock_after_ms: u64) -> Self {
        Self {
            relock_after_ms,
            unlocked: false,
            visible_screens: 0,
            background_since: None,
        }
    }

    pub fn needs_unlock(&self) -> bool {
        !self.unlocked
    }

    /// The holder passed the biometric or lock-screen prompt.
    pub fn unlocked(&mut self) {
        self.unlocked = true;
    }

    /// The prompt failed, was cancelled, or the platform lost the unlock (a key invalidated).
    pub fn locked(&mut self) {
        self.unlocked = false;
    }

    /// One of the app's screens became visible at `now_ms`.
    pub fn screen_started(&mut self, now_ms: u64) {
        if self.visible_screens == 0 {
            if let Some(since) = self.background_since {
                if now_ms.saturating_sub(since) > self.relock_after_ms {
                    self.unlocked = false;
                }
            }
        }
        self.background_since = None;
        self.visible_screens += 1;
    }

    /// One of the app's screens stopped being visible at `now_ms`.
    pub fn screen_stopped(&mut self, now_ms: u64) {
        self.visible_screens = self.visible_screens.saturating_sub(1);
        if self.visible_screens == 0 {
            self.background_since = Some(now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_at_start_and_after_a_minute_away_never_between_screens() {
        let mut p = AppLockPolicy::default();
        assert!(p.needs_unlock());
        p.screen_started(0);
        p.unlocked();
        // The list opens the counter: the counter starts before the list stops.
        p.screen_started(1_000);
        p.screen_stopped(1_100);
        assert!(!p.needs_unlock());
        // Thirty seconds in the background: still unlocked.
        p.screen_stopped(2_000);
        p.screen_started(32_000);
        assert!(!p.needs_unlock());
        // More than a minute: locked again.
        p.screen_stopped(40_000);
        p.screen_started(100_001);
        assert!(p.needs_unlock());
        p.unlocked();
        p.locked();
        assert!(p.needs_unlock());
    }
}
