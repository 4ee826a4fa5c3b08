//! A verifier fed an older list than the one it holds: the trust list is refused outright (its
//! sequence only goes up); a status list is judged by its age, so an old one cannot hide a
//! revocation for longer than the verifier's policy allows.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::world;
use techo_core::token::{ClaimId, Policy, StatusList, TrustList, VerifyError, verify};

#[test]
fn an_older_trust_list_is_refused_and_an_old_status_list_expires() {
    let w = world();
    let mut newer = w.trust.clone();
    newer.sequence = 7;
    let signed_newer = newer.sign(&w.root, b"R1");
    let held = TrustList::from_signed(&signed_newer, &w.root.public(), None).unwrap();
    let signed_older = w.trust.sign(&w.root, b"R1");
    let err =
        TrustList::from_signed(&signed_older, &w.root.public(), Some(held.sequence)).unwrap_err();
    assert!(err.to_string().contains("rollback"), "{err}");

    // A status list issued a day and a half ago (before a revocation, say) is too old to trust.
    let stale = StatusList::new(1, 1, 65_536, w.now - Duration::hours(36), 86_400);
    let payload =
        techo_core::token::present::present(&w.held[0], &w.device, w.now, &ClaimId::COUNTER, None)
            .unwrap();
    let err = verify(
        &payload.binary(),
        &w.trust,
        &vec![stale],
        w.now,
        &Policy::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, VerifyError::StatusListTooOld { .. }),
        "{err:?}"
    );
}
