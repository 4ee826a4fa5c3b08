//! Helpers shared by the CLI tests: the binary on a temp data dir with a pinned clock.
#![allow(dead_code, clippy::unwrap_used)]

pub mod servers;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub const NOW: &str = "2026-11-25T12:00:00+09:00";

pub fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

pub fn fixture(name: &str) -> PathBuf {
    repo("fixtures/handbooks").join(name)
}

pub fn card(name: &str) -> PathBuf {
    repo("fixtures/cards").join(name)
}

/// `techo --data-dir <dir>` at `NOW`, with no PIN in the environment.
pub fn techo(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("techo").unwrap();
    c.env("TECHO_NOW", NOW)
        .env_remove("TECHO_CARD_PIN")
        .arg("--data-dir")
        .arg(dir);
    c
}

/// Runs with `--json`, expects success, parses stdout.
pub fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = techo(dir)
        .arg("--json")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}
