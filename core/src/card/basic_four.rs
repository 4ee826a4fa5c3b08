//! The basic four facts (基本4情報: name, address, birth date, sex) from the card-info-input-support
//! applet, used to pre-fill registration.
//!
//! Layout: `FF 20 len { DF 21 offsets, DF 22 name, DF 23 address, DF 24 birth (YYYYMMDD),
//! DF 25 sex }`, BER lengths, UTF-8 text.

use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicFour {
    pub name: String,
    pub address: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
    Other,
}

impl Sex {
    pub fn label(self, lang: crate::Lang) -> &'static str {
        match self {
            Sex::Male => lang.pick("男", "male"),
            Sex::Female => lang.pick("女", "female"),
            Sex::Other => lang.pick("その他", "other"),
        }
    }

    fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::Other => "9",
        }
    }
}

/// Reads one BER TLV with a two-byte tag; returns (tag, value, rest).
fn tlv(b: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let tag = u16::from_be_bytes([*b.first()?, *b.get(1)?]);
    let (len, head): (usize, usize) = match *b.get(2)? {
        n if n < 0x80 => (usize::from(n), 3),
        0x81 => (usize::from(*b.get(3)?), 4),
        0x82 => (usize::from(u16::from_be_bytes([*b.get(3)?, *b.get(4)?])), 5),
        _ => return None,
    };
    let value = b.get(head..head.checked_add(len)?)?;
    Some((tag, value, &b[head + len..]))
}

fn ber_len(n: usize) -> Vec<u8> {
    match n {
        0..=0x7F => vec![u8::try_from(n).unwrap_or(0)],
        0x80..=0xFF => vec![0x81, u8::try_from(n).unwrap_or(0)],
        _ => {
            let [a, b] = u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes();
            vec![0x82, a, b]
        }
    }
}

impl BasicFour {
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let (tag, mut inner, _) = tlv(bytes)?;
        if tag != 0xFF20 {
            return None;
        }
        let (mut name, mut address, mut birth, mut sex) = (None, None, None, None);
        while !inner.is_empty() {
            let (tag, value, rest) = tlv(inner)?;
            let text = || std::str::from_utf8(value).ok().map(str::to_owned);
            match tag {
                0xDF21 => {}
                0xDF22 => name = text(),
                0xDF23 => address = text(),
                0xDF24 => birth = text().and_then(|t| NaiveDate::parse_from_str(&t, "%Y%m%d").ok()),
                0xDF25 => {
                    sex = match value {
                        b"1" => Some(Sex::Male),
                        b"2" => Some(Sex::Female),
                        b"3" | b"9" => Some(Sex::Other),
                        _ => None,
                    };
                }
                _ => return None,
            }
            inner = rest;
        }
        Some(Self {
            name: name?,
            address: address?,
            birth_date: birth?,
            sex: sex?,
        })
    }

    /// Encodes as the card stores it (the software card and tests use this).
    pub fn encode(&self) -> Vec<u8> {
        let birth = self.birth_date.format("%Y%m%d").to_string();
        let fields: [(u16, &[u8]); 4] = [
            (0xDF22, self.name.as_bytes()),
            (0xDF23, self.address.as_bytes()),
            (0xDF24, birth.as_bytes()),
            (0xDF25, self.sex.code().as_bytes()),
        ];
        let mut body = Vec::new();
        // Offsets: where each field starts inside the structure (kept for fidelity, not used).
        let offsets = vec![0u8; 8];
        body.extend_from_slice(&0xDF21u16.to_be_bytes());
        body.extend(ber_len(offsets.len()));
        body.extend(offsets);
        for (tag, value) in fields {
            body.extend_from_slice(&tag.to_be_bytes());
            body.extend(ber_len(value.len()));
            body.extend_from_slice(value);
        }
        let mut out = vec![0xFF, 0x20];
        out.extend(ber_len(body.len()));
        out.extend(body);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let b = BasicFour {
            name: "山田 太郎".into(),
            address: "東京都千代田区千代田1-1".repeat(8),
            birth_date: NaiveDate::from_ymd_opt(1979, 7, 20).unwrap(),
            sex: Sex::Male,
        };
        let enc = b.encode();
        assert_eq!(BasicFour::parse(&enc), Some(b));
        for cut in 0..enc.len() {
            assert!(BasicFour::parse(&enc[..cut]).is_none(), "cut at {cut}");
        }
        assert!(BasicFour::parse(&[0xFF, 0x20, 0x85]).is_none());
    }
}
