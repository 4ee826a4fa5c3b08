//! A software My Number card on a loopback socket, speaking the vpcd protocol.
//!
//!   techo-card-sim --card fixtures/cards/yamada [--state FILE] [--short] --listen 127.0.0.1:0
//!       waits for readers (a test's own transport); prints `listening on 127.0.0.1:PORT`;
//!       each connection is one tap of the card.
//!   techo-card-sim --card fixtures/cards/yamada [--state FILE] --connect 127.0.0.1:35963
//!       connects to pcscd's vpcd reader, which then shows the card to PC/SC applications.
//!
//! Only loopback addresses are accepted: the card never talks to another machine.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use techo_sim::{SimOptions, SoftCard, vpcd};

struct Args {
    card: PathBuf,
    state: Option<PathBuf>,
    extended: bool,
    listen: Option<SocketAddr>,
    connect: Option<SocketAddr>,
}

const USAGE: &str =
    "usage: techo-card-sim --card DIR [--state FILE] [--short] (--listen ADDR | --connect ADDR)";

fn loopback(flag: &str, value: Option<String>) -> Result<SocketAddr, String> {
    let value = value.ok_or_else(|| format!("{flag} needs an address such as 127.0.0.1:0"))?;
    let addr: SocketAddr = value
        .parse()
        .map_err(|_| format!("{flag} {value}: not an address such as 127.0.0.1:0"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{flag} {value}: only loopback addresses (127.0.0.1, ::1) are allowed"
        ));
    }
    Ok(addr)
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut args = Args {
        card: PathBuf::new(),
        state: None,
        extended: true,
        listen: None,
        connect: None,
    };
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--card" => args.card = it.next().ok_or("--card needs a folder")?.into(),
            "--state" => args.state = Some(it.next().ok_or("--state needs a file")?.into()),
            "--short" => args.extended = false,
            "--listen" => args.listen = Some(loopback("--listen", it.next())?),
            "--connect" => args.connect = Some(loopback("--connect", it.next())?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if args.card.as_os_str().is_empty() || args.listen.is_some() == args.connect.is_some() {
        return Err(USAGE.into());
    }
    Ok(args)
}

fn run(args: &Args) -> Result<(), String> {
    let options = SimOptions {
        extended: args.extended,
        ..SimOptions::default()
    };
    let mut card = SoftCard::open(&args.card, args.state.as_deref(), options)
        .map_err(|e| format!("{}: {e}", args.card.display()))?;
    if let Some(addr) = args.connect {
        let mut stream = TcpStream::connect(addr)
            .map_err(|e| format!("cannot reach the reader at {addr}: {e}"))?;
        return vpcd::serve(&mut card, &mut stream).map_err(|e| e.to_string());
    }
    let listener =
        TcpListener::bind(args.listen.ok_or(USAGE)?).map_err(|e| format!("cannot listen: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {local}").map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    for stream in listener.incoming() {
        let mut stream = stream.map_err(|e| e.to_string())?;
        card.power_up();
        if let Err(e) = vpcd::serve(&mut card, &mut stream) {
            eprintln!("techo-card-sim: a reader connection ended badly: {e}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("techo-card-sim: {e}");
            ExitCode::from(2)
        }
    }
}
