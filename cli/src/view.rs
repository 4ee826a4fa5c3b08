//! How handbooks are shown: JSON views for `--json`, tables and detail pages for people.

use crate::width::{pad, table};
use chrono::NaiveDate;
use serde::Serialize;
use std::fmt::Write;
use techo_core::Lang;
use techo_core::model::{Handbook, HandbookKind, LinkageState};

/// A handbook plus the facts derived for today, as `--json` prints it.
#[derive(Debug, Serialize)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "a flat JSON view of derived yes/no facts"
)]
pub struct HandbookView<'a> {
    #[serde(flatten)]
    pub handbook: &'a Handbook,
    pub valid_today: bool,
    pub expires_soon: bool,
    pub caregiver_discount: bool,
    pub on_counter: bool,
    pub labels: Labels,
}

#[derive(Debug, Serialize)]
pub struct Labels {
    pub kind: &'static str,
    pub grade: String,
    pub fare_class: &'static str,
    pub caregiver: &'static str,
    pub linkage: &'static str,
    pub validity: String,
}

impl<'a> HandbookView<'a> {
    pub fn new(
        handbook: &'a Handbook,
        today: NaiveDate,
        counter: Option<&Handbook>,
        lang: Lang,
    ) -> Self {
        Self {
            handbook,
            valid_today: handbook.is_valid_on(today),
            expires_soon: handbook.expires_soon(today),
            caregiver_discount: handbook.caregiver_discount(),
            on_counter: counter.is_some_and(|c| c.id == handbook.id),
            labels: Labels {
                kind: handbook.kind().label(lang),
                grade: handbook.category.grade_label(lang),
                fare_class: handbook.fare_class.label(lang),
                caregiver: handbook.fare_class.caregiver_label(lang),
                linkage: handbook.linkage.label(lang),
                validity: validity(handbook, today, lang),
            },
        }
    }
}

/// "有効（2027-06-30まで）", "期限切れ（2024-03-31）", "まもなく期限（…）", "返還済", "期限なし".
pub fn validity(hb: &Handbook, today: NaiveDate, lang: Lang) -> String {
    let d = &hb.dates;
    if let Some(r) = d.returned.filter(|r| *r <= today) {
        return match lang {
            Lang::Ja => format!("返還済（{r}）"),
            Lang::En => format!("returned ({r})"),
        };
    }
    match (d.expires, lang) {
        (Some(e), Lang::Ja) if e < today => format!("期限切れ（{e}）"),
        (Some(e), Lang::En) if e < today => format!("EXPIRED ({e})"),
        (Some(e), Lang::Ja) if hb.expires_soon(today) => format!("まもなく期限（{e}まで）"),
        (Some(e), Lang::En) if hb.expires_soon(today) => format!("renew soon (until {e})"),
        (Some(e), Lang::Ja) => format!("有効（{e}まで）"),
        (Some(e), Lang::En) => format!("valid until {e}"),
        (None, Lang::Ja) => "有効（期限なし）".into(),
        (None, Lang::En) => "valid (no expiry)".into(),
    }
}

pub fn list_table(
    handbooks: &[Handbook],
    counter: Option<&Handbook>,
    today: NaiveDate,
    lang: Lang,
) -> String {
    let header: Vec<&str> = match lang {
        Lang::Ja => vec![
            "",
            "ID",
            "種別",
            "等級",
            "運賃減額",
            "介護者",
            "連携",
            "有効期間",
            "交付自治体",
            "氏名",
        ],
        Lang::En => vec![
            "",
            "ID",
            "Kind",
            "Grade",
            "Fare",
            "Caregiver",
            "Linkage",
            "Validity",
            "Issued by",
            "Holder",
        ],
    };
    let rows: Vec<Vec<String>> = handbooks
        .iter()
        .map(|h| {
            vec![
                if counter.is_some_and(|c| c.id == h.id) {
                    "▶".into()
                } else {
                    String::new()
                },
                h.id.as_str().chars().take(8).collect(),
                h.kind().short_label(lang).into(),
                h.category.grade_label(lang),
                h.fare_class.label(lang).into(),
                caregiver_short(h, lang).into(),
                h.linkage.label(lang).into(),
                validity(h, today, lang),
                h.municipality.name.clone(),
                h.holder.name.clone(),
            ]
        })
        .collect();
    let mut out = table(&header, &rows);
    let n = handbooks.len();
    let _ = match lang {
        Lang::Ja => write!(out, "\n{n} 件（▶ はカウンターに表示する手帳）"),
        Lang::En => write!(out, "\n{n} handbook(s) (▶ is the one shown at the counter)"),
    };
    out
}

fn caregiver_short(h: &Handbook, lang: Lang) -> &'static str {
    if h.caregiver_discount() {
        lang.pick("1名可", "+1")
    } else {
        lang.pick("—", "—")
    }
}

pub fn detail(v: &HandbookView<'_>, lang: Lang) -> String {
    let h = v.handbook;
    let l = |ja: &'static str, en: &'static str| lang.pick(ja, en);
    let mut rows: Vec<(&str, String)> = vec![
        (l("ID", "ID"), h.id.to_string()),
        (l("種別", "Kind"), v.labels.kind.into()),
        (l("等級", "Grade"), v.labels.grade.clone()),
        (
            l("運賃減額", "Fare discount"),
            format!("{}（{}）", v.labels.fare_class, v.labels.caregiver),
        ),
        (
            l("連携", "Portal linkage"),
            linkage_detail(&h.linkage, lang),
        ),
        (l("手帳番号", "Number"), h.number.clone()),
        (
            l("交付自治体", "Issued by"),
            format!("{}（{}）", h.municipality.name, h.municipality.code),
        ),
        (l("交付日", "Issued"), h.dates.issued.to_string()),
    ];
    let optional = [
        (l("更新日", "Renewed"), h.dates.renewed),
        (l("再交付日", "Reissued"), h.dates.reissued),
        (l("返還日", "Returned"), h.dates.returned),
    ];
    rows.extend(
        optional
            .into_iter()
            .filter_map(|(k, d)| d.map(|d| (k, d.to_string()))),
    );
    rows.push((l("有効期間", "Validity"), v.labels.validity.clone()));
    rows.push((
        l("氏名", "Holder"),
        format!("{}（{}）", h.holder.name, h.holder.kana),
    ));
    rows.push((l("生年月日", "Born"), h.holder.birth_date.to_string()));
    rows.push((
        l("写真", "Photo"),
        h.photo.as_ref().map_or_else(
            || l("なし", "none").to_owned(),
            |p| {
                format!(
                    "{} {}×{} ({} B)",
                    p.format.mime(),
                    p.width,
                    p.height,
                    p.size
                )
            },
        ),
    ));
    if let Some(text) = h.presenter.band_text(lang) {
        rows.push((l("提示", "Presented by"), text));
    }
    if !h.pages.is_empty() {
        rows.push((
            l("手帳画像", "Page images"),
            format!(
                "{} {}",
                h.pages.len(),
                l("枚（タップで拡大）", "(tap to enlarge)")
            ),
        ));
    }
    if v.on_counter {
        rows.push((
            l("表示", "Counter"),
            l("カウンターに表示中", "shown at the counter").into(),
        ));
    }
    if h.kind() == HandbookKind::Mental && !v.valid_today {
        rows.push((
            l("注意", "Note"),
            l(
                "有効期限切れ：更新するまで割引は受けられません",
                "expired: no discount until renewed",
            )
            .into(),
        ));
    }
    let width = rows
        .iter()
        .map(|(k, _)| crate::width::display_width(k))
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|(k, val)| {
            let val = techo_core::model::text::shown(val);
            format!("{}  {val}", pad(k, width))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn linkage_detail(state: &LinkageState, lang: Lang) -> String {
    match state {
        LinkageState::Unlinked => state.label(lang).into(),
        LinkageState::Linking { .. } => format!(
            "{}（{}）",
            state.label(lang),
            lang.pick("連携手続き中", "linking")
        ),
        LinkageState::Pending {
            reason, next_try, ..
        } => {
            let next = next_try
                .map(|t| {
                    t.with_timezone(&techo_core::clock::jst())
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            match lang {
                Lang::Ja => format!("{}（{reason}、次回 {next}）", state.label(lang)),
                Lang::En => format!("{} ({reason}, next try {next} JST)", state.label(lang)),
            }
        }
        LinkageState::Linked {
            since, valid_until, ..
        } => {
            let until = valid_until.map(|d| d.to_string()).unwrap_or_default();
            match lang {
                Lang::Ja => format!(
                    "{}（{} から、証明書は {until} まで）",
                    state.label(lang),
                    since.with_timezone(&techo_core::clock::jst()).date_naive()
                ),
                Lang::En => format!(
                    "{} (since {}, credentials until {until})",
                    state.label(lang),
                    since.with_timezone(&techo_core::clock::jst()).date_naive()
                ),
            }
        }
        LinkageState::RelinkNeeded { .. } => {
            let why = state.relink_notice(lang).unwrap_or_default();
            match lang {
                Lang::Ja => format!("{}（{why}）", state.label(lang)),
                Lang::En => format!("{} ({why})", state.label(lang)),
            }
        }
    }
}
