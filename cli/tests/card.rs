//! `techo card read | trace` with the software cards.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

use predicates::prelude::*;

#[test]
fn read_prints_subject_tries_and_basic_four() {
    let dir = tempfile::tempdir().unwrap();
    techo(dir.path())
        .args(["card", "read", "--pin-stdin", "--sim"])
        .arg(card("yamada"))
        .write_stdin("1234\n")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("CN=TEST-1001")
                .and(predicate::str::contains("暗証番号の残り回数: 3"))
                .and(predicate::str::contains("山田 太郎"))
                .and(predicate::str::contains("1979-07-20")),
        );
    let out = techo(dir.path())
        .args(["--json", "card", "read", "--short", "--sim"])
        .arg(card("yamada"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["tries_left"], 3);
    assert_eq!(v["certificate_valid"], true);
    assert!(v["basic_four"].is_null());
}

#[test]
fn trace_masks_the_pin_and_counts_apdus() {
    let dir = tempfile::tempdir().unwrap();
    let out = techo(dir.path())
        .args(["--lang", "en", "card", "trace", "--sim"])
        .arg(card("yamada"))
        .env("TECHO_CARD_PIN", "1234")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("0020009804********"));
    assert!(!text.contains("31323334"), "PIN bytes leaked:\n{text}");
    assert!(text.contains("APDUs: 6"));
    assert!(text.contains("signature checked"));
}

#[test]
fn pin_safety_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |pin: &str, extra: &[&str]| {
        let mut c = techo(dir.path());
        c.args(["card", "trace", "--pin-stdin", "--sim"])
            .arg(card("sato-last-try"))
            .args(extra)
            .write_stdin(format!("{pin}\n"));
        c.assert()
    };
    run("12", &[]).code(8).stderr(predicate::str::contains("4"));
    run("0000", &[])
        .code(8)
        .stderr(predicate::str::contains("1"));
    run("0000", &["--confirm-last-try"])
        .code(8)
        .stderr(predicate::str::contains("municipal office"));
    // Blocked now, and it stays blocked on the next tap.
    techo(dir.path())
        .args(["--json", "card", "read", "--sim"])
        .arg(card("sato-last-try"))
        .assert()
        .success()
        .stdout(predicate::str::contains("\"tries_left\": 0"));
}

#[test]
fn expired_and_rogue_certificates_are_named() {
    let dir = tempfile::tempdir().unwrap();
    techo(dir.path())
        .args(["--lang", "en", "card", "read", "--sim"])
        .arg(card("old-cert"))
        .assert()
        .success()
        .stdout(predicate::str::contains("expired"));
    techo(dir.path())
        .args(["card", "read", "--sim"])
        .arg(card("rogue"))
        .assert()
        .success()
        .stdout(predicate::str::contains("trusted JPKI CA"));
}
