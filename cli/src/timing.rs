//! `techo bench --timing`: a leakage test in the style of dudect (Reparaz, Balasch, Verbauwhede,
//! "Dude, is my code constant time?", 2017) for the comparison every secret token goes through
//! (`techo_core::hex::same_secret`: admin and operator tokens, the booking site's browser secret
//! and same-device code).
//!
//! Two classes of guesses are timed against one secret, interleaved in random order: guesses
//! that share all but the last character with it, and guesses that share nothing. If the time
//! taken depended on how close a guess is, the two distributions would differ; Welch's t over
//! them (after dropping the slowest measurements, as dudect does) stays small when it does not.
//! A plain `==` on the same guesses is measured the same way as a control: it must show a leak,
//! which proves the measurement can see one of that size on this machine.

use std::hint::black_box;
use std::time::Instant;
use techo_core::hex::same_secret;

/// dudect's threshold: |t| above 10 means the timings depend on the class.
const LEAK_T: f64 = 10.0;
/// Fewer guesses per class than this cannot separate a leak from noise.
const MIN_SAMPLES: usize = 50_000;
/// Independent rounds; the median |t| is reported.
const ROUNDS: usize = 5;

/// Welch's t statistic of two samples.
fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    let stats = |x: &[f64]| {
        #[allow(
            clippy::cast_precision_loss,
            reason = "sample counts are far below 2^52"
        )]
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (n, mean, var)
    };
    let (na, ma, va) = stats(a);
    let (nb, mb, vb) = stats(b);
    (ma - mb) / (va / na + vb / nb).sqrt()
}

/// Keeps the fastest `fraction` of each class (slow outliers are interrupts, not the code).
fn crop(mut x: Vec<f64>, fraction: f64) -> Vec<f64> {
    x.sort_by(f64::total_cmp);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a share of a sample count"
    )]
    let keep = ((x.len() as f64) * fraction) as usize;
    x.truncate(keep.max(2));
    x
}

/// Times `compare(secret, guess)` for `n` guesses of each class, in random order, and returns
/// the largest |t| over a few crop levels (as dudect reports).
fn leakage(
    n: usize,
    secret: &str,
    near: &str,
    far: &str,
    compare: impl Fn(&str, &str) -> bool,
) -> f64 {
    let order = techo_core::hex::random_bytes(n * 2);
    let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    // Both classes are copied into one buffer, so they differ in content only, not in address.
    let mut guess = String::with_capacity(near.len().max(far.len()));
    for bit in order {
        let is_near = bit & 1 == 1;
        guess.clear();
        guess.push_str(if is_near { near } else { far });
        let start = Instant::now();
        black_box(compare(black_box(secret), black_box(&guess)));
        let ns = start.elapsed().as_secs_f64() * 1e9;
        if is_near { a.push(ns) } else { b.push(ns) }
    }
    [0.5, 0.8, 0.95]
        .into_iter()
        .map(|f| welch_t(&crop(a.clone(), f), &crop(b.clone(), f)).abs())
        .fold(0.0, f64::max)
}

/// Prints |t| for `same_secret` and the control; `Err` when `same_secret` leaks or the control
/// does not show its leak (the measurement could not have seen one).
pub fn run(samples: usize) -> Result<(), String> {
    if samples < MIN_SAMPLES {
        return Err(format!(
            "{samples} guesses cannot show a leak: use --samples {MIN_SAMPLES} or more"
        ));
    }
    // A 64-character token, as the server hands out.
    let secret = techo_core::hex::random(32);
    let mut near = secret[..63].to_owned();
    near.push(if secret.ends_with('0') { '1' } else { '0' });
    let far: String = secret
        .chars()
        .map(|c| if c == 'f' { '0' } else { 'f' })
        .collect();
    // Five rounds, and the median |t| of each: a burst of load from another process on a shared
    // machine can push one round over the line, but not most of them.
    let median = |compare: &dyn Fn(&str, &str) -> bool| {
        let mut t: Vec<f64> = (0..ROUNDS)
            .map(|_| leakage(samples / ROUNDS, &secret, &near, &far, compare))
            .collect();
        t.sort_by(f64::total_cmp);
        t[ROUNDS / 2]
    };
    let t_secret = median(&same_secret);
    // The control: `==` stops at the first difference, which shows even on 64 characters.
    let t_control = median(&|x: &str, y: &str| x == y);
    println!(
        "timing: same_secret median |t| = {t_secret:.1} over {samples} guesses per class in \
         {ROUNDS} rounds (a leak is |t| > {LEAK_T}); control: plain `==` on the same guesses |t| = {t_control:.1}"
    );
    if t_control <= LEAK_T {
        return Err(format!(
            "the control comparison showed no leak (|t| = {t_control:.1}): this machine is too \
             noisy to judge; run again with more samples"
        ));
    }
    if t_secret > LEAK_T {
        return Err(format!(
            "same_secret's time depends on how close the guess is (|t| = {t_secret:.1})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welch_t_sees_a_shift_and_not_noise() {
        let a: Vec<f64> = (0..1000).map(|i| f64::from(i % 10)).collect();
        let same: Vec<f64> = (0..1000).map(|i| f64::from((i + 3) % 10)).collect();
        let shifted: Vec<f64> = a.iter().map(|v| v + 2.0).collect();
        assert!(welch_t(&a, &same).abs() < 1.0);
        assert!(welch_t(&a, &shifted).abs() > LEAK_T);
    }
}
