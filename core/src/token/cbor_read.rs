//! Reading CBOR items from a byte sequence while keeping track of where each one starts, so
//! errors can say "malformed at byte N".

use ciborium::Value;

/// A malformed input: the byte offset (in the whole payload) and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub at: usize,
    pub what: &'static str,
}

/// Reads one CBOR item from `bytes[start..]`; returns the item and the offset just after it.
pub fn read_item(
    bytes: &[u8],
    start: usize,
    what: &'static str,
) -> Result<(Value, usize), Malformed> {
    let mut rest = bytes.get(start..).ok_or(Malformed { at: start, what })?;
    let before = rest.len();
    match ciborium::de::from_reader::<Value, _>(&mut rest) {
        Ok(v) => Ok((v, start + before - rest.len())),
        Err(ciborium::de::Error::Syntax(off)) => Err(Malformed {
            at: start + off,
            what,
        }),
        Err(ciborium::de::Error::Semantic(off, _)) => Err(Malformed {
            at: start + off.unwrap_or(0),
            what,
        }),
        Err(_) => Err(Malformed {
            at: bytes.len(),
            what,
        }),
    }
}

/// Integer-keyed map lookups with typed results.
#[derive(Debug)]
pub struct IntMap<'a> {
    entries: &'a [(Value, Value)],
}

impl<'a> IntMap<'a> {
    pub fn new(v: &'a Value) -> Option<Self> {
        v.as_map().map(|m| Self {
            entries: m.as_slice(),
        })
    }

    pub fn get(&self, key: i64) -> Option<&'a Value> {
        self.entries
            .iter()
            .find(|(k, _)| {
                k.as_integer()
                    .is_some_and(|i| i128::from(i) == i128::from(key))
            })
            .map(|(_, v)| v)
    }

    pub fn uint(&self, key: i64) -> Option<u64> {
        self.get(key)?
            .as_integer()
            .and_then(|i| u64::try_from(i).ok())
    }

    pub fn u32(&self, key: i64) -> Option<u32> {
        self.uint(key).and_then(|v| u32::try_from(v).ok())
    }

    pub fn bytes(&self, key: i64) -> Option<&'a [u8]> {
        self.get(key)?.as_bytes().map(Vec::as_slice)
    }

    pub fn text(&self, key: i64) -> Option<&'a str> {
        self.get(key)?.as_text()
    }

    /// Rejects duplicate keys, which would let two readers see different values.
    pub fn has_unique_keys(&self) -> bool {
        let keys: Vec<_> = self.entries.iter().map(|(k, _)| k).collect();
        keys.iter().enumerate().all(|(i, k)| !keys[..i].contains(k))
    }
}

pub fn uint(v: &Value) -> Option<u64> {
    v.as_integer().and_then(|i| u64::try_from(i).ok())
}
