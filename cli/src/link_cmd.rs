//! `techo link | status | unlink`: linkage against a running techo-server (see `techo-server`).

use crate::card_cmd::CardArgs;
use crate::error::CliError;
use crate::print_json;
use std::path::Path;
use techo_core::card::LastTry;
use techo_core::linkage::LinkError;
use techo_core::model::{HandbookId, LinkageState};
use techo_core::portal::TechoClient;
use techo_core::wallet::{LinkOptions, LinkageNotice};
use techo_core::{Lang, Wallet};
use techo_server::endpoints::Endpoints;

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::BadArgument(format!("cannot start the async runtime: {e}")))
}

pub(crate) fn client(endpoints: &Path) -> Result<TechoClient, CliError> {
    let e = Endpoints::read(endpoints).map_err(CliError::BadArgument)?;
    TechoClient::new(&e.server, &e.ca_pem, std::time::Duration::from_secs(60))
        .and_then(|c| c.pin_portal(&e.portal))
        .map_err(|e| CliError::BadArgument(e.to_string()))
}

impl From<LinkError> for CliError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Wallet(w) => CliError::Wallet(w),
            LinkError::Card(c) => CliError::Card(c),
            other => CliError::Linkage(other.to_string()),
        }
    }
}

fn show(id: &str, state: &LinkageState, json: bool, lang: Lang) {
    if json {
        print_json(&serde_json::json!({ "handbook": id, "linkage": state }));
    } else {
        out!("{id}: {}", crate::view::linkage_detail(state, lang));
    }
}

pub struct LinkArgs<'a> {
    pub card: CardArgs<'a>,
    pub endpoints: &'a Path,
    pub batch: usize,
    pub on_behalf_of: Option<&'a str>,
    /// Wait this long for the answer to a 申請中 linkage.
    pub wait: Option<std::time::Duration>,
}

pub(crate) fn minutes(m: u32) -> std::time::Duration {
    std::time::Duration::from_secs(u64::from(m) * 60)
}

/// Waits (in server long-polls of up to 50 s) until `id` is no longer 申請中 or `limit`
/// passes, printing what the phone would notify. Returns the state at the end.
fn wait_for(
    rt: &tokio::runtime::Runtime,
    wallet: &Wallet,
    client: &TechoClient,
    id: &HandbookId,
    limit: std::time::Duration,
    json: bool,
    lang: Lang,
) -> Result<LinkageState, CliError> {
    let until = std::time::Instant::now() + limit;
    if !json && matches!(wallet.get(id)?.linkage, LinkageState::Pending { .. }) {
        out!(
            "{}",
            lang.pick(
                "マイナポータルの回答を待っています（Ctrl-C で中止、あとで techo status）…",
                "Waiting for the portal's answer (Ctrl-C stops; `techo status` later)…"
            )
        );
    }
    loop {
        let state = wallet.get(id)?.linkage;
        let left = until.saturating_duration_since(std::time::Instant::now());
        if !matches!(state, LinkageState::Pending { .. }) || left.is_zero() {
            return Ok(state);
        }
        let chunk = left.min(std::time::Duration::from_secs(50));
        match rt.block_on(wallet.wait_for_linkage(client, id, chunk)) {
            Ok(Some(notice)) => print_notice(&notice, json, lang),
            Ok(None) => {}
            // The server or the network is down for a moment: wait a little and ask again.
            Err(LinkError::Client(_)) => std::thread::sleep(chunk.min(RETRY_PAUSE)),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Between two attempts to reach a server that did not answer.
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_secs(10);

/// A notice as the phone would post it: title and text.
fn print_notice(n: &LinkageNotice, json: bool, lang: Lang) {
    if json {
        print_json(&serde_json::json!({
            "handbook": n.handbook.as_str(),
            "notice": n.title(lang),
            "text": n.body(lang),
        }));
    } else {
        out!("🔔 {}: {}", n.title(lang), n.body(lang));
    }
}

pub fn link(
    wallet: &Wallet,
    data_dir: &Path,
    id: &str,
    args: &LinkArgs<'_>,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let card = &args.card;
    let pin = crate::card_cmd::read_pin(card.pin_stdin)?.ok_or_else(|| {
        CliError::BadArgument("linking needs the card PIN: --pin-stdin or TECHO_CARD_PIN".into())
    })?;
    let client = client(args.endpoints)?;
    let id = crate::resolve::handbook(wallet, id)?;
    let hb = wallet.get(&id)?;
    // Seed 004 ※2: who receives what, why and for how long, before anything is sent (the
    // phones show the same screen, with a way to stop).
    if !json {
        // (Without a face photo the flow starts refused; the linkage below says why.)
        if let techo_core::flows::LinkStep::Purpose {
            title,
            lines,
            items,
        } = techo_core::flows::LinkFlow::new(&hb, lang, LinkOptions::default()).step()
        {
            out!("{title}");
            for l in &lines {
                out!("  {l}");
            }
            out!("  {}", items.join(" / "));
        }
    }
    let mut reader = crate::card_cmd::open(card, data_dir)?;
    let options = LinkOptions {
        batch: args.batch,
        on_behalf_of: args.on_behalf_of.map(str::to_owned),
    };
    let last_try = if card.last_try {
        LastTry::Confirmed
    } else {
        LastTry::Refuse
    };
    let rt = runtime()?;
    let mut state =
        rt.block_on(wallet.link(&client, &id, reader.as_mut(), &pin, last_try, &options))?;
    show(id.as_str(), &state, json, lang);
    if let Some(limit) = args.wait {
        state = wait_for(&rt, wallet, &client, &id, limit, json, lang)?;
        if !json {
            show(id.as_str(), &state, false, lang);
        }
    }
    if !json {
        for change in wallet
            .get(&id)?
            .confirmed
            .iter()
            .flat_map(|c| c.latest().map(|x| x.describe(lang)).collect::<Vec<_>>())
        {
            out!("  {change}");
        }
    }
    Ok(())
}

/// Asks techo-server about every handbook with a linkage (or the one given) and shows all
/// states, with what the holder should know (a consent about to end, the card needed). With
/// `wait`, first waits for every 申請中 linkage to be answered.
pub fn status(
    wallet: &Wallet,
    id: Option<&str>,
    endpoints: Option<&Path>,
    wait: Option<std::time::Duration>,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let handbooks = match id {
        Some(id) => vec![wallet.get(&crate::resolve::handbook(wallet, id)?)?],
        None => wallet.list()?,
    };
    let client = endpoints.map(client).transpose()?;
    let rt = runtime()?;
    let mut out = Vec::new();
    for hb in handbooks {
        let mut state = hb.linkage.clone();
        if let Some(c) = &client {
            if state.session().is_some() && !matches!(state, LinkageState::RelinkNeeded { .. }) {
                match rt.block_on(wallet.refresh_linkage(c, &hb.id)) {
                    Ok(s) => state = s,
                    // Unreachable or refused: the stored state stands, and the holder is told.
                    Err(e) if !json => out!("{}: {}", hb.id, lang.part_of(&e.to_string())),
                    Err(_) => {}
                }
            }
            if let Some(limit) = wait {
                state = wait_for(&rt, wallet, c, &hb.id, limit, json, lang)?;
            }
        }
        out.push((hb.id.to_string(), state));
    }
    let today = wallet.today();
    if json {
        let v: Vec<_> = out
            .iter()
            .map(|(id, s)| {
                serde_json::json!({
                    "handbook": id,
                    "linkage": s,
                    "notice": s.holder_notice(today, lang),
                })
            })
            .collect();
        print_json(&v);
    } else {
        for (id, s) in &out {
            show(id, s, false, lang);
            let waiting = wallet
                .renewal_notice(&HandbookId::from_string(id.clone()), lang)
                .ok()
                .flatten();
            if let Some(notice) = s.holder_notice(today, lang).or(waiting) {
                out!("  ⚠ {notice}");
            }
        }
    }
    Ok(())
}

/// `techo keep-linked`: one run of what the phone's periodic job does.
pub fn keep_linked(
    wallet: &Wallet,
    endpoints: &Path,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let client = client(endpoints)?;
    let report = runtime()?.block_on(wallet.keep_linked(&client))?;
    for n in &report.notices {
        print_notice(n, json, lang);
    }
    for (id, problem) in &report.problems {
        if json {
            print_json(&serde_json::json!({ "handbook": id.as_str(), "problem": problem }));
        } else {
            out!("{id}: {}", lang.part_of(problem));
        }
    }
    let next = report
        .next_run
        .with_timezone(&techo_core::clock::jst())
        .format("%Y-%m-%d %H:%M");
    if json {
        print_json(&serde_json::json!({ "next_run": report.next_run }));
    } else {
        if report.notices.is_empty() && report.problems.is_empty() {
            out!("{}", lang.pick("変わりはありません。", "Nothing changed."));
        }
        match lang {
            Lang::Ja => out!("次回の確認: {next}"),
            Lang::En => out!("Next check: {next} JST"),
        }
    }
    Ok(())
}

pub fn unlink(
    wallet: &Wallet,
    id: &str,
    endpoints: &Path,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let client = client(endpoints)?;
    let id = crate::resolve::handbook(wallet, id)?;
    let state = runtime()?.block_on(wallet.unlink(&client, &id))?;
    show(id.as_str(), &state, json, lang);
    Ok(())
}
