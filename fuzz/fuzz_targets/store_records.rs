//! A record that decrypts but holds arbitrary bytes, in front of everything the wallet does with
//! its store. The first two bytes choose the record and whether the rest replaces it or is
//! spliced into it. The proptest twin is `core/tests/store_records.rs`.
#![no_main]

#[path = "../../core/tests/common/store_records.rs"]
mod store_records;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use store_records::{Record, healthy_records, use_everything, wallet_with};

fn healthy() -> &'static [Record] {
    static R: OnceLock<Vec<Record>> = OnceLock::new();
    R.get_or_init(healthy_records)
}

fuzz_target!(|data: &[u8]| {
    let [which, how, rest @ ..] = data else {
        return;
    };
    let mut records = healthy().to_vec();
    let i = usize::from(*which) % records.len();
    let value = &records[i].2;
    records[i].2 = if how % 2 == 0 {
        rest.to_vec()
    } else {
        let at = usize::from(how / 2) * value.len() / 128;
        [&value[..at.min(value.len())], rest].concat()
    };
    use_everything(&wallet_with(&records));
});
