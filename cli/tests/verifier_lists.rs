//! `techo lists` and `techo verify --lists` against techo-server on loopback (issue 32): the
//! first run fetches every list whole and pins the root key; after a revocation the next run
//! fetches one small signed delta and the saved lists refuse the holder's code; a saved file
//! changed on disk is refused with a clear error, never believed.
#![allow(clippy::unwrap_used)]

mod common;

use common::servers::Servers;
use common::{card, fixture};
use std::io::Write;
use std::process::Stdio;
use std::sync::Arc;
use techo_core::FixedClock;

const DAYTIME: &str = "2026-11-25T11:00:00+09:00";
const ADMIN: &str = "cli-test-admin-token";

fn techo(dir: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("techo"));
    c.env("TECHO_NOW", DAYTIME)
        .env_remove("TECHO_CARD_PIN")
        .arg("--data-dir")
        .arg(dir.join("wallet"));
    c
}

fn run(cmd: &mut std::process::Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn start(d: &std::path::Path) -> Servers {
    let clock = Arc::new(FixedClock::new(
        chrono::DateTime::parse_from_rfc3339(DAYTIME)
            .unwrap()
            .to_utc(),
    ));
    common::servers::start(d, clock, ADMIN, |_| {}).await
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)] // one story: link, fetch, verify, revoke, delta, refuse, tamper
async fn lists_follow_deltas_and_verify_refuses_a_revoked_code_offline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Servers {
        pki,
        portal,
        server,
        endpoints,
    } = start(d).await;
    let (ok, out, err) = run(techo(d)
        .args(["--json", "register", "--from"])
        .arg(fixture("01-physical-1-tokyo.toml")));
    assert!(ok, "{err}");
    let id = serde_json::from_str::<serde_json::Value>(&out).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut link = techo(d)
        .args(["link", &id, "--card"])
        .arg(card("yamada"))
        .arg("--endpoints")
        .arg(&endpoints)
        .arg("--pin-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    link.stdin.take().unwrap().write_all(b"1234\n").unwrap();
    let linked = tokio::task::spawn_blocking(move || link.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        linked.status.success(),
        "{}",
        String::from_utf8_lossy(&linked.stderr)
    );
    let (ok, out, err) = run(techo(d).args(["--json", "present"]));
    assert!(ok, "{err}");
    let payload = serde_json::from_str::<serde_json::Value>(&out).unwrap()["payload"]
        .as_str()
        .unwrap()
        .to_owned();

    // First run: every list whole, the server's root key pinned and shown.
    let lists = d.join("gate-lists.cbor");
    let sync = |json: bool| {
        let mut c = techo(d);
        if json {
            c.arg("--json");
        }
        c.arg("lists")
            .arg("--endpoints")
            .arg(&endpoints)
            .arg("--file")
            .arg(&lists);
        c
    };
    let (ok, out, err) = run(&mut sync(false));
    assert!(ok, "{err}");
    assert!(out.contains("全体を取得"), "{out}");
    assert!(err.contains("ルート鍵を固定しました"), "{err}");
    let verify = || {
        let mut c = techo(d);
        c.args(["verify", "--lists"]).arg(&lists).arg(&payload);
        c
    };
    let (ok, out, err) = run(&mut verify());
    assert!(ok, "{out}{err}");
    assert!(out.contains("有効"), "{out}");

    // Nothing changed: nothing fetched.
    let (ok, out, err) = run(&mut sync(true));
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["bytes"], 0, "{report}");

    // Support revokes: the next run fetches a delta, and the saved lists refuse the code.
    let client = techo_core::portal::TechoClient::new(
        &server.url(),
        &pki.ca_pem,
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    let session = server.state.sessions().await.pop().unwrap().id;
    client
        .admin(
            ADMIN,
            &techo_core::portal::dto::AdminAction {
                session_id: session,
                action: "revoke".into(),
                reason: "phone lost".into(),
            },
        )
        .await
        .unwrap();
    let (ok, out, err) = run(&mut sync(true));
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["lists"][0]["fetched"], "delta", "{report}");
    assert!(report["bytes"].as_u64().unwrap() < 1024, "{report}");
    let (ok, out, err) = run(&mut verify());
    assert!(!ok, "a revoked credential must not verify: {out}");
    assert!(format!("{out}{err}").contains("失効"), "{out}{err}");

    // A byte changed on disk: refused, with what to do.
    let mut bytes = std::fs::read(&lists).unwrap();
    let i = bytes.len() - 10;
    bytes[i] ^= 0x01;
    std::fs::write(&lists, &bytes).unwrap();
    let (ok, out, err) = run(&mut verify());
    assert!(!ok, "{out}");
    assert!(err.contains("壊れています"), "{err}");
    drop(portal);
}
