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

/// Types the PIN and lets the flow prepare (keys, session, challenge) before the card.
async fn ready(flow: &LinkFlow, w: &World, pin: &str) -> LinkStep {
    let typed = type_pin(flow, pin);
    assert!(
        matches!(
            typed,
            LinkStep::Working {
                stage: LinkStage::Starting,
                ..
            }
        ),
        "{typed:?}"
    );
    flow.prepare(&w.wallet, &w.client).await
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
    // The fourth digit: the flow gets ready before the card is asked for. A card tapped now is
    // ignored: nothing is prepared yet.
    assert!(matches!(
        type_pin(&f, "234"),
        LinkStep::Working {
            stage: LinkStage::Starting,
            ..
        }
    ));
    let mut early = w.card("yamada");
    assert!(matches!(
        f.card_presented(&w.wallet, &w.client, &mut early).await,
        LinkStep::Working { .. }
    ));
    assert_eq!(early.apdus(), 0);
    assert!(matches!(
        f.prepare(&w.wallet, &w.client).await,
        LinkStep::HoldCard { .. }
    ));
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
    ready(&f, &w, "0000").await;
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
    ready(&f, &w, "0000").await;
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
    ready(&f, &w, "1234").await;
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
    ready(&f, &w, "1234").await;
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
    assert_eq!(f.cancel(&w.wallet), LinkStep::Cancelled);
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

/// Records, at every APDU, how many requests the client had sent.
struct Quiet {
    card: SoftCard,
    client: techo_core::portal::TechoClient,
    requests_at_apdu: Vec<u64>,
}

impl CardTransport for Quiet {
    fn capabilities(&self) -> Capabilities {
        self.card.capabilities()
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.requests_at_apdu.push(self.client.requests_sent());
        self.card.transmit(apdu)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_card_is_held_for_apdus_only_keys_and_network_come_before_and_after() {
    let w = world(DAYTIME).await;
    let f = flow(&w);
    f.accept_purpose();
    let before = w.client.requests_sent();
    assert!(matches!(
        ready(&f, &w, "1234").await,
        LinkStep::HoldCard { .. }
    ));
    let prepared = w.client.requests_sent();
    assert!(
        prepared >= before + 2,
        "session and challenge before the card"
    );
    // The keys exist before the card is asked for: techo-server already holds their public parts.
    let sessions = w.server.state.sessions().await;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].device_keys.len(), World::options().batch);
    let mut card = Quiet {
        card: w.card("yamada"),
        client: w.client.clone(),
        requests_at_apdu: Vec::new(),
    };
    let step = f.card_presented(&w.wallet, &w.client, &mut card).await;
    assert!(matches!(step, LinkStep::Linked { .. }), "{step:?}");
    assert_eq!(card.requests_at_apdu.len(), 6, "the extended-length read");
    assert!(
        card.requests_at_apdu.iter().all(|&n| n == prepared),
        "no request while the card is held: {:?} (prepared at {prepared})",
        card.requests_at_apdu
    );
    assert!(
        w.client.requests_sent() > prepared,
        "consent and code after the card"
    );
    let sessions = w.server.state.sessions().await;
    assert_eq!(
        sessions[0].device_keys.len(),
        World::options().batch,
        "no key made in the window"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_pin_keeps_what_was_prepared_and_cancel_gives_it_up() {
    let w = world(DAYTIME).await;
    let f = flow(&w);
    f.accept_purpose();
    ready(&f, &w, "0000").await;
    let after_prepare = w.client.requests_sent();
    let mut card = w.card("yamada");
    let step = f.card_presented(&w.wallet, &w.client, &mut card).await;
    assert!(matches!(step, LinkStep::EnterPin { .. }), "{step:?}");
    // The second PIN goes to the card with the same keys, session and challenge: no request.
    assert!(matches!(
        ready(&f, &w, "1111").await,
        LinkStep::HoldCard { .. }
    ));
    assert_eq!(w.client.requests_sent(), after_prepare);
    let step = f.card_presented(&w.wallet, &w.client, &mut card).await;
    assert!(matches!(step, LinkStep::EnterPin { .. }), "{step:?}");
    // The holder comes back after four and a half minutes: the challenge is about to expire, so
    // only a new one is fetched (keys and session stay).
    w.clock.advance(chrono::Duration::seconds(270));
    assert!(matches!(
        ready(&f, &w, "2222").await,
        LinkStep::HoldCard { .. }
    ));
    assert_eq!(w.client.requests_sent(), after_prepare + 1);
    assert_eq!(
        w.wallet.get(&w.handbook).unwrap().linkage,
        techo_core::model::LinkageState::Unlinked,
        "the handbook is as it was while the holder is on the PIN screen"
    );
    assert_eq!(f.cancel(&w.wallet), LinkStep::Cancelled);
    assert_eq!(
        w.wallet.get(&w.handbook).unwrap().linkage,
        techo_core::model::LinkageState::Unlinked
    );
    assert_eq!(card.auth_tries_left(), 1);
}

#[tokio::test]
async fn a_reader_closed_without_a_card_wipes_the_pin_and_keeps_what_was_prepared() {
    let w = world(DAYTIME).await;
    let f = flow(&w);
    f.accept_purpose();
    assert!(matches!(
        ready(&f, &w, "1234").await,
        LinkStep::HoldCard { .. }
    ));
    let after_prepare = w.client.requests_sent();
    // The holder closed the phone's NFC sheet (or it timed out): the keypad again, empty.
    match f.reader_closed() {
        LinkStep::EnterPin {
            entered, notice, ..
        } => {
            assert_eq!(entered, 0, "the PIN is not kept once the reader closed");
            assert!(notice.unwrap().contains("no try was used"));
        }
        other => panic!("{other:?}"),
    }
    // Only from "hold the card": elsewhere it changes nothing.
    assert!(matches!(f.reader_closed(), LinkStep::EnterPin { .. }));
    // The PIN again: the same keys, session and challenge, then the card links.
    assert!(matches!(
        ready(&f, &w, "1234").await,
        LinkStep::HoldCard { .. }
    ));
    assert_eq!(w.client.requests_sent(), after_prepare);
    let mut card = w.card("yamada");
    let step = f.card_presented(&w.wallet, &w.client, &mut card).await;
    assert!(matches!(step, LinkStep::Linked { .. }), "{step:?}");
    assert_eq!(card.auth_tries_left(), 3);
}
