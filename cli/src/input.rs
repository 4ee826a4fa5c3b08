//! Everything the CLI reads from a file or standard input is read with a ceiling: `/dev/zero`, a
//! FIFO or a huge file given by mistake ends in a clear error, never in memory running out.

use crate::error::CliError;
use std::io::{BufRead, Read};
use std::path::Path;

/// Handbook files, face photos and page images (the image intake has tighter limits of its own).
pub const HANDBOOK_FILE: u64 = 8 * 1024 * 1024;
/// A picture of a QR code.
pub const QR_PICTURE: u64 =
    techo_core::model::image_intake::ImageLimits::QR_PICTURE.max_bytes as u64;
/// Trust lists, status lists, operator directories, policies.
pub const SIGNED_LIST: u64 = 16 * 1024 * 1024;
/// A verifier's saved lists (`techo lists`): every list at national scale, with its deltas.
pub const VERIFIER_LISTS: u64 = 64 * 1024 * 1024;
/// Support profiles, certificates, small settings.
pub const SMALL_FILE: u64 = 1024 * 1024;
/// A PIN, a password or a presentation pasted on standard input.
pub const STDIN_LINE: u64 = 64 * 1024;

fn too_large(path: &str, limit: u64) -> CliError {
    CliError::ReadFile {
        path: path.to_owned(),
        why: format!("more than {limit} bytes: not a file of this kind (check the path)"),
    }
}

/// Reads at most `limit` bytes of `path`; more is an error, whatever the file claims its size is.
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, CliError> {
    let shown = path.display().to_string();
    let err = |why: String| CliError::ReadFile {
        path: shown.clone(),
        why,
    };
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(&shown, limit));
    }
    Ok(bytes)
}

/// [`read_file`] as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, CliError> {
    String::from_utf8(read_file(path, limit)?).map_err(|_| CliError::ReadFile {
        path: path.display().to_string(),
        why: "not UTF-8 text".into(),
    })
}

/// One line of standard input (a PIN or a password), at most [`STDIN_LINE`] bytes.
pub fn stdin_line(line: &mut String) -> Result<(), CliError> {
    let read = std::io::stdin()
        .lock()
        .take(STDIN_LINE + 1)
        .read_line(line)
        .map_err(|e| CliError::ReadFile {
            path: "stdin".into(),
            why: format!("{e} (type the line as text)"),
        })?;
    if read as u64 > STDIN_LINE {
        return Err(too_large("stdin", STDIN_LINE));
    }
    Ok(())
}

/// All of standard input, at most `limit` bytes.
pub fn stdin_bytes(limit: u64) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::ReadFile {
            path: "stdin".into(),
            why: e.to_string(),
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large("stdin", limit));
    }
    Ok(bytes)
}
