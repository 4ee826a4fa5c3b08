//! Identity prefill: the holder's name and birth date, read on the phone from the My Number
//! card's card-info-input-support applet (券面入力補助AP) and, with the holder's consent, sent to
//! the site signed by the same device key that signed the presentation and bound to the same
//! challenge. The site needs no card reader of its own; what it learns is "the phone that
//! presented this handbook read these facts from a card", not an issuer statement.

use super::error::SiteError;
use crate::token::{Challenge, DeviceKey, DeviceKeyError, PublicKey};
use chrono::NaiveDate;
use ciborium::Value;
use serde::{Deserialize, Serialize};

/// Longest name accepted (the card's name field holds far less).
const MAX_NAME_CHARS: usize = 100;
const CONTEXT: &str = "techo-identity/1";

/// What the site uses: name and birth date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityFacts {
    pub name: String,
    pub birth_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedIdentity {
    pub name: String,
    pub birth_date: NaiveDate,
    /// ECDSA P-256 (r‖s, hex) over the CBOR array
    /// `["techo-identity/1", audience, nonce, name, "YYYY-MM-DD"]`.
    pub signature: String,
}

fn signed_bytes(challenge: &Challenge, name: &str, birth_date: NaiveDate) -> Vec<u8> {
    let value = Value::Array(vec![
        Value::Text(CONTEXT.into()),
        Value::Text(challenge.audience.clone()),
        Value::Bytes(challenge.nonce.clone()),
        Value::Text(name.to_owned()),
        Value::Text(birth_date.format("%Y-%m-%d").to_string()),
    ]);
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(&value, &mut out);
    out
}

impl SignedIdentity {
    /// Signs `facts` for `challenge` with the presenting device key.
    pub fn sign(
        facts: &IdentityFacts,
        challenge: &Challenge,
        key: &dyn DeviceKey,
    ) -> Result<Self, DeviceKeyError> {
        let signature = key.sign(&signed_bytes(challenge, &facts.name, facts.birth_date))?;
        Ok(Self {
            name: facts.name.clone(),
            birth_date: facts.birth_date,
            signature: crate::hex::encode(&signature),
        })
    }

    /// Checks the signature with the device key of the verified presentation.
    pub fn verify(
        &self,
        challenge: &Challenge,
        device_key: &[u8],
    ) -> Result<IdentityFacts, SiteError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(SiteError::BadRequest("identity name".into()));
        }
        let key = PublicKey::from_sec1(device_key).map_err(|_| SiteError::IdentityNotSigned)?;
        let signature = crate::hex::decode(&self.signature).ok_or(SiteError::IdentityNotSigned)?;
        if !key.verify(
            &signed_bytes(challenge, &self.name, self.birth_date),
            &signature,
        ) {
            return Err(SiteError::IdentityNotSigned);
        }
        Ok(IdentityFacts {
            name: self.name.clone(),
            birth_date: self.birth_date,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::SoftwareKey;

    #[test]
    fn identity_is_bound_to_the_device_and_the_challenge() -> Result<(), Box<dyn std::error::Error>>
    {
        let key = SoftwareKey::generate();
        let other = SoftwareKey::generate();
        let public = key.public_key()?.compressed();
        let challenge = Challenge {
            nonce: vec![7; 16],
            audience: "tickets.example".into(),
        };
        let facts = IdentityFacts {
            name: "山田 太郎".into(),
            birth_date: NaiveDate::from_ymd_opt(1979, 7, 20).ok_or("date")?,
        };
        let signed = SignedIdentity::sign(&facts, &challenge, &key)?;
        assert_eq!(signed.verify(&challenge, &public), Ok(facts.clone()));
        let elsewhere = Challenge {
            audience: "evil.example".into(),
            ..challenge.clone()
        };
        assert_eq!(
            signed.verify(&elsewhere, &public),
            Err(SiteError::IdentityNotSigned)
        );
        let renamed = SignedIdentity {
            name: "山田 花子".into(),
            ..signed.clone()
        };
        assert_eq!(
            renamed.verify(&challenge, &public),
            Err(SiteError::IdentityNotSigned)
        );
        let by_other = SignedIdentity::sign(&facts, &challenge, &other)?;
        assert_eq!(
            by_other.verify(&challenge, &public),
            Err(SiteError::IdentityNotSigned)
        );
        Ok(())
    }
}
