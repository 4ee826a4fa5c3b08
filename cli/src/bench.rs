//! `techo bench`: the token figures as ratios, measured in one run on this machine.
//!
//! Each figure is the median of 15 rounds; a round times a batch of calls. Ratios compare work
//! measured side by side, so a busy machine moves both sides together.

use std::hint::black_box;
use std::time::{Duration, Instant};
use techo_core::token::sample::Sample;
use techo_core::token::{ClaimId, Payload, Policy, QrImage, present, verify};

fn median_per_call(batch: u32, mut f: impl FnMut()) -> Duration {
    for _ in 0..batch {
        f();
    }
    let mut rounds: Vec<Duration> = (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                f();
            }
            start.elapsed() / batch
        })
        .collect();
    rounds.sort();
    rounds[rounds.len() / 2]
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
    let (sig1, sig2) = (s.issuer.key().sign_bytes(&m1), s.device.sign_bytes(&m2));
    let raw_verify = median_per_call(200, || {
        black_box(issuer_pk.verify(black_box(&m1), &sig1));
        black_box(device_pk.verify(black_box(&m2), &sig2));
    });
    let policy = Policy::default();
    let full_verify = median_per_call(200, || {
        black_box(verify(
            black_box(&payload),
            &s.trust,
            &s.status,
            s.now,
            &policy,
        ))
        .ok();
    });

    // Token + QR versus a raw sign plus a raw QR encode of the same bytes.
    let make = median_per_call(50, || {
        let p = present(&s.counter, &s.device, s.now, &ClaimId::COUNTER, None).expect("presents");
        black_box(QrImage::for_payload(&p).ok());
    });
    let raw_make = median_per_call(50, || {
        black_box(s.device.sign_bytes(black_box(&m2)));
        black_box(
            qrcode::QrCode::with_error_correction_level(black_box(&payload), qrcode::EcLevel::M)
                .ok(),
        );
    });

    println!(
        "verify: {:.1} µs = {:.2}× two raw ring P-256 verifies ({:.1} µs)",
        us(full_verify),
        us(full_verify) / us(raw_verify),
        us(raw_verify)
    );
    println!(
        "token + QR: {:.1} µs = {:.2}× raw sign + raw QR encode ({:.1} µs)",
        us(make),
        us(make) / us(raw_make),
        us(raw_make)
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
