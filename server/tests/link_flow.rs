//! The link screen's flow against real servers and the software card: purpose first, the PIN
//! typed key by key, progress while the card is read, a second tap ignored, a wrong PIN never
//! retried, the last try only after the holder confirms.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, world};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use techo_core::card::{Capabilities, CardTransport, TransportError};
use techo_core::flows::{LinkFlow, LinkStage, LinkStep};
use techo_core::{Lang, Wallet};
use techo_sim::SoftCard;

const DAYTIME: &str = "2026-11-25T03:00:00Z";

fn flow(w: &World) -> Arc<LinkFlow> {
    let hb = w.wallet.get(&w.handbook).unwrap();
    Arc::new(LinkFlow::new(&hb, Lang::En, World::options()))
}

fn type_pin(flow: &LinkFlow, pin: &str) -> LinkStep {
    let mut step = flow.step();
    for d in pin.bytes() {
        step = flow.press_digit(d - b'0');
    }
    step
}

/// The software card, watched: the flow's step when the first APDU arrives, and what a second
/// tap made during the read returned.
struct Watched<'a> {
    card: SoftCard,
    flow: Arc<LinkFlow>,
    wallet: &'a Wallet,
    client: &'a techo_core::portal::TechoClient,
    at_first_apdu: Arc<Mutex<Option<LinkStep>>>,
    second_tap: Arc<Mutex<Option<LinkStep>>>,
}

impl CardTransport for Watched<'_> {
    fn capabilities(&self) -> Capabilities {
        self.card.capabilities()
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.at_first_apdu.lock().unwrap().is_none() {
            *self.at_first_apdu.lock().unwrap() = Some(self.flow.step());
            // The holder taps the card again while it is being read: ignored at once.
            let mut other = SoftCard::open(
                &common::repo("fixtures/cards/yamada"),
                None,
                techo_sim::SimOptions::default(),
            )
            .unwrap();
            let mut tap = Box::pin(
                self.flow
                    .card_presented(self.wallet, self.client, &mut other),
            );
            let Poll::Ready(step) = tap.as_mut().poll(&mut Context::from_waker(Waker::noop()))
            else {
                panic!("a second tap must not start a second attempt")
            };
            *self.second_tap.lock().unwrap() = Some(step);
        }
        self.card.transmit(apdu)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn purpose_pin_card_progress_linked_and_a_second_tap_ignored() {
    let w = world(DAYTIME).await;
    let f = flow(&w);
    let LinkStep::Purpose { items, lines, .. } = f.step() else {
        panic!("{:?}", f.step())
    };
    assert!(
        items.iter().any(|i| i == "fare discount class"),
        "{items:?}"
    );
    assert!(lines.iter().any(|l| l.contains("nothing is sent")));
    // No card before the PIN: the tap is ignored and nothing is sent.
    let mut early = w.card("yamada");
    assert!(matches!(
        f.card_presented(&w.wallet, &w.client, &mut early).await,
        LinkStep::Purpose { .. }
    ));
    assert!(matches!(
        f.accept_purpose(),
        LinkStep::EnterPin { entered: 0, .. }
    ));
    assert!(matches!(
        f.press_digit(1),
        LinkStep::EnterPin { entered: 1, .. }
    ));
    assert!(matches!(
        f.press_digit(42),
        LinkStep::EnterPin { entered: 1, .. }
    ));
    assert!(matches!(type_pin(&f, "234"), LinkStep::HoldCard { .. }));
    let (first, second) = (Arc::default(), Arc::default());
    let mut card = Watched {
        card: w.card("yamada"),
        flow: f.clone(),
        wallet: &w.wallet,
        client: &w.client,
        at_first_apdu: Arc::clone(&first),
        second_tap: Arc::clone(&second),
    };
    let step = f.card_presented(&w.wallet, &w.client, &mut card).await;
    assert!(matches!(step, LinkStep::Linked { .. }), "{step:?}");
    assert!(matches!(
        first.lock().unwrap().clone(),
        Some(LinkStep::Working {
            stage: LinkStage::ReadingCard,
            ..
        })
    ));
    assert!(matches!(
        second.lock().unwrap().clone(),
        Some(LinkStep::Working { .. })
    ));
    assert!(w.wallet.get(&w.handbook).unwrap().linkage.is_linked());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_pin_costs_one_try_and_the_last_one_needs_confirming() {
    let w = world(DAYTIME).await;
    let f = flow(&w);
    f.accept_purpose();
    type_pin(&f, "0000");
    let mut card = w.card("yamada");
    let step = f.card_presented(&w.wallet, &w.client, &mut card).await;
    let LinkStep::EnterPin {
        tries_left: Some(2),
        entered: 0,
        notice: Some(_),
        ..
    } = step
    else {
        panic!("{step:?}")
    };
    assert_eq!(card.auth_tries_left(), 2, "one try spent, not two");
    type_pin(&f, "0000");
    let mut card = w.card("yamada");
    let step = f.card_presented(&w.wallet, &w.client, &mut card).await;
    assert!(
        matches!(
            step,
            LinkStep::EnterPin {
                tries_left: Some(1),
                ..
            }
        ),
        "{step:?}"
    );
    // One try left: the app refuses to send the PIN until the holder confirms.
    type_pin(&f, "1234");
    let mut card = w.card("yamada");
    let step = f.card_presented(&w.wallet, &w.client, &mut card).await;
    assert!(matches!(step, LinkStep::ConfirmLastTry { .. }), "{step:?}");
    assert_eq!(
        card.auth_tries_left(),
        1,
        "nothing spent without the confirmation"
    );
    assert!(matches!(
        f.confirm_last_try(),
        LinkStep::EnterPin {
            last_try_confirmed: true,
            ..
        }
    ));
    type_pin(&f, "1234");
    let mut card = w.card("yamada");
    let step = f.card_presented(&w.wallet, &w.client, &mut card).await;
    assert!(matches!(step, LinkStep::Linked { .. }), "{step:?}");
    assert_eq!(
        card.auth_tries_left(),
        3,
        "the right PIN resets the counter"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stopping_at_the_purpose_sends_nothing() {
    let w = world(DAYTIME).await;
    let f = flow(&w);
    assert_eq!(f.cancel(), LinkStep::Cancelled);
    assert_eq!(f.accept_purpose(), LinkStep::Cancelled);
    assert!(w.server.state.sessions().await.is_empty());
    assert!(!w.wallet.get(&w.handbook).unwrap().linkage.is_linked());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handbook_without_its_face_photo_is_kept_but_not_linked() {
    let w = world(DAYTIME).await;
    let text = std::fs::read_to_string(common::repo("fixtures/handbooks/02-physical-4-osaka.toml"))
        .unwrap();
    let draft = techo_core::model::HandbookDraft::from_toml(&text).unwrap();
    let hb = w.wallet.add(&draft, None).unwrap();
    let f = LinkFlow::new(&hb, Lang::Ja, World::options());
    let LinkStep::Failed { message, can_retry } = f.step() else {
        panic!("{:?}", f.step())
    };
    assert!(message.contains("顔写真"), "{message}");
    assert!(!can_retry);
    // The wallet itself refuses, before the card or the server is asked anything.
    let mut card = w.card("sato-last-try");
    let err = w
        .wallet
        .link(
            &w.client,
            &hb.id,
            &mut card,
            &techo_core::card::Pin::parse("5678").unwrap(),
            techo_core::card::LastTry::Refuse,
            &World::options(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            techo_core::linkage::LinkError::Wallet(techo_core::WalletError::PhotoRequired)
        ),
        "{err:?}"
    );
    assert_eq!(card.apdus(), 0);
    assert!(w.server.state.sessions().await.is_empty());
    assert_eq!(w.wallet.list().unwrap().len(), 2, "the handbook is kept");
}
