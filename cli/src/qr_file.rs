//! QR codes as files: PNG or SVG out, PNG in (decoded with rqrr).

use crate::error::CliError;
use std::path::Path;
use techo_core::token::QrImage;

const MODULE_PX: usize = 8;

pub fn save(qr: &QrImage, path: &Path) -> Result<(), CliError> {
    let err = |why: String| CliError::WriteFile {
        path: path.display().to_string(),
        why,
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("svg") => std::fs::write(path, qr.to_svg(MODULE_PX)).map_err(|e| err(e.to_string())),
        Some("png") => {
            let (size, pixels) = qr.to_pixels(MODULE_PX);
            let file = std::fs::File::create(path).map_err(|e| err(e.to_string()))?;
            let side = u32::try_from(size).map_err(|_| err("image too large".into()))?;
            let mut enc = png::Encoder::new(std::io::BufWriter::new(file), side, side);
            enc.set_color(png::ColorType::Grayscale);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().map_err(|e| err(e.to_string()))?;
            w.write_image_data(&pixels).map_err(|e| err(e.to_string()))
        }
        _ => Err(err("use a .png or .svg file name".into())),
    }
}

/// Reads a PNG and returns the bytes of the first QR code found in it.
pub fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    let err = |why: String| CliError::ReadFile {
        path: path.display().to_string(),
        why,
    };
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .map_err(|e| err(format!("not a PNG image: {e}")))?;
    let mut buf = vec![
        0;
        reader
            .output_buffer_size()
            .ok_or_else(|| err("image too large".into()))?
    ];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| err(format!("not a PNG image: {e}")))?;
    let (width, height) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let luma = |x: usize, y: usize| -> u8 {
        let at = (y * width + x) * channels;
        match channels {
            1 | 2 => buf[at],
            _ => {
                let rgb = [buf[at], buf[at + 1], buf[at + 2]].map(u32::from);
                u8::try_from((rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114) / 1000).unwrap_or(u8::MAX)
            }
        }
    };
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
    let grids = img.detect_grids();
    let grid = grids
        .first()
        .ok_or_else(|| err("no QR code found in the image".into()))?;
    let mut out = Vec::new();
    grid.decode_to(&mut out)
        .map_err(|e| err(format!("the QR code does not decode: {e}")))?;
    Ok(out)
}
