//! Issuing credentials: the issuer's signing side, used by techo-server and, until linkage
//! lands, by the local development issuer.

use super::claims::{ClaimId, HandbookClaims, claim_digest, counter_digest, random_salt};
use super::credential::{CredentialBody, Digests, MAX_VALIDITY_DAYS, StatusRef, sign_credential};
use super::keys::PublicKey;
use super::present::{HeldCredential, HeldDisclosure, Profile, disclosure_for};
use super::signer::{SignError, Signer};
use super::time::day_number;
use chrono::NaiveDate;
use ciborium::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    #[error("a credential must be valid for 1 to {MAX_VALIDITY_DAYS} days, not {days}")]
    Validity { days: i64 },
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// An issuer key with its identity in the trust list. The key signs through [`Signer`]: a file
/// key in development, an HSM in production.
#[derive(Debug, Clone)]
pub struct Issuer {
    pub id: u32,
    pub name: String,
    pub kid: Vec<u8>,
    key: Arc<dyn Signer>,
}

/// One credential pair to issue: the facts, the device key it is bound to, validity, status.
#[derive(Debug, Clone)]
pub struct IssueRequest<'a> {
    pub claims: &'a HandbookClaims,
    pub device_key: &'a PublicKey,
    pub device_alias: &'a str,
    pub not_before: NaiveDate,
    pub not_after: NaiveDate,
    pub status: StatusRef,
}

impl Issuer {
    pub fn new(id: u32, name: impl Into<String>, kid: Vec<u8>, key: Arc<dyn Signer>) -> Self {
        Self {
            id,
            name: name.into(),
            kid,
            key,
        }
    }

    pub fn signer(&self) -> &dyn Signer {
        self.key.as_ref()
    }

    pub fn public(&self) -> PublicKey {
        self.key.public()
    }

    /// Issues a counter credential and a full credential for one device key. Both share the
    /// status index, so one revocation covers both.
    pub fn issue(&self, req: &IssueRequest<'_>) -> Result<[HeldCredential; 2], IssueError> {
        let days = (req.not_after - req.not_before).num_days() + 1;
        if days < 1 || days > i64::from(MAX_VALIDITY_DAYS) {
            return Err(IssueError::Validity { days });
        }
        Ok([self.issue_counter(req)?, self.issue_full(req)?])
    }

    /// One counter + full credential pair per device key (`device_keys`: alias and key, each
    /// with its own status reference in `status`), valid from `today` for `validity_days`, never
    /// past the handbook's own expiry (精神: two years).
    pub fn issue_for_devices(
        &self,
        claims: &HandbookClaims,
        device_keys: &[(String, PublicKey)],
        today: NaiveDate,
        validity_days: u32,
        status: &[StatusRef],
    ) -> Result<Vec<HeldCredential>, IssueError> {
        let not_after = (today + chrono::Duration::days(i64::from(validity_days) - 1))
            .min(claims.expiry.unwrap_or(NaiveDate::MAX));
        let mut out = Vec::with_capacity(device_keys.len() * 2);
        for ((alias, key), status) in device_keys.iter().zip(status) {
            out.extend(self.issue(&IssueRequest {
                claims,
                device_key: key,
                device_alias: alias,
                not_before: today,
                not_after,
                status: *status,
            })?);
        }
        Ok(out)
    }

    fn body(&self, req: &IssueRequest<'_>, digests: Digests) -> CredentialBody {
        CredentialBody {
            issuer: self.id,
            device_key: req.device_key.clone(),
            not_before: day_number(req.not_before),
            not_after: day_number(req.not_after),
            status: req.status,
            digests,
            guardian: req.claims.guardian,
        }
    }

    fn sign(&self, body: &CredentialBody) -> Result<Vec<u8>, SignError> {
        sign_credential(&self.kid, body, |tbs| self.key.try_sign(tbs))
    }

    fn held(
        req: &IssueRequest<'_>,
        credential: Vec<u8>,
        profile: Profile,
        disclosures: Vec<HeldDisclosure>,
    ) -> HeldCredential {
        HeldCredential {
            credential,
            profile,
            device_key: req.device_alias.to_owned(),
            device_public: req.device_key.compressed().to_vec(),
            not_before: req.not_before,
            not_after: req.not_after,
            status: req.status,
            disclosures,
        }
    }

    pub fn issue_counter(&self, req: &IssueRequest<'_>) -> Result<HeldCredential, SignError> {
        let salt = random_salt();
        let values: Vec<Value> = ClaimId::COUNTER
            .iter()
            .map(|c| req.claims.value(*c))
            .collect();
        let digest = counter_digest(&salt, &values);
        let credential = self.sign(&self.body(req, Digests::Counter(digest)))?;
        let group = HeldDisclosure {
            claim: 0,
            salt,
            value: super::claims::cbor(&Value::Array(values)),
        };
        Ok(Self::held(req, credential, Profile::Counter, vec![group]))
    }

    pub fn issue_full(&self, req: &IssueRequest<'_>) -> Result<HeldCredential, SignError> {
        let mut digests = BTreeMap::new();
        let mut disclosures = Vec::with_capacity(ClaimId::ALL.len());
        for id in ClaimId::ALL {
            let salt = random_salt();
            digests.insert(id, claim_digest(&salt, id, &req.claims.value(id)));
            disclosures.push(disclosure_for(req.claims, id, salt));
        }
        let credential = self.sign(&self.body(req, Digests::Full(digests)))?;
        Ok(Self::held(req, credential, Profile::Full, disclosures))
    }
}
