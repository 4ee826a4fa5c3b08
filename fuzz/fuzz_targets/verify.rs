//! Feeds arbitrary bytes to the verifier (prefix, Base45, CBOR, COSE, claims, status).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use techo_core::token::sample::Sample;
use techo_core::token::{Policy, verify};

static SAMPLE: OnceLock<Sample> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let s = SAMPLE.get_or_init(Sample::new);
    let _ = verify(data, &s.trust, &s.status, s.now, &Policy::default());
    // Also from a valid prefix, so the fuzzer reaches the CBOR decoder quickly.
    let mut prefixed = b"TK1".to_vec();
    prefixed.extend_from_slice(data);
    let _ = verify(&prefixed, &s.trust, &s.status, s.now, &Policy::default());
});
