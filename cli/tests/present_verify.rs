//! `techo issuer`, `techo present` and `techo verify` end to end.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

/// A wallet with one registered handbook and credentials from the dev issuer.
fn issued(dir: &Path) -> String {
    let hb = json(
        dir,
        &[
            "register",
            "--from",
            fixture("03-mental-1-sapporo.toml").to_str().unwrap(),
        ],
    );
    let id = hb["id"].as_str().unwrap().to_owned();
    let issued = json(dir, &["issuer", "issue", &id, "--batch", "4"]);
    assert_eq!(issued["credentials"], 8);
    id
}

#[test]
fn present_then_verify_text_and_image() {
    let dir = tempfile::tempdir().unwrap();
    issued(dir.path());
    let png = dir.path().join("qr.png");
    let p = json(dir.path(), &["present", "--out", png.to_str().unwrap()]);
    assert!(p["qr_version"].as_u64().unwrap() <= 11);
    let payload = p["payload"].as_str().unwrap();
    techo(dir.path())
        .args(["verify", payload])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("精神障害者保健福祉手帳")
                .and(predicate::str::contains("第1種")),
        );
    techo(dir.path())
        .args(["verify", "--image"])
        .arg(&png)
        .assert()
        .success();
    // Same payload through stdin, in English.
    techo(dir.path())
        .args(["--lang", "en", "verify", "-"])
        .write_stdin(format!("{payload}\n"))
        .assert()
        .success()
        .stdout(predicate::str::contains("VALID"));
    let svg = dir.path().join("qr.svg");
    techo(dir.path())
        .args(["present", "--out"])
        .arg(&svg)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
}

#[test]
fn one_changed_character_is_rejected_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    issued(dir.path());
    let payload = json(dir.path(), &["present"])["payload"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut bytes = payload.into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    techo(dir.path())
        .args(["verify", &tampered])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("無効"));
    let out = techo(dir.path())
        .args(["--json", "verify", &tampered])
        .assert()
        .code(6)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["code"].as_str().is_some());
    techo(dir.path())
        .args(["verify", "hello"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("Techo"));
}

#[test]
fn a_screenshot_goes_stale_and_revocation_applies() {
    let dir = tempfile::tempdir().unwrap();
    let id = issued(dir.path());
    let payload = json(dir.path(), &["present"])["payload"]
        .as_str()
        .unwrap()
        .to_owned();
    Command::cargo_bin("techo")
        .unwrap()
        .env("TECHO_NOW", "2026-11-25T12:01:30+09:00")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--lang", "en", "verify", &payload])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("screenshot"));
    techo(dir.path())
        .args(["issuer", "suspend", &id[..6]])
        .assert()
        .success();
    techo(dir.path())
        .args(["verify", &payload])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("一時停止"));
    techo(dir.path())
        .args(["issuer", "reinstate", &id])
        .assert()
        .success();
    techo(dir.path())
        .args(["verify", &payload])
        .assert()
        .success();
    techo(dir.path())
        .args(["issuer", "revoke", &id])
        .assert()
        .success();
    techo(dir.path())
        .args(["verify", &payload])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("失効"));
}

#[test]
fn published_verifier_data_works_without_the_issuer() {
    let dir = tempfile::tempdir().unwrap();
    issued(dir.path());
    let out = dir.path().join("published");
    techo(dir.path())
        .args(["issuer", "publish"])
        .arg(&out)
        .assert()
        .success();
    let payload = json(dir.path(), &["present"])["payload"]
        .as_str()
        .unwrap()
        .to_owned();
    let root = std::fs::read_to_string(out.join("root-key.txt")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let verify = |root: &str| {
        let mut c = techo(elsewhere.path());
        c.arg("verify")
            .arg(&payload)
            .arg("--trust-list")
            .arg(out.join("trust-list.cbor"))
            .arg("--status-list")
            .arg(out.join("status-list-1.cbor"))
            .args(["--root", root]);
        c
    };
    verify(&root).assert().success();
    // A trust list checked against another root key is refused before any payload is looked at.
    let other = "03".to_owned() + &"11".repeat(32);
    verify(&other).assert().failure();
}

#[test]
fn present_without_credentials_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    techo(dir.path())
        .args(["register", "--from"])
        .arg(fixture("01-physical-1-tokyo.toml"))
        .assert()
        .success();
    techo(dir.path())
        .arg("present")
        .assert()
        .code(7)
        .stderr(predicate::str::contains("techo issuer issue"));
    techo(dir.path())
        .args(["present", "--disclose", "kind,colour"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("colour"));
}

#[test]
fn full_disclosure_shows_only_what_was_asked() {
    let dir = tempfile::tempdir().unwrap();
    issued(dir.path());
    let payload = json(dir.path(), &["present", "--disclose", "kind,expiry"])["payload"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = json(dir.path(), &["verify", &payload]);
    assert_eq!(v["valid"], true);
    assert_eq!(v["profile"], "full");
    assert!(v["fare_class"].is_null());
    let claims: Vec<String> = serde_json::from_value(v["claims"].clone()).unwrap();
    assert!(
        claims.iter().any(|c| c.contains("2027-06-30")),
        "{claims:?}"
    );
}

/// Issue 27, found by an outside implementer: `verify --challenge HEX` took a challenge this
/// verifier never issued, and the same answer any number of times.
#[test]
fn a_challenge_counts_only_if_this_verifier_issued_it_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    issued(dir.path());
    let answer = |nonce: &str| {
        json(
            dir.path(),
            &[
                "present",
                "--challenge",
                nonce,
                "--audience",
                "tickets.example",
            ],
        )["payload"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let check = |payload: &str, nonce: &str| {
        techo(dir.path())
            .args(["--lang", "en", "verify", payload, "--challenge", nonce])
            .args(["--audience", "tickets.example"])
            .output()
            .unwrap()
    };
    // Never issued here: refused, and nothing printed as valid.
    let made_up = "00112233445566778899aabbccddeeff";
    let out = check(&answer(made_up), made_up);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("VALID"));
    // Issued here: valid once, then a replay.
    let issued = json(
        dir.path(),
        &["verify", "--challenge", "--audience", "tickets.example"],
    );
    let nonce = issued["challenge"].as_str().unwrap().to_owned();
    let payload = answer(&nonce);
    let first = check(&payload, &nonce);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    for _ in 0..2 {
        let again = check(&payload, &nonce);
        assert_eq!(again.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("already answered"),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
    }
}

/// Issue 27: `verify -` refused the binary form, which is what a scanner hands over.
#[test]
fn verify_reads_the_binary_form_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    issued(dir.path());
    let text = json(dir.path(), &["present"])["payload"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = techo_core::token::base45::decode(text.strip_prefix("TK1:").unwrap()).unwrap();
    let binary = [b"TK1".as_slice(), &body].concat();
    techo(dir.path())
        .args(["--lang", "en", "verify", "-"])
        .write_stdin(binary)
        .assert()
        .success()
        .stdout(predicate::str::contains("VALID"));
}

/// Issue 27: `present --coupon` silently dropped --disclose, --challenge and --audience.
#[test]
fn a_coupon_is_not_combined_silently_with_other_claims_or_a_challenge() {
    let dir = tempfile::tempdir().unwrap();
    issued(dir.path());
    for extra in [
        vec!["--disclose", "kind,grade"],
        vec!["--challenge", "00ff", "--audience", "tickets.example"],
    ] {
        let out = techo(dir.path())
            .args(["present", "--coupon", "example-museum/winter-2026"])
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
