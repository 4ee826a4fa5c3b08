//! Signed data a verifier downloads or saves: the trust list, a status list, a status delta, a
//! saved verifier bundle, a directory update.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use techo_core::token::{DevIssuer, TrustList};

fn setup() -> &'static (DevIssuer, TrustList) {
    static S: OnceLock<(DevIssuer, TrustList)> = OnceLock::new();
    S.get_or_init(|| {
        let issuer = DevIssuer::generate();
        let trust = issuer.trust_list(chrono::DateTime::UNIX_EPOCH);
        (issuer, trust)
    })
}

fuzz_target!(|data: &[u8]| {
    let (issuer, trust) = setup();
    let _ = TrustList::from_signed(data, &issuer.root_public(), None);
    let _ = techo_core::token::StatusList::from_signed(data, trust);
    let _ = techo_core::token::StatusDelta::from_signed(data, trust);
    if let Ok(bundle) = techo_core::token::VerifierBundle::from_bytes(data) {
        let _ = bundle.open();
    }
    let _ = techo_core::directory::DirectoryUpdate::open(data, trust);
});
