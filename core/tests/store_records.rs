//! A record that decrypts but holds bad bytes (written by a buggy older version, cut short by a
//! crash inside a migration, or forged by someone holding the data key) never makes the wallet
//! panic: every call returns a typed error or carries on, and `check` names a damaged handbook so
//! the holder can drop it and keep the rest. The cargo-fuzz twin is `fuzz/fuzz_targets/store_records.rs`.
#![allow(clippy::unwrap_used)]

#[path = "common/store_records.rs"]
mod store_records;

use proptest::prelude::*;
use std::sync::OnceLock;
use store_records::{Record, healthy_records, use_everything, wallet_with};
use techo_core::store::Table;

fn healthy() -> &'static [Record] {
    static R: OnceLock<Vec<Record>> = OnceLock::new();
    R.get_or_init(healthy_records)
}

#[derive(Debug, Clone)]
enum Damage {
    FlipByte(usize, u8),
    Truncate(usize),
    Replace(Vec<u8>),
    Splice(usize, String),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Damage::FlipByte(i, x)),
        any::<usize>().prop_map(Damage::Truncate),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Damage::Replace),
        (
            any::<usize>(),
            prop_oneof![
                Just("null".to_owned()),
                Just("\"\"".to_owned()),
                Just("-1".to_owned()),
                Just("[]".to_owned()),
                Just("{}".to_owned()),
                Just("1e999".to_owned()),
                "[a-z0-9\",:{}\\[\\]]{0,12}",
            ]
        )
            .prop_map(|(i, s)| Damage::Splice(i, s)),
    ]
}

fn apply(value: &[u8], damage: &Damage) -> Vec<u8> {
    let at = |i: usize| if value.is_empty() { 0 } else { i % value.len() };
    match damage {
        Damage::FlipByte(i, x) => {
            let mut v = value.to_vec();
            if !v.is_empty() {
                v[at(*i)] ^= x;
            }
            v
        }
        Damage::Truncate(i) => value[..at(*i)].to_vec(),
        Damage::Replace(bytes) => bytes.clone(),
        Damage::Splice(i, text) => {
            let i = at(*i);
            [&value[..i], text.as_bytes(), &value[i..]].concat()
        }
    }
}

#[test]
fn the_healthy_wallet_is_healthy() {
    let wallet = wallet_with(healthy());
    assert!(wallet.check().unwrap().is_healthy());
    assert_eq!(wallet.list().unwrap().len(), 1);
    wallet
        .present(None, &techo_core::token::ClaimId::COUNTER, None)
        .unwrap();
    let tables: Vec<Table> = healthy().iter().map(|(t, _, _)| *t).collect();
    for t in [
        Table::Handbooks,
        Table::Photos,
        Table::Settings,
        Table::Credentials,
        Table::DeviceKeys,
    ] {
        assert!(
            tables.contains(&t),
            "the healthy wallet has no {} record",
            t.name()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_damaged_record_is_an_error_never_a_panic(which in any::<usize>(), damage in damage()) {
        let mut records = healthy().to_vec();
        let i = which % records.len();
        records[i].2 = apply(&records[i].2, &damage);
        let wallet = wallet_with(&records);
        use_everything(&wallet);
        // A handbook that no longer decodes is named by `check`, so it can be dropped.
        let wallet = wallet_with(&records);
        if records[i].0 == Table::Handbooks && wallet.list().is_err() {
            let report = wallet.check().unwrap();
            prop_assert!(report.damaged.iter().any(|d| d.key == records[i].1), "{report:?}");
            wallet.drop_damaged(&report.damaged).unwrap();
            prop_assert!(wallet.list().unwrap().is_empty());
        }
    }
}
