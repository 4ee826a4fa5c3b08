//! Test vectors (`fixtures/vectors/`): every byte of the format, rebuilt from the inputs and
//! compared with the stored files, so the spec, the files and the code cannot drift apart.
//!
//! ECDSA signatures are randomised, so the files keep the signatures made when they were
//! generated and this test re-uses them; everything else is recomputed. The stored payloads must
//! also give the stored verdicts. `TECHO_UPDATE_VECTORS=1 cargo test --test vectors` rewrites the
//! files (with fresh signatures) after an intended format change.
#![allow(clippy::unwrap_used, clippy::too_many_lines, clippy::single_match_else)]

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ciborium::Value;
use serde_json::json;
use std::path::PathBuf;
use techo_core::hex;
use techo_core::model::{FareClass, HandbookKind};
use techo_core::token::claims::{claim_digest, counter_digest};
use techo_core::token::credential::{CredentialBody, Digests, credential_tbs, sign_credential};
use techo_core::token::present::{HeldDisclosure, build_token, token_tbs};
use techo_core::token::time::{day_number, day_start_step, step_of};
use techo_core::token::*;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/vectors")
}

fn update() -> bool {
    std::env::var("TECHO_UPDATE_VECTORS").is_ok_and(|v| v == "1")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

struct Keys {
    root: SoftwareKey,
    issuer: SoftwareKey,
    device: SoftwareKey,
    other_device: SoftwareKey,
}

/// The keys live in `keys.json`; they are made once.
fn keys() -> Keys {
    let path = dir().join("keys.json");
    if !path.exists() {
        let k = |s: &SoftwareKey| hex::encode(s.pkcs8());
        let fresh = [
            SoftwareKey::generate(),
            SoftwareKey::generate(),
            SoftwareKey::generate(),
            SoftwareKey::generate(),
        ];
        let body = json!({
            "note": "Test keys for the vectors only. PKCS#8, hex. Never use them for anything else.",
            "root": k(&fresh[0]), "issuer": k(&fresh[1]), "device": k(&fresh[2]), "other_device": k(&fresh[3]),
        });
        std::fs::write(&path, serde_json::to_string_pretty(&body).unwrap() + "\n").unwrap();
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let load = |name: &str| {
        SoftwareKey::from_pkcs8(&hex::decode(v[name].as_str().unwrap()).unwrap()).unwrap()
    };
    Keys {
        root: load("root"),
        issuer: load("issuer"),
        device: load("device"),
        other_device: load("other_device"),
    }
}

fn salt(case: &str, claim: u8) -> [u8; 16] {
    let d = ring::digest::digest(
        &ring::digest::SHA256,
        format!("techo vector salt/{case}/{claim}").as_bytes(),
    );
    d.as_ref()[..16].try_into().unwrap()
}

#[derive(Clone)]
struct Case {
    name: &'static str,
    description: &'static str,
    full: Option<Vec<ClaimId>>,
    presented_at: &'static str,
    verify_at: &'static str,
    status: Option<Status>,
    wrong_device: bool,
    tamper_byte: Option<usize>,
    expected: &'static str,
}

fn cases() -> Vec<Case> {
    let base = Case {
        name: "",
        description: "",
        full: None,
        presented_at: "2026-11-25T03:00:10Z",
        verify_at: "2026-11-25T03:00:20Z",
        status: None,
        wrong_device: false,
        tamper_byte: None,
        expected: "valid",
    };
    vec![
        Case {
            name: "valid-counter",
            description: "Default counter disclosure (kind, fare class, caregiver, linkage), verified in the same step.",
            ..base.clone()
        },
        Case {
            name: "valid-full",
            description: "Full credential, disclosing grade, municipality and expiry only.",
            full: Some(vec![ClaimId::Grade, ClaimId::Municipality, ClaimId::Expiry]),
            ..base.clone()
        },
        Case {
            name: "expired",
            description: "Verified the day after the credential's not-after (JST).",
            verify_at: "2026-12-12T15:00:20Z",
            presented_at: "2026-12-12T15:00:10Z",
            expected: "credential_expired",
            ..base.clone()
        },
        Case {
            name: "stale",
            description: "A screenshot verified 90 seconds later.",
            verify_at: "2026-11-25T03:01:40Z",
            expected: "stale_screen",
            ..base.clone()
        },
        Case {
            name: "revoked",
            description: "The status list marks the credential revoked.",
            status: Some(Status::Revoked),
            expected: "revoked",
            ..base.clone()
        },
        Case {
            name: "wrong-device",
            description: "The credential with a display token signed by another device key.",
            wrong_device: true,
            expected: "not_bound_to_device",
            ..base.clone()
        },
        Case {
            name: "tampered",
            description: "Valid counter payload with one bit of the issuer-signed payload flipped: the first byte of the device key (the compressed point's y-sign, 03 → 02).",
            tamper_byte: Some(0),
            expected: "bad_issuer_signature",
            ..base.clone()
        },
    ]
}

fn cbor(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

fn claims() -> HandbookClaims {
    HandbookClaims {
        kind: HandbookKind::Physical,
        grade: "1級".into(),
        fare_class: FareClass::First,
        caregiver: true,
        municipality: "131016".into(),
        expiry: None,
        linkage: LinkageKind::Linked,
        photo: Some([0xAB; 32]),
        guardian: None,
    }
}

fn build(case: &Case, keys: &Keys, stored: Option<&serde_json::Value>) -> serde_json::Value {
    let kid = vec![0x01];
    let claims = claims();
    let not_before = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let not_after = NaiveDate::from_ymd_opt(2026, 12, 12).unwrap();
    let status = StatusRef {
        list: 1,
        index: 4242,
    };
    let (digests, disclosures) = match &case.full {
        None => {
            let values: Vec<Value> = ClaimId::COUNTER.iter().map(|c| claims.value(*c)).collect();
            let s = salt(case.name, 0);
            (
                Digests::Counter(counter_digest(&s, &values)),
                vec![HeldDisclosure {
                    claim: 0,
                    salt: s,
                    value: cbor(&Value::Array(values)),
                }],
            )
        }
        Some(_) => {
            let mut all = std::collections::BTreeMap::new();
            let mut held = Vec::new();
            for id in ClaimId::ALL {
                let s = salt(case.name, id as u8);
                all.insert(id, claim_digest(&s, id, &claims.value(id)));
                held.push(HeldDisclosure {
                    claim: id as u8,
                    salt: s,
                    value: cbor(&claims.value(id)),
                });
            }
            (Digests::Full(all), held)
        }
    };
    let device = if case.wrong_device {
        &keys.other_device
    } else {
        &keys.device
    };
    let body = CredentialBody {
        issuer: 1,
        device_key: keys.device.public(),
        not_before: day_number(not_before),
        not_after: day_number(not_after),
        status,
        digests,
        guardian: None,
    };
    let stored_sig = |field: &str| {
        stored
            .and_then(|s| s["expected"][field].as_str())
            .and_then(hex::decode)
    };
    let issuer_sig = stored_sig("issuer_signature_hex");
    let Ok(credential) = sign_credential::<std::convert::Infallible>(&kid, &body, |tbs| {
        Ok(issuer_sig
            .clone()
            .unwrap_or_else(|| keys.issuer.sign_bytes(tbs)))
    });
    let held = HeldCredential {
        credential: credential.clone(),
        profile: if case.full.is_some() {
            Profile::Full
        } else {
            Profile::Counter
        },
        device_key: "vector".into(),
        device_public: keys.device.public().compressed().to_vec(),
        not_before,
        not_after,
        status,
        disclosures: disclosures.clone(),
    };
    // The token payload, built exactly as `present` does.
    let presented = at(case.presented_at);
    let step = u64::try_from(
        i64::try_from(step_of(presented)).unwrap() - day_start_step(day_number(not_before)),
    )
    .unwrap();
    let disclosure = match &case.full {
        None => {
            let Value::Array(values) =
                ciborium::de::from_reader(disclosures[0].value.as_slice()).unwrap()
            else {
                panic!()
            };
            let mut items = vec![Value::Bytes(disclosures[0].salt.to_vec())];
            items.extend(values);
            Value::Array(items)
        }
        Some(ids) => Value::Array(
            ids.iter()
                .map(|id| {
                    let d = disclosures.iter().find(|d| d.claim == *id as u8).unwrap();
                    Value::Array(vec![
                        Value::from(*id as u64),
                        Value::Bytes(d.salt.to_vec()),
                        ciborium::de::from_reader(d.value.as_slice()).unwrap(),
                    ])
                })
                .collect(),
        ),
    };
    let token_items = vec![Value::from(step), disclosure];
    let token_payload = cbor(&Value::Array(token_items.clone()));
    let device_sig = stored_sig("device_signature_hex");
    let payload = build_token(&held, token_items, |tbs| {
        Ok(device_sig.clone().unwrap_or_else(|| device.sign_bytes(tbs)))
    })
    .unwrap();
    let mut wire = payload.binary();
    if let Some(i) = case.tamper_byte {
        // Offset inside the credential payload: find it after the COSE headers.
        let start = wire
            .windows(body_prefix().len())
            .position(|w| w == body_prefix())
            .unwrap()
            + body_prefix().len();
        wire[start + i] ^= 0x01;
    }
    // The verifier's view.
    let now = at(case.verify_at);
    let trust = TrustList {
        sequence: 1,
        issued_at: at("2026-11-01T00:00:00Z"),
        min_token_version: 1,
        issuers: vec![TrustedIssuer {
            kid: kid.clone(),
            issuer_id: 1,
            name: "Techo vector issuer".into(),
            key: keys.issuer.public(),
            not_before: at("2026-01-01T00:00:00Z"),
            not_after: at("2027-12-31T00:00:00Z"),
        }],
    };
    let mut list = StatusList::new(1, 1, 65_536, now - Duration::hours(1), 86_400);
    if let Some(s) = case.status {
        list.set(status.index, s);
    }
    let trust_signed = trust.sign(&keys.root, b"R1");
    let trust = TrustList::from_signed(&trust_signed, &keys.root.public(), None).unwrap();
    let verdict = match verify(&wire, &trust, &vec![list], now, &Policy::default()) {
        Ok(_) => "valid".to_owned(),
        Err(e) => e.code().to_owned(),
    };
    let cred_sign1: coset::CoseSign1 = coset::CborSerializable::from_slice(&credential).unwrap();
    let token_sign1: coset::CoseSign1 =
        coset::CborSerializable::from_slice(&payload.body[credential.len()..]).unwrap();
    let qr = QrImage::for_payload(&Payload::parse(&wire).unwrap())
        .map(|q| q.version)
        .ok();
    json!({
        "name": case.name,
        "description": case.description,
        "inputs": {
            "keys": "keys.json",
            "issuer": { "id": 1, "kid_hex": hex::encode(&kid), "status_list": 1, "status_index": status.index },
            "claims": {
                "kind": "physical", "grade": claims.grade, "fare_class": "first", "caregiver": true,
                "municipality": claims.municipality, "expiry": null, "linkage": "linked", "photo_sha256_hex": hex::encode(&[0xAB; 32]),
            },
            "salts_hex": disclosures.iter().map(|d| json!({"claim": d.claim, "salt": hex::encode(&d.salt)})).collect::<Vec<_>>(),
            "not_before": not_before, "not_after": not_after,
            "profile": if case.full.is_some() { "full" } else { "counter" },
            "disclose": case.full.as_ref().map_or(ClaimId::COUNTER.to_vec(), Clone::clone).iter().map(|c| c.name()).collect::<Vec<_>>(),
            "presented_at": case.presented_at,
            "verify_at": case.verify_at,
            "status": case.status.map(|s| format!("{s:?}").to_lowercase()),
            "signed_by_other_device": case.wrong_device,
            "tamper_credential_payload_byte": case.tamper_byte,
        },
        "expected": {
            "credential_payload_hex": hex::encode(&body.to_cbor()),
            "issuer_tbs_hex": hex::encode(&credential_tbs(&kid, &body)),
            "issuer_signature_hex": hex::encode(&cred_sign1.signature),
            "token_payload_hex": hex::encode(&token_payload),
            "device_tbs_hex": hex::encode(&token_tbs(&credential, &token_payload)),
            "device_signature_hex": hex::encode(&token_sign1.signature),
            "payload_hex": hex::encode(&wire),
            "payload_text": Payload::parse(&wire).unwrap().text(),
            "payload_bytes": wire.len(),
            "qr_version_ecc_m": qr,
            "verdict": verdict,
        }
    })
}

/// The CBOR bytes that open every credential payload here: map(7), 1: 1 (version), 2: 1 (issuer),
/// 3: bstr(33) — the tamper case flips a byte right after the device key's header.
fn body_prefix() -> Vec<u8> {
    vec![0xA7, 0x01, 0x01, 0x02, 0x01, 0x03, 0x58, 0x21]
}

#[test]
fn vectors_match_the_code() {
    let keys = keys();
    for case in cases() {
        let path = dir().join(format!("{}.json", case.name));
        let stored: Option<serde_json::Value> = if update() || !path.exists() {
            None
        } else {
            Some(serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap())
        };
        let built = build(&case, &keys, stored.as_ref());
        assert_eq!(
            built["expected"]["verdict"], case.expected,
            "{}: verdict",
            case.name
        );
        match stored {
            Some(s) => assert_eq!(
                s, built,
                "{}: the code no longer produces the stored vector",
                case.name
            ),
            None => {
                std::fs::write(&path, serde_json::to_string_pretty(&built).unwrap() + "\n")
                    .unwrap();
            }
        }
    }
}
