//! A handbook: the draft a holder types or a file supplies, and the validated record.

use super::dates::{HandbookDates, RENEWAL_REMINDER_DAYS, parse_date};
use super::error::{Field, Problem, ValidationError};
use super::fare::FareClass;
use super::holder::Holder;
use super::id::HandbookId;
use super::kind::{Category, HandbookKind, Severity};
use super::linkage::LinkageState;
use super::municipality::MunicipalityCode;
use super::photo::PhotoInfo;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The issuing municipality: JIS X 0402 code and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Municipality {
    pub code: MunicipalityCode,
    pub name: String,
}

/// A validated handbook as the wallet stores it. Construct it with [`HandbookDraft::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handbook {
    pub id: HandbookId,
    pub category: Category,
    pub fare_class: FareClass,
    pub number: String,
    pub municipality: Municipality,
    pub dates: HandbookDates,
    pub holder: Holder,
    pub photo: Option<PhotoInfo>,
    /// Photographs of the handbook's pages, cleaned of metadata (bytes in the `pages` table).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<super::PageImage>,
    /// The holder, or a guardian presenting on their behalf.
    #[serde(default, skip_serializing_if = "is_holder")]
    pub presenter: super::Presenter,
    pub linkage: LinkageState,
    /// What the Myna Portal confirmed at the last linkage, and every fact it corrected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<super::PortalConfirmation>,
    pub registered_at: DateTime<Utc>,
    /// Registration order within the wallet (several may share one `registered_at`).
    #[serde(default)]
    pub seq: u64,
}

impl Handbook {
    pub fn kind(&self) -> HandbookKind {
        self.category.kind()
    }

    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.dates.is_valid_on(date)
    }

    /// "Renew soon" reminder: valid today but expiring within 60 days.
    pub fn expires_soon(&self, today: NaiveDate) -> bool {
        self.dates.expires_within(today, RENEWAL_REMINDER_DAYS)
    }

    /// Whether one caregiver rides at the discount (第1種 only).
    pub fn caregiver_discount(&self) -> bool {
        self.fare_class.caregiver_discount()
    }

    /// Kind, number and municipality identify one paper handbook.
    pub fn same_paper_handbook(&self, other: &Handbook) -> bool {
        self.kind() == other.kind()
            && self.number == other.number
            && self.municipality.code == other.municipality.code
    }
}

/// Every field that failed, so the holder can fix them all at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidHandbook(pub Vec<ValidationError>);

impl InvalidHandbook {
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.0.iter().map(|e| e.field)
    }
}

impl fmt::Display for InvalidHandbook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the handbook has {} invalid field(s) / 入力内容に誤りがあります:",
            self.0.len()
        )?;
        for e in &self.0 {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}

/// A handbook as typed by the holder or read from a TOML file: everything optional, all strings,
/// nothing trusted. [`HandbookDraft::validate`] turns it into a [`Handbook`] or lists every error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandbookDraft {
    pub kind: Option<String>,
    /// 身体 1–6, 精神 1–3 ("2", "2級" and full-width digits are accepted).
    pub grade: Option<String>,
    /// 療育: the prefecture's own label, verbatim.
    pub label: Option<String>,
    /// 療育: severe / other, when the label alone does not say.
    pub severity: Option<String>,
    pub fare_class: Option<String>,
    pub number: Option<String>,
    pub municipality_code: Option<String>,
    pub municipality_name: Option<String>,
    pub issued: Option<String>,
    pub renewed: Option<String>,
    pub reissued: Option<String>,
    pub returned: Option<String>,
    pub expires: Option<String>,
    /// Path of the photo, relative to the handbook file.
    pub photo: Option<String>,
    #[serde(default)]
    pub holder: HolderDraft,
    /// Present on the holder's behalf (a parent or legal guardian).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian: Option<super::GuardianDraft>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderDraft {
    pub name: Option<String>,
    pub kana: Option<String>,
    pub birth_date: Option<String>,
}

fn is_holder(p: &super::Presenter) -> bool {
    *p == super::Presenter::Holder
}

impl HandbookDraft {
    /// The guardian section: both fields required when the section is there.
    fn presenter(&self, errs: &mut Errors) -> super::Presenter {
        let Some(g) = &self.guardian else {
            return super::Presenter::Holder;
        };
        let relationship = errs.take(
            required(Field::GuardianRelationship, g.relationship.as_ref()).and_then(|r| {
                super::Relationship::parse(r).ok_or_else(|| {
                    ValidationError::new(
                        Field::GuardianRelationship,
                        Problem::Malformed {
                            value: r.to_owned(),
                            expected: "parent, legal_guardian or other",
                        },
                    )
                })
            }),
        );
        let name = errs.take(
            required(Field::GuardianName, g.name.as_ref()).and_then(|n| {
                super::text::printable_line(
                    Field::GuardianName,
                    n,
                    60,
                    "a name of at most 60 printable characters",
                )
            }),
        );
        match (relationship, name) {
            (Some(relationship), Some(name)) => super::Presenter::Guardian { relationship, name },
            _ => super::Presenter::Holder,
        }
    }
}

/// Collects field errors instead of stopping at the first.
#[derive(Default)]
struct Errors(Vec<ValidationError>);

impl Errors {
    fn take<T>(&mut self, r: Result<T, ValidationError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }
}

fn required(field: Field, v: Option<&String>) -> Result<&str, ValidationError> {
    match v.map(|s| s.trim()) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(ValidationError::new(field, Problem::Missing)),
    }
}

fn optional_date(field: Field, v: Option<&String>) -> Result<Option<NaiveDate>, ValidationError> {
    match v.map(|s| s.trim()) {
        Some(s) if !s.is_empty() => parse_date(field, s).map(Some),
        _ => Ok(None),
    }
}

impl HandbookDraft {
    /// Parses a handbook file. TOML dates (`issued = 2024-04-01`) and strings are both accepted.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let mut value: toml::Value = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        stringify_scalars(&mut value);
        value
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_owned())
    }

    /// Validates every field; `photo` is the photo's bytes when the draft names one.
    pub fn validate(
        &self,
        photo: Option<&[u8]>,
        registered_at: DateTime<Utc>,
    ) -> Result<Handbook, InvalidHandbook> {
        self.validate_with_photo(photo, registered_at)
            .map(|(hb, _)| hb)
    }

    /// [`HandbookDraft::validate`], also returning the photo as it is to be stored: without
    /// its metadata (see [`PhotoInfo::clean`]).
    pub fn validate_with_photo(
        &self,
        photo: Option<&[u8]>,
        registered_at: DateTime<Utc>,
    ) -> Result<(Handbook, Option<Vec<u8>>), InvalidHandbook> {
        let mut errs = Errors::default();
        let category = errs
            .take(required(Field::Kind, self.kind.as_ref()).and_then(HandbookKind::parse))
            .and_then(|kind| errs.take(self.category(kind)));
        let fare_class = errs
            .take(required(Field::FareClass, self.fare_class.as_ref()).and_then(FareClass::parse));
        if let (Some(c), Some(f)) = (&category, fare_class) {
            errs.take(f.check_against(c));
        }
        let number =
            errs.take(required(Field::Number, self.number.as_ref()).and_then(normalise_number));
        let code = errs.take(
            required(Field::MunicipalityCode, self.municipality_code.as_ref())
                .and_then(MunicipalityCode::parse),
        );
        let municipality_name = errs.take(
            required(Field::MunicipalityName, self.municipality_name.as_ref()).and_then(|n| {
                super::text::printable_line(
                    Field::MunicipalityName,
                    n,
                    MAX_MUNICIPALITY_NAME_CHARS,
                    "the municipality's name, at most 40 printable characters",
                )
            }),
        );
        let holder = self.holder(&mut errs);
        let dates = self.dates(&mut errs);
        let mental = category
            .as_ref()
            .is_some_and(|c| c.kind() == HandbookKind::Mental);
        let today = registered_at
            .with_timezone(&crate::clock::jst())
            .date_naive();
        if let Some(d) = dates.as_ref().filter(|d| d.issued > today) {
            errs.0.push(ValidationError::new(
                Field::Issued,
                Problem::InFuture {
                    date: d.issued,
                    today,
                },
            ));
        }
        if let (Some(d), Some(h)) = (&dates, &holder) {
            errs.take(d.validate(h.birth_date, mental));
        } else if mental && self.expires.as_deref().is_none_or(|e| e.trim().is_empty()) {
            errs.0
                .push(ValidationError::new(Field::Expires, Problem::Missing));
        }
        let photo = match photo {
            Some(bytes) => errs.take(PhotoInfo::clean(bytes)),
            None => None,
        };
        let (photo, photo_bytes) =
            photo.map_or((None, None), |(info, bytes)| (Some(info), Some(bytes)));
        let presenter = self.presenter(&mut errs);
        match (
            category,
            fare_class,
            number,
            code,
            municipality_name,
            holder,
            dates,
        ) {
            (
                Some(category),
                Some(fare_class),
                Some(number),
                Some(code),
                Some(name),
                Some(holder),
                Some(dates),
            ) if errs.0.is_empty() => Ok((
                Handbook {
                    id: HandbookId::random(),
                    category,
                    fare_class,
                    number,
                    municipality: Municipality { code, name },
                    dates,
                    holder,
                    photo,
                    pages: Vec::new(),
                    presenter,
                    linkage: LinkageState::Unlinked,
                    confirmed: None,
                    registered_at,
                    seq: 0,
                },
                photo_bytes,
            )),
            _ => Err(InvalidHandbook(errs.0)),
        }
    }

    fn category(&self, kind: HandbookKind) -> Result<Category, ValidationError> {
        match kind {
            HandbookKind::Physical => Category::physical(self.grade_or_missing()?),
            HandbookKind::Mental => Category::mental(self.grade_or_missing()?),
            HandbookKind::Intellectual => {
                let label = required(Field::Label, self.label.as_ref())?;
                let severity = match self.severity.as_deref().map(str::trim) {
                    Some(s) if !s.is_empty() => Some(Severity::parse(s)?),
                    _ => None,
                };
                Category::intellectual(label, severity)
            }
        }
    }

    fn grade_or_missing(&self) -> Result<u8, ValidationError> {
        let raw = required(Field::Grade, self.grade.as_ref())?;
        let digits: String = raw
            .trim_end_matches('級')
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .collect();
        digits.trim().parse().map_err(|_| {
            ValidationError::malformed(Field::Grade, raw, "a grade number such as 1 or 1級")
        })
    }

    fn holder(&self, errs: &mut Errors) -> Option<Holder> {
        let h = &self.holder;
        let birth = errs.take(
            required(Field::BirthDate, h.birth_date.as_ref())
                .and_then(|s| parse_date(Field::BirthDate, s)),
        );
        let name = errs.take(required(Field::HolderName, h.name.as_ref()));
        let kana = errs.take(required(Field::HolderKana, h.kana.as_ref()));
        errs.take(Holder::new(name?, kana?, birth?))
    }

    fn dates(&self, errs: &mut Errors) -> Option<HandbookDates> {
        let issued = errs.take(
            required(Field::Issued, self.issued.as_ref())
                .and_then(|s| parse_date(Field::Issued, s)),
        );
        let renewed = errs.take(optional_date(Field::Renewed, self.renewed.as_ref()));
        let reissued = errs.take(optional_date(Field::Reissued, self.reissued.as_ref()));
        let returned = errs.take(optional_date(Field::Returned, self.returned.as_ref()));
        let expires = errs.take(optional_date(Field::Expires, self.expires.as_ref()));
        Some(HandbookDates {
            issued: issued?,
            renewed: renewed?,
            reissued: reissued?,
            returned: returned?,
            expires: expires?,
        })
    }
}

/// The longest municipality name is far shorter (e.g. 「北海道虻田郡洞爺湖町」).
const MAX_MUNICIPALITY_NAME_CHARS: usize = 40;

/// Handbook numbers are printed in many styles (第12345号, full-width digits, hyphens).
fn normalise_number(input: &str) -> Result<String, ValidationError> {
    let s: String = input
        .trim()
        .trim_start_matches('第')
        .trim_end_matches('号')
        .chars()
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            'ー' | '－' | '‐' => '-',
            _ => c,
        })
        .collect();
    let ok = (1..=20).contains(&s.chars().count())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && s.chars().any(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(s)
    } else {
        Err(ValidationError::malformed(
            Field::Number,
            input,
            "1–20 letters, digits or hyphens",
        ))
    }
}

/// Every field of a draft is text, so that a number or date written without quotes is checked
/// by the field's own rule and its error names the field.
fn stringify_scalars(v: &mut toml::Value) {
    match v {
        toml::Value::Datetime(d) => *v = toml::Value::String(d.to_string()),
        toml::Value::Integer(i) => *v = toml::Value::String(i.to_string()),
        toml::Value::Float(f) => *v = toml::Value::String(f.to_string()),
        toml::Value::Boolean(b) => *v = toml::Value::String(b.to_string()),
        toml::Value::Table(t) => t.iter_mut().for_each(|(_, v)| stringify_scalars(v)),
        toml::Value::Array(a) => a.iter_mut().for_each(stringify_scalars),
        toml::Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-10T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    const PHYSICAL: &str = r#"
        kind = "physical"
        grade = 2
        fare_class = "第1種"
        number = "第１２３４５号"
        municipality_code = "131016"
        municipality_name = "東京都千代田区"
        issued = 2019-04-01
        [holder]
        name = "山田 太郎"
        kana = "ヤマダ タロウ"
        birth_date = "1985-07-20"
    "#;

    #[test]
    fn a_toml_handbook_validates() {
        let draft = HandbookDraft::from_toml(PHYSICAL).unwrap();
        let hb = draft.validate(None, now()).unwrap();
        assert_eq!(hb.number, "12345");
        assert!(hb.caregiver_discount());
        assert!(hb.is_valid_on(NaiveDate::from_ymd_opt(2026, 1, 10).unwrap()));
        assert!(!hb.expires_soon(NaiveDate::from_ymd_opt(2026, 1, 10).unwrap()));
        assert_eq!(hb.linkage, LinkageState::Unlinked);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = PHYSICAL
            .replace("131016", "131017")
            .replace("grade = 2", "grade = 7")
            .replace("ヤマダ タロウ", "Yamada");
        let err = HandbookDraft::from_toml(&bad)
            .unwrap()
            .validate(None, now())
            .unwrap_err();
        let fields: Vec<_> = err.fields().collect();
        assert_eq!(
            fields,
            vec![Field::Grade, Field::MunicipalityCode, Field::HolderKana]
        );
        assert!(err.to_string().contains("municipality_code"));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = HandbookDraft::from_toml(&format!("{PHYSICAL}\ncolour = \"red\"")).unwrap_err();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn numbers_are_normalised() {
        assert_eq!(normalise_number("Ａ－００１").unwrap(), "A-001");
        assert!(normalise_number("12 34").is_err());
        assert!(normalise_number("---").is_err());
    }
}
