//! The booking-site part of `techo demo` (seed 000): the reference site on loopback, a browser
//! choosing a trip and asking for the discount, the phone answering with the handbook and the
//! name from the card, the discounted price, a replay refused, and the order signed with the
//! card's signing key. With `--serve`, the site stays up and the demo's phone answers links
//! pasted on standard input, to try it by hand.

use crate::demo::Transcript;
use crate::error::CliError;
use crate::linkage_demo::{Loopback, card_dir, fail, soft_card};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use techo_booking_site::{BookingSite, Lists, Options};
use techo_core::card::{CardSession, LastTry, Pin, SigningPin};
use techo_core::model::HandbookId;
use techo_core::site::{
    IdentityFacts, RequestKind, SiteClient, SiteReply, SiteRequest, SiteResponse, sign_order,
};
use techo_core::{Clock, FixedClock, Wallet};

const SIGNING_CA: &[u8] = include_bytes!("../../fixtures/cards/ca-sign/ca.crt.der");
/// The demo card's PIN and signing password (test data, fixtures/cards/README.md).
const PIN: &str = "1234";
const SIGNING_PASSWORD: &str = "TECHO2026";

/// The site as a browser sees it: pages behind a cookie.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Browser {
    async fn open(site: &BookingSite) -> Result<Self, CliError> {
        let tls = techo_core::portal::client::client_tls(&site.ca_pem).map_err(fail)?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .map_err(fail)?;
        let resp = http
            .get(format!("{}/", site.url))
            .send()
            .await
            .map_err(fail)?;
        let cookie = resp
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .ok_or_else(|| fail("the site set no cookie"))?
            .to_owned();
        Ok(Self {
            http,
            base: site.url.clone(),
            cookie,
        })
    }

    /// Submits a form; returns the session id the site redirects to.
    async fn submit(&self, path: &str, form: &str) -> Result<String, CliError> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form.to_owned())
            .send()
            .await
            .map_err(fail)?;
        resp.headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| l.strip_prefix("/sessions/"))
            .map(str::to_owned)
            .ok_or_else(|| fail(format!("{path}: no session ({})", resp.status())))
    }

    /// What the session page shows, as the page's script reads it.
    async fn session(&self, id: &str) -> Result<Value, CliError> {
        self.http
            .get(format!("{}/api/sessions/{id}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie)
            .send()
            .await
            .map_err(fail)?
            .json()
            .await
            .map_err(fail)
    }
}

/// `¥20,520` from a JSON number.
fn yen(v: &Value) -> String {
    let digits = v.as_i64().unwrap_or(0).to_string();
    let mut out = String::from("¥");
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn link_of(session: &Value) -> Result<String, CliError> {
    session["link"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| fail("the session page has no link"))
}

/// The demo's phone: answers a site link with the handbook, the name from the card and, for an
/// order, the card's signature.
struct Phone<'a> {
    wallet: &'a Wallet,
    handbook: &'a HandbookId,
    client: SiteClient,
    card: std::path::PathBuf,
    state: std::path::PathBuf,
    clock: Arc<FixedClock>,
}

impl Phone<'_> {
    async fn answer(&self, link: &str) -> Result<(SiteRequest, SiteResponse, SiteReply), CliError> {
        let request = self
            .client
            .fetch_request(link, self.clock.now())
            .await
            .map_err(CliError::Site)?;
        let mut card = soft_card(&self.card, &self.state)?;
        let response = match request.kind {
            RequestKind::Present => {
                let identity = if request.identity {
                    let pin = Pin::parse(PIN).map_err(fail)?;
                    let four = CardSession::new(&mut card)
                        .basic_four(&pin, LastTry::Refuse)
                        .map_err(CliError::Card)?;
                    Some(IdentityFacts {
                        name: four.name,
                        birth_date: four.birth_date,
                    })
                } else {
                    None
                };
                self.wallet
                    .answer_site(&request, Some(self.handbook), identity.as_ref())?
            }
            RequestKind::SignOrder => {
                let order = request.order.as_ref().ok_or_else(|| fail("no order"))?;
                let password = SigningPin::parse(SIGNING_PASSWORD).map_err(fail)?;
                SiteResponse {
                    v: techo_core::site::SITE_PROTOCOL_VERSION,
                    session: request.session.clone(),
                    presentation: None,
                    identity: None,
                    order_signature: Some(
                        sign_order(
                            order,
                            &request.site.audience,
                            &mut card,
                            &password,
                            LastTry::Refuse,
                        )
                        .map_err(CliError::Site)?,
                    ),
                }
            }
        };
        let reply = self
            .client
            .post(&request, &response)
            .await
            .map_err(CliError::Site)?;
        Ok((request, response, reply))
    }
}

fn reply_line(reply: &SiteReply, t: &mut Transcript, step: &str) {
    let mark = if reply.accepted { "◯" } else { "✕" };
    t.step(
        step,
        &format!("  {mark} サイトの応答：{}", reply.message_ja),
        &format!("  {mark} the site replied: {}", reply.message_en),
        json!({ "accepted": reply.accepted, "code": reply.code }),
    );
}

pub async fn run(
    wallet: &Wallet,
    id: &HandbookId,
    lb: &Loopback,
    clock: &Arc<FixedClock>,
    dir: &Path,
    t: &mut Transcript,
) -> Result<(), CliError> {
    t.say(
        "\n== 予約サイト（参照実装）：障害者割引でオンライン購入 ==",
        "\n== A booking site (reference implementation): buying online with the discount ==",
    );
    let site = BookingSite::start(Options {
        lists: Lists::Server(lb.client.clone()),
        signing_ca: Some(SIGNING_CA.to_vec()),
        clock: clock.clone(),
        port: 0,
    })
    .await
    .map_err(fail)?;
    let hint_ja = if t.serve {
        ""
    } else {
        "（`techo demo --serve` で手で試せます）"
    };
    let hint_en = if t.serve {
        ""
    } else {
        " (`techo demo --serve` keeps it up to try by hand)"
    };
    t.step(
        "booking_site",
        &format!("  予約サイト {}{hint_ja}", site.url),
        &format!("  booking site {}{hint_en}", site.url),
        json!({ "url": site.url }),
    );
    let browser = Browser::open(&site).await?;
    let phone = Phone {
        wallet,
        handbook: id,
        client: SiteClient::new(&site.ca_pem, std::time::Duration::from_secs(15))
            .map_err(CliError::Site)?,
        card: card_dir(dir)?,
        state: dir.join("card.state"),
        clock: clock.clone(),
    };

    let session = discount(&browser, &phone, t).await?;
    replay(&browser, &phone, &session.1, t).await?;
    signed_purchase(&browser, &phone, &session.0, t).await?;
    if t.serve {
        serve(&phone, &site, t).await?;
    }
    Ok(())
}

/// The browser asks for the discount; the phone answers with the handbook and the name from the
/// card; the browser shows the price. Returns the session and the answer sent.
async fn discount(
    browser: &Browser,
    phone: &Phone<'_>,
    t: &mut Transcript,
) -> Result<(String, SiteResponse), CliError> {
    t.say(
        "  ブラウザ：東京→新大阪、介護者と一緒、氏名はカードから →「障害者割引を適用」",
        "  browser: Tokyo→Shin-Osaka, with a caregiver, name from the card → \"apply disability discount\"",
    );
    let session = browser
        .submit(
            "/discount",
            "trip=tokyo-shin-osaka&caregiver=on&identity=on&flow=cross_device",
        )
        .await?;
    let link = link_of(&browser.session(&session).await?)?;
    t.step(
        "booking_qr",
        &format!("  QRコードの中身：{link}"),
        &format!("  the QR code holds: {link}"),
        json!({ "link": link }),
    );
    let (request, answer, reply) = phone.answer(&link).await?;
    t.say(
        &format!(
            "  スマホ：{}（{}）に 種別・等級区分・介護者・連携 と、カードから読んだ氏名・生年月日を提示",
            request.site.name, request.site.audience
        ),
        &format!(
            "  phone: shows kind, fare class, caregiver, linkage and the name and birth date read from the card to {} ({})",
            request.site.name_en, request.site.audience
        ),
    );
    reply_line(&reply, t, "booking_answer");
    let page = browser.session(&session).await?;
    t.step(
        "booking_price",
        &format!(
            "  ブラウザ：{} {} 様、合計 {}（通常 {}）",
            if page["decision"] == "accepted" {
                "◯ 本人＋介護者1名 割引"
            } else {
                "✕ 割引なし"
            },
            page["identity_name"].as_str().unwrap_or("?"),
            yen(&page["total_yen"]),
            yen(&page["regular_yen"])
        ),
        &format!(
            "  browser: {} for {}, total {} (regular {})",
            if page["decision"] == "accepted" {
                "◯ holder + 1 caregiver at the discount"
            } else {
                "✕ no discount"
            },
            page["identity_name"].as_str().unwrap_or("?"),
            yen(&page["total_yen"]),
            yen(&page["regular_yen"])
        ),
        json!({
            "decision": page["decision"],
            "total_yen": page["total_yen"],
            "regular_yen": page["regular_yen"],
            "caregiver_discount": page["caregiver_discount"],
        }),
    );

    Ok((session, answer))
}

/// Someone who captured that answer sends it again, to a session of their own.
async fn replay(
    browser: &Browser,
    phone: &Phone<'_>,
    answer: &SiteResponse,
    t: &mut Transcript,
) -> Result<(), CliError> {
    let other = browser
        .submit("/discount", "trip=tokyo-takasaki&flow=cross_device")
        .await?;
    let other_request = phone
        .client
        .fetch_request(
            &link_of(&browser.session(&other).await?)?,
            phone.clock.now(),
        )
        .await
        .map_err(CliError::Site)?;
    let bytes = serde_json::to_vec(answer).map_err(fail)?;
    let replayed = phone
        .client
        .post_raw(&other_request.response_uri, &bytes)
        .await
        .map_err(CliError::Site)?;
    t.say(
        "  同じ回答を別のセッションへ再送：",
        "  the same answer sent again to another session:",
    );
    reply_line(&replayed, t, "booking_replayed");

    Ok(())
}

/// Buying, with the order signed by the card's signing key.
async fn signed_purchase(
    browser: &Browser,
    phone: &Phone<'_>,
    session: &str,
    t: &mut Transcript,
) -> Result<(), CliError> {
    let order = browser
        .submit(&format!("/sessions/{session}/order"), "flow=cross_device")
        .await?;
    let order_link = link_of(&browser.session(&order).await?)?;
    let (request, _, reply) = phone.answer(&order_link).await?;
    if let Some(body) = request.order.as_ref().and_then(|o| o.body().ok()) {
        t.say(
            &format!(
                "  スマホ：注文 {} 合計 ¥{} に署名用電子証明書で署名",
                body.order_id, body.total_yen
            ),
            &format!(
                "  phone: signs order {} (total ¥{}) with the card's signing certificate",
                body.order_id, body.total_yen
            ),
        );
    }
    reply_line(&reply, t, "booking_signed");
    let done = browser.session(&order).await?;
    t.step(
        "booking_purchase",
        &format!(
            "  ブラウザ：購入完了 注文 {} ・ 署名者 {}（JPKI 署名用CAで検証）",
            done["order_id"].as_str().unwrap_or("?"),
            done["signer"].as_str().unwrap_or("?")
        ),
        &format!(
            "  browser: purchase complete, order {}, signed by {} (checked against the JPKI signing CA)",
            done["order_id"].as_str().unwrap_or("?"),
            done["signer"].as_str().unwrap_or("?")
        ),
        json!({ "order_id": done["order_id"], "signer": done["signer"] }),
    );
    Ok(())
}

/// `--serve`: the site stays up; links pasted here are answered by the demo's phone.
async fn serve(phone: &Phone<'_>, site: &BookingSite, t: &Transcript) -> Result<(), CliError> {
    t.say(
        &format!(
            "\n予約サイト {} を開いたままにします（証明書はデモ用の自己署名です）。\
             サイトに表示されたリンク（techo://site?…）をここに貼り付けると、このデモのスマホが答えます。\
             Ctrl-D で終了（続いて手帳の返還・失効を実行します）。",
            site.url
        ),
        &format!(
            "\nThe booking site stays up at {} (its certificate is the demo's own, self-signed). \
             Paste the link the site shows (techo://site?…) here and the demo's phone answers it. \
             Ctrl-D ends (the demo then returns and revokes the handbook).",
            site.url
        ),
    );
    loop {
        let line = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|n| (n, line))
        })
        .await
        .map_err(fail)?
        .map_err(fail)?;
        match line {
            (0, _) => return Ok(()),
            (_, link) if link.trim().is_empty() => {}
            (_, link) => match phone.answer(link.trim()).await {
                Ok((_, _, reply)) => out!(
                    "{} {}",
                    if reply.accepted { "◯" } else { "✕" },
                    t.lang.pick(&reply.message_ja, &reply.message_en)
                ),
                Err(e) => out!("✕ {e}"),
            },
        }
    }
}
