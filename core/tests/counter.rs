//! The counter session against the injected clock: a new code at each 30-second step, no prompt
//! loop after a cancel or a keystore failure, and no 連携済 once nothing can be presented.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::{clock, fixture, keys};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use techo_core::counter::{CounterFrame, CounterSession, QrState};
use techo_core::screen::{Emphasis, ItemKey, Options};
use techo_core::token::{DevIssuer, DeviceKeyError, DeviceKeyStore, PublicKey, SoftwareKey};
use techo_core::{FixedClock, Lang, Wallet};

/// How the scripted keystore answers a signing request.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Sign,
    Cancel,
    Locked,
    Fail,
    Lost,
}

#[derive(Debug)]
struct ScriptedKeystore {
    keys: Mutex<HashMap<String, SoftwareKey>>,
    answer: Mutex<Answer>,
    asked: Mutex<u32>,
}

impl ScriptedKeystore {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            keys: Mutex::default(),
            answer: Mutex::new(Answer::Sign),
            asked: Mutex::new(0),
        })
    }

    fn answer(&self, a: Answer) {
        *self.answer.lock().unwrap() = a;
    }

    fn asked(&self) -> u32 {
        *self.asked.lock().unwrap()
    }
}

impl DeviceKeyStore for ScriptedKeystore {
    fn create(&self, alias: &str) -> Result<PublicKey, DeviceKeyError> {
        let k = SoftwareKey::generate();
        let p = k.public();
        self.keys.lock().unwrap().insert(alias.into(), k);
        Ok(p)
    }

    fn sign(&self, alias: &str, msg: &[u8]) -> Result<Vec<u8>, DeviceKeyError> {
        *self.asked.lock().unwrap() += 1;
        match self.answer.lock().unwrap().clone() {
            Answer::Sign => Ok(self.keys.lock().unwrap()[alias].sign_bytes(msg)),
            Answer::Cancel => Err(DeviceKeyError::UserCancelled),
            Answer::Locked => Err(DeviceKeyError::NotUnlocked),
            Answer::Fail => Err(DeviceKeyError::Hardware("StrongBox busy".into())),
            Answer::Lost => Err(DeviceKeyError::KeyLost),
        }
    }

    fn delete(&self, alias: &str) -> Result<(), DeviceKeyError> {
        self.keys.lock().unwrap().remove(alias);
        Ok(())
    }
}

struct Counter {
    _dir: tempfile::TempDir,
    clock: Arc<FixedClock>,
    keystore: Arc<ScriptedKeystore>,
    wallet: Wallet,
    session: CounterSession,
}

/// A wallet with fixture 01, linked through the development issuer when `linked`.
fn counter(linked: bool) -> Counter {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let keystore = ScriptedKeystore::new();
    let wallet = Wallet::open(dir.path(), &keys(), clock.clone())
        .unwrap()
        .with_device_keystore(keystore.clone());
    let (draft, photo) = fixture("01-");
    let hb = wallet.add(&draft, photo.as_deref()).unwrap();
    if linked {
        wallet
            .link_for_development(&hb.id, &mut DevIssuer::generate(), 4)
            .unwrap();
    }
    let options = Options {
        lang: Lang::Ja,
        ..Options::default()
    };
    Counter {
        _dir: dir,
        clock,
        keystore,
        wallet,
        session: CounterSession::new(options, 1),
    }
}

impl Counter {
    fn frame(&mut self) -> CounterFrame {
        self.session.frame(&self.wallet).unwrap().unwrap()
    }

    /// Frames every 100 ms for `seconds`, as a shell redraws; returns the last one.
    fn run_for(&mut self, seconds: i64) -> CounterFrame {
        let mut last = self.frame();
        for _ in 0..seconds * 10 {
            self.clock.advance(Duration::milliseconds(100));
            last = self.frame();
        }
        last
    }
}

fn code(f: &CounterFrame) -> Vec<u8> {
    match &f.qr {
        QrState::Code(c) => c.payload.binary(),
        other => panic!("expected a code, got {other:?}"),
    }
}

fn linkage_item(f: &CounterFrame) -> (String, Emphasis) {
    let item = f
        .screen
        .items
        .iter()
        .find(|i| i.key == ItemKey::Linkage)
        .unwrap();
    (item.value.clone(), item.emphasis)
}

#[test]
fn a_new_code_at_each_step_and_none_in_between() {
    let mut c = counter(true);
    let first = c.frame();
    let shown = code(&first);
    assert!(first.message.is_none());
    assert!(linkage_item(&first).0.starts_with("連携済"));
    assert!(first.screen.live.character_frame.is_some());
    assert!(
        first.next_frame_ms <= 100,
        "animated: {}",
        first.next_frame_ms
    );
    // The clock is at a step boundary: the next code is due in 30 s.
    let same = c.run_for(29);
    assert_eq!(code(&same), shown, "the same code within one step");
    assert_eq!(c.keystore.asked(), 1);
    c.clock.advance(Duration::seconds(1));
    let next = c.frame();
    assert_ne!(code(&next), shown, "a new code at the step boundary");
    assert_eq!(c.keystore.asked(), 2);
    // Two minutes at the counter: one signature per step.
    c.run_for(120);
    assert_eq!(c.keystore.asked(), 6);
}

#[test]
fn a_cancelled_prompt_is_not_asked_again_until_the_holder_taps() {
    let mut c = counter(true);
    c.keystore.answer(Answer::Cancel);
    let f = c.run_for(60);
    assert_eq!(f.qr, QrState::Cancelled);
    assert_eq!(f.message.as_deref(), Some("タップしてコードを表示"));
    assert_eq!(
        c.keystore.asked(),
        1,
        "a minute of frames after a cancel asks once, not at every frame"
    );
    assert!(linkage_item(&f).0.starts_with("連携済"), "still linked");
    // The holder taps: one more prompt, and this time it signs.
    c.keystore.answer(Answer::Sign);
    c.session.retry();
    code(&c.frame());
    assert_eq!(c.keystore.asked(), 2);
    assert_eq!(c.session.signing_attempts(), 2);
}

#[test]
fn a_failing_keystore_is_asked_a_handful_of_times_a_minute() {
    let mut c = counter(true);
    c.keystore.answer(Answer::Fail);
    let f = c.run_for(60);
    let QrState::Failed { retry_in_ms, .. } = &f.qr else {
        panic!("{:?}", f.qr)
    };
    assert!(*retry_in_ms <= 60_000);
    assert!(f.next_frame_ms <= 30_000);
    let asked = c.keystore.asked();
    assert!(
        (4..=6).contains(&asked),
        "2, 4, 8, 16 and 32 s apart: {asked} tries in a minute"
    );
    // It recovers on its own once the keystore does.
    c.keystore.answer(Answer::Sign);
    let f = c.run_for(61);
    code(&f);
}

#[test]
fn a_lapsed_unlock_waits_for_the_app_lock() {
    let mut c = counter(true);
    c.keystore.answer(Answer::Locked);
    let f = c.run_for(90);
    assert_eq!(f.qr, QrState::UnlockNeeded);
    assert_eq!(c.keystore.asked(), 1, "no signing while the lock is shown");
    c.keystore.answer(Answer::Sign);
    c.session.unlocked();
    code(&c.frame());
    assert_eq!(c.keystore.asked(), 2);
}

#[test]
fn expired_credentials_are_not_shown_as_linked() {
    let mut c = counter(true);
    code(&c.frame());
    // Three weeks later every credential has expired.
    c.clock.advance(Duration::days(30));
    let f = c.frame();
    let QrState::RanOut { until } = f.qr else {
        panic!("{:?}", f.qr)
    };
    assert!(until < c.wallet.today());
    let (value, emphasis) = linkage_item(&f);
    assert_eq!(value, "証明書の期限切れ");
    assert_eq!(emphasis, Emphasis::Alert);
    assert!(!value.contains("連携済"));
    assert_eq!(
        f.screen.live.character_frame, None,
        "the character stands still"
    );
    assert!(f.message.unwrap().contains("連携し直して"));
}

#[test]
fn a_lost_key_needs_the_card_again() {
    let mut c = counter(true);
    c.keystore.answer(Answer::Lost);
    let f = c.frame();
    assert!(matches!(f.qr, QrState::NeedsCard { .. }), "{:?}", f.qr);
    assert_eq!(linkage_item(&f).0, "要再連携");
    // Checked again at the next step only.
    c.run_for(29);
    assert_eq!(c.keystore.asked(), 1);
}

#[test]
fn an_unlinked_handbook_shows_the_screen_without_asking_the_keystore() {
    let mut c = counter(false);
    let f = c.run_for(60);
    assert_eq!(f.qr, QrState::NotLinked);
    assert!(linkage_item(&f).0.starts_with("未連携"));
    assert_eq!(
        f.next_frame_ms, 1_000,
        "a still screen: the clock once a second"
    );
    assert_eq!(c.keystore.asked(), 0);
    assert_eq!(c.session.signing_attempts(), 0);
}

#[test]
fn switching_handbooks_presents_the_other_one_at_once() {
    let mut c = counter(true);
    code(&c.frame());
    let (draft, photo) = fixture("03-");
    let other = c.wallet.add(&draft, photo.as_deref()).unwrap();
    c.session.switch_to(&c.wallet, &other.id).unwrap();
    let f = c.frame();
    assert_eq!(f.screen.handbook_id, other.id);
    assert_eq!(f.qr, QrState::NotLinked);
}

/// The museum in the offline directory with one coupon (withdrawn when `withdrawn`).
fn museum_with_coupon(wallet: &Wallet, withdrawn: bool) {
    use techo_core::directory::{Directory, DirectoryEntry, coupon::Coupon};
    let mut dir = Directory {
        version: 1,
        ..Directory::default()
    };
    dir.entries.insert(
        "example-museum".into(),
        DirectoryEntry {
            policy_toml: include_str!("../../fixtures/policies/museum-all-kinds.toml").into(),
            coupons: vec![Coupon {
                id: "winter-2026".into(),
                title_ja: "冬の特別展 無料".into(),
                title_en: "Winter exhibition free".into(),
                terms_ja: "1回限り".into(),
                terms_en: "Once only".into(),
                valid_from: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                valid_until: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                kinds: vec![],
                per_holder: 1,
                withdrawn,
            }],
        },
    );
    wallet.set_directory(&dir).unwrap();
}

#[test]
fn a_chosen_coupon_rides_in_the_code_and_a_withdrawn_one_is_said_without_retrying() {
    let mut c = counter(true);
    museum_with_coupon(&c.wallet, false);
    let plain = code(&c.frame());
    c.session
        .set_coupon(Some(("example-museum".into(), "winter-2026".into())));
    let f = c.frame();
    assert_ne!(code(&f), plain, "a new code carries the coupon at once");
    assert_eq!(
        f.screen.coupon.as_deref(),
        Some("クーポン：冬の特別展 無料 ／ 例示美術館")
    );

    // Withdrawn by the operator since: the screen says so and waits for the holder.
    museum_with_coupon(&c.wallet, true);
    c.session.set_coupon(None);
    c.frame();
    c.session
        .set_coupon(Some(("example-museum".into(), "winter-2026".into())));
    let asked = c.keystore.asked();
    let f = c.run_for(70);
    match &f.qr {
        QrState::Failed { message, .. } => assert!(message.contains("取り下げ"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.keystore.asked(),
        asked,
        "nothing signed for a withdrawn coupon"
    );
}
