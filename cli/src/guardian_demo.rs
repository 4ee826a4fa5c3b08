//! The guardian part of `techo demo`: 伊藤 美咲 presents her daughter's 療育手帳 from her own
//! phone. The daughter (18) cannot use a card PIN, so the mother consents with her own card as the
//! proxy the portal has on record (代理人設定). The screen and the verifier say who presents.

use crate::demo::Transcript;
use crate::error::CliError;
use crate::linkage_demo::{Loopback, child_card_dir, fail, guardian_card_dir, soft_card};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use techo_core::card::{LastTry, Pin};
use techo_core::model::{HandbookDraft, HandbookId, Relationship};
use techo_core::policy::{Facts, OperatorPolicy, Trip, evaluate};
use techo_core::store::FileKeyProvider;
use techo_core::token::{ClaimId, Policy, verify};
use techo_core::wallet::LinkOptions;
use techo_core::{Clock, FixedClock, Wallet};

/// The daughter's and the child's handbooks (fixtures 06 and 08) with their face photos.
const DAUGHTER: (&str, &str, &[u8]) = crate::demo::FIXTURES[5];
const CHILD: (&str, &str, &[u8]) = crate::demo::FIXTURES[7];

/// A guardian's own phone: a wallet in `dir/<folder>` holding `fixture` as presented by `name`.
fn guardian_wallet(
    dir: &Path,
    folder: &str,
    clock: &Arc<FixedClock>,
    (_, fixture, photo): (&str, &str, &[u8]),
    relationship: &str,
    name: &str,
) -> Result<(Wallet, HandbookId), CliError> {
    let home = dir.join(folder);
    let keys = FileKeyProvider::new(Wallet::key_file(&home));
    let clock_dyn: Arc<dyn Clock> = clock.clone();
    let wallet = Wallet::open(&home, &keys, clock_dyn)?;
    let text =
        format!("{fixture}\n[guardian]\nrelationship = \"{relationship}\"\nname = \"{name}\"\n");
    let hb = wallet.add(&HandbookDraft::from_toml(&text).map_err(fail)?, Some(photo))?;
    Ok((wallet, hb.id))
}

/// Links with a software card folder, `batch` credentials, optionally as `on_behalf_of`'s proxy.
async fn link(
    wallet: &Wallet,
    id: &HandbookId,
    lb: &Loopback,
    card: std::path::PathBuf,
    (pin, batch): (&str, usize),
    on_behalf_of: Option<&str>,
) -> Result<techo_core::model::LinkageState, CliError> {
    let state_file = card.with_extension("state");
    let mut card = soft_card(&card, &state_file)?;
    let pin = Pin::parse(pin).map_err(|e| CliError::Card(e.into()))?;
    let options = LinkOptions {
        batch,
        on_behalf_of: on_behalf_of.map(str::to_owned),
    };
    wallet
        .link(&lb.client, id, &mut card, &pin, LastTry::Refuse, &options)
        .await
        .map_err(fail)
}

/// A counter presentation, verified with the server's lists as a gate would.
async fn verified(
    wallet: &Wallet,
    id: &HandbookId,
    lb: &Loopback,
    clock: &Arc<FixedClock>,
) -> Result<techo_core::token::VerifiedPresentation, CliError> {
    let (_, payload) = wallet.present(Some(id), &ClaimId::COUNTER, None)?;
    let (trust, status) = lb.client.verifier_lists().await.map_err(fail)?;
    verify(
        &payload.binary(),
        &trust,
        &status,
        clock.now(),
        &Policy::default(),
    )
    .map_err(fail)
}

/// A parent links her 16-year-old's 療育手帳 with the child's own card (she knows the PIN):
/// the portal sees the child's consent, the app declares the parent.
async fn with_the_childs_card(
    lb: &Loopback,
    clock: &Arc<FixedClock>,
    dir: &Path,
    t: &mut Transcript,
) -> Result<(), CliError> {
    let lang = t.lang;
    t.say(
        "\n== 保護者による提示（2）：中村 真理さんが16歳の娘（陽菜さん）のカードで連携 ==",
        "\n== A guardian presents (2): 中村 真理 links her 16-year-old's handbook with the child's card ==",
    );
    let (wallet, id) = guardian_wallet(dir, "parent-wallet", clock, CHILD, "parent", "中村 真理")?;
    let state = link(&wallet, &id, lb, child_card_dir(dir)?, ("2468", 2), None).await?;
    let v = verified(&wallet, &id, lb, clock).await?;
    let label = v.guardian.map(|g| g.label(lang)).unwrap_or_default();
    let line = format!("  {} → ✔ {label}", state.label(lang));
    t.step(
        "guardian_child_card",
        &line,
        &line,
        json!({ "linkage": state.label(techo_core::Lang::Ja), "guardian": v.guardian }),
    );
    Ok(())
}

pub async fn run(
    lb: &Loopback,
    clock: &Arc<FixedClock>,
    dir: &Path,
    t: &mut Transcript,
) -> Result<(), CliError> {
    let lang = t.lang;
    t.say(
        "\n== 保護者による提示：伊藤 美咲さんが娘（伊藤 さくらさん）の療育手帳を自分のスマホで ==",
        "\n== A guardian presents: 伊藤 美咲 shows her daughter's 療育手帳 from her own phone ==",
    );
    // The mother's own phone and wallet.
    let (wallet, id) = guardian_wallet(
        dir,
        "guardian-wallet",
        clock,
        DAUGHTER,
        "legal_guardian",
        "伊藤 美咲",
    )?;

    // The municipal office registered her as her daughter's proxy on the portal.
    lb.portal.state.register_proxy(
        "TEST-1003",
        "TEST-1010",
        Relationship::LegalGuardian,
        clock.now() + chrono::Duration::days(365),
    );
    t.step(
        "guardian_proxy",
        "  マイナポータル（模擬）：代理人設定 伊藤 美咲 → 伊藤 さくら（法定代理人）",
        "  Portal (simulated): proxy setting 伊藤 美咲 → 伊藤 さくら (legal guardian)",
        json!({ "principal": "TEST-1003", "agent": "TEST-1010" }),
    );
    let state = link(
        &wallet,
        &id,
        lb,
        guardian_card_dir(dir)?,
        ("1357", 4),
        Some("TEST-1003"),
    )
    .await?;
    t.step(
        "guardian_link",
        &format!("  母のカードで代理人として同意 → {}", state.label(lang)),
        &format!(
            "  consented with the mother's own card as proxy → {}",
            state.label(lang)
        ),
        json!({ "linkage": state.label(techo_core::Lang::Ja) }),
    );

    present(&wallet, &id, lb, clock, t).await?;
    with_the_childs_card(lb, clock, dir, t).await
}

/// The counter screen's band, the verifier naming the guardian, and two operators' verdicts.
async fn present(
    wallet: &Wallet,
    id: &HandbookId,
    lb: &Loopback,
    clock: &Arc<FixedClock>,
    t: &mut Transcript,
) -> Result<(), CliError> {
    let lang = t.lang;
    let screen = wallet
        .counter_screen(
            techo_core::screen::Options {
                lang,
                ..techo_core::screen::Options::default()
            },
            techo_core::screen::TOKEN_VERSION,
        )?
        .ok_or_else(|| fail("no counter handbook"))?;
    let band = screen.guardian.map(|b| b.text).unwrap_or_default();
    t.step(
        "guardian_screen",
        &format!("  画面の帯：【{band}】"),
        &format!("  screen band: [{band}]"),
        json!({ "band": band }),
    );

    let v = verified(wallet, id, lb, clock).await?;
    let label = v.guardian.map(|g| g.label(lang)).unwrap_or_default();
    t.step(
        "guardian_verify",
        &format!("  ✔ 有効：{label}"),
        &format!("  ✔ VALID: {label}"),
        json!({ "guardian": v.guardian }),
    );
    let trip = Trip {
        date: clock
            .now()
            .with_timezone(&techo_core::clock::jst())
            .date_naive(),
        distance_km: None,
        with_caregiver: None,
    };
    let facts = Facts::from_presentation(&v, clock.now());
    for (file, text) in crate::policy_demo::POLICIES
        .iter()
        .filter(|(f, _)| f.starts_with("museum") || f.starts_with("airline"))
    {
        let policy = OperatorPolicy::from_toml(file, text).map_err(fail)?;
        let verdict = evaluate(&facts, &policy, &trip);
        let why = verdict
            .reasons
            .first()
            .or_else(|| {
                verdict
                    .notes
                    .iter()
                    .find(|n| n.code == "presented_by_guardian")
            })
            .map(|r| r.text(lang).to_owned())
            .unwrap_or_default();
        let line = format!(
            "  {} {} — {why}",
            crate::width::pad(policy.display_name(lang), 28),
            verdict.decision.headline(lang)
        );
        t.step(
            "guardian_policy",
            &line,
            &line,
            json!({ "operator": policy.id, "decision": verdict.decision, "codes": verdict.codes() }),
        );
    }
    Ok(())
}
