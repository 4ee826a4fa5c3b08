//! One card session: sends commands, follows `61 xx` (GET RESPONSE) and `6C xx` (re-send with
//! the right Le), keeps every APDU within what the transport says it carries, falls back to
//! short APDUs when a card refuses an extended one with `67 00`, and keeps a trace with PINs
//! masked.

use super::apdu::{Command, Response, StatusWord};
use super::error::CardError;
use super::transport::{CardTransport, TransportError};

/// One exchange, for `techo card trace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEntry {
    pub what: &'static str,
    pub command: String,
    pub response_len: usize,
    pub sw: Option<StatusWord>,
    /// Time from sending the command to the response, as the transport saw it (a real card's
    /// figures calibrate the tap model, docs/card.md).
    pub micros: u64,
}

pub struct Channel<'t> {
    transport: &'t mut dyn CardTransport,
    extended: bool,
    max_command: usize,
    max_response: usize,
    trace: Vec<TraceEntry>,
}

impl std::fmt::Debug for Channel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Channel(extended: {}, {} APDUs)",
            self.extended,
            self.trace.len()
        )
    }
}

/// Bounds on the follow-up exchanges one command may cause.
const MAX_FOLLOW_UPS: usize = 64;

impl<'t> Channel<'t> {
    pub fn new(transport: &'t mut dyn CardTransport) -> Self {
        let caps = transport.capabilities();
        Self {
            transport,
            extended: caps.extended_length,
            max_command: caps.max_command,
            max_response: caps.max_response.max(3),
            trace: Vec::new(),
        }
    }

    pub fn extended(&self) -> bool {
        self.extended
    }

    /// Largest Le worth asking for in one READ BINARY.
    pub fn max_le(&self) -> u32 {
        let cap = u32::try_from(self.max_response - 2).unwrap_or(65_536);
        if self.extended {
            cap.min(65_536)
        } else {
            cap.min(256)
        }
    }

    pub fn trace(&self) -> &[TraceEntry] {
        &self.trace
    }

    pub fn into_trace(self) -> Vec<TraceEntry> {
        self.trace
    }

    /// Number of APDUs exchanged so far.
    pub fn count(&self) -> usize {
        self.trace.len()
    }

    fn exchange(&mut self, what: &'static str, cmd: &Command) -> Result<Response, CardError> {
        let bytes = cmd
            .encode(self.extended)
            .map_err(|e| CardError::TooLong(e.to_string()))?;
        if bytes.len() > self.max_command {
            return Err(CardError::TooLong(format!(
                "{what} ({} bytes; the reader carries {})",
                bytes.len(),
                self.max_command
            )));
        }
        let mut entry = TraceEntry {
            what,
            command: cmd.trace_hex(),
            response_len: 0,
            sw: None,
            micros: 0,
        };
        let sent = std::time::Instant::now();
        let result = self.transport.transmit(&bytes);
        entry.micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
        let out = match result {
            Ok(raw) => {
                entry.response_len = raw.len();
                match Response::parse(&raw) {
                    Some(r) => {
                        entry.sw = Some(r.sw);
                        Ok(r)
                    }
                    None => Err(CardError::Malformed("a response without a status word")),
                }
            }
            Err(TransportError::Removed) => Err(CardError::Removed { during: what }),
            Err(e) => Err(e.into()),
        };
        self.trace.push(entry);
        out
    }

    /// Sends `cmd`, following GET RESPONSE and wrong-Le corrections, and returns the final data
    /// with the final status word.
    pub fn send(&mut self, what: &'static str, cmd: &Command) -> Result<Response, CardError> {
        let mut response = self.exchange(what, cmd)?;
        if response.sw == StatusWord::WrongLength && self.extended && cmd.needs_extended() {
            // The reader said extended length, the card does not take it: short APDUs from now
            // on, this command again with at most 256 bytes asked for (readers of files continue
            // in chunks, as they do on a short-only phone).
            if cmd.data.len() <= 255 {
                self.extended = false;
                let short = Command {
                    le: cmd.le.map(|le| le.min(256)),
                    ..cmd.clone()
                };
                response = self.exchange(what, &short)?;
            }
        }
        let mut data = Vec::new();
        for _ in 0..MAX_FOLLOW_UPS {
            match response.sw {
                StatusWord::WrongLe(n) => {
                    let le = if n == 0 { 256 } else { u32::from(n) };
                    let retry = Command {
                        le: Some(le),
                        ..cmd.clone()
                    };
                    response = self.exchange(what, &retry)?;
                }
                StatusWord::MoreData(n) => {
                    data.extend_from_slice(&response.data);
                    let le = if n == 0 { 256 } else { u32::from(n) };
                    let get = Command::new(0x00, 0xC0, 0x00, 0x00).with_le(le);
                    response = self.exchange("GET RESPONSE", &get)?;
                }
                _ => {
                    data.extend_from_slice(&response.data);
                    return Ok(Response {
                        data,
                        sw: response.sw,
                    });
                }
            }
        }
        Err(CardError::Malformed(
            "the card kept asking for more exchanges",
        ))
    }
}
