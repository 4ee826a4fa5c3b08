//! `techo ledger [ID]`: the consent ledger, as the phone's ledger screen shows it.

use crate::error::CliError;
use crate::print_json;
use techo_core::model::HandbookId;
use techo_core::wallet::item_label;
use techo_core::{Lang, Wallet};

pub fn show(
    wallet: &Wallet,
    id: Option<&HandbookId>,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let hb = match id {
        Some(id) => wallet.get(id)?,
        None => wallet
            .counter_handbook()?
            .ok_or_else(|| CliError::BadArgument("no handbook: register one first".into()))?,
    };
    let ledger = wallet.ledger(&hb.id, lang)?;
    if json {
        print_json(&serde_json::json!({
            "handbook": hb.id.as_str(),
            "issuer": ledger.linkage.as_ref().map(|c| serde_json::json!({
                "since": c.since,
                "until": c.until,
                "items": c.items,
            })),
            "sites": ledger.shared.iter().map(|d| serde_json::json!({
                "at": d.at,
                "site": lang.pick(&d.site, &d.site_en),
                "audience": d.audience,
                "items": d.items,
                "accepted": d.accepted,
            })).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    out!(
        "{} {} {}",
        lang.pick("同意の記録:", "Consent ledger:"),
        hb.kind().label(lang),
        hb.category.grade_label(lang)
    );
    match &ledger.linkage {
        Some(c) => {
            out!(
                "  Techo ({}) {} {}{}",
                lang.pick("マイナポータル経由", "through the Myna Portal"),
                lang.pick("連携の同意", "linkage consent since"),
                c.since.format("%Y-%m-%d"),
                c.until.map_or_else(String::new, |u| format!(
                    " – {u} ({})",
                    lang.pick("同意の終わり", "consent ends")
                ))
            );
            out!("    {}", c.items.join(", "));
            out!(
                "    {}",
                lang.pick(
                    "取り消し: techo unlink <ID>（発行元が失効させ、削除します）",
                    "withdraw: techo unlink <ID> (the issuer revokes and deletes)"
                )
            );
        }
        None => out!(
            "  {}",
            lang.pick(
                "発行元への連携の同意はありません",
                "no linkage consent with the issuer"
            )
        ),
    }
    if ledger.shared.is_empty() {
        out!(
            "  {}",
            lang.pick(
                "サイトへの提示はまだありません",
                "nothing shared with a site yet"
            )
        );
    }
    for d in &ledger.shared {
        let mark = if d.accepted { "◯" } else { "✕" };
        out!(
            "  {} {mark} {} ({})",
            d.at.format("%Y-%m-%d %H:%M UTC"),
            lang.pick(&d.site, &d.site_en),
            d.audience
        );
        let items: Vec<String> = d.items.iter().map(|i| item_label(i, lang)).collect();
        out!("    {}", items.join(", "));
    }
    Ok(())
}
