//! `techo verify --policy`: the staff verdict for one operator, large and plain first, details
//! after; and `techo verify --challenge`: single-use challenges for booking sites.

use crate::error::CliError;
use crate::print_json;
use crate::token_cmd::VerifierData;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use techo_core::Lang;
use techo_core::policy::{
    ChallengeBook, Decision, Judgement, OperatorPolicy, Trip, Verdict, judge,
};
use techo_core::token::Challenge;

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
    let judged = judge(
        payload,
        &data.trust,
        &data.status,
        now,
        &policy,
        &check.trip,
        check.challenge.as_ref(),
    )
    .map_err(|e| CliError::RefusedCode {
        code: e.code(),
        message: e.message(lang),
    })?;
    if let Some(c) = &check.challenge
        && judged.verdict.facts.verified
    {
        redeem_challenge(check.data_dir.ok_or(CliError::NoDataDir)?, c, now)?;
    }
    if json {
        let mut body = verdict_json(&judged.verdict, &policy, lang);
        body["self_declared"] = crate::token_cmd::declared_json(&judged.self_declared, lang);
        print_json(&body);
    } else {
        print_verdict(&judged, &policy, lang);
    }
    match judged.verdict.decision {
        Decision::Accepted => Ok(()),
        d => Err(CliError::Verdict(d)),
    }
}

fn print_verdict(j: &Judgement, policy: &OperatorPolicy, lang: Lang) {
    out!("");
    for line in j.lines(policy, lang) {
        out!("  {line}");
    }
    out!("");
    out!("{}", lang.pick("詳細:", "details:"));
    for line in j.detail_lines(lang) {
        out!("  {line}");
    }
    out!(
        "  {}",
        lang.pick(
            "（規定ファイルは例示です）",
            "(policy files are illustrative)"
        )
    );
    for line in crate::token_cmd::declared_lines(&j.self_declared, lang) {
        out!("{line}");
    }
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
