//! The three handbook kinds and the grade each one carries.

use super::error::{Field, Problem, ValidationError};
use crate::lang::Lang;
use serde::{Deserialize, Serialize};

/// Which of the three handbooks this is, without its grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HandbookKind {
    /// 身体障害者手帳
    Physical,
    /// 精神障害者保健福祉手帳
    Mental,
    /// 療育手帳
    Intellectual,
}

impl HandbookKind {
    pub const ALL: [HandbookKind; 3] = [
        HandbookKind::Physical,
        HandbookKind::Mental,
        HandbookKind::Intellectual,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            HandbookKind::Physical => lang.pick("身体障害者手帳", "Physical disability handbook"),
            HandbookKind::Mental => lang.pick(
                "精神障害者保健福祉手帳",
                "Mental health and welfare handbook",
            ),
            HandbookKind::Intellectual => lang.pick("療育手帳", "Intellectual disability handbook"),
        }
    }

    /// Short label for tables and the counter screen's first line.
    pub fn short_label(self, lang: Lang) -> &'static str {
        match self {
            HandbookKind::Physical => lang.pick("身体", "Physical"),
            HandbookKind::Mental => lang.pick("精神", "Mental"),
            HandbookKind::Intellectual => lang.pick("療育", "Intellectual"),
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        match input.trim() {
            "physical" | "身体" | "身体障害者手帳" => Ok(HandbookKind::Physical),
            "mental" | "精神" | "精神障害者保健福祉手帳" => Ok(HandbookKind::Mental),
            "intellectual" | "療育" | "療育手帳" => Ok(HandbookKind::Intellectual),
            other => Err(ValidationError::malformed(
                Field::Kind,
                other,
                "physical, mental or intellectual (身体 / 精神 / 療育)",
            )),
        }
    }
}

/// Normalised severity of a 療育手帳, used by fare rules: 重度 (A) or その他 (B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// 重度 (A)
    Severe,
    /// その他 (B)
    Other,
}

impl Severity {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Severity::Severe => lang.pick("重度（A）", "severe (A)"),
            Severity::Other => lang.pick("その他（B）", "other (B)"),
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        match input.trim() {
            "severe" | "重度" | "A" => Ok(Severity::Severe),
            "other" | "その他" | "B" => Ok(Severity::Other),
            other => Err(ValidationError::malformed(
                Field::Severity,
                other,
                "severe or other (重度 / その他)",
            )),
        }
    }

    /// The severity a prefecture's label states, where the label says it unambiguously.
    ///
    /// Labels differ by prefecture: A / B, A1 A2 B1 B2, Ⓐ / マルA, 1度–4度 (Tokyo's 愛の手帳), and
    /// so on. A-series labels and 1度 / 2度 are 重度; B-series, C and 3度 / 4度 are その他.
    /// Anything else must come with an explicit severity.
    pub fn infer_from_label(label: &str) -> Option<Severity> {
        let normalised: String = label
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(fullwidth_to_ascii)
            .collect::<String>()
            .to_uppercase();
        let s = normalised
            .trim_start_matches("マル")
            .trim_start_matches('○')
            .trim_start_matches('〇');
        if s.starts_with('Ⓐ') || s.starts_with('A') || s == "最重度" || s == "重度" {
            return Some(Severity::Severe);
        }
        if s.starts_with('Ⓑ')
            || s.starts_with('B')
            || s.starts_with('C')
            || s == "中度"
            || s == "軽度"
        {
            return Some(Severity::Other);
        }
        match s {
            "1度" | "2度" => Some(Severity::Severe),
            "3度" | "4度" => Some(Severity::Other),
            _ => None,
        }
    }
}

fn fullwidth_to_ascii(c: char) -> char {
    match c {
        'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '０'..='９' => {
            char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
}

/// A handbook kind together with its grade: the pairing is what the handbook prints.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Category {
    /// 身体障害者手帳, 1級–6級.
    Physical { grade: u8 },
    /// 精神障害者保健福祉手帳, 1級–3級.
    Mental { grade: u8 },
    /// 療育手帳: the prefecture's own label kept verbatim, plus the normalised severity.
    Intellectual { label: String, severity: Severity },
}

impl Category {
    pub fn physical(grade: u8) -> Result<Self, ValidationError> {
        check_grade(grade, 1..=6, "1–6 (1級–6級)")?;
        Ok(Category::Physical { grade })
    }

    pub fn mental(grade: u8) -> Result<Self, ValidationError> {
        check_grade(grade, 1..=3, "1–3 (1級–3級)")?;
        Ok(Category::Mental { grade })
    }

    /// A 療育手帳 grade. `severity` may be left out when the label states it (A…, B…, 1度…).
    pub fn intellectual(label: &str, severity: Option<Severity>) -> Result<Self, ValidationError> {
        let label = label.trim();
        if label.is_empty() {
            return Err(ValidationError::new(Field::Label, Problem::Missing));
        }
        if label.chars().count() > 16 {
            return Err(ValidationError::malformed(
                Field::Label,
                label,
                "the label as printed, at most 16 characters",
            ));
        }
        let inferred = Severity::infer_from_label(label);
        let severity = match (severity, inferred) {
            (Some(given), Some(stated)) if given != stated => {
                return Err(ValidationError::inconsistent(
                    Field::Severity,
                    "contradicts the label: A-series and 1度/2度 are severe, B-series and 3度/4度 are other",
                    "判定区分と程度が矛盾しています（A・1度・2度は重度、B・3度・4度はその他）",
                ));
            }
            (Some(given), _) => given,
            (None, Some(stated)) => stated,
            (None, None) => {
                return Err(ValidationError::inconsistent(
                    Field::Severity,
                    "this label does not say whether it is severe: give severity = \"severe\" or \"other\"",
                    "この判定区分からは程度が分かりません。重度かその他かを指定してください",
                ));
            }
        };
        Ok(Category::Intellectual {
            label: label.to_owned(),
            severity,
        })
    }

    pub fn kind(&self) -> HandbookKind {
        match self {
            Category::Physical { .. } => HandbookKind::Physical,
            Category::Mental { .. } => HandbookKind::Mental,
            Category::Intellectual { .. } => HandbookKind::Intellectual,
        }
    }

    /// The grade as printed: "1級", or the prefecture's label for 療育手帳.
    pub fn grade_label(&self, lang: Lang) -> String {
        match self {
            Category::Physical { grade } | Category::Mental { grade } => match lang {
                Lang::Ja => format!("{grade}級"),
                Lang::En => format!("grade {grade}"),
            },
            Category::Intellectual { label, severity } => {
                let short = match severity {
                    Severity::Severe => lang.pick("重度", "severe"),
                    Severity::Other => lang.pick("その他", "other"),
                };
                format!("{label}・{short}")
            }
        }
    }
}

fn check_grade(
    grade: u8,
    range: std::ops::RangeInclusive<u8>,
    allowed: &'static str,
) -> Result<(), ValidationError> {
    if range.contains(&grade) {
        Ok(())
    } else {
        Err(ValidationError::new(
            Field::Grade,
            Problem::OutOfRange {
                value: grade.to_string(),
                allowed,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_in_range() {
        for g in 1..=6 {
            assert!(Category::physical(g).is_ok());
        }
        for g in 1..=3 {
            assert!(Category::mental(g).is_ok());
        }
    }

    #[test]
    fn grades_out_of_range() {
        // 7級 exists in law but no handbook is issued for it alone.
        for g in [0, 7, 255] {
            let e = Category::physical(g).unwrap_err();
            assert_eq!(e.field, Field::Grade);
        }
        for g in [0, 4] {
            assert_eq!(Category::mental(g).unwrap_err().field, Field::Grade);
        }
    }

    #[test]
    fn prefecture_labels_normalise() {
        let cases = [
            ("A", Severity::Severe),
            ("A1", Severity::Severe),
            ("Ａ２", Severity::Severe),
            ("マル A", Severity::Severe),
            ("Ⓐ", Severity::Severe),
            ("B", Severity::Other),
            ("B2", Severity::Other),
            ("C", Severity::Other),
            ("1度", Severity::Severe),
            ("２度", Severity::Severe),
            ("3度", Severity::Other),
            ("4度", Severity::Other),
        ];
        for (label, want) in cases {
            assert_eq!(Severity::infer_from_label(label), Some(want), "{label}");
            let c = Category::intellectual(label, None).unwrap();
            assert_eq!(
                c,
                Category::Intellectual {
                    label: label.trim().into(),
                    severity: want
                }
            );
        }
    }

    #[test]
    fn label_kept_verbatim() {
        let c = Category::intellectual("マル A", None).unwrap();
        assert_eq!(c.grade_label(Lang::Ja), "マル A・重度");
    }

    #[test]
    fn unknown_label_needs_explicit_severity() {
        let e = Category::intellectual("判定1", None).unwrap_err();
        assert_eq!(e.field, Field::Severity);
        assert!(Category::intellectual("判定1", Some(Severity::Other)).is_ok());
    }

    #[test]
    fn contradicting_severity_rejected() {
        let e = Category::intellectual("B1", Some(Severity::Severe)).unwrap_err();
        assert_eq!(e.field, Field::Severity);
        assert_eq!(
            Category::intellectual("  ", None).unwrap_err().problem,
            Problem::Missing
        );
    }

    #[test]
    fn kinds_parse_in_both_languages() {
        assert_eq!(
            HandbookKind::parse("療育").unwrap(),
            HandbookKind::Intellectual
        );
        assert_eq!(
            HandbookKind::parse("physical").unwrap(),
            HandbookKind::Physical
        );
        assert_eq!(
            HandbookKind::parse("visual").unwrap_err().field,
            Field::Kind
        );
    }
}
