//! Photographs of the handbook's pages (seed 001: staff can enlarge the handbook itself with one
//! tap). Pages, like face photos, come in through [`super::image_intake`]: limits checked before
//! decoding, turned upright, encoded again so that no metadata survives.

use super::error::{Field, Problem, ValidationError};
use super::image_intake::{ImageError, ImageLimits, intake};
use super::photo::PhotoFormat;
use serde::{Deserialize, Serialize};

/// Largest page image accepted (a phone photo of one page, compressed).
pub const MAX_PAGE_BYTES: usize = ImageLimits::PAGE.max_bytes;
/// Pages per handbook.
pub const MAX_PAGES: usize = 6;

/// What the model keeps about a page image; the bytes live in the `pages` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageImage {
    pub format: PhotoFormat,
    pub width: u32,
    pub height: u32,
    pub size: usize,
    /// Clockwise degrees (0, 90, 180, 270) to show it upright. Images taken in since the
    /// intake re-encodes are stored upright (0); older stores may still hold a rotation.
    pub rotation: u16,
    /// Hex SHA-256 of the stored (cleaned) bytes.
    pub sha256: String,
}

/// An image taken in for `field`, as a validation error naming that field when refused.
pub(crate) fn clean_image(
    bytes: &[u8],
    field: Field,
    limits: ImageLimits,
) -> Result<super::image_intake::IntakeImage, ValidationError> {
    intake(bytes, limits).map_err(|e| {
        ValidationError::new(
            field,
            match e {
                ImageError::TooLarge { size, max } => Problem::TooLarge { size, max },
                ImageError::Unreadable(why) => Problem::BadImage { why },
            },
        )
    })
}

impl PageImage {
    /// Checks a page image and returns it re-encoded without metadata, with its description.
    pub fn clean(bytes: &[u8]) -> Result<(PageImage, Vec<u8>), ValidationError> {
        let c = clean_image(bytes, Field::PageImage, ImageLimits::PAGE)?;
        Ok((
            PageImage {
                format: c.format,
                width: c.width,
                height: c.height,
                size: c.bytes.len(),
                rotation: 0,
                sha256: c.sha256,
            },
            c.bytes,
        ))
    }
}

/// A JPEG as a phone camera leaves it: a real w×h picture (a gradient), with APP1 EXIF
/// (orientation 6: turn 90° clockwise to show, a GPS position and a camera name) and a comment
/// before the frame. Tests and demos use it.
pub fn sample_jpeg(w: u16, h: u16) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(u32::from(w), u32::from(h), |x, y| {
        let shade = |v: u32| u8::try_from(v % 256).unwrap_or(0);
        image::Rgb([shade(x), shade(y), shade(x + y)])
    });
    let mut plain = Vec::new();
    let encoded = image::DynamicImage::ImageRgb8(picture).write_with_encoder(
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 75),
    );
    if encoded.is_err() {
        return plain;
    }
    let mut b = vec![0xFF, 0xD8];
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x02".to_vec();
    exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    exif.extend_from_slice(&[0x01, 0x0F, 0, 2, 0, 0, 0, 4, 0, 0, 0, 0]);
    exif.extend_from_slice(b"\0\0\0\0GPS 35.6812N 139.7671E Canon");
    jpeg_segment(&mut b, 0xE1, &exif);
    jpeg_segment(&mut b, 0xFE, b"taken at home");
    b.extend_from_slice(plain.get(2..).unwrap_or_default());
    b
}

/// Appends one JPEG marker segment (marker, length, data).
pub fn jpeg_segment(b: &mut Vec<u8>, code: u8, data: &[u8]) {
    b.extend_from_slice(&[0xFF, code]);
    b.extend_from_slice(&u16::try_from(data.len() + 2).unwrap_or(0).to_be_bytes());
    b.extend_from_slice(data);
}

#[cfg(test)]
mod tests {
    use super::super::photo::{crc32, tiny_png};
    use super::*;

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    const TRACES: [&[u8]; 6] = [
        b"Exif",
        b"GPS",
        b"Canon",
        b"taken at home",
        b"Someone",
        b"motion",
    ];

    fn traceless(clean: &[u8]) -> bool {
        TRACES.iter().all(|t| !contains(clean, t))
    }

    #[test]
    fn a_camera_jpeg_is_stored_upright_and_without_its_metadata() {
        let src = sample_jpeg(120, 160);
        assert!(contains(&src, b"Exif") && contains(&src, b"GPS 35.6812N"));
        let (page, clean) = PageImage::clean(&src).expect("cleans");
        assert!(traceless(&clean));
        // Orientation 6 applied to the pixels: 120 × 160 becomes 160 × 120, shown as stored.
        assert_eq!((page.width, page.height, page.rotation), (160, 120, 0));
        assert_eq!(page.format, PhotoFormat::Jpeg);
        // Taking it in again keeps it upright and the same size.
        let (again, _) = PageImage::clean(&clean).expect("cleans");
        assert_eq!((again.width, again.height), (160, 120));
    }

    /// What the outside tester found surviving the old chunk filter: a comment and EXIF after the
    /// first scan, and a second JPEG with its own position appended after the end (motion photo).
    #[test]
    fn metadata_between_scans_and_an_appended_picture_do_not_survive() {
        let mut src = sample_jpeg(64, 48);
        let eoi = src.len() - 2;
        assert_eq!(&src[eoi..], &[0xFF, 0xD9]);
        let mut tail = Vec::new();
        jpeg_segment(&mut tail, 0xFE, b"GPS 35.0N between scans");
        jpeg_segment(&mut tail, 0xE1, b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0");
        src.splice(eoi..eoi, tail);
        let mut motion = sample_jpeg(16, 16);
        motion.extend_from_slice(b"motion video bytes");
        src.extend_from_slice(&motion);
        let (_, clean) = PageImage::clean(&src).expect("cleans");
        assert!(traceless(&clean));
        assert_eq!(clean.windows(2).filter(|m| *m == [0xFF, 0xD8]).count(), 1);
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
    fn png_text_exif_and_private_chunks_do_not_survive() {
        let base = tiny_png(4, 3);
        // Metadata after IHDR (8 + 25 bytes) and a private chunk after the image data.
        let mut src = base[..33].to_vec();
        src.extend(chunk(b"tEXt", b"Author\0Someone"));
        src.extend(chunk(
            b"eXIf",
            b"II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x03\0\0\0",
        ));
        src.extend(chunk(b"tIME", &[7, 234, 11, 25, 12, 0, 0]));
        let iend = base.len() - 12;
        src.extend_from_slice(&base[33..iend]);
        src.extend(chunk(b"prVt", b"GPS 35.0N private"));
        src.extend_from_slice(&base[iend..]);
        let (page, clean) = PageImage::clean(&src).expect("cleans");
        assert!(traceless(&clean));
        for kind in [b"tEXt", b"eXIf", b"tIME", b"prVt"] {
            assert!(!contains(&clean, kind));
        }
        // Orientation 3 (upside down) is applied to the pixels.
        assert_eq!((page.width, page.height, page.rotation), (4, 3, 0));
    }

    #[test]
    fn not_an_image_too_large_or_too_many_pixels_is_refused_by_field() {
        let e = PageImage::clean(b"%PDF-1.7").expect_err("not an image");
        assert_eq!(e.field, Field::PageImage);
        let mut huge = tiny_png(2, 2);
        huge.resize(MAX_PAGE_BYTES + 1, 0);
        let e = PageImage::clean(&huge).expect_err("too large");
        assert!(matches!(e.problem, Problem::TooLarge { .. }));
        // The tester's file: 68 bytes whose header claims 1,000,000 × 1,000,000 pixels.
        let e = PageImage::clean(&claims(1_000_000, 1_000_000)).expect_err("too many pixels");
        assert!(e.to_string().contains("more pixels"), "{e}");
        let e = PageImage::clean(&claims(9_000, 9_000)).expect_err("over 40 megapixels");
        assert!(e.to_string().contains("more pixels"), "{e}");
        // A header that fits but data that does not decode.
        let e = PageImage::clean(&claims(40, 40)).expect_err("no pixels");
        assert!(e.to_string().contains("does not decode"), "{e}");
    }

    /// A PNG whose header claims `w` × `h` pixels, with almost no image data.
    fn claims(w: u32, h: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        png.extend(chunk(b"IHDR", &ihdr));
        png.extend(chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]));
        png.extend(chunk(b"IEND", &[]));
        png
    }
}
