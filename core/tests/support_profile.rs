//! The support profile and page images in the wallet: round trips, refusals that lose nothing,
//! metadata removed before storage.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fixture, wallet};
use techo_core::WalletError;
use techo_core::model::page_image::{MAX_PAGES, PageImage, sample_jpeg};
use techo_core::model::photo::tiny_png;
use techo_core::model::{BatteryType, PoweredSpec, SupportCode, SupportItem, SupportProfile};

fn every_item() -> SupportProfile {
    let spec = PoweredSpec {
        battery: BatteryType::LithiumIon,
        watt_hours: 300,
        width_cm: 63,
        length_cm: 110,
        height_cm: 95,
        weight_kg: 85,
    };
    SupportProfile {
        items: SupportCode::ALL
            .iter()
            .enumerate()
            .map(|(i, code)| SupportItem {
                code: *code,
                powered: code.is_powered().then_some(spec),
                on_screen: true,
                in_qr: i % 2 == 0,
            })
            .collect(),
        note: Some("左側から話しかけてください / please speak on my left".into()),
    }
}

#[test]
fn every_field_round_trips_through_the_encrypted_store() {
    let dir = tempfile::tempdir().unwrap();
    let profile = every_item();
    {
        let w = wallet(dir.path());
        assert!(w.support_profile().unwrap().is_empty());
        w.set_support_profile(&profile).unwrap();
    }
    let w = wallet(dir.path());
    assert_eq!(w.support_profile().unwrap(), profile);
    // The fixture file reads, too.
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/profiles/powered-chair.toml"),
    )
    .unwrap();
    let file = SupportProfile::from_toml(&text).unwrap();
    assert_eq!(
        file.qr_codes(),
        [SupportCode::ElectricWheelchair, SupportCode::BoardingRamp]
    );
    assert!(
        file.items[0]
            .describe(techo_core::Lang::Ja)
            .contains("300Wh")
    );
    // Clearing removes it.
    w.set_support_profile(&SupportProfile::default()).unwrap();
    assert!(w.support_profile().unwrap().is_empty());
}

#[test]
fn a_bad_profile_is_refused_and_the_stored_one_kept() {
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path());
    let good = every_item();
    w.set_support_profile(&good).unwrap();
    let mut no_spec = good.clone();
    no_spec.items[1].powered = None; // the electric wheelchair
    let err = w.set_support_profile(&no_spec).unwrap_err();
    assert!(matches!(err, WalletError::Support(_)));
    assert!(err.to_string().contains("electric_wheelchair"), "{err}");
    let mut twice = good.clone();
    twice.items.push(twice.items[0].clone());
    assert!(
        w.set_support_profile(&twice)
            .unwrap_err()
            .to_string()
            .contains("twice")
    );
    let mut long = good.clone();
    long.note = Some("あ".repeat(201));
    assert!(w.set_support_profile(&long).is_err());
    let mut hidden_qr = good.clone();
    hidden_qr.items[0].on_screen = false;
    hidden_qr.items[0].in_qr = true;
    assert!(w.set_support_profile(&hidden_qr).is_err());
    for bad in [
        "[[items]]\ncode = \"jetpack\"\n",
        "[[items]]\ncode = \"cane\"\ncolour = \"red\"\n",
        "[[items]]\ncode = \"mobility_scooter\"\n[items.powered]\nbattery = \"lithium_ion\"\nwatt_hours = 0\nwidth_cm = 60\nlength_cm = 120\nheight_cm = 100\nweight_kg = 90\n",
    ] {
        assert!(SupportProfile::from_toml(bad).is_err(), "{bad}");
    }
    assert_eq!(w.support_profile().unwrap(), good, "nothing was lost");
}

#[test]
fn page_images_are_cleaned_stored_enlargeable_and_removed_with_the_handbook() {
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path());
    let (draft, photo) = fixture("01-");
    let hb = w.add(&draft, photo.as_deref()).unwrap();
    let camera = sample_jpeg(1600, 1200);
    assert!(camera.windows(4).any(|x| x == b"Exif"));
    let (hb2, page) = w.add_page(&hb.id, &camera).unwrap();
    // Stored upright: the EXIF orientation (6) is applied to the pixels.
    assert_eq!((page.width, page.height, page.rotation), (1200, 1600, 0));
    assert_eq!(hb2.pages.len(), 1);
    let stored = w.page(&hb.id, 0).unwrap().unwrap();
    assert!(
        !stored.windows(4).any(|x| x == b"Exif"),
        "EXIF removed before storage"
    );
    assert!(!stored.windows(3).any(|x| x == b"GPS"));
    w.add_page(&hb.id, &tiny_png(800, 1100)).unwrap();

    // Not an image, too large: refused with the field named; the pages stay.
    let err = w.add_page(&hb.id, b"%PDF-1.7 ...").unwrap_err();
    assert!(err.to_string().contains("page_image"), "{err}");
    let mut huge = tiny_png(10, 10);
    huge.resize(5 * 1024 * 1024, 0);
    assert!(
        w.add_page(&hb.id, &huge)
            .unwrap_err()
            .to_string()
            .contains("limit")
    );
    assert_eq!(w.get(&hb.id).unwrap().pages.len(), 2);

    // At most six; removing the first moves the second up.
    for _ in 2..MAX_PAGES {
        w.add_page(&hb.id, &tiny_png(10, 10)).unwrap();
    }
    assert!(w.add_page(&hb.id, &tiny_png(10, 10)).is_err());
    let after = w.remove_page(&hb.id, 0).unwrap();
    assert_eq!(after.pages.len(), MAX_PAGES - 1);
    let second = PageImage::clean(&tiny_png(800, 1100)).unwrap().1;
    assert_eq!(w.page(&hb.id, 0).unwrap().unwrap(), second);
    assert_eq!(w.page(&hb.id, MAX_PAGES - 1).unwrap(), None);

    // Withdrawn: pages go with the handbook (nothing left in the store's pages table).
    w.withdraw(&hb.id).unwrap();
    let export = w.export().unwrap();
    assert!(export.handbooks.is_empty());
    let report = w.check().unwrap();
    let pages = report
        .readable
        .iter()
        .find(|(t, _)| *t == "pages")
        .map(|(_, n)| *n);
    assert_eq!(pages, Some(0), "{:?}", report.readable);
}

#[test]
fn the_counter_screen_draws_the_band_apart_and_the_qr_carries_only_the_chosen_codes() {
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path());
    let (draft, photo) = fixture("01-");
    w.add(&draft, photo.as_deref()).unwrap();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/profiles/powered-chair.toml"),
    )
    .unwrap();
    w.set_support_profile(&SupportProfile::from_toml(&text).unwrap())
        .unwrap();
    let options = techo_core::screen::Options::default();
    let screen = w
        .counter_screen(options, techo_core::screen::TOKEN_VERSION)
        .unwrap()
        .unwrap();
    let band = screen.support.unwrap();
    assert_eq!(band.tag, "本人申告");
    assert!(band.heading.contains("本人申告") && band.spoken.contains("本人申告"));
    assert_eq!(band.lines[0].code, "electric_wheelchair");
    assert!(band.lines[0].text.contains("リチウムイオン 300Wh"));
    assert_eq!(band.lines.len(), 4);
    // Neutral colours, not the handbook kind's.
    assert_ne!(band.background, screen.background);
    assert!(
        screen.items.iter().all(|i| !i.value.contains("電動車椅子")),
        "never mixed into the verified items"
    );
}

#[test]
fn the_face_photo_is_stored_without_its_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path());
    let (draft, _) = fixture("01-");
    let camera = sample_jpeg(600, 800);
    assert!(camera.windows(4).any(|x| x == b"Exif"));
    let hb = w.add(&draft, Some(&camera)).unwrap();
    let stored = w.photo(&hb.id).unwrap().unwrap();
    assert!(!stored.windows(4).any(|x| x == b"Exif"), "EXIF removed");
    let info = hb.photo.unwrap();
    assert_eq!((info.width, info.height, info.rotation), (800, 600, 0));
    assert_eq!(info.size, stored.len());
    // A header claiming a million pixels a side is refused before anything is stored.
    let mut huge = sample_jpeg(600, 800);
    let sof = huge.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
    huge[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    let mut other = draft.clone();
    other.number = Some("第99999号".into());
    let err = w.add(&other, Some(&huge)).unwrap_err();
    assert!(err.to_string().contains("photo"), "{err}");
    assert_eq!(w.list().unwrap().len(), 1);
}
