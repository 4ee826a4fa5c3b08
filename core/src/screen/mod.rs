//! The counter screen as data: what staff read, in the order they check it, with its a11y text,
//! colours and live elements. The shells only draw this; `techo` renders it on a desktop.

pub mod live;
pub mod palette;
pub mod support;

use crate::Lang;
use crate::model::{Handbook, HandbookKind, LinkageState};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The display-token format this build produces; the trust list may require a newer one.
pub const TOKEN_VERSION: u32 = 1;

/// Items, in the order staff check them (staff manual, seed 001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKey {
    Kind,
    FareClass,
    Linkage,
    Grade,
    Municipality,
    Validity,
    Photo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Emphasis {
    Normal,
    /// Expiring soon, pending.
    Caution,
    /// Expired, not linked.
    Alert,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub key: ItemKey,
    pub label: String,
    pub value: String,
    pub emphasis: Emphasis,
    /// One sentence for TalkBack / VoiceOver.
    pub spoken: String,
}

/// How the holder set the screen up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub lang: Lang,
    pub reduced_motion: bool,
    /// The platform text size, 1.0 = default; sizes scale with it (up to 2.0).
    pub text_scale: f64,
    pub photo_enlarged: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            lang: Lang::Ja,
            reduced_motion: false,
            text_scale: 1.0,
            photo_enlarged: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sizes {
    pub kind_pt: f64,
    pub item_pt: f64,
    pub clock_pt: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CounterScreen {
    pub handbook_id: crate::model::HandbookId,
    pub items: Vec<Item>,
    pub live: live::Live,
    pub shape: palette::Shape,
    pub background: String,
    pub text_colour: String,
    pub accent: String,
    pub sizes: Sizes,
    pub photo_enlarged: bool,
    /// "Update the app": the trust list requires a newer token format.
    pub update_banner: Option<String>,
    /// Other handbooks to switch to, in wallet order: (id, short kind label).
    pub switch_to: Vec<(crate::model::HandbookId, String)>,
    /// Photographed handbook pages the holder can enlarge with one tap.
    pub page_count: usize,
    /// The holder's self-declared support items, drawn apart (see [`support::band`]).
    pub support: Option<support::SupportBand>,
    /// "保護者が提示（親：…）": a band of its own, in words, at the top of the screen.
    pub guardian: Option<GuardianBand>,
    /// The operator's coupon carried in the code, as the holder chose it: "クーポン：…（事業者）".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
}

/// The guardian band: text (not just a colour) that the holder may not be the one at the counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardianBand {
    pub text: String,
    pub spoken: String,
    pub background: String,
    pub text_colour: String,
}

/// Builds the screen for `hb` at `now`. `others` are the wallet's other handbooks.
pub fn build(
    hb: &Handbook,
    others: &[Handbook],
    min_token_version: u32,
    now: DateTime<Utc>,
    o: Options,
) -> CounterScreen {
    let lang = o.lang;
    let today = now.with_timezone(&crate::clock::jst()).date_naive();
    let style = palette::style(hb.kind());
    let items = items(hb, today, lang);
    let scale = o.text_scale.clamp(1.0, 2.0);
    CounterScreen {
        handbook_id: hb.id.clone(),
        items,
        live: live::live(now, hb.linkage.is_linked(), o.reduced_motion, lang),
        shape: style.shape,
        background: style.background.hex(),
        text_colour: style.text.hex(),
        accent: style.accent.hex(),
        sizes: Sizes {
            kind_pt: 34.0 * scale,
            item_pt: 22.0 * scale,
            clock_pt: 20.0 * scale,
        },
        photo_enlarged: o.photo_enlarged && hb.photo.is_some(),
        update_banner: (min_token_version > TOKEN_VERSION).then(|| {
            lang.pick(
                "アプリが古いため正しく表示されない可能性があります。最新版に更新してください",
                "This app is out of date and may not display correctly: update it",
            )
            .to_owned()
        }),
        switch_to: others
            .iter()
            .filter(|h| h.id != hb.id)
            .map(|h| (h.id.clone(), h.kind().short_label(lang).to_owned()))
            .collect(),
        page_count: hb.pages.len(),
        support: None,
        guardian: hb.presenter.band_text(lang).map(|text| GuardianBand {
            spoken: lang
                .pick(
                    "この手帳は保護者が代わりに提示しています。",
                    "This handbook is being shown by a guardian on the holder's behalf. ",
                )
                .to_owned()
                + &text,
            text,
            background: "#4A148C".into(),
            text_colour: "#FFFFFF".into(),
        }),
        coupon: None,
    }
}

/// How the linkage line is called out for staff: self-declared and pending screens say so.
/// (The holder's own warnings, such as a consent about to end, are on the list, not here.)
fn linkage_note(state: &LinkageState, lang: Lang) -> (Emphasis, &'static str) {
    match state {
        LinkageState::Linked { .. } => (Emphasis::Normal, ""),
        LinkageState::Pending { .. } => (
            Emphasis::Caution,
            lang.pick("（マイナポータル確認待ち）", " (awaiting the portal)"),
        ),
        LinkageState::Unlinked | LinkageState::Linking { .. } => (
            Emphasis::Alert,
            lang.pick("（本人申告）", " (self-declared)"),
        ),
        LinkageState::RelinkNeeded { .. } => (
            Emphasis::Alert,
            lang.pick(
                "（本人申告・同意期間終了）",
                " (self-declared: consent ended)",
            ),
        ),
    }
}

/// The validity line and how loudly to say it.
fn validity(hb: &Handbook, today: chrono::NaiveDate, lang: Lang) -> (String, Emphasis) {
    match hb.dates.expires {
        Some(e) if !hb.is_valid_on(today) => (
            lang.pick("期限切れ", "EXPIRED").to_owned() + &format!(" {e}"),
            Emphasis::Alert,
        ),
        Some(e) if hb.expires_soon(today) => (
            format!("{} {e}", lang.pick("まもなく期限", "expires soon:")),
            Emphasis::Caution,
        ),
        Some(e) => (
            format!("{} {e}", lang.pick("有効期限", "valid until")),
            Emphasis::Normal,
        ),
        None if !hb.is_valid_on(today) => (
            lang.pick("無効（返還済）", "no longer valid (returned)")
                .to_owned(),
            Emphasis::Alert,
        ),
        None => (
            lang.pick("有効（期限なし）", "valid (no expiry)")
                .to_owned(),
            Emphasis::Normal,
        ),
    }
}

/// The seven items in staff check order.
fn items(hb: &Handbook, today: chrono::NaiveDate, lang: Lang) -> Vec<Item> {
    let mut items = Vec::with_capacity(7);
    let mut push = |key, label: &str, value: String, emphasis, spoken: String| {
        items.push(Item {
            key,
            label: label.to_owned(),
            value,
            emphasis,
            spoken,
        });
    };

    let kind = hb.kind().label(lang).to_owned();
    push(
        ItemKey::Kind,
        lang.pick("手帳の種別", "Handbook"),
        kind.clone(),
        Emphasis::Normal,
        kind.clone(),
    );

    let fare = format!(
        "{}・{}",
        hb.fare_class.label(lang),
        hb.fare_class.caregiver_label(lang)
    );
    let spoken_fare = match lang {
        Lang::Ja => format!(
            "旅客運賃減額 {}、{}",
            hb.fare_class.label(lang),
            hb.fare_class.caregiver_label(lang)
        ),
        Lang::En => format!(
            "Fare discount {}, {}",
            hb.fare_class.label(lang),
            hb.fare_class.caregiver_label(lang)
        ),
    };
    push(
        ItemKey::FareClass,
        lang.pick("運賃減額", "Fare discount"),
        fare,
        Emphasis::Normal,
        spoken_fare,
    );

    let (linkage_emphasis, linkage_note) = linkage_note(&hb.linkage, lang);
    let linkage = format!("{}{linkage_note}", hb.linkage.label(lang));
    let spoken = format!(
        "{}{}",
        lang.pick("マイナポータル連携 ", "Portal linkage: "),
        linkage
    );
    push(
        ItemKey::Linkage,
        lang.pick("連携", "Linkage"),
        linkage,
        linkage_emphasis,
        spoken,
    );

    let grade = hb.category.grade_label(lang);
    push(
        ItemKey::Grade,
        lang.pick("等級・判定", "Grade"),
        grade.clone(),
        Emphasis::Normal,
        grade,
    );

    let muni = format!("{}（{}）", hb.municipality.name, hb.municipality.code);
    push(
        ItemKey::Municipality,
        lang.pick("交付", "Issued by"),
        muni.clone(),
        Emphasis::Normal,
        hb.municipality.name.clone(),
    );

    let (validity, emphasis) = validity(hb, today, lang);
    push(
        ItemKey::Validity,
        lang.pick("有効期間", "Validity"),
        validity.clone(),
        emphasis,
        validity,
    );

    let photo = hb.photo.as_ref().map_or_else(
        || lang.pick("写真なし", "no photo").to_owned(),
        |_| {
            // The portal holds no photo: staff are told whose it is.
            lang.pick(
                "本人が登録した写真（タップで拡大）",
                "photo added by the holder (tap to enlarge)",
            )
            .to_owned()
        },
    );
    push(
        ItemKey::Photo,
        lang.pick("写真", "Photo"),
        photo.clone(),
        Emphasis::Normal,
        photo,
    );

    items
}

/// Short kind label with its shape, for lists where colour is not available.
pub fn kind_badge(kind: HandbookKind) -> &'static str {
    match palette::style(kind).shape {
        palette::Shape::Circle => "●",
        palette::Shape::Diamond => "◆",
        palette::Shape::Square => "■",
    }
}
