//! Where real My Number cards and phones are less kind than a lenient software card: a blocked
//! PIN answered `69 84`, no current EF after a read by short identifier, a basic-four record
//! longer than one short read with a sex code nobody documented, a card that refuses extended
//! APDUs the reader offers, and a transport with its own maximum.
#![allow(clippy::unwrap_used)]

mod common;

use common::{card, ext};
use techo_core::card::{CardError, CardSession, CardTransport, LastTry, Pin, Sex, TraceEntry};
use techo_sim::SimOptions;

fn pin(s: &str) -> Pin {
    Pin::parse(s).unwrap()
}

fn sw(answer: &[u8]) -> u16 {
    u16::from_be_bytes([answer[answer.len() - 2], answer[answer.len() - 1]])
}

const CHALLENGE: &[u8] = b"a portal challenge";

/// READ BINARY commands in a trace.
fn read_binaries(trace: &[TraceEntry]) -> usize {
    trace
        .iter()
        .filter(|t| t.command.starts_with("00B0"))
        .count()
}

fn reader(extended: bool) -> SimOptions {
    SimOptions {
        extended,
        ..SimOptions::default()
    }
}

#[test]
fn a_pin_blocked_with_6984_is_blocked_not_try_again() {
    let dir = tempfile::tempdir().unwrap();
    for extended in [true, false] {
        let opts = reader(extended);
        let mut c = card("ito-blocked", &dir.path().join("s"), opts.clone());
        // The card itself answers 69 84, as real cards were seen to.
        for apdu in [
            &[
                0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00,
                0x01,
            ][..],
            &[0x00, 0x20, 0x00, 0x98],
        ] {
            let answer = c.transmit(apdu).unwrap();
            if apdu[1] == 0x20 {
                assert_eq!(sw(&answer), 0x6984);
            }
        }
        let mut c = card("ito-blocked", &dir.path().join("s"), opts);
        let mut s = CardSession::new(&mut c);
        assert_eq!(s.status().unwrap().tries_left, 0);
        let err = s
            .linkage_read(&pin("1111"), CHALLENGE, LastTry::Confirmed)
            .unwrap_err();
        assert_eq!(err, CardError::PinBlocked);
        assert!(err.to_string().contains("municipal office"), "{err}");
        assert!(
            !s.trace().iter().any(|t| t.command.contains("**")),
            "no PIN is sent to a blocked card"
        );
    }
}

#[test]
fn a_strict_card_keeps_no_current_ef_after_a_read_by_short_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let select_jpki = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];
    let by_sfi = [0x00, 0xB0, 0x8A, 0x00, 0x00];
    let by_offset = [0x00, 0xB0, 0x01, 0x00, 0x00];
    // yamada is strict (the default); tanaka-long-record is configured as ISO allows.
    for (name, offset_sw) in [("yamada", 0x6986), ("tanaka-long-record", 0x9000)] {
        let mut c = card(name, &dir.path().join(name), SimOptions::default());
        assert_eq!(sw(&c.transmit(&select_jpki).unwrap()), 0x9000);
        assert_eq!(sw(&c.transmit(&by_sfi).unwrap()), 0x9000);
        assert_eq!(sw(&c.transmit(&by_offset).unwrap()), offset_sw, "{name}");
    }
    // The driver reads both the same way and gets the whole certificate.
    for name in ["yamada", "tanaka-long-record"] {
        let mut c = card(name, &dir.path().join(name), SimOptions::default());
        let reference = c.profile().certificate.clone();
        let status = CardSession::new(&mut c).status().unwrap();
        assert_eq!(status.certificate, reference, "{name}");
    }
}

#[test]
fn a_long_basic_four_record_is_read_whole_and_an_unknown_sex_code_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    for extended in [false, true] {
        let opts = reader(extended);
        let mut c = card("tanaka-long-record", &dir.path().join("s"), opts);
        let record_len = c.profile().basic_four_record.len();
        assert!(
            record_len > 256,
            "the fixture needs more than one short read"
        );
        let expected = c.profile().basic_four.address.clone();
        let mut s = CardSession::new(&mut c);
        let facts = s.basic_four(&pin("4321"), LastTry::Refuse).unwrap();
        assert_eq!(facts.address, expected);
        assert_eq!(facts.sex, Sex::Unknown);
        assert_eq!(facts.sex.label(techo_core::Lang::Ja), "不明");
        let reads = read_binaries(s.trace());
        assert_eq!(
            reads,
            if extended {
                1
            } else {
                record_len.div_ceil(256)
            }
        );
    }
}

#[test]
fn a_card_that_refuses_extended_length_is_read_with_short_apdus() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SimOptions {
        extended: true,
        card_refuses_extended: true,
        ..SimOptions::default()
    };
    let mut c = card("yamada", &dir.path().join("s"), opts);
    let reference = c.profile().certificate.clone();
    let mut s = CardSession::new(&mut c);
    let proof = s
        .linkage_read(&pin("1234"), CHALLENGE, LastTry::Refuse)
        .unwrap();
    assert_eq!(proof.certificate, reference);
    let trace = s.trace();
    assert_eq!(trace[1].command, "00B08A00000000");
    assert_eq!(
        trace[1].sw.map(techo_core::card::StatusWord::to_u16),
        Some(0x6700)
    );
    assert_eq!(trace[2].command, "00B08A0000", "the same read, short");
    assert!(!s.extended(), "short from then on");
    assert_eq!(proof.apdus, 14, "one refused APDU more than the short path");
    assert_eq!(c.auth_tries_left(), 3);
}

#[test]
fn the_transport_maximum_bounds_every_apdu() {
    let dir = tempfile::tempdir().unwrap();
    for max in [261, 600, 1_024] {
        let opts = SimOptions {
            max_transceive: Some(max),
            ..ext()
        };
        let mut c = card("yamada", &dir.path().join("s"), opts);
        let reference = c.profile().certificate.clone();
        let mut s = CardSession::new(&mut c);
        let proof = s
            .linkage_read(&pin("1234"), CHALLENGE, LastTry::Refuse)
            .unwrap();
        assert_eq!(proof.certificate, reference, "max {max}");
        for t in s.trace() {
            assert!(t.response_len <= max, "max {max}: {t:?}");
            assert!(t.command.len() / 2 <= max, "max {max}: {t:?}");
        }
        let reads = read_binaries(s.trace());
        assert_eq!(reads, reference.len().div_ceil(max - 2), "max {max}");
    }
}

#[test]
fn every_test_certificate_is_as_large_as_a_real_one() {
    let cards = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards");
    let mut seen = 0;
    for entry in std::fs::read_dir(cards).unwrap() {
        let dir = entry.unwrap().path();
        for file in ["auth.crt.der", "sign.crt.der"] {
            if let Ok(der) = std::fs::read(dir.join(file)) {
                assert!(
                    (1_500..=1_800).contains(&der.len()),
                    "{}/{file}: {} bytes",
                    dir.display(),
                    der.len()
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 9, "{seen} certificates");
}
