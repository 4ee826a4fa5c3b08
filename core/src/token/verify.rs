//! The verifier: everything a gate, a counter or a booking site checks, offline, in a fixed order.
//!
//! 1. prefix and version;
//! 2. decode;
//! 3. issuer key id in the trust list and valid now;
//! 4. issuer signature;
//! 5. credential validity;
//! 6. device signature against the bound key;
//! 7. time step within ± skew;
//! 8. disclosed salts match the digests;
//! 9. status: not revoked or suspended, list not older than the policy allows;
//! 10. challenge and audience when required.

use super::cbor_read::{Malformed, is_deterministic, read_item, uint};
use super::claims::{ClaimId, DisclosedClaims, SALT_LEN, claim_digest, counter_digest};
use super::credential::{CredentialBody, Digests, SignedCredential, StatusRef, parse_sign1};
use super::display::DisplayToken;
use super::envelope::{Payload, PrefixError};
use super::present::{Challenge, Profile, credential_binding};
use super::status::{Status, StatusList};
use super::time::{day_date, day_of, step_of};
use super::trust::TrustList;
use crate::Lang;
use crate::model::SupportCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use ciborium::Value;

/// The format version this verifier reads (`TK1`, credential version 1).
pub const TOKEN_VERSION: u32 = 1;

/// What the verifier tolerates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Steps of clock difference accepted either way (default 1: a token lives at most 60 s).
    pub skew_steps: u64,
    /// Oldest status list accepted offline.
    pub max_status_age: Duration,
    /// A booking site's challenge: the token must carry exactly this nonce and audience.
    pub challenge: Option<Challenge>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            skew_steps: 1,
            max_status_age: Duration::hours(24),
            challenge: None,
        }
    }
}

/// A presentation that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPresentation {
    pub issuer_id: u32,
    pub issuer_name: String,
    pub kid: Vec<u8>,
    pub profile: Profile,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: StatusRef,
    pub status_list_age: Duration,
    pub step: u64,
    /// Device public key (compressed), so a booking site can tie later steps to this session.
    pub device_key: [u8; 33],
    pub claims: DisclosedClaims,
    pub challenge: Option<Challenge>,
    /// Presented by a guardian on the holder's behalf (issuer-signed, always disclosed).
    pub guardian: Option<super::claims::GuardianClaim>,
    /// Support items the holder declared (signed by the device key only, never by the issuer):
    /// show them apart from `claims`, marked self-declared.
    pub self_declared: Vec<SupportCode>,
    /// A coupon presented with this code (`<operator>/<coupon id>`), bound to the credential and
    /// the device key like everything else in the token.
    pub coupon: Option<String>,
}

/// Why a presentation is refused. Each message is meant for staff, in English then Japanese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("not a Techo code / Techo のコードではありません")]
    NotTecho,
    #[error("code version {0} is not supported: update the verifier app / 対応していない版です")]
    UnsupportedVersion(String),
    #[error("the code is too large ({0} bytes) / コードが大きすぎます")]
    TooLarge(usize),
    #[error("damaged code: {what} at byte {at} / コードが壊れています（{at} バイト目）")]
    Malformed { at: usize, what: &'static str },
    #[error("issued by an unknown issuer (key {kid}) / 発行元が不明です")]
    UnknownIssuer { kid: String },
    #[error("the issuer key {kid} is not valid at this time / 発行元の鍵が有効期間外です")]
    IssuerKeyNotValid { kid: String },
    #[error(
        "the issuer signature is wrong: altered or forged / 発行元の署名が一致しません（改ざんの疑い）"
    )]
    BadIssuerSignature,
    #[error("the credential is not valid until {0} / 証明書の有効期間前です")]
    CredentialNotYetValid(NaiveDate),
    #[error(
        "the credential expired on {0}: ask the holder to open the app online / 証明書の有効期限（{0}）切れです"
    )]
    CredentialExpired(NaiveDate),
    #[error(
        "the screen is not signed by the phone the credential belongs to / この端末に発行された証明書ではありません"
    )]
    NotBoundToDevice,
    #[error(
        "stale screen ({0} s old): a screenshot? Ask the holder to show the live app / 画面が古い（{0}秒前）：スクリーンショットの可能性があります"
    )]
    StaleScreen(i64),
    #[error(
        "the phone's clock is {0} s ahead: ask the holder to set the time automatically / 端末の時刻が進んでいます"
    )]
    ClockAhead(i64),
    #[error(
        "the shown facts do not match the credential: altered / 表示内容が証明書と一致しません（改ざんの疑い）"
    )]
    DisclosureMismatch,
    #[error("this handbook has been revoked / この手帳は失効しています")]
    Revoked,
    #[error("this handbook is suspended (phone reported lost?) / この手帳は一時停止中です")]
    Suspended,
    #[error(
        "no status list for list {0}: connect once to update / 失効情報がありません。通信して更新してください"
    )]
    StatusListMissing(u32),
    #[error(
        "the status list is {hours} h old (limit {limit_hours} h): connect to update / 失効情報が古すぎます"
    )]
    StatusListTooOld { hours: i64, limit_hours: i64 },
    #[error(
        "this code has no challenge: the site needs a fresh presentation / チャレンジがありません"
    )]
    ChallengeMissing,
    #[error("the code was made for another challenge or site / 別のサイト向けのコードです")]
    WrongChallenge,
    #[error(
        "this code's format (version {version}) is retired by the issuer (oldest accepted: {min}): the holder must update the Techo app / 古い形式のコードです。アプリを更新してください"
    )]
    VersionRetired { version: u32, min: u32 },
}

impl VerifyError {
    /// The message in one language, for a verifier's screen.
    pub fn message(&self, lang: Lang) -> String {
        lang.part_of(&self.to_string())
    }

    /// A stable code for logs and JSON.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::NotTecho => "not_techo",
            VerifyError::UnsupportedVersion(_) => "unsupported_version",
            VerifyError::TooLarge(_) => "too_large",
            VerifyError::Malformed { .. } => "malformed",
            VerifyError::UnknownIssuer { .. } => "unknown_issuer",
            VerifyError::IssuerKeyNotValid { .. } => "issuer_key_not_valid",
            VerifyError::BadIssuerSignature => "bad_issuer_signature",
            VerifyError::CredentialNotYetValid(_) => "credential_not_yet_valid",
            VerifyError::CredentialExpired(_) => "credential_expired",
            VerifyError::NotBoundToDevice => "not_bound_to_device",
            VerifyError::StaleScreen(_) => "stale_screen",
            VerifyError::ClockAhead(_) => "clock_ahead",
            VerifyError::DisclosureMismatch => "disclosure_mismatch",
            VerifyError::Revoked => "revoked",
            VerifyError::Suspended => "suspended",
            VerifyError::StatusListMissing(_) => "status_list_missing",
            VerifyError::StatusListTooOld { .. } => "status_list_too_old",
            VerifyError::ChallengeMissing => "challenge_missing",
            VerifyError::WrongChallenge => "wrong_challenge",
            VerifyError::VersionRetired { .. } => "version_retired",
        }
    }
}

impl From<Malformed> for VerifyError {
    fn from(m: Malformed) -> Self {
        VerifyError::Malformed {
            at: m.at,
            what: m.what,
        }
    }
}

fn hex(b: &[u8]) -> String {
    crate::hex::encode(b)
}

/// The cached status lists a verifier holds, by list id.
pub trait StatusSource {
    fn status_list(&self, list: u32) -> Option<&StatusList>;
}

impl StatusSource for [StatusList] {
    /// The newest given of that id (the highest version): an old copy passed before a newer one
    /// never decides.
    fn status_list(&self, list: u32) -> Option<&StatusList> {
        self.iter()
            .filter(|l| l.list_id == list)
            .max_by_key(|l| (l.version, l.issued_at))
    }
}

impl StatusSource for Vec<StatusList> {
    fn status_list(&self, list: u32) -> Option<&StatusList> {
        self.as_slice().status_list(list)
    }
}

/// Verifies a QR payload (binary or `TK1:` text) at `now`.
pub fn verify(
    payload: &[u8],
    trust: &TrustList,
    status: &dyn StatusSource,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<VerifiedPresentation, VerifyError> {
    let Decoded {
        credential_bytes,
        cred,
        credential,
        token,
        step,
        disclosure,
        challenge,
        self_declared,
        coupon,
    } = decode(payload)?;

    // 3. the trust list still accepts this format, the issuer is known and its key valid now
    let issuer = trusted_issuer(trust, &cred.kid, credential.issuer, now)?;

    // 4. issuer signature
    cred.sign1
        .verify_signature(b"", |sig, tbs| {
            if issuer.key.verify(tbs, sig) {
                Ok(())
            } else {
                Err(())
            }
        })
        .map_err(|()| VerifyError::BadIssuerSignature)?;

    // 5. credential validity (JST days, inclusive)
    let today = day_of(now);
    if today < credential.not_before {
        return Err(VerifyError::CredentialNotYetValid(day_date(
            credential.not_before,
        )));
    }
    if today > credential.not_after {
        return Err(VerifyError::CredentialExpired(day_date(
            credential.not_after,
        )));
    }

    // 6. device signature over the token, bound to these exact credential bytes
    let aad = credential_binding(&credential_bytes);
    token
        .verify_signature(&aad, |sig, tbs| {
            if credential.device_key.verify(tbs, sig) {
                Ok(())
            } else {
                Err(())
            }
        })
        .map_err(|()| VerifyError::NotBoundToDevice)?;

    // 7. time step (the token counts steps from 00:00 JST of the credential's first day)
    let step =
        u64::try_from(step.saturating_add(super::time::day_start_step(credential.not_before)))
            .unwrap_or(0);
    let current = step_of(now);
    if step + policy.skew_steps < current {
        let age = (now - super::time::step_start(step)).num_seconds();
        return Err(VerifyError::StaleScreen(age));
    }
    if step > current + policy.skew_steps {
        let ahead = (super::time::step_start(step) - now).num_seconds();
        return Err(VerifyError::ClockAhead(ahead));
    }

    // 8. disclosures against digests
    let (profile, claims) = check_disclosures(&credential.digests, &disclosure)?;

    // 9. status
    let list = status
        .status_list(credential.status.list)
        .filter(|l| l.issuer == credential.issuer)
        .ok_or(VerifyError::StatusListMissing(credential.status.list))?;
    let age = list.age(now);
    if age > policy.max_status_age {
        return Err(VerifyError::StatusListTooOld {
            hours: age.num_hours(),
            limit_hours: policy.max_status_age.num_hours(),
        });
    }
    match list.get(credential.status.index) {
        Some(Status::Valid) => {}
        Some(Status::Suspended) => return Err(VerifyError::Suspended),
        Some(Status::Revoked) | None => return Err(VerifyError::Revoked),
    }

    // 10. challenge and audience
    let shown = check_challenge(challenge, policy)?;

    Ok(VerifiedPresentation {
        issuer_id: issuer.issuer_id,
        issuer_name: issuer.name.clone(),
        kid: cred.kid,
        profile,
        valid_from: day_date(credential.not_before),
        valid_until: day_date(credential.not_after),
        status: credential.status,
        status_list_age: age,
        step,
        device_key: credential.device_key.compressed(),
        claims,
        challenge: shown,
        guardian: credential.guardian,
        self_declared,
        coupon,
    })
}

/// Step 10: the challenge shown must be the one the policy expects, when it expects one.
fn check_challenge(
    shown: Option<Challenge>,
    policy: &Policy,
) -> Result<Option<Challenge>, VerifyError> {
    if let Some(expected) = &policy.challenge {
        match &shown {
            None => return Err(VerifyError::ChallengeMissing),
            Some(c) if c != expected => return Err(VerifyError::WrongChallenge),
            Some(_) => {}
        }
    }
    Ok(shown)
}

/// Steps 1 and 2: the prefix, then the credential and the display token, exactly.
struct Decoded {
    credential_bytes: Vec<u8>,
    cred: SignedCredential,
    credential: CredentialBody,
    token: coset::CoseSign1,
    step: i64,
    disclosure: Value,
    challenge: Option<Challenge>,
    self_declared: Vec<SupportCode>,
    coupon: Option<String>,
}

fn decode(payload: &[u8]) -> Result<Decoded, VerifyError> {
    // 1. prefix and version
    let body = Payload::parse(payload)
        .map_err(|e| match e {
            PrefixError::NotTecho => VerifyError::NotTecho,
            PrefixError::Version(v) => VerifyError::UnsupportedVersion(v),
            PrefixError::TooLarge(n) => VerifyError::TooLarge(n),
            PrefixError::Malformed(m) => m.into(),
        })?
        .body;

    // 2. decode: credential ‖ token, nothing after
    let (cred_value, cred_end) = read_item(&body, 0, "credential")?;
    let credential_bytes = &body[..cred_end];
    if !is_deterministic(credential_bytes) {
        return Err(Malformed {
            at: 0,
            what: "credential is not in deterministic CBOR",
        }
        .into());
    }
    let cred = SignedCredential::from_value(cred_value, 0)?;
    let (token_value, token_end) = read_item(&body, cred_end, "display token")?;
    if token_end != body.len() {
        return Err(Malformed {
            at: token_end,
            what: "bytes after the display token",
        }
        .into());
    }
    let token = parse_sign1(token_value, cred_end, "display token must be a COSE_Sign1")?;
    let token_bad = |what: &'static str| -> VerifyError { Malformed { at: cred_end, what }.into() };
    if !is_deterministic(&body[cred_end..]) {
        return Err(token_bad("display token is not in deterministic CBOR"));
    }
    // Version 1 fixes the algorithm (ES256): both headers are empty.
    if token
        .protected
        .original_data
        .as_deref()
        .is_some_and(|p| !p.is_empty())
        || token.protected.header != coset::Header::default()
        || token.unprotected != coset::Header::default()
    {
        return Err(token_bad("display token headers must be empty"));
    }
    let cred_payload = cred.sign1.payload.as_deref().unwrap_or_default();
    let credential = CredentialBody::from_cbor(cred_payload, 0)?;
    let token_payload = token.payload.as_deref().ok_or(Malformed {
        at: cred_end,
        what: "display token payload",
    })?;
    let (token_body, _) =
        read_item(token_payload, 0, "display token payload").map_err(|m| Malformed {
            at: cred_end + m.at,
            what: m.what,
        })?;
    if !is_deterministic(token_payload) {
        return Err(token_bad(
            "display token payload is not in deterministic CBOR",
        ));
    }
    let shown = DisplayToken::from_cbor(&token_body, cred_end)?;
    let step = i64::try_from(shown.step).map_err(|_| Malformed {
        at: cred_end,
        what: "time step",
    })?;

    Ok(Decoded {
        credential_bytes: credential_bytes.to_vec(),
        cred,
        credential,
        token,
        step,
        disclosure: shown.disclosure,
        challenge: shown.challenge,
        self_declared: shown.declared,
        coupon: shown.coupon,
    })
}

/// Check 3: the trust list still accepts version 1, knows the kid, and the key is valid now
/// for the issuer the credential names.
fn trusted_issuer<'t>(
    trust: &'t TrustList,
    kid: &[u8],
    issuer_id: u32,
    now: DateTime<Utc>,
) -> Result<&'t super::trust::TrustedIssuer, VerifyError> {
    if trust.min_token_version > TOKEN_VERSION {
        return Err(VerifyError::VersionRetired {
            version: TOKEN_VERSION,
            min: trust.min_token_version,
        });
    }
    let issuer = trust
        .issuer(kid)
        .ok_or_else(|| VerifyError::UnknownIssuer { kid: hex(kid) })?;
    if now < issuer.not_before || now > issuer.not_after || issuer.issuer_id != issuer_id {
        return Err(VerifyError::IssuerKeyNotValid { kid: hex(kid) });
    }
    Ok(issuer)
}

fn salt_of(v: &Value) -> Option<&[u8]> {
    v.as_bytes()
        .map(Vec::as_slice)
        .filter(|s| s.len() == SALT_LEN)
}

fn check_disclosures(
    digests: &Digests,
    disclosure: &Value,
) -> Result<(Profile, DisclosedClaims), VerifyError> {
    let items = disclosure
        .as_array()
        .ok_or(VerifyError::DisclosureMismatch)?;
    let mut claims = DisclosedClaims::default();
    match digests {
        Digests::Counter(expected) => {
            let [salt, values @ ..] = items.as_slice() else {
                return Err(VerifyError::DisclosureMismatch);
            };
            let salt = salt_of(salt).ok_or(VerifyError::DisclosureMismatch)?;
            if values.len() != ClaimId::COUNTER.len()
                || !digests_equal(&counter_digest(salt, values), expected)
            {
                return Err(VerifyError::DisclosureMismatch);
            }
            for (id, v) in ClaimId::COUNTER.iter().zip(values) {
                claims.set(*id, v).ok_or(VerifyError::DisclosureMismatch)?;
            }
            Ok((Profile::Counter, claims))
        }
        Digests::Full(all) => {
            let mut seen = Vec::with_capacity(items.len());
            for item in items {
                let Some([id, salt, value]) = item.as_array().map(Vec::as_slice) else {
                    return Err(VerifyError::DisclosureMismatch);
                };
                let id = uint(id)
                    .and_then(ClaimId::from_wire)
                    .ok_or(VerifyError::DisclosureMismatch)?;
                let salt = salt_of(salt).ok_or(VerifyError::DisclosureMismatch)?;
                let expected = all.get(&id).ok_or(VerifyError::DisclosureMismatch)?;
                // Ascending ids, each once: one disclosure has one encoding.
                if seen.last().is_some_and(|last| *last >= id)
                    || !digests_equal(&claim_digest(salt, id, value), expected)
                {
                    return Err(VerifyError::DisclosureMismatch);
                }
                seen.push(id);
                claims
                    .set(id, value)
                    .ok_or(VerifyError::DisclosureMismatch)?;
            }
            Ok((Profile::Full, claims))
        }
    }
}

/// Compares digests without an early exit.
fn digests_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
