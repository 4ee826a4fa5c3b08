//! The operator-policy part of `techo demo`: the same verified presentation judged by each
//! illustrative operator, the operator directory and a coupon. (The booking site's challenge is
//! in `booking_demo`, against the reference site.)

use crate::demo::Transcript;
use crate::error::CliError;
use chrono::{DateTime, Utc};
use serde_json::json;
use techo_core::Wallet;
use techo_core::model::HandbookId;
use techo_core::policy::{Decision, Facts, OperatorPolicy, Trip, evaluate};
use techo_core::token::{Policy, StatusList, TrustList, VerifiedPresentation, verify};

/// The fixture policies, compiled in so the demo runs from anywhere.
pub const POLICIES: [(&str, &str); 6] = [
    (
        "rail-jr-style.toml",
        include_str!("../../fixtures/policies/rail-jr-style.toml"),
    ),
    (
        "city-bus-linked-only.toml",
        include_str!("../../fixtures/policies/city-bus-linked-only.toml"),
    ),
    (
        "museum-all-kinds.toml",
        include_str!("../../fixtures/policies/museum-all-kinds.toml"),
    ),
    (
        "booking-site-online.toml",
        include_str!("../../fixtures/policies/booking-site-online.toml"),
    ),
    (
        "ferry-no-mental.toml",
        include_str!("../../fixtures/policies/ferry-no-mental.toml"),
    ),
    (
        "airline-holder-present.toml",
        include_str!("../../fixtures/policies/airline-holder-present.toml"),
    ),
];

use crate::linkage_demo::fail;

fn policies() -> Result<Vec<OperatorPolicy>, CliError> {
    POLICIES
        .iter()
        .map(|(file, text)| OperatorPolicy::from_toml(file, text).map_err(fail))
        .collect()
}

fn say_verdict(
    t: &mut Transcript,
    step: &str,
    policy: &OperatorPolicy,
    facts: &Facts,
    trip: &Trip,
) {
    let lang = t.lang;
    let v = evaluate(facts, policy, trip);
    let why = v
        .reasons
        .first()
        .map(|r| format!(" — {}", r.text(lang)))
        .unwrap_or_default();
    let what = if v.decision == Decision::NotAccepted {
        String::new()
    } else {
        format!(" : {}", v.grant.line(lang))
    };
    let line = format!(
        "  {} {}{what}{why}",
        crate::width::pad(policy.display_name(lang), 28),
        v.decision.headline(lang)
    );
    t.step(
        step,
        &line,
        &line,
        json!({ "operator": policy.id, "decision": v.decision, "grant": v.grant, "codes": v.codes() }),
    );
}

/// Judges a verified presentation by every fixture operator and syncs the directory.
pub async fn run(
    wallet: &Wallet,
    id: &HandbookId,
    verified: &VerifiedPresentation,
    lists: (&TrustList, &Vec<StatusList>),
    client: &techo_core::portal::TechoClient,
    now: DateTime<Utc>,
    t: &mut Transcript,
) -> Result<(), CliError> {
    t.say(
        "\n== 事業者ごとの判定（例示の規定）==",
        "\n== What this holder gets at each operator (illustrative rules) ==",
    );
    let trip = Trip {
        date: now.with_timezone(&techo_core::clock::jst()).date_naive(),
        distance_km: Some(30),
        with_caregiver: None,
    };
    let all = policies()?;
    let facts = Facts::from_presentation(verified, now);
    places(wallet, id, lists.0, client, &trip, t).await?;
    for p in &all {
        say_verdict(t, "policy", p, &facts, &trip);
    }
    // The counter screen's hint for another handbook, from the wallet itself: the same rules.
    if let Some(other) = wallet
        .list()?
        .into_iter()
        .find(|h| h.kind() == techo_core::model::HandbookKind::Mental && h.is_valid_on(trip.date))
    {
        t.say(
            &format!(
                "\n== {}（{}）の場合：アプリ内の目安 ==",
                other.kind().label(t.lang),
                other.linkage.label(t.lang)
            ),
            &format!(
                "\n== The same for the {} ({}): the app's own hint ==",
                other.kind().label(t.lang),
                other.linkage.label(t.lang)
            ),
        );
        let hint = Facts::from_handbook(&other);
        for p in &all {
            say_verdict(t, "policy_hint", p, &hint, &trip);
        }
    }

    Ok(())
}

/// The app syncs the operator directory and answers "where in Tokyo, and what do I get there".
async fn places(
    wallet: &Wallet,
    id: &HandbookId,
    trust: &TrustList,
    client: &techo_core::portal::TechoClient,
    trip: &Trip,
    t: &mut Transcript,
) -> Result<(), CliError> {
    let lang = t.lang;
    let mut dir = wallet.directory()?;
    let synced = techo_core::directory::sync(client, trust, &mut dir)
        .await
        .map_err(fail)?;
    wallet.set_directory(&dir)?;
    let hb = wallet.get(id)?;
    let found = dir.places(
        &techo_core::directory::PlaceQuery {
            area: Some("東京都"),
            handbook: Some(&hb),
            ..Default::default()
        },
        trip,
    );
    t.say(
        &format!("\n== 事業者一覧（署名付き、{} 件をオフライン保存）：東京都でこの手帳が使える所 ==", dir.entries.len()),
        &format!("\n== Operator directory (signed, {} kept offline): where this handbook works in Tokyo ==", dir.entries.len()),
    );
    for p in &found {
        let line = format!(
            "  {}",
            techo_core::directory::Directory::describe(&p.policy, lang)
        );
        t.say(&line, &line);
    }
    let summary = format!("  {}", synced.describe(lang));
    t.step(
        "places",
        &summary,
        &summary,
        json!({
            "synced": format!("{synced:?}"),
            "operators": dir.entries.len(),
            "tokyo": found.iter().map(|p| p.policy.id.clone()).collect::<Vec<_>>(),
        }),
    );
    Ok(())
}

/// The museum's once-only coupon in the demo (illustrative).
pub fn museum_coupon(now: DateTime<Utc>) -> techo_core::directory::coupon::Coupon {
    let today = now.with_timezone(&techo_core::clock::jst()).date_naive();
    techo_core::directory::coupon::Coupon {
        id: "winter-exhibition".into(),
        title_ja: "冬の特別展 ご本人と付添1名 無料".into(),
        title_en: "Winter exhibition: holder and one companion free".into(),
        terms_ja: "お一人様1回限り。他の割引との併用不可。".into(),
        terms_en: "Once per holder; not with other discounts.".into(),
        valid_from: today,
        valid_until: today + chrono::Duration::days(30),
        kinds: Vec::new(),
        per_holder: 1,
        withdrawn: false,
    }
}

/// The holder shows the museum's coupon; the counter redeems it once; a second code is refused.
pub async fn coupon(
    wallet: &Wallet,
    id: &HandbookId,
    lists: (&TrustList, &Vec<StatusList>),
    client: &techo_core::portal::TechoClient,
    operator_token: &str,
    now: DateTime<Utc>,
    t: &mut Transcript,
) -> Result<(), CliError> {
    use techo_core::directory::redemption::{RedemptionQueue, redeem};
    let lang = t.lang;
    t.say(
        "\n== クーポン：美術館の冬の特別展（ご本人のみ・1回限り）==",
        "\n== A coupon: the museum's winter exhibition (holder only, once) ==",
    );
    let dir = wallet.directory()?;
    let mut results = Vec::new();
    for attempt in 0..2 {
        // A fresh code each time (a new device signature), as a second visit would show.
        let at = now;
        let (_, coupon, payload) =
            wallet.present_coupon(Some(id), "example-museum", "winter-exhibition")?;
        if attempt == 0 {
            let line = format!("  {} — {}", coupon.title(lang), coupon.terms(lang));
            t.say(&line, &line);
        }
        let v =
            verify(&payload.binary(), lists.0, lists.1, at, &Policy::default()).map_err(fail)?;
        let r = redeem(&v, &payload.binary(), "example-museum", &dir, at).map_err(fail)?;
        // The counter queues (it may be offline) and sends; the server counts each code once.
        let mut queue = RedemptionQueue::default();
        queue.push(r);
        let answered = client
            .redeem("example-museum", operator_token, &queue.pending)
            .await
            .map_err(fail)?;
        queue.settle(&answered);
        let result = answered.first().map(|(_, r)| *r);
        let said = result.map_or("-", |r| r.message(lang));
        let line = match result {
            Some(techo_core::directory::redemption::RedemptionResult::Recorded) => {
                format!("  ◯ {}{said}", lang.pick("1回目：", "first use: "))
            }
            _ => format!(
                "  ✕ {}{said}",
                lang.pick("2回目：利用できません — ", "second attempt refused — ")
            ),
        };
        t.step(
            "coupon",
            &line,
            &line,
            json!({ "attempt": attempt + 1, "result": result }),
        );
        results.push(result);
    }
    Ok(())
}

/// Everything after the first verification: each operator's verdict, the directory, the booking
/// site's challenge, then the museum's coupon.
pub async fn operators_and_coupon(
    wallet: &Wallet,
    id: &HandbookId,
    verified: &VerifiedPresentation,
    lists: (&TrustList, &Vec<StatusList>),
    lb: &crate::linkage_demo::Loopback,
    now: DateTime<Utc>,
    t: &mut Transcript,
) -> Result<(), CliError> {
    run(wallet, id, verified, lists, &lb.client, now, t).await?;
    let operator_token = lb.operator_token("example-museum").await?;
    coupon(wallet, id, lists, &lb.client, &operator_token, now, t).await
}
