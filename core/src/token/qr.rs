//! QR codes for presentations: byte mode or alphanumeric (Base45), whichever is smaller, at error
//! correction level M. The phones draw the module matrix; the CLI prints it or saves PNG / SVG.

use super::envelope::Payload;
use qrcode::{Color, EcLevel, QrCode, Version};
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

fn symbol(data: &[u8], mode: QrMode) -> Option<QrImage> {
    let code = QrCode::with_error_correction_level(data, EcLevel::M).ok()?;
    let version = match code.version() {
        Version::Normal(v) => u8::try_from(v).ok()?,
        Version::Micro(_) => return None,
    };
    let width = code.width();
    let modules = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Some(QrImage {
        version,
        mode,
        width,
        modules,
        data_len: data.len(),
    })
}

impl QrImage {
    /// Encodes both ways and keeps the smaller symbol (text on a tie: friendlier to scanners).
    pub fn for_payload(payload: &Payload) -> Result<Self, QrTooLarge> {
        let text = symbol(payload.text().as_bytes(), QrMode::Text);
        let binary = symbol(&payload.binary(), QrMode::Binary);
        match (text, binary) {
            (Some(t), Some(b)) => Ok(if b.version < t.version { b } else { t }),
            (Some(t), None) => Ok(t),
            (None, Some(b)) => Ok(b),
            (None, None) => Err(QrTooLarge(payload.body.len())),
        }
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
