//! The conformance corpus (fixtures/conformance/, docs/conformance.md) run by the Rust verifier:
//! every case's verdict and refusal code as the spec says. The Python binding's verifier runs
//! the same files (`bindings/python/tests/test_conformance.py`).
#![allow(clippy::unwrap_used)]

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use techo_core::token::present::Challenge;
use techo_core::token::*;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/conformance")
}

fn unhex(s: &str) -> Vec<u8> {
    techo_core::hex::decode(s).unwrap()
}

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            cases(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn disclosed(c: &DisclosedClaims) -> Vec<&'static str> {
    [
        ("kind", c.kind.is_some()),
        ("grade", c.grade.is_some()),
        ("fare", c.fare_class.is_some()),
        ("caregiver", c.caregiver.is_some()),
        ("municipality", c.municipality.is_some()),
        ("expiry", c.expiry.is_some()),
        ("linkage", c.linkage.is_some()),
        ("photo", c.photo.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, shown)| shown.then_some(name))
    .collect()
}

/// A context's trust list and the status lists that load (a list that does not load is left
/// out, docs/conformance.md: never used).
fn context(name: &str) -> (TrustList, Vec<StatusList>) {
    let ctx: Json = serde_json::from_str(
        &std::fs::read_to_string(corpus().join("contexts").join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    let root = PublicKey::from_sec1(&unhex(ctx["root_key"].as_str().unwrap())).unwrap();
    let trust =
        TrustList::from_signed(&unhex(ctx["trust_list"].as_str().unwrap()), &root, None).unwrap();
    let lists = ctx["status_lists"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| StatusList::from_signed(&unhex(l.as_str().unwrap()), &trust).ok())
        .collect();
    (trust, lists)
}

fn instant(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// What one case's verdict disagrees with, if anything.
fn run(case: &Json) -> Option<String> {
    let (trust, lists) = context(case["context"].as_str().unwrap());
    let now = instant(case["now"].as_str().unwrap());
    let payload = match (
        case["payload"]["text"].as_str(),
        case["payload"]["hex"].as_str(),
    ) {
        (Some(t), _) => t.as_bytes().to_vec(),
        (_, Some(h)) => unhex(h),
        _ => panic!("a case needs payload.text or payload.hex"),
    };
    let mut policy = Policy::default();
    if let Some(c) = case["policy"]["challenge"].as_object() {
        policy.challenge = Some(Challenge {
            nonce: unhex(c["nonce"].as_str().unwrap()),
            audience: c["audience"].as_str().unwrap().to_owned(),
        });
    }
    let expected = &case["expected"];
    match (
        verify(&payload, &trust, &lists, now, &policy),
        expected["valid"].as_bool().unwrap(),
    ) {
        (Err(e), false) if e.code() == expected["code"].as_str().unwrap() => None,
        (Err(e), _) => Some(format!(
            "refused as {} ({e}), expected {expected}",
            e.code()
        )),
        (Ok(_), false) => Some(format!("accepted, expected {expected}")),
        (Ok(v), true) => {
            let mut wrong = Vec::new();
            if let Some(p) = expected["profile"].as_str() {
                let got = match v.profile {
                    Profile::Counter => "counter",
                    Profile::Full => "full",
                };
                if got != p {
                    wrong.push(format!("profile {got}"));
                }
            }
            if let Some(d) = expected["disclosed"].as_array() {
                let want: Vec<&str> = d.iter().map(|x| x.as_str().unwrap()).collect();
                if disclosed(&v.claims) != want {
                    wrong.push(format!("disclosed {:?}", disclosed(&v.claims)));
                }
            }
            if let Some(s) = expected["self_declared"].as_array() {
                let got: Vec<u64> = v.self_declared.iter().map(|c| c.wire()).collect();
                let want: Vec<u64> = s.iter().map(|x| x.as_u64().unwrap()).collect();
                if got != want {
                    wrong.push(format!("self-declared {got:?}"));
                }
            }
            if expected.get("coupon").is_some()
                && v.coupon.as_deref() != expected["coupon"].as_str()
            {
                wrong.push(format!("coupon {:?}", v.coupon));
            }
            if let Some(gd) = expected["guardian"].as_array() {
                let got = v
                    .guardian
                    .map(|x| (x.relationship.wire(), x.portal_confirmed));
                let want = Some((gd[0].as_u64().unwrap(), gd[1].as_bool().unwrap()));
                if got != want {
                    wrong.push(format!("guardian {got:?}"));
                }
            }
            (!wrong.is_empty()).then(|| format!("accepted with {}", wrong.join(", ")))
        }
    }
}

#[test]
fn every_conformance_case_gets_the_verdict_the_spec_gives() {
    let mut files = Vec::new();
    cases(&corpus().join("cases"), &mut files);
    files.sort();
    assert!(
        files.len() >= 150,
        "{} cases: the corpus needs at least 150",
        files.len()
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let case: Json = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            run(&case).map(|why| format!("{}: {why}", case["id"].as_str().unwrap()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// What one row of the verdict table gets from `policy::judge`, in the table's terms.
fn judged(row: &Json, table: &Json, trust: &TrustList, lists: &dyn StatusSource) -> Json {
    use techo_core::policy::{Decision, OperatorPolicy, Trip, judge};
    let shown = table["presentations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == row["presentation"])
        .unwrap();
    let policy = OperatorPolicy::load(
        &corpus()
            .join("../policies")
            .join(format!("{}.toml", row["policy"].as_str().unwrap())),
    )
    .unwrap();
    let t = &row["trip"];
    let trip = Trip {
        date: t["date"].as_str().unwrap().parse().unwrap(),
        distance_km: t["distance_km"].as_u64().map(|d| u32::try_from(d).unwrap()),
        with_caregiver: t["with_caregiver"].as_bool(),
    };
    let now = instant(table["now"].as_str().unwrap());
    match judge(
        shown["text"].as_str().unwrap().as_bytes(),
        trust,
        lists,
        now,
        &policy,
        &trip,
        None,
    ) {
        Err(e) => serde_json::json!({ "invalid": e.code() }),
        Ok(j) => {
            let v = &j.verdict;
            let mut out = serde_json::json!({
                "decision": match v.decision {
                    Decision::Accepted => "accepted",
                    Decision::NotAccepted => "not_accepted",
                    Decision::CheckManually => "check_manually",
                },
                "holder": v.grant.holder,
                "caregiver": v.grant.caregiver,
                "codes": v.codes(),
            });
            if !j.self_declared.is_empty() {
                out["self_declared"] =
                    serde_json::json!(j.self_declared.iter().map(|c| c.code()).collect::<Vec<_>>());
            }
            out
        }
    }
}

#[test]
fn every_row_of_the_verdict_table_gets_its_staff_verdict() {
    let table: Json =
        serde_json::from_str(&std::fs::read_to_string(corpus().join("verdicts.json")).unwrap())
            .unwrap();
    let (trust, lists) = context(table["context"].as_str().unwrap());
    let rows = table["rows"].as_array().unwrap();
    assert!(rows.len() >= 15, "{} rows", rows.len());
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let got = judged(row, &table, &trust, &lists);
            (got != row["expected"]).then(|| {
                format!(
                    "{}: got {got}, expected {}",
                    row["id"].as_str().unwrap(),
                    row["expected"]
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
