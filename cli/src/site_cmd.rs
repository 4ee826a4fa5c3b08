//! `techo site answer LINK`: the phone's side of a booking site, on a desktop. Follows the link
//! (QR code or same-device button), checks the request, shows what the site asks for, answers
//! (a presentation bound to the site's challenge; with `--identity`, name and birth date read
//! from the card; for an order, the card's signature) and prints the site's reply.

use crate::card_cmd::{CardArgs, read_pin, read_secret};
use crate::error::CliError;
use crate::link_cmd::runtime;
use crate::print_json;
use std::path::Path;
use techo_core::card::{CardSession, LastTry, SigningPin};
use techo_core::site::{
    IdentityFacts, RequestKind, SiteClient, SiteReply, SiteRequest, SiteResponse, sign_order,
};
use techo_core::{Clock, Lang, SystemClock, Wallet};

pub struct AnswerArgs<'a> {
    pub link: &'a str,
    /// `{ "url", "ca_pem" }` as `techo-booking-site --info` writes it.
    pub site_info: &'a Path,
    pub handbook: Option<&'a str>,
    /// The card for the name and birth date (with `identity`) or for signing an order.
    pub card: Option<CardArgs<'a>>,
    pub identity: bool,
    pub signing_password_stdin: bool,
    pub save_response: Option<&'a Path>,
}

fn site_ca(path: &Path) -> Result<String, CliError> {
    let text = crate::input::read_text(path, crate::input::SMALL_FILE)?;
    if text.contains("-----BEGIN CERTIFICATE-----") && !text.trim_start().starts_with('{') {
        return Ok(text);
    }
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::BadArgument(format!("{}: {e}", path.display())))?;
    v.get("ca_pem")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| CliError::BadArgument(format!("{}: no ca_pem", path.display())))
}

/// The signing password from standard input or `TECHO_SIGNING_PASSWORD`, never an argument.
fn signing_password(from_stdin: bool) -> Result<SigningPin, CliError> {
    let text = read_secret(from_stdin, "TECHO_SIGNING_PASSWORD")?.ok_or_else(|| {
        CliError::BadArgument(
            "the order needs the signing password: --signing-password-stdin or TECHO_SIGNING_PASSWORD".into(),
        )
    })?;
    SigningPin::parse(text.trim()).map_err(|e| CliError::Card(e.into()))
}

fn last_try(confirmed: bool) -> LastTry {
    if confirmed {
        LastTry::Confirmed
    } else {
        LastTry::Refuse
    }
}

/// What the consent screen shows: who asks, for what.
fn describe(request: &SiteRequest, identity_sent: bool, lang: Lang) {
    out!(
        "{} {} ({})",
        lang.pick("提示先:", "Site:"),
        lang.pick(&request.site.name, &request.site.name_en),
        request.site.audience
    );
    match request.kind {
        RequestKind::Present => {
            out!(
                "{} {}",
                lang.pick("提示する項目:", "Shown:"),
                request.disclose.join(", ")
            );
            if request.identity {
                out!(
                    "{}",
                    if identity_sent {
                        lang.pick(
                            "氏名・生年月日：カードから読み取り、同意のうえ送信します",
                            "Name and birth date: read from the card and sent with your consent",
                        )
                    } else {
                        lang.pick(
                            "氏名・生年月日も求められましたが、送信しません（--identity で同意）",
                            "The site also asked for your name and birth date: not sent (--identity to consent)",
                        )
                    }
                );
            }
        }
        RequestKind::SignOrder => {
            if let Some(body) = request.order.as_ref().and_then(|o| o.body().ok()) {
                out!("{} {}", lang.pick("注文:", "Order:"), body.order_id);
                for l in &body.lines {
                    out!("  {:<40} ¥{}", lang.pick(&l.ja, &l.en), l.yen);
                }
                out!("  {} ¥{}", lang.pick("合計", "Total"), body.total_yen);
            }
        }
    }
}

fn read_identity(card: &CardArgs<'_>, data_dir: &Path) -> Result<IdentityFacts, CliError> {
    let pin = read_pin(card.pin_stdin)?.ok_or_else(|| {
        CliError::BadArgument(
            "--identity reads the card: give the PIN with --pin-stdin or TECHO_CARD_PIN".into(),
        )
    })?;
    let mut reader = crate::card_cmd::open(card, data_dir)?;
    let four = CardSession::new(reader.as_mut())
        .basic_four(&pin, last_try(card.last_try))
        .map_err(CliError::Card)?;
    Ok(IdentityFacts {
        name: four.name,
        birth_date: four.birth_date,
    })
}

pub fn answer(
    wallet: &Wallet,
    data_dir: &Path,
    args: &AnswerArgs<'_>,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let client = SiteClient::new(
        &site_ca(args.site_info)?,
        std::time::Duration::from_secs(30),
    )
    .map_err(CliError::Site)?;
    let rt = runtime()?;
    let request = rt
        .block_on(client.fetch_request(args.link, SystemClock.now()))
        .map_err(CliError::Site)?;
    let response = match request.kind {
        RequestKind::Present => {
            let identity = match (&args.card, args.identity && request.identity) {
                (Some(card), true) => Some(read_identity(card, data_dir)?),
                (None, true) => {
                    return Err(CliError::BadArgument(
                        "--identity needs the My Number card: --card DIR or --reader NAME|auto"
                            .into(),
                    ));
                }
                _ => None,
            };
            if !json {
                describe(&request, identity.is_some(), lang);
            }
            let id = crate::resolve::optional(wallet, args.handbook)?;
            wallet.answer_site(&request, id.as_ref(), identity.as_ref())?
        }
        RequestKind::SignOrder => {
            let card = args.card.as_ref().ok_or_else(|| {
                CliError::BadArgument(
                    "signing an order needs the My Number card: --card DIR or --reader NAME|auto"
                        .into(),
                )
            })?;
            if !json {
                describe(&request, false, lang);
            }
            let order = request
                .order
                .as_ref()
                .ok_or_else(|| CliError::BadArgument("the request has no order".into()))?;
            let password = signing_password(args.signing_password_stdin)?;
            let mut reader = crate::card_cmd::open(card, data_dir)?;
            let signature = sign_order(
                order,
                &request.site.audience,
                reader.as_mut(),
                &password,
                last_try(card.last_try),
            )
            .map_err(CliError::Site)?;
            SiteResponse {
                v: techo_core::site::SITE_PROTOCOL_VERSION,
                session: request.session.clone(),
                presentation: None,
                identity: None,
                order_signature: Some(signature),
            }
        }
    };
    if let Some(path) = args.save_response {
        let bytes = serde_json::to_vec_pretty(&response).unwrap_or_default();
        std::fs::write(path, bytes).map_err(|e| CliError::WriteFile {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
    }
    let reply = rt
        .block_on(client.post(&request, &response))
        .map_err(CliError::Site)?;
    // The site received the answer whatever it decided: the consent ledger says so.
    let answered = crate::resolve::optional(wallet, args.handbook)?;
    if let Some(hb) = answered.or(wallet.counter_handbook()?.map(|h| h.id)) {
        // What was sent stays sent: a ledger that cannot be written is said, not an error.
        if let Err(e) =
            wallet.note_site_answer(&hb, &request, response.identity.is_some(), reply.accepted)
        {
            eprintln!(
                "{} {e}",
                lang.pick(
                    "同意の記録に書けませんでした:",
                    "the consent ledger was not written:"
                )
            );
        }
    }
    show_reply(&reply, json, lang);
    if reply.accepted {
        Ok(())
    } else {
        Err(CliError::SiteRefused(reply.code))
    }
}

fn show_reply(reply: &SiteReply, json: bool, lang: Lang) {
    if json {
        print_json(reply);
        return;
    }
    let mark = if reply.accepted { "◯" } else { "✕" };
    out!("{mark} {}", lang.pick(&reply.message_ja, &reply.message_en));
    if let Some(uri) = &reply.redirect_uri {
        out!("{} {uri}", lang.pick("サイトに戻る:", "Back to the site:"));
    }
}
