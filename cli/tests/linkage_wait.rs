//! `techo link --wait` against techo-server and the portal simulator on loopback: linked at
//! 22:30 JST the request is 申請中; the command waits on the server and prints the notice the
//! moment the morning retry stores the answer. Then `techo keep-linked` and `techo status`.
#![allow(clippy::unwrap_used)]

mod common;

use common::servers::Servers;
use common::{card, fixture};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::Arc;
use techo_core::FixedClock;
use techo_server::issuer::store::SessionState;
use techo_server::portal::hours::HoursMode;

/// 22:30 JST: the municipal servers are closed.
const NIGHT: &str = "2026-11-25T22:30:00+09:00";
/// 08:30 JST the next morning.
const MORNING: &str = "2026-11-26T08:30:00+09:00";

fn at(t: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc()
}

async fn start(dir: &std::path::Path, clock: Arc<FixedClock>) -> Servers {
    let s = common::servers::start(dir, clock, "cli-test-admin-token", |c| {
        c.portal_timeout = std::time::Duration::from_secs(5);
    })
    .await;
    s.portal
        .state
        .update_knobs(|k| k.mode = HoursMode::Municipal);
    s
}

fn techo_at(dir: &std::path::Path, now: &str) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("techo"));
    c.env("TECHO_NOW", now)
        .env_remove("TECHO_CARD_PIN")
        .arg("--data-dir")
        .arg(dir.join("wallet"));
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn link_wait_prints_the_answer_when_the_morning_retry_stores_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(at(NIGHT)));
    let s = start(dir.path(), clock.clone()).await;
    let out = techo_at(dir.path(), NIGHT)
        .args(["--json", "register", "--from"])
        .arg(fixture("01-physical-1-tokyo.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut child = techo_at(dir.path(), NIGHT)
        .args(["link", &id, "--card"])
        .arg(card("yamada"))
        .arg("--endpoints")
        .arg(&s.endpoints)
        .args(["--pin-stdin", "--wait=5"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"1234\n").unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });

    // The request is 申請中 on the server; the command is waiting.
    let pending = async {
        loop {
            let sessions = s.server.state.sessions().await;
            if sessions
                .iter()
                .any(|x| matches!(x.state, SessionState::Pending { .. }))
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), pending)
        .await
        .expect("the linkage reached 申請中");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(child.try_wait().unwrap().is_none(), "still waiting");

    // The morning: the retry gets the portal's answer, and the waiting command hears of it.
    clock.set(at(MORNING));
    assert_eq!(s.server.state.retry_due().await, 1);
    let status = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let lines = lines.join().unwrap();
    let text = lines.join("\n");
    assert!(
        status.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(text.contains("申請中"), "{text}");
    assert!(
        text.contains("マイナポータルの回答を待っています"),
        "{text}"
    );
    assert!(
        text.contains("🔔 マイナポータル連携が完了しました"),
        "{text}"
    );
    assert!(text.lines().last().unwrap().contains("連携済"), "{text}");

    // One run of the phone's job: nothing to tell, the next check within a day.
    let out = techo_at(dir.path(), MORNING)
        .args(["keep-linked", "--endpoints"])
        .arg(&s.endpoints)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("変わりはありません"), "{text}");
    assert!(text.contains("次回の確認: 2026-11-27 08:30"), "{text}");
    drop(s.portal);
}
