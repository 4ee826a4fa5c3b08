//! `techo verify --policy`: the staff verdict and its exit code (0 accepted, 1 not accepted,
//! 2 invalid code, 3 check manually), and the single-use challenge of booking sites.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use predicates::prelude::*;
use std::path::Path;

fn policy(name: &str) -> String {
    repo("fixtures/policies")
        .join(format!("{name}.toml"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Registers a fixture handbook, issues dev credentials, and presents it.
fn presented(dir: &Path, fixture_file: &str) -> String {
    let hb = json(
        dir,
        &[
            "register",
            "--from",
            fixture(fixture_file).to_str().unwrap(),
        ],
    );
    let id = hb["id"].as_str().unwrap().to_owned();
    json(dir, &["issuer", "issue", &id]);
    json(dir, &["present", &id])["payload"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn verdict(dir: &Path, payload: &str, args: &[&str]) -> (i32, String) {
    let out = techo(dir)
        .args(["--lang", "en", "verify", payload])
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap(), text)
}

#[test]
fn verdicts_lead_with_the_decision_and_use_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let first = presented(dir.path(), "01-physical-1-tokyo.toml");

    let (code, out) = verdict(dir.path(), &first, &["--policy", &policy("rail-jr-style")]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines[0].trim(), "◯ ACCEPTED HERE", "{out}");
    assert_eq!(lines[1].trim(), "Example Rail (JR-style rules)");
    assert_eq!(lines[2].trim(), "holder + 1 caregiver at the discount");
    assert!(
        out.contains("details:") && out.contains("illustrative"),
        "{out}"
    );

    // The city bus accepts only linked screens; a dev-issued credential is 未連携.
    let (code, out) = verdict(
        dir.path(),
        &first,
        &["--policy", &policy("city-bus-linked-only")],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("NOT ACCEPTED HERE") && out.contains("only linked"),
        "{out}"
    );

    // The same in JSON, for a gate's software.
    let out = techo(dir.path())
        .args([
            "--json",
            "verify",
            &first,
            "--policy",
            &policy("museum-all-kinds"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "accepted");
    assert_eq!(v["grant"]["caregiver"], true);
    assert_eq!(v["facts"]["linkage"], "Not linked");
}

#[test]
fn the_distance_rule_for_the_holder_alone() {
    let dir = tempfile::tempdir().unwrap();
    let second = presented(dir.path(), "02-physical-4-osaka.toml");
    let rail = policy("rail-jr-style");
    let (code, out) = verdict(dir.path(), &second, &["--policy", &rail]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("CHECK MANUALLY") && out.contains("100 km"),
        "{out}"
    );
    let (code, out) = verdict(
        dir.path(),
        &second,
        &["--policy", &rail, "--distance-km", "50"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("this trip: 50 km"), "{out}");
    let (code, out) = verdict(
        dir.path(),
        &second,
        &["--policy", &rail, "--distance-km", "150"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("holder only at the discount"), "{out}");
}

#[test]
fn excluded_kind_no_fare_class_and_an_expired_credential() {
    let dir = tempfile::tempdir().unwrap();
    let mental = presented(dir.path(), "03-mental-1-sapporo.toml");
    let (code, out) = verdict(
        dir.path(),
        &mental,
        &["--policy", &policy("ferry-no-mental")],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not accept the Mental"), "{out}");

    let none = presented(dir.path(), "05-mental-3-naha-no-class.toml");
    let (code, out) = verdict(
        dir.path(),
        &none,
        &["--policy", &policy("rail-jr-style"), "--distance-km", "300"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("records no fare class"), "{out}");

    // Two months later the credential has expired: not accepted, with the date.
    let out = techo(dir.path())
        .env("TECHO_NOW", "2027-01-25T12:00:00+09:00")
        .args([
            "--lang",
            "en",
            "verify",
            &mental,
            "--policy",
            &policy("museum-all-kinds"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("expired on 2026-"), "{text}");

    // A forged code is not a verdict: exit 2.
    let i = mental.len() / 2;
    let forged = format!(
        "{}{}{}",
        &mental[..i],
        if &mental[i..=i] == "A" { "B" } else { "A" },
        &mental[i + 1..]
    );
    let (code, out) = verdict(
        dir.path(),
        &forged,
        &["--policy", &policy("museum-all-kinds")],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("INVALID CODE"), "{out}");
}

#[test]
fn a_challenge_is_answered_once_for_its_site() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = dir.path().join("holder");
    let site = dir.path().join("site");
    let hb = json(
        &wallet,
        &[
            "register",
            "--from",
            fixture("01-physical-1-tokyo.toml").to_str().unwrap(),
        ],
    );
    json(&wallet, &["issuer", "issue", hb["id"].as_str().unwrap()]);
    // The site's verifier trusts the holder's dev issuer (published lists).
    let published = dir.path().join("published");
    json(&wallet, &["issuer", "publish", published.to_str().unwrap()]);
    let lists = |c: &mut assert_cmd::Command| {
        c.arg("--trust-list")
            .arg(published.join("trust-list.cbor"))
            .arg("--status-list")
            .arg(published.join("status-list-1.cbor"))
            .arg("--root")
            .arg(
                std::fs::read_to_string(published.join("root-key.txt"))
                    .unwrap()
                    .trim(),
            );
    };

    let issued = json(
        &site,
        &["verify", "--challenge", "--audience", "tickets.example"],
    );
    let nonce = issued["challenge"].as_str().unwrap().to_owned();
    assert_eq!(nonce.len(), 32);
    let p = json(
        &wallet,
        &[
            "present",
            "--challenge",
            &nonce,
            "--audience",
            "tickets.example",
        ],
    );
    let payload = p["payload"].as_str().unwrap().to_owned();

    let rail = policy("rail-jr-style");
    let run = |payload: &str, audience: &str| {
        let mut c = techo(&site);
        c.args([
            "--lang",
            "en",
            "verify",
            payload,
            "--policy",
            &rail,
            "--challenge",
            &nonce,
            "--audience",
            audience,
        ]);
        lists(&mut c);
        let out = c.output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, out) = run(&payload, "tickets.example");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("challenge answered for: tickets.example"),
        "{out}"
    );
    // The same code again: a replay.
    let (code, out) = run(&payload, "tickets.example");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("already answered"), "{out}");
    // A code made for another site does not answer this site's challenge.
    let elsewhere = json(
        &wallet,
        &[
            "present",
            "--challenge",
            &nonce,
            "--audience",
            "elsewhere.example",
        ],
    );
    let (code, out) = run(elsewhere["payload"].as_str().unwrap(), "tickets.example");
    assert_eq!(code, 2, "{out}");
    // The booking-site policy without any challenge: not accepted.
    let mut c = techo(&site);
    c.args([
        "--lang",
        "en",
        "verify",
        &payload,
        "--policy",
        &policy("booking-site-online"),
    ]);
    lists(&mut c);
    c.assert()
        .code(1)
        .stdout(predicate::str::contains("fresh presentation"));
}

#[test]
fn a_bad_policy_file_is_a_clear_argument_error() {
    let dir = tempfile::tempdir().unwrap();
    let first = presented(dir.path(), "01-physical-1-tokyo.toml");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(policy("rail-jr-style"))
            .unwrap()
            .replace("require_linked", "require_linkd"),
    )
    .unwrap();
    let (code, out) = verdict(dir.path(), &first, &["--policy", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("require_linkd") && out.contains("bad.toml"),
        "{out}"
    );
}

/// The Done-when of the operator-policy work: each fixture policy on the demo's presentation.
#[test]
fn each_fixture_policy_on_the_demos_presentation() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("kept");
    let demo = json(dir.path(), &["demo", "--keep", kept.to_str().unwrap()]);
    let steps = demo["steps"].as_array().unwrap();
    let decisions: Vec<(String, String, String)> = steps
        .iter()
        .filter(|s| s["step"].as_str().is_some_and(|n| n.starts_with("policy")))
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_owned(),
                s["operator"].as_str().unwrap().to_owned(),
                s["decision"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let find = |step: &str, op: &str| {
        decisions
            .iter()
            .find(|(s, o, _)| s == step && o == op)
            .map_or_else(
                || panic!("{step} {op}: {decisions:?}"),
                |(_, _, d)| d.as_str(),
            )
    };
    // The linked 身体 第1種 presentation.
    assert_eq!(find("policy", "example-city-bus"), "accepted");
    assert_eq!(find("policy", "example-booking"), "not_accepted");
    // The unlinked 精神 handbook's hint in the app.
    assert_eq!(find("policy_hint", "example-city-bus"), "not_accepted");
    assert_eq!(find("policy_hint", "example-ferry"), "not_accepted");
    assert_eq!(find("policy_hint", "example-museum"), "accepted");
    // The booking site: the same holder, answering its challenge, gets both discounts; the
    // answer replayed at another session is refused; the order is signed with the card.
    let step = |name: &str| steps.iter().find(|s| s["step"] == name).unwrap();
    assert_eq!(step("booking_price")["decision"], "accepted");
    assert_eq!(step("booking_price")["total_yen"], 20_520);
    assert_eq!(step("booking_replayed")["code"], "replayed");
    assert_eq!(step("booking_purchase")["signer"], "山田 太郎");
    // The signed directory, synced and kept offline: where this handbook works in Tokyo.
    let places = steps.iter().find(|s| s["step"] == "places").unwrap();
    assert_eq!(places["operators"], 6);
    let tokyo: Vec<&str> = places["tokyo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        tokyo.contains(&"example-museum") && tokyo.contains(&"example-rail"),
        "{tokyo:?}"
    );
    assert!(
        !tokyo.contains(&"example-ferry"),
        "the ferry is in Kanagawa"
    );

    coupon_and_directory(dir.path(), steps, &kept);

    // The same presentation through `techo verify --policy`, at the time it was made.
    let at = std::fs::read_to_string(kept.join("presented-at.txt")).unwrap();
    let payload = std::fs::read_to_string(kept.join("presentation.txt")).unwrap();
    let root = std::fs::read_to_string(kept.join("root-key.txt")).unwrap();
    for (file, want) in [
        ("rail-jr-style", 0),
        ("city-bus-linked-only", 0),
        ("museum-all-kinds", 0),
        ("booking-site-online", 1),
        ("ferry-no-mental", 0),
    ] {
        let out = techo(dir.path())
            .env("TECHO_NOW", at.trim())
            .args([
                "--lang",
                "en",
                "verify",
                payload.trim(),
                "--policy",
                &policy(file),
            ])
            .arg("--trust-list")
            .arg(kept.join("trust-list.cbor"))
            .arg("--status-list")
            .arg(kept.join("status-list-1.cbor"))
            .args(["--root", root.trim()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(want), "{file}: {text}");
        if want == 0 {
            assert!(text.contains("holder + 1 caregiver"), "{file}: {text}");
        }
    }
}

#[test]
fn places_without_a_directory_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    techo(dir.path())
        .args(["--lang", "en", "places"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("techo places --sync"));
}

/// The demo's coupon (once, then refused) and its signed directory loaded into another wallet.
fn coupon_and_directory(dir: &Path, steps: &[serde_json::Value], kept: &Path) {
    // The coupon: redeemed once, a second attempt refused.
    let coupon: Vec<_> = steps.iter().filter(|s| s["step"] == "coupon").collect();
    assert_eq!(coupon.len(), 2);
    assert_eq!(coupon[0]["result"], "recorded");
    assert_eq!(coupon[1]["result"], "limit_reached");

    // The signed directory, loaded into another wallet: who accepts a 療育手帳.
    let places = techo(&dir.join("counter"))
        .args(["--json", "places", "--kind", "療育", "--import"])
        .arg(kept.join("directory.cbor"))
        .arg("--trust-list")
        .arg(kept.join("trust-list.cbor"))
        .args([
            "--root",
            std::fs::read_to_string(kept.join("root-key.txt"))
                .unwrap()
                .trim(),
        ])
        .output()
        .unwrap();
    assert!(
        places.status.success(),
        "{}",
        String::from_utf8_lossy(&places.stderr)
    );
    let places: serde_json::Value = serde_json::from_slice(&places.stdout).unwrap();
    let ids: Vec<&str> = places["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["operator"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 6, "every fixture operator accepts 療育: {ids:?}");
    // A tampered file is refused.
    let mut forged = std::fs::read(kept.join("directory.cbor")).unwrap();
    let last = forged.len() - 10;
    forged[last] ^= 1;
    let bad = dir.join("forged.cbor");
    std::fs::write(&bad, forged).unwrap();
    techo(&dir.join("counter2"))
        .args(["places", "--import", bad.to_str().unwrap(), "--trust-list"])
        .arg(kept.join("trust-list.cbor"))
        .args([
            "--root",
            std::fs::read_to_string(kept.join("root-key.txt"))
                .unwrap()
                .trim(),
        ])
        .assert()
        .code(2);
}

/// The shared verdict table (fixtures/conformance/verdicts.json): `techo verify --policy` gives
/// every row the verdict the core gives it, as the phones must too.
#[test]
fn the_cli_gives_every_row_of_the_verdict_table_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = repo("fixtures/conformance");
    let read = |p: std::path::PathBuf| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let table = read(corpus.join("verdicts.json"));
    let ctx = read(
        corpus
            .join("contexts")
            .join(format!("{}.json", table["context"].as_str().unwrap())),
    );
    let write = |name: &str, hex: &serde_json::Value| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            techo_core::hex::decode(hex.as_str().unwrap()).unwrap(),
        )
        .unwrap();
        path.to_str().unwrap().to_owned()
    };
    let trust = write("trust.cbor", &ctx["trust_list"]);
    let mut lists = Vec::new();
    for (i, l) in ctx["status_lists"].as_array().unwrap().iter().enumerate() {
        lists.push(write(&format!("status-{i}.cbor"), l));
    }
    let mut failures = Vec::new();
    for row in table["rows"].as_array().unwrap() {
        let text = table["presentations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == row["presentation"])
            .unwrap()["text"]
            .as_str()
            .unwrap();
        let trip = &row["trip"];
        let mut cmd = techo(dir.path());
        cmd.env("TECHO_NOW", table["now"].as_str().unwrap())
            .args(["--json", "verify", text, "--trust-list", &trust])
            .args(["--root", ctx["root_key"].as_str().unwrap()])
            .args(["--policy", &policy(row["policy"].as_str().unwrap())])
            .args(["--trip-date", trip["date"].as_str().unwrap()]);
        for l in &lists {
            cmd.args(["--status-list", l]);
        }
        if let Some(km) = trip["distance_km"].as_u64() {
            cmd.args(["--distance-km", &km.to_string()]);
        }
        if let Some(c) = trip["with_caregiver"].as_bool() {
            cmd.args(["--caregiver", if c { "yes" } else { "no" }]);
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let got = if out.status.code() == Some(2) {
            let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
            serde_json::json!({ "invalid": err["error"]["code"] })
        } else {
            let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            let codes: Vec<serde_json::Value> = v["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .chain(v["notes"].as_array().unwrap())
                .map(|r| r["code"].clone())
                .collect();
            let mut got = serde_json::json!({
                "decision": v["decision"],
                "holder": v["grant"]["holder"],
                "caregiver": v["grant"]["caregiver"],
                "codes": codes,
            });
            let declared: Vec<serde_json::Value> = v["self_declared"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["code"].clone())
                .collect();
            if !declared.is_empty() {
                got["self_declared"] = declared.into();
            }
            got
        };
        if got != row["expected"] {
            failures.push(format!(
                "{}: got {got}, expected {}",
                row["id"], row["expected"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
