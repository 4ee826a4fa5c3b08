//! QR codes for presentations: byte mode or alphanumeric (Base45), whichever is smaller, at error
//! correction level M. The phones draw the module matrix; the CLI prints it or saves PNG / SVG.

use super::envelope::Payload;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel, Version};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrMode {
    /// Raw bytes after the `TK1` prefix.
    Binary,
    /// `TK1:` + Base45 in alphanumeric mode.
    Text,
}

/// A QR symbol ready to draw: `width × width` modules, `true` is dark. No quiet zone included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrImage {
    pub version: u8,
    pub mode: QrMode,
    pub width: usize,
    pub modules: Vec<bool>,
    /// Bytes (binary) or characters (text) encoded.
    pub data_len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the presentation ({0} bytes) does not fit in a QR code: disclose fewer claims")]
pub struct QrTooLarge(pub usize);

/// A presentation ready to show: the payload (for a site, a file or a paste) and its QR symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownCode {
    pub payload: Payload,
    pub qr: QrImage,
}

impl ShownCode {
    pub fn new(payload: Payload) -> Result<Self, QrTooLarge> {
        let qr = QrImage::for_payload(&payload)?;
        Ok(Self { payload, qr })
    }
}

/// The data bits for `data` in the smallest version at level M (no mask work yet).
fn bits(data: &[u8]) -> Option<qrcode::bits::Bits> {
    qrcode::bits::encode_auto(data, EcLevel::M).ok()
}

/// `data` as one byte-mode segment in the smallest version at level M. A binary presentation is
/// never split into segments of different modes: scanners hand over a byte segment's bytes as
/// encoded, but a mixed symbol ("TK1" alphanumeric, then bytes) comes out as text in whatever
/// character set the scanner guesses for the byte part.
fn byte_bits(data: &[u8]) -> Option<qrcode::bits::Bits> {
    (1..=40).find_map(|v| {
        let mut bits = qrcode::bits::Bits::new(Version::Normal(v));
        bits.push_byte_data(data).ok()?;
        bits.push_terminator(EcLevel::M).ok()?;
        Some(bits)
    })
}

const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// Lays out the symbol and picks the mask with the lowest ISO/IEC 18004 penalty, scoring the
/// candidates on plain booleans (much faster than the `qrcode` crate's own mask search).
fn symbol(bits: qrcode::bits::Bits, mode: QrMode, data_len: usize) -> Option<QrImage> {
    let version = bits.version();
    let Version::Normal(v) = version else {
        return None;
    };
    let (data, ec) =
        qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M).ok()?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    let width = usize::try_from(version.width()).ok()?;
    let modules = MASKS
        .iter()
        .map(|mask| {
            let mut c = canvas.clone();
            c.apply_mask(*mask);
            c.into_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect::<Vec<bool>>()
        })
        .min_by_key(|m| penalty(m, width))?;
    Some(QrImage {
        version: u8::try_from(v).ok()?,
        mode,
        width,
        modules,
        data_len,
    })
}

/// The four penalty rules of ISO/IEC 18004 §7.8.3.
fn penalty(m: &[bool], w: usize) -> u32 {
    let at = |x: usize, y: usize| m[y * w + x];
    let mut score = 0u32;
    for horizontal in [true, false] {
        for i in 0..w {
            let cell = |j: usize| if horizontal { at(j, i) } else { at(i, j) };
            // Rule 1: runs of five or more.
            let mut run = 1u32;
            for j in 1..w {
                if cell(j) == cell(j - 1) {
                    run += 1;
                } else {
                    if run >= 5 {
                        score += run - 2;
                    }
                    run = 1;
                }
            }
            if run >= 5 {
                score += run - 2;
            }
            // Rule 3: finder-like 1:1:3:1:1 with four light modules on one side.
            let mut window = 0u16;
            for j in 0..w + 4 {
                window = ((window << 1) | u16::from(j < w && cell(j))) & 0x7FF;
                if j >= 10 && (window == 0b101_1101_0000 || window == 0b000_0101_1101) {
                    score += 40;
                }
            }
        }
    }
    // Rule 2: 2×2 blocks of one colour.
    for y in 0..w - 1 {
        for x in 0..w - 1 {
            let c = at(x, y);
            if c == at(x + 1, y) && c == at(x, y + 1) && c == at(x + 1, y + 1) {
                score += 3;
            }
        }
    }
    // Rule 4: balance of dark and light.
    let dark = m.iter().filter(|d| **d).count();
    let percent = dark * 100 / m.len();
    score + u32::try_from(percent.abs_diff(50) / 5 * 10).unwrap_or(u32::MAX)
}

impl QrImage {
    /// Encodes both ways and keeps the smaller symbol (text on a tie: friendlier to scanners).
    pub fn for_payload(payload: &Payload) -> Result<Self, QrTooLarge> {
        let text = payload.text();
        let binary = payload.binary();
        let version = |b: &qrcode::bits::Bits| match b.version() {
            Version::Normal(v) => v,
            Version::Micro(_) => i16::MAX,
        };
        let chosen = match (bits(text.as_bytes()), byte_bits(&binary)) {
            (Some(t), Some(b)) if version(&b) < version(&t) => {
                Some((b, QrMode::Binary, binary.len()))
            }
            (Some(t), _) => Some((t, QrMode::Text, text.len())),
            (None, Some(b)) => Some((b, QrMode::Binary, binary.len())),
            (None, None) => None,
        };
        chosen
            .and_then(|(b, mode, len)| symbol(b, mode, len))
            .ok_or(QrTooLarge(payload.body.len()))
    }

    pub fn dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.modules[y * self.width + x]
    }

    /// Two rows per line with half-block characters, with a 2-module quiet zone, for terminals
    /// (light text on dark backgrounds and the reverse both scan: the code is drawn inverted).
    pub fn to_terminal(&self) -> String {
        const QUIET: usize = 2;
        let span = self.width + 2 * QUIET;
        let light = |x: usize, y: usize| match (x.checked_sub(QUIET), y.checked_sub(QUIET)) {
            (Some(x), Some(y)) => !self.dark(x, y),
            _ => true,
        };
        let mut out = String::with_capacity(span * span / 2 * 3);
        for y in (0..span).step_by(2) {
            for x in 0..span {
                // Inverted: light modules are drawn, dark ones left blank.
                out.push(match (light(x, y), light(x, y + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            out.push('\n');
        }
        out
    }

    /// An SVG with a 4-module quiet zone.
    pub fn to_svg(&self, module_px: usize) -> String {
        let size = (self.width + 8) * module_px;
        let mut path = String::new();
        for y in 0..self.width {
            for x in 0..self.width {
                if self.dark(x, y) {
                    let _ = write!(
                        path,
                        "M{} {}h{m}v{m}h-{m}z",
                        (x + 4) * module_px,
                        (y + 4) * module_px,
                        m = module_px
                    );
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" viewBox=\"0 0 {size} {size}\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>\n"
        )
    }

    /// Greyscale pixels (0 dark, 255 light) with a 4-module quiet zone, `module_px` per module.
    pub fn to_pixels(&self, module_px: usize) -> (usize, Vec<u8>) {
        let size = (self.width + 8) * module_px;
        let mut px = vec![255u8; size * size];
        for y in 0..self.width {
            for x in 0..self.width {
                if self.dark(x, y) {
                    for dy in 0..module_px {
                        let row = ((y + 4) * module_px + dy) * size;
                        let start = row + (x + 4) * module_px;
                        px[start..start + module_px].fill(0);
                    }
                }
            }
        }
        (size, px)
    }
}

/// What a QR symbol holds, from its data codewords (after error correction, before the data is
/// read): numeric, alphanumeric and byte segments in order, ECI designators skipped. For
/// scanners that hand over codewords rather than bytes (iOS's `CIQRCodeDescriptor`), so a
/// binary presentation reaches the verifier byte for byte. `None` for a mode or a length that
/// does not fit.
pub fn content_from_codewords(codewords: &[u8], version: u8) -> Option<Vec<u8>> {
    const ALNUM: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let mut pos = 0usize;
    let total = codewords.len() * 8;
    let mut take = |n: usize| -> Option<u32> {
        if pos + n > total {
            return None;
        }
        let mut v = 0u32;
        for _ in 0..n {
            let bit = (codewords[pos / 8] >> (7 - pos % 8)) & 1;
            v = (v << 1) | u32::from(bit);
            pos += 1;
        }
        Some(v)
    };
    let size = |small: usize, medium: usize, large: usize| match version {
        1..=9 => Some(small),
        10..=26 => Some(medium),
        27..=40 => Some(large),
        _ => None,
    };
    let mut out = Vec::new();
    while let Some(mode) = take(4) {
        match mode {
            0b0000 => break,
            0b0111 => {
                take(8)?;
            }
            0b0100 => {
                let n = take(size(8, 16, 16)?)?;
                for _ in 0..n {
                    out.push(u8::try_from(take(8)?).ok()?);
                }
            }
            0b0010 => {
                let n = take(size(9, 11, 13)?)?;
                for _ in 0..n / 2 {
                    let v = usize::try_from(take(11)?).ok()?;
                    out.push(*ALNUM.get(v / 45)?);
                    out.push(*ALNUM.get(v % 45)?);
                }
                if n % 2 == 1 {
                    out.push(*ALNUM.get(usize::try_from(take(6)?).ok()?)?);
                }
            }
            0b0001 => {
                let mut n = take(size(10, 12, 14)?)?;
                while n > 0 {
                    let (digits, bits) = match n {
                        1 => (1, 4),
                        2 => (2, 7),
                        _ => (3, 10),
                    };
                    let v = take(bits)?;
                    if v >= 10u32.pow(digits) {
                        return None;
                    }
                    out.extend(format!("{v:0width$}", width = digits as usize).bytes());
                    n -= digits;
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codewords_read_back_to_the_content_in_every_mode() {
        let binary: Vec<u8> = b"TK1"
            .iter()
            .copied()
            .chain((0..245u8).map(|i| i.wrapping_mul(37)))
            .collect();
        let text = b"TK1:MWGSLKC 4 988CKS29W50IB01J0+S01$0B60".to_vec();
        for (data, bits) in [
            (binary.clone(), byte_bits(&binary).unwrap()),
            (text.clone(), bits(&text).unwrap()),
            (b"0123456789".to_vec(), bits(b"0123456789").unwrap()),
            (b"mixed 123 ABC".to_vec(), bits(b"mixed 123 ABC").unwrap()),
        ] {
            let Version::Normal(v) = bits.version() else {
                panic!()
            };
            let codewords = bits.into_bytes();
            assert_eq!(
                content_from_codewords(&codewords, u8::try_from(v).unwrap()),
                Some(data)
            );
        }
        assert_eq!(
            content_from_codewords(&[0b1011_0000], 1),
            None,
            "an unknown mode"
        );
        assert_eq!(
            content_from_codewords(&[0b0100_0011, 0xFF], 1),
            None,
            "cut short"
        );
    }

    fn decode(qr: &QrImage) -> Vec<u8> {
        let grid = rqrr::SimpleGrid::from_func(qr.width, |x, y| qr.dark(x, y));
        let mut out = Vec::new();
        rqrr::Grid::new(grid).decode_to(&mut out).unwrap();
        out
    }

    #[test]
    fn symbols_decode_to_the_payload_in_both_modes() {
        for len in [10usize, 120, 249, 400] {
            let payload = Payload {
                body: (0..len)
                    .map(|i| u8::try_from(i * 37 % 256).unwrap())
                    .collect(),
            };
            let qr = QrImage::for_payload(&payload).unwrap();
            let expected = match qr.mode {
                QrMode::Binary => payload.binary(),
                QrMode::Text => payload.text().into_bytes(),
            };
            assert_eq!(decode(&qr), expected, "{len} bytes, {:?}", qr.mode);
            assert_eq!(Payload::parse(&decode(&qr)).unwrap(), payload);
        }
    }

    #[test]
    fn penalty_prefers_balanced_symbols() {
        let all_dark = vec![true; 21 * 21];
        let mut checker = vec![false; 21 * 21];
        for (i, m) in checker.iter_mut().enumerate() {
            *m = (i / 21 + i % 21) % 2 == 0;
        }
        assert!(penalty(&checker, 21) < penalty(&all_dark, 21));
    }
}
