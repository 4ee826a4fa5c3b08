//! One flipped byte in the wallet's database file (hardening round 2, item 9: it made the whole
//! wallet unreadable, or silently dropped a handbook). Every handbook and photo comes back from
//! the store's second copy, the damaged database is kept aside, and a flipped byte in the copy
//! is repaired from the database.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use techo_core::Wallet;

/// A wallet with two handbooks and their photos; returns what a reader should see.
fn two_handbooks(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let w = common::wallet(dir);
    for prefix in ["01-", "02-"] {
        let (draft, photo) = common::fixture(prefix);
        w.add(&draft, photo.as_deref()).unwrap();
    }
    seen(&w)
}

fn seen(w: &Wallet) -> Vec<(String, Option<Vec<u8>>)> {
    let mut out: Vec<_> = w
        .list()
        .unwrap()
        .into_iter()
        .map(|h| {
            let photo = w.photo(&h.id).unwrap();
            (serde_json::to_string(&h).unwrap(), photo)
        })
        .collect();
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn flip(file: &Path, offset: usize) {
    let mut bytes = std::fs::read(file).unwrap();
    if let Some(b) = bytes.get_mut(offset) {
        *b ^= 0x01;
    }
    std::fs::write(file, bytes).unwrap();
}

/// The database's files that hold data (the log and its snapshot and config).
fn database_files(store: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(store)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn a_flipped_byte_anywhere_in_the_database_loses_no_handbook() {
    let original = tempfile::tempdir().unwrap();
    let expected = two_handbooks(original.path());
    let mut trials = 0;
    for file in database_files(&original.path().join("store")) {
        let name = file.file_name().unwrap().to_owned();
        // Where the log holds data (the rest of the file is preallocated zeros).
        let len = std::fs::read(&file).unwrap().len();
        let span = len.min(48 * 1024);
        let step = (span / 40).max(1);
        for offset in (0..span).step_by(step) {
            let trial = tempfile::tempdir().unwrap();
            copy_dir(original.path(), trial.path());
            flip(&trial.path().join("store").join(&name), offset);
            let w = common::wallet(trial.path());
            assert_eq!(
                seen(&w),
                expected,
                "{} byte {offset}: a handbook or photo changed",
                name.to_string_lossy()
            );
            trials += 1;
        }
    }
    assert!(trials > 40, "{trials} trials");
}

#[test]
fn an_unopenable_database_is_rebuilt_from_the_copy_and_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let expected = two_handbooks(dir.path());
    // The database replaced by garbage: nothing of it opens.
    let store = dir.path().join("store");
    for file in database_files(&store) {
        std::fs::write(&file, vec![0xA5; 4096]).unwrap();
    }
    let w = common::wallet(dir.path());
    assert_eq!(seen(&w), expected);
    let recovery = w.store_recovery().expect("reported");
    assert_eq!(
        recovery.restored, 5,
        "two handbooks, two photos, the counter choice"
    );
    assert!(recovery.lost.is_empty());
    let kept = recovery.damaged_kept_at.unwrap();
    assert!(kept.exists(), "the damaged database is kept, not deleted");
    drop(w);
    // Opened again: healthy, nothing more to report.
    let w = common::wallet(dir.path());
    assert!(w.store_recovery().is_none());
    assert!(w.check().unwrap().is_healthy());
    assert_eq!(seen(&w), expected);
}

#[test]
fn a_flipped_byte_in_the_copy_is_repaired_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let expected = two_handbooks(dir.path());
    let copy = dir.path().join("store.copy");
    for e in std::fs::read_dir(&copy).unwrap() {
        flip(&e.unwrap().path(), 20);
    }
    let w = common::wallet(dir.path());
    assert_eq!(seen(&w), expected);
    assert!(w.check().unwrap().is_healthy());
    drop(w);
    // With the copy damaged everywhere, the database alone still opens; then the database
    // fails too, and the copy (repaired at the last open) brings everything back.
    let w = common::wallet(dir.path());
    drop(w);
    for file in database_files(&dir.path().join("store")) {
        std::fs::write(&file, vec![0x5A; 4096]).unwrap();
    }
    let w = common::wallet(dir.path());
    assert_eq!(seen(&w), expected);
}
