//! `techo store check | export | reset`: the recovery path for a damaged or foreign store.

use crate::error::CliError;
use crate::print_json;
use std::path::Path;
use techo_core::model::PhotoFormat;
use techo_core::store::DamagedRecord;
use techo_core::{Lang, Wallet};

fn damaged_json(damaged: &[DamagedRecord]) -> Vec<serde_json::Value> {
    damaged
        .iter()
        .map(|d| serde_json::json!({ "table": d.table, "key": d.key, "why": d.why }))
        .collect()
}

pub fn check(wallet: &Wallet, repair: bool, json: bool, lang: Lang) -> Result<(), CliError> {
    let report = wallet.check()?;
    let dropping = repair && !report.is_healthy();
    if json {
        let readable: std::collections::BTreeMap<_, _> = report.readable.iter().copied().collect();
        print_json(&serde_json::json!({
            "schema_version": report.schema_version,
            "readable": readable,
            "damaged": damaged_json(&report.damaged),
            "repaired": dropping,
        }));
    } else {
        out!(
            "{} {}",
            lang.pick("スキーマ版:", "schema version:"),
            report.schema_version
        );
        for (table, n) in &report.readable {
            out!("  {table}: {n} {}", lang.pick("件 読み取り可", "readable"));
        }
        for d in &report.damaged {
            out!(
                "  {} {}/{}: {}",
                lang.pick("破損:", "DAMAGED:"),
                d.table,
                d.key,
                d.why
            );
        }
        if report.is_healthy() {
            out!(
                "{}",
                lang.pick("問題はありません。", "The store is healthy.")
            );
        }
    }
    if report.is_healthy() {
        return Ok(());
    }
    if dropping {
        wallet.drop_damaged(&report.damaged)?;
        if !json {
            out!(
                "{}",
                lang.pick(
                    "破損したレコードを予備コピーから復元しました（復元できないものは削除しました）。",
                    "Damaged records were restored from the second copy (those it could not prove were removed)."
                )
            );
        }
        return Ok(());
    }
    Err(CliError::Damaged(report.damaged.len()))
}

pub fn export(wallet: &Wallet, out: &Path, json: bool, lang: Lang) -> Result<(), CliError> {
    let export = wallet.export()?;
    let write_err = |p: &Path, e: &std::io::Error| CliError::WriteFile {
        path: p.display().to_string(),
        why: e.to_string(),
    };
    // Decrypted personal data: private folders and files (0700 / 0600), no link followed.
    let folder = |p: &Path| {
        techo_core::private_file::private_dir(p).map_err(|e| CliError::WriteFile {
            path: p.display().to_string(),
            why: e.to_string(),
        })
    };
    let write = |p: &Path, bytes: &[u8]| {
        techo_core::private_file::write_private(p, bytes).map_err(|e| write_err(p, &e))
    };
    let photos = out.join("photos");
    folder(out)?;
    folder(&photos)?;
    let file = out.join("handbooks.json");
    let body = serde_json::json!({
        "schema_version": export.schema_version,
        "handbooks": export.handbooks,
        "support_profile": export.support,
        "damaged": damaged_json(&export.damaged),
    });
    let bytes = serde_json::to_vec_pretty(&body).map_err(|e| CliError::WriteFile {
        path: file.display().to_string(),
        why: e.to_string(),
    })?;
    write(&file, &bytes)?;
    for (id, bytes) in &export.photos {
        let format = export
            .handbooks
            .iter()
            .find(|h| &h.id == id)
            .and_then(|h| h.photo.as_ref());
        let ext = format.map_or("bin", |p| {
            if p.format == PhotoFormat::Png {
                "png"
            } else {
                "jpg"
            }
        });
        let path = photos.join(format!("{id}.{ext}"));
        write(&path, bytes)?;
    }
    if !export.pages.is_empty() {
        let pages = out.join("pages");
        folder(&pages)?;
        for (id, n, bytes) in &export.pages {
            let ext = if bytes.starts_with(b"\x89PNG") {
                "png"
            } else {
                "jpg"
            };
            let path = pages.join(format!("{id}-{}.{ext}", n + 1));
            write(&path, bytes)?;
        }
    }
    if json {
        print_json(&serde_json::json!({
            "exported": export.handbooks.len(),
            "photos": export.photos.len(),
            "pages": export.pages.len(),
            "damaged": export.damaged.len(),
            "dir": out,
        }));
    } else {
        out!(
            "{} {} / {} {} → {}",
            lang.pick("手帳", "handbooks"),
            export.handbooks.len(),
            lang.pick("写真", "photos"),
            export.photos.len(),
            out.display()
        );
        if !export.damaged.is_empty() {
            out!(
                "{} {}",
                lang.pick("読めなかったレコード:", "records that could not be read:"),
                export.damaged.len()
            );
        }
    }
    Ok(())
}

pub fn reset(data_dir: &Path, yes: bool, json: bool, lang: Lang) -> Result<(), CliError> {
    if !yes {
        return Err(CliError::ResetNotConfirmed);
    }
    Wallet::reset(data_dir)?;
    if json {
        print_json(&serde_json::json!({ "reset": true }));
    } else {
        out!(
            "{}",
            lang.pick(
                "ストアと暗号鍵を削除しました。",
                "The store and its key were deleted."
            )
        );
    }
    Ok(())
}
