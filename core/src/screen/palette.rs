//! Colours and shapes per handbook kind. Colour is never the only cue: each kind also has its
//! own shape and its name in text. Text contrast meets WCAG 2.2 AA (4.5:1), and the three
//! background colours stay apart under protanopia and deuteranopia simulation.

use crate::model::HandbookKind;

/// sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0, self.1, self.2)
    }

    fn linear(c: u8) -> f64 {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }

    /// WCAG relative luminance.
    pub fn luminance(self) -> f64 {
        0.2126 * Self::linear(self.0)
            + 0.7152 * Self::linear(self.1)
            + 0.0722 * Self::linear(self.2)
    }
}

/// WCAG contrast ratio between two colours (1 to 21).
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// The shape drawn next to the kind's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// 身体: a circle.
    Circle,
    /// 精神: a diamond.
    Diamond,
    /// 療育: a square.
    Square,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindStyle {
    pub background: Rgb,
    pub text: Rgb,
    pub accent: Rgb,
    pub shape: Shape,
}

/// Dark text on light tints, chosen apart in lightness as well as hue.
pub fn style(kind: HandbookKind) -> KindStyle {
    match kind {
        HandbookKind::Physical => KindStyle {
            background: Rgb(0xD6, 0xE8, 0xFF),
            text: Rgb(0x0B, 0x1F, 0x3A),
            accent: Rgb(0x0B, 0x5C, 0xAD),
            shape: Shape::Circle,
        },
        HandbookKind::Mental => KindStyle {
            background: Rgb(0xFF, 0xE9, 0xA8),
            text: Rgb(0x3A, 0x2A, 0x00),
            accent: Rgb(0x8A, 0x5A, 0x00),
            shape: Shape::Diamond,
        },
        HandbookKind::Intellectual => KindStyle {
            background: Rgb(0xF3, 0xD6, 0xF0),
            text: Rgb(0x3B, 0x0A, 0x36),
            accent: Rgb(0x8E, 0x24, 0x82),
            shape: Shape::Square,
        },
    }
}

/// Alert colour for "expired" / "not linked" call-outs, on the kind's background.
pub const ALERT: Rgb = Rgb(0xA8, 0x00, 0x00);

/// Colour-vision deficiency simulation (Machado et al. 2009, severity 1.0), on linear RGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vision {
    Protanopia,
    Deuteranopia,
}

pub fn simulate(c: Rgb, v: Vision) -> [f64; 3] {
    let m: [[f64; 3]; 3] = match v {
        Vision::Protanopia => [
            [0.152_286, 1.052_583, -0.204_868],
            [0.114_503, 0.786_281, 0.099_216],
            [-0.003_882, -0.048_116, 1.051_998],
        ],
        Vision::Deuteranopia => [
            [0.367_322, 0.860_646, -0.227_968],
            [0.280_085, 0.672_501, 0.047_413],
            [-0.011_820, 0.042_940, 0.968_881],
        ],
    };
    let lin = [Rgb::linear(c.0), Rgb::linear(c.1), Rgb::linear(c.2)];
    let mut out = [0.0; 3];
    for (o, row) in out.iter_mut().zip(m) {
        *o = (row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]).clamp(0.0, 1.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_text_meets_wcag_aa() {
        for kind in HandbookKind::ALL {
            let s = style(kind);
            assert!(contrast(s.text, s.background) >= 4.5, "{kind:?} text");
            assert!(contrast(s.accent, s.background) >= 4.5, "{kind:?} accent");
            assert!(contrast(ALERT, s.background) >= 4.5, "{kind:?} alert");
        }
        assert!((contrast(Rgb(0, 0, 0), Rgb(255, 255, 255)) - 21.0).abs() < 1e-9);
    }

    #[test]
    fn kinds_stay_apart_for_colour_blind_staff() {
        let kinds = HandbookKind::ALL;
        for v in [Vision::Protanopia, Vision::Deuteranopia] {
            for (i, a) in kinds.iter().enumerate() {
                for b in &kinds[i + 1..] {
                    let (pa, pb) = (
                        simulate(style(*a).background, v),
                        simulate(style(*b).background, v),
                    );
                    let dist = pa
                        .iter()
                        .zip(pb)
                        .map(|(x, y)| (x - y).powi(2))
                        .sum::<f64>()
                        .sqrt();
                    assert!(dist > 0.08, "{a:?} vs {b:?} under {v:?}: {dist:.3}");
                }
            }
        }
        let shapes: std::collections::HashSet<_> = kinds.iter().map(|k| style(*k).shape).collect();
        assert_eq!(shapes.len(), 3, "a distinct shape per kind");
    }
}
