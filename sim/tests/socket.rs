//! The software card in its own process, reached over a loopback socket with the vpcd framing:
//! the same card the Kotlin, Android and Python tests reach through their own transports.
#![allow(clippy::unwrap_used)]

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use techo_core::card::{CardError, CardSession, LastTry, Pin};
use techo_sim::vpcd::SocketReader;

struct Sim(Child, std::net::SocketAddr);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &std::path::Path, card: &str, extra: &[&str]) -> Sim {
    let cards = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards");
    let mut child = Command::new(env!("CARGO_BIN_EXE_techo-card-sim"))
        .arg("--card")
        .arg(cards.join(card))
        .arg("--state")
        .arg(dir.join(format!("{card}.state")))
        .args(extra)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .parse()
        .unwrap();
    Sim(child, addr)
}

#[test]
fn the_card_answers_over_the_socket_and_keeps_its_counters_between_taps() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), "yamada", &[]);
    let mut tap = SocketReader::connect(sim.1, true).unwrap();
    let four = CardSession::new(&mut tap)
        .basic_four(&Pin::parse("1234").unwrap(), LastTry::Refuse)
        .unwrap();
    assert_eq!(four.name, "山田 太郎");
    drop(tap);
    // A wrong PIN on the next tap costs one try, and the count holds on the tap after.
    let mut tap = SocketReader::connect(sim.1, true).unwrap();
    let challenge = [7u8; 32];
    let err = CardSession::new(&mut tap)
        .linkage_read(&Pin::parse("0000").unwrap(), &challenge, LastTry::Refuse)
        .unwrap_err();
    assert!(
        matches!(err, CardError::WrongPin { tries_left: 2 }),
        "{err:?}"
    );
    drop(tap);
    let mut tap = SocketReader::connect(sim.1, false).unwrap();
    let proof = CardSession::new(&mut tap)
        .linkage_read(&Pin::parse("1234").unwrap(), &challenge, LastTry::Refuse)
        .unwrap();
    assert!(!proof.certificate.is_empty());
}

#[test]
fn only_loopback_addresses_are_accepted() {
    let out = Command::new(env!("CARGO_BIN_EXE_techo-card-sim"))
        .args(["--card", "x", "--listen", "192.0.2.1:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only loopback"));
    assert!(SocketReader::connect("192.0.2.1:1".parse().unwrap(), true).is_err());
}
