//! The policy file: parsed strictly (unknown fields refused), then checked for rules that
//! contradict each other, each error naming the field.

use crate::model::{FareClass, HandbookKind};
use serde::Deserialize;

/// One operator's acceptance rules.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorPolicy {
    pub id: String,
    pub name: String,
    pub name_en: String,
    /// rail, bus, taxi, ferry, air, venue, shop, online.
    pub category: String,
    /// Where it operates ("東京都", "全国"); empty when the file does not say.
    pub area: String,
    /// Handbook kinds accepted here.
    pub kinds: Vec<HandbookKind>,
    /// Only screens backed by a portal-linked credential (連携済).
    pub require_linked: bool,
    /// A guardian may present on the holder's behalf (most operators accept it for children;
    /// some require the holder to be present).
    pub accept_guardian: bool,
    /// Fare classes that get the discount (`not_recorded` for operators that ignore the class).
    pub fare_classes: Vec<FareClass>,
    pub caregiver: CaregiverRule,
    /// The holder travelling alone is discounted only on trips over this many km.
    pub holder_alone_over_km: Option<u32>,
    /// A disclosed expiry before the trip date means not accepted.
    pub require_unexpired: bool,
    /// Oldest revocation (status) list accepted offline, in hours.
    pub max_status_age_hours: u32,
    /// A booking site: the presentation must answer this site's fresh challenge.
    pub online_audience: Option<String>,
    /// Free text for staff: what the discount is, in words.
    pub discount_ja: String,
    pub discount_en: String,
}

/// Who else travels at the discount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaregiverRule {
    /// No caregiver discount.
    None,
    /// One caregiver when the handbook is 第1種 (the JR rule).
    FirstClass,
    /// One caregiver for 第1種, only for these kinds.
    FirstClassKinds(Vec<HandbookKind>),
    /// One caregiver for every accepted holder (many venues).
    Always,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("{file}: not a policy file: {message} / 規定ファイルを読めません")]
    Syntax { file: String, message: String },
    #[error("{file}: `{field}` {problem} / 規定の `{field}` が不正です")]
    Field {
        file: String,
        field: &'static str,
        problem: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    operator: OperatorSection,
    accept: AcceptSection,
    #[serde(default)]
    caregiver: Option<CaregiverSection>,
    #[serde(default)]
    distance: Option<DistanceSection>,
    #[serde(default)]
    validity: Option<ValiditySection>,
    #[serde(default)]
    online: Option<OnlineSection>,
    discount: DiscountSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorSection {
    id: String,
    name: String,
    name_en: String,
    category: String,
    /// Must be true: fixture policies are illustrations, not an operator's official rules.
    #[serde(default)]
    illustrative: bool,
    /// Where it operates, as people search for it ("東京都", "神奈川県横浜市", "全国").
    #[serde(default)]
    area: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptSection {
    kinds: Vec<HandbookKind>,
    require_linked: bool,
    fare_classes: Vec<FareClass>,
    #[serde(default = "yes")]
    guardian: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaregiverSection {
    /// none | first_class | always
    rule: String,
    #[serde(default)]
    kinds: Option<Vec<HandbookKind>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistanceSection {
    holder_alone_over_km: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValiditySection {
    #[serde(default = "yes")]
    require_unexpired: bool,
    #[serde(default = "day_hours")]
    max_status_age_hours: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OnlineSection {
    challenge: bool,
    #[serde(default)]
    audience: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscountSection {
    ja: String,
    en: String,
}

fn yes() -> bool {
    true
}

fn day_hours() -> u32 {
    24
}

const CATEGORIES: [&str; 8] = [
    "rail", "bus", "taxi", "ferry", "air", "venue", "shop", "online",
];

/// An operator category as the holder reads it (an unknown one as written).
pub fn category_label(category: &str, lang: crate::Lang) -> String {
    let (ja, en) = match category {
        "rail" => ("鉄道", "rail"),
        "bus" => ("バス", "bus"),
        "taxi" => ("タクシー", "taxi"),
        "ferry" => ("船", "ferry"),
        "air" => ("航空", "air"),
        "venue" => ("施設", "venues"),
        "shop" => ("店舗", "shops"),
        "online" => ("オンライン", "online"),
        other => return other.to_owned(),
    };
    lang.pick(ja, en).to_owned()
}

/// A status list older than this is never accepted, whatever a policy says.
pub const MAX_STATUS_AGE_HOURS: u32 = 24 * 14;

impl OperatorPolicy {
    /// Reads a policy file's text; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, PolicyError> {
        let raw: File = toml::from_str(text).map_err(|e| PolicyError::Syntax {
            file: file.to_owned(),
            message: e.message().to_owned()
                + &e.span()
                    .map(|s| format!(" (at byte {})", s.start))
                    .unwrap_or_default(),
        })?;
        let field = |field: &'static str, problem: &str| PolicyError::Field {
            file: file.to_owned(),
            field,
            problem: problem.to_owned(),
        };
        let o = raw.operator;
        if o.id.trim().is_empty() || !o.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(field("operator.id", "must be letters, digits and '-'"));
        }
        if !CATEGORIES.contains(&o.category.as_str()) {
            return Err(field(
                "operator.category",
                &format!("must be one of {}", CATEGORIES.join(", ")),
            ));
        }
        if !o.illustrative {
            return Err(field(
                "operator.illustrative",
                "must be true: these files illustrate rules, they are not an operator's official terms",
            ));
        }
        let a = raw.accept;
        if a.kinds.is_empty() {
            return Err(field("accept.kinds", "is empty: nothing would be accepted"));
        }
        if a.fare_classes.is_empty() {
            return Err(field(
                "accept.fare_classes",
                "is empty: nothing would be discounted",
            ));
        }
        if has_duplicates(&a.kinds) {
            return Err(field("accept.kinds", "lists a kind twice"));
        }
        if has_duplicates(&a.fare_classes) {
            return Err(field("accept.fare_classes", "lists a class twice"));
        }
        let caregiver = caregiver_rule(raw.caregiver, &a.kinds, &field)?;
        if matches!(
            caregiver,
            CaregiverRule::FirstClass | CaregiverRule::FirstClassKinds(_)
        ) && !a.fare_classes.contains(&FareClass::First)
        {
            return Err(field(
                "caregiver.rule",
                "is first_class but accept.fare_classes does not include first",
            ));
        }
        let holder_alone_over_km = raw.distance.map(|d| d.holder_alone_over_km);
        if holder_alone_over_km == Some(0) {
            return Err(field(
                "distance.holder_alone_over_km",
                "is 0: leave the [distance] section out instead",
            ));
        }
        let (require_unexpired, max_status_age_hours) = raw.validity.map_or((true, 24), |v| {
            (v.require_unexpired, v.max_status_age_hours)
        });
        if max_status_age_hours == 0 || max_status_age_hours > MAX_STATUS_AGE_HOURS {
            return Err(field(
                "validity.max_status_age_hours",
                &format!("must be between 1 and {MAX_STATUS_AGE_HOURS}"),
            ));
        }
        let online_audience = online_rule(raw.online, &field)?;
        Ok(OperatorPolicy {
            id: o.id,
            name: o.name,
            name_en: o.name_en,
            category: o.category,
            area: o.area.unwrap_or_default(),
            kinds: a.kinds,
            require_linked: a.require_linked,
            accept_guardian: a.guardian,
            fare_classes: a.fare_classes,
            caregiver,
            holder_alone_over_km,
            require_unexpired,
            max_status_age_hours,
            online_audience,
            discount_ja: raw.discount.ja,
            discount_en: raw.discount.en,
        })
    }

    /// Reads a policy file from disk.
    pub fn load(path: &std::path::Path) -> Result<Self, PolicyError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Syntax {
            file: name.clone(),
            message: e.to_string(),
        })?;
        Self::from_toml(&name, &text)
    }

    pub fn display_name(&self, lang: crate::Lang) -> &str {
        lang.pick(&self.name, &self.name_en)
    }
}

type FieldError<'a> = dyn Fn(&'static str, &str) -> PolicyError + 'a;

fn caregiver_rule(
    caregiver: Option<CaregiverSection>,
    accepted: &[HandbookKind],
    field: &FieldError<'_>,
) -> Result<CaregiverRule, PolicyError> {
    Ok(match caregiver {
        None => CaregiverRule::None,
        Some(c) => match (c.rule.as_str(), c.kinds) {
            ("none", None) => CaregiverRule::None,
            ("always", None) => CaregiverRule::Always,
            ("first_class", None) => CaregiverRule::FirstClass,
            ("first_class", Some(kinds)) => {
                if kinds.is_empty() {
                    return Err(field("caregiver.kinds", "is empty: leave it out instead"));
                }
                if let Some(k) = kinds.iter().find(|k| !accepted.contains(k)) {
                    return Err(field(
                        "caregiver.kinds",
                        &format!("names {k:?}, which accept.kinds does not accept"),
                    ));
                }
                CaregiverRule::FirstClassKinds(kinds)
            }
            ("none" | "always", Some(_)) => {
                return Err(field(
                    "caregiver.kinds",
                    "only goes with rule = \"first_class\"",
                ));
            }
            _ => {
                return Err(field(
                    "caregiver.rule",
                    "must be none, first_class or always",
                ));
            }
        },
    })
}

fn online_rule(
    online: Option<OnlineSection>,
    field: &FieldError<'_>,
) -> Result<Option<String>, PolicyError> {
    Ok(match online {
        None
        | Some(OnlineSection {
            challenge: false,
            audience: None,
        }) => None,
        Some(OnlineSection {
            challenge: false,
            audience: Some(_),
        }) => {
            return Err(field(
                "online.audience",
                "is set but online.challenge is false",
            ));
        }
        Some(OnlineSection {
            challenge: true,
            audience: None,
        }) => {
            return Err(field(
                "online.audience",
                "is required when online.challenge is true (the site's name)",
            ));
        }
        Some(OnlineSection {
            challenge: true,
            audience: Some(a),
        }) => {
            if a.trim().is_empty() {
                return Err(field("online.audience", "is empty"));
            }
            Some(a)
        }
    })
}

fn has_duplicates<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, a)| items[..i].contains(a))
}
