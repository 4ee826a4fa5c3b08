//! The `techo` binary end to end, on temp data dirs.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

use predicates::prelude::*;

#[test]
fn demo_lists_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let assert = techo(dir.path()).arg("demo").assert().success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for name in [
        "山田 太郎",
        "高橋 美咲",
        "伊藤 さくら",
        "小林 大輔",
        "期限切れ（2024-03-31）",
        "9 件",
    ] {
        assert!(out.contains(name), "{name} missing from:\n{out}");
    }
    assert!(
        out.contains("municipality_code"),
        "the bad check digit demo names the field"
    );
    // The demo never touches the data dir it was given.
    assert!(!dir.path().join("store").exists());
}

#[test]
fn demo_in_english_and_json() {
    let dir = tempfile::tempdir().unwrap();
    techo(dir.path())
        .args(["--lang", "en", "demo"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Registered handbooks")
                .and(predicate::str::contains("EXPIRED")),
        );
    let v = json(dir.path(), &["demo"]);
    assert_eq!(v["handbooks"].as_array().unwrap().len(), 9);
    // 連携済 reached through 申請中, a verified presentation, a refused one after revocation.
    let steps = v["steps"].as_array().unwrap();
    let find = |name: &str| {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .unwrap_or_else(|| panic!("no step {name}: {steps:?}"))
    };
    assert_eq!(find("link")["linkage"], "申請中");
    assert_eq!(find("retry")["linkage"], "連携済");
    // 248 bytes fit version 11; the two self-declared codes make it 12.
    assert!(find("present")["qr_version"].as_u64().unwrap() <= 12);
    let declared = find("self_declared");
    assert_eq!(declared["verified_by_issuer"], false);
    assert_eq!(
        declared["self_declared"],
        serde_json::json!(["electric_wheelchair", "boarding_ramp"])
    );
    assert_eq!(find("verify")["valid"], true);
    assert_eq!(find("verify_after_revoke")["code"], "revoked");
    assert_eq!(find("poll_after_revoke")["linkage"], "未連携");
}

#[test]
fn register_list_show_select_withdraw() {
    let dir = tempfile::tempdir().unwrap();
    techo(dir.path())
        .args(["register", "--from"])
        .arg(fixture("01-physical-1-tokyo.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("未連携"));
    let hb = json(
        dir.path(),
        &[
            "register",
            "--from",
            fixture("06-intellectual-tokyo-2do.toml").to_str().unwrap(),
        ],
    );
    assert_eq!(hb["category"]["label"], "2度");
    assert_eq!(hb["category"]["severity"], "severe");
    assert_eq!(hb["caregiver_discount"], true);
    let id = hb["id"].as_str().unwrap().to_owned();

    let list = json(dir.path(), &["list"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["on_counter"], true);
    assert_eq!(list[0]["labels"]["fare_class"], "第1種");

    techo(dir.path())
        .args(["--lang", "en", "show", &id[..5]])
        .assert()
        .success()
        .stdout(predicate::str::contains("Intellectual disability handbook"));
    let shown = json(dir.path(), &["select", &id]);
    assert_eq!(shown["on_counter"], true);

    techo(dir.path()).args(["withdraw", &id]).assert().success();
    techo(dir.path())
        .args(["show", &id])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("techo list"));
    assert_eq!(json(dir.path(), &["list"]).as_array().unwrap().len(), 1);
}

#[test]
fn register_from_flags_and_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let hb = json(
        dir.path(),
        &[
            "register",
            "--kind",
            "精神",
            "--grade",
            "2",
            "--fare-class",
            "第2種",
            "--number",
            "X-1",
            "--municipality-code",
            "131016",
            "--municipality-name",
            "千代田区",
            "--issued",
            "2025-04-01",
            "--expires",
            "2027-04-30",
            "--name",
            "青木 蓮",
            "--kana",
            "あおき れん",
            "--birth-date",
            "2000-01-01",
        ],
    );
    assert_eq!(hb["holder"]["kana"], "アオキ レン");
    assert!(hb["photo"].is_null());
    // A file with one field overridden by a flag.
    let hb = json(
        dir.path(),
        &[
            "register",
            "--from",
            fixture("02-physical-4-osaka.toml").to_str().unwrap(),
            "--grade",
            "3",
        ],
    );
    assert_eq!(hb["category"]["grade"], 3);
}

#[test]
fn a_bad_check_digit_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("01-physical-1-tokyo.toml"))
        .unwrap()
        .replace("131016", "131017");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, text).unwrap();
    techo(dir.path())
        .args(["register", "--photo"])
        .arg(fixture("photos/yamada.png"))
        .arg("--from")
        .arg(&file)
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("municipality_code")
                .and(predicate::str::contains("交付自治体コード")),
        );
    let out = techo(dir.path())
        .args(["--json", "register", "--from"])
        .arg(&file)
        .arg("--photo")
        .arg(fixture("photos/yamada.png"))
        .assert()
        .code(3)
        .get_output()
        .stderr
        .clone();
    let err: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(err["error"]["code"], "invalid_handbook");
    assert_eq!(err["error"]["fields"][0], "municipality_code");
    assert_eq!(
        json(dir.path(), &["list"]).as_array().unwrap().len(),
        0,
        "nothing stored"
    );
}

#[test]
fn malformed_handbook_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "broken.toml",
            "kind = \"physical\"\ngrade = ",
            "broken.toml",
        ),
        (
            "unknown.toml",
            "kind = \"physical\"\ncolor = \"red\"",
            "color",
        ),
        (
            "types.toml",
            "kind = \"physical\"\ngrade = \"one\"",
            "grade",
        ),
    ];
    for (name, body, mention) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, body).unwrap();
        techo(dir.path())
            .args(["register", "--from"])
            .arg(&file)
            .assert()
            .code(3)
            .stderr(predicate::str::contains(mention));
    }
    let missing = dir.path().join("empty.toml");
    std::fs::write(&missing, "kind = \"mental\"\ngrade = 1\n").unwrap();
    techo(dir.path())
        .args(["register", "--from"])
        .arg(&missing)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("expires").and(predicate::str::contains("holder.name")));
    let not_png = dir.path().join("photo.png");
    std::fs::write(&not_png, b"GIF89a").unwrap();
    techo(dir.path())
        .args(["register", "--from"])
        .arg(fixture("01-physical-1-tokyo.toml"))
        .arg("--photo")
        .arg(&not_png)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("photo"));
}

#[test]
fn wrong_key_and_missing_key_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    techo(dir.path())
        .args(["register", "--from"])
        .arg(fixture("01-physical-1-tokyo.toml"))
        .assert()
        .success();
    let key = dir.path().join("data.key");
    let original = std::fs::read(&key).unwrap();
    std::fs::write(&key, "ab".repeat(32)).unwrap();
    techo(dir.path())
        .arg("list")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("techo store reset"));
    std::fs::remove_file(&key).unwrap();
    techo(dir.path())
        .arg("list")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("key file"));
    std::fs::write(&key, original).unwrap();
    assert_eq!(
        json(dir.path(), &["list"]).as_array().unwrap().len(),
        1,
        "data intact with the right key"
    );
}

#[test]
fn store_check_export_drop_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["01-physical-1-tokyo.toml", "03-mental-1-sapporo.toml"] {
        techo(dir.path())
            .args(["register", "--from"])
            .arg(fixture(f))
            .assert()
            .success();
    }
    techo(dir.path())
        .args(["store", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("問題はありません"));
    let victim = json(dir.path(), &["list"])[1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let damage_database = || {
        let db = sled::open(dir.path().join("store")).unwrap();
        let t = db.open_tree("handbooks").unwrap();
        let mut v = t.get(&victim).unwrap().unwrap().to_vec();
        v[30] ^= 0x55;
        t.insert(victim.as_bytes(), v).unwrap();
        db.flush().unwrap();
    };
    // Damaged in the database only: the second copy is whole, the holder notices nothing,
    // and `--repair` puts the record back.
    damage_database();
    assert_eq!(json(dir.path(), &["list"]).as_array().unwrap().len(), 2);
    techo(dir.path())
        .args(["--lang", "en", "store", "check"])
        .assert()
        .code(4)
        .stdout(predicate::str::contains("--repair"));
    techo(dir.path())
        .args(["store", "check", "--repair"])
        .assert()
        .success();
    techo(dir.path())
        .args(["store", "check"])
        .assert()
        .success();
    // Damaged in both copies: that record is lost, the others are not.
    damage_database();
    let copy = dir.path().join("store.copy").join(techo_core::hex::encode(
        format!("handbooks/{victim}").as_bytes(),
    ));
    let mut c = std::fs::read(&copy).unwrap();
    c[30] ^= 0x55;
    std::fs::write(&copy, c).unwrap();
    techo(dir.path())
        .arg("list")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("techo store check"));
    techo(dir.path())
        .args(["store", "check"])
        .assert()
        .code(4)
        .stdout(predicate::str::contains(victim.as_str()));
    let out = dir.path().join("export");
    techo(dir.path())
        .args(["store", "export"])
        .arg(&out)
        .assert()
        .success();
    let exported: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("handbooks.json")).unwrap()).unwrap();
    assert_eq!(exported["handbooks"].as_array().unwrap().len(), 1);
    assert_eq!(exported["damaged"][0]["key"], victim.as_str());
    assert_eq!(std::fs::read_dir(out.join("photos")).unwrap().count(), 1);
    techo(dir.path())
        .args(["store", "check", "--repair"])
        .assert()
        .success();
    assert_eq!(json(dir.path(), &["list"]).as_array().unwrap().len(), 1);
    techo(dir.path())
        .args(["store", "reset"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--yes"));
    techo(dir.path())
        .args(["store", "reset", "--yes"])
        .assert()
        .success();
    assert_eq!(json(dir.path(), &["list"]).as_array().unwrap().len(), 0);
}

#[test]
fn the_timing_check_refuses_too_few_samples_to_judge() {
    let dir = tempfile::tempdir().unwrap();
    techo(dir.path())
        .args(["bench", "--timing", "--samples", "10"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--samples 50000"));
}
