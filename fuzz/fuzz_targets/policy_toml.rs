//! Files people write: operator policies, handbook files, support profiles, site links.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = techo_core::policy::OperatorPolicy::from_toml("fuzz.toml", text);
        let _ = techo_core::model::HandbookDraft::from_toml(text);
        let _ = techo_core::model::SupportProfile::from_toml(text);
        let _ = techo_core::site::parse_link(text);
    }
});
