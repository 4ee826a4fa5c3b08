//! Criterion benchmarks for the token path. `techo bench` prints the same figures as ratios.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use techo_core::token::sample::Sample;
use techo_core::token::{ClaimId, Policy, QrImage, present, verify};

fn token_benches(c: &mut Criterion) {
    let s = Sample::new();
    let payload = s.counter_payload();
    let policy = Policy::default();
    let issuer_pk = s.issuer.public();
    let device_pk = s.device.public();
    let (m1, m2) = (vec![1u8; 120], vec![2u8; 90]);
    let (sig1, sig2) = (s.issuer_key.sign_bytes(&m1), s.device.sign_bytes(&m2));

    c.bench_function("verify/counter presentation", |b| {
        b.iter(|| verify(black_box(&payload), &s.trust, &s.status, s.now, &policy).unwrap());
    });
    c.bench_function("verify/two raw ring P-256 verifies", |b| {
        b.iter(|| {
            assert!(issuer_pk.verify(black_box(&m1), &sig1));
            assert!(device_pk.verify(black_box(&m2), &sig2));
        });
    });
    c.bench_function("present/token + QR matrix", |b| {
        b.iter(|| {
            let p = present(&s.counter, &s.device, s.now, &ClaimId::COUNTER, None).unwrap();
            QrImage::for_payload(&p).unwrap()
        });
    });
    c.bench_function("present/raw sign + raw QR encode", |b| {
        b.iter(|| {
            black_box(s.device.sign_bytes(black_box(&m2)));
            qrcode::QrCode::with_error_correction_level(black_box(&payload), qrcode::EcLevel::M)
                .unwrap()
        });
    });
}

criterion_group!(benches, token_benches);
criterion_main!(benches);
