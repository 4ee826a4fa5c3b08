//! The trips the reference site sells, and their prices with the disability discount.
//!
//! Illustrative figures in the shape of JR's rules: the discount (50 %) applies to the fare
//! (乗車券), not to the limited-express supplement (特急券); fractions under 10 yen are dropped.

use serde::Serialize;
use techo_core::policy::Grant;
use techo_core::site::OrderLine;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TripOffer {
    pub id: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub from_en: &'static str,
    pub to_en: &'static str,
    pub km: u32,
    /// 乗車券 (discountable).
    pub fare: i64,
    /// 特急券 (never discounted).
    pub express: i64,
}

pub const TRIPS: [TripOffer; 3] = [
    TripOffer {
        id: "tokyo-shin-osaka",
        from: "東京",
        to: "新大阪",
        from_en: "Tokyo",
        to_en: "Shin-Osaka",
        km: 553,
        fare: 8_910,
        express: 5_810,
    },
    TripOffer {
        id: "tokyo-takasaki",
        from: "東京",
        to: "高崎",
        from_en: "Tokyo",
        to_en: "Takasaki",
        km: 105,
        fare: 1_980,
        express: 2_550,
    },
    TripOffer {
        id: "tokyo-yokohama",
        from: "東京",
        to: "横浜",
        from_en: "Tokyo",
        to_en: "Yokohama",
        km: 29,
        fare: 490,
        express: 0,
    },
];

pub fn find(id: &str) -> Option<TripOffer> {
    TRIPS.iter().copied().find(|t| t.id == id)
}

/// Half the fare, dropping fractions under 10 yen.
pub fn discounted(fare: i64) -> i64 {
    (fare / 2) / 10 * 10
}

impl TripOffer {
    pub fn regular(&self) -> i64 {
        self.fare + self.express
    }

    /// One traveller's lines: the fare (discounted or not) and the express supplement.
    fn traveller(&self, who_ja: &str, who_en: &str, discount: bool) -> Vec<OrderLine> {
        let (fare, tag_ja, tag_en) = if discount {
            (
                discounted(self.fare),
                "（障害者割引）",
                " (disability discount)",
            )
        } else {
            (self.fare, "", "")
        };
        let mut lines = vec![OrderLine {
            ja: format!("{who_ja} 乗車券 {}→{}{tag_ja}", self.from, self.to),
            en: format!("{who_en} fare {}→{}{tag_en}", self.from_en, self.to_en),
            yen: fare,
        }];
        if self.express > 0 {
            lines.push(OrderLine {
                ja: format!("{who_ja} 特急券（割引なし）"),
                en: format!("{who_en} limited express (no discount)"),
                yen: self.express,
            });
        }
        lines
    }

    /// The order for the holder (and a caregiver when one travels), as `grant` allows.
    pub fn lines(&self, grant: Grant, with_caregiver: bool) -> Vec<OrderLine> {
        let mut lines = self.traveller("本人", "Holder", grant.holder);
        if with_caregiver {
            lines.extend(self.traveller("介護者", "Caregiver", grant.caregiver));
        }
        lines
    }
}

pub fn total(lines: &[OrderLine]) -> i64 {
    lines.iter().map(|l| l.yen).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fare_is_halved_in_ten_yen_steps_and_the_supplement_is_not() {
        assert_eq!(discounted(8_910), 4_450);
        assert_eq!(discounted(490), 240);
        let t = TRIPS[0];
        let both = Grant {
            holder: true,
            caregiver: true,
        };
        assert_eq!(total(&t.lines(both, true)), 2 * (4_450 + 5_810));
        assert_eq!(total(&t.lines(Grant::default(), true)), 2 * t.regular());
        assert_eq!(total(&t.lines(both, false)), 4_450 + 5_810);
        assert_eq!(find("tokyo-yokohama").map(|t| t.km), Some(29));
        assert_eq!(find("nowhere"), None);
    }
}
