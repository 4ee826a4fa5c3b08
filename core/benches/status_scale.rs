//! Status lists at national scale (issue 32): 7 million handbooks × 16 live credentials, with
//! indices reused after 24 days (so ~1.14 × that many entries are live), 0.5 % revoked or
//! suspended, in bounded lists of 2^22 entries at most three quarters full. Prints what a verifier holds (all lists,
//! compressed), what one day's signed deltas weigh, and criterion times: publishing every full
//! list, publishing a day's deltas, and a verifier checking and applying them.
//!
//! `cargo bench -p techo-core --bench status_scale` (release build, about a minute).
#![allow(
    clippy::unwrap_used,
    missing_docs,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss
)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use techo_core::token::sample::Sample;
use techo_core::token::status::{Status, StatusList};
use techo_core::token::status_delta::StatusDelta;

const HANDBOOKS: u64 = 7_000_000;
const LIVE_PER_HANDBOOK: u64 = 16;
/// Indices live 24 days, batches renew every 21: 24/21 of a batch per handbook is held.
const LIVE_ENTRIES: u64 = HANDBOOKS * LIVE_PER_HANDBOOK * 24 / 21;
const LIST_SIZE: u32 = 1 << 22;
/// One in 200 entries is revoked or suspended.
const NOT_VALID_PER_MILLE: u64 = 5;

/// xorshift64*: fast, deterministic, good enough to scatter indices.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
}

struct Scale {
    sample: Sample,
    today: Vec<StatusList>,
    tomorrow: Vec<StatusList>,
    deltas: Vec<StatusDelta>,
}

fn build() -> Scale {
    let sample = Sample::new();
    // As techo-server cuts them: lists at most three quarters full.
    let lists = (LIVE_ENTRIES * 4).div_ceil(u64::from(LIST_SIZE) * 3) as u32;
    let per_list_bad = LIVE_ENTRIES * NOT_VALID_PER_MILLE / 1000 / u64::from(lists);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut today = Vec::new();
    let mut tomorrow = Vec::new();
    let mut deltas = Vec::new();
    for id in 1..=lists {
        let mut list = StatusList::new(id, sample.issuer.id, LIST_SIZE, sample.now, 86_400);
        let mut bad = Vec::with_capacity(per_list_bad as usize);
        while (bad.len() as u64) < per_list_bad {
            let i = rng.below(LIST_SIZE);
            if list.get(i) == Some(Status::Valid) {
                let s = if rng.next() % 4 == 0 {
                    Status::Suspended
                } else {
                    Status::Revoked
                };
                list.set(i, s);
                bad.push(i);
            }
        }
        // A day later: a 24th of the entries were released (their bad bits cleared) and as
        // many new revocations and suspensions arrived, so the share stays 0.5 %.
        let mut next = list.clone();
        next.issued_at = sample.now + chrono::Duration::days(1);
        next.version += 1;
        let turnover = bad.len() / 24;
        for i in bad.iter().take(turnover) {
            next.set(*i, Status::Valid);
        }
        let mut added = 0;
        while added < turnover {
            let i = rng.below(LIST_SIZE);
            if next.get(i) == Some(Status::Valid) && list.get(i) == Some(Status::Valid) {
                next.set(i, Status::Revoked);
                added += 1;
            }
        }
        deltas.push(StatusDelta::between(&list, &next));
        today.push(list);
        tomorrow.push(next);
    }
    Scale {
        sample,
        today,
        tomorrow,
        deltas,
    }
}

fn status_scale(c: &mut Criterion) {
    let s = build();
    let key = &s.sample.issuer_key;
    let kid = &s.sample.issuer.kid;
    let full: usize = s.tomorrow.iter().map(|l| l.sign(key, kid).len()).sum();
    let signed: Vec<Vec<u8>> = s.deltas.iter().map(|d| d.sign(key, kid)).collect();
    let delta_bytes: usize = signed.iter().map(Vec::len).sum();
    let changes: usize = s.deltas.iter().map(StatusDelta::change_count).sum();
    eprintln!(
        "status at national scale: {} live entries in {} lists of {}; a verifier holds {:.2} MB compressed; a day's deltas: {} changes, {:.1} KB signed",
        LIVE_ENTRIES,
        s.today.len(),
        LIST_SIZE,
        full as f64 / 1_000_000.0,
        changes,
        delta_bytes as f64 / 1000.0
    );
    let mut group = c.benchmark_group("status at national scale");
    group.sample_size(10);
    group.bench_function("issuer: sign every full list", |b| {
        b.iter(|| {
            for l in &s.tomorrow {
                black_box(l.sign(key, kid));
            }
        });
    });
    group.bench_function("issuer: sign a day's deltas", |b| {
        b.iter(|| {
            for d in &s.deltas {
                black_box(d.sign(key, kid));
            }
        });
    });
    group.bench_function("verifier: check and apply a day's deltas", |b| {
        b.iter_batched(
            || s.today.clone(),
            |mut held| {
                for (list, bytes) in held.iter_mut().zip(&signed) {
                    let delta = StatusDelta::from_signed(bytes, &s.sample.trust).unwrap();
                    list.apply(&delta).unwrap();
                }
                held
            },
            criterion::BatchSize::LargeInput,
        );
    });
    group.finish();
    // The deltas bring every list exactly to tomorrow's.
    let mut held = s.today.clone();
    for (list, bytes) in held.iter_mut().zip(&signed) {
        list.apply(&StatusDelta::from_signed(bytes, &s.sample.trust).unwrap())
            .unwrap();
    }
    assert!(held == s.tomorrow);
}

criterion_group!(benches, status_scale);
criterion_main!(benches);
