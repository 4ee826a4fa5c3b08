//! `techo profile` and `techo pages`: the holder's self-declared support profile and the
//! photographed handbook pages.

use crate::error::CliError;
use crate::print_json;
use std::path::Path;
use techo_core::model::HandbookId;
use techo_core::model::SupportProfile;
use techo_core::{Lang, Wallet};

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    crate::input::read_file(path, crate::input::SMALL_FILE)
}

pub fn set(wallet: &Wallet, from: &Path, json: bool, lang: Lang) -> Result<(), CliError> {
    let text = String::from_utf8(read(from)?).map_err(|_| CliError::ReadFile {
        path: from.display().to_string(),
        why: "not UTF-8 text".into(),
    })?;
    let profile = SupportProfile::from_toml(&text)
        .map_err(|e| CliError::BadArgument(format!("{}: {e}", from.display())))?;
    wallet.set_support_profile(&profile)?;
    show_profile(&profile, json, lang);
    Ok(())
}

pub fn show(wallet: &Wallet, json: bool, lang: Lang) -> Result<(), CliError> {
    show_profile(&wallet.support_profile()?, json, lang);
    Ok(())
}

pub fn clear(wallet: &Wallet, json: bool, lang: Lang) -> Result<(), CliError> {
    wallet.set_support_profile(&SupportProfile::default())?;
    show_profile(&SupportProfile::default(), json, lang);
    Ok(())
}

/// The profile as lines, each marked; shared with `techo verify`'s self-declared block.
pub fn profile_lines(profile: &SupportProfile, lang: Lang) -> Vec<String> {
    let mut out: Vec<String> = profile
        .on_screen()
        .iter()
        .map(|i| {
            format!(
                "{}: {}{}",
                i.code.group().label(lang),
                i.describe(lang),
                if i.in_qr {
                    lang.pick("（QRにも）", " (also in the QR)")
                } else {
                    ""
                }
            )
        })
        .collect();
    out.extend(profile.items.iter().filter(|i| !i.on_screen).map(|i| {
        format!(
            "{} {}",
            lang.pick("（非表示）", "(hidden)"),
            i.describe(lang)
        )
    }));
    if let Some(n) = &profile.note {
        out.push(format!("{}: {n}", lang.pick("メモ", "note")));
    }
    out
}

fn show_profile(profile: &SupportProfile, json: bool, lang: Lang) {
    if json {
        print_json(&serde_json::json!({ "self_declared": true, "profile": profile }));
        return;
    }
    if profile.is_empty() {
        out!(
            "{}",
            lang.pick("支援情報は登録されていません", "no support profile")
        );
        return;
    }
    out!(
        "{}",
        lang.pick("支援情報（本人申告）:", "Support profile (self-declared):")
    );
    for line in profile_lines(profile, lang) {
        out!("  {line}");
    }
}

pub fn add_page(
    wallet: &Wallet,
    id: &HandbookId,
    file: &Path,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let (hb, page) = wallet.add_page(id, &read(file)?)?;
    if json {
        print_json(
            &serde_json::json!({ "handbook": hb.id, "page": hb.pages.len(), "image": page }),
        );
    } else {
        out!(
            "{} {} / {} {} ({}×{}, {} KB{})",
            lang.pick("手帳画像を追加しました:", "page image added:"),
            hb.id,
            lang.pick("ページ", "page"),
            hb.pages.len(),
            page.width,
            page.height,
            page.size / 1024,
            if page.rotation == 0 {
                String::new()
            } else {
                format!(", {}°", page.rotation)
            }
        );
        out!(
            "  {}",
            lang.pick(
                "位置情報などのメタデータは削除しました",
                "location and other metadata removed"
            )
        );
    }
    Ok(())
}

pub fn list_pages(
    wallet: &Wallet,
    id: &HandbookId,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let hb = wallet.get(id)?;
    if json {
        print_json(&serde_json::json!({ "handbook": hb.id, "pages": hb.pages }));
    } else if hb.pages.is_empty() {
        out!("{}", lang.pick("手帳画像はありません", "no page images"));
    } else {
        for (n, p) in hb.pages.iter().enumerate() {
            out!(
                "{} {}: {:?} {}×{} {} KB",
                lang.pick("ページ", "page"),
                n + 1,
                p.format,
                p.width,
                p.height,
                p.size / 1024
            );
        }
    }
    Ok(())
}

fn page_index(n: usize) -> Result<usize, CliError> {
    n.checked_sub(1)
        .ok_or_else(|| CliError::BadArgument("pages are numbered from 1".into()))
}

pub fn export_page(
    wallet: &Wallet,
    id: &HandbookId,
    n: usize,
    out: &Path,
    lang: Lang,
) -> Result<(), CliError> {
    let bytes = wallet
        .page(id, page_index(n)?)?
        .ok_or_else(|| techo_core::WalletError::NotFound(format!("{id} page {n}")))?;
    techo_core::private_file::write_private(out, &bytes).map_err(|e| CliError::WriteFile {
        path: out.display().to_string(),
        why: e.to_string(),
    })?;
    out!(
        "{} {}",
        lang.pick("書き出しました:", "written:"),
        out.display()
    );
    Ok(())
}

pub fn remove_page(
    wallet: &Wallet,
    id: &HandbookId,
    n: usize,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let hb = wallet.remove_page(id, page_index(n)?)?;
    if json {
        print_json(&serde_json::json!({ "handbook": hb.id, "pages": hb.pages.len() }));
    } else {
        out!(
            "{} {} ({})",
            lang.pick("削除しました。残り", "removed; remaining"),
            hb.pages.len(),
            hb.id
        );
    }
    Ok(())
}
