//! `techo profile`, `techo pages`, `register --page-image`, and the verifier marking support items
//! as self-declared.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use predicates::prelude::*;

fn profile() -> std::path::PathBuf {
    repo("fixtures/profiles/powered-chair.toml")
}

#[test]
fn profile_set_show_and_the_verifier_marks_it_self_declared() {
    let dir = tempfile::tempdir().unwrap();
    let hb = json(
        dir.path(),
        &[
            "register",
            "--from",
            fixture("01-physical-1-tokyo.toml").to_str().unwrap(),
        ],
    );
    let id = hb["id"].as_str().unwrap().to_owned();
    let set = json(
        dir.path(),
        &["profile", "set", "--from", profile().to_str().unwrap()],
    );
    assert_eq!(set["self_declared"], true);
    assert_eq!(set["profile"]["items"][0]["powered"]["watt_hours"], 300);
    techo(dir.path())
        .args(["--lang", "en", "profile", "show"])
        .assert()
        .success()
        .stdout(predicate::str::contains("self-declared").and(predicate::str::contains("300 Wh")));

    json(dir.path(), &["issuer", "issue", &id]);
    let payload = json(dir.path(), &["present"])["payload"]
        .as_str()
        .unwrap()
        .to_owned();
    techo(dir.path())
        .args(["--lang", "en", "verify", &payload])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("SELF-DECLARED (not checked by the issuer)")
                .and(predicate::str::contains("Electric wheelchair"))
                .and(predicate::str::contains("Boarding ramp"))
                // Shown on the screen only, not carried in the QR.
                .and(predicate::str::contains("Escort to the platform").not()),
        );
    let v = json(dir.path(), &["verify", &payload]);
    assert_eq!(v["self_declared"][0]["code"], "electric_wheelchair");
    assert_eq!(v["self_declared"][0]["verified_by_issuer"], false);
    assert!(
        v["claims"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !c.as_str().unwrap().contains("車椅子"))
    );

    // A bad file is refused with the item named; the stored profile stays.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[items]]\ncode = \"electric_wheelchair\"\n").unwrap();
    techo(dir.path())
        .args(["profile", "set", "--from", bad.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("electric_wheelchair"));
    let kept = json(dir.path(), &["profile", "show"]);
    assert_eq!(kept["profile"]["items"].as_array().unwrap().len(), 4);
    json(dir.path(), &["profile", "clear"]);
    assert!(
        json(dir.path(), &["profile", "show"])["profile"]["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn page_images_at_registration_and_after() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = dir.path().join("page.jpg");
    std::fs::write(
        &jpeg,
        techo_core::model::page_image::sample_jpeg(1600, 1200),
    )
    .unwrap();
    let pdf = dir.path().join("page.pdf");
    std::fs::write(&pdf, b"%PDF-1.7 not an image").unwrap();

    // A refused page refuses the whole registration: nothing half-registered.
    techo(dir.path())
        .args([
            "--lang",
            "en",
            "register",
            "--from",
            fixture("01-physical-1-tokyo.toml").to_str().unwrap(),
        ])
        .args([
            "--page-image",
            jpeg.to_str().unwrap(),
            "--page-image",
            pdf.to_str().unwrap(),
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("page_image"));
    assert_eq!(json(dir.path(), &["list"]).as_array().unwrap().len(), 0);

    let hb = json(
        dir.path(),
        &[
            "register",
            "--from",
            fixture("01-physical-1-tokyo.toml").to_str().unwrap(),
            "--page-image",
            jpeg.to_str().unwrap(),
        ],
    );
    let id = hb["id"].as_str().unwrap().to_owned();
    // Stored upright: the camera's orientation (6) is applied to the pixels.
    assert_eq!(hb["pages"][0]["rotation"], 0);
    assert_eq!(hb["pages"][0]["width"], 1200);
    let out = dir.path().join("out.jpg");
    techo(dir.path())
        .args(["pages", "export", &id, "1", out.to_str().unwrap()])
        .assert()
        .success();
    let stored = std::fs::read(&out).unwrap();
    assert!(!stored.windows(4).any(|w| w == b"Exif"), "EXIF removed");
    assert!(!stored.windows(3).any(|w| w == b"GPS"));

    json(
        dir.path(),
        &["pages", "add", &id, photo_png().to_str().unwrap()],
    );
    assert_eq!(
        json(dir.path(), &["pages", "list", &id])["pages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    techo(dir.path())
        .args(["--lang", "en", "show", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains("Page images").and(predicate::str::contains("2")));
    let png = dir.path().join("page2.png");
    techo(dir.path())
        .args([
            "preview",
            "--enlarge-page",
            "2",
            "--size",
            "390x844",
            "--out",
            png.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    json(dir.path(), &["pages", "remove", &id, "1"]);
    assert_eq!(
        json(dir.path(), &["pages", "list", &id])["pages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    techo(dir.path())
        .args(["pages", "export", &id, "2", out.to_str().unwrap()])
        .assert()
        .code(5);
}

fn photo_png() -> std::path::PathBuf {
    fixture("photos/yamada.png")
}
