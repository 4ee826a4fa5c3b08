//! `techo present` and `techo verify`.

use crate::error::CliError;
use crate::print_json;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use techo_core::token::{
    Challenge, ClaimId, Policy, PublicKey, QrImage, StatusList, TrustList, VerifiedPresentation,
    VerifyError, verify,
};
use techo_core::{Lang, Wallet};

/// Parses `--disclose kind,fare,caregiver,linkage`.
pub fn parse_claims(list: Option<&str>) -> Result<Vec<ClaimId>, CliError> {
    let Some(list) = list else {
        return Ok(ClaimId::COUNTER.to_vec());
    };
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|name| {
            ClaimId::parse(name).ok_or_else(|| {
                let known: Vec<_> = ClaimId::ALL.iter().map(|c| c.name()).collect();
                CliError::BadArgument(format!("unknown claim {name:?}: use {}", known.join(", ")))
            })
        })
        .collect()
}

pub fn parse_challenge(
    nonce: Option<&str>,
    audience: Option<&str>,
) -> Result<Option<Challenge>, CliError> {
    match (nonce, audience) {
        (None, None) => Ok(None),
        (Some(n), Some(a)) => {
            let nonce = techo_core::hex::decode(n)
                .filter(|b| !b.is_empty() && b.len() <= 64)
                .ok_or_else(|| {
                    CliError::BadArgument("--challenge must be 1–64 bytes of hex".into())
                })?;
            Ok(Some(Challenge {
                nonce,
                audience: a.to_owned(),
            }))
        }
        _ => Err(CliError::BadArgument(
            "--challenge and --audience go together".into(),
        )),
    }
}

pub struct PresentArgs<'a> {
    pub id: Option<&'a str>,
    pub coupon: Option<&'a str>,
    pub claims: Vec<ClaimId>,
    pub challenge: Option<Challenge>,
    pub out: Option<&'a Path>,
}

pub fn present(
    wallet: &Wallet,
    args: &PresentArgs<'_>,
    json: bool,
    lang: Lang,
) -> Result<String, CliError> {
    let id = crate::resolve::optional(wallet, args.id)?;
    let (hb, payload) = match args.coupon {
        None => wallet.present(id.as_ref(), &args.claims, args.challenge.as_ref())?,
        Some(reference) => {
            let (op, coupon_id) = reference.split_once('/').ok_or_else(|| {
                CliError::BadArgument(
                    "--coupon is OPERATOR/COUPON, as `techo coupons` lists".into(),
                )
            })?;
            let (hb, coupon, payload) = wallet.present_coupon(id.as_ref(), op, coupon_id)?;
            if !json {
                out!(
                    "{} {}",
                    lang.pick("クーポン:", "coupon:"),
                    coupon.title(lang)
                );
                out!("  {}", coupon.terms(lang));
                out!("  {}", techo_core::directory::coupon::standard_terms(lang));
            }
            (hb, payload)
        }
    };
    let qr = QrImage::for_payload(&payload).map_err(|e| CliError::BadArgument(e.to_string()))?;
    if let Some(path) = args.out {
        crate::qr_file::save(&qr, path)?;
    }
    let text = payload.text();
    let mode = match qr.mode {
        techo_core::token::QrMode::Binary => "byte",
        techo_core::token::QrMode::Text => "alphanumeric",
    };
    if json {
        print_json(&serde_json::json!({
            "handbook": hb.id,
            "payload": text,
            "bytes": payload.binary().len(),
            "qr_version": qr.version,
            "qr_mode": mode,
            "seconds_left": techo_core::token::time::seconds_left_in_step(wallet_now(wallet)),
        }));
    } else {
        out!("{}", qr.to_terminal());
        out!(
            "{} {} {} / QR {} {} (ECC M, {mode}) / {} {}s",
            lang.pick("提示:", "presenting:"),
            hb.kind().short_label(lang),
            hb.category.grade_label(lang),
            lang.pick("バージョン", "version"),
            qr.version,
            lang.pick("更新まで", "refreshes in"),
            techo_core::token::time::seconds_left_in_step(wallet_now(wallet)),
        );
        out!(
            "{} {} bytes: {text}",
            lang.pick("ペイロード", "payload"),
            payload.binary().len()
        );
    }
    Ok(text)
}

fn wallet_now(wallet: &Wallet) -> DateTime<Utc> {
    wallet.now()
}

/// What a verifier trusts: the trust list and status lists, loaded and checked.
pub struct VerifierData {
    pub trust: TrustList,
    pub status: Vec<StatusList>,
}

pub struct VerifierSource<'a> {
    pub trust_list: Option<&'a Path>,
    pub status_lists: &'a [PathBuf],
    pub root: Option<&'a str>,
}

impl VerifierData {
    /// From files, or from the local development issuer when none are given.
    pub fn load(
        src: &VerifierSource<'_>,
        data_dir: Option<&Path>,
        now: DateTime<Utc>,
    ) -> Result<Self, CliError> {
        let read = |p: &Path| crate::input::read_file(p, crate::input::SIGNED_LIST);
        let (trust_bytes, status_bytes, root) = match (src.trust_list, data_dir) {
            (Some(t), _) => {
                let root = src.root.ok_or_else(|| {
                    CliError::BadArgument("--trust-list needs --root <hex public key>".into())
                })?;
                let root = techo_core::hex::decode(root)
                    .and_then(|b| PublicKey::from_sec1(&b).ok())
                    .ok_or_else(|| {
                        CliError::BadArgument("--root is not a P-256 public key in hex".into())
                    })?;
                let status = src
                    .status_lists
                    .iter()
                    .map(|p| read(p))
                    .collect::<Result<Vec<_>, _>>()?;
                (read(t)?, status, root)
            }
            (None, Some(dir)) => {
                let issuer = techo_core::token::DevIssuer::open(&crate::issuer_cmd::dir(dir))?;
                (
                    issuer.signed_trust_list(now),
                    vec![issuer.signed_status_list(now)],
                    issuer.root_public(),
                )
            }
            (None, None) => {
                return Err(CliError::BadArgument(
                    "give --trust-list, --status-list and --root".into(),
                ));
            }
        };
        let trust = TrustList::from_signed(&trust_bytes, &root, None)
            .map_err(|e| CliError::BadArgument(e.to_string()))?;
        let status = status_bytes
            .iter()
            .map(|b| {
                StatusList::from_signed(b, &trust).map_err(|e| CliError::BadArgument(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { trust, status })
    }
}

/// Verifies and prints the verdict. `accept` runs on a valid code before anything is printed
/// (redeeming a challenge): its error is the command's.
pub fn verify_payload(
    payload: &[u8],
    data: &VerifierData,
    now: DateTime<Utc>,
    policy: &Policy,
    out: (bool, Lang),
    accept: impl FnOnce(&VerifiedPresentation) -> Result<(), CliError>,
) -> Result<VerifiedPresentation, CliError> {
    let (json, lang) = out;
    match verify(payload, &data.trust, &data.status, now, policy) {
        Ok(v) => {
            accept(&v)?;
            if json {
                print_json(&verdict_json(&v, lang));
            } else {
                out!(
                    "{}",
                    lang.pick("✔ 有効：Techo 発行の証明書です", "✔ VALID: issued by Techo")
                );
                if let Some(g) = v.guardian {
                    out!("  ▶ {}", g.label(lang));
                }
                if let Some(c) = &v.coupon {
                    out!("  {} {c}", lang.pick("クーポン:", "coupon:"));
                }
                for line in v.claims.lines(lang) {
                    out!("  {line}");
                }
                for line in declared_lines(&v.self_declared, lang) {
                    out!("{line}");
                }
                out!(
                    "  {} {} / {} {} – {} / {} {} min",
                    lang.pick("発行元", "issuer"),
                    v.issuer_name,
                    lang.pick("証明書", "credential"),
                    v.valid_from,
                    v.valid_until,
                    lang.pick("失効情報の経過", "status list age"),
                    v.status_list_age.num_minutes()
                );
            }
            Ok(v)
        }
        Err(e) => Err(CliError::Rejected(e)),
    }
}

/// The self-declared block: apart from the issuer's facts, with a heading that says so.
pub fn declared_lines(codes: &[techo_core::model::SupportCode], lang: Lang) -> Vec<String> {
    techo_core::policy::declared_lines(codes, lang)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("  {l}")
            } else {
                format!("    {l}")
            }
        })
        .collect()
}

pub fn declared_json(codes: &[techo_core::model::SupportCode], lang: Lang) -> serde_json::Value {
    serde_json::Value::Array(
        codes
            .iter()
            .map(|c| serde_json::json!({ "code": c.code(), "label": c.label(lang), "verified_by_issuer": false }))
            .collect(),
    )
}

fn verdict_json(v: &VerifiedPresentation, lang: Lang) -> serde_json::Value {
    serde_json::json!({
        "valid": true,
        "issuer": v.issuer_name,
        "profile": format!("{:?}", v.profile).to_lowercase(),
        "valid_from": v.valid_from,
        "valid_until": v.valid_until,
        "status_list_age_seconds": v.status_list_age.num_seconds(),
        "claims": v.claims.lines(lang),
        "kind": v.claims.kind,
        "fare_class": v.claims.fare_class,
        "caregiver": v.claims.caregiver,
        "linkage": v.claims.linkage.map(|l| l.label(Lang::En)),
        "self_declared": declared_json(&v.self_declared, lang),
        "coupon": v.coupon,
        "guardian": v.guardian.map(|g| serde_json::json!({
            "relationship": g.relationship,
            "portal_confirmed": g.portal_confirmed,
            "label": g.label(lang),
        })),
    })
}

pub fn rejection_json(e: &VerifyError, lang: Lang) -> serde_json::Value {
    serde_json::json!({ "valid": false, "code": e.code(), "reason": e.message(lang) })
}
