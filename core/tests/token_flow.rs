//! Issue → present → verify, end to end, with real keys.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use techo_core::token::*;

struct World {
    root: SoftwareKey,
    issuer: Issuer,
    trust: TrustList,
    status: StatusList,
    device: SoftwareKey,
    held: [HeldCredential; 2],
    now: DateTime<Utc>,
}

fn world() -> World {
    let now = common::at("2026-11-25T03:00:00Z");
    let root = SoftwareKey::generate();
    let issuer = Issuer::new(1, "Techo dev issuer", vec![0x01], SoftwareKey::generate());
    let trust = TrustList {
        sequence: 1,
        issued_at: now,
        min_token_version: 1,
        issuers: vec![TrustedIssuer {
            kid: issuer.kid.clone(),
            issuer_id: 1,
            name: issuer.name.clone(),
            key: issuer.public(),
            not_before: now - Duration::days(365),
            not_after: now + Duration::days(365),
        }],
    };
    let status = StatusList::new(1, 1, 65_536, now, 86_400);
    let (draft, photo) = common::fixture("01-");
    let hb = draft.validate(photo.as_deref(), now).unwrap();
    let claims = HandbookClaims::from_handbook(&hb);
    let device = SoftwareKey::generate();
    let held = issuer.issue(&IssueRequest {
        claims: &claims,
        device_key: &device.public(),
        device_alias: "dev-1",
        not_before: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        not_after: NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(),
        status: StatusRef {
            list: 1,
            index: 40_000,
        },
    });
    World {
        root,
        issuer,
        trust,
        status,
        device,
        held,
        now,
    }
}

#[test]
fn counter_presentation_fits_version_11_and_verifies() {
    let w = world();
    let payload = present(&w.held[0], &w.device, w.now, &ClaimId::COUNTER, None).unwrap();
    let qr = QrImage::for_payload(&payload).unwrap();
    println!(
        "counter payload: {} bytes, QR version {} ({:?})",
        payload.binary().len(),
        qr.version,
        qr.mode
    );
    assert!(
        qr.version <= 11,
        "QR version {} for {} bytes",
        qr.version,
        payload.binary().len()
    );
    let v = verify(
        &payload.binary(),
        &w.trust,
        &vec![w.status.clone()],
        w.now,
        &Policy::default(),
    )
    .unwrap();
    assert_eq!(
        v.claims.fare_class,
        Some(techo_core::model::FareClass::First)
    );
    assert_eq!(v.claims.caregiver, Some(true));
    let v2 = verify(
        payload.text().as_bytes(),
        &w.trust,
        &vec![w.status],
        w.now,
        &Policy::default(),
    )
    .unwrap();
    assert_eq!(v, v2);
    let _ = (&w.root, &w.issuer);
}

#[test]
fn full_presentation_discloses_only_what_is_asked() {
    let w = world();
    let payload = present(
        &w.held[1],
        &w.device,
        w.now,
        &[ClaimId::Kind, ClaimId::Grade, ClaimId::Expiry],
        None,
    )
    .unwrap();
    let qr = QrImage::for_payload(&payload).unwrap();
    println!(
        "full payload (3 claims): {} bytes, QR version {}",
        payload.binary().len(),
        qr.version
    );
    let v = verify(
        &payload.binary(),
        &w.trust,
        &vec![w.status],
        w.now,
        &Policy::default(),
    )
    .unwrap();
    assert_eq!(v.claims.grade.as_deref(), Some("1級"));
    assert_eq!(v.claims.expiry, Some(None));
    assert_eq!(v.claims.fare_class, None);
}
