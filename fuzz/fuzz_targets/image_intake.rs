//! Feeds arbitrary bytes to the image intake (photos, pages, QR pictures): size and pixel limits
//! before decoding, decoding under limits, re-encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use techo_core::model::image_intake::{ImageLimits, intake, luma};

fuzz_target!(|data: &[u8]| {
    let _ = intake(data, ImageLimits::PHOTO);
    let _ = luma(data, ImageLimits::QR_PICTURE);
    // From a valid signature, so the fuzzer reaches the decoders quickly.
    for signature in [b"\x89PNG\r\n\x1a\n".as_slice(), &[0xFF, 0xD8, 0xFF]] {
        let mut prefixed = signature.to_vec();
        prefixed.extend_from_slice(data);
        let _ = intake(&prefixed, ImageLimits::PAGE);
    }
});
