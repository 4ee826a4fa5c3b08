//! `techo lists`: keep a verifier's trust and status lists current from techo-server, as a gate
//! would between shifts: one signed delta per list when the versions held are still known to
//! the server, the whole list otherwise. Everything is saved as the issuer signed it (a
//! `VerifierBundle`), so `techo verify --lists FILE` checks it all again offline.

use crate::error::CliError;
use crate::print_json;
use std::path::Path;
use techo_core::Lang;
use techo_core::portal::ListSync;
use techo_core::token::{PublicKey, VerifierBundle};

/// The saved lists, if the file exists.
pub fn load(file: &Path) -> Result<Option<VerifierBundle>, CliError> {
    if !file.exists() {
        return Ok(None);
    }
    let bytes = crate::input::read_file(file, crate::input::VERIFIER_LISTS)?;
    VerifierBundle::from_bytes(&bytes)
        .map(Some)
        .map_err(|e| CliError::BadArgument(format!("{}: {e}", file.display())))
}

/// `--file`, or `verifier-lists.cbor` in the data folder.
pub fn file_or_default(
    file: Option<&Path>,
    data_dir: impl FnOnce() -> Result<std::path::PathBuf, CliError>,
) -> Result<std::path::PathBuf, CliError> {
    match file {
        Some(f) => Ok(f.to_owned()),
        None => Ok(data_dir()?.join("verifier-lists.cbor")),
    }
}

/// The saved lists, checked again against the root key they pinned, for `techo verify`.
pub fn verifier_data(file: &Path) -> Result<crate::token_cmd::VerifierData, CliError> {
    let bundle = load(file)?.ok_or_else(|| {
        CliError::BadArgument(format!(
            "{}: no saved lists: run techo lists first",
            file.display()
        ))
    })?;
    let (trust, status) = bundle
        .open()
        .map_err(|e| CliError::BadArgument(format!("{}: {e}", file.display())))?;
    Ok(crate::token_cmd::VerifierData {
        trust,
        status: status.into_vec(),
    })
}

/// `techo lists --endpoints E [--file F] [--root HEX]`.
pub fn sync(
    endpoints: &Path,
    file: &Path,
    root: Option<&str>,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let client = crate::link_cmd::client(endpoints)?;
    let rt = crate::link_cmd::runtime()?;
    let saved = load(file)?;
    let root = match (root, &saved) {
        (Some(hex), _) => techo_core::hex::decode(hex)
            .and_then(|b| PublicKey::from_sec1(&b).ok())
            .ok_or_else(|| {
                CliError::BadArgument("--root is not a P-256 public key in hex".into())
            })?,
        (None, Some(b)) => b
            .root()
            .map_err(|e| CliError::BadArgument(format!("{}: {e}", file.display())))?,
        (None, None) => {
            let bytes = rt
                .block_on(client.root_key())
                .map_err(|e| CliError::BadArgument(e.to_string()))?;
            let key =
                PublicKey::from_sec1(&bytes).map_err(|e| CliError::BadArgument(e.to_string()))?;
            eprintln!(
                "{} {}",
                lang.pick(
                    "注意：サーバーが示したルート鍵を固定しました。公表値と照合してください:",
                    "note: pinned the root key the server gave; check it against the published one:"
                ),
                techo_core::hex::encode(&key.compressed())
            );
            key
        }
    };
    let refresh = rt
        .block_on(client.refresh_verifier(&root, saved.as_ref()))
        .map_err(|e| CliError::BadArgument(e.to_string()))?;
    techo_core::private_file::write_private(file, &refresh.bundle.to_bytes()).map_err(|e| {
        CliError::WriteFile {
            path: file.display().to_string(),
            why: e.to_string(),
        }
    })?;
    if json {
        let lists: Vec<serde_json::Value> = refresh
            .sync
            .lists
            .iter()
            .map(|(list, version, how)| {
                serde_json::json!({
                    "list": list,
                    "version": version,
                    "fetched": match how {
                        ListSync::Current => "current",
                        ListSync::Delta { .. } => "delta",
                        ListSync::Full { .. } => "full",
                    },
                    "bytes": how.bytes(),
                })
            })
            .collect();
        print_json(&serde_json::json!({ "lists": lists, "bytes": refresh.sync.bytes() }));
        return Ok(());
    }
    for (list, version, how) in &refresh.sync.lists {
        let what = match how {
            ListSync::Current => lang.pick("最新", "current").to_owned(),
            ListSync::Delta { changes, signed } => format!(
                "{} {changes} {} / {} B",
                lang.pick("差分", "delta:"),
                lang.pick("件", "changes"),
                signed.len()
            ),
            ListSync::Full { signed } => {
                format!(
                    "{} {} B",
                    lang.pick("全体を取得", "fetched whole:"),
                    signed.len()
                )
            }
        };
        out!(
            "{} {list} v{version}: {what}",
            lang.pick("失効リスト", "status list")
        );
    }
    Ok(())
}
