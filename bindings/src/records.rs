//! Plain records the shells draw from. Conversions only; the meaning stays in the core.

use techo_core::Lang;
use techo_core::model::{Handbook, HandbookId, LinkageState};
use techo_core::screen::{self, CounterScreen};

#[derive(Debug, Clone, Copy, uniffi::Enum)]
pub enum Language {
    Japanese,
    English,
}

impl From<Language> for Lang {
    fn from(l: Language) -> Self {
        match l {
            Language::Japanese => Lang::Ja,
            Language::English => Lang::En,
        }
    }
}

/// A handbook as a list row and counter summary.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HandbookSummary {
    pub id: HandbookId,
    pub kind: String,
    pub kind_label: String,
    pub grade_label: String,
    pub fare_class_label: String,
    pub caregiver_discount: bool,
    pub linkage: LinkageInfo,
    pub linkage_label: String,
    pub municipality: String,
    pub valid_today: bool,
    /// What the portal corrected at the last linkage, one line each (empty: nothing).
    pub portal_changes: Vec<String>,
}

pub(crate) fn summary(hb: &Handbook, today: chrono::NaiveDate, lang: Lang) -> HandbookSummary {
    HandbookSummary {
        id: hb.id.clone(),
        kind: format!("{:?}", hb.kind()).to_lowercase(),
        kind_label: hb.kind().label(lang).into(),
        grade_label: hb.category.grade_label(lang),
        fare_class_label: hb.fare_class.label(lang).into(),
        caregiver_discount: hb.caregiver_discount(),
        linkage: linkage_info(&hb.linkage, today, lang),
        linkage_label: hb.linkage.label(lang).into(),
        municipality: hb.municipality.name.clone(),
        valid_today: hb.is_valid_on(today),
        portal_changes: hb
            .confirmed
            .as_ref()
            .map(|c| c.latest().map(|x| x.describe(lang)).collect())
            .unwrap_or_default(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LinkageStatus {
    /// 未連携
    Unlinked,
    /// The card is being read; the app was closed halfway if this persists.
    Linking,
    /// 申請中: the portal has not answered; `next_try_unix` says when techo-server asks again.
    Pending,
    /// 連携済
    Linked,
    /// カードで再連携が必要: the consent ended; only the card links again.
    RelinkNeeded,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct LinkageInfo {
    pub status: LinkageStatus,
    /// 未連携 / 申請中 / 連携済 (or the English words).
    pub label: String,
    pub since_unix: Option<i64>,
    /// Why it is pending, in the portal's words.
    pub reason: Option<String>,
    pub next_try_unix: Option<i64>,
    /// Last day the credentials are valid (ISO date), when linked.
    pub valid_until: Option<String>,
    /// Last day of the holder's consent (ISO date), when linked: renewals stop there.
    pub consent_until: Option<String>,
    /// What the holder is told beside the label: the card will be needed in N days, or why
    /// it is needed now. Shown on the list and the settings screen, not to staff.
    pub notice: Option<String>,
}

pub(crate) fn linkage_info(
    state: &LinkageState,
    today: chrono::NaiveDate,
    lang: Lang,
) -> LinkageInfo {
    let label = state.label(lang).to_owned();
    let mut info = LinkageInfo {
        status: LinkageStatus::Unlinked,
        label,
        since_unix: None,
        reason: None,
        next_try_unix: None,
        valid_until: None,
        consent_until: None,
        notice: state.holder_notice(today, lang),
    };
    match state {
        LinkageState::Unlinked => {}
        LinkageState::Linking { since, .. } => {
            info.status = LinkageStatus::Linking;
            info.since_unix = Some(since.timestamp());
        }
        LinkageState::Pending {
            since,
            reason,
            next_try,
            ..
        } => {
            info.status = LinkageStatus::Pending;
            info.since_unix = Some(since.timestamp());
            info.reason = Some(reason.clone());
            info.next_try_unix = next_try.map(|t| t.timestamp());
        }
        LinkageState::Linked {
            since,
            valid_until,
            consent_until,
            ..
        } => {
            info.status = LinkageStatus::Linked;
            info.since_unix = Some(since.timestamp());
            info.valid_until = valid_until.map(|d| d.to_string());
            info.consent_until = consent_until.map(|d| d.to_string());
        }
        LinkageState::RelinkNeeded { since, reason, .. } => {
            info.status = LinkageStatus::RelinkNeeded;
            info.since_unix = Some(since.timestamp());
            info.reason = Some(reason.clone());
        }
    }
    info
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Emphasis {
    Normal,
    /// Expiring soon, pending.
    Caution,
    /// Expired, not linked.
    Alert,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ScreenItem {
    /// kind, fare_class, linkage, grade, municipality, validity, photo.
    pub key: String,
    pub label: String,
    pub value: String,
    pub emphasis: Emphasis,
    /// One sentence for TalkBack / VoiceOver.
    pub spoken: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Shape {
    /// 身体
    Circle,
    /// 精神
    Diamond,
    /// 療育
    Square,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SwitchTarget {
    pub handbook_id: HandbookId,
    pub label: String,
}

/// How the holder set the counter screen up.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct CounterOptions {
    pub lang: Language,
    pub reduced_motion: bool,
    /// The platform's text scale, 1.0 = default (sizes follow it up to 2.0).
    pub text_scale: f64,
    pub photo_enlarged: bool,
}

impl From<CounterOptions> for screen::Options {
    fn from(o: CounterOptions) -> Self {
        screen::Options {
            lang: o.lang.into(),
            reduced_motion: o.reduced_motion,
            text_scale: o.text_scale,
            photo_enlarged: o.photo_enlarged,
        }
    }
}

/// The counter screen at one instant: redraw it every second (clock, glow, QR countdown).
#[derive(Debug, Clone, uniffi::Record)]
pub struct CounterView {
    pub handbook_id: HandbookId,
    pub items: Vec<ScreenItem>,
    pub clock: String,
    /// 0.0 ..< 1.0 through the glow cycle.
    pub glow_phase: f64,
    /// `None`: not linked, the character stands still.
    pub character_frame: Option<u32>,
    pub qr_seconds_left: u32,
    pub shape: Shape,
    /// Colours as `#rrggbb`.
    pub background: String,
    pub text_colour: String,
    pub accent: String,
    pub kind_pt: f64,
    pub item_pt: f64,
    pub clock_pt: f64,
    pub photo_enlarged: bool,
    pub update_banner: Option<String>,
    pub switch_to: Vec<SwitchTarget>,
    /// Photographed handbook pages to enlarge with one tap.
    pub page_count: u32,
    /// The holder's self-declared support band, drawn apart from the items above.
    pub support: Option<SupportBand>,
    /// "保護者が提示（…）": draw it as a band of its own at the top, in words.
    /// The operator's coupon carried in the code ("Coupon: … ／ operator").
    pub coupon: Option<String>,
    pub guardian_band: Option<String>,
}

/// Self-declared support items: draw with `background`, a dashed `outline` and the `tag`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SupportBand {
    pub heading: String,
    pub tag: String,
    pub lines: Vec<SupportLine>,
    pub note: Option<String>,
    pub background: String,
    pub outline: String,
    pub spoken: String,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SupportLine {
    pub code: String,
    pub group: String,
    pub text: String,
    pub in_qr: bool,
}

fn key_name(k: screen::ItemKey) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn screen_item(i: screen::Item) -> ScreenItem {
    ScreenItem {
        key: key_name(i.key),
        label: i.label,
        value: i.value,
        emphasis: match i.emphasis {
            screen::Emphasis::Normal => Emphasis::Normal,
            screen::Emphasis::Caution => Emphasis::Caution,
            screen::Emphasis::Alert => Emphasis::Alert,
        },
        spoken: i.spoken,
    }
}

impl From<CounterScreen> for CounterView {
    fn from(s: CounterScreen) -> Self {
        CounterView {
            handbook_id: s.handbook_id,
            items: s.items.into_iter().map(screen_item).collect(),
            clock: s.live.clock,
            glow_phase: s.live.glow_phase,
            character_frame: s.live.character_frame,
            qr_seconds_left: s.live.qr_seconds_left,
            shape: match s.shape {
                screen::palette::Shape::Circle => Shape::Circle,
                screen::palette::Shape::Diamond => Shape::Diamond,
                screen::palette::Shape::Square => Shape::Square,
            },
            background: s.background,
            text_colour: s.text_colour,
            accent: s.accent,
            kind_pt: s.sizes.kind_pt,
            item_pt: s.sizes.item_pt,
            clock_pt: s.sizes.clock_pt,
            photo_enlarged: s.photo_enlarged,
            update_banner: s.update_banner,
            page_count: u32::try_from(s.page_count).unwrap_or(u32::MAX),
            guardian_band: s.guardian.map(|g| g.text),
            coupon: s.coupon,
            support: s.support.map(|b| SupportBand {
                heading: b.heading,
                tag: b.tag,
                lines: b
                    .lines
                    .into_iter()
                    .map(|l| SupportLine {
                        code: l.code,
                        group: l.group,
                        text: l.text,
                        in_qr: l.in_qr,
                    })
                    .collect(),
                note: b.note,
                background: b.background,
                outline: b.outline,
                spoken: b.spoken,
            }),
            switch_to: s
                .switch_to
                .into_iter()
                .map(|(handbook_id, label)| SwitchTarget { handbook_id, label })
                .collect(),
        }
    }
}

/// A signed presentation ready to show: draw `qr_modules` (row-major, `true` = dark, add a
/// 4-module quiet zone) or hand `text` to a booking site.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Presentation {
    pub handbook_id: HandbookId,
    pub text: String,
    pub binary: Vec<u8>,
    pub qr_version: u8,
    pub qr_width: u32,
    pub qr_modules: Vec<bool>,
}

impl Presentation {
    pub(crate) fn new(handbook_id: &HandbookId, code: &techo_core::token::ShownCode) -> Self {
        Self {
            handbook_id: handbook_id.clone(),
            text: code.payload.text(),
            binary: code.payload.binary(),
            qr_version: code.qr.version,
            qr_width: u32::try_from(code.qr.width).unwrap_or(0),
            qr_modules: code.qr.modules.clone(),
        }
    }
}

/// What a verified presentation shows.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Verdict {
    pub issuer: String,
    pub kind: Option<String>,
    pub fare_class: Option<String>,
    pub caregiver: Option<bool>,
    pub linkage: Option<String>,
    pub status_list_age_seconds: i64,
    /// Support items the holder declared (device-signed, never checked by the issuer): show them
    /// apart, marked self-declared.
    pub self_declared: Vec<String>,
    /// "presented by guardian (parent, …)" when a guardian presents on the holder's behalf.
    pub guardian: Option<String>,
}
