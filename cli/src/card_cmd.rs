//! `techo card read | trace`: the My Number card driver against the software card or a real
//! card on a PC/SC reader.

use crate::error::CliError;
use crate::print_json;
use std::path::{Path, PathBuf};
use techo_core::Lang;
use techo_core::card::{
    CardError, CardSession, CardTransport, JpkiTrust, LastTry, Pin, TraceEntry,
};
use techo_sim::{SimOptions, SoftCard};

/// Where the card is: a software card folder, or a PC/SC reader (`auto` or part of its name).
#[derive(Debug, Clone, Copy)]
pub enum CardSource<'a> {
    Sim(&'a Path),
    Reader(&'a str),
}

impl<'a> CardSource<'a> {
    /// From the `--card DIR` / `--sim DIR` and `--reader NAME` options (clap makes them exclusive).
    pub fn from_options(sim: Option<&'a Path>, reader: Option<&'a str>) -> Option<Self> {
        match (sim, reader) {
            (Some(dir), _) => Some(CardSource::Sim(dir)),
            (None, Some(name)) => Some(CardSource::Reader(name)),
            (None, None) => None,
        }
    }
}

pub struct CardArgs<'a> {
    pub source: CardSource<'a>,
    pub short: bool,
    pub pin_stdin: bool,
    pub last_try: bool,
    /// The JPKI CA certificate (DER) to check a real card's certificate against.
    pub ca: Option<&'a Path>,
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

/// The card `args` names: the software card (its counters kept in the data folder) or the card
/// on a PC/SC reader.
pub(crate) fn open(
    args: &CardArgs<'_>,
    data_dir: &Path,
) -> Result<Box<dyn CardTransport>, CliError> {
    match args.source {
        CardSource::Sim(dir) => Ok(Box::new(open_sim(dir, args.short, data_dir)?)),
        CardSource::Reader(name) => open_reader(name, !args.short),
    }
}

#[cfg(feature = "pcsc")]
fn open_reader(name: &str, extended: bool) -> Result<Box<dyn CardTransport>, CliError> {
    let reader = crate::pcsc_reader::PcscReader::connect(name, extended)
        .map_err(|e| CliError::Card(CardError::Reader(e.to_string())))?;
    Ok(Box::new(reader))
}

#[cfg(not(feature = "pcsc"))]
fn open_reader(_name: &str, _extended: bool) -> Result<Box<dyn CardTransport>, CliError> {
    Err(CliError::BadArgument(
        "this build of techo has no PC/SC support: build it with `cargo build -p techo --features pcsc` (Linux needs libpcsclite-dev and pcscd)".into(),
    ))
}

fn open_sim(sim: &Path, short: bool, data_dir: &Path) -> Result<SoftCard, CliError> {
    let states = data_dir.join("sim-cards");
    techo_core::private_file::private_dir(&states).map_err(|e| CliError::WriteFile {
        path: states.display().to_string(),
        why: e.to_string(),
    })?;
    let name = sim
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let options = SimOptions {
        extended: !short,
        ..SimOptions::default()
    };
    SoftCard::open(sim, Some(&states.join(format!("{name}.json"))), options)
        .map_err(|e| CliError::BadArgument(e.to_string()))
}

/// The CA to check the card's certificate against: `--ca`, else the test CA beside a software
/// card. A real card without `--ca` is shown unchecked.
fn trust_for(args: &CardArgs<'_>) -> Result<Option<JpkiTrust>, CliError> {
    let path: PathBuf = match (args.ca, args.source) {
        (Some(ca), _) => ca.to_owned(),
        (None, CardSource::Sim(card)) => match card.parent() {
            Some(p) => p.join("ca").join("ca.crt.der"),
            None => return Ok(None),
        },
        (None, CardSource::Reader(_)) => return Ok(None),
    };
    if args.ca.is_none() && !path.is_file() {
        return Ok(None);
    }
    // A CA certificate is a few KB: the same ceiling as every small file the CLI reads.
    let der = crate::input::read_file(&path, crate::input::SMALL_FILE)?;
    JpkiTrust::new(vec![der])
        .map(Some)
        .map_err(|e| CliError::BadArgument(format!("--ca {}: {e}", path.display())))
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
    let trust = trust_for(args)?;
    let mut card = open(args, data_dir)?;
    let mut session = CardSession::new(card.as_mut());
    let status = session.status()?;
    let checked = trust.map(|t| t.check(&status.certificate, now));
    let facts = match &pin {
        Some(p) => Some(session.basic_four(p, last_try(args.last_try))?),
        None => None,
    };
    let apdus = session.apdus();
    let extended = session.extended();
    let raw_subject = techo_core::card::cert::subject_of(&status.certificate).unwrap_or_default();
    let subject = match &checked {
        Some(Ok(c)) => c.subject.clone(),
        Some(Err(e)) => format!("{raw_subject} — {e}"),
        None => format!("{raw_subject} (not checked: give the JPKI CA with --ca)"),
    };
    if json {
        print_json(&serde_json::json!({
            "certificate_subject": subject,
            "certificate_valid": matches!(checked, Some(Ok(_))),
            "tries_left": status.tries_left,
            "basic_four": facts.as_ref().map(|f| serde_json::json!({
                "name": f.name, "address": f.address, "birth_date": f.birth_date, "sex": f.sex.as_str(),
            })),
            "apdus": apdus,
            "extended_length": extended,
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
        if extended { "extended length" } else { "short" }
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
    let trust = trust_for(args)?;
    let mut card = open(args, data_dir)?;
    let mut session = CardSession::new(card.as_mut());
    let challenge = b"techo card trace: test challenge";
    let result = session.linkage_read(&pin, challenge, last_try(args.last_try));
    print_trace(session.trace());
    let proof = result?;
    out!("{} {}", lang.pick("APDU 数:", "APDUs:"), proof.apdus);
    if let Some(t) = trust {
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
        #[allow(clippy::cast_precision_loss)] // microseconds of one APDU
        let ms = t.micros as f64 / 1000.0;
        out!(
            "    {:<32} < {} bytes, SW {sw}, {ms:.1} ms",
            "",
            t.response_len
        );
    }
}

impl From<CardError> for CliError {
    fn from(e: CardError) -> Self {
        CliError::Card(e)
    }
}
