//! The rules, in the order staff would apply them. Pure: same inputs, same verdict.

use super::facts::{Facts, Trip};
use super::format::{CaregiverRule, OperatorPolicy};
use super::verdict::{Decision, Grant, Reason, Verdict};
use crate::Lang;
use crate::model::FareClass;
use crate::token::LinkageKind;

/// What the rules found: refusals, things staff must check, and conditions worth knowing.
#[derive(Default)]
struct Findings {
    refuse: Vec<Reason>,
    manual: Vec<Reason>,
    notes: Vec<Reason>,
}

/// What the holder gets at this operator on this trip.
pub fn evaluate(facts: &Facts, policy: &OperatorPolicy, trip: &Trip) -> Verdict {
    let mut f = Findings::default();
    online_rule(facts, policy, &mut f);
    guardian_rule(facts, policy, &mut f);
    kind_rule(facts, policy, &mut f);
    linkage_rule(facts, policy, &mut f);
    validity_rule(facts, policy, trip, &mut f);
    fare_rule(facts, policy, &mut f);
    freshness_rule(facts, policy, &mut f);
    let grant = grant(facts, policy, trip, &mut f);
    let decision = if !f.refuse.is_empty() {
        Decision::NotAccepted
    } else if !f.manual.is_empty() {
        Decision::CheckManually
    } else {
        Decision::Accepted
    };
    let refused = decision == Decision::NotAccepted;
    Verdict {
        operator_id: policy.id.clone(),
        decision,
        grant: if refused { Grant::default() } else { grant },
        reasons: match decision {
            Decision::NotAccepted => f.refuse,
            Decision::CheckManually => f.manual,
            Decision::Accepted => Vec::new(),
        },
        // Conditions of a discount that is not given would only confuse.
        notes: if refused { Vec::new() } else { f.notes },
        facts: facts.clone(),
    }
}

fn guardian_rule(facts: &Facts, policy: &OperatorPolicy, f: &mut Findings) {
    let Some(g) = facts.guardian else {
        return;
    };
    if policy.accept_guardian {
        f.notes.push(Reason::new(
            "presented_by_guardian",
            g.label(Lang::Ja),
            g.label(Lang::En),
        ));
    } else {
        f.refuse.push(Reason::new(
            "holder_must_be_present",
            format!("{}：この事業者はご本人の提示が必要です", g.label(Lang::Ja)),
            format!(
                "{}: this operator needs the holder to present in person",
                g.label(Lang::En)
            ),
        ));
    }
}

fn online_rule(facts: &Facts, policy: &OperatorPolicy, f: &mut Findings) {
    if let Some(site) = &policy.online_audience
        && facts.verified
        && facts.challenge_audience.as_deref() != Some(site.as_str())
    {
        f.refuse.push(Reason::new(
            "challenge_required",
            format!("{site} 向けの新しい提示が必要です（使い回しは無効）"),
            format!(
                "needs a fresh presentation answering {site}'s challenge (replays are refused)"
            ),
        ));
    }
}

fn kind_rule(facts: &Facts, policy: &OperatorPolicy, f: &mut Findings) {
    match facts.kind {
        None => f.manual.push(Reason::new(
            "kind_not_shown",
            "手帳の種別が表示されていません：手帳の種別を確認してください",
            "the code does not show the handbook kind: check it",
        )),
        Some(kind) if !policy.kinds.contains(&kind) => f.refuse.push(Reason::new(
            "kind_not_accepted",
            format!("この事業者は{}を対象としていません", kind.label(Lang::Ja)),
            format!("this operator does not accept the {}", kind.label(Lang::En)),
        )),
        Some(_) => {}
    }
}

fn linkage_rule(facts: &Facts, policy: &OperatorPolicy, f: &mut Findings) {
    if policy.require_linked {
        match facts.linkage {
            Some(LinkageKind::Linked) => {}
            Some(LinkageKind::Pending) => f.refuse.push(Reason::new(
                "not_linked",
                "この事業者は連携済の画面のみ受け付けます（この手帳は申請中）",
                "this operator accepts only linked (連携済) screens; this one is pending",
            )),
            Some(LinkageKind::Unlinked) => f.refuse.push(Reason::new(
                "not_linked",
                "この事業者は連携済の画面のみ受け付けます（この手帳は未連携）",
                "this operator accepts only linked (連携済) screens; this one is not linked",
            )),
            None => f.manual.push(Reason::new(
                "linkage_not_shown",
                "連携状態が表示されていません",
                "the code does not show the linkage state: ask for the counter screen",
            )),
        }
    }
}

fn validity_rule(facts: &Facts, policy: &OperatorPolicy, trip: &Trip, f: &mut Findings) {
    if policy.require_unexpired
        && let Some(Some(expiry)) = facts.expiry
        && expiry < trip.date
    {
        f.refuse.push(Reason::new(
            "handbook_expired",
            format!("手帳の有効期限（{expiry}）が切れています"),
            format!("the handbook expired on {expiry}"),
        ));
    }
    if let Some(until) = facts.credential_valid_until
        && until < trip.date
    {
        f.notes.push(Reason::new(
            "credential_ends_before_trip",
            format!("証明書は{until}までです：乗車日に改めて提示が必要です"),
            format!("the credential runs to {until}: the holder shows it again on the day"),
        ));
    }
}

fn fare_rule(facts: &Facts, policy: &OperatorPolicy, f: &mut Findings) {
    match facts.fare_class {
        None => f.manual.push(Reason::new(
            "fare_class_not_shown",
            "運賃減額の種別が表示されていません",
            "the code does not show the fare class: check the handbook",
        )),
        Some(class) if !policy.fare_classes.contains(&class) => f.refuse.push(match class {
            FareClass::NotRecorded => Reason::new(
                "no_fare_class",
                "手帳に運賃減額の記載がないため割引の対象外です",
                "the handbook records no fare class, so no discount applies",
            ),
            _ => Reason::new(
                "fare_class_not_discounted",
                format!("{}はこの事業者の割引対象外です", class.label(Lang::Ja)),
                format!(
                    "{} is not discounted by this operator",
                    class.label(Lang::En)
                ),
            ),
        }),
        Some(_) => {}
    }
}

fn freshness_rule(facts: &Facts, policy: &OperatorPolicy, f: &mut Findings) {
    if let Some(age) = facts.status_list_age
        && age.num_hours() >= i64::from(policy.max_status_age_hours)
    {
        f.manual.push(Reason::new(
            "status_list_old",
            format!(
                "失効情報が{}時間前のものです（許容{}時間）：通信して更新するか、手帳を確認してください",
                age.num_hours(),
                policy.max_status_age_hours
            ),
            format!(
                "the revocation list is {} h old (this operator allows {} h): update it, or check the handbook",
                age.num_hours(),
                policy.max_status_age_hours
            ),
        ));
    }
}

/// The discount, given the caregiver and distance rules. For a manual check it is what applies
/// once staff confirm the missing fact.
fn grant(facts: &Facts, policy: &OperatorPolicy, trip: &Trip, f: &mut Findings) -> Grant {
    let first = facts.fare_class == Some(FareClass::First);
    let caregiver_allowed = match &policy.caregiver {
        CaregiverRule::None => false,
        CaregiverRule::FirstClass => first,
        CaregiverRule::FirstClassKinds(kinds) => {
            first && facts.kind.is_some_and(|k| kinds.contains(&k))
        }
        CaregiverRule::Always => true,
    };
    let travelling_together = caregiver_allowed && trip.with_caregiver != Some(false);
    // With the class unknown, staff check the handbook first; distance comes after.
    // A class this operator does not discount is refused already: distance is moot.
    let min_km = policy.holder_alone_over_km.filter(|_| {
        facts
            .fare_class
            .is_some_and(|c| policy.fare_classes.contains(&c))
    });
    let Some(min_km) = min_km else {
        return Grant {
            holder: true,
            caregiver: caregiver_allowed,
        };
    };
    if travelling_together {
        if trip.distance_km.is_none_or(|d| d <= min_km) {
            f.notes.push(Reason::new(
                "caregiver_needed_under_distance",
                format!("介護者と一緒の場合は距離に関係なく割引。本人のみは{min_km}kmを超える場合だけ"),
                format!("discounted at any distance with the caregiver; the holder alone only over {min_km} km"),
            ));
        }
        return Grant {
            holder: true,
            caregiver: true,
        };
    }
    match trip.distance_km {
        Some(d) if d > min_km => {}
        Some(d) => f.refuse.push(Reason::new(
            "trip_too_short",
            format!("本人のみの割引は{min_km}kmを超える区間だけです（この区間は{d}km）"),
            format!("the holder alone is discounted only over {min_km} km (this trip: {d} km)"),
        )),
        None => f.manual.push(Reason::new(
            "distance_unknown",
            format!("本人のみの割引は{min_km}kmを超える区間だけです：区間を確認してください"),
            format!(
                "the holder alone is discounted only over {min_km} km: check the trip distance"
            ),
        )),
    }
    Grant {
        holder: true,
        caregiver: false,
    }
}
