//! When the municipal intermediate servers answer (seed 003): weekdays 8:00–21:00, weekends and
//! holidays 8:00–17:00 (JST), closed all day on the planned stop (3rd Saturday of the month);
//! or 24/365, as they have been since 2021-08.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use techo_core::clock::jst;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoursMode {
    /// The original municipal hours with the planned stop.
    Municipal,
    /// Open around the clock.
    AlwaysOpen,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub reason: &'static str,
    pub next_open: DateTime<Utc>,
}

/// National holidays 2026–2027 (振替休日 and 国民の休日 included).
const HOLIDAYS: &[(i32, u32, u32)] = &[
    (2026, 1, 1),
    (2026, 1, 12),
    (2026, 2, 11),
    (2026, 2, 23),
    (2026, 3, 20),
    (2026, 4, 29),
    (2026, 5, 3),
    (2026, 5, 4),
    (2026, 5, 5),
    (2026, 5, 6),
    (2026, 7, 20),
    (2026, 8, 11),
    (2026, 9, 21),
    (2026, 9, 22),
    (2026, 9, 23),
    (2026, 10, 12),
    (2026, 11, 3),
    (2026, 11, 23),
    (2027, 1, 1),
    (2027, 1, 11),
    (2027, 2, 11),
    (2027, 2, 23),
    (2027, 3, 21),
    (2027, 3, 22),
    (2027, 4, 29),
    (2027, 5, 3),
    (2027, 5, 4),
    (2027, 5, 5),
    (2027, 7, 19),
    (2027, 8, 11),
    (2027, 9, 20),
    (2027, 9, 23),
    (2027, 10, 11),
    (2027, 11, 3),
    (2027, 11, 23),
];

fn is_holiday(d: NaiveDate) -> bool {
    HOLIDAYS.contains(&(d.year(), d.month(), d.day()))
}

fn planned_stop(d: NaiveDate) -> bool {
    d.weekday() == Weekday::Sat && (15..=21).contains(&d.day())
}

/// Opening window of a JST day, if it opens at all.
fn window(d: NaiveDate) -> Option<(NaiveTime, NaiveTime)> {
    if planned_stop(d) {
        return None;
    }
    let open = NaiveTime::from_hms_opt(8, 0, 0)?;
    let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun) || is_holiday(d);
    let close = NaiveTime::from_hms_opt(if weekend { 17 } else { 21 }, 0, 0)?;
    Some((open, close))
}

fn at(d: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    jst()
        .from_local_datetime(&d.and_time(t))
        .single()
        .map_or(DateTime::<Utc>::MIN_UTC, |x| x.with_timezone(&Utc))
}

/// `Ok` when open at `now`, else why and when it opens next.
pub fn check(mode: HoursMode, now: DateTime<Utc>) -> Result<(), Closed> {
    if mode == HoursMode::AlwaysOpen {
        return Ok(());
    }
    let local = now.with_timezone(&jst());
    let today = local.date_naive();
    if let Some((open, close)) = window(today) {
        if local.time() >= open && local.time() < close {
            return Ok(());
        }
    }
    let reason = if planned_stop(today) {
        "planned_stop"
    } else {
        "outside_hours"
    };
    for days in 0..14 {
        let d = today + Duration::days(days);
        if let Some((open, _)) = window(d) {
            let opens = at(d, open);
            if opens > now {
                return Err(Closed {
                    reason,
                    next_open: opens,
                });
            }
        }
    }
    Err(Closed {
        reason,
        next_open: now + Duration::hours(24),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jst_time(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weekday_weekend_holiday_and_planned_stop() {
        let m = HoursMode::Municipal;
        // Wednesday 2026-11-25.
        assert!(check(m, jst_time("2026-11-25T08:00:00+09:00")).is_ok());
        assert!(check(m, jst_time("2026-11-25T20:59:59+09:00")).is_ok());
        let c = check(m, jst_time("2026-11-25T21:00:00+09:00")).unwrap_err();
        assert_eq!(c.next_open, jst_time("2026-11-26T08:00:00+09:00"));
        // Sunday closes at 17:00.
        assert!(check(m, jst_time("2026-11-29T17:30:00+09:00")).is_err());
        // Labour Thanksgiving Day (Monday 2026-11-23) keeps weekend hours.
        assert!(check(m, jst_time("2026-11-23T18:00:00+09:00")).is_err());
        assert!(check(m, jst_time("2026-11-24T18:00:00+09:00")).is_ok());
        // 3rd Saturday of November 2026 is the 21st: closed all day, opens Sunday 8:00.
        let c = check(m, jst_time("2026-11-21T10:00:00+09:00")).unwrap_err();
        assert_eq!(
            (c.reason, c.next_open),
            ("planned_stop", jst_time("2026-11-22T08:00:00+09:00"))
        );
        assert!(check(HoursMode::AlwaysOpen, jst_time("2026-11-21T03:00:00+09:00")).is_ok());
    }
}
