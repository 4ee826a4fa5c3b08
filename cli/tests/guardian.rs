//! A guardian's handbooks in the CLI: kept apart in the list, named on verification, refused by
//! an operator that needs the holder in person; and the guardian part of the demo.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn a_guardians_handbook_is_listed_apart_and_named_by_the_verifier() {
    let dir = tempfile::tempdir().unwrap();
    json(
        dir.path(),
        &[
            "register",
            "--from",
            fixture("01-physical-1-tokyo.toml").to_str().unwrap(),
        ],
    );
    let text = without_photo("08-intellectual-kanagawa-a2.toml")
        + "\n[guardian]\nrelationship = \"parent\"\nname = \"中村 真理\"\n";
    let file = dir.path().join("child.toml");
    std::fs::write(&file, text).unwrap();
    let hb = json(dir.path(), &["register", "--from", file.to_str().unwrap()]);
    assert_eq!(hb["presenter"]["by"], "guardian");
    let id = hb["id"].as_str().unwrap().to_owned();
    techo(dir.path())
        .args(["--lang", "en", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Handbooks you present for others (as guardian)",
        ));
    techo(dir.path())
        .args(["--lang", "en", "show", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Presented by guardian (parent: 中村 真理)",
        ));

    json(dir.path(), &["issuer", "issue", &id]);
    let payload = json(dir.path(), &["present", &id])["payload"]
        .as_str()
        .unwrap()
        .to_owned();
    techo(dir.path())
        .args(["--lang", "en", "verify", &payload])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "presented by guardian (parent, linked with the holder's card)",
        ));
    let v = json(dir.path(), &["verify", &payload]);
    assert_eq!(v["guardian"]["relationship"], "parent");
    assert_eq!(v["guardian"]["portal_confirmed"], false);

    let policy = |name: &str| repo(&format!("fixtures/policies/{name}.toml"));
    techo(dir.path())
        .args(["--lang", "en", "verify", &payload, "--policy"])
        .arg(policy("museum-all-kinds"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("▶ presented by guardian (parent"));
    // Example Air needs the holder in person (and a linked screen).
    techo(dir.path())
        .args(["--lang", "en", "verify", &payload, "--policy"])
        .arg(policy("airline-holder-present"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "needs the holder to present in person",
        ));

    // A guardian section with a missing name is refused, naming the field.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        without_photo("09-intellectual-saitama-maru-a.toml")
            + "\n[guardian]\nrelationship = \"cousin\"\n",
    )
    .unwrap();
    techo(dir.path())
        .args(["--lang", "en", "register", "--from", bad.to_str().unwrap()])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("guardian.relationship")
                .and(predicate::str::contains("guardian.name")),
        );
}

#[test]
fn the_demo_shows_a_guardian_and_the_staff_verdict_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let demo = json(dir.path(), &["demo"]);
    let steps = demo["steps"].as_array().unwrap();
    let step = |name: &'static str| -> Vec<&serde_json::Value> {
        steps.iter().filter(|s| s["step"] == name).collect()
    };
    let link = step("guardian_link")[0];
    assert_eq!(link["linkage"], "連携済");
    assert!(
        step("guardian_screen")[0]["band"]
            .as_str()
            .unwrap()
            .contains("保護者が提示")
    );
    let verified = step("guardian_verify")[0];
    assert_eq!(verified["guardian"]["relationship"], "legal_guardian");
    assert_eq!(verified["guardian"]["portal_confirmed"], true);
    let verdicts = step("guardian_policy");
    let museum = verdicts
        .iter()
        .find(|v| v["operator"] == "example-museum")
        .unwrap();
    assert_eq!(museum["decision"], "accepted");
    assert!(
        museum["codes"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("presented_by_guardian"))
    );
    let air = verdicts
        .iter()
        .find(|v| v["operator"] == "example-air")
        .unwrap();
    assert_eq!(air["decision"], "not_accepted");
}

/// A fixture's text without its relative photo path (the copy lives in a temp dir).
fn without_photo(name: &str) -> String {
    std::fs::read_to_string(fixture(name))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("photo"))
        .collect::<Vec<_>>()
        .join("\n")
}
