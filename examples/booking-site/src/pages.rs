//! The pages: trips, a session's panel (waiting with its QR code, refused, accepted with the
//! price, signed), rendered on the server; `site.js` only swaps the panel in.

use crate::html::{esc, page, yen};
use crate::trips::{TRIPS, TripOffer, total};
use chrono::{DateTime, Utc};
use qrcode::QrCode;
use qrcode::render::svg;
use std::fmt::Write as _;
use techo_core::Lang;
use techo_core::policy::{Decision, Verdict};
use techo_core::site::{
    Accepted, Flow, OrderLine, RequestKind, SessionState, SessionView, SignedPurchase,
};

pub fn index() -> String {
    let mut body = String::from(
        "<h1>きっぷを選ぶ <span lang=\"en\">Choose a trip</span></h1>\
         <p>障害者手帳をお持ちの方は、Techo で割引を適用できます。 \
         <span lang=\"en\">Holders of a disability handbook can apply the discount with Techo.</span></p>",
    );
    for t in TRIPS {
        let _ = write!(
            body,
            r#"<form class="trip" method="post" action="/discount" id="trip-{id}">
<h2>{from} → {to} <span lang="en">{from_en} → {to_en}</span></h2>
<p>{km} km ・ 通常 {regular}（乗車券 {fare} ＋ 特急券 {express}）</p>
<input type="hidden" name="trip" value="{id}">
<label><input type="checkbox" name="caregiver" value="on"> 介護者と一緒に乗車 <span lang="en">travelling with a caregiver</span></label><br>
<label><input type="checkbox" name="identity" value="on"> 氏名・生年月日をマイナンバーカードから入力 <span lang="en">fill name and birth date from my My Number card</span></label><br>
<button type="submit" name="flow" value="cross_device" id="discount-{id}">障害者割引を適用（スマホで読み取り）<span lang="en">Apply disability discount (scan with Techo)</span></button>
<button type="submit" name="flow" value="same_device" class="secondary" id="discount-same-{id}">このスマホの Techo で適用 <span lang="en">Use Techo on this phone</span></button>
</form>"#,
            id = t.id,
            from = esc(t.from),
            to = esc(t.to),
            from_en = esc(t.from_en),
            to_en = esc(t.to_en),
            km = t.km,
            regular = yen(t.regular()),
            fare = yen(t.fare),
            express = yen(t.express),
        );
    }
    page("きっぷを選ぶ", &body)
}

fn qr_svg(link: &str) -> String {
    QrCode::new(link.as_bytes()).map_or_else(
        |_| String::from("<p>QR code unavailable: use the link below.</p>"),
        |code| {
            let svg = code
                .render::<svg::Color<'_>>()
                .min_dimensions(260, 260)
                .build();
            // Inline in HTML: no XML prolog.
            match svg.find("<svg") {
                Some(start) => svg[start..].to_owned(),
                None => svg,
            }
        },
    )
}

/// What the phone is asked for, and how to answer: QR code (cross-device) or a button that
/// opens the app (same-device). The link text is printed too, for testers and screen readers.
fn waiting(view: &SessionView, link: &str, now: DateTime<Utc>) -> String {
    if now > view.expires_at {
        return "<div class=\"refusal\" id=\"expired\"><p class=\"headline\">有効期限切れ</p>\
                <p>5分以内に提示がありませんでした。最初からやり直してください。 \
                <span lang=\"en\">No answer within 5 minutes: start again.</span></p>\
                <p><a class=\"button\" href=\"/\">きっぷを選ぶ / Choose a trip</a></p></div>"
            .into();
    }
    let what = match view.kind {
        RequestKind::Present => {
            "Techo で障害者手帳を提示してください。 <span lang=\"en\">Present your handbook with Techo.</span>"
        }
        RequestKind::SignOrder => {
            "Techo でマイナンバーカードの署名用電子証明書で注文に署名してください。 <span lang=\"en\">Sign the order with your My Number card's signing certificate in Techo.</span>"
        }
    };
    let how = match view.flow {
        Flow::CrossDevice => format!(
            "<div class=\"qr\" id=\"qr\" role=\"img\" aria-label=\"QR code for Techo\">{}</div>",
            qr_svg(link)
        ),
        Flow::SameDevice => format!(
            "<p><a class=\"button\" id=\"same-device-link\" href=\"{}\">Techo を開く <span lang=\"en\">Open Techo</span></a></p>",
            esc(link)
        ),
    };
    format!(
        "<p>{what}</p>{how}<p class=\"muted\">リンク / link:</p><code class=\"link\" id=\"request-link\">{}</code>\
         <p class=\"muted\" id=\"waiting\">待っています… 有効期限 {} <span lang=\"en\">Waiting… (expires {})</span></p>",
        esc(link),
        view.expires_at.format("%H:%M:%S UTC"),
        view.expires_at.format("%H:%M:%S UTC"),
    )
}

fn verdict_box(v: &Verdict) -> String {
    let class = match v.decision {
        Decision::Accepted => "verdict",
        Decision::NotAccepted => "verdict no",
        Decision::CheckManually => "verdict check",
    };
    let mut out = format!(
        "<div class=\"{class}\" id=\"verdict\" data-decision=\"{:?}\"><p class=\"headline\">{}</p><p lang=\"en\">{}</p><p id=\"grant\">{} / <span lang=\"en\">{}</span></p>",
        v.decision,
        esc(v.decision.headline(Lang::Ja)),
        esc(v.decision.headline(Lang::En)),
        esc(v.grant.line(Lang::Ja)),
        esc(v.grant.line(Lang::En)),
    );
    for r in v.reasons.iter().chain(&v.notes) {
        let _ = write!(
            out,
            "<p class=\"muted\">※ {} <span lang=\"en\">{}</span></p>",
            esc(&r.ja),
            esc(&r.en)
        );
    }
    out.push_str("</div>");
    out
}

fn price_table(lines: &[OrderLine]) -> String {
    let mut rows = String::new();
    for l in lines {
        let _ = write!(
            rows,
            "<tr><td>{} <span lang=\"en\" class=\"muted\">{}</span></td><td class=\"yen\">{}</td></tr>",
            esc(&l.ja),
            esc(&l.en),
            yen(l.yen)
        );
    }
    format!(
        "<table id=\"prices\"><thead><tr><th>内訳 / item</th><th class=\"yen\">金額 / yen</th></tr></thead><tbody>{rows}</tbody></table>\
         <p class=\"total\">合計 <span lang=\"en\">Total</span>: <span id=\"total\" data-yen=\"{}\">{}</span></p>",
        total(lines),
        yen(total(lines))
    )
}

fn accepted(view: &SessionView, a: &Accepted, trip: TripOffer) -> String {
    let with_caregiver = view.trip.with_caregiver == Some(true);
    let lines = trip.lines(a.verdict.grant, with_caregiver);
    let mut out = verdict_box(&a.verdict);
    if let Some(g) = &a.guardian {
        let _ = write!(
            out,
            "<p id=\"guardian\">保護者（{}）による提示 <span lang=\"en\">presented by a guardian ({})</span></p>",
            esc(g.relationship.label(Lang::Ja)),
            esc(g.relationship.label(Lang::En))
        );
    }
    if let Some(i) = &a.identity {
        let _ = write!(
            out,
            "<p id=\"identity\">お名前 <span lang=\"en\">Name</span>: <strong>{}</strong> ・ 生年月日 <span lang=\"en\">born</span>: {}<br>\
             <span class=\"muted\">利用者のスマホがマイナンバーカードから読み取り、署名したもの <span lang=\"en\">read from the holder's My Number card and signed by their phone</span></span></p>",
            esc(&i.name),
            i.birth_date.format("%Y-%m-%d")
        );
    }
    let _ = write!(
        out,
        "<p class=\"muted\">発行元 <span lang=\"en\">issuer</span>: {} ・ {}</p>",
        esc(&a.issuer),
        a.at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    out.push_str(&price_table(&lines));
    let _ = write!(
        out,
        r#"<form method="post" action="/sessions/{id}/order">
<button type="submit" name="flow" value="cross_device" id="sign-order">マイナンバーカードで署名して購入 <span lang="en">Buy, signed with My Number card</span></button>
<button type="submit" name="flow" value="same_device" class="secondary" id="sign-order-same">このスマホで署名 <span lang="en">Sign on this phone</span></button>
<button type="submit" name="flow" value="unsigned" class="secondary" id="buy-unsigned">署名せずに購入 <span lang="en">Buy without signing</span></button>
</form>"#,
        id = esc(&view.id)
    );
    out
}

fn signed(p: &SignedPurchase) -> String {
    format!(
        "<div class=\"done\" id=\"signed\"><p class=\"headline\">ご購入ありがとうございました <span lang=\"en\">Purchase complete</span></p>\
         <p>注文番号 <span lang=\"en\">Order</span>: <strong id=\"order-id\">{}</strong></p>\
         <p>電子署名 <span lang=\"en\">Signed by</span>: <strong id=\"signer\">{}</strong><br>\
         <span class=\"muted\">署名用電子証明書 <span lang=\"en\">signing certificate</span> {} ・ {}</span></p>{}</div>",
        esc(&p.order.order_id),
        esc(p.signer.as_deref().unwrap_or("?")),
        esc(&p.certificate_serial),
        esc(&p.certificate_issuer),
        price_table(&p.order.lines)
    )
}

fn refused(code: &str, ja: &str, en: &str) -> String {
    format!(
        "<div class=\"refusal\" id=\"refusal\" data-code=\"{}\"><p class=\"headline\">✕ 受け付けられません <span lang=\"en\">Not accepted</span></p>\
         <p>{}</p><p lang=\"en\">{}</p></div>",
        esc(code),
        esc(ja),
        esc(en)
    )
}

/// The session's panel and whether it is final (the page stops polling).
pub fn panel(
    view: &SessionView,
    link: &str,
    trip: TripOffer,
    now: DateTime<Utc>,
) -> (String, bool) {
    match &view.state {
        SessionState::Waiting => (waiting(view, link, now), now > view.expires_at),
        SessionState::Refused { code, ja, en } => {
            let again = waiting(view, link, now);
            (
                format!("{}{again}", refused(code, ja, en)),
                now > view.expires_at,
            )
        }
        SessionState::Accepted(a) => (accepted(view, a, trip), true),
        SessionState::Signed(p) => (signed(p), true),
    }
}

pub fn session_page(
    view: &SessionView,
    link: &str,
    trip: TripOffer,
    poll: &str,
    now: DateTime<Utc>,
) -> String {
    let (html, _) = panel(view, link, trip, now);
    let title = match view.kind {
        RequestKind::Present => "障害者割引の確認",
        RequestKind::SignOrder => "注文への電子署名",
    };
    page(
        title,
        &format!(
            "<h1>{title}</h1><p>{} → {}（{} km）{}</p>\
             <div id=\"panel\" aria-live=\"polite\" data-state=\"{}\" data-poll=\"{}\">{html}</div>",
            esc(trip.from),
            esc(trip.to),
            trip.km,
            if view.trip.with_caregiver == Some(true) {
                " ・ 介護者同伴 / with a caregiver"
            } else {
                ""
            },
            view.state.name(),
            esc(poll),
        ),
    )
}

pub fn unsigned_purchase(lines: &[OrderLine]) -> String {
    page(
        "ご購入",
        &format!(
            "<div class=\"done\" id=\"unsigned\"><p class=\"headline\">ご購入ありがとうございました <span lang=\"en\">Purchase complete (not signed)</span></p>{}</div>",
            price_table(lines)
        ),
    )
}

pub fn error_page(status_line: &str, ja: &str, en: &str) -> String {
    page(
        status_line,
        &format!(
            "<div class=\"refusal\" id=\"error\"><p class=\"headline\">{}</p><p>{}</p><p lang=\"en\">{}</p>\
             <p><a class=\"button\" href=\"/\">きっぷを選ぶ / Choose a trip</a></p></div>",
            esc(status_line),
            esc(ja),
            esc(en)
        ),
    )
}
