//! Lower-case hexadecimal, for ids, digests and keys shown to people.

use std::fmt::Write;

pub fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// `bytes` random bytes from the OS, as hex: ids, tokens, idempotency keys.
pub fn random(bytes: usize) -> String {
    encode(&random_bytes(bytes))
}

/// `n` random bytes from the OS (which only fails when it has no entropy source at all).
pub fn random_bytes(n: usize) -> Vec<u8> {
    use ring::rand::SecureRandom;
    let mut b = vec![0u8; n];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .expect("the OS random source works");
    b
}

/// Decodes hex (either case, surrounding whitespace ignored); `None` if it is not hex.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if t.len() % 2 != 0 || !t.is_ascii() {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
        .collect()
}

/// Compares two secrets (tokens, codes) through their SHA-256 digests without stopping at the
/// first difference, so neither the time taken nor the lengths say how close a guess was.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (da, db) = (
        ring::digest::digest(&ring::digest::SHA256, a.as_bytes()),
        ring::digest::digest(&ring::digest::SHA256, b.as_bytes()),
    );
    da.as_ref()
        .iter()
        .zip(db.as_ref())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        assert_eq!(super::encode(&[0, 0xAB, 0x10]), "00ab10");
        assert_eq!(super::decode(" 00AB10\n"), Some(vec![0, 0xAB, 0x10]));
        assert_eq!(super::decode("0"), None);
        assert_eq!(super::decode("zz"), None);
        assert_eq!(super::decode("é0"), None);
    }
}
