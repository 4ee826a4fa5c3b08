//! `techo register`: a handbook from a file, flags, or both (flags win).

use crate::args::RegisterArgs;
use crate::error::CliError;
use std::path::{Path, PathBuf};
use techo_core::model::HandbookDraft;

/// Builds the draft and loads the photo it names.
pub fn draft_from_args(args: &RegisterArgs) -> Result<(HandbookDraft, Option<Vec<u8>>), CliError> {
    let (mut draft, base) = match &args.from {
        Some(path) => (
            read_handbook_file(path)?,
            path.parent().map(Path::to_path_buf),
        ),
        None => (HandbookDraft::default(), None),
    };
    let set = |slot: &mut Option<String>, v: &Option<String>| {
        if v.is_some() {
            slot.clone_from(v);
        }
    };
    set(&mut draft.kind, &args.kind);
    set(&mut draft.label, &args.label);
    set(&mut draft.severity, &args.severity);
    set(&mut draft.fare_class, &args.fare_class);
    set(&mut draft.number, &args.number);
    set(&mut draft.municipality_code, &args.municipality_code);
    set(&mut draft.municipality_name, &args.municipality_name);
    set(&mut draft.issued, &args.issued);
    set(&mut draft.renewed, &args.renewed);
    set(&mut draft.reissued, &args.reissued);
    set(&mut draft.returned, &args.returned);
    set(&mut draft.expires, &args.expires);
    set(&mut draft.holder.name, &args.name);
    set(&mut draft.holder.kana, &args.kana);
    set(&mut draft.holder.birth_date, &args.birth_date);
    set(&mut draft.grade, &args.grade);
    let photo_path: Option<PathBuf> = match (&args.photo, &draft.photo) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(rel)) => Some(base.unwrap_or_default().join(rel)),
        (None, None) => None,
    };
    let photo = photo_path.map(|p| read_file(&p)).transpose()?;
    Ok((draft, photo))
}

pub fn read_handbook_file(path: &Path) -> Result<HandbookDraft, CliError> {
    let bytes = read_file(path)?;
    let text = String::from_utf8(bytes).map_err(|_| CliError::HandbookFile {
        path: path.display().to_string(),
        why: "not UTF-8 text".into(),
    })?;
    HandbookDraft::from_toml(&text).map_err(|why| CliError::HandbookFile {
        path: path.display().to_string(),
        why,
    })
}

/// Reads a file, refusing anything far larger than a handbook file or photo could be.
fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    crate::input::read_file(path, crate::input::HANDBOOK_FILE)
}
