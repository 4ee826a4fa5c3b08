//! BER lengths as the card's files carry them: one byte below 128, else `81 n` or `82 hi lo`.
//! The certificate's DER header, the basic-four record's header and the items inside it are all
//! read with these.

/// The length at the start of `b`: (the value's length, the bytes the length took).
pub(crate) fn length(b: &[u8]) -> Option<(usize, usize)> {
    match *b.first()? {
        n if n < 0x80 => Some((usize::from(n), 1)),
        0x81 => Some((usize::from(*b.get(1)?), 2)),
        0x82 => Some((usize::from(u16::from_be_bytes([*b.get(1)?, *b.get(2)?])), 3)),
        _ => None,
    }
}

/// The whole length of an item that starts with `tag`, from its first bytes; `None` until the
/// header is complete, or when the item starts with another tag.
pub(crate) fn item_length(head: &[u8], tag: &[u8]) -> Option<usize> {
    let (len, took) = length(head.strip_prefix(tag)?)?;
    Some(tag.len() + took + len)
}

/// `n` as a BER length (at most `82 hi lo`).
pub(crate) fn encode_length(n: usize) -> Vec<u8> {
    match n {
        0..=0x7F => vec![u8::try_from(n).unwrap_or(0)],
        0x80..=0xFF => vec![0x81, u8::try_from(n).unwrap_or(0)],
        _ => {
            let [a, b] = u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes();
            vec![0x82, a, b]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_of_every_width_and_incomplete_headers() {
        assert_eq!(item_length(&[0x30, 0x05], &[0x30]), Some(7));
        assert_eq!(item_length(&[0x30, 0x81, 0x90], &[0x30]), Some(3 + 0x90));
        assert_eq!(
            item_length(&[0x30, 0x82, 0x06, 0x9E], &[0x30]),
            Some(4 + 1694)
        );
        assert_eq!(item_length(&[0xFF, 0x20, 0x82, 0x01], &[0xFF, 0x20]), None);
        assert_eq!(item_length(&[0x31, 0x05], &[0x30]), None);
        assert_eq!(item_length(&[0x30, 0x83, 0, 0, 1], &[0x30]), None);
        for n in [0, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF] {
            let enc = encode_length(n);
            assert_eq!(length(&enc), Some((n, enc.len())));
        }
    }
}
