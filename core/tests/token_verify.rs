//! Every verifier outcome, the time rules, exhaustive tampering and property tests.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::{World, world};
use proptest::prelude::*;
use techo_core::token::*;

fn counter(w: &World) -> Vec<u8> {
    present(&w.held[0], &w.device, w.now, &ClaimId::COUNTER, None)
        .unwrap()
        .binary()
}

fn check(w: &World, payload: &[u8]) -> Result<VerifiedPresentation, VerifyError> {
    verify(
        payload,
        &w.trust,
        &vec![w.status.clone()],
        w.now,
        &Policy::default(),
    )
}

#[test]
fn a_fresh_counter_presentation_is_accepted() {
    let w = world();
    let v = check(&w, &counter(&w)).unwrap();
    assert_eq!(v.profile, Profile::Counter);
    assert_eq!(
        v.claims.kind,
        Some(techo_core::model::HandbookKind::Physical)
    );
    assert_eq!(v.claims.linkage, Some(LinkageKind::Unlinked));
    assert_eq!(v.issuer_name, "Techo dev issuer");
    assert_eq!(v.device_key, w.device.public().compressed());
}

#[test]
fn screenshots_go_stale_within_a_minute() {
    let w = world();
    let p = counter(&w);
    let policy = Policy::default();
    let status = vec![w.status.clone()];
    // Accepted through the end of the next step (at most 60 s after it was made).
    let step_start = time::step_start(time::step_of(w.now));
    for secs in [0, 29, 59] {
        assert!(
            verify(
                &p,
                &w.trust,
                &status,
                step_start + Duration::seconds(secs),
                &policy
            )
            .is_ok(),
            "{secs}"
        );
    }
    let err = verify(
        &p,
        &w.trust,
        &status,
        step_start + Duration::seconds(60),
        &policy,
    )
    .unwrap_err();
    assert!(matches!(err, VerifyError::StaleScreen(60)), "{err}");
    assert!(err.to_string().contains("screenshot"));
    // A phone clock far ahead.
    let early = verify(
        &p,
        &w.trust,
        &status,
        step_start - Duration::seconds(31),
        &policy,
    )
    .unwrap_err();
    assert!(matches!(early, VerifyError::ClockAhead(_)), "{early}");
    // Wider skew for a verifier that tolerates more.
    let lax = Policy {
        skew_steps: 4,
        ..Policy::default()
    };
    assert!(
        verify(
            &p,
            &w.trust,
            &status,
            step_start + Duration::seconds(140),
            &lax
        )
        .is_ok()
    );
}

#[test]
fn credential_validity_is_inclusive_in_japan_time() {
    let w = world();
    // not_after is 2026-12-10 JST; present on its last minute, verify within the step.
    let last = common::at("2026-12-10T14:59:40Z");
    let p = present(&w.held[0], &w.device, last, &ClaimId::COUNTER, None)
        .unwrap()
        .binary();
    let mut status = w.status.clone();
    status.issued_at = last;
    assert!(
        verify(
            &p,
            &w.trust,
            &vec![status.clone()],
            last,
            &Policy::default()
        )
        .is_ok()
    );
    let after = common::at("2026-12-10T15:00:05Z");
    let err = verify(&p, &w.trust, &vec![status], after, &Policy::default()).unwrap_err();
    assert!(
        matches!(err, VerifyError::CredentialExpired(d) if d.to_string() == "2026-12-10"),
        "{err}"
    );
    let before = common::at("2026-11-19T14:59:59Z");
    assert!(matches!(
        present(&w.held[0], &w.device, before, &ClaimId::COUNTER, None),
        Err(PresentError::NothingToPresent(_))
    ));
}

#[test]
fn another_phone_cannot_present_the_credential() {
    let w = world();
    let thief = SoftwareKey::generate();
    assert!(matches!(
        present(&w.held[0], &thief, w.now, &ClaimId::COUNTER, None),
        Err(PresentError::KeyMismatch)
    ));
    // Forge it anyway: copy the credential, sign the token with another key.
    let mut held = w.held[0].clone();
    held.device_public = thief.public().compressed().to_vec();
    let p = present(&held, &thief, w.now, &ClaimId::COUNTER, None)
        .unwrap()
        .binary();
    assert_eq!(check(&w, &p).unwrap_err(), VerifyError::NotBoundToDevice);
}

#[test]
fn revoked_suspended_and_stale_status() {
    let w = world();
    let p = counter(&w);
    let mut status = w.status.clone();
    status.set(w.held[0].status.index, Status::Revoked);
    assert_eq!(
        verify(
            &p,
            &w.trust,
            &vec![status.clone()],
            w.now,
            &Policy::default()
        ),
        Err(VerifyError::Revoked)
    );
    status.set(w.held[0].status.index, Status::Suspended);
    assert_eq!(
        verify(
            &p,
            &w.trust,
            &vec![status.clone()],
            w.now,
            &Policy::default()
        ),
        Err(VerifyError::Suspended)
    );
    status.set(w.held[0].status.index, Status::Valid);
    status.issued_at = w.now - Duration::hours(25);
    let err = verify(
        &p,
        &w.trust,
        &vec![status.clone()],
        w.now,
        &Policy::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        VerifyError::StatusListTooOld {
            hours: 25,
            limit_hours: 24
        }
    );
    let week = Policy {
        max_status_age: Duration::days(7),
        ..Policy::default()
    };
    assert!(verify(&p, &w.trust, &vec![status], w.now, &week).is_ok());
    let none: Vec<StatusList> = Vec::new();
    assert_eq!(
        verify(&p, &w.trust, &none, w.now, &Policy::default()),
        Err(VerifyError::StatusListMissing(1))
    );
}

#[test]
fn unknown_issuer_and_expired_issuer_key() {
    let w = world();
    let p = counter(&w);
    let mut trust = w.trust.clone();
    trust.issuers[0].kid = vec![9];
    assert!(matches!(
        verify(
            &p,
            &trust,
            &vec![w.status.clone()],
            w.now,
            &Policy::default()
        ),
        Err(VerifyError::UnknownIssuer { .. })
    ));
    let mut trust = w.trust.clone();
    trust.issuers[0].not_after = w.now - Duration::seconds(1);
    assert!(matches!(
        verify(
            &p,
            &trust,
            &vec![w.status.clone()],
            w.now,
            &Policy::default()
        ),
        Err(VerifyError::IssuerKeyNotValid { .. })
    ));
    // Another key under the same kid: the issuer signature fails.
    let mut trust = w.trust.clone();
    trust.issuers[0].key = SoftwareKey::generate().public();
    assert_eq!(
        verify(
            &p,
            &trust,
            &vec![w.status.clone()],
            w.now,
            &Policy::default()
        ),
        Err(VerifyError::BadIssuerSignature)
    );
}

#[test]
fn challenges_bind_a_presentation_to_one_site() {
    let w = world();
    let challenge = Challenge {
        nonce: vec![7; 16],
        audience: "https://booking.example".into(),
    };
    let p = present(
        &w.held[0],
        &w.device,
        w.now,
        &ClaimId::COUNTER,
        Some(&challenge),
    )
    .unwrap()
    .binary();
    let status = vec![w.status.clone()];
    let site = Policy {
        challenge: Some(challenge.clone()),
        ..Policy::default()
    };
    assert_eq!(
        verify(&p, &w.trust, &status, w.now, &site)
            .unwrap()
            .challenge,
        Some(challenge.clone())
    );
    let other = Policy {
        challenge: Some(Challenge {
            audience: "https://other.example".into(),
            ..challenge
        }),
        ..Policy::default()
    };
    assert_eq!(
        verify(&p, &w.trust, &status, w.now, &other),
        Err(VerifyError::WrongChallenge)
    );
    assert_eq!(
        verify(&counter(&w), &w.trust, &status, w.now, &site),
        Err(VerifyError::ChallengeMissing)
    );
}

#[test]
fn a_disclosure_cannot_be_swapped_between_credentials() {
    let w = world();
    // A second credential pair for the same device with different facts (a 第2種 handbook).
    let (draft, photo) = common::fixture("02-");
    let hb = draft.validate(photo.as_deref(), w.now).unwrap();
    let claims = HandbookClaims::from_handbook(&hb);
    let pk = w.device.public();
    let other = w
        .issuer
        .issue(&IssueRequest {
            claims: &claims,
            device_key: &pk,
            device_alias: "dev-1",
            not_before: w.held[0].not_before,
            not_after: w.held[0].not_after,
            status: w.held[0].status,
        })
        .unwrap();
    // The holder pairs the 第1種 credential with the 第2種 salt and values.
    let mut forged = w.held[0].clone();
    forged.disclosures = other[0].disclosures.clone();
    let p = present(&forged, &w.device, w.now, &ClaimId::COUNTER, None)
        .unwrap()
        .binary();
    assert_eq!(check(&w, &p).unwrap_err(), VerifyError::DisclosureMismatch);
}

#[test]
fn prefixes_versions_and_text_form() {
    let w = world();
    let payload = present(&w.held[0], &w.device, w.now, &ClaimId::COUNTER, None).unwrap();
    assert!(check(&w, payload.text().as_bytes()).is_ok());
    assert!(check(&w, format!("  {}\n", payload.text()).as_bytes()).is_ok());
    assert_eq!(check(&w, b"hello"), Err(VerifyError::NotTecho));
    assert_eq!(
        check(&w, b"TK2:ABC"),
        Err(VerifyError::UnsupportedVersion("2".into()))
    );
    let mut bad_text = payload.text();
    bad_text.push('a');
    assert!(matches!(
        check(&w, bad_text.as_bytes()),
        Err(VerifyError::Malformed { .. })
    ));
    let mut trailing = payload.binary();
    trailing.push(0);
    assert!(matches!(
        check(&w, &trailing),
        Err(VerifyError::Malformed {
            what: "bytes after the display token",
            ..
        })
    ));
}

#[test]
fn every_single_byte_change_and_truncation_is_rejected() {
    let w = world();
    let good = counter(&w);
    let status = vec![w.status.clone()];
    let policy = Policy::default();
    let mut checked = 0;
    for i in 0..good.len() {
        for delta in [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF] {
            let mut bad = good.clone();
            bad[i] ^= delta;
            // Changing the prefix's letter case is the one change that keeps the same meaning.
            if i < 2 && bad[i].eq_ignore_ascii_case(&good[i]) {
                continue;
            }
            let r = std::panic::catch_unwind(|| verify(&bad, &w.trust, &status, w.now, &policy));
            let r = r.unwrap_or_else(|_| panic!("panic at byte {i} xor {delta:#x}"));
            assert!(r.is_err(), "byte {i} xor {delta:#x} was accepted");
            checked += 1;
        }
    }
    for len in 0..good.len() {
        assert!(
            verify(&good[..len], &w.trust, &status, w.now, &policy).is_err(),
            "truncated to {len}"
        );
    }
    assert!(checked >= good.len() * 8);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn verify_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600), prefix in any::<bool>()) {
        let w = world_cached();
        let mut input = if prefix { b"TK1".to_vec() } else { Vec::new() };
        input.extend(bytes);
        prop_assert!(verify(&input, &w.trust, &vec![w.status.clone()], w.now, &Policy::default()).is_err());
    }

    #[test]
    fn any_valid_claims_round_trip(
        grade in 1u8..=6,
        first in any::<bool>(),
        linkage in 0u8..3,
        disclose in proptest::sample::subsequence(ClaimId::ALL.to_vec(), 1..=8),
    ) {
        let w = world_cached();
        let mut claims = HandbookClaims::from_handbook(&common::fixture_handbook("01-", w.now));
        claims.grade = format!("{grade}級");
        claims.fare_class = if first { techo_core::model::FareClass::First } else { techo_core::model::FareClass::Second };
        claims.caregiver = first;
        claims.linkage = [LinkageKind::Unlinked, LinkageKind::Pending, LinkageKind::Linked][usize::from(linkage)];
        let pk = w.device.public();
        let held = w.issuer.issue(&IssueRequest {
            claims: &claims, device_key: &pk, device_alias: "p", not_before: w.held[0].not_before,
            not_after: w.held[0].not_after, status: w.held[0].status,
        }).unwrap();
        let p = present(&held[1], &w.device, w.now, &disclose, None).unwrap();
        let v = verify(&p.binary(), &w.trust, &vec![w.status.clone()], w.now, &Policy::default()).unwrap();
        for id in &disclose {
            match id {
                ClaimId::Grade => prop_assert_eq!(v.claims.grade.clone(), Some(claims.grade.clone())),
                ClaimId::FareClass => prop_assert_eq!(v.claims.fare_class, Some(claims.fare_class)),
                ClaimId::Caregiver => prop_assert_eq!(v.claims.caregiver, Some(claims.caregiver)),
                ClaimId::Linkage => prop_assert_eq!(v.claims.linkage, Some(claims.linkage)),
                ClaimId::Kind => prop_assert_eq!(v.claims.kind, Some(claims.kind)),
                ClaimId::Municipality => prop_assert_eq!(v.claims.municipality.clone(), Some(claims.municipality.clone())),
                ClaimId::Expiry => prop_assert_eq!(v.claims.expiry, Some(claims.expiry)),
                ClaimId::Photo => prop_assert_eq!(v.claims.photo, Some(claims.photo)),
            }
        }
        let undisclosed = ClaimId::ALL.iter().filter(|c| !disclose.contains(c)).count();
        let hidden = [v.claims.kind.is_none(), v.claims.grade.is_none(), v.claims.fare_class.is_none(), v.claims.caregiver.is_none(),
            v.claims.municipality.is_none(), v.claims.expiry.is_none(), v.claims.linkage.is_none(), v.claims.photo.is_none()];
        prop_assert_eq!(hidden.iter().filter(|h| **h).count(), undisclosed);
    }
}

fn world_cached() -> &'static World {
    static W: std::sync::OnceLock<World> = std::sync::OnceLock::new();
    W.get_or_init(world)
}

#[test]
fn binary_payloads_are_not_trimmed() {
    // A signature may end in 0x20 or 0x0a; binary payloads are taken byte for byte.
    let w = world();
    for _ in 0..300 {
        let p = counter(&w);
        check(&w, &p).unwrap();
    }
}
