//! The card-held time of a linkage read (issue 28): the modelled time for the extended and
//! short paths (1.7 KB certificate, docs/card.md "Card-held time"), and the driver's own cost
//! measured against the software card, as a ratio to the RSA signature the card makes.
//!
//! `cargo bench -p techo-sim --bench card_tap`
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;
use techo_core::card::{CardSession, LastTry, Pin, TapModel};
use techo_sim::{SimOptions, SoftCard};

fn card(extended: bool) -> SoftCard {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards/yamada");
    SoftCard::open(
        &dir,
        None,
        SimOptions {
            extended,
            ..SimOptions::default()
        },
    )
    .unwrap()
}

fn read(c: &mut SoftCard, pin: &Pin) -> Vec<techo_core::card::TraceEntry> {
    c.power_up();
    let mut s = CardSession::new(c);
    s.linkage_read(pin, &[7; 32], LastTry::Refuse).unwrap();
    s.trace().to_vec()
}

fn bench(crit: &mut Criterion) {
    let pin = Pin::parse("1234").unwrap();
    let model = TapModel::PHONE_AND_MY_NUMBER_CARD;
    let mut lines = Vec::new();
    for extended in [true, false] {
        let mut c = card(extended);
        let trace = read(&mut c, &pin);
        let held = model.card_held(&trace);
        let sign = trace
            .iter()
            .filter(|t| t.command.starts_with("802A"))
            .map(|t| model.apdu(t))
            .sum::<std::time::Duration>();
        lines.push(format!(
            "{}: {} APDUs, card held {:.0} ms modelled = {:.2} of the 1.0 s goal; the card's signature {:.0} % of it",
            if extended { "extended length" } else { "short APDUs" },
            trace.len(),
            held.as_secs_f64() * 1000.0,
            held.as_secs_f64(),
            sign.as_secs_f64() / held.as_secs_f64() * 100.0
        ));
        let name = if extended {
            "linkage read (extended)"
        } else {
            "linkage read (short)"
        };
        crit.bench_function(name, |b| b.iter(|| black_box(read(&mut c, &pin))));
    }
    for l in lines {
        println!("card-held time: {l}");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
