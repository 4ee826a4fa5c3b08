//! Validation errors: which field is wrong and why, in English and Japanese.

use std::fmt;

/// A field of a handbook as the holder or the portal supplies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Kind,
    Grade,
    Label,
    Severity,
    FareClass,
    Number,
    MunicipalityCode,
    MunicipalityName,
    Issued,
    Renewed,
    Reissued,
    Returned,
    Expires,
    HolderName,
    HolderKana,
    BirthDate,
    Photo,
    PageImage,
    GuardianRelationship,
    GuardianName,
}

impl Field {
    /// The key used in handbook files and JSON.
    pub fn key(self) -> &'static str {
        match self {
            Field::Kind => "kind",
            Field::Grade => "grade",
            Field::Label => "label",
            Field::Severity => "severity",
            Field::FareClass => "fare_class",
            Field::Number => "number",
            Field::MunicipalityCode => "municipality_code",
            Field::MunicipalityName => "municipality_name",
            Field::Issued => "issued",
            Field::Renewed => "renewed",
            Field::Reissued => "reissued",
            Field::Returned => "returned",
            Field::Expires => "expires",
            Field::HolderName => "holder.name",
            Field::HolderKana => "holder.kana",
            Field::BirthDate => "holder.birth_date",
            Field::Photo => "photo",
            Field::PageImage => "page_image",
            Field::GuardianRelationship => "guardian.relationship",
            Field::GuardianName => "guardian.name",
        }
    }

    pub fn ja(self) -> &'static str {
        match self {
            Field::Kind => "手帳の種別",
            Field::Grade => "等級",
            Field::Label => "判定区分",
            Field::Severity => "程度",
            Field::FareClass => "旅客運賃減額の種別",
            Field::Number => "手帳番号",
            Field::MunicipalityCode => "交付自治体コード",
            Field::MunicipalityName => "交付自治体名",
            Field::Issued => "交付年月日",
            Field::Renewed => "更新年月日",
            Field::Reissued => "再交付年月日",
            Field::Returned => "返還年月日",
            Field::Expires => "有効期限",
            Field::HolderName => "氏名",
            Field::HolderKana => "フリガナ",
            Field::BirthDate => "生年月日",
            Field::Photo => "写真",
            Field::PageImage => "手帳画像",
            Field::GuardianRelationship => "代理人の続柄",
            Field::GuardianName => "代理人の氏名",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What is wrong with a field. Each message says what to do, in English then Japanese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("is required / 入力してください")]
    Missing,
    #[error("{value} is outside {allowed} / {value} は範囲外です（{allowed}）")]
    OutOfRange {
        value: String,
        allowed: &'static str,
    },
    #[error("must be {expected}, got {value:?} / 形式が正しくありません（{expected}）")]
    Malformed {
        value: String,
        expected: &'static str,
    },
    #[error(
        "check digit is {found} but {expected} was expected: re-read the code on the handbook / 検査数字が一致しません（正しくは {expected}）"
    )]
    CheckDigit { found: u8, expected: u8 },
    #[error(
        "{date} is after today ({today}): check the date on the handbook / {date} は未来の日付です"
    )]
    InFuture {
        date: chrono::NaiveDate,
        today: chrono::NaiveDate,
    },
    #[error("{en} / {ja}")]
    Inconsistent { en: &'static str, ja: &'static str },
    #[error(
        "must not be before {other} ({date}) / {other_ja}（{date}）より前の日付は指定できません"
    )]
    BeforeOther {
        other: Field,
        other_ja: &'static str,
        date: chrono::NaiveDate,
    },
    #[error(
        "{date} is later than the longest validity {limit} / 有効期限 {date} が最長 {limit} を超えています"
    )]
    ValidityTooLong {
        date: chrono::NaiveDate,
        limit: chrono::NaiveDate,
    },
    #[error(
        "{size} bytes is over the {max}-byte limit: use a smaller image / 画像が大きすぎます（上限 {max} バイト）"
    )]
    TooLarge { size: usize, max: usize },
    #[error("is not a readable JPEG or PNG image ({why}) / JPEG または PNG の画像として読めません")]
    BadImage { why: &'static str },
}

/// A handbook field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} ({field_ja}): {problem}", field_ja = field.ja())]
pub struct ValidationError {
    pub field: Field,
    pub problem: Problem,
}

impl ValidationError {
    pub fn new(field: Field, problem: Problem) -> Self {
        Self { field, problem }
    }

    pub(crate) fn malformed(
        field: Field,
        value: impl Into<String>,
        expected: &'static str,
    ) -> Self {
        Self::new(
            field,
            Problem::Malformed {
                value: excerpt(&value.into()),
                expected,
            },
        )
    }

    pub(crate) fn inconsistent(field: Field, en: &'static str, ja: &'static str) -> Self {
        Self::new(field, Problem::Inconsistent { en, ja })
    }
}

/// What an error quotes of a refused value: at most 40 characters, controls made visible.
fn excerpt(value: &str) -> String {
    let shown = super::text::shown(value);
    let mut chars = shown.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}
