//! Self-declared support items travel in the display token, signed by the device key only. They
//! verify as self-declared and can never pass as issuer-verified facts.
#![allow(clippy::unwrap_used)]

mod common;

use ciborium::Value;
use common::world;
use coset::CborSerializable;
use techo_core::model::SupportCode;
use techo_core::token::present::build_token;
use techo_core::token::*;

const DECLARED: [SupportCode; 2] = [SupportCode::ElectricWheelchair, SupportCode::BoardingRamp];

fn token_parts(payload: &Payload, credential_len: usize) -> Vec<Value> {
    let token = coset::CoseSign1::from_slice(&payload.body[credential_len..]).unwrap();
    let value: Value = ciborium::from_reader(token.payload.as_deref().unwrap()).unwrap();
    value.into_array().unwrap()
}

#[test]
fn declared_items_verify_apart_from_the_issuers_claims() {
    let w = world();
    let lists = vec![w.status.clone()];
    let plain = present(&w.held[0], &w.device, w.now, &ClaimId::COUNTER, None).unwrap();
    let with = present_declaring(
        &w.held[0],
        &w.device,
        w.now,
        &ClaimId::COUNTER,
        None,
        &DECLARED,
    )
    .unwrap();
    let a = verify(&plain.binary(), &w.trust, &lists, w.now, &Policy::default()).unwrap();
    let b = verify(&with.binary(), &w.trust, &lists, w.now, &Policy::default()).unwrap();
    assert!(a.self_declared.is_empty());
    assert_eq!(b.self_declared, DECLARED);
    assert_eq!(
        a.claims, b.claims,
        "declared items change nothing the issuer vouched for"
    );
    // A few bytes more: the counter QR grows by at most one version (11 → 12).
    let qr = QrImage::for_payload(&with).unwrap();
    assert!(
        qr.version <= 12,
        "version {} for {} bytes",
        qr.version,
        with.binary().len()
    );
    assert!(with.binary().len() - plain.binary().len() <= 2 + DECLARED.len());

    // With a challenge too (booking site): both sections come through.
    let challenge = Challenge {
        nonce: vec![9; 16],
        audience: "tickets.example".into(),
    };
    let policy = Policy {
        challenge: Some(challenge.clone()),
        ..Policy::default()
    };
    let both = present_declaring(
        &w.held[0],
        &w.device,
        w.now,
        &ClaimId::COUNTER,
        Some(&challenge),
        &DECLARED,
    )
    .unwrap();
    let verified = verify(&both.binary(), &w.trust, &lists, w.now, &policy).unwrap();
    assert_eq!(
        (verified.challenge, verified.self_declared),
        (Some(challenge), DECLARED.to_vec())
    );
}

#[test]
fn a_changed_declaration_without_the_device_key_fails() {
    let w = world();
    let held = &w.held[0];
    let with =
        present_declaring(held, &w.device, w.now, &ClaimId::COUNTER, None, &DECLARED).unwrap();
    // Someone else's app (another key) adds priority seating to this holder's screen.
    let mut parts = token_parts(&with, held.credential.len());
    *parts.last_mut().unwrap() = Value::Array(vec![
        Value::from(SupportCode::ElectricWheelchair.wire()),
        Value::from(SupportCode::PrioritySeating.wire()),
    ]);
    let other = SoftwareKey::generate();
    let forged = build_token(held, parts, |tbs| Ok(other.sign_bytes(tbs))).unwrap();
    let err = verify(
        &forged.binary(),
        &w.trust,
        &vec![w.status],
        w.now,
        &Policy::default(),
    )
    .unwrap_err();
    assert_eq!(err, VerifyError::NotBoundToDevice);
}

#[test]
fn a_declared_item_moved_into_the_issuer_section_never_verifies() {
    let w = world();
    let lists = vec![w.status.clone()];
    for held in &w.held {
        let claims: Vec<ClaimId> = match held.profile {
            Profile::Counter => ClaimId::COUNTER.to_vec(),
            Profile::Full => vec![ClaimId::Kind, ClaimId::Grade],
        };
        let with = present_declaring(held, &w.device, w.now, &claims, None, &DECLARED).unwrap();
        let mut parts = token_parts(&with, held.credential.len());
        assert_eq!(parts.len(), 4);
        let declared = parts.pop().unwrap().into_array().unwrap();
        parts.pop(); // the empty challenge slot
        // A fake app on the holder's own phone has the device key, so it can re-sign anything;
        // what it cannot do is make the issuer's digests cover a new value.
        let Value::Array(disclosure) = &mut parts[1] else {
            panic!("disclosure is an array")
        };
        match held.profile {
            Profile::Counter => disclosure.push(declared[0].clone()),
            Profile::Full => disclosure.push(Value::Array(vec![
                Value::from(ClaimId::Caregiver as u64),
                Value::Bytes(vec![0; 16]),
                Value::Bool(true),
            ])),
        }
        let forged = build_token(held, parts, |tbs| Ok(w.device.sign_bytes(tbs))).unwrap();
        let err = verify(
            &forged.binary(),
            &w.trust,
            &lists,
            w.now,
            &Policy::default(),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                VerifyError::DisclosureMismatch | VerifyError::Malformed { .. }
            ),
            "{:?}: {err:?}",
            held.profile
        );
    }
}

#[test]
fn a_malformed_declaration_is_refused_and_unknown_codes_are_skipped() {
    let w = world();
    let held = &w.held[0];
    let with =
        present_declaring(held, &w.device, w.now, &ClaimId::COUNTER, None, &DECLARED).unwrap();
    let lists = vec![w.status.clone()];
    let resign = |last: Value| {
        let mut parts = token_parts(&with, held.credential.len());
        *parts.last_mut().unwrap() = last;
        let p = build_token(held, parts, |tbs| Ok(w.device.sign_bytes(tbs))).unwrap();
        verify(&p.binary(), &w.trust, &lists, w.now, &Policy::default())
    };
    let err = resign(Value::Text("electric wheelchair".into())).unwrap_err();
    assert!(matches!(err, VerifyError::Malformed { .. }), "{err:?}");
    // A code from a newer app is skipped; the known one stays.
    let v = resign(Value::Array(vec![
        Value::from(200u64),
        Value::from(SupportCode::Writing.wire()),
    ]))
    .unwrap();
    assert_eq!(v.self_declared, [SupportCode::Writing]);
}

#[test]
fn a_coupon_rides_in_the_device_signed_token_and_another_device_cannot_re_sign_it() {
    let w = world();
    let held = &w.held[0];
    let extras = Extras {
        declared: &DECLARED,
        coupon: Some("example-museum/winter-2026"),
    };
    let with = present_with(held, &w.device, w.now, &ClaimId::COUNTER, None, &extras).unwrap();
    let lists = vec![w.status.clone()];
    let v = verify(&with.binary(), &w.trust, &lists, w.now, &Policy::default()).unwrap();
    assert_eq!(v.coupon.as_deref(), Some("example-museum/winter-2026"));
    assert_eq!(v.self_declared, DECLARED);
    // Another phone copies the coupon code and signs it with its own key.
    let parts = token_parts(&with, held.credential.len());
    assert_eq!(parts.len(), 5);
    let other = SoftwareKey::generate();
    let forged = build_token(held, parts, |tbs| Ok(other.sign_bytes(tbs))).unwrap();
    let err = verify(
        &forged.binary(),
        &w.trust,
        &lists,
        w.now,
        &Policy::default(),
    )
    .unwrap_err();
    assert_eq!(err, VerifyError::NotBoundToDevice);
    // A coupon that is not operator/id text is refused as malformed.
    let mut parts = token_parts(&with, held.credential.len());
    *parts.last_mut().unwrap() = Value::from(7u64);
    let bad = build_token(held, parts, |tbs| Ok(w.device.sign_bytes(tbs))).unwrap();
    let err = verify(&bad.binary(), &w.trust, &lists, w.now, &Policy::default()).unwrap_err();
    assert!(matches!(err, VerifyError::Malformed { .. }), "{err:?}");
}
