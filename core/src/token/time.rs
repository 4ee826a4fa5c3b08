//! Compact time for tokens: 30-second steps and JST calendar days, both counted from the Techo
//! epoch 2024-01-01 (00:00 UTC for steps, 00:00 JST for days). Small numbers keep the QR small.

use crate::clock::jst;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// 2024-01-01T00:00:00Z in Unix seconds.
pub const EPOCH_UNIX: i64 = 1_704_067_200;

/// A display token is valid for one step; a screenshot goes stale after the skew allowance.
pub const STEP_SECONDS: i64 = 30;

/// The 30-second step that contains `t`.
pub fn step_of(t: DateTime<Utc>) -> u64 {
    u64::try_from((t.timestamp() - EPOCH_UNIX).div_euclid(STEP_SECONDS)).unwrap_or(0)
}

/// The moment a step begins.
pub fn step_start(step: u64) -> DateTime<Utc> {
    let secs = EPOCH_UNIX + i64::try_from(step).unwrap_or(i64::MAX / 64) * STEP_SECONDS;
    Utc.timestamp_opt(secs, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Seconds left in the step that contains `t` (1..=30).
pub fn seconds_left_in_step(t: DateTime<Utc>) -> u32 {
    let into = (t.timestamp() - EPOCH_UNIX).rem_euclid(STEP_SECONDS);
    u32::try_from(STEP_SECONDS - into).unwrap_or(1)
}

fn epoch_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date")
}

/// Days since 2024-01-01 for a Japanese calendar date (dates before the epoch count as day 0).
pub fn day_number(d: NaiveDate) -> u32 {
    u32::try_from((d - epoch_day()).num_days()).unwrap_or(0)
}

pub fn day_date(n: u32) -> NaiveDate {
    epoch_day()
        .checked_add_days(chrono::Days::new(u64::from(n)))
        .unwrap_or(NaiveDate::MAX)
}

/// The first 30-second step of a JST day (00:00 JST), counted like [`step_of`]. Display tokens
/// count their step from the start of the credential's first day, which keeps the number small.
pub fn day_start_step(day: u32) -> i64 {
    (i64::from(day) * 86_400 - 9 * 3_600).div_euclid(STEP_SECONDS)
}

/// The JST day number of an instant.
pub fn day_of(t: DateTime<Utc>) -> u32 {
    day_number(t.with_timezone(&jst()).date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_days() {
        let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 29).unwrap();
        assert_eq!(step_of(t), 0);
        assert_eq!(seconds_left_in_step(t), 1);
        assert_eq!(step_of(t + chrono::Duration::seconds(1)), 1);
        assert_eq!(step_start(1), t + chrono::Duration::seconds(1));
        // 2024-01-01 15:00 UTC is already 2024-01-02 in Japan.
        assert_eq!(
            day_of(Utc.with_ymd_and_hms(2024, 1, 1, 15, 0, 0).unwrap()),
            1
        );
        assert_eq!(
            day_date(day_number(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())).to_string(),
            "2026-11-25"
        );
    }
}
