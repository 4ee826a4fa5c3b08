//! Linking with the smartphone certificate (スマホ用電子証明書) instead of the card: the same
//! preparation, consent and credentials, the proof from the phone's secure element after the
//! phone's own authentication (simulated: `techo_sim::SmartphoneCertificate`).
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, repo, world};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use techo_core::card::CardError;
use techo_core::linkage::LinkError;
use techo_core::model::LinkageState;
use techo_sim::SmartphoneCertificate;

const DAYTIME: &str = "2026-11-25T03:00:00Z";

#[tokio::test(flavor = "multi_thread")]
async fn the_smartphone_certificate_links_like_the_card_and_a_cancelled_check_sends_nothing() {
    let w = world(DAYTIME).await;
    let accept = Arc::new(AtomicBool::new(false));
    let answer = Arc::clone(&accept);
    let mut phone = SmartphoneCertificate::load(
        &repo("fixtures/cards/yamada-smartphone"),
        Box::new(move || answer.load(Ordering::SeqCst)),
    )
    .unwrap();

    // The holder cancels the phone's authentication: a typed error, nothing signed, the
    // handbook as it was.
    let err = w
        .wallet
        .link_with_signer(&w.client, &w.handbook, &mut phone, &World::options())
        .await
        .unwrap_err();
    assert!(
        matches!(err, LinkError::Card(CardError::NotAuthenticated)),
        "{err:?}"
    );
    assert!(err.to_string().contains("try again"), "{err}");
    assert_eq!(phone.signatures(), 0);
    assert_eq!(
        w.wallet.get(&w.handbook).unwrap().linkage,
        LinkageState::Unlinked
    );

    accept.store(true, Ordering::SeqCst);
    let state = w
        .wallet
        .link_with_signer(&w.client, &w.handbook, &mut phone, &World::options())
        .await
        .unwrap();
    assert!(state.is_linked(), "{state:?}");
    assert_eq!(phone.signatures(), 1);
    let hb = w.wallet.get(&w.handbook).unwrap();
    assert_eq!(
        hb.number, "12345",
        "the portal's record for the same person"
    );
}
