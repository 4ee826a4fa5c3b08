//! Parsing command APDUs as a card does (short and extended forms).

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    /// Expected response length (256 or 65536 for a zero Le).
    pub le: Option<usize>,
    pub extended: bool,
}

/// `None`: not a well-formed APDU (the card answers 67 00).
pub fn parse(b: &[u8]) -> Option<Incoming> {
    let (&[cla, ins, p1, p2], body) = (b.first_chunk::<4>()?, &b[4..]);
    let mk = |data: Vec<u8>, le: Option<usize>, extended| {
        Some(Incoming {
            cla,
            ins,
            p1,
            p2,
            data,
            le,
            extended,
        })
    };
    match body {
        [] => mk(Vec::new(), None, false),
        [le] => mk(
            Vec::new(),
            Some(if *le == 0 { 256 } else { usize::from(*le) }),
            false,
        ),
        [0, hi, lo] => {
            let le = usize::from(u16::from_be_bytes([*hi, *lo]));
            mk(Vec::new(), Some(if le == 0 { 65_536 } else { le }), true)
        }
        [0, hi, lo, rest @ ..] if rest.len() >= 2 || (*hi, *lo) != (0, 0) => {
            let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
            if lc == 0 {
                return None;
            }
            let data = rest.get(..lc)?.to_vec();
            match &rest[lc..] {
                [] => mk(data, None, true),
                [a, b] => {
                    let le = usize::from(u16::from_be_bytes([*a, *b]));
                    mk(data, Some(if le == 0 { 65_536 } else { le }), true)
                }
                _ => None,
            }
        }
        [lc, rest @ ..] => {
            let lc = usize::from(*lc);
            if lc == 0 {
                return None;
            }
            let data = rest.get(..lc)?.to_vec();
            match &rest[lc..] {
                [] => mk(data, None, false),
                [le] => mk(
                    data,
                    Some(if *le == 0 { 256 } else { usize::from(*le) }),
                    false,
                ),
                _ => None,
            }
        }
    }
}
