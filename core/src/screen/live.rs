//! The moving parts of the counter screen, as pure functions of time: the clock line, the glow,
//! the character's frame (only when linked) and the seconds the QR has left.

use crate::clock::jst;
use chrono::{DateTime, Datelike, Utc};

/// One glow cycle.
pub const GLOW_PERIOD_MS: i64 = 2_000;
/// The character runs at 4 frames a second over 8 frames.
pub const CHARACTER_FRAMES: u32 = 8;
const FRAME_MS: i64 = 250;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Live {
    /// "2026-11-25（水）22:30:05" / "Wed 2026-11-25 22:30:05" (JST).
    pub clock: String,
    /// 0.0 ..< 1.0 through the glow cycle; fixed at 0 with reduced motion.
    pub glow_phase: f64,
    /// The character's frame: `None` when not linked (it stands still, as the staff manual
    /// says a screenshot would); `Some(0)` always with reduced motion.
    pub character_frame: Option<u32>,
    /// Seconds until the QR code changes (1..=30).
    pub qr_seconds_left: u32,
}

fn weekday_ja(d: chrono::Weekday) -> &'static str {
    ["月", "火", "水", "木", "金", "土", "日"][d.num_days_from_monday() as usize]
}

pub fn live(now: DateTime<Utc>, linked: bool, reduced_motion: bool, lang: crate::Lang) -> Live {
    let local = now.with_timezone(&jst());
    let clock = match lang {
        crate::Lang::Ja => format!(
            "{}（{}）{}",
            local.format("%Y-%m-%d"),
            weekday_ja(local.weekday()),
            local.format("%H:%M:%S")
        ),
        crate::Lang::En => local.format("%a %Y-%m-%d %H:%M:%S JST").to_string(),
    };
    let ms = now.timestamp_millis();
    let glow_phase = if reduced_motion {
        0.0
    } else {
        f64::from(u32::try_from(ms.rem_euclid(GLOW_PERIOD_MS)).unwrap_or(0))
            / f64::from(u32::try_from(GLOW_PERIOD_MS).unwrap_or(1))
    };
    let character_frame = match (linked, reduced_motion) {
        (false, _) => None,
        (true, true) => Some(0),
        (true, false) => Some(
            u32::try_from((ms / FRAME_MS).rem_euclid(i64::from(CHARACTER_FRAMES))).unwrap_or(0),
        ),
    };
    Live {
        clock,
        glow_phase,
        character_frame,
        qr_seconds_left: crate::token::time::seconds_left_in_step(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 13, 30, 0).unwrap()
    }

    #[test]
    fn the_clock_reads_japan_time() {
        assert_eq!(
            live(t0(), true, false, crate::Lang::Ja).clock,
            "2026-11-25（水）22:30:00"
        );
        assert_eq!(
            live(t0(), true, false, crate::Lang::En).clock,
            "Wed 2026-11-25 22:30:00 JST"
        );
    }

    #[test]
    fn animation_is_periodic_and_never_stalls() {
        let mut frames = std::collections::HashSet::new();
        let mut last = None;
        for i in 0..200 {
            let t = t0() + Duration::milliseconds(i * 125);
            let l = live(t, true, false, crate::Lang::Ja);
            assert!((0.0..1.0).contains(&l.glow_phase));
            frames.insert(l.character_frame);
            // Across the 30-second step boundary the frame keeps advancing.
            if i % 2 == 0 {
                if let Some(prev) = last {
                    assert_ne!(l.character_frame, prev, "stalled at {t}");
                }
                last = Some(l.character_frame);
            }
        }
        assert_eq!(frames.len(), CHARACTER_FRAMES as usize);
        let a = live(t0(), true, false, crate::Lang::Ja);
        let b = live(
            t0() + Duration::milliseconds(GLOW_PERIOD_MS),
            true,
            false,
            crate::Lang::Ja,
        );
        assert_eq!(
            (a.glow_phase, a.character_frame),
            (b.glow_phase, b.character_frame)
        );
    }

    #[test]
    fn reduced_motion_stands_still_but_the_clock_ticks() {
        let a = live(t0(), true, true, crate::Lang::Ja);
        let b = live(
            t0() + Duration::milliseconds(1_370),
            true,
            true,
            crate::Lang::Ja,
        );
        assert_eq!(
            (a.glow_phase, a.character_frame),
            (b.glow_phase, b.character_frame)
        );
        assert_ne!(a.clock, b.clock);
    }

    #[test]
    fn the_character_only_moves_when_linked() {
        assert_eq!(
            live(t0(), false, false, crate::Lang::Ja).character_frame,
            None
        );
        assert_eq!(
            live(t0() + Duration::seconds(29), false, false, crate::Lang::Ja).qr_seconds_left,
            1
        );
    }
}
