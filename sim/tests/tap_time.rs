//! The card-held time of a linkage read, modelled from its real trace (docs/card.md
//! "Card-held time"): deterministic figures, so the goal (≤ 1.0 s) is checked here and the
//! benchmark (`cargo bench -p techo-sim --bench card_tap`) reports them.
#![allow(clippy::unwrap_used)]

mod common;

use common::card;
use std::time::Duration;
use techo_core::card::{CardSession, LastTry, Pin, TapModel};
use techo_sim::SimOptions;

fn held(extended: bool) -> (Duration, usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = card(
        "yamada",
        &dir.path().join("s"),
        SimOptions {
            extended,
            ..SimOptions::default()
        },
    );
    let mut s = CardSession::new(&mut c);
    s.linkage_read(&Pin::parse("1234").unwrap(), &[7; 32], LastTry::Refuse)
        .unwrap();
    (
        TapModel::PHONE_AND_MY_NUMBER_CARD.card_held(s.trace()),
        s.apdus(),
    )
}

#[test]
fn a_linkage_read_holds_the_card_under_a_second_on_both_paths() {
    for extended in [true, false] {
        let (time, apdus) = held(extended);
        println!(
            "{}: {apdus} APDUs, card held {:.0} ms (modelled)",
            if extended { "extended" } else { "short" },
            time.as_secs_f64() * 1000.0
        );
        assert!(time <= Duration::from_secs(1), "{extended}: {time:?}");
        // Most of it is the card's own RSA signature, not the link.
        assert!(time >= Duration::from_millis(400));
    }
    let (ext, _) = held(true);
    let (short, _) = held(false);
    assert!(short > ext, "short APDUs cost more frames and round trips");
}
