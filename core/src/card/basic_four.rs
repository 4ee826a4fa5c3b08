//! The basic four facts (基本4情報: name, address, birth date, sex) from the card-info-input-support
//! applet, used to pre-fill registration.
//!
//! Layout: `FF 20 len { DF 21 offsets, DF 22 name, DF 23 address, DF 24 birth (YYYYMMDD),
//! DF 25 sex }`, BER lengths (one, two or three bytes: a long address makes the record longer
//! than one short READ BINARY), UTF-8 text. The offsets item gives, two bytes each, where the
//! four items start inside the record; the parser walks the items instead, as public readers do.

use super::ber;
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
    /// A code this reader does not know: shown as unknown, never a failed read.
    Unknown,
}

impl Sex {
    pub fn label(self, lang: crate::Lang) -> &'static str {
        match self {
            Sex::Male => lang.pick("男", "male"),
            Sex::Female => lang.pick("女", "female"),
            Sex::Other => lang.pick("その他", "other"),
            Sex::Unknown => lang.pick("不明", "unknown"),
        }
    }

    /// The word the bindings use.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::Other => "9",
            Sex::Unknown => "0",
        }
    }

    fn from_code(code: &[u8]) -> Sex {
        match code {
            b"1" => Sex::Male,
            b"2" => Sex::Female,
            b"3" | b"9" => Sex::Other,
            _ => Sex::Unknown,
        }
    }
}

/// The record's full length from its first bytes (tag `FF 20` and a BER length), so a reader
/// knows how many bytes to ask for; `None` until the header is complete or when it is not one.
pub fn record_length(head: &[u8]) -> Option<usize> {
    super::ber::item_length(head, &[0xFF, 0x20])
}

/// Reads one BER TLV with a two-byte tag; returns (tag, value, rest).
fn tlv(b: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let tag = u16::from_be_bytes([*b.first()?, *b.get(1)?]);
    let (len, took) = ber::length(b.get(2..)?)?;
    let head = 2 + took;
    let value = b.get(head..head.checked_add(len)?)?;
    Some((tag, value, &b[head + len..]))
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
                0xDF25 => sex = Some(Sex::from_code(value)),
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
        self.encode_with_sex_code(self.sex.code().as_bytes())
    }

    /// Encodes with a raw sex code (a software card can carry a code this reader does not know).
    pub fn encode_with_sex_code(&self, sex_code: &[u8]) -> Vec<u8> {
        let birth = self.birth_date.format("%Y%m%d").to_string();
        let fields: [(u16, &[u8]); 4] = [
            (0xDF22, self.name.as_bytes()),
            (0xDF23, self.address.as_bytes()),
            (0xDF24, birth.as_bytes()),
            (0xDF25, sex_code),
        ];
        let item = |tag: u16, value: &[u8]| {
            let mut out = tag.to_be_bytes().to_vec();
            out.extend(ber::encode_length(value.len()));
            out.extend_from_slice(value);
            out
        };
        let items: Vec<Vec<u8>> = fields.iter().map(|(t, v)| item(*t, v)).collect();
        let offsets_item_len = 3 + 8;
        let body_len = offsets_item_len + items.iter().map(Vec::len).sum::<usize>();
        let header_len = 2 + ber::encode_length(body_len).len();
        // Where each of the four items starts, counted from the first byte of the record.
        let mut offsets = Vec::with_capacity(8);
        let mut at = header_len + offsets_item_len;
        for i in &items {
            offsets.extend_from_slice(&u16::try_from(at).unwrap_or(u16::MAX).to_be_bytes());
            at += i.len();
        }
        let mut out = vec![0xFF, 0x20];
        out.extend(ber::encode_length(body_len));
        out.extend(item(0xDF21, &offsets));
        for i in items {
            out.extend(i);
        }
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
        assert!(enc.len() > 256, "a long address needs a two-byte length");
        assert_eq!(record_length(&enc), Some(enc.len()));
        assert_eq!(record_length(&enc[..4]), None);
    }

    #[test]
    fn offsets_point_at_each_item_and_unknown_sex_codes_read_as_unknown() {
        let b = BasicFour {
            name: "田中 花子".into(),
            address: "大阪府".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 1, 2).unwrap(),
            sex: Sex::Female,
        };
        let enc = b.encode();
        let (_, inner, _) = tlv(&enc).unwrap();
        let (tag, offsets, _) = tlv(inner).unwrap();
        assert_eq!(tag, 0xDF21);
        let tags: Vec<[u8; 2]> = offsets
            .chunks(2)
            .map(|o| {
                let at = usize::from(u16::from_be_bytes([o[0], o[1]]));
                [enc[at], enc[at + 1]]
            })
            .collect();
        assert_eq!(
            tags,
            [[0xDF, 0x22], [0xDF, 0x23], [0xDF, 0x24], [0xDF, 0x25]]
        );
        for code in [&b"0"[..], b"7", b"", "男".as_bytes()] {
            let read = BasicFour::parse(&b.encode_with_sex_code(code)).unwrap();
            assert_eq!(read.sex, Sex::Unknown, "{code:?}");
        }
    }
}
