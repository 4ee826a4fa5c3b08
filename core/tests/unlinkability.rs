//! What an operator learns across presentations: two counter presentations of one handbook, at
//! two places minutes apart, carry different credentials; nothing in them is stable for the
//! holder except the facts shown (which every holder of that kind and class shares) and the
//! batch's validity dates.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::{at, fixture, keys};
use std::sync::Arc;
use techo_core::token::{ClaimId, DevIssuer, Policy, StatusList, TrustList, verify};
use techo_core::{Clock, FixedClock, Wallet};

/// The longest run of bytes two payloads share.
fn longest_common_run(a: &[u8], b: &[u8]) -> (usize, Vec<u8>) {
    let mut best = 0;
    let mut end = 0;
    let mut prev = vec![0usize; b.len() + 1];
    for x in a {
        let mut row = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            if x == y {
                row[j + 1] = prev[j] + 1;
                if row[j + 1] > best {
                    best = row[j + 1];
                    end = j + 1;
                }
            }
        }
        prev = row;
    }
    (best, b[end - best..end].to_vec())
}

#[test]
fn presentations_at_two_operators_share_nothing_to_join_on() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(at("2026-11-26T01:00:00Z")));
    let wallet = Wallet::open(dir.path(), &keys(), clock.clone()).unwrap();
    let (draft, photo) = fixture("01-");
    let hb = wallet.add(&draft, photo.as_deref()).unwrap();
    let mut issuer = DevIssuer::create(&dir.path().join("issuer")).unwrap();
    wallet
        .issue_for_development(&hb.id, &mut issuer, 8)
        .unwrap();
    let now = clock.now();
    let trust = TrustList::from_signed(&issuer.signed_trust_list(now), &issuer.root_public(), None)
        .unwrap();
    let status = vec![StatusList::from_signed(&issuer.signed_status_list(now), &trust).unwrap()];

    // The station gate, then the museum four minutes later.
    let (_, at_gate) = wallet.present(None, &ClaimId::COUNTER, None).unwrap();
    clock.set(now + Duration::minutes(4) + Duration::seconds(30));
    let (_, at_museum) = wallet.present(None, &ClaimId::COUNTER, None).unwrap();
    let gate = verify(&at_gate.binary(), &trust, &status, now, &Policy::default()).unwrap();
    let museum = verify(
        &at_museum.binary(),
        &trust,
        &status,
        clock.now(),
        &Policy::default(),
    )
    .unwrap();

    // What the holder chose to show is the same; everything tied to the holder is not.
    assert_eq!(gate.claims, museum.claims);
    assert_ne!(gate.device_key, museum.device_key);
    assert_ne!(gate.status.index, museum.status.index);
    assert_ne!(gate.step, museum.step);
    // Shared by everyone the issuer served: the issuer and its key id.
    assert_eq!((gate.issuer_id, &gate.kid), (museum.issuer_id, &museum.kid));
    // Shared by the batch (everyone linked that day): the validity dates. Noted in the threat
    // model; the anonymity set is every holder linked on the same day.
    assert_eq!(
        (gate.valid_from, gate.valid_until),
        (museum.valid_from, museum.valid_until)
    );

    // Byte for byte: the two payloads open alike (the `TK1` envelope, the COSE header with the
    // issuer's key id, the credential's first fields: 22 bytes, the same for every holder);
    // after that, no salt (16 bytes), key (33) or signature (64) in common.
    let (a, b) = (at_gate.binary(), at_museum.binary());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    assert!(prefix <= 24, "a common opening of {prefix} bytes");
    let (common_run, bytes) = longest_common_run(&a[prefix..], &b[prefix..]);
    assert!(
        common_run < 16,
        "the payloads share a run of {common_run} bytes: {}",
        techo_core::hex::encode(&bytes)
    );
}
