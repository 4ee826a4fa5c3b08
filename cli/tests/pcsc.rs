//! The CLI through a real smart-card stack: pcscd with vsmartcard's vpcd reader driver (Debian
//! packages), the software card inserted into that reader over vpcd's socket protocol, and
//! `techo … --reader auto` reaching it through libpcsclite as it would a USB reader. The same
//! linkage as over the in-process card, then a card taken off mid-read.
//!
//! Needs a running pcscd with the vpcd reader: `scripts/pcsc-check` starts one and runs these
//! (`TECHO_VPCD_PORT` names the reader's port). CI runs that script.
#![cfg(feature = "pcsc")]
#![allow(clippy::unwrap_used)]

mod common;

use common::servers::Servers;
use common::{card, fixture, repo};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};
use techo_core::FixedClock;
use techo_sim::{SimOptions, SoftCard, vpcd};

const NOW: &str = "2026-11-25T12:00:00+09:00";

fn vpcd_port() -> u16 {
    std::env::var("TECHO_VPCD_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .expect("TECHO_VPCD_PORT (the vpcd reader's port): run by scripts/pcsc-check")
}

/// The software card in the vpcd reader until [`Inserted::remove`].
struct Inserted {
    stream: TcpStream,
    serving: std::thread::JoinHandle<()>,
}

impl Inserted {
    fn remove(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        let _ = self.serving.join();
        // pcscd polls its readers: let it see the card gone before the next test inserts one.
        std::thread::sleep(Duration::from_millis(1_500));
    }
}

/// Puts `name`'s software card (counters in `state`) into the vpcd reader.
fn insert(name: &str, state: &Path, options: SimOptions) -> Inserted {
    let mut soft = SoftCard::open(&card(name), Some(state), options).unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], vpcd_port()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let stream = loop {
        match TcpStream::connect(addr) {
            Ok(s) => break s,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("the vpcd reader on {addr} does not answer: {e}"),
        }
    };
    let mut served = stream.try_clone().unwrap();
    let serving = std::thread::spawn(move || {
        let _ = vpcd::serve(&mut soft, &mut served);
        // A card that left the field ends the connection, as a card taken off a reader does.
        let _ = served.shutdown(Shutdown::Both);
    });
    Inserted { stream, serving }
}

/// A card and reader with extended-length APDUs, as USB readers and phones mostly are.
fn extended() -> SimOptions {
    SimOptions {
        extended: true,
        ..SimOptions::default()
    }
}

fn techo(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("techo"));
    c.env("TECHO_NOW", NOW)
        .env_remove("TECHO_CARD_PIN")
        .args(["--lang", "en", "--data-dir"])
        .arg(dir.join("wallet"));
    c
}

fn run(c: &mut std::process::Command) -> Output {
    c.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `techo card read --reader auto` until pcscd shows the card (it polls its readers).
fn read_when_present(dir: &Path) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = run(techo(dir)
            .args(["--json", "card", "read", "--reader", "auto", "--ca"])
            .arg(repo("fixtures/cards/ca/ca.crt.der"))
            .env("TECHO_CARD_PIN", "1234"));
        if out.status.success() {
            return serde_json::from_slice(&out.stdout).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the card never showed on the reader: {}",
            text(&out)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
#[ignore = "needs pcscd with the vpcd reader: run by scripts/pcsc-check"]
fn read_and_trace_a_card_through_pcscd() {
    let dir = tempfile::tempdir().unwrap();
    let inserted = insert("yamada", &dir.path().join("card.json"), extended());
    let read = read_when_present(dir.path());
    assert_eq!(read["certificate_valid"], true, "{read}");
    assert!(
        read["certificate_subject"]
            .as_str()
            .unwrap()
            .contains("TEST-1001")
    );
    assert_eq!(read["tries_left"], 3);
    assert_eq!(read["basic_four"]["name"], "山田 太郎");
    assert_eq!(read["apdus"], 7, "{read}");
    assert_eq!(read["extended_length"], true);

    // The whole linkage read, short APDUs, every APDU printed with its time.
    let out = run(techo(dir.path())
        .args(["card", "trace", "--reader", "Techo", "--short", "--ca"])
        .arg(repo("fixtures/cards/ca/ca.crt.der"))
        .env("TECHO_CARD_PIN", "1234"));
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("APDUs: 13"), "{printed}");
    assert!(
        printed.contains("0020009804********"),
        "PIN masked: {printed}"
    );
    assert!(printed.contains("signature checked"), "{printed}");
    assert!(printed.contains(" ms"), "{printed}");

    // A reader name that matches nothing says which readers there are.
    let out = run(techo(dir.path()).args(["card", "read", "--reader", "no-such-reader"]));
    assert!(!out.status.success());
    assert!(text(&out).contains("Techo"), "{}", text(&out));
    inserted.remove();
}

async fn servers(dir: &Path) -> Servers {
    let clock = Arc::new(FixedClock::new(
        chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc(),
    ));
    common::servers::start(dir, clock, "pcsc-test-admin-token", |_| {}).await
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs pcscd with the vpcd reader: run by scripts/pcsc-check"]
async fn link_with_the_card_on_a_pcsc_reader() {
    let dir = tempfile::tempdir().unwrap();
    let s = servers(dir.path()).await;
    let inserted = insert("yamada", &dir.path().join("card.json"), extended());
    read_when_present(dir.path());
    let out = run(techo(dir.path())
        .args(["--json", "register", "--from"])
        .arg(fixture("01-physical-1-tokyo.toml")));
    assert!(out.status.success(), "{}", text(&out));
    let id = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = run(techo(dir.path())
        .args(["--json", "link", &id, "--reader", "auto", "--endpoints"])
        .arg(&s.endpoints)
        .env("TECHO_CARD_PIN", "1234"));
    assert!(out.status.success(), "{}", text(&out));
    let linked: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(linked["linkage"]["state"], "linked", "{linked}");
    // Presented and verified offline, as after a link over the in-process card.
    let out = run(techo(dir.path()).args(["--json", "status", &id]));
    assert!(text(&out).contains("linked"), "{}", text(&out));
    inserted.remove();
}

#[test]
#[ignore = "needs pcscd with the vpcd reader: run by scripts/pcsc-check"]
fn a_short_only_card_and_a_blocked_card_through_pcscd() {
    let dir = tempfile::tempdir().unwrap();
    // The reader offers extended length, the card answers 67 00 to it: read with short APDUs.
    let inserted = insert(
        "yamada",
        &dir.path().join("card.json"),
        SimOptions::default(),
    );
    let read = read_when_present(dir.path());
    assert_eq!(read["extended_length"], false, "{read}");
    assert_eq!(read["tries_left"], 3);
    assert_eq!(read["basic_four"]["name"], "山田 太郎");
    inserted.remove();

    // A blocked PIN answered 69 84, as real cards do: blocked, no PIN sent, the office named.
    let inserted = insert("ito-blocked", &dir.path().join("ito.json"), extended());
    let deadline = Instant::now() + Duration::from_secs(20);
    let said = loop {
        let out = run(techo(dir.path())
            .args(["card", "trace", "--reader", "auto"])
            .env("TECHO_CARD_PIN", "1111"));
        let said = text(&out);
        if !said.contains("no card on") || Instant::now() > deadline {
            assert!(!out.status.success(), "{said}");
            break said;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(said.contains("blocked"), "{said}");
    assert!(said.contains("municipal office"), "{said}");
    assert!(!said.contains("********"), "no PIN sent: {said}");
    inserted.remove();
}
