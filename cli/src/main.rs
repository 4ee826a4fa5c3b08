//! `techo`: drives every wallet flow on a desktop.

/// `println!` that ends the process quietly when stdout is closed (`techo list | head`).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*))
    };
}

mod args;
mod bench;
mod booking_demo;
mod card_cmd;
mod demo;
mod error;
mod guardian_demo;
mod input;
mod issuer_cmd;
mod ledger_cmd;
mod link_cmd;
mod linkage_demo;
mod lists_cmd;
#[cfg(feature = "pcsc")]
mod pcsc_reader;
mod places_cmd;
mod policy_cmd;
mod policy_demo;
mod preview;
mod profile_cmd;
mod qr_file;
mod register;
mod renewal_demo;
mod resolve;
mod site_cmd;
mod store_cmd;
mod timing;
mod token_cmd;
mod view;
mod width;

use args::{
    CardCommand, Cli, Command, IssuerCommand, LangArg, PagesCommand, ProfileCommand, StoreCommand,
    VerifyCmd,
};
use clap::Parser;
use error::CliError;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use techo_core::store::FileKeyProvider;
use techo_core::{Clock, FixedClock, Lang, SystemClock, Wallet};
use view::{HandbookView, detail, list_table};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = match cli.lang {
        LangArg::Ja => Lang::Ja,
        LangArg::En => Lang::En,
    };
    match run(&cli, lang) {
        Ok(()) => ExitCode::SUCCESS,
        // The verdict is on stdout already.
        Err(e @ CliError::Verdict(_)) => ExitCode::from(e.exit_code()),
        Err(e) => {
            if cli.json {
                let body = serde_json::json!({
                    "error": { "code": e.code(), "message": e.to_string(), "fields": e.fields() }
                });
                eprintln!("{body}");
            } else if let CliError::Rejected(v) = &e {
                eprintln!(
                    "{} {}",
                    lang.pick("✘ 無効:", "✘ REJECTED:"),
                    v.message(lang)
                );
            } else if let CliError::InvalidCode(m) | CliError::RefusedCode { message: m, .. } = &e {
                eprintln!("{} {m}", lang.pick("✘ 無効なコード:", "✘ INVALID CODE:"));
            } else {
                eprintln!("{} {e}", lang.pick("エラー:", "error:"));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// The system clock, or a pinned time from `TECHO_NOW` for reproducible runs and tests.
fn clock() -> Result<Arc<dyn Clock>, CliError> {
    match std::env::var("TECHO_NOW") {
        Ok(s) => chrono::DateTime::parse_from_rfc3339(&s)
            .map(|t| Arc::new(FixedClock::new(t.with_timezone(&chrono::Utc))) as Arc<dyn Clock>)
            .map_err(|_| CliError::BadNow),
        Err(_) => Ok(Arc::new(SystemClock)),
    }
}

fn data_dir(cli: &Cli) -> Result<PathBuf, CliError> {
    match &cli.data_dir {
        Some(d) => Ok(d.clone()),
        None => directories::ProjectDirs::from("jp", "Techo", "techo")
            .map(|p| p.data_dir().to_path_buf())
            .ok_or(CliError::NoDataDir),
    }
}

fn open_wallet(dir: &Path) -> Result<Wallet, CliError> {
    let keys = FileKeyProvider::new(Wallet::key_file(dir));
    let wallet = Wallet::open(dir, &keys, clock()?)?;
    if let Some(r) = wallet.store_recovery() {
        // Said once, on the open that repaired it, on stderr so scripts still read stdout.
        eprintln!(
            "note: {}. / {}",
            r.describe(techo_core::Lang::En),
            r.describe(techo_core::Lang::Ja)
        );
    }
    Ok(wallet)
}

pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_fmt(args)
        .and_then(|()| stdout.write_all(b"\n"))
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

pub(crate) fn print_json(value: &impl serde::Serialize) {
    out!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn run(cli: &Cli, lang: Lang) -> Result<(), CliError> {
    match &cli.command {
        Command::Demo { keep, serve } => {
            demo::run(&clock()?, lang, cli.json, keep.as_deref(), *serve)
        }
        Command::Register(args) => register_command(cli, args, lang),
        Command::List => list_command(cli, lang),
        Command::Show { id } | Command::Select { id } => {
            let wallet = open_wallet(&data_dir(cli)?)?;
            let id = resolve::handbook(&wallet, id)?;
            let hb = if matches!(cli.command, Command::Select { .. }) {
                wallet.select_for_counter(&id)?
            } else {
                wallet.get(&id)?
            };
            let counter = wallet.counter_handbook()?;
            let view = HandbookView::new(&hb, wallet.today(), counter.as_ref(), lang);
            if cli.json {
                print_json(&view);
            } else {
                out!("{}", detail(&view, lang));
            }
            Ok(())
        }
        Command::Withdraw { id } => withdraw_command(cli, id, lang),
        Command::Present(p) => {
            let wallet = open_wallet(&data_dir(cli)?)?;
            let claims = token_cmd::parse_claims(p.disclose.as_deref())?;
            let challenge =
                token_cmd::parse_challenge(p.challenge.as_deref(), p.audience.as_deref())?;
            let args = token_cmd::PresentArgs {
                id: p.id.as_deref(),
                coupon: p.coupon.as_deref(),
                claims,
                challenge,
                out: p.out.as_deref(),
            };
            token_cmd::present(&wallet, &args, cli.json, lang).map(|_| ())
        }
        Command::Verify(v) => verify_command(cli, v, lang),
        Command::Lists {
            endpoints,
            file,
            root,
        } => lists_cmd::sync(
            endpoints,
            &lists_cmd::file_or_default(file.as_deref(), || data_dir(cli))?,
            root.as_deref(),
            cli.json,
            lang,
        ),
        Command::Issuer(cmd) => issuer_command(cli, cmd, lang),
        Command::Link(_)
        | Command::Status { .. }
        | Command::Unlink { .. }
        | Command::KeepLinked { .. } => linkage_command(cli, lang),
        Command::Card(cmd) => card_command(cli, cmd, lang),
        Command::Site(args::SiteCommand::Answer(a)) => site_command(cli, a, lang),
        Command::Preview(p) => preview_command(cli, p, lang),
        Command::Profile(cmd) => profile_command(cli, cmd, lang),
        Command::Places(cmd) => {
            places_cmd::run(&open_wallet(&data_dir(cli)?)?, cmd, cli.json, lang)
        }
        Command::Pages(cmd) => pages_command(cli, cmd, lang),
        Command::Ledger { id } => {
            let wallet = open_wallet(&data_dir(cli)?)?;
            let id = resolve::optional(&wallet, id.as_deref())?;
            ledger_cmd::show(&wallet, id.as_ref(), cli.json, lang)
        }
        Command::Coupons { id } => {
            let wallet = open_wallet(&data_dir(cli)?)?;
            let id = resolve::optional(&wallet, id.as_deref())?;
            places_cmd::coupons(&wallet, id.as_ref(), cli.json, lang)
        }
        Command::Bench { timing: false, .. } => {
            bench::run();
            Ok(())
        }
        Command::Bench {
            timing: true,
            samples,
        } => timing::run(*samples).map_err(CliError::TimingLeak),
        Command::Store(cmd) => {
            let dir = data_dir(cli)?;
            match cmd {
                StoreCommand::Check { repair } => {
                    store_cmd::check(&open_wallet(&dir)?, *repair, cli.json, lang)
                }
                StoreCommand::Export { dir: out } => {
                    store_cmd::export(&open_wallet(&dir)?, out, cli.json, lang)
                }
                StoreCommand::Reset { yes } => store_cmd::reset(&dir, *yes, cli.json, lang),
            }
        }
    }
}

fn withdraw_command(cli: &Cli, id: &str, lang: Lang) -> Result<(), CliError> {
    let wallet = open_wallet(&data_dir(cli)?)?;
    let hb = wallet.withdraw(&resolve::handbook(&wallet, id)?)?;
    if cli.json {
        print_json(&serde_json::json!({ "withdrawn": hb.id }));
    } else {
        out!(
            "{} {} {} ({})",
            lang.pick("取り下げました:", "Withdrawn:"),
            hb.kind().short_label(lang),
            hb.category.grade_label(lang),
            hb.id
        );
    }
    Ok(())
}

/// A handbook id prefix typed by the user, resolved through the wallet when it has one.
fn resolve_id(dir: &Path, id: &str) -> String {
    match open_wallet(dir).and_then(|w| resolve::handbook(&w, id)) {
        Ok(id) => id.to_string(),
        Err(_) => id.to_owned(),
    }
}

fn verify_command(cli: &Cli, v: &VerifyCmd, lang: Lang) -> Result<(), CliError> {
    let now = clock()?.now();
    let policy = v
        .policy
        .as_deref()
        .map(techo_core::policy::OperatorPolicy::load)
        .transpose()
        .map_err(|e| CliError::BadArgument(e.to_string()))?;
    let audience = v
        .audience
        .clone()
        .or_else(|| policy.as_ref().and_then(|p| p.online_audience.clone()));
    if v.challenge.as_deref() == Some("new") {
        let audience = audience.ok_or_else(|| {
            CliError::BadArgument("--challenge needs --audience (or a policy with [online])".into())
        })?;
        return policy_cmd::issue_challenge(&data_dir(cli)?, &audience, now, cli.json, lang);
    }
    let payload: Vec<u8> = match (&v.image, v.payload.as_deref()) {
        (Some(path), _) => qr_file::read(path)?,
        // Either form: the text form, or the binary form's bytes as a scanner gives them.
        (None, Some("-")) => input::stdin_bytes(input::STDIN_LINE)?,
        (None, Some(text)) => text.as_bytes().to_vec(),
        (None, None) => {
            return Err(CliError::BadArgument(
                "give a payload, - for stdin, or --image qr.png".into(),
            ));
        }
    };
    let data = if let Some(file) = &v.lists {
        lists_cmd::verifier_data(file)?
    } else {
        let data_dir = if v.trust_list.is_some() {
            None
        } else {
            Some(data_dir(cli)?)
        };
        let source = token_cmd::VerifierSource {
            trust_list: v.trust_list.as_deref(),
            status_lists: &v.status_list,
            root: v.root.as_deref(),
        };
        token_cmd::VerifierData::load(&source, data_dir.as_deref(), now)?
    };
    let challenge = token_cmd::parse_challenge(
        v.challenge.as_deref(),
        v.challenge.as_ref().and(audience.as_deref()),
    )?;
    if let Some(path) = &v.policy {
        let trip = techo_core::policy::Trip {
            date: match &v.trip_date {
                Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| CliError::BadArgument("--trip-date must be YYYY-MM-DD".into()))?,
                None => now.with_timezone(&techo_core::clock::jst()).date_naive(),
            },
            distance_km: v.distance_km,
            with_caregiver: v.caregiver.as_deref().map(|c| c == "yes"),
        };
        let own_dir = crate::data_dir(cli).ok();
        let check = policy_cmd::PolicyCheck {
            policy: path,
            trip,
            challenge,
            data_dir: own_dir.as_deref(),
        };
        return policy_cmd::verify_with_policy(&payload, &data, now, &check, cli.json, lang);
    }
    let policy = techo_core::token::Policy {
        max_status_age: chrono::Duration::hours(v.max_status_age_hours),
        challenge,
        ..techo_core::token::Policy::default()
    };
    // A challenge proves freshness only if this verifier issued it and it is answered once.
    let redeem = |_: &techo_core::token::VerifiedPresentation| match &policy.challenge {
        Some(c) => policy_cmd::redeem_challenge(&data_dir(cli)?, c, now),
        None => Ok(()),
    };
    match token_cmd::verify_payload(&payload, &data, now, &policy, (cli.json, lang), redeem) {
        Err(CliError::Rejected(e)) if cli.json => {
            print_json(&token_cmd::rejection_json(&e, lang));
            Err(CliError::Rejected(e))
        }
        other => other.map(|_| ()),
    }
}

fn issuer_command(cli: &Cli, cmd: &IssuerCommand, lang: Lang) -> Result<(), CliError> {
    let dir = data_dir(cli)?;
    match cmd {
        IssuerCommand::Init => issuer_cmd::init(&dir, cli.json, lang),
        IssuerCommand::Issue { id, batch } => {
            issuer_cmd::issue(&open_wallet(&dir)?, &dir, id, *batch, cli.json, lang)
        }
        IssuerCommand::Revoke { id } => issuer_cmd::set_status(
            &dir,
            &resolve_id(&dir, id),
            techo_core::token::Status::Revoked,
            cli.json,
            lang,
        ),
        IssuerCommand::Suspend { id } => issuer_cmd::set_status(
            &dir,
            &resolve_id(&dir, id),
            techo_core::token::Status::Suspended,
            cli.json,
            lang,
        ),
        IssuerCommand::Reinstate { id } => issuer_cmd::set_status(
            &dir,
            &resolve_id(&dir, id),
            techo_core::token::Status::Valid,
            cli.json,
            lang,
        ),
        IssuerCommand::Publish { dir: out } => {
            issuer_cmd::publish(&dir, out, clock()?.now(), cli.json, lang)
        }
    }
}

fn list_command(cli: &Cli, lang: Lang) -> Result<(), CliError> {
    let wallet = open_wallet(&data_dir(cli)?)?;
    let list = wallet.list()?;
    let counter = wallet.counter_handbook()?;
    let today = wallet.today();
    if cli.json {
        let views: Vec<_> = list
            .iter()
            .map(|h| HandbookView::new(h, today, counter.as_ref(), lang))
            .collect();
        print_json(&views);
    } else {
        let (own, for_others): (Vec<_>, Vec<_>) =
            list.into_iter().partition(|h| !h.presenter.is_guardian());
        out!("{}", list_table(&own, counter.as_ref(), today, lang));
        if !for_others.is_empty() {
            out!(
                "\n{}",
                lang.pick(
                    "代理で提示する手帳（保護者として）:",
                    "Handbooks you present for others (as guardian):"
                )
            );
            out!("{}", list_table(&for_others, counter.as_ref(), today, lang));
        }
    }
    Ok(())
}

fn profile_command(cli: &Cli, cmd: &ProfileCommand, lang: Lang) -> Result<(), CliError> {
    let wallet = open_wallet(&data_dir(cli)?)?;
    match cmd {
        ProfileCommand::Set { from } => profile_cmd::set(&wallet, from, cli.json, lang),
        ProfileCommand::Show => profile_cmd::show(&wallet, cli.json, lang),
        ProfileCommand::Clear => profile_cmd::clear(&wallet, cli.json, lang),
    }
}

fn pages_command(cli: &Cli, cmd: &PagesCommand, lang: Lang) -> Result<(), CliError> {
    let wallet = open_wallet(&data_dir(cli)?)?;
    let (PagesCommand::Add { id, .. }
    | PagesCommand::List { id }
    | PagesCommand::Export { id, .. }
    | PagesCommand::Remove { id, .. }) = cmd;
    let id = &resolve::handbook(&wallet, id)?;
    match cmd {
        PagesCommand::Add { file, .. } => profile_cmd::add_page(&wallet, id, file, cli.json, lang),
        PagesCommand::List { .. } => profile_cmd::list_pages(&wallet, id, cli.json, lang),
        PagesCommand::Export { n, out, .. } => profile_cmd::export_page(&wallet, id, *n, out, lang),
        PagesCommand::Remove { n, .. } => profile_cmd::remove_page(&wallet, id, *n, cli.json, lang),
    }
}

fn register_command(cli: &Cli, args: &args::RegisterArgs, lang: Lang) -> Result<(), CliError> {
    let (draft, photo) = register::draft_from_args(args)?;
    let pages = args
        .page_images
        .iter()
        .map(|p| input::read_file(p, input::HANDBOOK_FILE))
        .collect::<Result<Vec<_>, _>>()?;
    let wallet = open_wallet(&data_dir(cli)?)?;
    let hb = wallet.add_with_pages(&draft, photo.as_deref(), &pages)?;
    let counter = wallet.counter_handbook()?;
    let view = HandbookView::new(&hb, wallet.today(), counter.as_ref(), lang);
    if cli.json {
        print_json(&view);
    } else {
        out!(
            "{}",
            lang.pick("登録しました（未連携）:", "Registered (not linked yet):")
        );
        out!("{}", detail(&view, lang));
    }
    Ok(())
}

fn site_command(cli: &Cli, a: &args::SiteAnswerCmd, lang: Lang) -> Result<(), CliError> {
    let dir = data_dir(cli)?;
    let args = site_cmd::AnswerArgs {
        link: &a.link,
        site_info: &a.site_info,
        handbook: a.handbook.as_deref(),
        card: card_cmd::CardSource::from_options(a.card.card.as_deref(), a.card.reader.as_deref())
            .map(|source| card_cmd::CardArgs {
                source,
                short: false,
                pin_stdin: a.card.pin_stdin,
                last_try: a.card.confirm_last_try,
                ca: None,
            }),
        identity: a.identity,
        signing_password_stdin: a.card.signing_password_stdin,
        save_response: a.save_response.as_deref(),
    };
    site_cmd::answer(&open_wallet(&dir)?, &dir, &args, cli.json, lang)
}

fn linkage_command(cli: &Cli, lang: Lang) -> Result<(), CliError> {
    match &cli.command {
        Command::Link(l) => {
            let dir = data_dir(cli)?;
            let args = link_cmd::LinkArgs {
                card: card_cmd::CardArgs {
                    source: card_cmd::CardSource::from_options(
                        l.card.as_deref(),
                        l.reader.as_deref(),
                    )
                    .ok_or_else(|| {
                        CliError::BadArgument("link needs --card DIR or --reader NAME|auto".into())
                    })?,
                    short: l.short,
                    pin_stdin: l.pin_stdin,
                    last_try: l.confirm_last_try,
                    ca: None,
                },
                endpoints: &l.endpoints,
                batch: l.batch,
                on_behalf_of: l.on_behalf_of.as_deref(),
                wait: l.wait.map(link_cmd::minutes),
            };
            link_cmd::link(&open_wallet(&dir)?, &dir, &l.id, &args, cli.json, lang)
        }
        Command::Status {
            id,
            endpoints,
            wait,
        } => link_cmd::status(
            &open_wallet(&data_dir(cli)?)?,
            id.as_deref(),
            endpoints.as_deref(),
            wait.map(link_cmd::minutes),
            cli.json,
            lang,
        ),
        Command::KeepLinked { endpoints } => {
            link_cmd::keep_linked(&open_wallet(&data_dir(cli)?)?, endpoints, cli.json, lang)
        }
        Command::Unlink { id, endpoints } => link_cmd::unlink(
            &open_wallet(&data_dir(cli)?)?,
            id,
            endpoints,
            cli.json,
            lang,
        ),
        _ => Ok(()),
    }
}

fn card_command(cli: &Cli, cmd: &CardCommand, lang: Lang) -> Result<(), CliError> {
    let dir = data_dir(cli)?;
    let now = clock()?.now();
    let (CardCommand::Read(o) | CardCommand::Trace(o)) = cmd;
    let args = card_cmd::CardArgs {
        source: card_cmd::CardSource::from_options(o.sim.as_deref(), o.reader.as_deref())
            .ok_or_else(|| CliError::BadArgument("give --sim DIR or --reader NAME|auto".into()))?,
        short: o.short,
        pin_stdin: o.pin_stdin,
        last_try: o.confirm_last_try,
        ca: o.ca.as_deref(),
    };
    match cmd {
        CardCommand::Read(_) => card_cmd::read(&args, &dir, now, cli.json, lang),
        CardCommand::Trace(_) => card_cmd::trace(&args, &dir, now, lang),
    }
}

fn preview_command(cli: &Cli, p: &args::PreviewCmd, lang: Lang) -> Result<(), CliError> {
    let (w, h) = p
        .size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .filter(|(w, h)| (200..=4000).contains(w) && (200..=8000).contains(h))
        .ok_or_else(|| CliError::BadArgument("--size is WIDTHxHEIGHT, e.g. 1170x2532".into()))?;
    let clock: Arc<dyn Clock> = match &p.time {
        Some(t) => Arc::new(FixedClock::new(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| CliError::BadNow)?
                .with_timezone(&chrono::Utc),
        )),
        None => clock()?,
    };
    let options = techo_core::screen::Options {
        lang,
        reduced_motion: p.reduced_motion,
        text_scale: if p.large_text { 1.5 } else { 1.0 },
        photo_enlarged: p.enlarge_photo,
    };
    let args = preview::PreviewArgs {
        out: &p.out,
        handbook: p.handbook.as_deref(),
        width: w,
        height: h,
        options,
        page: p
            .enlarge_page
            .map(|n| {
                n.checked_sub(1)
                    .ok_or_else(|| CliError::BadArgument("pages are numbered from 1".into()))
            })
            .transpose()?,
        coupon: p
            .coupon
            .as_deref()
            .map(|c| {
                c.split_once('/')
                    .map(|(op, id)| (op.to_owned(), id.to_owned()))
                    .ok_or_else(|| {
                        CliError::BadArgument(
                            "--coupon is OPERATOR/COUPON, as `techo coupons` lists".into(),
                        )
                    })
            })
            .transpose()?,
    };
    preview::run(&data_dir(cli)?, &clock, &args)
}
