//! Shared test helpers: the fixture handbooks and a wallet on a temp dir.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use techo_core::model::HandbookDraft;
use techo_core::store::{DataKey, StaticKeyProvider};
use techo_core::token::*;
use techo_core::{FixedClock, Wallet};

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/handbooks")
}

/// Every fixture handbook: file name, draft, photo bytes.
pub fn fixtures() -> Vec<(String, HandbookDraft, Option<Vec<u8>>)> {
    let mut files: Vec<_> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let draft = HandbookDraft::from_toml(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let photo = draft
                .photo
                .as_ref()
                .map(|rel| std::fs::read(fixtures_dir().join(rel)).unwrap());
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                draft,
                photo,
            )
        })
        .collect()
}

pub fn fixture(prefix: &str) -> (HandbookDraft, Option<Vec<u8>>) {
    let (_, d, p) = fixtures()
        .into_iter()
        .find(|(n, _, _)| n.starts_with(prefix))
        .unwrap();
    (d, p)
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn keys() -> StaticKeyProvider {
    StaticKeyProvider::new(DataKey::from_bytes([42; 32]))
}

pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(at("2026-11-25T03:00:00Z")))
}

pub fn wallet(dir: &std::path::Path) -> Wallet {
    Wallet::open(dir, &keys(), clock()).unwrap()
}

/// A dev issuer, trust list, status list and one device with a counter + full credential pair.
pub struct World {
    pub root: SoftwareKey,
    pub issuer: Issuer,
    pub issuer_key: std::sync::Arc<SoftwareKey>,
    pub trust: TrustList,
    pub status: StatusList,
    pub device: SoftwareKey,
    pub held: [HeldCredential; 2],
    pub now: DateTime<Utc>,
}

pub fn world() -> World {
    let now = at("2026-11-25T03:00:00Z");
    let root = SoftwareKey::generate();
    let issuer_key = std::sync::Arc::new(SoftwareKey::generate());
    let issuer = Issuer::new(1, "Techo dev issuer", vec![0x01], issuer_key.clone());
    let trust = TrustList {
        sequence: 1,
        issued_at: now,
        min_token_version: 1,
        issuers: vec![TrustedIssuer::of(
            &issuer,
            now - Duration::days(365),
            now + Duration::days(365),
        )],
    };
    let status = StatusList::new(1, 1, 65_536, now, 86_400);
    let (draft, photo) = fixture("01-");
    let hb = draft.validate(photo.as_deref(), now).unwrap();
    let claims = HandbookClaims::from_handbook(&hb);
    let device = SoftwareKey::generate();
    let held = issuer
        .issue(&IssueRequest {
            claims: &claims,
            device_key: &device.public(),
            device_alias: "dev-1",
            not_before: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            not_after: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            status: StatusRef {
                list: 1,
                index: 40_000,
            },
        })
        .unwrap();
    World {
        root,
        issuer,
        issuer_key,
        trust,
        status,
        device,
        held,
        now,
    }
}

/// A fixture handbook, validated.
pub fn fixture_handbook(prefix: &str, now: DateTime<Utc>) -> techo_core::model::Handbook {
    let (draft, photo) = fixture(prefix);
    draft.validate(photo.as_deref(), now).unwrap()
}
