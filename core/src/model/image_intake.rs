//! The one way an image enters techo: face photos, handbook pages and QR pictures alike.
//!
//! 1. The byte size is checked before anything is parsed.
//! 2. The header's width and height are checked against the kind's pixel limits before a single
//!    pixel is decoded (a 69-byte PNG may claim a million pixels a side).
//! 3. The pixels are decoded under the same limits (the decoder refuses to allocate past them).
//! 4. The EXIF orientation is applied to the pixels, so what is stored is upright.
//! 5. The pixels are encoded again, as a new file. Nothing of the original file survives: no
//!    EXIF or GPS position, no XMP, no comment wherever it sat (even between progressive scans),
//!    no private PNG chunk, no second picture embedded or appended (motion photos).

use super::photo::{PhotoFormat, jpeg_dimensions, png_dimensions};
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use std::io::Cursor;

/// What one kind of image may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    pub max_bytes: usize,
    pub max_side: u32,
    pub max_pixels: u64,
}

impl ImageLimits {
    /// A face photo: a phone selfie fits; a photo never needs more.
    pub const PHOTO: Self = Self {
        max_bytes: 2 * 1024 * 1024,
        max_side: 8_000,
        max_pixels: 24_000_000,
    };
    /// A photographed handbook page.
    pub const PAGE: Self = Self {
        max_bytes: 4 * 1024 * 1024,
        max_side: 10_000,
        max_pixels: 40_000_000,
    };
    /// A picture of a QR code handed to a verifier.
    pub const QR_PICTURE: Self = Self {
        max_bytes: 8 * 1024 * 1024,
        max_side: 10_000,
        max_pixels: 40_000_000,
    };

    fn decoder_limits(self) -> Limits {
        let mut l = Limits::default();
        l.max_image_width = Some(self.max_side);
        l.max_image_height = Some(self.max_side);
        // Four bytes a pixel, twice (decoded and converted), and nothing more.
        l.max_alloc = Some(self.max_pixels.saturating_mul(8));
        l
    }
}

/// Why an image was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("is {size} bytes; the limit is {max}")]
    TooLarge { size: usize, max: usize },
    #[error("is not a readable JPEG or PNG image ({0})")]
    Unreadable(&'static str),
}

/// An image decoded, turned upright and encoded again: safe to store and to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeImage {
    pub format: PhotoFormat,
    pub width: u32,
    pub height: u32,
    /// Hex SHA-256 of `bytes`.
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// Takes in a photo or a page: checked, decoded, upright and re-encoded in its own format.
pub fn intake(bytes: &[u8], limits: ImageLimits) -> Result<IntakeImage, ImageError> {
    let (format, image) = decode(bytes, limits)?;
    let mut out = Vec::new();
    let encoded = match format {
        PhotoFormat::Jpeg => {
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
            if image.color().has_color() {
                DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(enc)
            } else {
                DynamicImage::ImageLuma8(image.to_luma8()).write_with_encoder(enc)
            }
        }
        PhotoFormat::Png => {
            let enc = image::codecs::png::PngEncoder::new(&mut out);
            let eight_bit = match (image.color().has_color(), image.color().has_alpha()) {
                (true, true) => DynamicImage::ImageRgba8(image.to_rgba8()),
                (true, false) => DynamicImage::ImageRgb8(image.to_rgb8()),
                (false, true) => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
                (false, false) => DynamicImage::ImageLuma8(image.to_luma8()),
            };
            eight_bit.write_with_encoder(enc)
        }
    };
    encoded.map_err(|_| ImageError::Unreadable("it cannot be encoded again"))?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &out);
    Ok(IntakeImage {
        format,
        width: image.width(),
        height: image.height(),
        sha256: crate::hex::encode(digest.as_ref()),
        bytes: out,
    })
}

/// A greyscale picture (one byte a pixel, rows top to bottom), for finding a QR code in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LumaPicture {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Decodes a picture under `limits` to greyscale.
pub fn luma(bytes: &[u8], limits: ImageLimits) -> Result<LumaPicture, ImageError> {
    let (_, image) = decode(bytes, limits)?;
    let grey = image.to_luma8();
    Ok(LumaPicture {
        width: grey.width(),
        height: grey.height(),
        pixels: grey.into_raw(),
    })
}

/// Checks size, format and the pixel count the header claims, without decoding: what a screen
/// asks before it hands stored bytes to a platform decoder.
pub fn check_header(bytes: &[u8], limits: ImageLimits) -> Result<PhotoFormat, ImageError> {
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooLarge {
            size: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let (format, dims) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        (PhotoFormat::Png, png_dimensions(bytes))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (PhotoFormat::Jpeg, jpeg_dimensions(bytes))
    } else {
        return Err(ImageError::Unreadable("neither a PNG nor a JPEG signature"));
    };
    let (width, height) = dims.map_err(ImageError::Unreadable)?;
    if width == 0 || height == 0 {
        return Err(ImageError::Unreadable("zero width or height"));
    }
    if width > limits.max_side
        || height > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(ImageError::Unreadable(
            "more pixels than a picture of this kind may have",
        ));
    }
    Ok(format)
}

fn decode(bytes: &[u8], limits: ImageLimits) -> Result<(PhotoFormat, DynamicImage), ImageError> {
    let format = check_header(bytes, limits)?;
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(match format {
        PhotoFormat::Png => image::ImageFormat::Png,
        PhotoFormat::Jpeg => image::ImageFormat::Jpeg,
    });
    reader.limits(limits.decoder_limits());
    let unreadable = |e: image::ImageError| {
        ImageError::Unreadable(match e {
            image::ImageError::Limits(_) => "more pixels than a picture of this kind may have",
            _ => "its image data does not decode",
        })
    };
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    Ok((format, image))
}
