//! The holder's photo: JPEG or PNG bytes whose header must decode, at most 2 MB.
//!
//! [`PhotoInfo::clean`] takes a new photo in (see `image_intake`); [`PhotoInfo::inspect`] only
//! describes bytes already stored, from their header.

use super::error::{Field, Problem, ValidationError};
use serde::{Deserialize, Serialize};

/// Largest photo accepted: a handbook photo is a few hundred kilobytes at most.
pub const MAX_PHOTO_BYTES: usize = super::image_intake::ImageLimits::PHOTO.max_bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhotoFormat {
    Jpeg,
    Png,
}

impl PhotoFormat {
    pub fn mime(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "image/jpeg",
            PhotoFormat::Png => "image/png",
        }
    }
}

/// What the model keeps about a photo; the bytes live in their own store table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoInfo {
    pub format: PhotoFormat,
    pub width: u32,
    pub height: u32,
    pub size: usize,
    /// Hex SHA-256 of the bytes; credentials carry a salted digest of the same bytes.
    pub sha256: String,
    /// Clockwise degrees (0, 90, 180, 270) to show it upright, from the removed EXIF orientation.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation: u16,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if"
)]
fn is_zero(n: &u16) -> bool {
    *n == 0
}

impl PhotoInfo {
    /// Takes a face photo in through [`super::image_intake`] (size and pixel limits checked
    /// before decoding, turned upright, encoded again so no metadata survives) and returns the
    /// bytes to store with their description. A photo is never stored as it came from the camera.
    pub fn clean(bytes: &[u8]) -> Result<(Self, Vec<u8>), ValidationError> {
        let c = super::page_image::clean_image(
            bytes,
            Field::Photo,
            super::image_intake::ImageLimits::PHOTO,
        )?;
        Ok((
            Self {
                format: c.format,
                width: c.width,
                height: c.height,
                size: c.bytes.len(),
                sha256: c.sha256,
                rotation: 0,
            },
            c.bytes,
        ))
    }

    /// Checks size and header and describes the photo.
    pub fn inspect(bytes: &[u8]) -> Result<Self, ValidationError> {
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(ValidationError::new(
                Field::Photo,
                Problem::TooLarge {
                    size: bytes.len(),
                    max: MAX_PHOTO_BYTES,
                },
            ));
        }
        let bad = |why| ValidationError::new(Field::Photo, Problem::BadImage { why });
        let (format, width, height) = if bytes.starts_with(PNG_SIGNATURE) {
            let (w, h) = png_dimensions(bytes).map_err(bad)?;
            (PhotoFormat::Png, w, h)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            let (w, h) = jpeg_dimensions(bytes).map_err(bad)?;
            (PhotoFormat::Jpeg, w, h)
        } else {
            return Err(bad("neither a PNG nor a JPEG signature"));
        };
        if width == 0 || height == 0 {
            return Err(bad("zero width or height"));
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
        Ok(Self {
            format,
            width,
            height,
            size: bytes.len(),
            sha256: crate::hex::encode(digest.as_ref()),
            rotation: 0,
        })
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The first chunk of a PNG must be IHDR (13 bytes: width, height, depth, colour type, ...).
pub(crate) fn png_dimensions(bytes: &[u8]) -> Result<(u32, u32), &'static str> {
    let ihdr = bytes
        .get(8..8 + 8 + 13 + 4)
        .ok_or("PNG ends before its IHDR chunk")?;
    if ihdr[0..4] != [0, 0, 0, 13] || &ihdr[4..8] != b"IHDR" {
        return Err("PNG does not start with an IHDR chunk");
    }
    let crc = crc32(&ihdr[4..21]);
    if ihdr[21..25] != crc.to_be_bytes() {
        return Err("PNG IHDR checksum is wrong");
    }
    let w = u32::from_be_bytes([ihdr[8], ihdr[9], ihdr[10], ihdr[11]]);
    let h = u32::from_be_bytes([ihdr[12], ihdr[13], ihdr[14], ihdr[15]]);
    Ok((w, h))
}

/// Walks the JPEG markers up to the first start-of-frame, which holds the dimensions.
pub(crate) fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32), &'static str> {
    let mut i = 2;
    loop {
        let marker = bytes
            .get(i..i + 2)
            .ok_or("JPEG ends before a frame header")?;
        if marker[0] != 0xFF {
            return Err("JPEG marker expected");
        }
        let code = marker[1];
        if code == 0xFF {
            i += 1; // fill byte
            continue;
        }
        let len_bytes = bytes.get(i + 2..i + 4).ok_or("JPEG segment cut short")?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err("JPEG segment length is invalid");
        }
        let is_sof = matches!(code, 0xC0..=0xCF) && !matches!(code, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let sof = bytes
                .get(i + 4..i + 9)
                .ok_or("JPEG frame header cut short")?;
            let h = u16::from_be_bytes([sof[1], sof[2]]);
            let w = u16::from_be_bytes([sof[3], sof[4]]);
            return Ok((u32::from(w), u32::from(h)));
        }
        if code == 0xD9 || code == 0xDA {
            return Err("JPEG has no frame header before its image data");
        }
        i += 2 + len;
    }
}

pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// A tiny valid PNG of the given size (grey, uncompressed). Tests and demos use it.
pub fn tiny_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = PNG_SIGNATURE.to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    push_chunk(&mut out, *b"IHDR", &ihdr);
    // Stored (uncompressed) deflate blocks: one filter byte + width bytes per row.
    let row = usize::try_from(width).unwrap_or(0) + 1;
    let raw: Vec<u8> = (0..height)
        .flat_map(|_| std::iter::once(0).chain(std::iter::repeat_n(0x80, row - 1)))
        .collect();
    let mut z = vec![0x78, 0x01];
    let mut chunks = raw.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        z.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(chunk) = chunks.next() {
        let last = u8::from(chunks.peek().is_none());
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        z.push(last);
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(chunk);
    }
    z.extend_from_slice(&adler32(&raw).to_be_bytes());
    push_chunk(&mut out, *b"IDAT", &z);
    push_chunk(&mut out, *b"IEND", &[]);
    out
}

fn push_chunk(out: &mut Vec<u8>, kind: [u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(&kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_header_is_read() {
        let info = PhotoInfo::inspect(&tiny_png(30, 40)).unwrap();
        assert_eq!(
            (info.format, info.width, info.height),
            (PhotoFormat::Png, 30, 40)
        );
        assert_eq!(info.sha256.len(), 64);
    }

    #[test]
    fn jpeg_header_is_read() {
        // SOI, APP0 (len 16), SOF0 with 120x160.
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
        j.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        j.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0, 160, 0, 120, 1, 1, 0x11, 0]);
        j.extend_from_slice(&[0xFF, 0xD9]);
        let info = PhotoInfo::inspect(&j).unwrap();
        assert_eq!(
            (info.format, info.width, info.height),
            (PhotoFormat::Jpeg, 120, 160)
        );
    }

    #[test]
    fn broken_images_are_rejected() {
        let mut png = tiny_png(4, 4);
        png[20] ^= 1; // width byte: IHDR checksum no longer matches
        assert!(matches!(
            PhotoInfo::inspect(&png).unwrap_err().problem,
            Problem::BadImage { .. }
        ));
        assert!(PhotoInfo::inspect(b"GIF89a....").is_err());
        assert!(PhotoInfo::inspect(&[0xFF, 0xD8, 0xFF, 0xD9]).is_err());
        assert!(PhotoInfo::inspect(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 1]).is_err());
        assert!(PhotoInfo::inspect(&tiny_png(4, 4)[..20]).is_err());
    }

    #[test]
    fn oversize_is_rejected() {
        let mut big = tiny_png(2, 2);
        big.resize(MAX_PHOTO_BYTES + 1, 0);
        assert!(matches!(
            PhotoInfo::inspect(&big).unwrap_err().problem,
            Problem::TooLarge { .. }
        ));
    }
}
