//! 旅客運賃減額: the fare discount class a handbook records, and the consistency rules with the grade.

use super::error::{Field, ValidationError};
use super::kind::{Category, Severity};
use crate::lang::Lang;
use serde::{Deserialize, Serialize};

/// The fare discount class printed (or stamped) on the handbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FareClass {
    /// 第1種: the holder and one caregiver (介護者) ride at the discount.
    First,
    /// 第2種: the holder alone (ordinary tickets over 100 km).
    Second,
    /// No class on the handbook. Distinct from 第2種: older 精神 handbooks without the
    /// 運賃減額 field or stamp get no rail discount.
    NotRecorded,
}

impl FareClass {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        match input.trim() {
            "1" | "first" | "第1種" | "第一種" | "１" => Ok(FareClass::First),
            "2" | "second" | "第2種" | "第二種" | "２" => Ok(FareClass::Second),
            "none" | "not_recorded" | "なし" | "" => Ok(FareClass::NotRecorded),
            other => Err(ValidationError::malformed(
                Field::FareClass,
                other,
                "1, 2 or none (第1種 / 第2種 / なし)",
            )),
        }
    }

    /// Whether one caregiver rides at the discount too. Only 第1種 grants it.
    pub fn caregiver_discount(self) -> bool {
        self == FareClass::First
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            FareClass::First => lang.pick("第1種", "Class 1"),
            FareClass::Second => lang.pick("第2種", "Class 2"),
            FareClass::NotRecorded => lang.pick("記載なし", "not recorded"),
        }
    }

    /// The caregiver line staff read under the class.
    pub fn caregiver_label(self, lang: Lang) -> &'static str {
        if self.caregiver_discount() {
            lang.pick("介護者1名も割引", "one caregiver also discounted")
        } else {
            lang.pick("本人のみ", "holder only")
        }
    }

    /// Check the class against what the handbook's grade allows.
    ///
    /// - 身体: the handbook always prints 第1種 or 第2種 (which one depends on the disability,
    ///   not only the grade, so both are accepted for every grade).
    /// - 精神 (since 2025-04): 1級 → 第1種, 2–3級 → 第2種 where the field or stamp exists;
    ///   older handbooks have none and record "not recorded".
    /// - 療育: 重度 (A) is always 第1種; その他 (B) is normally 第2種, and 第1種 where a combined
    ///   physical disability makes it so. The handbook always prints a class.
    pub fn check_against(self, category: &Category) -> Result<(), ValidationError> {
        match (category, self) {
            (Category::Physical { .. } | Category::Intellectual { .. }, FareClass::NotRecorded) => {
                Err(ValidationError::inconsistent(
                    Field::FareClass,
                    "physical and intellectual handbooks always print 第1種 or 第2種: copy it from the handbook",
                    "身体・療育手帳には第1種か第2種が記載されています。手帳の記載どおり入力してください",
                ))
            }
            (Category::Mental { grade: 1 }, FareClass::Second) => {
                Err(ValidationError::inconsistent(
                    Field::FareClass,
                    "a grade-1 mental health handbook records 第1種, not 第2種",
                    "精神1級の手帳の減額種別は第1種です",
                ))
            }
            (Category::Mental { grade: 2 | 3 }, FareClass::First) => {
                Err(ValidationError::inconsistent(
                    Field::FareClass,
                    "grade-2 and grade-3 mental health handbooks record 第2種, not 第1種",
                    "精神2級・3級の手帳の減額種別は第2種です",
                ))
            }
            (
                Category::Intellectual {
                    severity: Severity::Severe,
                    ..
                },
                FareClass::Second,
            ) => Err(ValidationError::inconsistent(
                Field::FareClass,
                "a severe (A) intellectual handbook is always 第1種",
                "療育手帳の重度（A）は第1種です",
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_grade_class_combination() {
        use FareClass::{First, NotRecorded, Second};
        for grade in 1..=6 {
            let c = Category::physical(grade).unwrap();
            assert!(First.check_against(&c).is_ok());
            assert!(Second.check_against(&c).is_ok());
            assert_eq!(
                NotRecorded.check_against(&c).unwrap_err().field,
                Field::FareClass
            );
        }
        let mental = |g| Category::mental(g).unwrap();
        assert!(First.check_against(&mental(1)).is_ok());
        assert!(Second.check_against(&mental(1)).is_err());
        for g in 2..=3 {
            assert!(Second.check_against(&mental(g)).is_ok());
            assert!(First.check_against(&mental(g)).is_err());
        }
        for g in 1..=3 {
            assert!(NotRecorded.check_against(&mental(g)).is_ok());
        }
        let a = Category::intellectual("A", None).unwrap();
        let b = Category::intellectual("B", None).unwrap();
        assert!(First.check_against(&a).is_ok());
        assert!(Second.check_against(&a).is_err());
        assert!(NotRecorded.check_against(&a).is_err());
        assert!(First.check_against(&b).is_ok());
        assert!(Second.check_against(&b).is_ok());
        assert!(NotRecorded.check_against(&b).is_err());
    }

    #[test]
    fn only_first_class_carries_a_caregiver() {
        assert!(FareClass::First.caregiver_discount());
        assert!(!FareClass::Second.caregiver_discount());
        assert!(!FareClass::NotRecorded.caregiver_discount());
    }

    #[test]
    fn parse_forms() {
        assert_eq!(FareClass::parse("第1種").unwrap(), FareClass::First);
        assert_eq!(FareClass::parse("2").unwrap(), FareClass::Second);
        assert_eq!(FareClass::parse("none").unwrap(), FareClass::NotRecorded);
        assert_eq!(FareClass::parse("3").unwrap_err().field, Field::FareClass);
    }
}
