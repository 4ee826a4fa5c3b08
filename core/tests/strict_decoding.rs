//! The verifier reads exactly the format docs/token-spec.md defines (issue 27): cases an outside
//! implementer found techo accepting though they are not version 1, each signed correctly by
//! the issuer or the device so only the encoding is wrong. One statement has one encoding.
#![allow(clippy::unwrap_used)]

mod common;

use ciborium::Value;
use coset::{CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, iana};
use techo_core::token::present::build_token;
use techo_core::token::*;

fn check(w: &common::World, payload: &[u8]) -> Result<VerifiedPresentation, VerifyError> {
    verify(
        payload,
        &w.trust,
        &vec![w.status.clone()],
        w.now,
        &Policy::default(),
    )
}

fn code(w: &common::World, payload: &[u8]) -> &'static str {
    match check(w, payload) {
        Ok(_) => "valid",
        Err(e) => e.code(),
    }
}

fn counter(w: &common::World, held: &HeldCredential) -> Payload {
    present(held, &w.device, w.now, &ClaimId::COUNTER, None).unwrap()
}

/// The counter credential again, with its payload bytes and headers as given, signed by the
/// issuer key: a credential the issuer really signed, in an encoding version 1 does not allow.
fn resigned(
    w: &common::World,
    payload: Vec<u8>,
    edit: impl FnOnce(CoseSign1Builder) -> CoseSign1Builder,
) -> HeldCredential {
    let held = &w.held[0];
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(w.issuer.kid.clone())
        .build();
    let builder = edit(
        CoseSign1Builder::new()
            .protected(protected)
            .payload(payload),
    );
    let sign1 = builder
        .create_signature(b"", |tbs| w.issuer_key.sign_bytes(tbs))
        .build();
    HeldCredential {
        credential: sign1.to_vec().unwrap(),
        ..held.clone()
    }
}

fn payload_of(held: &HeldCredential) -> Vec<u8> {
    CoseSign1::from_slice(&held.credential)
        .unwrap()
        .payload
        .unwrap()
}

#[test]
fn the_unchanged_credential_verifies() {
    let w = common::world();
    let same = resigned(&w, payload_of(&w.held[0]), |b| b);
    assert_eq!(code(&w, &counter(&w, &same).binary()), "valid");
}

#[test]
fn the_prefix_is_upper_case_only() {
    let w = common::world();
    let text = counter(&w, &w.held[0]).text();
    assert_eq!(code(&w, text.as_bytes()), "valid");
    for prefix in ["tk1:", "Tk1:", "tK1:"] {
        let lower = text.replacen("TK1:", prefix, 1);
        assert_eq!(code(&w, lower.as_bytes()), "not_techo", "{prefix}");
    }
    let binary = counter(&w, &w.held[0]).binary();
    let mut lower = binary.clone();
    lower[..2].copy_from_slice(b"tk");
    assert_eq!(code(&w, &lower), "not_techo");
}

#[test]
fn a_validity_longer_than_22_days_is_refused_even_when_signed() {
    let w = common::world();
    let mut value: Value = ciborium::de::from_reader(payload_of(&w.held[0]).as_slice()).unwrap();
    for offset in [21u64, 22, 23, 255, 1000] {
        if let Value::Map(entries) = &mut value {
            for (k, v) in entries.iter_mut() {
                if k.as_integer() == Some(5.into()) {
                    *v = Value::from(offset);
                }
            }
        }
        let mut bytes = Vec::new();
        ciborium::ser::into_writer(&value, &mut bytes).unwrap();
        let held = resigned(&w, bytes, |b| b);
        let expected = if offset <= 21 { "valid" } else { "malformed" };
        assert_eq!(code(&w, &counter(&w, &held).binary()), expected, "{offset}");
    }
}

#[test]
fn non_canonical_credential_payloads_are_refused_even_when_signed() {
    let w = common::world();
    let payload = payload_of(&w.held[0]);
    // {1: 1, 2: 1, …}: the issuer id written in two bytes instead of one.
    assert_eq!(payload[1..5], [0x01, 0x01, 0x02, 0x01]);
    let mut long_int = payload[..4].to_vec();
    long_int.extend([0x18, 0x01]);
    long_int.extend(&payload[5..]);
    long_int[0] = payload[0];
    // Keys out of order: the first two entries swapped.
    let mut swapped = vec![payload[0], 0x02, 0x01, 0x01, 0x01];
    swapped.extend(&payload[5..]);
    // A key version 1 does not define (10), in order.
    let mut value: Value = ciborium::de::from_reader(payload.as_slice()).unwrap();
    if let Value::Map(entries) = &mut value {
        entries.push((Value::from(10), Value::from(0)));
    }
    let mut unknown_key = Vec::new();
    ciborium::ser::into_writer(&value, &mut unknown_key).unwrap();
    for (name, bytes) in [
        ("long integer", long_int),
        ("keys out of order", swapped),
        ("unknown key", unknown_key),
    ] {
        let held = resigned(&w, bytes, |b| b);
        assert_eq!(
            code(&w, &counter(&w, &held).binary()),
            "malformed",
            "{name}"
        );
    }
}

#[test]
fn credential_headers_hold_exactly_alg_and_kid() {
    let w = common::world();
    let payload = payload_of(&w.held[0]);
    let unprotected = resigned(&w, payload.clone(), |b| {
        b.unprotected(HeaderBuilder::new().content_type("x".into()).build())
    });
    assert_eq!(code(&w, &counter(&w, &unprotected).binary()), "malformed");
    let extra = resigned(&w, payload, |b| {
        b.protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .key_id(w.issuer.kid.clone())
                .content_type("application/techo".into())
                .build(),
        )
    });
    assert_eq!(code(&w, &counter(&w, &extra).binary()), "malformed");
}

/// The display token's payload items as the phone signed them.
fn token_items(payload: &Payload) -> Vec<Value> {
    let body = &payload.body;
    let (_, end) = techo_core::token::cbor_read::read_item(body, 0, "").unwrap();
    let token = CoseSign1::from_slice(&body[end..]).unwrap();
    let value: Value = ciborium::de::from_reader(token.payload.unwrap().as_slice()).unwrap();
    value.as_array().unwrap().clone()
}

fn signed_token(w: &common::World, held: &HeldCredential, items: Vec<Value>) -> Vec<u8> {
    build_token(held, items, |tbs| w.device.sign(tbs))
        .unwrap()
        .binary()
}

#[test]
fn full_disclosures_list_claims_in_ascending_order_once() {
    let w = common::world();
    let full = &w.held[1];
    let shown = present(
        full,
        &w.device,
        w.now,
        &[ClaimId::Kind, ClaimId::FareClass],
        None,
    )
    .unwrap();
    assert_eq!(code(&w, &shown.binary()), "valid");
    let mut items = token_items(&shown);
    let Value::Array(claims) = &mut items[1] else {
        panic!("a full disclosure is an array")
    };
    claims.reverse();
    assert_eq!(
        code(&w, &signed_token(&w, full, items.clone())),
        "disclosure_mismatch"
    );
    let Value::Array(claims) = &mut items[1] else {
        unreachable!()
    };
    let first = claims[1].clone();
    claims.insert(0, first);
    assert_eq!(
        code(&w, &signed_token(&w, full, items)),
        "disclosure_mismatch",
        "a claim twice"
    );
}

#[test]
fn a_null_challenge_comes_only_before_self_declared_items() {
    let w = common::world();
    let shown = counter(&w, &w.held[0]);
    let mut items = token_items(&shown);
    items.push(Value::Null);
    assert_eq!(code(&w, &signed_token(&w, &w.held[0], items)), "malformed");
}

#[test]
fn the_display_token_has_empty_headers() {
    let w = common::world();
    let shown = counter(&w, &w.held[0]);
    let items = token_items(&shown);
    let mut payload = Vec::new();
    ciborium::ser::into_writer(&Value::Array(items), &mut payload).unwrap();
    let aad = techo_core::token::present::credential_binding(&w.held[0].credential);
    let token = CoseSign1Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .build(),
        )
        .payload(payload)
        .create_signature(&aad, |tbs| w.device.sign(tbs).unwrap())
        .build();
    let mut body = b"TK1".to_vec();
    body.extend(&w.held[0].credential);
    body.extend(token.to_vec().unwrap());
    assert_eq!(code(&w, &body), "malformed");
}

#[test]
fn a_trust_list_retiring_version_1_refuses_it_with_its_own_code() {
    let mut w = common::world();
    let shown = counter(&w, &w.held[0]).binary();
    w.trust.min_token_version = 2;
    let err = check(&w, &shown).unwrap_err();
    assert_eq!(err.code(), "version_retired");
    assert!(err.to_string().contains("update the Techo app"), "{err}");
}
