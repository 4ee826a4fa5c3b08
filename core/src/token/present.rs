//! The holder's side: credentials as the wallet keeps them, and the display token signed by the
//! device key for the current 30-second step.

use super::claims::{ClaimId, HandbookClaims, Salt};
use super::credential::StatusRef;
use super::display::DisplayToken;
use super::envelope::Payload;
use super::keys::{DeviceKey, DeviceKeyError};
use super::time::{day_of, step_of};
use crate::model::SupportCode;
use chrono::{DateTime, NaiveDate, Utc};
use ciborium::Value;
use coset::CoseSign1Builder;
use serde::{Deserialize, Serialize};

/// Counter credentials disclose their four claims together; full ones claim by claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Counter,
    Full,
}

/// A salt and value the holder keeps to disclose a claim (claim 0: the counter group).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldDisclosure {
    pub claim: u8,
    pub salt: Salt,
    /// CBOR of the value (for the counter group: of the array of four values).
    pub value: Vec<u8>,
}

impl std::fmt::Debug for HeldDisclosure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HeldDisclosure(claim {}, salt and value hidden)",
            self.claim
        )
    }
}

/// A credential as the wallet stores it, with what it needs to present it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldCredential {
    /// The issuer's COSE_Sign1, byte for byte.
    pub credential: Vec<u8>,
    pub profile: Profile,
    /// Which device key it is bound to (an alias in the platform keystore or the wallet).
    pub device_key: String,
    /// The bound device public key (SEC1 compressed), to catch a lost or replaced key early.
    pub device_public: Vec<u8>,
    pub not_before: NaiveDate,
    pub not_after: NaiveDate,
    pub status: StatusRef,
    pub disclosures: Vec<HeldDisclosure>,
}

impl HeldCredential {
    pub fn is_current(&self, today: NaiveDate) -> bool {
        self.not_before <= today && today <= self.not_after
    }

    /// Every fact this credential can disclose, as the issuer signed it (what the portal
    /// confirmed). `None` when a held value does not read.
    pub fn facts(&self) -> Option<super::claims::DisclosedClaims> {
        let mut out = super::claims::DisclosedClaims::default();
        for d in &self.disclosures {
            let value: Value = ciborium::de::from_reader(d.value.as_slice()).ok()?;
            if d.claim == 0 {
                let Value::Array(values) = value else {
                    return None;
                };
                for (id, v) in ClaimId::COUNTER.iter().zip(&values) {
                    out.set(*id, v)?;
                }
            } else {
                out.set(ClaimId::from_wire(u64::from(d.claim))?, &value)?;
            }
        }
        Some(out)
    }

    /// Whether this credential can disclose exactly `claims`.
    pub fn can_disclose(&self, claims: &[ClaimId]) -> bool {
        match self.profile {
            Profile::Counter => {
                let mut want: Vec<_> = claims.to_vec();
                want.sort();
                want.dedup();
                want == ClaimId::COUNTER.to_vec()
            }
            Profile::Full => claims
                .iter()
                .all(|c| self.disclosures.iter().any(|d| d.claim == *c as u8)),
        }
    }
}

/// A verifier's challenge (booking sites): a fresh nonce and the site it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub nonce: Vec<u8>,
    pub audience: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PresentError {
    #[error(transparent)]
    DeviceKey(#[from] DeviceKeyError),
    #[error(
        "no current credential can show {0}: link the handbook again to get new ones / 提示できる証明書がありません"
    )]
    NothingToPresent(String),
    #[error(
        "the device key does not match the credential: link the handbook again / 端末の鍵が証明書と一致しません"
    )]
    KeyMismatch,
    #[error("the stored credential is damaged: link the handbook again / 証明書が壊れています")]
    Damaged,
}

/// The salt and CBOR value to hold for each claim, from the issuer's side.
pub(crate) fn disclosure_for(claims: &HandbookClaims, id: ClaimId, salt: Salt) -> HeldDisclosure {
    HeldDisclosure {
        claim: id as u8,
        salt,
        value: super::claims::cbor(&claims.value(id)),
    }
}

fn decode_value(bytes: &[u8]) -> Result<Value, PresentError> {
    ciborium::de::from_reader(bytes).map_err(|_| PresentError::Damaged)
}

/// Signs a display token for `held` at `now`, disclosing `claims`, and returns the QR payload.
pub fn present(
    held: &HeldCredential,
    device: &dyn DeviceKey,
    now: DateTime<Utc>,
    claims: &[ClaimId],
    challenge: Option<&Challenge>,
) -> Result<Payload, PresentError> {
    present_declaring(held, device, now, claims, challenge, &[])
}

/// [`present`], plus the holder's self-declared support items: carried in the display token,
/// signed by the device key only, never inside the issuer's signature.
pub fn present_declaring(
    held: &HeldCredential,
    device: &dyn DeviceKey,
    now: DateTime<Utc>,
    claims: &[ClaimId],
    challenge: Option<&Challenge>,
    declared: &[SupportCode],
) -> Result<Payload, PresentError> {
    present_with(
        held,
        device,
        now,
        claims,
        challenge,
        &Extras {
            declared,
            coupon: None,
        },
    )
}

/// What a display token may carry besides the disclosure, all signed by the device key.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    /// Self-declared support items.
    pub declared: &'a [SupportCode],
    /// A coupon presented at the counter: `<operator id>/<coupon id>`.
    pub coupon: Option<&'a str>,
}

/// [`present`] with the device-signed extras: self-declared support items and a coupon.
pub fn present_with(
    held: &HeldCredential,
    device: &dyn DeviceKey,
    now: DateTime<Utc>,
    claims: &[ClaimId],
    challenge: Option<&Challenge>,
    extras: &Extras<'_>,
) -> Result<Payload, PresentError> {
    let names = || {
        claims
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(",")
    };
    if !held.can_disclose(claims) || !held.is_current(super::time::day_date(day_of(now))) {
        return Err(PresentError::NothingToPresent(names()));
    }
    if device.public_key()?.compressed().as_slice() != held.device_public.as_slice() {
        return Err(PresentError::KeyMismatch);
    }
    let disclosure = match held.profile {
        Profile::Counter => {
            let group = held
                .disclosures
                .iter()
                .find(|d| d.claim == 0)
                .ok_or(PresentError::Damaged)?;
            let Value::Array(values) = decode_value(&group.value)? else {
                return Err(PresentError::Damaged);
            };
            let mut items = vec![Value::Bytes(group.salt.to_vec())];
            items.extend(values);
            Value::Array(items)
        }
        Profile::Full => {
            let mut wanted: Vec<ClaimId> = claims.to_vec();
            wanted.sort();
            wanted.dedup();
            let mut items = Vec::with_capacity(wanted.len());
            for id in wanted {
                let d = held
                    .disclosures
                    .iter()
                    .find(|d| d.claim == id as u8)
                    .ok_or(PresentError::Damaged)?;
                items.push(Value::Array(vec![
                    Value::from(id as u64),
                    Value::Bytes(d.salt.to_vec()),
                    decode_value(&d.value)?,
                ]));
            }
            Value::Array(items)
        }
    };
    let first = super::time::day_start_step(super::time::day_number(held.not_before));
    let step = u64::try_from(i64::try_from(step_of(now)).unwrap_or(i64::MAX) - first).unwrap_or(0);
    let payload = DisplayToken {
        step,
        disclosure,
        challenge: challenge.cloned(),
        declared: extras.declared.to_vec(),
        coupon: extras.coupon.map(str::to_owned),
    }
    .to_cbor_items();
    build_token(held, payload, |tbs| device.sign(tbs))
}

/// Wraps a display-token payload's items ([`DisplayToken::to_cbor_items`], or anything a test
/// wants to forge) in its COSE_Sign1, signed by `signer` over the credential binding, and appends
/// it to the credential.
pub fn build_token(
    held: &HeldCredential,
    payload: Vec<Value>,
    signer: impl FnOnce(&[u8]) -> Result<Vec<u8>, DeviceKeyError>,
) -> Result<Payload, PresentError> {
    let aad = credential_binding(&held.credential);
    let mut sign_error = None;
    let token = CoseSign1Builder::new()
        .payload(super::claims::cbor(&Value::Array(payload)))
        .create_signature(&aad, |tbs| {
            signer(tbs).unwrap_or_else(|e| {
                sign_error = Some(e);
                Vec::new()
            })
        })
        .build();
    if let Some(e) = sign_error {
        return Err(e.into());
    }
    let mut body = held.credential.clone();
    body.extend(coset::CborSerializable::to_vec(token).map_err(|_| PresentError::Damaged)?);
    Ok(Payload { body })
}

/// The bytes a device key signs for a display token payload (the COSE Sig_structure).
pub fn token_tbs(credential: &[u8], token_payload: &[u8]) -> Vec<u8> {
    CoseSign1Builder::new()
        .payload(token_payload.to_vec())
        .build()
        .tbs_data(&credential_binding(credential))
}

/// The display token's external AAD: SHA-256 of the credential's exact bytes.
pub fn credential_binding(credential: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, credential);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}
