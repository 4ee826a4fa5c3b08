//! `techo issuer ...`: a local development issuer, until linkage through the portal lands.

use crate::error::CliError;
use crate::print_json;
use std::path::{Path, PathBuf};
use techo_core::token::{DevIssuer, Status};
use techo_core::{Lang, Wallet};

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("dev-issuer")
}

pub fn open_or_create(data_dir: &Path) -> Result<DevIssuer, CliError> {
    let d = dir(data_dir);
    if d.join("state.json").exists() {
        Ok(DevIssuer::open(&d)?)
    } else {
        Ok(DevIssuer::create(&d)?)
    }
}

pub fn init(data_dir: &Path, json: bool, lang: Lang) -> Result<(), CliError> {
    let d = dir(data_dir);
    let issuer = if d.join("state.json").exists() {
        DevIssuer::open(&d)?
    } else {
        DevIssuer::create(&d)?
    };
    let root = techo_core::hex::encode(&issuer.root_public().compressed());
    if json {
        print_json(&serde_json::json!({ "dir": d, "root_key": root }));
    } else {
        out!(
            "{} {}",
            lang.pick("開発用発行者:", "development issuer:"),
            d.display()
        );
        out!("{} {root}", lang.pick("ルート公開鍵:", "root public key:"));
    }
    Ok(())
}

/// Issues a batch of credentials for a handbook into the wallet, bound to new device keys.
pub fn issue(
    wallet: &Wallet,
    data_dir: &Path,
    id: &str,
    batch: usize,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let mut issuer = open_or_create(data_dir)?;
    let hb = wallet.get(&crate::resolve::handbook(wallet, id)?)?;
    let creds = wallet.issue_for_development(&hb.id, &mut issuer, batch)?;
    let until = creds
        .first()
        .map(|c| c.not_after.to_string())
        .unwrap_or_default();
    if json {
        print_json(
            &serde_json::json!({ "handbook": hb.id, "credentials": creds.len(), "valid_until": until }),
        );
    } else {
        out!(
            "{} {} ({} {}, {} {until})",
            lang.pick("証明書を発行しました:", "credentials issued:"),
            hb.id,
            creds.len(),
            lang.pick("件", "credentials"),
            lang.pick("有効期限", "valid until"),
        );
    }
    Ok(())
}

pub fn set_status(
    data_dir: &Path,
    id: &str,
    status: Status,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let mut issuer = DevIssuer::open(&dir(data_dir))?;
    let n = issuer.set_status(id, status)?;
    let word = match status {
        Status::Valid => lang.pick("有効に戻しました", "reinstated"),
        Status::Revoked => lang.pick("失効させました", "revoked"),
        Status::Suspended => lang.pick("一時停止しました", "suspended"),
    };
    if json {
        print_json(
            &serde_json::json!({ "holder": id, "entries": n, "status": format!("{status:?}").to_lowercase() }),
        );
    } else {
        out!("{id}: {word} ({n})");
    }
    Ok(())
}

/// Writes what verifiers need: the signed trust list, the signed status list, the root key.
pub fn publish(
    data_dir: &Path,
    out_dir: &Path,
    now: chrono::DateTime<chrono::Utc>,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let issuer = DevIssuer::open(&dir(data_dir))?;
    let write = |name: &str, bytes: &[u8]| {
        let p = out_dir.join(name);
        std::fs::write(&p, bytes).map_err(|e| CliError::WriteFile {
            path: p.display().to_string(),
            why: e.to_string(),
        })
    };
    std::fs::create_dir_all(out_dir).map_err(|e| CliError::WriteFile {
        path: out_dir.display().to_string(),
        why: e.to_string(),
    })?;
    write("trust-list.cbor", &issuer.signed_trust_list(now))?;
    write("status-list-1.cbor", &issuer.signed_status_list(now))?;
    write(
        "root-key.txt",
        techo_core::hex::encode(&issuer.root_public().compressed()).as_bytes(),
    )?;
    if json {
        print_json(&serde_json::json!({
            "dir": out_dir.display().to_string(),
            "files": ["trust-list.cbor", "status-list-1.cbor", "root-key.txt"],
        }));
    } else {
        out!(
            "{} {}",
            lang.pick("検証用データを書き出しました:", "verifier data written to"),
            out_dir.display()
        );
    }
    Ok(())
}
