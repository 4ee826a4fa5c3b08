//! `techo places`: the operator directory kept offline — where a handbook is accepted, and what
//! the holder gets there — with `--sync` to update it from techo-server.

use crate::args::PlacesCmd;
use crate::error::CliError;
use crate::print_json;
use techo_core::directory::{Directory, PlaceQuery};
use techo_core::model::HandbookId;
use techo_core::policy::Trip;
use techo_core::portal::TechoClient;
use techo_core::{Lang, Wallet};
use techo_server::endpoints::Endpoints;

fn sync_now(wallet: &Wallet, cmd: &PlacesCmd, lang: Lang, json: bool) -> Result<(), CliError> {
    let path = cmd.endpoints.as_deref().ok_or_else(|| {
        CliError::BadArgument("--sync needs --endpoints (or TECHO_ENDPOINTS)".into())
    })?;
    let e = Endpoints::read(path).map_err(CliError::BadArgument)?;
    let client = TechoClient::new(&e.server, &e.ca_pem, std::time::Duration::from_secs(30))
        .map_err(|e| CliError::Linkage(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::BadArgument(format!("cannot start the async runtime: {e}")))?;
    let synced = runtime
        .block_on(wallet.sync_directory(&client, cmd.trust_new_root))
        .map_err(|e| CliError::Linkage(e.to_string()))?;
    if !json {
        out!("{}", synced.describe(lang));
    }
    Ok(())
}

/// Loads a signed directory file, checked against a trust list signed by the pinned root.
fn import(wallet: &Wallet, cmd: &PlacesCmd, path: &std::path::Path) -> Result<(), CliError> {
    let read = |p: &std::path::Path| crate::input::read_file(p, crate::input::SIGNED_LIST);
    let (Some(trust_path), Some(root)) = (&cmd.trust_list, &cmd.root) else {
        return Err(CliError::BadArgument(
            "--import needs --trust-list and --root to check the signature".into(),
        ));
    };
    let root = techo_core::hex::decode(root)
        .and_then(|b| techo_core::token::PublicKey::from_sec1(&b).ok())
        .ok_or_else(|| CliError::BadArgument("--root must be a P-256 public key in hex".into()))?;
    let trust = techo_core::token::TrustList::from_signed(&read(trust_path)?, &root, None)
        .map_err(|e| CliError::BadArgument(e.to_string()))?;
    let update = techo_core::directory::DirectoryUpdate::open(&read(path)?, &trust)
        .map_err(|e| CliError::BadArgument(e.to_string()))?;
    let mut dir = wallet.directory()?;
    update
        .apply(&mut dir)
        .map_err(|e| CliError::BadArgument(e.to_string()))?;
    Ok(wallet.set_directory(&dir)?)
}

pub fn run(wallet: &Wallet, cmd: &PlacesCmd, json: bool, lang: Lang) -> Result<(), CliError> {
    if let Some(path) = &cmd.import {
        import(wallet, cmd, path)?;
    }
    if cmd.sync {
        sync_now(wallet, cmd, lang, json)?;
    }
    let dir: Directory = wallet.directory()?;
    if dir.entries.is_empty() {
        return Err(CliError::BadArgument(
            "the operator directory is empty: run `techo places --sync --endpoints ...` once online"
                .into(),
        ));
    }
    let kind = cmd
        .kind
        .as_deref()
        .map(|k| {
            techo_core::model::HandbookKind::parse(k).map_err(|_| {
                CliError::BadArgument(
                    "--kind is 身体, 精神 or 療育 (physical, mental, intellectual)".into(),
                )
            })
        })
        .transpose()?;
    let hb = if cmd.all || kind.is_some() {
        None
    } else {
        match &cmd.handbook {
            Some(id) => Some(wallet.get(&crate::resolve::handbook(wallet, id)?)?),
            None => wallet.counter_handbook()?,
        }
    };
    let trip = Trip {
        date: wallet.today(),
        distance_km: None,
        with_caregiver: None,
    };
    let places = dir.places(
        &PlaceQuery {
            category: cmd.category.as_deref(),
            area: cmd.area.as_deref(),
            handbook: hb.as_ref(),
            kind,
        },
        &trip,
    );
    if json {
        let rows: Vec<_> = places
            .iter()
            .map(|p| {
                serde_json::json!({
                    "operator": p.policy.id,
                    "name": p.policy.display_name(lang),
                    "category": p.policy.category,
                    "area": p.policy.area,
                    "discount": lang.pick(&p.policy.discount_ja, &p.policy.discount_en),
                    "decision": p.verdict.as_ref().map(|v| v.decision),
                    "grant": p.verdict.as_ref().map(|v| v.grant),
                })
            })
            .collect();
        print_json(&serde_json::json!({ "version": dir.version, "places": rows }));
        return Ok(());
    }
    if places.is_empty() {
        out!(
            "{}",
            lang.pick("該当する事業者はありません", "no matching operators")
        );
    }
    for p in &places {
        let what = p.verdict.as_ref().map_or(String::new(), |v| {
            format!("  {} {}", v.decision.headline(lang), v.grant.line(lang))
        });
        out!("{}{what}", Directory::describe(&p.policy, lang));
    }
    out!(
        "{}",
        lang.pick(
            "（事業者の規定は例示です）",
            "(operator rules are illustrative)"
        )
    );
    Ok(())
}

/// `techo coupons`: what this handbook can use today, with the terms shown before use.
pub fn coupons(
    wallet: &Wallet,
    id: Option<&HandbookId>,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let list = wallet.coupons(id)?;
    if json {
        let rows: Vec<_> = list
            .iter()
            .map(|(op, c)| serde_json::json!({ "operator": op, "coupon": c }))
            .collect();
        print_json(&rows);
        return Ok(());
    }
    if list.is_empty() {
        out!(
            "{}",
            lang.pick(
                "使えるクーポンはありません（`techo places --sync` で更新）",
                "no coupons for this handbook (update with `techo places --sync`)"
            )
        );
    }
    for (op, c) in &list {
        out!(
            "{op}/{}  {}  ({} – {})",
            c.id,
            c.title(lang),
            c.valid_from,
            c.valid_until
        );
        out!("  {}", c.terms(lang));
    }
    if !list.is_empty() {
        out!("{}", techo_core::directory::coupon::standard_terms(lang));
    }
    Ok(())
}
