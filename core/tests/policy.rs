//! Operator policies: the fixture files load, every (kind × fare class × linkage × policy ×
//! distance) case gives the verdict written down for it, and bad files are refused by field.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, NaiveDate};
use techo_core::model::{FareClass, HandbookKind};
use techo_core::policy::{Decision, Facts, OperatorPolicy, PolicyError, Trip, evaluate};
use techo_core::token::LinkageKind;

fn policy(name: &str) -> OperatorPolicy {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/policies")
        .join(format!("{name}.toml"));
    OperatorPolicy::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

const POLICIES: [&str; 5] = [
    "rail-jr-style",
    "city-bus-linked-only",
    "museum-all-kinds",
    "booking-site-online",
    "ferry-no-mental",
];

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn facts(kind: HandbookKind, fare: FareClass, linkage: LinkageKind) -> Facts {
    Facts {
        kind: Some(kind),
        fare_class: Some(fare),
        linkage: Some(linkage),
        expiry: None,
        credential_valid_until: Some(day() + Duration::days(20)),
        token_age: Some(Duration::seconds(3)),
        status_list_age: Some(Duration::minutes(10)),
        challenge_audience: Some("tickets.example".into()),
        guardian: None,
        verified: true,
    }
}

fn trip(distance_km: Option<u32>) -> Trip {
    Trip {
        date: day(),
        distance_km,
        with_caregiver: None,
    }
}

/// Short names for the table.
fn k(kind: HandbookKind) -> &'static str {
    match kind {
        HandbookKind::Physical => "身体",
        HandbookKind::Mental => "精神",
        HandbookKind::Intellectual => "療育",
    }
}

fn f(fare: FareClass) -> &'static str {
    match fare {
        FareClass::First => "1種",
        FareClass::Second => "2種",
        FareClass::NotRecorded => "なし",
    }
}

fn l(linkage: LinkageKind) -> &'static str {
    match linkage {
        LinkageKind::Unlinked => "未連携",
        LinkageKind::Pending => "申請中",
        LinkageKind::Linked => "連携済",
    }
}

/// One line per case: inputs → decision, grant, reason codes.
fn line(
    p: &str,
    kind: HandbookKind,
    fare: FareClass,
    linkage: LinkageKind,
    km: Option<u32>,
) -> String {
    let v = evaluate(&facts(kind, fare, linkage), &policy(p), &trip(km));
    let decision = match v.decision {
        Decision::Accepted => "ACCEPT",
        Decision::NotAccepted => "REFUSE",
        Decision::CheckManually => "CHECK ",
    };
    let grant = match (v.grant.holder, v.grant.caregiver) {
        (true, true) => "本人+介護者",
        (true, false) => "本人",
        (false, false) => "-",
        (false, true) => "介護者?!",
    };
    let km = km.map_or("?".to_owned(), |d| d.to_string());
    format!(
        "{p:<21} {} {:<4} {} {km:>3}km → {decision} {grant} {}",
        k(kind),
        f(fare),
        l(linkage),
        v.codes().join(",")
    )
}

#[test]
fn every_case_has_the_verdict_written_down() {
    let mut all = Vec::new();
    for p in POLICIES {
        for kind in HandbookKind::ALL {
            for fare in [FareClass::First, FareClass::Second, FareClass::NotRecorded] {
                for linkage in [
                    LinkageKind::Unlinked,
                    LinkageKind::Pending,
                    LinkageKind::Linked,
                ] {
                    for km in [None, Some(50), Some(150)] {
                        all.push(line(p, kind, fare, linkage, km));
                    }
                }
            }
        }
    }
    assert_eq!(all.len(), 5 * 3 * 3 * 3 * 3);
    insta::assert_snapshot!(all.join("\n"));
}

/// The rules from DOMAIN.md and the issue, stated one by one (independent of the snapshot).
#[test]
fn the_rules_staff_apply() {
    use FareClass::*;
    use HandbookKind::*;
    use LinkageKind::*;
    let verdict = |p: &str, kind, fare, linkage, km| {
        evaluate(&facts(kind, fare, linkage), &policy(p), &trip(km))
    };
    // Rail: 第1種 holder + 1 caregiver at any distance.
    let v = verdict("rail-jr-style", Physical, First, Unlinked, Some(50));
    assert_eq!(v.decision, Decision::Accepted);
    assert!(v.grant.holder && v.grant.caregiver);
    // Rail: 第2種 alone only over 100 km.
    assert_eq!(
        verdict("rail-jr-style", Physical, Second, Linked, Some(50)).decision,
        Decision::NotAccepted
    );
    assert_eq!(
        verdict("rail-jr-style", Physical, Second, Linked, Some(150)).decision,
        Decision::Accepted
    );
    assert_eq!(
        verdict("rail-jr-style", Physical, Second, Linked, None).decision,
        Decision::CheckManually
    );
    assert!(
        !verdict("rail-jr-style", Physical, Second, Linked, Some(150))
            .grant
            .caregiver
    );
    // Rail, since 2025-04: 精神 第1種 is discounted; 精神 with no class recorded is not.
    assert_eq!(
        verdict("rail-jr-style", Mental, First, Unlinked, None).decision,
        Decision::Accepted
    );
    let none = verdict("rail-jr-style", Mental, NotRecorded, Linked, Some(150));
    assert_eq!(none.decision, Decision::NotAccepted);
    assert_eq!(none.codes(), ["no_fare_class"]);
    // The city bus: only linked screens, whatever else is true.
    for linkage in [Unlinked, Pending] {
        let v = verdict("city-bus-linked-only", Physical, First, linkage, None);
        assert_eq!(v.decision, Decision::NotAccepted);
        assert_eq!(v.codes(), ["not_linked"]);
    }
    assert_eq!(
        verdict("city-bus-linked-only", Physical, First, Linked, None).decision,
        Decision::Accepted
    );
    // The museum: every kind, no linkage, no fare class needed, a companion always.
    let v = verdict(
        "museum-all-kinds",
        Intellectual,
        NotRecorded,
        Unlinked,
        None,
    );
    assert_eq!(v.decision, Decision::Accepted);
    assert!(v.grant.caregiver);
    // The ferry excludes 精神, and gives the caregiver discount to 第1種 身体 only.
    assert_eq!(
        verdict("ferry-no-mental", Mental, First, Linked, None).codes(),
        ["kind_not_accepted"]
    );
    assert!(
        verdict("ferry-no-mental", Physical, First, Linked, None)
            .grant
            .caregiver
    );
    let v = verdict("ferry-no-mental", Intellectual, First, Linked, None);
    assert_eq!(v.decision, Decision::Accepted);
    assert!(!v.grant.caregiver);
}

#[test]
fn expiry_caregiver_freshness_and_challenge() {
    let rail = policy("rail-jr-style");
    // An expired 精神 handbook: refused, with the date.
    let mut expired = facts(HandbookKind::Mental, FareClass::First, LinkageKind::Linked);
    expired.expiry = Some(NaiveDate::from_ymd_opt(2026, 11, 24));
    let v = evaluate(&expired, &rail, &trip(None));
    assert_eq!(v.decision, Decision::NotAccepted);
    assert!(v.reasons[0].en.contains("2026-11-24"), "{:?}", v.reasons);
    assert!(v.reasons[0].ja.contains("2026-11-24"));
    // Still valid on the trip date (expires that day): accepted.
    expired.expiry = Some(Some(day()));
    assert_eq!(
        evaluate(&expired, &rail, &trip(None)).decision,
        Decision::Accepted
    );

    // 第1種 travelling alone, 50 km: refused; 150 km: holder only.
    let first = facts(
        HandbookKind::Physical,
        FareClass::First,
        LinkageKind::Linked,
    );
    let alone = |km| Trip {
        with_caregiver: Some(false),
        ..trip(km)
    };
    assert_eq!(
        evaluate(&first, &rail, &alone(Some(50))).codes(),
        ["trip_too_short"]
    );
    let v = evaluate(&first, &rail, &alone(Some(150)));
    assert_eq!(
        (v.decision, v.grant.holder, v.grant.caregiver),
        (Decision::Accepted, true, false)
    );

    // A revocation list older than the operator allows: staff check by hand.
    let mut old = first.clone();
    old.status_list_age = Some(Duration::hours(30));
    let v = evaluate(&old, &rail, &trip(Some(150)));
    assert_eq!(v.decision, Decision::CheckManually);
    assert_eq!(v.codes(), ["status_list_old"]);
    assert!(v.reasons[0].en.contains("30 h"));

    // The booking site: a presentation answering another site's challenge, or none, is refused.
    let site = policy("booking-site-online");
    let mut other = first.clone();
    other.challenge_audience = Some("elsewhere.example".into());
    assert_eq!(
        evaluate(&other, &site, &trip(None)).codes()[0],
        "challenge_required"
    );
    other.challenge_audience = None;
    assert_eq!(
        evaluate(&other, &site, &trip(None)).decision,
        Decision::NotAccepted
    );
    // The wallet's own hint (not a presentation) does not need a challenge.
    let mut hint = first.clone();
    hint.verified = false;
    hint.challenge_audience = None;
    assert_eq!(
        evaluate(&hint, &site, &trip(None)).decision,
        Decision::Accepted
    );
}

#[test]
fn undisclosed_facts_mean_check_manually() {
    let mut f = facts(
        HandbookKind::Physical,
        FareClass::First,
        LinkageKind::Linked,
    );
    f.fare_class = None;
    let v = evaluate(&f, &policy("rail-jr-style"), &trip(None));
    assert_eq!(v.decision, Decision::CheckManually);
    assert_eq!(v.codes(), ["fare_class_not_shown"]);
    f.linkage = None;
    let v = evaluate(&f, &policy("city-bus-linked-only"), &trip(None));
    assert!(v.codes().contains(&"linkage_not_shown"), "{:?}", v.codes());
}

fn field_of(text: &str) -> String {
    match OperatorPolicy::from_toml("test.toml", text) {
        Err(PolicyError::Field { field, .. }) => field.to_owned(),
        Err(PolicyError::Syntax { message, .. }) => format!("syntax: {message}"),
        Ok(_) => "accepted".into(),
    }
}

#[test]
fn bad_policies_are_refused_naming_the_field() {
    let good = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/policies/rail-jr-style.toml"),
    )
    .unwrap();
    assert_eq!(field_of(&good), "accepted");
    // Unknown field: serde names it.
    let unknown = good.replace(
        "require_linked = false",
        "require_linked = false\nrequire_photo = true",
    );
    assert!(
        field_of(&unknown).contains("require_photo"),
        "{}",
        field_of(&unknown)
    );
    // Contradictions.
    let cases = [
        (
            good.replace(
                "fare_classes = [\"first\", \"second\"]",
                "fare_classes = [\"second\"]",
            ),
            "caregiver.rule",
        ),
        (
            good.replace(
                "fare_classes = [\"first\", \"second\"]",
                "fare_classes = []",
            ),
            "accept.fare_classes",
        ),
        (
            good.replace(
                "kinds = [\"physical\", \"mental\", \"intellectual\"]",
                "kinds = []",
            ),
            "accept.kinds",
        ),
        (
            good.replace(
                "rule = \"first_class\"",
                "rule = \"first_class\"\nkinds = [\"mental\", \"robot\"]",
            ),
            "syntax",
        ),
        (
            good.replace(
                "rule = \"first_class\"",
                "rule = \"always\"\nkinds = [\"physical\"]",
            ),
            "caregiver.kinds",
        ),
        (
            good.replace("rule = \"first_class\"", "rule = \"sometimes\""),
            "caregiver.rule",
        ),
        (
            good.replace("holder_alone_over_km = 100", "holder_alone_over_km = 0"),
            "distance.holder_alone_over_km",
        ),
        (
            good.replace("max_status_age_hours = 24", "max_status_age_hours = 0"),
            "validity.max_status_age_hours",
        ),
        (
            good.replace("illustrative = true", "illustrative = false"),
            "operator.illustrative",
        ),
        (
            good.replace("category = \"rail\"", "category = \"spaceship\""),
            "operator.category",
        ),
        (
            format!("{good}\n[online]\nchallenge = true\n"),
            "online.audience",
        ),
        (
            format!("{good}\n[online]\nchallenge = false\naudience = \"x\"\n"),
            "online.audience",
        ),
    ];
    for (text, want) in cases {
        let got = field_of(&text);
        assert!(got.starts_with(want), "want {want}, got {got}");
    }
    // The message says what to do, in both languages.
    let e = OperatorPolicy::from_toml("p.toml", &cases_text())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("p.toml") && e.contains("accept.fare_classes") && e.contains("規定"),
        "{e}"
    );
}

fn cases_text() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/policies/museum-all-kinds.toml"),
    )
    .unwrap()
    .replace(
        "fare_classes = [\"first\", \"second\", \"not_recorded\"]",
        "fare_classes = []",
    )
}

#[test]
fn every_fixture_policy_loads_and_is_marked_illustrative() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/policies");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            OperatorPolicy::load(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 5);
}

#[test]
fn guardian_presentations_are_named_and_refused_where_the_holder_must_be_present() {
    use techo_core::model::Relationship;
    use techo_core::token::GuardianClaim;
    let mut f = facts(
        HandbookKind::Intellectual,
        FareClass::First,
        LinkageKind::Linked,
    );
    f.guardian = Some(GuardianClaim {
        relationship: Relationship::Parent,
        portal_confirmed: false,
    });
    let museum = evaluate(&f, &policy("museum-all-kinds"), &trip(None));
    assert_eq!(museum.decision, Decision::Accepted);
    assert!(
        museum
            .notes
            .iter()
            .any(|n| n.code == "presented_by_guardian" && n.en.contains("parent"))
    );
    let air = evaluate(&f, &policy("airline-holder-present"), &trip(None));
    assert_eq!(air.decision, Decision::NotAccepted);
    assert_eq!(air.codes(), ["holder_must_be_present"]);
    assert!(air.reasons[0].ja.contains("保護者が提示（親"));
    // The holder presenting in person is fine there.
    f.guardian = None;
    assert_eq!(
        evaluate(&f, &policy("airline-holder-present"), &trip(None)).decision,
        Decision::Accepted
    );
}
