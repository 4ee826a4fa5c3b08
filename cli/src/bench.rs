//! `techo bench`: the token figures as ratios, measured in one run on this machine.
//!
//! Each figure is the median of 21 rounds; a round times a batch of the work and then a batch of
//! its baseline, and the ratio reported is the median of the per-round ratios.

use std::hint::black_box;
use std::time::{Duration, Instant};
use techo_core::token::sample::Sample;
use techo_core::token::{ClaimId, Payload, Policy, QrImage, present, verify};

/// Times `work` and `base` in alternating batches and returns the median time per call of each
/// and the median of the per-round ratios, so machine noise hits both sides alike.
fn paired(batch: u32, mut work: impl FnMut(), mut base: impl FnMut()) -> (Duration, Duration, f64) {
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        start.elapsed() / batch
    };
    time(&mut work);
    time(&mut base);
    let mut rounds: Vec<(Duration, Duration)> = (0..21)
        .map(|_| (time(&mut work), time(&mut base)))
        .collect();
    let mut ratios: Vec<f64> = rounds
        .iter()
        .map(|(w, b)| w.as_secs_f64() / b.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    rounds.sort_by_key(|r| r.0);
    let w = rounds[rounds.len() / 2].0;
    rounds.sort_by_key(|r| r.1);
    let b = rounds[rounds.len() / 2].1;
    (w, b, ratios[ratios.len() / 2])
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

pub fn run() {
    let s = Sample::new();
    let payload = s.counter_payload();
    let qr = Payload::parse(&payload)
        .ok()
        .and_then(|p| QrImage::for_payload(&p).ok());

    // Two raw ES256 verifies with ring over messages of the same sizes.
    let issuer_pk = s.issuer.public();
    let device_pk = s.device.public();
    let m1 = vec![1u8; 120];
    let m2 = vec![2u8; 90];
    let (sig1, sig2) = (s.issuer_key.sign_bytes(&m1), s.device.sign_bytes(&m2));
    let policy = Policy::default();
    let (full_verify, raw_verify, verify_ratio) = paired(
        100,
        || {
            black_box(verify(
                black_box(&payload),
                &s.trust,
                &s.status,
                s.now,
                &policy,
            ))
            .ok();
        },
        || {
            black_box(issuer_pk.verify(black_box(&m1), &sig1));
            black_box(device_pk.verify(black_box(&m2), &sig2));
        },
    );
    // Token + QR versus a raw sign plus a raw QR encode of the same bytes.
    let (make, raw_make, make_ratio) = paired(
        20,
        || {
            let p =
                present(&s.counter, &s.device, s.now, &ClaimId::COUNTER, None).expect("presents");
            black_box(QrImage::for_payload(&p).ok());
        },
        || {
            black_box(s.device.sign_bytes(black_box(&m2)));
            black_box(
                qrcode::QrCode::with_error_correction_level(
                    black_box(&payload),
                    qrcode::EcLevel::M,
                )
                .ok(),
            );
        },
    );
    println!(
        "verify: {:.1} µs = {verify_ratio:.2}× two raw ring P-256 verifies ({:.1} µs)",
        us(full_verify),
        us(raw_verify)
    );
    println!(
        "token + QR: {:.1} µs = {make_ratio:.2}× raw sign + raw QR encode ({:.1} µs)",
        us(make),
        us(raw_make)
    );
    // Issuance: credential pairs signed per second on one core (signing and encoding only).
    let claims = techo_core::token::HandbookClaims {
        kind: techo_core::model::HandbookKind::Physical,
        grade: "1級".into(),
        fare_class: techo_core::model::FareClass::First,
        caregiver: true,
        municipality: "131016".into(),
        expiry: None,
        linkage: techo_core::token::LinkageKind::Linked,
        photo: None,
        guardian: None,
    };
    let device = s.device.public();
    let day = s.counter.not_before;
    let request = techo_core::token::IssueRequest {
        claims: &claims,
        device_key: &device,
        device_alias: "bench",
        not_before: day,
        not_after: day,
        status: techo_core::token::StatusRef { list: 1, index: 7 },
    };
    let n = 300u32;
    let start = Instant::now();
    for _ in 0..n {
        black_box(s.issuer.issue(&request).ok());
    }
    let per_second = f64::from(n * 2) / start.elapsed().as_secs_f64();
    println!(
        "issuance: {per_second:.0} credentials/s on one core (counter + full pairs, signing and encoding)"
    );
    match qr {
        Some(q) => println!(
            "counter QR: {} bytes, version {} at ECC M ({:?} mode)",
            payload.len(),
            q.version,
            q.mode
        ),
        None => println!("counter QR: {} bytes, does not fit", payload.len()),
    }
}
