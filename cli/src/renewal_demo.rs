//! The renewal part of `techo demo`: two weeks on, the phone renews its batch without the card
//! (the portal is asked again under the standing consent) and the new code verifies; near the
//! end of the consented year the holder is warned that the card will be needed.

use crate::demo::Transcript;
use crate::error::CliError;
use crate::linkage_demo::fail;
use serde_json::json;
use std::sync::Arc;
use techo_core::model::{HandbookId, LinkageState};
use techo_core::portal::TechoClient;
use techo_core::token::{ClaimId, Policy, verify};
use techo_core::{Clock, FixedClock, Wallet};

pub async fn run(
    wallet: &Wallet,
    client: &TechoClient,
    clock: &Arc<FixedClock>,
    id: &HandbookId,
    t: &mut Transcript,
) -> Result<(), CliError> {
    let lang = t.lang;
    t.say(
        "\n== 2週間後：カードなしで証明書を更新 ==",
        "\n== Two weeks later: new credentials without the card ==",
    );
    // The morning the renewal falls due (a week before the batch runs out).
    clock.set(wallet.renewal_time(id)? + chrono::Duration::hours(9));
    let report = wallet.keep_linked(client).await?;
    if let Some((_, problem)) = report.problems.first() {
        return Err(fail(format!("the renewal failed: {problem}")));
    }
    let until = match wallet.get(id)?.linkage {
        LinkageState::Linked { valid_until, .. } => valid_until.unwrap_or_default(),
        other => {
            return Err(fail(format!(
                "expected 連携済 after the renewal, got {other:?}"
            )));
        }
    };
    let (_, payload) = wallet.present(Some(id), &ClaimId::COUNTER, None)?;
    let (trust, status) = client.verifier_lists().await.map_err(fail)?;
    verify(
        &payload.binary(),
        &trust,
        &status,
        clock.now(),
        &Policy::default(),
    )
    .map_err(|e| fail(format!("the renewed code was refused: {}", e.message(lang))))?;
    t.step(
        "renewed",
        &format!("  マイナポータルに再照会し連携済のまま更新（証明書は {until} まで）。新しいコードも ✔ 有効"),
        &format!("  The portal was asked again: still linked, credentials until {until}. The new code ✔ verifies"),
        json!({ "renewed": true, "valid_until": until, "card_used": false }),
    );

    let LinkageState::Linked {
        consent_until: Some(consent_until),
        ..
    } = wallet.get(id)?.linkage
    else {
        return Ok(());
    };
    t.say(
        "\n== 同意期間の終わりが近づく ==",
        "\n== The consented period nears its end ==",
    );
    let warn_from = consent_until - chrono::Duration::days(20);
    clock.set(
        warn_from
            .and_hms_opt(9, 0, 0)
            .and_then(|d| d.and_local_timezone(techo_core::clock::jst()).single())
            .map_or_else(|| clock.now(), |d| d.with_timezone(&chrono::Utc)),
    );
    let report = wallet.keep_linked(client).await?;
    for n in &report.notices {
        t.step(
            "notice",
            &format!("  🔔 {}：{}", n.title(lang), n.body(lang)),
            &format!("  🔔 {}: {}", n.title(lang), n.body(lang)),
            json!({ "notice": n.title(techo_core::Lang::Ja), "consent_until": consent_until }),
        );
    }
    if report.notices.is_empty() {
        return Err(fail("no warning before the consent ends"));
    }
    Ok(())
}
