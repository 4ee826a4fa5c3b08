//! Photographs of the handbook's pages (seed 001: staff can enlarge the handbook itself with one
//! tap). Before anything is stored the image is checked and its metadata removed: EXIF (camera,
//! time, GPS position), XMP, comments and PNG text chunks. The EXIF orientation is read first and
//! kept as a rotation, so the page still shows upright.

use super::error::{Field, Problem, ValidationError};
use super::photo::{PhotoFormat, crc32, jpeg_dimensions, png_dimensions};
use serde::{Deserialize, Serialize};

/// Largest page image accepted (a phone photo of one page, compressed).
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;
/// Pages per handbook.
pub const MAX_PAGES: usize = 6;
/// Largest side in pixels, and largest area, so a page never exhausts a phone's memory.
const MAX_SIDE: u32 = 10_000;
const MAX_PIXELS: u64 = 40_000_000;

/// What the model keeps about a page image; the bytes live in the `pages` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageImage {
    pub format: PhotoFormat,
    pub width: u32,
    pub height: u32,
    pub size: usize,
    /// Clockwise degrees (0, 90, 180, 270) to show it upright, from the removed EXIF orientation.
    pub rotation: u16,
    /// Hex SHA-256 of the stored (cleaned) bytes.
    pub sha256: String,
}

/// An image checked and stripped of its metadata, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CleanImage {
    pub format: PhotoFormat,
    pub width: u32,
    pub height: u32,
    /// Clockwise degrees from the removed EXIF orientation.
    pub rotation: u16,
    /// Hex SHA-256 of `bytes`.
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// Checks an image for `field` (at most `max_bytes`, a readable PNG or JPEG header, at most
/// 10,000 pixels a side and 40 megapixels: its header is never trusted with a phone's memory)
/// and removes its metadata. Pixels are never decoded.
pub(crate) fn clean_image(
    bytes: &[u8],
    field: Field,
    max_bytes: usize,
) -> Result<CleanImage, ValidationError> {
    let bad = |why| ValidationError::new(field, Problem::BadImage { why });
    if bytes.len() > max_bytes {
        return Err(ValidationError::new(
            field,
            Problem::TooLarge {
                size: bytes.len(),
                max: max_bytes,
            },
        ));
    }
    let (format, (clean, orientation)) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        (PhotoFormat::Png, strip_png(bytes).map_err(bad)?)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (PhotoFormat::Jpeg, strip_jpeg(bytes).map_err(bad)?)
    } else {
        return Err(bad("neither a PNG nor a JPEG signature"));
    };
    let (width, height) = match format {
        PhotoFormat::Png => png_dimensions(&clean),
        PhotoFormat::Jpeg => jpeg_dimensions(&clean),
    }
    .map_err(bad)?;
    if width == 0 || height == 0 {
        return Err(bad("zero width or height"));
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(bad("more than 10000 pixels a side or 40 megapixels"));
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, &clean);
    Ok(CleanImage {
        format,
        width,
        height,
        rotation: rotation(orientation),
        sha256: crate::hex::encode(digest.as_ref()),
        bytes: clean,
    })
}

impl PageImage {
    /// Checks a page image and returns it without metadata, with its description.
    pub fn clean(bytes: &[u8]) -> Result<(PageImage, Vec<u8>), ValidationError> {
        let c = clean_image(bytes, Field::PageImage, MAX_PAGE_BYTES)?;
        Ok((
            PageImage {
                format: c.format,
                width: c.width,
                height: c.height,
                size: c.bytes.len(),
                rotation: c.rotation,
                sha256: c.sha256,
            },
            c.bytes,
        ))
    }
}

/// EXIF orientation (1–8) to a clockwise rotation; mirrored variants take their rotation.
fn rotation(orientation: Option<u16>) -> u16 {
    match orientation {
        Some(3 | 4) => 180,
        Some(5 | 6) => 90,
        Some(7 | 8) => 270,
        _ => 0,
    }
}

/// Copies a JPEG up to its scan data, leaving out APP1–APP15 (EXIF, XMP, vendor data) except
/// ICC profiles (APP2) and Adobe colour (APP14), and comments.
fn strip_jpeg(b: &[u8]) -> Result<(Vec<u8>, Option<u16>), &'static str> {
    let mut out = vec![0xFF, 0xD8];
    let mut orientation = None;
    let mut i = 2;
    loop {
        let marker = b.get(i..i + 2).ok_or("JPEG ends before its image data")?;
        if marker[0] != 0xFF {
            return Err("JPEG marker expected");
        }
        let code = marker[1];
        if code == 0xFF {
            i += 1;
            continue;
        }
        if code == 0xD9 {
            return Err("JPEG ends before its image data");
        }
        let len_bytes = b.get(i + 2..i + 4).ok_or("JPEG segment cut short")?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err("JPEG segment length is invalid");
        }
        let segment = b.get(i..i + 2 + len).ok_or("JPEG segment cut short")?;
        let data = &segment[4..];
        if code == 0xDA {
            // Start of scan: the rest is image data up to the end marker; copy it as it is.
            out.extend_from_slice(&b[i..]);
            return Ok((out, orientation));
        }
        let keep = match code {
            0xE1 => {
                if let Some(tiff) = data.strip_prefix(b"Exif\0\0") {
                    orientation = orientation.or_else(|| exif_orientation(tiff));
                }
                false
            }
            0xE2 => data.starts_with(b"ICC_PROFILE\0"),
            0xE3..=0xED | 0xEF | 0xFE => false,
            _ => true,
        };
        if keep {
            out.extend_from_slice(segment);
        }
        i += 2 + len;
    }
}

/// Copies a PNG chunk by chunk (checking each checksum), leaving out text, time and EXIF chunks.
fn strip_png(b: &[u8]) -> Result<(Vec<u8>, Option<u16>), &'static str> {
    let mut out = b[..8].to_vec();
    let mut orientation = None;
    let mut i = 8;
    loop {
        let head = b.get(i..i + 8).ok_or("PNG ends before IEND")?;
        let len = usize::try_from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]))
            .map_err(|_| "PNG chunk too long")?;
        let kind = &head[4..8];
        let chunk = b.get(i..i + 12 + len).ok_or("PNG chunk cut short")?;
        let crc = &chunk[8 + len..];
        if crc32(&chunk[4..8 + len]).to_be_bytes() != crc {
            return Err("PNG chunk checksum is wrong");
        }
        match kind {
            b"eXIf" => orientation = orientation.or_else(|| exif_orientation(&chunk[8..8 + len])),
            b"tEXt" | b"zTXt" | b"iTXt" | b"tIME" => {}
            _ => out.extend_from_slice(chunk),
        }
        i += 12 + len;
        if kind == b"IEND" {
            return Ok((out, orientation));
        }
    }
}

/// The Orientation tag (0x0112) of IFD0 in a TIFF structure.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let big = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        let b = tiff.get(at..at + 2)?;
        Some(if big {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| {
        let b = tiff.get(at..at + 4)?;
        Some(if big {
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        } else {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    (0..count.min(256)).find_map(|n| {
        let entry = ifd + 2 + n * 12;
        (u16_at(entry)? == 0x0112)
            .then(|| u16_at(entry + 8))
            .flatten()
    })
}

/// A minimal JPEG as a phone camera leaves it: APP0 JFIF, APP1 EXIF (orientation 6, a position
/// and a camera name), a comment, DQT, SOF0 (w×h), SOS, two bytes of scan data, EOI. Tests and
/// demos use it; it is not a decodable picture.
pub fn sample_jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8];
    let seg = |b: &mut Vec<u8>, code: u8, data: &[u8]| {
        b.extend_from_slice(&[0xFF, code]);
        b.extend_from_slice(&u16::try_from(data.len() + 2).unwrap_or(0).to_be_bytes());
        b.extend_from_slice(data);
    };
    seg(&mut b, 0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x02".to_vec();
    exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    exif.extend_from_slice(&[0x01, 0x0F, 0, 2, 0, 0, 0, 4, 0, 0, 0, 0]);
    exif.extend_from_slice(b"\0\0\0\0GPS 35.6812N 139.7671E Canon");
    seg(&mut b, 0xE1, &exif);
    seg(&mut b, 0xFE, b"taken at home");
    seg(&mut b, 0xDB, &[0; 65]);
    let [wh, wl] = w.to_be_bytes();
    let [hh, hl] = h.to_be_bytes();
    seg(&mut b, 0xC0, &[8, hh, hl, wh, wl, 1, 1, 0x11, 0]);
    seg(&mut b, 0xDA, &[1, 1, 0, 0, 0x3F, 0]);
    b.extend_from_slice(&[0x12, 0x34, 0xFF, 0xD9]);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn jpeg_exif_comment_and_position_are_removed_and_orientation_kept() {
        let src = sample_jpeg(1200, 1600);
        assert!(contains(&src, b"Exif") && contains(&src, b"GPS 35.6812N"));
        let (page, clean) = PageImage::clean(&src).expect("cleans");
        assert!(!contains(&clean, b"Exif"));
        assert!(!contains(&clean, b"GPS"));
        assert!(!contains(&clean, b"Canon"));
        assert!(!contains(&clean, b"taken at home"));
        assert!(contains(&clean, b"JFIF"));
        assert_eq!((page.width, page.height, page.rotation), (1200, 1600, 90));
        assert!(clean.ends_with(&[0x12, 0x34, 0xFF, 0xD9]));
        // Cleaning again changes nothing.
        assert_eq!(PageImage::clean(&clean).expect("cleans").1, clean);
    }

    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut c = u32::try_from(data.len())
            .unwrap_or(0)
            .to_be_bytes()
            .to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        let crc = crc32(&c[4..]);
        c.extend_from_slice(&crc.to_be_bytes());
        c
    }

    #[test]
    fn png_text_time_and_exif_chunks_are_removed() {
        let base = super::super::photo::tiny_png(4, 3);
        // Insert metadata chunks after IHDR (8 + 25 bytes).
        let mut src = base[..33].to_vec();
        src.extend(chunk(b"tEXt", b"Author\0Someone"));
        src.extend(chunk(
            b"eXIf",
            b"II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x03\0\0\0",
        ));
        src.extend(chunk(b"tIME", &[7, 234, 11, 25, 12, 0, 0]));
        src.extend_from_slice(&base[33..]);
        let (page, clean) = PageImage::clean(&src).expect("cleans");
        assert_eq!(clean, base);
        assert_eq!(page.rotation, 180);
        assert!(!contains(&clean, b"Someone"));
        // A broken checksum is refused rather than copied.
        let mut broken = src.clone();
        let last = broken.len() - 20;
        broken[last] ^= 1;
        assert!(PageImage::clean(&broken).is_err());
    }

    #[test]
    fn not_an_image_or_too_large_is_refused_by_field() {
        let e = PageImage::clean(b"%PDF-1.7").expect_err("not an image");
        assert_eq!(e.field, Field::PageImage);
        let mut huge = super::super::photo::tiny_png(2, 2);
        huge.resize(MAX_PAGE_BYTES + 1, 0);
        let e = PageImage::clean(&huge).expect_err("too large");
        assert!(matches!(e.problem, Problem::TooLarge { .. }));
        let e = PageImage::clean(&sample_jpeg(12_000, 10)).expect_err("too wide");
        assert!(e.to_string().contains("10000"));
    }
}
