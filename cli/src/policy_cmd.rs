//! `techo verify --policy`: the staff verdict for one operator, large and plain first, details
//! after; and `techo verify --challenge`: single-use challenges for booking sites.

use crate::error::CliError;
use crate::print_json;
use crate::token_cmd::{VerifierData, claim_lines};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::path::{Path, PathBuf};
use techo_core::Lang;
use techo_core::policy::{ChallengeBook, Decision, Facts, OperatorPolicy, Trip, Verdict, evaluate};
use techo_core::token::{Challenge, Policy, VerifyError, verify};

/// Hard limit on a revocation list's age, whatever the operator tolerates (the policy decides
/// below it, as "check manually").
const HARD_STATUS_AGE_HOURS: i64 = 24 * 14;

fn book_path(data_dir: &Path) -> PathBuf {
    data_dir.join("verifier").join("challenges.json")
}

fn load_book(data_dir: &Path) -> Result<ChallengeBook, CliError> {
    let path = book_path(data_dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| CliError::ReadFile {
            path: path.display().to_string(),
            why: format!("{e} (delete it to start a fresh challenge list)"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ChallengeBook::default()),
        Err(e) => Err(CliError::ReadFile {
            path: path.display().to_string(),
            why: e.to_string(),
        }),
    }
}

fn save_book(data_dir: &Path, book: &ChallengeBook) -> Result<(), CliError> {
    let path = book_path(data_dir);
    let write_err = |e: std::io::Error| CliError::WriteFile {
        path: path.display().to_string(),
        why: e.to_string(),
    };
    std::fs::create_dir_all(data_dir.join("verifier")).map_err(write_err)?;
    let tmp = path.with_extension("json.tmp");
    let json = serde_json::to_vec_pretty(book).map_err(|e| write_err(std::io::Error::other(e)))?;
    std::fs::write(&tmp, json).map_err(write_err)?;
    std::fs::rename(&tmp, &path).map_err(write_err)
}

/// `techo verify --challenge --audience <site>`: issues a nonce for the holder to answer.
pub fn issue_challenge(
    data_dir: &Path,
    audience: &str,
    now: DateTime<Utc>,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let mut book = load_book(data_dir)?;
    let c = book.issue(audience, now);
    save_book(data_dir, &book)?;
    let nonce = techo_core::hex::encode(&c.nonce);
    if json {
        print_json(&serde_json::json!({
            "challenge": nonce,
            "audience": audience,
            "expires_in_seconds": techo_core::policy::CHALLENGE_TTL_SECONDS,
        }));
    } else {
        out!("{nonce}");
        out!(
            "{} techo present --challenge {nonce} --audience {audience}  ({} {} s)",
            lang.pick("保有者の端末で:", "on the holder's phone:"),
            lang.pick("有効", "valid for"),
            techo_core::policy::CHALLENGE_TTL_SECONDS
        );
    }
    Ok(())
}

/// Marks a challenge this verifier issued as answered: refused if it never issued it, it
/// expired, or it was answered before (a replay).
pub fn redeem_challenge(
    data_dir: &Path,
    c: &Challenge,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    let mut book = load_book(data_dir)?;
    let redeemed = book.redeem(c, now);
    save_book(data_dir, &book)?;
    redeemed.map_err(|e| CliError::InvalidCode(e.to_string()))
}

pub struct PolicyCheck<'a> {
    pub policy: &'a Path,
    pub trip: Trip,
    pub challenge: Option<Challenge>,
    pub data_dir: Option<&'a Path>,
}

/// Verifies, then judges against the operator's policy. Exit: 0 accepted, 1 not accepted,
/// 2 invalid code (or a replayed challenge), 3 check manually.
pub fn verify_with_policy(
    payload: &[u8],
    data: &VerifierData,
    now: DateTime<Utc>,
    check: &PolicyCheck<'_>,
    json: bool,
    lang: Lang,
) -> Result<(), CliError> {
    let policy =
        OperatorPolicy::load(check.policy).map_err(|e| CliError::BadArgument(e.to_string()))?;
    let verify_policy = Policy {
        max_status_age: Duration::hours(HARD_STATUS_AGE_HOURS),
        challenge: check.challenge.clone(),
        ..Policy::default()
    };
    let mut declared = Vec::new();
    let verdict = match verify(payload, &data.trust, &data.status, now, &verify_policy) {
        Ok(v) => {
            declared.clone_from(&v.self_declared);
            if let Some(c) = &check.challenge {
                redeem_challenge(check.data_dir.ok_or(CliError::NoDataDir)?, c, now)?;
            }
            let mut facts = Facts::from_presentation(&v, now);
            if check.challenge.is_none() {
                // A challenge inside the code that this verifier did not issue and redeem proves
                // nothing about freshness: it may be a replay.
                facts.challenge_audience = None;
            }
            evaluate(&facts, &policy, &check.trip)
        }
        // An expired credential is a real code saying the handbook is not current here.
        Err(VerifyError::CredentialExpired(until)) => expired_verdict(&policy, until),
        Err(e) => return Err(CliError::InvalidCode(e.message(lang))),
    };
    if json {
        let mut body = verdict_json(&verdict, &policy, lang);
        body["self_declared"] = crate::token_cmd::declared_json(&declared, lang);
        print_json(&body);
    } else {
        print_verdict(&verdict, &policy, lang);
        for line in crate::token_cmd::declared_lines(&declared, lang) {
            out!("{line}");
        }
    }
    match verdict.decision {
        Decision::Accepted => Ok(()),
        d => Err(CliError::Verdict(d)),
    }
}

fn expired_verdict(policy: &OperatorPolicy, until: NaiveDate) -> Verdict {
    Verdict {
        operator_id: policy.id.clone(),
        decision: Decision::NotAccepted,
        grant: techo_core::policy::Grant::default(),
        reasons: vec![techo_core::policy::Reason {
            code: "credential_expired",
            ja: format!(
                "証明書の有効期限（{until}）が切れています：保有者にアプリを通信状態で開いてもらってください"
            ),
            en: format!("the credential expired on {until}: ask the holder to open the app online"),
        }],
        notes: Vec::new(),
        facts: Facts {
            kind: None,
            fare_class: None,
            linkage: None,
            expiry: None,
            credential_valid_until: Some(until),
            token_age: None,
            status_list_age: None,
            challenge_audience: None,
            guardian: None,
            verified: false,
        },
    }
}

fn print_verdict(v: &Verdict, policy: &OperatorPolicy, lang: Lang) {
    out!("");
    out!("  {}", v.decision.headline(lang));
    out!("  {}", policy.display_name(lang));
    if let Some(g) = v.facts.guardian {
        out!("  ▶ {}", g.label(lang));
    }
    if v.decision != Decision::NotAccepted {
        out!("  {}", v.grant.line(lang));
        out!("  {}", lang.pick(&policy.discount_ja, &policy.discount_en));
    }
    for r in &v.reasons {
        out!("  → {}", r.text(lang));
    }
    for n in v.notes.iter().filter(|n| n.code != "presented_by_guardian") {
        out!("  ※ {}", n.text(lang));
    }
    out!("");
    out!("{}", lang.pick("詳細:", "details:"));
    let f = &v.facts;
    let claims = techo_core::token::DisclosedClaims {
        kind: f.kind,
        fare_class: f.fare_class,
        linkage: f.linkage,
        expiry: f.expiry,
        ..Default::default()
    };
    for line in claim_lines(&claims, lang) {
        out!("  {line}");
    }
    if let Some(until) = f.credential_valid_until {
        out!(
            "  {}: {until}",
            lang.pick("証明書の有効期限", "credential valid until")
        );
    }
    if let Some(age) = f.token_age {
        out!(
            "  {}: {} s",
            lang.pick("画面の経過", "screen age"),
            age.num_seconds()
        );
    }
    if let Some(age) = f.status_list_age {
        out!(
            "  {}: {} min",
            lang.pick("失効情報の経過", "status list age"),
            age.num_minutes()
        );
    }
    if let Some(site) = &f.challenge_audience {
        out!(
            "  {}: {site}",
            lang.pick("チャレンジ", "challenge answered for")
        );
    }
    out!(
        "  {}",
        lang.pick(
            "（規定ファイルは例示です）",
            "(policy files are illustrative)"
        )
    );
}

fn verdict_json(v: &Verdict, policy: &OperatorPolicy, lang: Lang) -> serde_json::Value {
    let f = &v.facts;
    serde_json::json!({
        "operator": policy.id,
        "decision": v.decision,
        "grant": v.grant,
        "headline": v.decision.headline(lang),
        "reasons": v.reasons,
        "notes": v.notes,
        "facts": {
            "kind": f.kind,
            "fare_class": f.fare_class,
            "linkage": f.linkage.map(|l| l.label(Lang::En)),
            "expiry": f.expiry,
            "credential_valid_until": f.credential_valid_until,
            "token_age_seconds": f.token_age.map(|a| a.num_seconds()),
            "status_list_age_seconds": f.status_list_age.map(|a| a.num_seconds()),
            "challenge_audience": f.challenge_audience,
            "guardian": f.guardian,
        },
    })
}
