//! The holder as printed on the handbook: name in kanji, its reading in kana, birth date.

use super::error::{Field, Problem, ValidationError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

const MAX_NAME_CHARS: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// 氏名 as printed (kanji, kana or Latin letters for foreign residents).
    pub name: String,
    /// フリガナ, stored in katakana.
    pub kana: String,
    pub birth_date: NaiveDate,
}

impl Holder {
    pub fn new(name: &str, kana: &str, birth_date: NaiveDate) -> Result<Self, ValidationError> {
        Ok(Self {
            name: clean_name(name)?,
            kana: clean_kana(kana)?,
            birth_date,
        })
    }
}

fn clean_name(name: &str) -> Result<String, ValidationError> {
    super::text::printable_line(
        Field::HolderName,
        name,
        MAX_NAME_CHARS,
        "a name of at most 60 printable characters",
    )
}

/// Accepts katakana or hiragana (converted to katakana), long-vowel marks, middle dots and spaces.
fn clean_kana(kana: &str) -> Result<String, ValidationError> {
    let kana = super::text::collapse_spaces(kana);
    if kana.is_empty() {
        return Err(ValidationError::new(Field::HolderKana, Problem::Missing));
    }
    let mut out = String::with_capacity(kana.len());
    for c in kana.chars() {
        let c = match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        };
        let ok = matches!(c, 'ァ'..='ヺ' | 'ー' | '・' | 'ヽ' | 'ヾ' | ' ');
        if !ok {
            return Err(ValidationError::malformed(
                Field::HolderKana,
                kana,
                "katakana or hiragana (フリガナ)",
            ));
        }
        out.push(c);
    }
    if out.chars().count() > MAX_NAME_CHARS {
        return Err(ValidationError::malformed(
            Field::HolderKana,
            kana,
            "at most 60 characters",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn birth() -> NaiveDate {
        NaiveDate::from_ymd_opt(1990, 5, 1).unwrap()
    }

    #[test]
    fn kana_is_normalised_to_katakana() {
        let h = Holder::new("山田　太郎", "やまだ　たろう", birth()).unwrap();
        assert_eq!(h.name, "山田 太郎");
        assert_eq!(h.kana, "ヤマダ タロウ");
    }

    #[test]
    fn bad_names_name_the_field() {
        assert_eq!(
            Holder::new(" ", "ヤマダ", birth()).unwrap_err().field,
            Field::HolderName
        );
        assert_eq!(
            Holder::new("山田", "Yamada", birth()).unwrap_err().field,
            Field::HolderKana
        );
        assert_eq!(
            Holder::new("山田", "", birth()).unwrap_err().field,
            Field::HolderKana
        );
        let long = "あ".repeat(61);
        assert_eq!(
            Holder::new(&long, "ア", birth()).unwrap_err().field,
            Field::HolderName
        );
    }
}
