//! Checks on the card's user-authentication certificate, done by the portal (and by the desktop
//! for diagnostics): chain to the JPKI CA, RSA PKCS#1 v1.5 SHA-256 signature, validity, key usage;
//! then the card's signature over the challenge with the certificate's key.

use chrono::{DateTime, TimeZone, Utc};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use x509_parser::oid_registry::OID_PKCS1_SHA256WITHRSA;
use x509_parser::prelude::{FromDer, X509Certificate};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("the certificate is not valid DER X.509 ({0})")]
    Malformed(String),
    #[error("the certificate was not issued by a trusted JPKI CA (issuer: {0})")]
    UnknownIssuer(String),
    #[error("the CA signature on the certificate is wrong")]
    BadSignature,
    #[error(
        "the certificate expired on {0}: renew the card's certificate at the municipal office / 電子証明書の有効期限が切れています"
    )]
    Expired(DateTime<Utc>),
    #[error("the certificate is not valid before {0}")]
    NotYetValid(DateTime<Utc>),
    #[error("the certificate is not meant for this use (its key usage does not allow it)")]
    WrongKeyUsage,
    #[error("the certificate's signature algorithm or key is not RSA with SHA-256")]
    NotRsaSha256,
    #[error("the card's signature over the challenge does not match the certificate")]
    BadChallengeSignature,
}

/// What a card certificate is checked for: JPKI issues one of each per card, from separate CAs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertUsage {
    /// 利用者証明用: proving who is there (key usage digitalSignature without nonRepudiation).
    Authentication,
    /// 署名用: signing a document (key usage nonRepudiation, "content commitment").
    Signing,
}

/// Trusted JPKI CA certificates (DER).
#[derive(Debug, Clone)]
pub struct JpkiTrust {
    cas: Vec<Vec<u8>>,
}

/// A certificate that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCertificate {
    pub subject: String,
    /// The subject's common name (on a signing certificate, the holder's name).
    pub common_name: Option<String>,
    pub issuer: String,
    pub serial_hex: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// RSAPublicKey DER, for checking the card's signatures.
    pub public_key: Vec<u8>,
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, CertError> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|e| CertError::Malformed(e.to_string()))?;
    if rest.is_empty() {
        Ok(cert)
    } else {
        Err(CertError::Malformed("trailing bytes".into()))
    }
}

fn time(t: x509_parser::time::ASN1Time) -> DateTime<Utc> {
    Utc.timestamp_opt(t.timestamp(), 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl JpkiTrust {
    /// Accepts the CA certificates; each must itself parse and carry an RSA key.
    pub fn new(cas: Vec<Vec<u8>>) -> Result<Self, CertError> {
        for ca in &cas {
            parse(ca)?;
        }
        Ok(Self { cas })
    }

    /// Checks a user-authentication certificate.
    pub fn check(&self, der: &[u8], now: DateTime<Utc>) -> Result<CheckedCertificate, CertError> {
        self.check_for(der, now, CertUsage::Authentication)
    }

    /// Checks a certificate for `usage`: chain, signature, validity and key usage.
    pub fn check_for(
        &self,
        der: &[u8],
        now: DateTime<Utc>,
        usage: CertUsage,
    ) -> Result<CheckedCertificate, CertError> {
        let cert = parse(der)?;
        if cert.signature_algorithm.algorithm != OID_PKCS1_SHA256WITHRSA {
            return Err(CertError::NotRsaSha256);
        }
        let issuer = cert.issuer().to_string();
        let ca = self
            .cas
            .iter()
            .filter_map(|c| parse(c).ok())
            .find(|c| c.subject().as_raw() == cert.issuer().as_raw())
            .ok_or_else(|| CertError::UnknownIssuer(issuer.clone()))?;
        let ca_key = UnparsedPublicKey::new(
            &RSA_PKCS1_2048_8192_SHA256,
            ca.public_key().subject_public_key.data.as_ref(),
        );
        ca_key
            .verify(
                cert.tbs_certificate.as_ref(),
                cert.signature_value.data.as_ref(),
            )
            .map_err(|_| CertError::BadSignature)?;
        let (not_before, not_after) = (
            time(cert.validity().not_before),
            time(cert.validity().not_after),
        );
        if now < not_before {
            return Err(CertError::NotYetValid(not_before));
        }
        if now > not_after {
            return Err(CertError::Expired(not_after));
        }
        let usage_ok = match (cert.key_usage(), usage) {
            // A signing certificate (it carries nonRepudiation) never logs anyone in.
            (Ok(Some(ku)), CertUsage::Authentication) => {
                ku.value.digital_signature() && !ku.value.non_repudiation()
            }
            (Ok(Some(ku)), CertUsage::Signing) => ku.value.non_repudiation(),
            _ => false,
        };
        if !usage_ok {
            return Err(CertError::WrongKeyUsage);
        }
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned);
        Ok(CheckedCertificate {
            subject: cert.subject().to_string(),
            common_name,
            issuer,
            serial_hex: crate::hex::encode(cert.raw_serial()),
            not_before,
            not_after,
            public_key: cert.public_key().subject_public_key.data.to_vec(),
        })
    }
}

/// The subject of a certificate, without any check (for diagnostics next to a failed check).
pub fn subject_of(der: &[u8]) -> Option<String> {
    parse(der).ok().map(|c| c.subject().to_string())
}

impl CheckedCertificate {
    /// Checks an RSA PKCS#1 v1.5 SHA-256 signature made by the card over `message`.
    pub fn verify_signature(&self, message: &[u8], signature: &[u8]) -> Result<(), CertError> {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.public_key)
            .verify(message, signature)
            .map_err(|_| CertError::BadChallengeSignature)
    }
}
