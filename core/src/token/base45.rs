//! Base45 (RFC 9285): bytes as QR alphanumeric characters.

const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() / 2 * 3 + 2);
    for pair in bytes.chunks(2) {
        let (mut n, digits) = match *pair {
            [a, b] => (u32::from(a) * 256 + u32::from(b), 3),
            [a] => (u32::from(a), 2),
            _ => unreachable!("chunks(2) yields one or two bytes"),
        };
        for _ in 0..digits {
            out.push(char::from(ALPHABET[(n % 45) as usize]));
            n /= 45;
        }
    }
    out
}

/// Decodes Base45; on failure returns the offset of the offending character.
pub fn decode(text: &str) -> Result<Vec<u8>, usize> {
    let values: Vec<u32> = text
        .bytes()
        .enumerate()
        .map(|(i, c)| {
            ALPHABET
                .iter()
                .position(|a| *a == c)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or(i)
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(values.len() / 3 * 2 + 1);
    for (k, group) in values.chunks(3).enumerate() {
        match *group {
            [c, d, e] => {
                let n = c + d * 45 + e * 2025;
                let hi = u8::try_from(n >> 8).map_err(|_| k * 3)?;
                out.push(hi);
                out.push((n & 0xFF) as u8);
            }
            [c, d] => out.push(u8::try_from(c + d * 45).map_err(|_| k * 3)?),
            _ => return Err(k * 3),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9285_examples() {
        assert_eq!(encode(b"AB"), "BB8");
        assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(decode("QED8WEX0").unwrap(), b"ietf!");
        assert_eq!(decode("GGW"), Err(0), "65535+ is not a byte pair");
        assert_eq!(decode("a"), Err(0));
        assert_eq!(decode("BB8B"), Err(3));
    }
}
