//! `techo preview`: a readable PNG with a scannable QR, and an SVG with the staff items.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

#[test]
fn png_preview_carries_a_scannable_presentation() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("screen.png");
    techo(dir.path())
        .args(["preview", "--size", "720x1600", "--out"])
        .arg(&png)
        .assert()
        .success();
    let file = std::fs::File::open(&png).unwrap();
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (720, 1600));
    let channels = info.color_type.samples();
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(720, 1600, |x, y| {
        buf[(y * 720 + x) * channels]
    });
    let grids = img.detect_grids();
    let mut bytes = Vec::new();
    grids
        .first()
        .expect("a QR code in the preview")
        .decode_to(&mut bytes)
        .unwrap();
    assert!(bytes.starts_with(b"TK1"), "a Techo presentation");
}

#[test]
fn svg_preview_lists_what_staff_check() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("screen.svg");
    techo(dir.path())
        .args(["preview", "--reduced-motion", "--out"])
        .arg(&svg)
        .assert()
        .success();
    let text = std::fs::read_to_string(&svg).unwrap();
    for needle in [
        "身体障害者手帳",
        "第1種",
        "介護者1名も割引",
        "連携済",
        "2026-11-25（水）12:00:00",
        "data:image/png;base64,",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
    techo(dir.path())
        .args(["preview", "--size", "1x1", "--out"])
        .arg(&svg)
        .assert()
        .code(2);
}

#[test]
fn a_coupon_the_wallet_cannot_use_is_said_in_the_codes_place() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("coupon.svg");
    techo(dir.path())
        .args(["preview", "--coupon", "example-museum/none", "--out"])
        .arg(&svg)
        .assert()
        .success();
    let text = std::fs::read_to_string(&svg).unwrap();
    // The counter session refuses the coupon: its message instead of a code, nothing signed.
    assert!(text.contains("このクーポンはありません"), "{text}");
    assert!(!text.contains(r##"fill="#000000""##), "no QR modules drawn");
    techo(dir.path())
        .args(["preview", "--coupon", "no-slash", "--out"])
        .arg(&svg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("OPERATOR/COUPON"));
}
