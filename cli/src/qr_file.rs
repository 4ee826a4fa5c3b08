//! QR codes as files: PNG or SVG out, PNG or JPEG in (found and decoded with rqrr).

use crate::error::CliError;
use std::path::Path;
use techo_core::model::image_intake;
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

/// Reads a picture (PNG or JPEG) and returns the bytes of the first QR code found in it. The
/// picture comes in through the core's image intake: size and pixel limits before decoding.
pub fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    let err = |why: String| CliError::ReadFile {
        path: path.display().to_string(),
        why,
    };
    let bytes = crate::input::read_file(path, crate::input::QR_PICTURE)?;
    let picture = image_intake::luma(&bytes, image_intake::ImageLimits::QR_PICTURE)
        .map_err(|e| err(format!("the picture {e}")))?;
    let width = picture.width as usize;
    let height = picture.height as usize;
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        picture.pixels[y * width + x]
    });
    let grids = img.detect_grids();
    let grid = grids
        .first()
        .ok_or_else(|| err("no QR code found in the image".into()))?;
    let mut out = Vec::new();
    grid.decode_to(&mut out)
        .map_err(|e| err(format!("the QR code does not decode: {e}")))?;
    Ok(out)
}
