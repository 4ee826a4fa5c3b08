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

/// What one case's verdict disagrees with, if anything.
fn run(case: &Json) -> Option<String> {
    let ctx: Json = serde_json::from_str(
        &std::fs::read_to_string(
            corpus()
                .join("contexts")
                .join(format!("{}.json", case["context"].as_str().unwrap())),
        )
        .unwrap(),
    )
    .unwrap();
    let root = PublicKey::from_sec1(&unhex(ctx["root_key"].as_str().unwrap())).unwrap();
    let trust =
        TrustList::from_signed(&unhex(ctx["trust_list"].as_str().unwrap()), &root, None).unwrap();
    // A list that does not load is left out (docs/conformance.md): never used.
    let lists: Vec<StatusList> = ctx["status_lists"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| StatusList::from_signed(&unhex(l.as_str().unwrap()), &trust).ok())
        .collect();
    let now = chrono::DateTime::parse_from_rfc3339(case["now"].as_str().unwrap())
        .unwrap()
        .to_utc();
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
