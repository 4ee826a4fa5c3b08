//! The purchase e-signature (seed 000, ※): the site sends the order document, the phone shows it
//! and signs its SHA-256 with the card's signing key (署名用電子証明書), and the site checks the
//! signature and the certificate against the JPKI signing CA.
//!
//! The document travels as its exact bytes (hex) next to its digest. The phone parses those
//! bytes with unknown fields refused, so everything it signs is something it showed.

use super::error::SiteError;
use crate::card::{
    CardSession, CardTransport, CertUsage, CheckedCertificate, JpkiTrust, LastTry, SigningPin,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Largest order document accepted.
const MAX_DOCUMENT: usize = 8 * 1024;

/// One line of an order, in yen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    pub ja: String,
    pub en: String,
    pub yen: i64,
}

/// What the holder signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    pub order_id: String,
    /// The site (its audience), so a signature cannot be carried to another site.
    pub site: String,
    pub lines: Vec<OrderLine>,
    pub total_yen: i64,
    pub created_at: DateTime<Utc>,
}

/// The document as it travels: its exact bytes and their SHA-256, both hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderDocument {
    pub document: String,
    pub sha256: String,
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

impl OrderDocument {
    /// The site's side: serialises `body` once; these bytes are what gets signed.
    pub fn new(body: &OrderBody) -> Self {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        Self {
            sha256: crate::hex::encode(&sha256(&bytes)),
            document: crate::hex::encode(&bytes),
        }
    }

    pub fn bytes(&self) -> Result<Vec<u8>, SiteError> {
        crate::hex::decode(&self.document)
            .filter(|b| b.len() <= MAX_DOCUMENT)
            .ok_or_else(|| SiteError::BadRequest("order document".into()))
    }

    /// The digest, checked against the bytes.
    pub fn digest(&self) -> Result<[u8; 32], SiteError> {
        let digest = sha256(&self.bytes()?);
        if crate::hex::decode(&self.sha256).as_deref() != Some(&digest[..]) {
            return Err(SiteError::OrderMismatch);
        }
        Ok(digest)
    }

    /// The order as the phone shows it: parsed from the signed bytes, unknown fields refused.
    pub fn body(&self) -> Result<OrderBody, SiteError> {
        serde_json::from_slice(&self.bytes()?)
            .map_err(|e| SiteError::BadRequest(format!("order document: {e}")))
    }

    /// The phone's checks: digest matches, the document parses, it names this site, its lines
    /// add up to its total.
    pub fn check(&self, audience: &str) -> Result<OrderBody, SiteError> {
        self.digest()?;
        let body = self.body()?;
        if body.site != audience {
            return Err(SiteError::WrongSite {
                claimed: body.site,
                actual: audience.to_owned(),
            });
        }
        let sum: i64 = body.lines.iter().map(|l| l.yen).sum();
        if sum != body.total_yen || body.lines.is_empty() {
            return Err(SiteError::BadRequest(
                "the order's lines do not add up to its total".into(),
            ));
        }
        Ok(body)
    }
}

/// The card's signature and its signing certificate, both hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSignature {
    pub certificate: String,
    pub signature: String,
}

/// A purchase whose signature the site checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedPurchase {
    pub order: OrderBody,
    /// The signer as the signing certificate names them.
    pub signer: Option<String>,
    pub certificate_serial: String,
    pub certificate_issuer: String,
    pub signed_at: DateTime<Utc>,
}

impl OrderSignature {
    /// The site's check: certificate for signing from a trusted JPKI signing CA, valid now,
    /// and its key's signature over exactly the document's bytes.
    pub fn verify(
        &self,
        document: &OrderDocument,
        trust: &JpkiTrust,
        now: DateTime<Utc>,
    ) -> Result<CheckedCertificate, SiteError> {
        let cert = crate::hex::decode(&self.certificate)
            .ok_or_else(|| SiteError::OrderSignature("certificate is not hex".into()))?;
        let signature = crate::hex::decode(&self.signature)
            .ok_or_else(|| SiteError::OrderSignature("signature is not hex".into()))?;
        let checked = trust.check_for(&cert, now, CertUsage::Signing)?;
        checked.verify_signature(&document.bytes()?, &signature)?;
        Ok(checked)
    }
}

/// The phone's side: checks the order, then signs it with the card's signing key. The caller
/// showed `document.check(..)`'s body to the holder and got the signing password.
pub fn sign_order(
    document: &OrderDocument,
    audience: &str,
    card: &mut dyn CardTransport,
    pin: &SigningPin,
    last_try: LastTry,
) -> Result<OrderSignature, SiteError> {
    document.check(audience)?;
    let digest = document.digest()?;
    let signed = CardSession::new(card).sign_document(pin, &digest, last_try)?;
    Ok(OrderSignature {
        certificate: crate::hex::encode(&signed.certificate),
        signature: crate::hex::encode(&signed.signature),
    })
}
