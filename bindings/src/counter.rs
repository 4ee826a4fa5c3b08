//! `CounterSession`: the counter screen frame by frame. The shell asks for a frame when the last
//! one says, draws it, and reports the unlock and taps; when to sign is decided in the core.
//! Signing may prompt for a biometric and talks to StrongBox or the Secure Enclave: call
//! `frame` off the main thread.

use crate::TechoError;
use crate::records::{CounterOptions, CounterView, Presentation};
use crate::wallet::Wallet;
use std::sync::{Arc, Mutex, PoisonError};
use techo_core::counter::{self, QrState};
use techo_core::model::HandbookId;

/// What stands in the QR code's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CodeStatus {
    /// `code` holds this step's code.
    Shown,
    /// 未連携 / 申請中 with no credential: the screen alone.
    NotLinked,
    /// Show the app lock; report success with `unlocked()`.
    UnlockNeeded,
    /// The holder cancelled the prompt: offer a tap that calls `retry()`.
    Cancelled,
    /// Every credential expired: renew online or link again.
    RanOut,
    /// Link again with the card.
    NeedsCard,
    /// Signing failed; the core tries again on its own (`retry()` tries at once).
    Failed,
}

/// One frame of the counter screen.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CounterFrame {
    pub view: CounterView,
    pub status: CodeStatus,
    /// The code to draw when `status` is `Shown`.
    pub code: Option<Presentation>,
    /// What to show in the code's place, in the screen's language.
    pub message: Option<String>,
    /// Ask for the next frame after this many milliseconds.
    pub next_frame_ms: u32,
}

#[derive(Debug, uniffi::Object)]
pub struct CounterSession {
    wallet: Arc<Wallet>,
    inner: Mutex<counter::CounterSession>,
}

impl CounterSession {
    fn with<T>(&self, f: impl FnOnce(&mut counter::CounterSession) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[uniffi::export]
impl CounterSession {
    /// A session for one counter screen shown.
    #[uniffi::constructor]
    pub fn new(wallet: Arc<Wallet>, options: CounterOptions) -> Arc<Self> {
        // A store that cannot say: no banner, the counter works on.
        let min_token_version = wallet
            .core()
            .min_token_version()
            .unwrap_or(techo_core::screen::TOKEN_VERSION);
        let session = counter::CounterSession::new(options.into(), min_token_version);
        Arc::new(Self {
            wallet,
            inner: Mutex::new(session),
        })
    }

    /// The frame to draw now (`None`: no handbook registered). May sign: off the main thread.
    pub fn frame(&self) -> Result<Option<CounterFrame>, TechoError> {
        let frame = self.with(|s| s.frame(self.wallet.core()))?;
        Ok(frame.map(|f| {
            let (status, code) = match f.qr {
                QrState::Code(code) => (
                    CodeStatus::Shown,
                    Some(Presentation::new(&f.screen.handbook_id, &code)),
                ),
                QrState::NotLinked => (CodeStatus::NotLinked, None),
                QrState::UnlockNeeded => (CodeStatus::UnlockNeeded, None),
                QrState::Cancelled => (CodeStatus::Cancelled, None),
                QrState::RanOut { .. } => (CodeStatus::RanOut, None),
                QrState::NeedsCard { .. } => (CodeStatus::NeedsCard, None),
                QrState::Failed { .. } => (CodeStatus::Failed, None),
            };
            CounterFrame {
                view: CounterView::from(f.screen),
                status,
                code,
                message: f.message,
                next_frame_ms: f.next_frame_ms,
            }
        }))
    }

    /// New options (language, text scale, reduced motion, photo enlarged): the code stays.
    pub fn set_options(&self, options: CounterOptions) {
        self.with(|s| s.set_options(options.into()));
    }

    /// Enlarges or shrinks the photo (a tap on it).
    pub fn toggle_photo(&self) {
        self.with(|s| {
            let mut o = s.options();
            o.photo_enlarged = !o.photo_enlarged;
            s.set_options(o);
        });
    }

    /// The holder passed the app lock: the next frame signs.
    pub fn unlocked(&self) {
        self.with(counter::CounterSession::unlocked);
    }

    /// The holder tapped to show the code again.
    pub fn retry(&self) {
        self.with(counter::CounterSession::retry);
    }

    /// Presents `operator`'s coupon `coupon_id` in the code from the next frame on (the coupon
    /// band says which); `None` for either: the plain counter code again. A coupon that cannot
    /// be used (withdrawn, ended, not for this handbook) shows why instead of a code.
    pub fn set_coupon(&self, operator: Option<String>, coupon_id: Option<String>) {
        self.with(|s| s.set_coupon(operator.zip(coupon_id)));
    }

    /// One tap to another handbook.
    pub fn switch_to(&self, handbook_id: HandbookId) -> Result<(), TechoError> {
        Ok(self.with(|s| s.switch_to(self.wallet.core(), &handbook_id))?)
    }

    /// How many signatures this session asked for (each may be a biometric prompt).
    pub fn signing_attempts(&self) -> u32 {
        self.with(|s| s.signing_attempts())
    }
}
