//! The wallet facade over a real encrypted store on a temp dir.

mod common;

use chrono::NaiveDate;
use common::{fixture, fixtures, wallet};
use techo_core::model::{FareClass, Field, HandbookId, HandbookKind, LinkageState, Problem};
use techo_core::store::StoreError;
use techo_core::token::DevIssuer;
use techo_core::{Wallet, WalletError};

#[test]
fn fixtures_cover_the_domain() {
    let all = fixtures();
    assert!(all.len() >= 8);
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path());
    for (name, draft, photo) in &all {
        w.add(draft, photo.as_deref())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let list = w.list().unwrap();
    for kind in HandbookKind::ALL {
        assert!(list.iter().any(|h| h.kind() == kind), "{kind:?}");
    }
    assert!(list.iter().any(|h| h.fare_class == FareClass::First));
    assert!(list.iter().any(|h| h.fare_class == FareClass::Second));
    let today = w.today();
    assert!(
        list.iter()
            .any(|h| h.kind() == HandbookKind::Mental && !h.is_valid_on(today))
    );
    let prefectures: std::collections::BTreeSet<u8> = list
        .iter()
        .filter(|h| h.kind() == HandbookKind::Intellectual)
        .map(|h| h.municipality.code.prefecture())
        .collect();
    assert!(prefectures.len() >= 4, "{prefectures:?}");
    assert!(list.iter().all(|h| h.photo.is_some()));
}

fn taken_in(photo: &[u8]) -> Vec<u8> {
    techo_core::model::PhotoInfo::clean(photo)
        .expect("the fixture photo is taken in")
        .1
}

#[test]
fn add_get_photo_withdraw_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (draft, photo) = fixture("01-");
    let id = {
        let w = wallet(dir.path());
        let hb = w.add(&draft, photo.as_deref()).unwrap();
        assert_eq!(hb.linkage, LinkageState::Unlinked);
        hb.id
    };
    let w = wallet(dir.path());
    let hb = w.get(&id).unwrap();
    assert_eq!(hb.id, id);
    // Stored as taken in: decoded and encoded again.
    assert_eq!(w.photo(&id).unwrap(), photo.as_deref().map(taken_in));
    assert_eq!(w.counter_handbook().unwrap().unwrap().id, id);
    w.withdraw(&id).unwrap();
    assert!(matches!(w.get(&id), Err(WalletError::NotFound(_))));
    // Ids are exact: a prefix is the CLI's business.
    let prefix = HandbookId::from_string(id.as_str()[..6].to_owned());
    assert!(matches!(w.get(&prefix), Err(WalletError::NotFound(_))));
    assert!(w.counter_handbook().unwrap().is_none());
    assert!(w.list().unwrap().is_empty());
}

#[test]
fn the_same_paper_handbook_is_not_registered_twice() {
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path());
    let (draft, photo) = fixture("02-");
    let first = w.add(&draft, photo.as_deref()).unwrap();
    let err = w.add(&draft, None).unwrap_err();
    assert!(matches!(err, WalletError::Duplicate { ref existing } if *existing == first.id));
    assert_eq!(w.list().unwrap().len(), 1);
}

#[test]
fn counter_selection_and_withdrawal_move_together() {
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path());
    let ids: Vec<_> = ["01-", "03-", "06-"]
        .iter()
        .map(|p| {
            let (d, ph) = fixture(p);
            w.add(&d, ph.as_deref()).unwrap().id
        })
        .collect();
    assert_eq!(w.counter_handbook().unwrap().unwrap().id, ids[0]);
    w.select_for_counter(&ids[2]).unwrap();
    assert_eq!(w.counter_handbook().unwrap().unwrap().id, ids[2]);
    w.withdraw(&ids[2]).unwrap();
    let next = w.counter_handbook().unwrap().unwrap().id;
    assert_ne!(next, ids[2]);
}

#[test]
fn update_keeps_identity_and_resets_linkage_when_facts_change() {
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path());
    let (mut draft, photo) = fixture("01-");
    let hb = w.add(&draft, photo.as_deref()).unwrap();
    let mut issuer = DevIssuer::generate();
    let linked = w.link_for_development(&hb.id, &mut issuer, 2).unwrap();
    assert!(linked.is_linked());
    let held = w.credentials(&hb.id).unwrap().len();
    let same = w.update(&hb.id, &draft, None).unwrap();
    assert_eq!(same.linkage, linked, "nothing changed, still linked");
    assert_eq!(
        w.credentials(&hb.id).unwrap().len(),
        held,
        "credentials kept"
    );
    assert_eq!(same.photo, hb.photo, "photo kept");
    draft.grade = Some("2級".into());
    let changed = w.update(&hb.id, &draft, None).unwrap();
    assert_eq!(changed.id, hb.id);
    assert_eq!(changed.linkage, LinkageState::Unlinked);
    assert_eq!(w.photo(&hb.id).unwrap(), photo.as_deref().map(taken_in));
    assert!(
        w.credentials(&hb.id).unwrap().is_empty(),
        "credentials for the old facts are gone"
    );
}

#[test]
fn invalid_input_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path());
    let (mut draft, photo) = fixture("03-");
    draft.municipality_code = Some("011003".into());
    let err = w.add(&draft, photo.as_deref()).unwrap_err();
    let WalletError::Invalid(inv) = err else {
        panic!("{err}")
    };
    assert_eq!(
        inv.fields().collect::<Vec<_>>(),
        vec![Field::MunicipalityCode]
    );
    draft.municipality_code = Some("011002".into());
    draft.issued = Some("2027-01-01".into());
    draft.expires = Some("2028-12-31".into());
    let WalletError::Invalid(inv) = w.add(&draft, photo.as_deref()).unwrap_err() else {
        panic!()
    };
    assert!(matches!(inv.0[0].problem, Problem::InFuture { .. }));
    assert!(w.list().unwrap().is_empty());
}

#[test]
fn expiry_reminders_follow_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path());
    let (draft, photo) = fixture("03-");
    let hb = w.add(&draft, photo.as_deref()).unwrap();
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert!(!hb.expires_soon(d("2027-04-30")));
    assert!(hb.expires_soon(d("2027-05-01")));
    assert!(hb.is_valid_on(d("2027-06-30")));
    assert!(!hb.is_valid_on(d("2027-07-01")));
}

#[test]
fn damaged_record_is_reported_exported_around_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = Wallet::store_dir(dir.path());
    let ids: Vec<_> = {
        let w = wallet(dir.path());
        ["01-", "02-"]
            .iter()
            .map(|p| {
                let (d, ph) = fixture(p);
                w.add(&d, ph.as_deref()).unwrap().id
            })
            .collect()
    };
    // Damage one record on disk, as a bad sector or a hostile edit would.
    {
        let db = open_when_released(&store_dir);
        let t = db.open_tree("handbooks").unwrap();
        let mut v = t.get(ids[1].as_str()).unwrap().unwrap().to_vec();
        v[20] ^= 0xFF;
        t.insert(ids[1].as_str(), v).unwrap();
        db.flush().unwrap();
    }
    // And its second copy (one damaged copy alone is served from the other: store_repair.rs).
    let copy = dir.path().join("store.copy").join(techo_core::hex::encode(
        format!("handbooks/{}", ids[1].as_str()).as_bytes(),
    ));
    let mut c = std::fs::read(&copy).unwrap();
    c[20] ^= 0xFF;
    std::fs::write(&copy, c).unwrap();
    let w = wallet(dir.path());
    assert!(matches!(
        w.list(),
        Err(WalletError::Store(StoreError::Corrupt { .. }))
    ));
    let report = w.check().unwrap();
    assert_eq!(report.damaged.len(), 1);
    assert_eq!(report.damaged[0].key, ids[1].as_str());
    let export = w.export().unwrap();
    assert_eq!(export.handbooks.len(), 1);
    assert_eq!(export.handbooks[0].id, ids[0]);
    assert_eq!(export.photos.len(), 1);
    w.drop_damaged(&report.damaged).unwrap();
    assert_eq!(w.list().unwrap().len(), 1);
}

#[test]
fn reset_removes_store_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let keys = techo_core::store::FileKeyProvider::new(Wallet::key_file(dir.path()));
    {
        let w = Wallet::open(dir.path(), &keys, common::clock()).unwrap();
        let (d, ph) = fixture("01-");
        w.add(&d, ph.as_deref()).unwrap();
    }
    assert!(dir.path().join("store.copy").exists());
    Wallet::reset(dir.path()).unwrap();
    assert!(!Wallet::key_file(dir.path()).exists());
    assert!(
        !dir.path().join("store.copy").exists(),
        "the second copy goes too"
    );
    let w = Wallet::open(dir.path(), &keys, common::clock()).unwrap();
    assert!(w.list().unwrap().is_empty());
}

/// sled's I/O threads release a just-dropped store's lock a moment later (the wallet itself
/// waits for it the same way); a loaded CI machine makes that moment longer.
fn open_when_released(path: &std::path::Path) -> sled::Db {
    let start = std::time::Instant::now();
    loop {
        match sled::open(path) {
            Ok(db) => return db,
            Err(e) if start.elapsed() < std::time::Duration::from_secs(5) => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    }
}
