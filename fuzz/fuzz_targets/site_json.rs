//! JSON from servers and sites: linkage status, portal answers, a booking site's request (with
//! the phone's checks run on it) and a phone's answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use techo_core::portal::dto::{LinkageStatus, PortalRecord, TokenResponse};
use techo_core::site::{SiteRequest, SiteResponse, Url};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<LinkageStatus>(data);
    let _ = serde_json::from_slice::<TokenResponse>(data);
    let _ = serde_json::from_slice::<Vec<PortalRecord>>(data);
    let _ = serde_json::from_slice::<SiteResponse>(data);
    if let Ok(r) = serde_json::from_slice::<SiteRequest>(data) {
        if let Ok(served) = Url::parse("https://127.0.0.1:9443/techo/requests/x") {
            let _ = r.check(&served, chrono::DateTime::UNIX_EPOCH);
        }
        let _ = r.order.as_ref().map(|o| o.check("127.0.0.1:9443"));
    }
});
