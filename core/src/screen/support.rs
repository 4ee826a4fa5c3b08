//! The counter screen's support band: what the holder asked staff to know. Self-declared, so it
//! is drawn apart from the issuer-verified items: its own heading, a dashed outline, a neutral
//! colour and the words "本人申告 / self-declared" in the heading and in what a screen reader says.

use crate::Lang;
use crate::model::SupportProfile;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupportLine {
    pub code: String,
    /// 使用している用具 / お願いしたい手伝い / …
    pub group: String,
    /// The item with its details ("電動車椅子（リチウムイオン 300Wh、…）").
    pub text: String,
    /// Also carried in the QR code (device-signed, self-declared).
    pub in_qr: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupportBand {
    /// "ご本人からのお願い（本人申告）".
    pub heading: String,
    /// The short tag drawn on the band: "本人申告" / "Self-declared".
    pub tag: String,
    pub lines: Vec<SupportLine>,
    pub note: Option<String>,
    /// Neutral colours, never the kind's: the band must not look issuer-verified.
    pub background: String,
    pub outline: String,
    /// One paragraph for TalkBack / VoiceOver.
    pub spoken: String,
}

/// The band for the items the holder chose to show (`None` when there are none).
pub fn band(profile: &SupportProfile, lang: Lang) -> Option<SupportBand> {
    let shown = profile.on_screen();
    if shown.is_empty() && profile.note.is_none() {
        return None;
    }
    let lines: Vec<SupportLine> = shown
        .iter()
        .map(|i| SupportLine {
            code: i.code.code().to_owned(),
            group: i.code.group().label(lang).to_owned(),
            text: i.describe(lang),
            in_qr: i.in_qr,
        })
        .collect();
    let tag = lang.pick("本人申告", "Self-declared").to_owned();
    let heading = lang
        .pick(
            "ご本人からのお願い（本人申告）",
            "Help the holder asks for (self-declared)",
        )
        .to_owned();
    let mut spoken = format!(
        "{}: {}",
        heading,
        lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join(lang.pick("、", ", "))
    );
    if let Some(note) = &profile.note {
        spoken.push_str(lang.pick("。メモ：", ". Note: "));
        spoken.push_str(note);
    }
    Some(SupportBand {
        heading,
        tag,
        lines,
        note: profile.note.clone(),
        background: "#f4f4f4".into(),
        outline: "#5f6368".into(),
        spoken,
    })
}
