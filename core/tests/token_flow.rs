//! Issue → present → verify, end to end, with real keys.
#![allow(clippy::unwrap_used)]

mod common;

use common::world;

use techo_core::token::*;

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

#[test]
fn the_worst_case_counter_presentation_still_fits_version_11() {
    // Longest validity, last second of it, the largest index of a production list (2^22
    // entries) and the list id national scale needs (41, docs/token-spec.md "Bounded lists").
    let w = world();
    let (draft, photo) = common::fixture("06-");
    let claims = HandbookClaims::from_handbook(&draft.validate(photo.as_deref(), w.now).unwrap());
    let not_before = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let not_after =
        not_before + chrono::Duration::days(i64::from(credential::MAX_VALIDITY_DAYS) - 1);
    let pk = w.device.public();
    let held = w
        .issuer
        .issue(&IssueRequest {
            claims: &claims,
            device_key: &pk,
            device_alias: "d",
            not_before,
            not_after,
            status: StatusRef {
                list: 41,
                index: (1 << 22) - 1,
            },
        })
        .unwrap();
    let last = common::at(&format!("{not_after}T14:59:59Z"));
    let payload = present(&held[0], &w.device, last, &ClaimId::COUNTER, None).unwrap();
    let qr = QrImage::for_payload(&payload).unwrap();
    assert!(
        qr.version <= 11,
        "{} bytes → version {}",
        payload.binary().len(),
        qr.version
    );
    let too_long = IssueRequest {
        not_after: not_after + chrono::Duration::days(1),
        ..IssueRequest {
            claims: &claims,
            device_key: &pk,
            device_alias: "d",
            not_before,
            not_after,
            status: StatusRef { list: 1, index: 1 },
        }
    };
    assert!(w.issuer.issue(&too_long).is_err());
}
