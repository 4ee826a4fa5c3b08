//! A linked wallet's records, and everything the wallet does with them, for the "damaged but
//! authentic record" tests: `core/tests/store_records.rs` (proptest, in CI) and the
//! `store_records` cargo-fuzz target (which includes this file). A record that decrypts but holds
//! bad bytes (a bug in an older version, a half-written migration) must give a typed error.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use techo_core::model::HandbookDraft;
use techo_core::model::HandbookId;
use techo_core::store::{Batch, MemoryStore, Store, Table};
use techo_core::token::{ClaimId, DevIssuer};
use techo_core::{FixedClock, Wallet};

/// One record: table, key, plaintext value.
pub type Record = (Table, String, Vec<u8>);

pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T01:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn wallet_on(store: MemoryStore) -> Wallet {
    Wallet::with_store(Box::new(store), Arc::new(FixedClock::new(now())))
}

/// Every record of a wallet holding a linked 第1種 handbook with its photo, chosen for the
/// counter, with four credentials and their software device keys.
pub fn healthy_records() -> Vec<Record> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/handbooks");
    let toml = std::fs::read_to_string(fixtures.join("01-physical-1-tokyo.toml")).unwrap();
    let draft = HandbookDraft::from_toml(&toml).unwrap();
    let photo = draft
        .photo
        .as_ref()
        .map(|rel| std::fs::read(fixtures.join(rel)).unwrap());
    let store = MemoryStore::new();
    let wallet = wallet_on(store.clone());
    let hb = wallet.add(&draft, photo.as_deref()).unwrap();
    wallet.select_for_counter(&hb.id).unwrap();
    wallet
        .issue_for_development(&hb.id, &mut DevIssuer::generate(), 4)
        .unwrap();
    wallet.present(None, &ClaimId::COUNTER, None).unwrap();
    store
        .records()
        .into_iter()
        .map(|(t, k, v)| (t, k, v.to_vec()))
        .collect()
}

/// A wallet over `records`.
pub fn wallet_with(records: &[Record]) -> Wallet {
    let store = MemoryStore::new();
    store
        .commit(
            records
                .iter()
                .fold(Batch::new(), |b, (t, k, v)| b.put(*t, k.clone(), v.clone())),
        )
        .unwrap();
    wallet_on(store)
}

/// Everything the app does with a wallet, each call's result dropped: none may panic.
pub fn use_everything(wallet: &Wallet) {
    let ids: Vec<HandbookId> = wallet
        .list()
        .map(|l| l.into_iter().map(|h| h.id).collect())
        .unwrap_or_default();
    for id in &ids {
        let _ = wallet.get(id);
        let _ = wallet.photo(id);
        let _ = wallet.credentials(id);
        let _ = wallet.present(Some(id), &ClaimId::COUNTER, None);
        let _ = wallet.present(Some(id), &ClaimId::ALL, None);
        let _ = wallet.coupons(Some(id));
    }
    // The counter handbook is looked up here; presenting it was done above by id.
    let _ = wallet.counter_handbook();
    let _ = wallet.counter_screen(techo_core::screen::Options::default(), 1);
    let _ = wallet.support_profile();
    let _ = wallet.directory();
    let _ = wallet.export();
    if let Ok(report) = wallet.check() {
        let _ = wallet.drop_damaged(&report.damaged);
    }
}
