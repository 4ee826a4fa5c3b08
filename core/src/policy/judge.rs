//! Staff's one door: verify a scanned code, then judge it against the operator's policy for
//! this trip. `techo verify --policy` and the phones' staff mode both call [`judge`] and print
//! [`Judgement::lines`], so a counter gets the same verdict from either (the shared table in
//! `fixtures/conformance/verdicts.json` holds them to it).

use super::evaluate;
use super::facts::{Facts, Trip};
use super::format::OperatorPolicy;
use super::verdict::{Decision, Grant, Reason, Verdict};
use crate::Lang;
use crate::model::SupportCode;
use crate::token::{
    Challenge, DisclosedClaims, Policy, StatusSource, TrustList, VerifyError, verify,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Hard limit on a revocation list's age whatever the operator tolerates: below it the policy
/// decides (a list older than the policy's limit is "check manually"), above it the code is
/// refused as a verifier that has been offline too long.
pub const HARD_STATUS_AGE_HOURS: i64 = 24 * 14;

/// A verdict and what the holder declared beside it (never part of the decision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub verdict: Verdict,
    /// Support items signed by the holder's device only: shown apart, marked self-declared.
    pub self_declared: Vec<SupportCode>,
    /// A coupon carried in the code (`<operator>/<coupon id>`), bound to it like the rest.
    pub coupon: Option<String>,
}

/// Verifies `payload` and judges it under `policy` for `trip`.
///
/// `answered` is a challenge this verifier issued (and will redeem once): the code must answer
/// it, and only then does the verdict count the code as fresh for an online audience. A
/// challenge inside a code that this verifier did not issue proves nothing (it may be a replay).
/// An expired credential is a real code saying the handbook is not current here: a verdict,
/// not an error. Every other refusal is the [`VerifyError`] staff show as "not a valid code".
pub fn judge(
    payload: &[u8],
    trust: &TrustList,
    status: &dyn StatusSource,
    now: DateTime<Utc>,
    policy: &OperatorPolicy,
    trip: &Trip,
    answered: Option<&Challenge>,
) -> Result<Judgement, VerifyError> {
    let verify_policy = Policy {
        max_status_age: Duration::hours(HARD_STATUS_AGE_HOURS),
        challenge: answered.cloned(),
        ..Policy::default()
    };
    match verify(payload, trust, status, now, &verify_policy) {
        Ok(v) => {
            let mut facts = Facts::from_presentation(&v, now);
            if answered.is_none() {
                facts.challenge_audience = None;
            }
            Ok(Judgement {
                verdict: evaluate(&facts, policy, trip),
                self_declared: v.self_declared,
                coupon: v.coupon,
            })
        }
        Err(VerifyError::CredentialExpired(until)) => Ok(Judgement {
            verdict: expired(policy, until),
            self_declared: Vec::new(),
            coupon: None,
        }),
        Err(e) => Err(e),
    }
}

fn expired(policy: &OperatorPolicy, until: NaiveDate) -> Verdict {
    Verdict {
        operator_id: policy.id.clone(),
        decision: Decision::NotAccepted,
        grant: Grant::default(),
        reasons: vec![Reason::new(
            "credential_expired",
            format!(
                "証明書の有効期限（{until}）が切れています：保有者にアプリを通信状態で開いてもらってください"
            ),
            format!("the credential expired on {until}: ask the holder to open the app online"),
        )],
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

impl Judgement {
    /// What staff read first, in large type: the decision, the operator, who presents (a
    /// guardian), what is granted and the discount, then why and what to keep in mind.
    pub fn lines(&self, policy: &OperatorPolicy, lang: Lang) -> Vec<String> {
        let v = &self.verdict;
        let mut out = vec![
            v.decision.headline(lang).to_owned(),
            policy.display_name(lang).to_owned(),
        ];
        if let Some(g) = v.facts.guardian {
            out.push(format!("▶ {}", g.label(lang)));
        }
        if v.decision != Decision::NotAccepted {
            out.push(v.grant.line(lang).to_owned());
            out.push(
                lang.pick(&policy.discount_ja, &policy.discount_en)
                    .to_owned(),
            );
        }
        if let Some(c) = &self.coupon {
            out.push(coupon_line(c, policy, lang));
        }
        out.extend(v.reasons.iter().map(|r| format!("→ {}", r.text(lang))));
        out.extend(
            v.notes
                .iter()
                .filter(|n| n.code != "presented_by_guardian")
                .map(|n| format!("※ {}", n.text(lang))),
        );
        out
    }

    /// The facts the verdict rests on, one per line, after the verdict.
    pub fn detail_lines(&self, lang: Lang) -> Vec<String> {
        let f = &self.verdict.facts;
        let claims = DisclosedClaims {
            kind: f.kind,
            fare_class: f.fare_class,
            linkage: f.linkage,
            expiry: f.expiry,
            ..DisclosedClaims::default()
        };
        let mut out = claims.lines(lang);
        if let Some(until) = f.credential_valid_until {
            out.push(format!(
                "{}: {until}",
                lang.pick("証明書の有効期限", "credential valid until")
            ));
        }
        if let Some(age) = f.token_age {
            out.push(format!(
                "{}: {} s",
                lang.pick("画面の経過", "screen age"),
                age.num_seconds()
            ));
        }
        if let Some(age) = f.status_list_age {
            out.push(format!(
                "{}: {} min",
                lang.pick("失効情報の経過", "status list age"),
                age.num_minutes()
            ));
        }
        if let Some(site) = &f.challenge_audience {
            out.push(format!(
                "{}: {site}",
                lang.pick("チャレンジ", "challenge answered for")
            ));
        }
        out
    }

    /// The self-declared block, apart from the issuer's facts, with a heading that says so
    /// (empty when the holder declared nothing).
    pub fn declared_lines(&self, lang: Lang) -> Vec<String> {
        declared_lines(&self.self_declared, lang)
    }
}

/// The coupon in a code, for this counter: its id when it is this operator's, a warning when
/// it is another's (it is not redeemed here).
fn coupon_line(reference: &str, policy: &OperatorPolicy, lang: Lang) -> String {
    match reference.split_once('/') {
        Some((op, id)) if op == policy.id => format!("{}{id}", lang.pick("クーポン：", "Coupon: ")),
        _ => format!(
            "{}{reference}",
            lang.pick(
                "他の事業者のクーポンです（ここでは使えません）：",
                "another operator's coupon (not usable here): "
            )
        ),
    }
}

/// The self-declared block: a heading saying the issuer did not check it, then one line each.
pub fn declared_lines(codes: &[SupportCode], lang: Lang) -> Vec<String> {
    if codes.is_empty() {
        return Vec::new();
    }
    let mut out = vec![
        lang.pick(
            "本人申告（発行元は確認していません）:",
            "SELF-DECLARED (not checked by the issuer):",
        )
        .to_owned(),
    ];
    out.extend(codes.iter().map(|c| format!("· {}", c.label(lang))));
    out
}
