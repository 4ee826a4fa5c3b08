//! `techo link | status | unlink`: linkage against a running techo-server (see `techo-server`).

use crate::card_cmd::CardArgs;
use crate::error::CliError;
use crate::print_json;
use std::path::Path;
use techo_core::card::LastTry;
use techo_core::linkage::LinkError;
use techo_core::model::LinkageState;
use techo_core::portal::TechoClient;
use techo_core::wallet::LinkOptions;
use techo_core::{Lang, Wallet};
use techo_server::endpoints::Endpoints;

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::BadArgument(format!("cannot start the async runtime: {e}")))
}

fn client(endpoints: &Path) -> Result<TechoClient, CliError> {
    let e = Endpoints::read(endpoints).map_err(CliError::BadArgument)?;
    TechoClient::new(&e.server, &e.ca_pem, std::time::Duration::from_secs(60))
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
    let mut soft = crate::card_cmd::open(card, data_dir)?;
    let options = LinkOptions {
        batch: args.batch,
        on_behalf_of: args.on_behalf_of.map(str::to_owned),
    };
    let last_try = if card.last_try {
        LastTry::Confirmed
    } else {
        LastTry::Refuse
    };
    let state =
        runtime()?.block_on(wallet.link(&client, &id, &mut soft, &pin, last_try, &options))?;
    show(id.as_str(), &state, json, lang);
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

/// Polls every handbook with a linkage in progress (or the one given) and shows all states.
pub fn status(
    wallet: &Wallet,
    id: Option<&str>,
    endpoints: Option<&Path>,
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
        let state = match (&client, &hb.linkage) {
            (
                Some(c),
                LinkageState::Pending { .. }
                | LinkageState::Linked { .. }
                | LinkageState::Linking { .. },
            ) => rt
                .block_on(wallet.refresh_linkage(c, &hb.id))
                .unwrap_or(hb.linkage.clone()),
            _ => hb.linkage.clone(),
        };
        out.push((hb.id.to_string(), state));
    }
    if json {
        let v: Vec<_> = out
            .iter()
            .map(|(id, s)| serde_json::json!({ "handbook": id, "linkage": s }))
            .collect();
        print_json(&v);
    } else {
        for (id, s) in &out {
            show(id, s, false, lang);
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
