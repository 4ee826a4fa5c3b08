//! Every parser that takes bytes from outside (a scanned code, a server's answer, a site's
//! request, a policy or handbook file, a support profile, a directory update) returns an error
//! for arbitrary input and never panics. Fuzz targets for the same parsers are in `fuzz/`
//! (`bash scripts/fuzz-smoke`).
#![allow(clippy::unwrap_used)]

mod common;

use proptest::prelude::*;
use techo_core::directory::DirectoryUpdate;
use techo_core::model::{HandbookDraft, SupportProfile};
use techo_core::policy::OperatorPolicy;
use techo_core::portal::dto::{LinkageStatus, PortalRecord, StartLinkage, TokenResponse};
use techo_core::site::{SiteRequest, SiteResponse, Url};
use techo_core::token::{StatusList, TrustList};

fn trust() -> &'static TrustList {
    static W: std::sync::OnceLock<TrustList> = std::sync::OnceLock::new();
    W.get_or_init(|| common::world().trust)
}

/// Text that looks like the format often enough to get past the first byte.
fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,400}",
        "[\\[\\]a-z_=\"{}:,. 0-9\\n-]{0,400}",
        Just("[operator]\nid = \"x\"\n".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn signed_lists_and_updates_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
        prop_assert!(StatusList::from_signed(&bytes, trust()).is_err());
        prop_assert!(techo_core::token::StatusDelta::from_signed(&bytes, trust()).is_err());
        if let Ok(bundle) = techo_core::token::VerifierBundle::from_bytes(&bytes) {
            prop_assert!(bundle.open().is_err());
        }
        prop_assert!(TrustList::from_signed(&bytes, &common::world().root.public(), None).is_err());
        prop_assert!(DirectoryUpdate::open(&bytes, trust()).is_err());
    }

    #[test]
    fn server_and_site_json_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), text in texty()) {
        for input in [bytes.as_slice(), text.as_bytes()] {
            let _ = serde_json::from_slice::<LinkageStatus>(input);
            let _ = serde_json::from_slice::<TokenResponse>(input);
            let _ = serde_json::from_slice::<Vec<PortalRecord>>(input);
            let _ = serde_json::from_slice::<StartLinkage>(input);
            let _ = serde_json::from_slice::<SiteResponse>(input);
            if let Ok(r) = serde_json::from_slice::<SiteRequest>(input) {
                let served = Url::parse("https://127.0.0.1:9443/techo/requests/x").unwrap();
                let _ = r.check(&served, chrono::Utc::now());
                let _ = r.challenge();
                let _ = r.order.as_ref().map(|o| o.check("127.0.0.1:9443"));
            }
        }
    }

    #[test]
    fn files_the_holder_or_an_operator_writes_never_panic(text in texty()) {
        let _ = OperatorPolicy::from_toml("fuzz.toml", &text);
        let _ = HandbookDraft::from_toml(&text);
        let _ = SupportProfile::from_toml(&text);
        let _ = techo_core::site::parse_link(&text);
    }
}

/// A small real picture of each kind, with metadata that must never come out.
fn camera_pictures() -> Vec<Vec<u8>> {
    vec![
        techo_core::model::page_image::sample_jpeg(24, 16),
        techo_core::model::photo::tiny_png(12, 9),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// Pictures damaged anywhere (a byte changed, the file cut, bytes appended): the intake gives
    /// an error or a clean picture within its limits, never a panic, and never the camera's
    /// metadata.
    #[test]
    fn the_image_intake_survives_damaged_pictures(
        which in 0usize..2,
        at in any::<prop::sample::Index>(),
        value in any::<u8>(),
        cut in any::<prop::sample::Index>(),
        tail in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        use techo_core::model::image_intake::{ImageLimits, intake, luma};
        let mut bytes = camera_pictures().swap_remove(which);
        let i = at.index(bytes.len());
        bytes[i] = value;
        bytes.truncate(cut.index(bytes.len()) + 1);
        bytes.extend_from_slice(&tail);
        if let Ok(clean) = intake(&bytes, ImageLimits::PAGE) {
            prop_assert!(u64::from(clean.width) * u64::from(clean.height) <= ImageLimits::PAGE.max_pixels);
            for trace in [b"Exif".as_slice(), b"GPS", b"Canon", b"taken at home"] {
                prop_assert!(!clean.bytes.windows(trace.len()).any(|w| w == trace));
            }
        }
        let _ = luma(&bytes, ImageLimits::QR_PICTURE);
    }
}
