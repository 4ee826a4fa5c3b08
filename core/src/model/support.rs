//! The holder's support profile (seed 001): the mobility equipment they use, an assistance dog,
//! how to communicate with them, and the help they want, so staff at a station, airport or venue
//! can help without the holder explaining again. Every item is **self-declared**: it is never
//! inside the issuer's signature, and screens and verifiers mark it so.

use crate::Lang;
use serde::{Deserialize, Serialize};

/// Standard items, each with a stable code (`code()`), a number for the QR (`wire()`), and
/// Japanese and English labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportCode {
    ManualWheelchair,
    ElectricWheelchair,
    MobilityScooter,
    Walker,
    Cane,
    WhiteCane,
    GuideDog,
    HearingDog,
    ServiceDog,
    Writing,
    SignLanguage,
    SimpleLanguage,
    VisualInformation,
    BoardingRamp,
    EscortToPlatform,
    EscortToSeat,
    HelpAtTransfers,
    PrioritySeating,
}

/// What group an item belongs to (the screen shows them in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportGroup {
    Mobility,
    AssistanceDog,
    Communication,
    Assistance,
}

impl SupportCode {
    pub const ALL: [SupportCode; 18] = [
        SupportCode::ManualWheelchair,
        SupportCode::ElectricWheelchair,
        SupportCode::MobilityScooter,
        SupportCode::Walker,
        SupportCode::Cane,
        SupportCode::WhiteCane,
        SupportCode::GuideDog,
        SupportCode::HearingDog,
        SupportCode::ServiceDog,
        SupportCode::Writing,
        SupportCode::SignLanguage,
        SupportCode::SimpleLanguage,
        SupportCode::VisualInformation,
        SupportCode::BoardingRamp,
        SupportCode::EscortToPlatform,
        SupportCode::EscortToSeat,
        SupportCode::HelpAtTransfers,
        SupportCode::PrioritySeating,
    ];

    /// The stable text code (files, JSON, CLI).
    pub fn code(self) -> &'static str {
        match self {
            SupportCode::ManualWheelchair => "manual_wheelchair",
            SupportCode::ElectricWheelchair => "electric_wheelchair",
            SupportCode::MobilityScooter => "mobility_scooter",
            SupportCode::Walker => "walker",
            SupportCode::Cane => "cane",
            SupportCode::WhiteCane => "white_cane",
            SupportCode::GuideDog => "guide_dog",
            SupportCode::HearingDog => "hearing_dog",
            SupportCode::ServiceDog => "service_dog",
            SupportCode::Writing => "writing",
            SupportCode::SignLanguage => "sign_language",
            SupportCode::SimpleLanguage => "simple_language",
            SupportCode::VisualInformation => "visual_information",
            SupportCode::BoardingRamp => "boarding_ramp",
            SupportCode::EscortToPlatform => "escort_to_platform",
            SupportCode::EscortToSeat => "escort_to_seat",
            SupportCode::HelpAtTransfers => "help_at_transfers",
            SupportCode::PrioritySeating => "priority_seating",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().replace('-', "_");
        Self::ALL.into_iter().find(|c| c.code() == s)
    }

    /// The number carried in the QR (1-based, never reused).
    pub fn wire(self) -> u64 {
        Self::ALL
            .iter()
            .position(|c| *c == self)
            .map_or(0, |i| i as u64 + 1)
    }

    pub fn from_wire(n: u64) -> Option<Self> {
        usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| Self::ALL.get(i).copied())
    }

    pub fn group(self) -> SupportGroup {
        #[allow(clippy::enum_glob_use, reason = "a table of every variant")]
        use SupportCode::*;
        match self {
            ManualWheelchair | ElectricWheelchair | MobilityScooter | Walker | Cane | WhiteCane => {
                SupportGroup::Mobility
            }
            GuideDog | HearingDog | ServiceDog => SupportGroup::AssistanceDog,
            Writing | SignLanguage | SimpleLanguage | VisualInformation => {
                SupportGroup::Communication
            }
            BoardingRamp | EscortToPlatform | EscortToSeat | HelpAtTransfers | PrioritySeating => {
                SupportGroup::Assistance
            }
        }
    }

    /// Powered equipment: airlines and ferries ask for the battery and size.
    pub fn is_powered(self) -> bool {
        matches!(
            self,
            SupportCode::ElectricWheelchair | SupportCode::MobilityScooter
        )
    }

    pub fn label(self, lang: Lang) -> &'static str {
        #[allow(clippy::enum_glob_use, reason = "a table of every variant")]
        use SupportCode::*;
        let (ja, en) = match self {
            ManualWheelchair => ("手動車椅子", "Manual wheelchair"),
            ElectricWheelchair => ("電動車椅子", "Electric wheelchair"),
            MobilityScooter => ("ハンドル形電動車椅子", "Mobility scooter"),
            Walker => ("歩行器", "Walker"),
            Cane => ("杖", "Cane"),
            WhiteCane => ("白杖", "White cane"),
            GuideDog => ("盲導犬", "Guide dog"),
            HearingDog => ("聴導犬", "Hearing dog"),
            ServiceDog => ("介助犬", "Service dog"),
            Writing => ("筆談でお願いします", "Please communicate in writing"),
            SignLanguage => ("手話でお願いします", "Sign language, please"),
            SimpleLanguage => ("ゆっくり、やさしい言葉で", "Slow, simple language, please"),
            VisualInformation => (
                "視覚的な案内（文字・図）",
                "Visual information (text, pictures)",
            ),
            BoardingRamp => ("乗降用スロープ", "Boarding ramp"),
            EscortToPlatform => ("ホームまでの案内", "Escort to the platform"),
            EscortToSeat => ("座席までの案内", "Escort to the seat"),
            HelpAtTransfers => ("乗り換えの手伝い", "Help at transfers"),
            PrioritySeating => ("優先席", "Priority seating"),
        };
        lang.pick(ja, en)
    }
}

impl SupportGroup {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            SupportGroup::Mobility => lang.pick("使用している用具", "Mobility equipment"),
            SupportGroup::AssistanceDog => lang.pick("身体障害者補助犬", "Assistance dog"),
            SupportGroup::Communication => lang.pick("コミュニケーション", "Communication"),
            SupportGroup::Assistance => lang.pick("お願いしたい手伝い", "Assistance wanted"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatteryType {
    LithiumIon,
    SealedLeadAcid,
    NickelMetalHydride,
}

impl BatteryType {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            BatteryType::LithiumIon => lang.pick("リチウムイオン", "lithium-ion"),
            BatteryType::SealedLeadAcid => lang.pick("密閉型鉛", "sealed lead-acid"),
            BatteryType::NickelMetalHydride => lang.pick("ニッケル水素", "nickel-metal hydride"),
        }
    }
}

/// What airlines and ferries ask about a powered chair or scooter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoweredSpec {
    pub battery: BatteryType,
    /// Battery capacity in watt-hours.
    pub watt_hours: u32,
    pub width_cm: u32,
    pub length_cm: u32,
    pub height_cm: u32,
    pub weight_kg: u32,
}

/// One item of the profile. `powered` is required for (and only allowed with) powered equipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportItem {
    pub code: SupportCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub powered: Option<PoweredSpec>,
    /// Show on the counter screen.
    #[serde(default = "yes")]
    pub on_screen: bool,
    /// Carry in the QR code (device-signed, marked self-declared).
    #[serde(default)]
    pub in_qr: bool,
}

fn yes() -> bool {
    true
}

/// Longest free-text note.
pub const MAX_NOTE_CHARS: usize = 200;

/// The holder's support profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportProfile {
    #[serde(default)]
    pub items: Vec<SupportItem>,
    /// Free text for staff ("please speak on my left side"); screen only, never in the QR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupportError {
    #[error("not a support profile: {0} / 支援情報の形式が正しくありません")]
    Syntax(String),
    #[error("{code}: {problem} / 支援情報「{code}」が正しくありません")]
    Item { code: &'static str, problem: String },
    #[error(
        "the note is {chars} characters; keep it to {MAX_NOTE_CHARS} / メモは{MAX_NOTE_CHARS}文字以内にしてください"
    )]
    NoteTooLong { chars: usize },
}

impl SupportProfile {
    /// Reads a profile file (TOML) and checks it.
    pub fn from_toml(text: &str) -> Result<Self, SupportError> {
        let p: SupportProfile =
            toml::from_str(text).map_err(|e| SupportError::Syntax(e.message().to_owned()))?;
        p.validate()?;
        Ok(p)
    }

    /// One entry per code; powered details exactly where they belong; sensible sizes.
    pub fn validate(&self) -> Result<(), SupportError> {
        for (i, item) in self.items.iter().enumerate() {
            let code = item.code.code();
            let problem = |p: &str| SupportError::Item {
                code,
                problem: p.to_owned(),
            };
            if self.items[..i].iter().any(|o| o.code == item.code) {
                return Err(problem("listed twice"));
            }
            match (item.code.is_powered(), &item.powered) {
                (true, None) => {
                    return Err(problem(
                        "needs [items.powered]: battery, watt_hours, width_cm, length_cm, height_cm, weight_kg",
                    ));
                }
                (false, Some(_)) => return Err(problem("is not powered: remove [items.powered]")),
                (true, Some(s)) => {
                    if !(1..=3000).contains(&s.watt_hours) {
                        return Err(problem("watt_hours must be 1–3000"));
                    }
                    for (v, name) in [
                        (s.width_cm, "width_cm"),
                        (s.length_cm, "length_cm"),
                        (s.height_cm, "height_cm"),
                    ] {
                        if !(20..=300).contains(&v) {
                            return Err(problem(&format!("{name} must be 20–300")));
                        }
                    }
                    if !(1..=400).contains(&s.weight_kg) {
                        return Err(problem("weight_kg must be 1–400"));
                    }
                }
                (false, None) => {}
            }
            if item.in_qr && !item.on_screen {
                return Err(problem(
                    "is in the QR but not on the screen: staff would scan what they cannot see",
                ));
            }
        }
        if let Some(note) = &self.note {
            let chars = note.chars().count();
            if chars > MAX_NOTE_CHARS {
                return Err(SupportError::NoteTooLong { chars });
            }
        }
        Ok(())
    }

    /// Items for the screen, in group order.
    pub fn on_screen(&self) -> Vec<&SupportItem> {
        let mut v: Vec<&SupportItem> = self.items.iter().filter(|i| i.on_screen).collect();
        v.sort_by_key(|i| (i.code.group(), i.code));
        v
    }

    /// Codes the holder chose to carry in the QR, in a fixed order.
    pub fn qr_codes(&self) -> Vec<SupportCode> {
        let mut v: Vec<SupportCode> = self
            .items
            .iter()
            .filter(|i| i.in_qr)
            .map(|i| i.code)
            .collect();
        v.sort();
        v
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.note.is_none()
    }
}

impl SupportItem {
    /// "電動車椅子（リチウムイオン 300Wh、幅63×長さ110×高さ95cm、85kg）".
    pub fn describe(&self, lang: Lang) -> String {
        let label = self.code.label(lang);
        match &self.powered {
            None => label.to_owned(),
            Some(s) => match lang {
                Lang::Ja => format!(
                    "{label}（{} {}Wh、幅{}×長さ{}×高さ{}cm、{}kg）",
                    s.battery.label(lang),
                    s.watt_hours,
                    s.width_cm,
                    s.length_cm,
                    s.height_cm,
                    s.weight_kg
                ),
                Lang::En => format!(
                    "{label} ({} {} Wh, {}×{}×{} cm W×L×H, {} kg)",
                    s.battery.label(lang),
                    s.watt_hours,
                    s.width_cm,
                    s.length_cm,
                    s.height_cm,
                    s.weight_kg
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_by_name_and_wire_number() {
        for c in SupportCode::ALL {
            assert_eq!(SupportCode::parse(c.code()), Some(c));
            assert_eq!(SupportCode::from_wire(c.wire()), Some(c));
            assert!(!c.label(Lang::Ja).is_empty() && !c.label(Lang::En).is_empty());
        }
        assert_eq!(SupportCode::from_wire(0), None);
        assert_eq!(SupportCode::from_wire(99), None);
        assert_eq!(
            SupportCode::parse("electric-wheelchair"),
            Some(SupportCode::ElectricWheelchair)
        );
    }
}
