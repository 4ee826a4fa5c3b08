//! The envelope shared by the trust list and the status list: a COSE_Sign1 (ES256) with the
//! signer's key id and a content type in the protected header, over an integer-keyed CBOR map.

use super::cbor_read::read_item;
use super::credential::parse_sign1;
use super::keys::{PublicKey, SoftwareKey};
use super::signer::{SignError, Signer};
use ciborium::Value;
use coset::{CoseSign1Builder, HeaderBuilder, iana};

/// Why a signed list did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    Malformed(&'static str),
    UnknownSigner,
    BadSignature,
}

pub(crate) fn sign(payload: &Value, key: &SoftwareKey, kid: &[u8], content_type: &str) -> Vec<u8> {
    let Ok(bytes) = sign_by::<std::convert::Infallible>(payload, kid, content_type, |tbs| {
        Ok(key.sign_bytes(tbs))
    });
    bytes
}

/// [`sign`] with any [`Signer`] (an HSM may fail: nothing is signed then).
pub(crate) fn sign_with(
    payload: &Value,
    key: &dyn Signer,
    kid: &[u8],
    content_type: &str,
) -> Result<Vec<u8>, SignError> {
    sign_by(payload, kid, content_type, |tbs| key.try_sign(tbs))
}

fn sign_by<E>(
    payload: &Value,
    kid: &[u8],
    content_type: &str,
    signer: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, E> {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(kid.to_vec())
        .content_type(content_type.into())
        .build();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .payload(super::claims::cbor(payload))
        .try_create_signature(b"", signer)?
        .build();
    Ok(coset::CborSerializable::to_vec(sign1).expect("a COSE_Sign1 encodes"))
}

/// Checks the signature with the key `key_for(kid)` returns and gives back the payload.
pub(crate) fn open<'k>(
    bytes: &[u8],
    what: &'static str,
    key_for: impl FnOnce(&[u8]) -> Option<&'k PublicKey>,
) -> Result<(Vec<u8>, Value), OpenError> {
    let (value, end) = read_item(bytes, 0, what).map_err(|m| OpenError::Malformed(m.what))?;
    if end != bytes.len() {
        return Err(OpenError::Malformed("trailing bytes"));
    }
    let sign1 = parse_sign1(value, 0, what).map_err(|m| OpenError::Malformed(m.what))?;
    let key = key_for(&sign1.protected.header.key_id).ok_or(OpenError::UnknownSigner)?;
    sign1
        .verify_signature(b"", |sig, tbs| {
            if key.verify(tbs, sig) {
                Ok(())
            } else {
                Err(())
            }
        })
        .map_err(|()| OpenError::BadSignature)?;
    let kid = sign1.protected.header.key_id.clone();
    let payload = sign1
        .payload
        .as_deref()
        .ok_or(OpenError::Malformed("no payload"))?;
    let (value, _) = read_item(payload, 0, what).map_err(|m| OpenError::Malformed(m.what))?;
    Ok((kid, value))
}

/// [`open`] for a payload signed by one of `trust`'s issuers: gives back that issuer with it.
pub(crate) fn open_by_issuer<'t>(
    bytes: &[u8],
    what: &'static str,
    trust: &'t super::trust::TrustList,
) -> Result<(&'t super::trust::TrustedIssuer, Value), OpenError> {
    let mut signer = None;
    let (_, value) = open(bytes, what, |kid| {
        signer = trust.issuer(kid);
        signer.map(|i| &i.key)
    })?;
    Ok((signer.ok_or(OpenError::UnknownSigner)?, value))
}
