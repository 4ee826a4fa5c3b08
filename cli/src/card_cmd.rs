//! `techo card read | trace`: the My Number card driver against the software card.

use crate::error::CliError;
use crate::print_json;
use std::path::{Path, PathBuf};
use techo_core::Lang;
use techo_core::card::{CardError, CardSession, JpkiTrust, LastTry, Pin, TraceEntry};
use techo_sim::{SimOptions, SoftCard};

pub struct CardArgs<'a> {
    pub sim: &'a Path,
    pub short: bool,
    pub pin_stdin: bool,
    pub last_try: bool,
}

/// A secret from one line of standard input (`from_stdin`) or from the environment variable
/// `env`; never from the command line, so it stays out of shell history and process lists.
pub(crate) fn read_secret(
    from_stdin: bool,
    env: &str,
) -> Result<Option<zeroize::Zeroizing<String>>, CliError> {
    if !from_stdin {
        return Ok(std::env::var(env).ok().map(zeroize::Zeroizing::new));
    }
    let mut line = zeroize::Zeroizing::new(String::new());
    crate::input::stdin_line(&mut line)?;
    Ok(Some(line))
}

/// The PIN from standard input (`--pin-stdin`) or `TECHO_CARD_PIN`.
pub(crate) fn read_pin(from_stdin: bool) -> Result<Option<Pin>, CliError> {
    read_secret(from_stdin, "TECHO_CARD_PIN")?
        .map(|t| Pin::parse(t.trim()).map_err(|e| CliError::Card(e.into())))
        .transpose()
}

pub(crate) fn open(args: &CardArgs<'_>, data_dir: &Path) -> Result<SoftCard, CliError> {
    let states = data_dir.join("sim-cards");
    techo_core::private_file::private_dir(&states).map_err(|e| CliError::WriteFile {
        path: states.display().to_string(),
        why: e.to_string(),
    })?;
    let name = args
        .sim
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let options = SimOptions {
        extended: !args.short,
        ..SimOptions::default()
    };
    SoftCard::open(
        args.sim,
        Some(&states.join(format!("{name}.json"))),
        options,
    )
    .map_err(|e| CliError::BadArgument(e.to_string()))
}

fn trust_for(card: &Path) -> Option<JpkiTrust> {
    let ca: PathBuf = card.parent()?.join("ca").join("ca.crt.der");
    JpkiTrust::new(vec![std::fs::read(ca).ok()?]).ok()
}

fn last_try(confirmed: bool) -> LastTry {
    if confirmed {
        LastTry::Confirmed
    } else {
        LastTry::Refuse
    }
}

pub fn read(
    args: &CardArgs<'_>,
    data_dir: &Path,
    now: chrono::DateTime<chrono::Utc>,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let pin = read_pin(args.pin_stdin)?;
    let mut card = open(args, data_dir)?;
    let mut session = CardSession::new(&mut card);
    let status = session.status()?;
    let checked = trust_for(args.sim).map(|t| t.check(&status.certificate, now));
    let facts = match &pin {
        Some(p) => Some(session.basic_four(p, last_try(args.last_try))?),
        None => None,
    };
    let apdus = session.apdus();
    let raw_subject = techo_core::card::cert::subject_of(&status.certificate).unwrap_or_default();
    let subject = match &checked {
        Some(Ok(c)) => c.subject.clone(),
        Some(Err(e)) => format!("{raw_subject} — {e}"),
        None => format!("{raw_subject} (no CA beside the card to check it)"),
    };
    if json {
        print_json(&serde_json::json!({
            "certificate_subject": subject,
            "certificate_valid": matches!(checked, Some(Ok(_))),
            "tries_left": status.tries_left,
            "basic_four": facts.as_ref().map(|f| serde_json::json!({
                "name": f.name, "address": f.address, "birth_date": f.birth_date, "sex": f.sex.label(Lang::En),
            })),
            "apdus": apdus,
            "extended_length": !args.short,
        }));
        return Ok(());
    }
    out!(
        "{} {subject}",
        lang.pick("証明書の主体者:", "certificate subject:")
    );
    out!(
        "{} {}",
        lang.pick("暗証番号の残り回数:", "PIN tries left:"),
        status.tries_left
    );
    match facts {
        Some(f) => {
            out!("{} {}", lang.pick("氏名:", "name:"), f.name);
            out!("{} {}", lang.pick("住所:", "address:"), f.address);
            out!("{} {}", lang.pick("生年月日:", "birth date:"), f.birth_date);
            out!("{} {}", lang.pick("性別:", "sex:"), f.sex.label(lang));
        }
        None => out!(
            "{}",
            lang.pick(
                "基本4情報の読み取りには暗証番号が必要です（--pin-stdin または TECHO_CARD_PIN）",
                "the basic four facts need the PIN (--pin-stdin or TECHO_CARD_PIN)"
            )
        ),
    }
    out!(
        "APDU: {apdus} ({})",
        if args.short {
            "short"
        } else {
            "extended length"
        }
    );
    Ok(())
}

/// Runs a whole linkage read with a test challenge and prints every APDU (PIN masked).
pub fn trace(
    args: &CardArgs<'_>,
    data_dir: &Path,
    now: chrono::DateTime<chrono::Utc>,
    lang: Lang,
) -> Result<(), CliError> {
    let pin = read_pin(args.pin_stdin)?.ok_or_else(|| {
        CliError::BadArgument(
            "the linkage read needs the PIN: --pin-stdin or TECHO_CARD_PIN".into(),
        )
    })?;
    let mut card = open(args, data_dir)?;
    let mut session = CardSession::new(&mut card);
    let challenge = b"techo card trace: test challenge";
    let result = session.linkage_read(&pin, challenge, last_try(args.last_try));
    print_trace(session.trace());
    let proof = result?;
    out!("{} {}", lang.pick("APDU 数:", "APDUs:"), proof.apdus);
    if let Some(t) = trust_for(args.sim) {
        let verdict = t.check(&proof.certificate, now).and_then(|c| {
            c.verify_signature(challenge, &proof.signature)
                .map(|()| c.subject)
        });
        match verdict {
            Ok(subject) => out!(
                "{} {subject}",
                lang.pick("署名を確認しました:", "signature checked:")
            ),
            Err(e) => out!("{} {e}", lang.pick("確認できません:", "not verified:")),
        }
    }
    Ok(())
}

fn print_trace(trace: &[TraceEntry]) {
    for (i, t) in trace.iter().enumerate() {
        let sw = t.sw.map_or_else(|| "----".to_owned(), |s| s.to_string());
        out!("{:>2}  {:<32} > {}", i + 1, t.what, t.command);
        out!("    {:<32} < {} bytes, SW {sw}", "", t.response_len);
    }
}

impl From<CardError> for CliError {
    fn from(e: CardError) -> Self {
        CliError::Card(e)
    }
}
