//! The card driver against the software card: golden APDUs, APDU counts, removal at every step,
//! PIN safety, certificate checks, and parsers that never panic.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use techo_core::card::*;
use techo_sim::SimOptions;

mod common;

use common::{ca, card, ext};

fn pin(s: &str) -> Pin {
    Pin::parse(s).unwrap()
}

const CHALLENGE: &[u8] = b"portal challenge 0123456789";

fn trust() -> JpkiTrust {
    JpkiTrust::new(vec![ca("ca")]).unwrap()
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 3, 0, 0).unwrap()
}

#[test]
fn golden_linkage_read_extended() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = card("yamada", &dir.path().join("s"), ext());
    let mut s = CardSession::new(&mut c);
    let proof = s
        .linkage_read(&pin("1234"), CHALLENGE, LastTry::Refuse)
        .unwrap();
    let cmds: Vec<&str> = s.trace().iter().map(|t| t.command.as_str()).collect();
    let digest = ring::digest::digest(&ring::digest::SHA256, CHALLENGE);
    let sign = format!(
        "802A008033{}{}00",
        techo_core::hex::encode(&jpki::SHA256_DIGEST_INFO_PREFIX).to_uppercase(),
        techo_core::hex::encode(digest.as_ref()).to_uppercase()
    );
    assert_eq!(
        cmds,
        vec![
            "00A4040C0AD392F000260100000001",
            "00B08A00000000",
            "00200098",
            "0020009804********",
            "00A4020C020017",
            sign.as_str(),
        ]
    );
    assert_eq!(proof.apdus, 6);
    assert_eq!(proof.tries_before, 3);
    let checked = trust().check(&proof.certificate, now()).unwrap();
    checked
        .verify_signature(CHALLENGE, &proof.signature)
        .unwrap();
    println!("linkage read, extended length: {} APDUs", proof.apdus);
}

#[test]
fn golden_linkage_read_short() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = card("yamada", &dir.path().join("s"), SimOptions::default());
    let mut s = CardSession::new(&mut c);
    let proof = s
        .linkage_read(&pin("1234"), CHALLENGE, LastTry::Refuse)
        .unwrap();
    let cmds: Vec<&str> = s.trace().iter().map(|t| t.command.as_str()).collect();
    assert_eq!(
        cmds[1], "00B08A0000",
        "first read by short EF id, 256 bytes"
    );
    // The software card, like a strict real one, does not make the EF current on a read by
    // short identifier: the driver selects it before reading on by offset.
    assert_eq!(cmds[2], "00A4020C02000A", "SELECT EF before the offsets");
    assert!(
        cmds[3].starts_with("00B00100"),
        "then by offset: {}",
        cmds[3]
    );
    let reads = cmds.iter().filter(|c| c.starts_with("00B0")).count();
    let expected_reads = proof.certificate.len().div_ceil(256);
    assert_eq!(reads, expected_reads);
    assert!(
        (1_500..=1_800).contains(&proof.certificate.len()),
        "a certificate of real size: {}",
        proof.certificate.len()
    );
    // SELECT JPKI, 7 READ BINARY, SELECT EF, VERIFY ×2, SELECT key, SIGN (docs/card.md).
    assert_eq!(proof.apdus, 13, "{cmds:?}");
    trust()
        .check(&proof.certificate, now())
        .unwrap()
        .verify_signature(CHALLENGE, &proof.signature)
        .unwrap();
    println!(
        "linkage read, short APDUs: {} APDUs for a {}-byte certificate",
        proof.apdus,
        proof.certificate.len()
    );
}

#[test]
fn get_response_and_wrong_le_paths_read_the_same_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let reference = card("yamada", &dir.path().join("a"), ext())
        .profile()
        .certificate
        .clone();
    for opts in [
        SimOptions {
            t0_get_response: true,
            ..SimOptions::default()
        },
        SimOptions {
            strict_le: true,
            ..SimOptions::default()
        },
        SimOptions {
            strict_le: true,
            extended: true,
            ..SimOptions::default()
        },
    ] {
        let mut c = card("yamada", &dir.path().join("b"), opts.clone());
        let status = CardSession::new(&mut c).status().unwrap();
        assert_eq!(status.certificate, reference, "{opts:?}");
        assert_eq!(status.tries_left, 3);
    }
}

#[test]
fn removal_at_every_apdu_is_clean_and_costs_at_most_one_try() {
    for extended in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let opts = |remove_at| SimOptions {
            extended,
            remove_at,
            ..SimOptions::default()
        };
        for (typed, wrong) in [("1234", false), ("9999", true)] {
            // How many APDUs this attempt takes when nothing goes wrong.
            let total = {
                let mut c = card(
                    "yamada",
                    &dir.path().join(format!("count-{wrong}")),
                    opts(None),
                );
                let mut s = CardSession::new(&mut c);
                let _ = s.linkage_read(&pin(typed), CHALLENGE, LastTry::Refuse);
                s.apdus()
            };
            for n in 1..=total {
                let state = dir.path().join(format!("s-{n}-{wrong}"));
                let mut c = card("yamada", &state, opts(Some(n)));
                let err = CardSession::new(&mut c)
                    .linkage_read(&pin(typed), CHALLENGE, LastTry::Refuse)
                    .unwrap_err();
                assert!(
                    matches!(err, CardError::Removed { .. }),
                    "ext {extended} n {n}: {err}"
                );
                // A fresh tap reads the counter: a right PIN never costs a try, a wrong one at most one.
                let mut again = card("yamada", &state, opts(None));
                let left = CardSession::new(&mut again).status().unwrap().tries_left;
                assert!(
                    left >= if wrong { 2 } else { 3 },
                    "ext {extended} n {n} wrong {wrong}: {left} left"
                );
            }
        }
    }
}

#[test]
fn wrong_pins_count_down_and_the_last_try_needs_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s");
    let attempt = |p: &str, last: LastTry| {
        let mut c = card("yamada", &state, ext());
        let mut s = CardSession::new(&mut c);
        let r = s.linkage_read(&pin(p), CHALLENGE, last);
        let verifies_with_pin = s
            .trace()
            .iter()
            .filter(|t| t.command.starts_with("0020009804"))
            .count();
        (r, verifies_with_pin)
    };
    assert_eq!(
        attempt("0000", LastTry::Refuse).0.unwrap_err(),
        CardError::WrongPin { tries_left: 2 }
    );
    assert_eq!(
        attempt("0000", LastTry::Refuse).0.unwrap_err(),
        CardError::WrongPin { tries_left: 1 }
    );
    let (r, sent) = attempt("0000", LastTry::Refuse);
    assert_eq!(r.unwrap_err(), CardError::LastTryNeedsConfirmation);
    assert_eq!(sent, 0, "no PIN is sent without confirmation");
    // The right PIN on the confirmed last try resets the counter.
    let (r, sent) = attempt("1234", LastTry::Confirmed);
    assert_eq!((r.unwrap().tries_before, sent), (1, 1));
    let mut c = card("yamada", &state, ext());
    assert_eq!(CardSession::new(&mut c).status().unwrap().tries_left, 3);
}

#[test]
fn a_confirmed_wrong_last_try_blocks_and_stays_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s");
    let mut c = card("sato-last-try", &state, ext());
    let err = CardSession::new(&mut c)
        .linkage_read(&pin("0000"), CHALLENGE, LastTry::Confirmed)
        .unwrap_err();
    assert_eq!(err, CardError::PinBlocked);
    assert!(err.to_string().contains("municipal office"));
    let mut c = card("sato-last-try", &state, ext());
    let mut s = CardSession::new(&mut c);
    assert_eq!(
        s.linkage_read(&pin("5678"), CHALLENGE, LastTry::Confirmed)
            .unwrap_err(),
        CardError::PinBlocked
    );
    assert!(
        s.trace()
            .iter()
            .all(|t| !t.command.starts_with("0020009804")),
        "no PIN sent to a blocked card"
    );
    let mut c = card("ito-blocked", &dir.path().join("i"), ext());
    assert_eq!(CardSession::new(&mut c).status().unwrap().tries_left, 0);
}

#[test]
fn basic_four_facts() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = card("yamada", &dir.path().join("s"), SimOptions::default());
    let facts = CardSession::new(&mut c)
        .basic_four(&pin("1234"), LastTry::Refuse)
        .unwrap();
    assert_eq!(facts.name, "山田 太郎");
    assert_eq!(facts.birth_date.to_string(), "1979-07-20");
    assert_eq!(facts.sex, Sex::Male);
    let mut c = card("yamada", &dir.path().join("s2"), SimOptions::default());
    let err = CardSession::new(&mut c)
        .basic_four(&pin("4321"), LastTry::Refuse)
        .unwrap_err();
    assert_eq!(err, CardError::WrongPin { tries_left: 2 });
}

#[test]
fn certificate_checks() {
    let dir = tempfile::tempdir().unwrap();
    let read = |name: &str| {
        let mut c = card(name, &dir.path().join(name), ext());
        CardSession::new(&mut c).status().unwrap().certificate
    };
    let t = trust();
    let ok = t.check(&read("yamada"), now()).unwrap();
    assert!(ok.subject.contains("TEST-1001"), "{}", ok.subject);
    assert!(matches!(
        t.check(&read("old-cert"), now()),
        Err(cert::CertError::Expired(_))
    ));
    assert!(matches!(
        t.check(&read("rogue"), now()),
        Err(cert::CertError::UnknownIssuer(_))
    ));
    let mut forged = read("yamada");
    let n = forged.len();
    forged[n - 10] ^= 1;
    assert_eq!(t.check(&forged, now()), Err(cert::CertError::BadSignature));
    assert!(t.check(&forged[..100], now()).is_err());
    assert!(
        ok.verify_signature(b"another challenge", &[0; 256])
            .is_err()
    );
}

#[test]
fn garbage_and_unexpected_status_words_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    for n in 1..=6 {
        let mut c = card(
            "yamada",
            &dir.path().join(format!("g{n}")),
            SimOptions {
                extended: true,
                garbage_at: Some(n),
                ..SimOptions::default()
            },
        );
        let r = CardSession::new(&mut c).linkage_read(&pin("1234"), CHALLENGE, LastTry::Refuse);
        assert!(r.is_err(), "garbage at {n} accepted");
        let mut c = card(
            "yamada",
            &dir.path().join(format!("w{n}")),
            SimOptions {
                extended: true,
                status_at: Some((n, 0x6F00)),
                ..SimOptions::default()
            },
        );
        let err = CardSession::new(&mut c)
            .linkage_read(&pin("1234"), CHALLENGE, LastTry::Refuse)
            .unwrap_err();
        assert!(
            matches!(err, CardError::Status { .. } | CardError::Malformed(_)),
            "status at {n}: {err}"
        );
    }
    // Not a My Number card at all.
    let mut c = card(
        "yamada",
        &dir.path().join("nf"),
        SimOptions {
            extended: true,
            status_at: Some((1, 0x6A82)),
            ..SimOptions::default()
        },
    );
    assert_eq!(
        CardSession::new(&mut c).status().unwrap_err(),
        CardError::NotMyNumberCard("JPKI")
    );
}

/// A transport that answers with whatever bytes it is given.
struct Scripted(Vec<Vec<u8>>);

impl CardTransport for Scripted {
    fn capabilities(&self) -> Capabilities {
        Capabilities::EXTENDED
    }
    fn transmit(&mut self, _apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.0.is_empty() {
            Err(TransportError::Removed)
        } else {
            Ok(self.0.remove(0))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn response_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Response::parse(&bytes);
        let _ = BasicFour::parse(&bytes);
    }

    #[test]
    fn the_driver_never_panics_on_arbitrary_card_answers(
        answers in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..12)
    ) {
        let mut t = Scripted(answers);
        let mut s = CardSession::new(&mut t);
        let _ = s.linkage_read(&pin("1234"), CHALLENGE, LastTry::Refuse);
    }
}

/// Found by an outside tester: a damaged state file gave the software card fresh PIN counters.
/// Now the card refuses to open (a real card's counters cannot be wiped), and a file claiming
/// more tries than the card starts with is held to its start.
#[test]
fn a_damaged_counter_file_never_resets_the_pin_counters() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("yamada.json");
    {
        let mut c = card("yamada", &state, ext());
        let mut session = CardSession::new(&mut c);
        let err = session
            .linkage_read(&Pin::parse("9999").unwrap(), &[7; 32], LastTry::Refuse)
            .unwrap_err();
        assert!(matches!(err, CardError::WrongPin { .. }), "{err}");
    }
    assert_eq!(card("yamada", &state, ext()).auth_tries_left(), 2);
    for damage in [b"{\"auth_tries\": 3".to_vec(), vec![0xFF; 40], Vec::new()] {
        std::fs::write(&state, &damage).unwrap();
        let err = techo_sim::SoftCard::open(&common::card_dir("yamada"), Some(&state), ext())
            .unwrap_err();
        assert!(
            matches!(err, techo_sim::ProfileError::DamagedState { .. }),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&state).unwrap(),
            damage,
            "the file is left for repair"
        );
    }
    std::fs::write(
        &state,
        br#"{"auth_tries": 200, "info_tries": 200, "sign_tries": 200}"#,
    )
    .unwrap();
    let c = card("yamada", &state, ext());
    assert!(c.auth_tries_left() <= 3 && c.sign_tries_left() <= 5);
}
