//! What an outside tester fed the CLI to break it: a PNG whose header claims a million pixels a
//! side, `/dev/zero` as a photo, a page or a PIN, terminal escapes and megabytes in a name. Each
//! ends in a clear error (exit 1, never an abort) and nothing is stored half-way.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use predicates::prelude::*;
use std::path::Path;

/// 68 bytes: signature, an IHDR claiming 1,000,000 × 1,000,000 RGB pixels, a tiny IDAT, IEND.
fn pixel_bomb(dir: &Path) -> std::path::PathBuf {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        let mut crc = 0xFFFF_FFFFu32;
        for &b in &c[4..] {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
            }
        }
        c.extend_from_slice(&(!crc).to_be_bytes());
        c
    };
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 1_000_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&1_000_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]));
    png.extend(chunk(b"IEND", &[]));
    let path = dir.join("bomb.png");
    std::fs::write(&path, png).unwrap();
    path
}

fn register(dir: &Path) -> assert_cmd::assert::Assert {
    techo(dir)
        .args(["--lang", "en", "register", "--from"])
        .arg(fixture("01-physical-1-tokyo.toml"))
        .assert()
}

fn handbooks(dir: &Path) -> usize {
    json(dir, &["list"]).as_array().unwrap().len()
}

#[test]
fn a_pixel_bomb_is_refused_by_verify_photo_and_page_without_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = pixel_bomb(dir.path());
    techo(dir.path())
        .args(["--lang", "en", "verify", "--image"])
        .arg(&bomb)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("more pixels"));
    for flag in ["--photo", "--page-image"] {
        techo(dir.path())
            .args(["--lang", "en", "register", "--from"])
            .arg(fixture("01-physical-1-tokyo.toml"))
            .arg(flag)
            .arg(&bomb)
            .assert()
            .failure()
            .code(predicate::ne(134))
            .stderr(predicate::str::contains("more pixels"));
    }
    assert_eq!(handbooks(dir.path()), 0, "nothing registered half-way");
    register(dir.path()).success();
    techo(dir.path())
        .args(["--lang", "en", "preview", "--out"])
        .arg(dir.path().join("screen.svg"))
        .assert()
        .success();
}

#[test]
#[cfg(unix)]
fn dev_zero_as_photo_page_or_pin_is_refused_with_a_limit() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--photo", "--page-image"] {
        techo(dir.path())
            .args(["--lang", "en", "register", "--from"])
            .arg(fixture("01-physical-1-tokyo.toml"))
            .args([flag, "/dev/zero"])
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(1)
            .stderr(predicate::str::contains("more than"));
    }
    // Standard input straight from /dev/zero (not through a buffer the test would fill).
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("techo"))
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["--lang", "en", "card", "read", "--pin-stdin", "--sim"])
        .arg(card("yamada"))
        .env_remove("TECHO_CARD_PIN")
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than"));
    // A CA certificate to check a card against has the same ceiling.
    techo(dir.path())
        .args(["--lang", "en", "card", "read", "--ca", "/dev/zero", "--sim"])
        .arg(card("yamada"))
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("more than"));
    assert_eq!(handbooks(dir.path()), 0);
}

#[test]
fn escapes_and_megabytes_in_a_name_are_refused_and_never_echoed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(fixture("01-physical-1-tokyo.toml")).unwrap();
    for (n, name) in [
        "千代田区\u{1b}]0;owned\u{7}\u{1b}[2J".to_owned(),
        "区\u{202E}役所".to_owned(),
        "区".repeat(1_000_000),
    ]
    .into_iter()
    .enumerate()
    {
        // In a handbook file (a megabyte does not fit on a command line).
        let escaped = serde_json::to_string(&name).unwrap();
        let text: String = original
            .lines()
            .filter(|l| !l.starts_with("photo"))
            .map(|l| {
                if l.starts_with("municipality_name") {
                    format!("municipality_name = {escaped}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let file = dir.path().join(format!("hostile-{n}.toml"));
        std::fs::write(&file, text).unwrap();
        let out = techo(dir.path())
            .args(["--lang", "en", "register", "--from"])
            .arg(&file)
            .assert()
            .code(3) // an invalid handbook
            .stderr(predicate::str::contains("municipality_name"))
            .get_output()
            .stderr
            .clone();
        assert!(!out.contains(&0x1b), "no escape reaches the terminal");
        assert!(out.len() < 4_000, "{} bytes of error", out.len());
    }
    assert_eq!(handbooks(dir.path()), 0);
}
