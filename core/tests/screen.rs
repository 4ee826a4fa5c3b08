//! Counter-screen snapshots for every kind × linkage state × language, and its rules.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use techo_core::Lang;
use techo_core::model::{HandbookId, LinkageState};
use techo_core::screen::{self, Emphasis, ItemKey, Options};

fn states() -> [(&'static str, LinkageState); 3] {
    let at = common::at("2026-11-20T01:00:00Z");
    [
        ("unlinked", LinkageState::Unlinked),
        (
            "pending",
            LinkageState::Pending {
                since: at,
                reason: "portal_closed:outside_hours".into(),
                next_try: Some(at),
                session: "s".into(),
            },
        ),
        (
            "linked",
            LinkageState::Linked {
                consent_until: None,
                since: at,
                session: "s".into(),
                valid_until: NaiveDate::from_ymd_opt(2026, 12, 10),
            },
        ),
    ]
}

#[test]
fn snapshots_every_kind_state_and_language() {
    let now = common::at("2026-11-25T13:30:05Z");
    for (prefix, name) in [
        ("01-", "physical"),
        ("04-", "mental-expired"),
        ("06-", "intellectual"),
    ] {
        for (state_name, state) in states() {
            for (lang, lang_name) in [(Lang::Ja, "ja"), (Lang::En, "en")] {
                let mut hb = common::fixture_handbook(prefix, now);
                hb.id = HandbookId::from_string(format!("hb-{name}"));
                hb.linkage = state.clone();
                let s = screen::build(
                    &hb,
                    &[],
                    1,
                    now,
                    Options {
                        lang,
                        ..Options::default()
                    },
                );
                insta::assert_json_snapshot!(format!("{name}-{state_name}-{lang_name}"), s);
            }
        }
    }
}

#[test]
fn staff_check_order_and_call_outs() {
    let now = common::at("2026-11-25T13:30:05Z");
    let hb = common::fixture_handbook("04-", now);
    let s = screen::build(&hb, &[], 1, now, Options::default());
    let keys: Vec<ItemKey> = s.items.iter().map(|i| i.key).collect();
    assert_eq!(
        keys[..3],
        [ItemKey::Kind, ItemKey::FareClass, ItemKey::Linkage]
    );
    let validity = s.items.iter().find(|i| i.key == ItemKey::Validity).unwrap();
    assert_eq!(validity.emphasis, Emphasis::Alert);
    assert!(validity.value.contains("期限切れ"));
    let linkage = s.items.iter().find(|i| i.key == ItemKey::Linkage).unwrap();
    assert_eq!(
        (linkage.emphasis, linkage.value.as_str()),
        (Emphasis::Alert, "未連携（本人申告）")
    );
    assert!(s.items.iter().all(|i| !i.spoken.is_empty()));
    assert_eq!(
        s.live.character_frame, None,
        "not linked: the character stands still"
    );
}

#[test]
fn banner_switcher_enlarged_photo_and_text_size() {
    let dir = tempfile::tempdir().unwrap();
    let w = common::wallet(dir.path());
    for p in ["01-", "03-", "06-"] {
        let (d, ph) = common::fixture(p);
        w.add(&d, ph.as_deref()).unwrap();
    }
    let o = Options {
        photo_enlarged: true,
        text_scale: 3.0,
        ..Options::default()
    };
    let s = w.counter_screen(o, 2).unwrap().unwrap();
    assert!(s.update_banner.unwrap().contains("最新版"));
    assert_eq!(s.switch_to.len(), 2);
    assert!(s.photo_enlarged);
    assert!(
        (s.sizes.item_pt - 44.0).abs() < 1e-9,
        "text scale is capped at 2.0"
    );
    // Switching is one call, and the screen follows it.
    w.select_for_counter(&s.switch_to[0].0).unwrap();
    let after = w.counter_screen(Options::default(), 1).unwrap().unwrap();
    assert_eq!(after.handbook_id, s.switch_to[0].0);
    assert!(after.update_banner.is_none());
}
