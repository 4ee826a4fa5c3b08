//! `AppLock`: when to ask for the app lock. The shell reports screens starting and stopping
//! (with the platform's monotonic milliseconds) and the prompt's outcome; the rule is the core's.

use std::sync::{Mutex, PoisonError};
use techo_core::flows::AppLockPolicy;

#[derive(Debug, uniffi::Object)]
pub struct AppLock {
    policy: Mutex<AppLockPolicy>,
}

impl AppLock {
    fn with<T>(&self, f: impl FnOnce(&mut AppLockPolicy) -> T) -> T {
        f(&mut self.policy.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[uniffi::export]
impl AppLock {
    /// Locks again after more than a minute in the background.
    #[uniffi::constructor]
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            policy: Mutex::new(AppLockPolicy::default()),
        })
    }

    pub fn needs_unlock(&self) -> bool {
        self.with(|p| p.needs_unlock())
    }

    /// The biometric or lock-screen prompt succeeded.
    pub fn unlocked(&self) {
        self.with(AppLockPolicy::unlocked);
    }

    /// The platform lost the unlock (a key invalidated, the prompt failed).
    pub fn locked(&self) {
        self.with(AppLockPolicy::locked);
    }

    pub fn screen_started(&self, now_ms: u64) {
        self.with(|p| p.screen_started(now_ms));
    }

    pub fn screen_stopped(&self, now_ms: u64) {
        self.with(|p| p.screen_stopped(now_ms));
    }
}
