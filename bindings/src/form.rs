//! The registration form as a typed record, and its refusal as one message per field, so the
//! register screen marks each wrong field without parsing text.

use techo_core::Lang;
use techo_core::model::{GuardianDraft, HandbookDraft, HolderDraft, InvalidHandbook};

/// A handbook as the holder types it from the paper handbook. Empty fields may be left `None`;
/// every field is checked by the core, which names each wrong one.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct HandbookForm {
    /// `physical`, `mental` or `intellectual` (身体 / 精神 / 療育 are accepted too).
    pub kind: String,
    #[uniffi(default = None)]
    pub grade: Option<String>,
    /// 療育: the prefecture's own label, verbatim.
    #[uniffi(default = None)]
    pub label: Option<String>,
    #[uniffi(default = None)]
    pub severity: Option<String>,
    #[uniffi(default = None)]
    pub fare_class: Option<String>,
    #[uniffi(default = None)]
    pub number: Option<String>,
    #[uniffi(default = None)]
    pub municipality_code: Option<String>,
    #[uniffi(default = None)]
    pub municipality_name: Option<String>,
    /// Dates as `YYYY-MM-DD`.
    #[uniffi(default = None)]
    pub issued: Option<String>,
    #[uniffi(default = None)]
    pub renewed: Option<String>,
    #[uniffi(default = None)]
    pub reissued: Option<String>,
    #[uniffi(default = None)]
    pub expires: Option<String>,
    #[uniffi(default = None)]
    pub holder_name: Option<String>,
    #[uniffi(default = None)]
    pub holder_kana: Option<String>,
    #[uniffi(default = None)]
    pub holder_birth_date: Option<String>,
    /// A parent or legal guardian presenting on the holder's behalf.
    #[uniffi(default = None)]
    pub guardian_relationship: Option<String>,
    #[uniffi(default = None)]
    pub guardian_name: Option<String>,
}

/// What is wrong with one field: `field` is the form's field name (`number`, `holder_name`, …).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

fn text(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl From<&HandbookForm> for HandbookDraft {
    fn from(f: &HandbookForm) -> Self {
        let guardian = match (
            text(f.guardian_relationship.as_deref()),
            text(f.guardian_name.as_deref()),
        ) {
            (None, None) => None,
            (relationship, name) => Some(GuardianDraft { relationship, name }),
        };
        HandbookDraft {
            kind: text(Some(&f.kind)),
            grade: text(f.grade.as_deref()),
            label: text(f.label.as_deref()),
            severity: text(f.severity.as_deref()),
            fare_class: text(f.fare_class.as_deref()),
            number: text(f.number.as_deref()),
            municipality_code: text(f.municipality_code.as_deref()),
            municipality_name: text(f.municipality_name.as_deref()),
            issued: text(f.issued.as_deref()),
            renewed: text(f.renewed.as_deref()),
            reissued: text(f.reissued.as_deref()),
            returned: None,
            expires: text(f.expires.as_deref()),
            photo: None,
            holder: HolderDraft {
                name: text(f.holder_name.as_deref()),
                kana: text(f.holder_kana.as_deref()),
                birth_date: text(f.holder_birth_date.as_deref()),
            },
            guardian,
        }
    }
}

/// The form's name for a core field key (`holder.name` → `holder_name`).
fn form_field(key: &str) -> String {
    key.replace('.', "_")
}

/// One message per wrong field, named as the form names it: in `lang`, or in both languages.
pub(crate) fn field_problems(e: &InvalidHandbook, lang: Option<Lang>) -> Vec<FieldProblem> {
    e.0.iter()
        .map(|v| {
            let message = v.problem.to_string();
            FieldProblem {
                field: form_field(v.field.key()),
                message: lang.map_or(message.clone(), |l| l.part_of(&message)),
            }
        })
        .collect()
}
