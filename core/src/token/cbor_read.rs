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

/// Whether `bytes` is exactly one CBOR item in the deterministic encoding Techo signs (RFC 8949
/// §4.2.1): definite lengths, integers and lengths in their shortest form, map keys in
/// ascending order of their encoded bytes with no repeats. Signed bytes must be in this form, so
/// one statement has one encoding.
pub fn is_deterministic(bytes: &[u8]) -> bool {
    let Ok((value, end)) = read_item(bytes, 0, "") else {
        return false;
    };
    end == bytes.len() && keys_in_order(&value) && encode(&value).as_deref() == Some(bytes)
}

fn encode(v: &Value) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).ok()?;
    Some(out)
}

fn keys_in_order(v: &Value) -> bool {
    match v {
        Value::Map(entries) => {
            let keys: Option<Vec<Vec<u8>>> = entries.iter().map(|(k, _)| encode(k)).collect();
            keys.is_some_and(|k| k.windows(2).all(|w| w[0] < w[1]))
                && entries
                    .iter()
                    .all(|(k, v)| keys_in_order(k) && keys_in_order(v))
        }
        Value::Array(items) => items.iter().all(keys_in_order),
        Value::Tag(_, inner) => keys_in_order(inner),
        _ => true,
    }
}

pub fn uint(v: &Value) -> Option<u64> {
    v.as_integer().and_then(|i| u64::try_from(i).ok())
}
