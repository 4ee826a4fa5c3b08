//! The card's behaviour: applets, files, PINs with persistent retry counters, signing, and the
//! faults tests ask for.

use crate::apdu_in::{Incoming, parse};
use crate::profile::{CardProfile, ProfileError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use techo_core::card::jpki::{
    AUTH_CERT_EF, AUTH_KEY_EF, AUTH_PIN_EF, BASIC_FOUR_EF, CARD_INFO_AID, CARD_INFO_PIN_EF,
    JPKI_AID, SIGN_CERT_EF, SIGN_KEY_EF, SIGN_PIN_EF,
};
use techo_core::card::{Capabilities, CardTransport, TransportError};

/// Faults and reader properties a test can ask for. APDU numbers count from 1.
// Independent switches a test combines freely, not states of one machine.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// Reader and card support extended-length APDUs.
    pub extended: bool,
    /// The card leaves the field while answering APDU number n (after processing it, the worst
    /// case for a VERIFY), and stays away.
    pub remove_at: Option<usize>,
    /// APDU number n gets random-looking bytes instead of a response.
    pub garbage_at: Option<usize>,
    /// APDU number n gets this status word instead of its real answer.
    pub status_at: Option<(usize, u16)>,
    /// Answer READ BINARY like a T=0 card: `61 xx`, then the data on GET RESPONSE.
    pub t0_get_response: bool,
    /// Answer `6C xx` when Le asks for more than the file has left.
    pub strict_le: bool,
    /// Sleep this long per APDU (for UI and timeout tests).
    pub latency: Option<Duration>,
    /// The reader says it carries extended length but the card answers `67 00` to every
    /// extended APDU (seen with some phone and card pairings).
    pub card_refuses_extended: bool,
    /// The transport's largest APDU, each way (`IsoDep.getMaxTransceiveLength`): longer commands
    /// or responses fail in the transport, as on a phone.
    pub max_transceive: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Counters {
    #[serde(rename = "auth_tries")]
    auth: u8,
    #[serde(rename = "info_tries")]
    info: u8,
    /// State files written before cards had signing keys lack it: a fresh count.
    #[serde(rename = "sign_tries", default = "full_sign_tries")]
    sign: u8,
}

/// Which PINs were verified since the applet was selected.
#[derive(Debug, Clone, Copy, Default)]
struct Verified {
    auth: bool,
    info: bool,
    sign: bool,
}

fn full_sign_tries() -> u8 {
    SIGN_MAX_TRIES
}

/// Which PIN a VERIFY names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PinKind {
    Auth,
    Info,
    Sign,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applet {
    None,
    Jpki,
    CardInfo,
}

const MAX_TRIES: u8 = 3;
const SIGN_MAX_TRIES: u8 = 5;
/// EF 000A is a fixed-size file; the certificate is followed by padding.
const CERT_EF_SIZE: usize = 2048;

pub struct SoftCard {
    profile: CardProfile,
    options: SimOptions,
    state_path: Option<PathBuf>,
    counters: Counters,
    applet: Applet,
    current_ef: Option<u16>,
    verified: Verified,
    pending: Vec<u8>,
    count: usize,
    removed: bool,
}

impl std::fmt::Debug for SoftCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SoftCard({}, {:?}, {} APDUs)",
            self.profile.name, self.counters, self.count
        )
    }
}

impl SoftCard {
    /// Loads a card folder. `state` keeps its retry counters between taps (created from the
    /// card's starting counters when missing); `None` keeps them in memory only.
    pub fn open(
        dir: &Path,
        state: Option<&Path>,
        options: SimOptions,
    ) -> Result<Self, ProfileError> {
        let profile = CardProfile::load(dir)?;
        let fresh = Counters {
            auth: profile.auth_tries,
            info: profile.info_tries,
            sign: profile.signing.as_ref().map_or(SIGN_MAX_TRIES, |s| s.tries),
        };
        let counters = match state {
            None => fresh,
            Some(p) => Self::stored_counters(p, fresh)?,
        };
        let card = Self {
            profile,
            options,
            state_path: state.map(Path::to_owned),
            counters,
            applet: Applet::None,
            current_ef: None,
            verified: Verified::default(),
            pending: Vec::new(),
            count: 0,
            removed: false,
        };
        card.save();
        Ok(card)
    }

    pub fn profile(&self) -> &CardProfile {
        &self.profile
    }

    /// A new tap: the card powers up again (selection and PIN state reset, counters kept).
    pub fn tap_again(&mut self, options: SimOptions) {
        self.options = options;
        self.applet = Applet::None;
        self.current_ef = None;
        self.verified = Verified::default();
        self.pending.clear();
        self.count = 0;
        self.removed = false;
    }

    /// Powered up again by a reader (a new tap with the same options).
    pub fn power_up(&mut self) {
        self.tap_again(self.options.clone());
    }

    pub fn auth_tries_left(&self) -> u8 {
        self.counters.auth
    }

    pub fn sign_tries_left(&self) -> u8 {
        self.counters.sign
    }

    pub fn apdus(&self) -> usize {
        self.count
    }

    /// The counters kept in `path`: `fresh` when there is no file yet; an error, never a reset,
    /// when the file is damaged (a real card's counters cannot be wiped by a bad file), and never
    /// more tries than the card starts with.
    fn stored_counters(path: &Path, fresh: Counters) -> Result<Counters, ProfileError> {
        let damaged = |why: String| ProfileError::DamagedState {
            path: path.to_owned(),
            why,
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(fresh),
            Err(e) => return Err(damaged(e.to_string())),
        };
        let stored: Counters =
            serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
        Ok(Counters {
            auth: stored.auth.min(fresh.auth),
            info: stored.info.min(fresh.info),
            sign: stored.sign.min(fresh.sign),
        })
    }

    /// Written to a new file and renamed into place: a crash never leaves half a file.
    fn save(&self) {
        if let Some(p) = &self.state_path {
            if let Ok(json) = serde_json::to_vec(&self.counters) {
                let _ = techo_core::private_file::write_private(p, &json);
            }
        }
    }

    fn file(&self, ef: u16) -> Option<Vec<u8>> {
        match (self.applet, ef) {
            (Applet::Jpki, AUTH_CERT_EF) => {
                let mut f = self.profile.certificate.clone();
                f.resize(CERT_EF_SIZE.max(f.len()), 0xFF);
                Some(f)
            }
            (Applet::Jpki, SIGN_CERT_EF) => self.profile.signing.as_ref().map(|s| {
                let mut f = s.certificate.clone();
                f.resize(CERT_EF_SIZE.max(f.len()), 0xFF);
                f
            }),
            (Applet::CardInfo, BASIC_FOUR_EF) => Some(self.profile.basic_four_record.clone()),
            _ => None,
        }
    }

    fn ef_exists(&self, ef: u16) -> bool {
        match self.applet {
            // A card without a signing certificate has no signing files at all.
            Applet::Jpki => {
                matches!(
                    ef,
                    0x0002 | AUTH_CERT_EF | 0x000B | AUTH_KEY_EF | AUTH_PIN_EF
                ) || (self.profile.signing.is_some()
                    && matches!(ef, SIGN_CERT_EF | SIGN_KEY_EF | SIGN_PIN_EF))
            }
            Applet::CardInfo => matches!(ef, 0x0001 | BASIC_FOUR_EF | CARD_INFO_PIN_EF),
            Applet::None => false,
        }
    }

    fn respond(data: Vec<u8>, sw: u16) -> Vec<u8> {
        let mut out = data;
        out.extend_from_slice(&sw.to_be_bytes());
        out
    }

    fn process(&mut self, cmd: &Incoming) -> Vec<u8> {
        if cmd.extended && (!self.options.extended || self.options.card_refuses_extended) {
            return Self::respond(Vec::new(), 0x6700);
        }
        match (cmd.cla, cmd.ins) {
            (0x00, 0xA4) => self.select(cmd),
            (0x00, 0xB0) => self.read_binary(cmd),
            (0x00, 0x20) => self.verify(cmd),
            (0x80, 0x2A) => self.sign(cmd),
            (0x00, 0xC0) => {
                let n = cmd.le.unwrap_or(256).min(self.pending.len());
                let data: Vec<u8> = self.pending.drain(..n).collect();
                let sw = if self.pending.is_empty() {
                    0x9000
                } else {
                    0x6100 | u16::try_from(self.pending.len().min(255)).unwrap_or(0)
                };
                Self::respond(data, sw)
            }
            (0x00 | 0x80, _) => Self::respond(Vec::new(), 0x6D00),
            _ => Self::respond(Vec::new(), 0x6E00),
        }
    }

    fn select(&mut self, cmd: &Incoming) -> Vec<u8> {
        match (cmd.p1, cmd.p2) {
            (0x04, 0x0C) => {
                let applet = if cmd.data == JPKI_AID {
                    Applet::Jpki
                } else if cmd.data == CARD_INFO_AID {
                    Applet::CardInfo
                } else {
                    return Self::respond(Vec::new(), 0x6A82);
                };
                self.applet = applet;
                self.current_ef = None;
                self.verified = Verified::default();
                Self::respond(Vec::new(), 0x9000)
            }
            (0x02, 0x0C) => {
                match <[u8; 2]>::try_from(cmd.data.as_slice()).map(u16::from_be_bytes) {
                    Ok(ef) if self.ef_exists(ef) => {
                        self.current_ef = Some(ef);
                        Self::respond(Vec::new(), 0x9000)
                    }
                    Ok(_) => Self::respond(Vec::new(), 0x6A82),
                    Err(_) => Self::respond(Vec::new(), 0x6700),
                }
            }
            _ => Self::respond(Vec::new(), 0x6A86),
        }
    }

    fn read_binary(&mut self, cmd: &Incoming) -> Vec<u8> {
        let (ef, offset) = if cmd.p1 & 0x80 != 0 {
            let ef = u16::from(cmd.p1 & 0x1F);
            if !self.ef_exists(ef) {
                return Self::respond(Vec::new(), 0x6A82);
            }
            if self.profile.sfi_sets_current_ef {
                self.current_ef = Some(ef);
            }
            (ef, usize::from(cmd.p2))
        } else {
            match self.current_ef {
                Some(ef) => (ef, usize::from(u16::from_be_bytes([cmd.p1, cmd.p2]))),
                None => return Self::respond(Vec::new(), 0x6986),
            }
        };
        // The basic four facts and the signing certificate (it names the holder) need a PIN.
        if (self.applet == Applet::CardInfo && !self.verified.info)
            || (self.applet == Applet::Jpki && ef == SIGN_CERT_EF && !self.verified.sign)
        {
            return Self::respond(Vec::new(), 0x6982);
        }
        let Some(file) = self.file(ef) else {
            return Self::respond(Vec::new(), 0x6981);
        };
        if offset >= file.len() {
            return Self::respond(Vec::new(), 0x6B00);
        }
        let left = file.len() - offset;
        let le = cmd.le.unwrap_or(256);
        if self.options.strict_le && le > left {
            return Self::respond(
                Vec::new(),
                0x6C00 | u16::try_from(left.min(255)).unwrap_or(0),
            );
        }
        let data = file[offset..offset + le.min(left)].to_vec();
        let sw = if le > left { 0x6282 } else { 0x9000 };
        if self.options.t0_get_response && !data.is_empty() {
            let n = data.len();
            self.pending = data;
            return Self::respond(Vec::new(), 0x6100 | u16::try_from(n.min(255)).unwrap_or(0));
        }
        Self::respond(data, sw)
    }

    fn pin_ref(&self, p2: u8) -> Option<PinKind> {
        let ef = if p2 == 0x80 {
            self.current_ef?
        } else {
            u16::from(p2 & 0x1F)
        };
        if !self.ef_exists(ef) {
            return None;
        }
        match (self.applet, ef) {
            (Applet::Jpki, AUTH_PIN_EF) => Some(PinKind::Auth),
            (Applet::Jpki, SIGN_PIN_EF) => Some(PinKind::Sign),
            (Applet::CardInfo, CARD_INFO_PIN_EF) => Some(PinKind::Info),
            _ => None,
        }
    }

    fn pin_state(&mut self, kind: PinKind) -> (&mut u8, &mut bool, u8, Option<&[u8]>) {
        match kind {
            PinKind::Auth => (
                &mut self.counters.auth,
                &mut self.verified.auth,
                MAX_TRIES,
                Some(self.profile.pin.as_bytes()),
            ),
            PinKind::Info => (
                &mut self.counters.info,
                &mut self.verified.info,
                MAX_TRIES,
                Some(self.profile.pin.as_bytes()),
            ),
            PinKind::Sign => (
                &mut self.counters.sign,
                &mut self.verified.sign,
                SIGN_MAX_TRIES,
                self.profile.signing.as_ref().map(|s| s.pin.as_bytes()),
            ),
        }
    }

    fn verify(&mut self, cmd: &Incoming) -> Vec<u8> {
        let Some(kind) = (cmd.p2 & 0x80 != 0).then(|| self.pin_ref(cmd.p2)).flatten() else {
            return Self::respond(Vec::new(), 0x6A88);
        };
        let blocked_sw = self.profile.blocked_sw;
        let (tries, verified, full, secret) = self.pin_state(kind);
        if *tries == 0 {
            return Self::respond(Vec::new(), blocked_sw);
        }
        if cmd.data.is_empty() {
            let sw = if *verified {
                0x9000
            } else {
                0x63C0 | u16::from(*tries)
            };
            return Self::respond(Vec::new(), sw);
        }
        let ok = secret == Some(cmd.data.as_slice());
        *tries = if ok { full } else { *tries - 1 };
        *verified = ok;
        let left = *tries;
        // The counter is written before the answer leaves the card, as on real cards.
        self.save();
        Self::respond(
            Vec::new(),
            if ok { 0x9000 } else { 0x63C0 | u16::from(left) },
        )
    }

    fn sign(&mut self, cmd: &Incoming) -> Vec<u8> {
        if (cmd.p1, cmd.p2) != (0x00, 0x80) {
            return Self::respond(Vec::new(), 0x6A86);
        }
        let key = match (self.applet, self.current_ef) {
            (Applet::Jpki, Some(AUTH_KEY_EF)) if self.verified.auth => &self.profile.key,
            (Applet::Jpki, Some(SIGN_KEY_EF)) if self.verified.sign => {
                match self.profile.signing.as_ref() {
                    Some(s) => &s.key,
                    None => return Self::respond(Vec::new(), 0x6A88),
                }
            }
            _ => return Self::respond(Vec::new(), 0x6982),
        };
        if cmd.data.is_empty() || cmd.data.len() > 245 {
            return Self::respond(Vec::new(), 0x6A80);
        }
        match key.sign(rsa::Pkcs1v15Sign::new_unprefixed(), &cmd.data) {
            Ok(sig) => Self::respond(sig, 0x9000),
            Err(_) => Self::respond(Vec::new(), 0x6F00),
        }
    }
}

impl CardTransport for SoftCard {
    fn capabilities(&self) -> Capabilities {
        Capabilities::with_extended_length(self.options.extended)
            .with_max_transceive(self.options.max_transceive.unwrap_or(0))
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.removed {
            return Err(TransportError::Removed);
        }
        let max = self.options.max_transceive.unwrap_or(usize::MAX);
        if apdu.len() > max {
            return Err(TransportError::Io(format!(
                "a {}-byte command exceeds the transport's {max}",
                apdu.len()
            )));
        }
        self.count += 1;
        if let Some(d) = self.options.latency {
            std::thread::sleep(d);
        }
        let answer = match parse(apdu) {
            Some(cmd) => self.process(&cmd),
            None => Self::respond(Vec::new(), 0x6700),
        };
        if self.options.remove_at == Some(self.count) {
            self.removed = true;
            return Err(TransportError::Removed);
        }
        if self.options.garbage_at == Some(self.count) {
            return Ok(vec![0x5A; self.count % 3]);
        }
        if let Some((n, sw)) = self.options.status_at {
            if n == self.count {
                return Ok(sw.to_be_bytes().to_vec());
            }
        }
        if answer.len() > max {
            return Err(TransportError::Io(format!(
                "a {}-byte response exceeds the transport's {max}",
                answer.len()
            )));
        }
        Ok(answer)
    }
}
