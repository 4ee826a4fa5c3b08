//! Files that hold decrypted data, keys or tokens: created for their owner only, never written
//! through a planted link, and keys found in a folder others could change are refused.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use predicates::prelude::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn store_export_is_private_and_does_not_follow_a_planted_link() {
    let dir = tempfile::tempdir().unwrap();
    json(
        dir.path(),
        &[
            "register",
            "--from",
            fixture("01-physical-1-tokyo.toml").to_str().unwrap(),
        ],
    );
    // An export folder someone prepared: world-readable, with a link where the file will go.
    let out = dir.path().join("export");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
    let victim = dir.path().join("readable-by-all");
    std::fs::write(&victim, b"").unwrap();
    std::os::unix::fs::symlink(&victim, out.join("handbooks.json")).unwrap();
    techo(dir.path())
        .args(["store", "export"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"",
        "nothing written through the link"
    );
    assert_eq!(mode(&out), 0o700);
    assert_eq!(mode(&out.join("handbooks.json")), 0o600);
    for photo in std::fs::read_dir(out.join("photos")).unwrap() {
        assert_eq!(mode(&photo.unwrap().path()), 0o600);
    }
}

#[test]
fn issuer_keys_others_could_change_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    techo(dir.path())
        .args(["issuer", "init"])
        .assert()
        .success();
    let keys = dir.path().join("dev-issuer");
    assert_eq!(mode(&keys), 0o700);
    assert_eq!(mode(&keys.join("root.p8")), 0o600);
    // A planted or loosened root key is not used (its public half would be served as ours).
    std::fs::set_permissions(keys.join("root.p8"), std::fs::Permissions::from_mode(0o644)).unwrap();
    techo(dir.path())
        .args(["--lang", "en", "issuer", "init"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("root.p8").and(predicate::str::contains("600")));
    std::fs::set_permissions(keys.join("root.p8"), std::fs::Permissions::from_mode(0o600)).unwrap();
    // A key file replaced by a link is refused too.
    std::fs::rename(keys.join("issuer.p8"), dir.path().join("elsewhere.p8")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("elsewhere.p8"), keys.join("issuer.p8")).unwrap();
    techo(dir.path())
        .args(["--lang", "en", "issuer", "init"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a regular file"));
}
