//! ISO/IEC 7816-4 command and response APDUs: short and extended length, typed status words.

/// A command APDU. `le` is the number of response bytes expected (1..=65536), `None` for none.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    pub le: Option<u32>,
    /// The data is secret (a PIN): traces show it masked.
    pub secret: bool,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Command({})", self.trace_hex())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("{0} bytes of data do not fit a short APDU and the reader has no extended length")]
    DataTooLong(usize),
    #[error("Le {0} is outside 1..=65536")]
    BadLe(u32),
}

impl Command {
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
            secret: false,
        }
    }

    #[must_use]
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    #[must_use]
    pub fn with_le(mut self, le: u32) -> Self {
        self.le = Some(le);
        self
    }

    #[must_use]
    pub fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    /// Whether this command needs extended length (data over 255 bytes or Le over 256).
    pub fn needs_extended(&self) -> bool {
        self.data.len() > 255 || self.le.is_some_and(|le| le > 256)
    }

    /// Encodes in short form when possible, else extended (if `extended_ok`).
    pub fn encode(&self, extended_ok: bool) -> Result<Vec<u8>, EncodeError> {
        if let Some(le) = self.le {
            if le == 0 || le > 65_536 {
                return Err(EncodeError::BadLe(le));
            }
        }
        if self.data.len() > 65_535 || (self.needs_extended() && !extended_ok) {
            return Err(EncodeError::DataTooLong(self.data.len()));
        }
        let mut out = vec![self.cla, self.ins, self.p1, self.p2];
        if self.needs_extended() {
            if !self.data.is_empty() {
                let n = u16::try_from(self.data.len())
                    .map_err(|_| EncodeError::DataTooLong(self.data.len()))?;
                out.push(0);
                out.extend_from_slice(&n.to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                if self.data.is_empty() {
                    out.push(0);
                }
                // 65536 is written as 00 00.
                let le = u16::try_from(le % 65_536).unwrap_or(0);
                out.extend_from_slice(&le.to_be_bytes());
            }
        } else {
            if !self.data.is_empty() {
                out.push(u8::try_from(self.data.len()).unwrap_or(0));
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                // 256 is written as 00.
                out.push(u8::try_from(le % 256).unwrap_or(0));
            }
        }
        Ok(out)
    }

    /// Hex for traces, with secret data replaced by `**`.
    pub fn trace_hex(&self) -> String {
        let mut c = self.clone();
        if self.secret {
            c.data = vec![0; self.data.len()];
        }
        let bytes = c.encode(true).unwrap_or_default();
        let hex = crate::hex::encode(&bytes).to_uppercase();
        if self.secret && !self.data.is_empty() {
            let header = if self.needs_extended() { 14 } else { 10 };
            let masked = "**".repeat(self.data.len());
            let tail_start = header + self.data.len() * 2;
            format!(
                "{}{masked}{}",
                &hex[..header],
                hex.get(tail_start..).unwrap_or("")
            )
        } else {
            hex
        }
    }
}

/// The status words the driver acts on, named; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusWord {
    /// 90 00
    Ok,
    /// 61 xx: xx more bytes are waiting: send GET RESPONSE.
    MoreData(u8),
    /// 62 82: end of file reached before Le bytes.
    EndOfFile,
    /// 63 Cx: verification failed (or, with no data, the counter), x tries left.
    TriesLeft(u8),
    /// 67 00: wrong length.
    WrongLength,
    /// 69 82: security status not satisfied (PIN not verified).
    SecurityNotSatisfied,
    /// 69 83: authentication method blocked.
    Blocked,
    /// 69 84: referenced data not usable (real My Number cards answer this for a blocked PIN).
    DataUnusable,
    /// 69 85: conditions of use not satisfied.
    ConditionsNotSatisfied,
    /// 6A 81: function not supported.
    FunctionNotSupported,
    /// 6A 82: file or application not found.
    NotFound,
    /// 6A 88: referenced data (a PIN or key) not found.
    ReferenceNotFound,
    /// 6A 86 or 6B 00: incorrect parameters P1-P2.
    IncorrectParameters,
    /// 6C xx: wrong Le: re-issue with Le = xx.
    WrongLe(u8),
    /// 6D 00: instruction not supported.
    InsNotSupported,
    /// 6E 00: class not supported.
    ClaNotSupported,
    Other(u16),
}

impl StatusWord {
    pub fn from_bytes(sw1: u8, sw2: u8) -> Self {
        match (sw1, sw2) {
            (0x90, 0x00) => StatusWord::Ok,
            (0x61, n) => StatusWord::MoreData(n),
            (0x62, 0x82) => StatusWord::EndOfFile,
            (0x63, n) if n & 0xF0 == 0xC0 => StatusWord::TriesLeft(n & 0x0F),
            (0x67, 0x00) => StatusWord::WrongLength,
            (0x69, 0x82) => StatusWord::SecurityNotSatisfied,
            (0x69, 0x83) => StatusWord::Blocked,
            (0x69, 0x84) => StatusWord::DataUnusable,
            (0x69, 0x85) => StatusWord::ConditionsNotSatisfied,
            (0x6A, 0x81) => StatusWord::FunctionNotSupported,
            (0x6A, 0x82) => StatusWord::NotFound,
            (0x6A, 0x86) | (0x6B, 0x00) => StatusWord::IncorrectParameters,
            (0x6A, 0x88) => StatusWord::ReferenceNotFound,
            (0x6C, n) => StatusWord::WrongLe(n),
            (0x6D, 0x00) => StatusWord::InsNotSupported,
            (0x6E, 0x00) => StatusWord::ClaNotSupported,
            _ => StatusWord::Other(u16::from_be_bytes([sw1, sw2])),
        }
    }

    pub fn to_u16(self) -> u16 {
        match self {
            StatusWord::Ok => 0x9000,
            StatusWord::MoreData(n) => 0x6100 | u16::from(n),
            StatusWord::EndOfFile => 0x6282,
            StatusWord::TriesLeft(n) => 0x63C0 | u16::from(n & 0x0F),
            StatusWord::WrongLength => 0x6700,
            StatusWord::SecurityNotSatisfied => 0x6982,
            StatusWord::Blocked => 0x6983,
            StatusWord::DataUnusable => 0x6984,
            StatusWord::ConditionsNotSatisfied => 0x6985,
            StatusWord::FunctionNotSupported => 0x6A81,
            StatusWord::NotFound => 0x6A82,
            StatusWord::IncorrectParameters => 0x6A86,
            StatusWord::ReferenceNotFound => 0x6A88,
            StatusWord::WrongLe(n) => 0x6C00 | u16::from(n),
            StatusWord::InsNotSupported => 0x6D00,
            StatusWord::ClaNotSupported => 0x6E00,
            StatusWord::Other(v) => v,
        }
    }
}

impl std::fmt::Display for StatusWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04X}", self.to_u16())
    }
}

/// A response APDU: data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: StatusWord,
}

impl Response {
    /// Splits the trailing status word off; fewer than two bytes is not a response.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let (data, sw) = bytes.split_at_checked(bytes.len().checked_sub(2)?)?;
        Some(Self {
            data: data.to_vec(),
            sw: StatusWord::from_bytes(sw[0], sw[1]),
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        out.extend_from_slice(&self.sw.to_u16().to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_extended_encodings() {
        let select = Command::new(0, 0xA4, 4, 0x0C).with_data(vec![0xD3, 0x92]);
        assert_eq!(
            select.encode(false).unwrap(),
            vec![0, 0xA4, 4, 0x0C, 2, 0xD3, 0x92]
        );
        let read = Command::new(0, 0xB0, 0x8A, 0).with_le(256);
        assert_eq!(read.encode(false).unwrap(), vec![0, 0xB0, 0x8A, 0, 0]);
        let read_ext = Command::new(0, 0xB0, 0x8A, 0).with_le(65_536);
        assert_eq!(
            read_ext.encode(true).unwrap(),
            vec![0, 0xB0, 0x8A, 0, 0, 0, 0]
        );
        assert!(read_ext.encode(false).is_err());
        let big = Command::new(0x80, 0x2A, 0, 0x80)
            .with_data(vec![1; 300])
            .with_le(256);
        let enc = big.encode(true).unwrap();
        assert_eq!(&enc[..7], &[0x80, 0x2A, 0, 0x80, 0, 0x01, 0x2C]);
        assert_eq!(&enc[enc.len() - 2..], &[0x01, 0x00]);
        let case1 = Command::new(0, 0x20, 0, 0x98);
        assert_eq!(case1.encode(false).unwrap(), vec![0, 0x20, 0, 0x98]);
    }

    #[test]
    fn status_words_round_trip() {
        for v in [
            0x9000u16, 0x6110, 0x6282, 0x63C2, 0x6700, 0x6982, 0x6983, 0x6984, 0x6985, 0x6A81,
            0x6A82, 0x6A86, 0x6C20, 0x6D00, 0x6E00, 0x6F00,
        ] {
            let [a, b] = v.to_be_bytes();
            assert_eq!(StatusWord::from_bytes(a, b).to_u16(), v);
        }
        assert_eq!(StatusWord::from_bytes(0x63, 0xC1), StatusWord::TriesLeft(1));
        assert_eq!(
            StatusWord::from_bytes(0x63, 0x00),
            StatusWord::Other(0x6300)
        );
    }

    #[test]
    fn pins_are_masked_in_traces() {
        let verify = Command::new(0, 0x20, 0, 0x98)
            .with_data(b"1234".to_vec())
            .secret();
        assert_eq!(verify.trace_hex(), "0020009804********");
        assert!(!format!("{verify:?}").contains("31323334"));
    }

    #[test]
    fn responses_need_a_status_word() {
        assert!(Response::parse(&[0x90]).is_none());
        let r = Response::parse(&[1, 2, 0x90, 0]).unwrap();
        assert_eq!((r.data.as_slice(), r.sw), (&[1u8, 2][..], StatusWord::Ok));
    }
}
