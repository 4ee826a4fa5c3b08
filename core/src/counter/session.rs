//! The counter session: one per counter screen shown. It decides when to sign a new code (at
//! each 30-second step, on another handbook, after an unlock or a tap, after a back-off) and
//! never asks the keystore in a loop.

use super::backoff::Backoff;
use super::frame::{CounterFrame, QrState, mark_not_presentable};
use crate::model::{Handbook, HandbookId};
use crate::screen::Options;
use crate::token::time::{STEP_SECONDS, step_of, step_start};
use crate::token::{ClaimId, DeviceKeyError, PresentError};
use crate::wallet::{Wallet, WalletError};
use chrono::{DateTime, Utc};

/// How often an animated screen is redrawn (the glow and the character); a still screen only
/// needs its clock redrawn once a second.
pub const ANIMATION_FRAME_MS: u32 = 100;
const STILL_FRAME_MS: u32 = 1_000;

/// What the session waits for before it signs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// The next step (or another handbook).
    NextStep,
    /// The shell's report that the holder unlocked.
    Unlock,
    /// The holder's tap.
    Tap,
    /// The back-off after a failure.
    Backoff,
}

/// What was decided for one handbook at one step.
#[derive(Debug, Clone)]
struct Shown {
    handbook: HandbookId,
    linkage: crate::model::LinkageState,
    step: u64,
    state: QrState,
    wait: Wait,
}

#[derive(Debug, Clone)]
pub struct CounterSession {
    options: Options,
    /// From the cached trust list: newer than this app's tokens → "update the app".
    min_token_version: u32,
    shown: Option<Shown>,
    backoff: Backoff,
    /// How many times the keystore was asked to sign (for tests and the bench).
    signing_attempts: u32,
    /// The operator's coupon the holder chose to present: (operator id, coupon id).
    coupon: Option<(String, String)>,
}

impl CounterSession {
    pub fn new(options: Options, min_token_version: u32) -> Self {
        Self {
            options,
            min_token_version,
            shown: None,
            backoff: Backoff::default(),
            signing_attempts: 0,
            coupon: None,
        }
    }

    pub fn options(&self) -> Options {
        self.options
    }

    /// New screen options (language, text size, reduced motion, photo enlarged). The code stays.
    pub fn set_options(&mut self, options: Options) {
        self.options = options;
    }

    /// The holder passed the app lock: the next frame signs at once.
    pub fn unlocked(&mut self) {
        self.wake(Wait::Unlock);
    }

    /// The holder tapped to show the code after cancelling a prompt, or to try again now after a
    /// failure: the next frame signs at once.
    pub fn retry(&mut self) {
        self.wake(Wait::Tap);
        self.wake(Wait::Backoff);
    }

    /// Shows another handbook (one tap at the counter).
    pub fn switch_to(&mut self, wallet: &Wallet, id: &HandbookId) -> Result<(), WalletError> {
        wallet.select_for_counter(id)?;
        self.shown = None;
        self.backoff.reset();
        Ok(())
    }

    /// Presents `operator`'s coupon `coupon` in the code from the next frame on (`None`: the
    /// plain counter code again). The coupon is checked (withdrawn, dates, handbook kind) when
    /// the code is made; a coupon that cannot be used shows why instead of a code.
    pub fn set_coupon(&mut self, coupon: Option<(String, String)>) {
        if self.coupon != coupon {
            self.coupon = coupon;
            self.shown = None;
            self.backoff.reset();
        }
    }

    /// How many times this session asked for a signature (each may be a biometric prompt).
    pub fn signing_attempts(&self) -> u32 {
        self.signing_attempts
    }

    fn wake(&mut self, from: Wait) {
        if let Some(shown) = &mut self.shown {
            if shown.wait == from {
                // Signs on the next frame: a step that cannot match the clock's.
                shown.step = u64::MAX;
                shown.wait = Wait::NextStep;
                self.backoff.reset();
            }
        }
    }

    /// The frame to draw now (`None`: no handbook registered yet). Signs a new code when one is
    /// due; otherwise only reads.
    pub fn frame(&mut self, wallet: &Wallet) -> Result<Option<CounterFrame>, WalletError> {
        let now = wallet.now();
        let Some(mut screen) = wallet.counter_screen(self.options, self.min_token_version)? else {
            self.shown = None;
            return Ok(None);
        };
        let hb = wallet.get(&screen.handbook_id)?;
        let step = step_of(now);
        if self.due(&hb, step, now) {
            let (state, wait) = self.present(wallet, &hb, now);
            self.shown = Some(Shown {
                handbook: hb.id.clone(),
                linkage: hb.linkage.clone(),
                step,
                state,
                wait,
            });
        }
        let Some(shown) = &mut self.shown else {
            return Ok(None);
        };
        if let QrState::Failed { retry_in_ms, .. } = &mut shown.state {
            *retry_in_ms = self.backoff.wait_ms(now);
        }
        let lang = self.options.lang;
        screen.coupon = self
            .coupon
            .as_ref()
            .and_then(|(op, id)| coupon_band(wallet, op, id, lang));
        if hb.linkage.is_linked() && !shown.state.keeps_linked() {
            mark_not_presentable(&mut screen, &shown.state, lang);
        }
        let animated = screen.live.character_frame.is_some() && !self.options.reduced_motion;
        let mut next = if animated {
            ANIMATION_FRAME_MS
        } else {
            STILL_FRAME_MS
        };
        next = next.min(ms_to_next_step(now, step));
        if shown.wait == Wait::Backoff {
            next = next.min(self.backoff.wait_ms(now).max(1));
        }
        Ok(Some(CounterFrame {
            message: shown.state.message(lang),
            qr: shown.state.clone(),
            screen,
            next_frame_ms: next.max(1),
        }))
    }

    /// Whether a new code is due for `hb` at `step`.
    fn due(&self, hb: &Handbook, step: u64, now: DateTime<Utc>) -> bool {
        let Some(shown) = &self.shown else {
            return true;
        };
        if shown.handbook != hb.id || shown.linkage != hb.linkage {
            return true;
        }
        match shown.wait {
            Wait::NextStep => shown.step != step,
            Wait::Unlock | Wait::Tap => false,
            Wait::Backoff => self.backoff.ready(now),
        }
    }

    /// Signs a counter code for `hb` and decides what to wait for next.
    fn present(&mut self, wallet: &Wallet, hb: &Handbook, now: DateTime<Utc>) -> (QrState, Wait) {
        let has_usable = wallet
            .credentials(&hb.id)
            .is_ok_and(|c| c.iter().any(|c| c.is_current(wallet.today())));
        if has_usable {
            self.signing_attempts += 1;
        }
        let lang = self.options.lang;
        let made = match &self.coupon {
            Some((operator, coupon)) => wallet
                .present_coupon_code(Some(&hb.id), operator, coupon)
                .map(|(_, code)| code),
            None => wallet
                .present_code(Some(&hb.id), &ClaimId::COUNTER, None)
                .map(|(_, code)| code),
        };
        match made {
            Ok(code) => {
                self.backoff.reset();
                (QrState::Code(code), Wait::NextStep)
            }
            Err(WalletError::NoCredential(_)) => (no_credential(wallet, hb, lang), Wait::NextStep),
            // The coupon cannot be used (withdrawn, ended, not for this handbook): said, and
            // nothing is tried again until the holder picks the plain code or another coupon.
            Err(WalletError::Coupon(e)) => (
                QrState::Failed {
                    message: lang.part_of(&e.to_string()),
                    retry_in_ms: 0,
                },
                Wait::Tap,
            ),
            Err(WalletError::Present(PresentError::DeviceKey(e))) => match e {
                DeviceKeyError::NotUnlocked => (QrState::UnlockNeeded, Wait::Unlock),
                DeviceKeyError::UserCancelled => (QrState::Cancelled, Wait::Tap),
                DeviceKeyError::KeyLost => (
                    QrState::NeedsCard {
                        why: lang
                            .pick("この端末の鍵がありません", "this phone's key is gone")
                            .to_owned(),
                    },
                    Wait::NextStep,
                ),
                DeviceKeyError::Hardware(_) => self.failed(lang.part_of(&e.to_string()), now),
            },
            Err(WalletError::Present(e)) => (
                QrState::NeedsCard {
                    why: lang.part_of(&e.to_string()),
                },
                Wait::NextStep,
            ),
            Err(e) => self.failed(lang.part_of(&e.to_string()), now),
        }
    }

    fn failed(&mut self, message: String, now: DateTime<Utc>) -> (QrState, Wait) {
        self.backoff.failed(now);
        (
            QrState::Failed {
                message,
                retry_in_ms: self.backoff.wait_ms(now),
            },
            Wait::Backoff,
        )
    }
}

/// No current credential: expired ones on a linked handbook ran out; otherwise there is nothing
/// to show until it is linked (or linked again).
fn no_credential(wallet: &Wallet, hb: &Handbook, lang: crate::Lang) -> QrState {
    let held = wallet.credentials(&hb.id).unwrap_or_default();
    match held.iter().map(|c| c.not_after).max() {
        Some(until) if hb.linkage.is_linked() && until < wallet.today() => {
            QrState::RanOut { until }
        }
        _ if hb.linkage.is_linked() => QrState::NeedsCard {
            why: lang
                .pick("使える証明書がありません", "no usable credential")
                .to_owned(),
        },
        _ => QrState::NotLinked,
    }
}

fn ms_to_next_step(now: DateTime<Utc>, step: u64) -> u32 {
    let end = step_start(step) + chrono::Duration::seconds(STEP_SECONDS);
    u32::try_from((end - now).num_milliseconds().max(1)).unwrap_or(u32::MAX)
}

/// "クーポン：… ／ 事業者", as the counter shows the coupon carried in the code.
fn coupon_band(wallet: &Wallet, operator: &str, id: &str, lang: crate::Lang) -> Option<String> {
    let dir = wallet.directory().ok()?;
    let coupon = dir.coupon(operator, id)?;
    Some(format!(
        "{}{} ／ {}",
        lang.pick("クーポン：", "Coupon: "),
        coupon.title(lang),
        dir.operator_name(operator, lang)
    ))
}
