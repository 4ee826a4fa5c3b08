//! The support profile as typed records: the core's own types, described to uniffi, so the
//! profile screen edits items and numbers rather than TOML text.

use crate::records::Language;
use techo_core::model::{BatteryType, PoweredSpec, SupportCode, SupportItem, SupportProfile};

#[uniffi::remote(Enum)]
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

#[uniffi::remote(Enum)]
pub enum BatteryType {
    LithiumIon,
    SealedLeadAcid,
    NickelMetalHydride,
}

#[uniffi::remote(Record)]
pub struct PoweredSpec {
    pub battery: BatteryType,
    pub watt_hours: u32,
    pub width_cm: u32,
    pub length_cm: u32,
    pub height_cm: u32,
    pub weight_kg: u32,
}

#[uniffi::remote(Record)]
pub struct SupportItem {
    pub code: SupportCode,
    pub powered: Option<PoweredSpec>,
    pub on_screen: bool,
    pub in_qr: bool,
}

#[uniffi::remote(Record)]
pub struct SupportProfile {
    pub items: Vec<SupportItem>,
    pub note: Option<String>,
}

/// One item the profile screen offers, with its group and whether it needs the powered-chair
/// details.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SupportChoice {
    pub code: SupportCode,
    pub label: String,
    pub group: String,
    pub needs_powered_details: bool,
}

/// Every standard item, in the order the screen shows them.
#[uniffi::export]
pub fn support_choices(lang: Language) -> Vec<SupportChoice> {
    let lang = lang.into();
    SupportCode::ALL
        .iter()
        .map(|c| SupportChoice {
            code: *c,
            label: c.label(lang).to_owned(),
            group: c.group().label(lang).to_owned(),
            needs_powered_details: c.is_powered(),
        })
        .collect()
}
