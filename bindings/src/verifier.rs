//! `Verifier`: gates, counters and booking sites check a presentation offline.

use crate::TechoError;
use crate::records::{Language, Verdict};
use std::sync::Arc;
use techo_core::token::{Policy, PublicKey, StatusList, TrustList, verify};

#[derive(Debug, uniffi::Object)]
pub struct Verifier {
    trust: TrustList,
    status: Vec<StatusList>,
}

impl Verifier {
    /// The checked trust and status lists, for a site verifier built on them.
    pub(crate) fn lists(&self) -> (TrustList, Vec<StatusList>) {
        (self.trust.clone(), self.status.clone())
    }

    fn check(
        &self,
        payload: &[u8],
        now_unix: i64,
    ) -> Result<techo_core::token::VerifiedPresentation, techo_core::token::VerifyError> {
        let now = chrono::DateTime::from_timestamp(now_unix, 0).unwrap_or_default();
        verify(payload, &self.trust, &self.status, now, &Policy::default())
    }
}

#[uniffi::export]
impl Verifier {
    /// Checks the signed trust list against the pinned root key (SEC1) and the status lists
    /// against the trust list.
    #[uniffi::constructor]
    pub fn new(
        root_key: Vec<u8>,
        trust_list: Vec<u8>,
        status_lists: Vec<Vec<u8>>,
    ) -> Result<Arc<Self>, TechoError> {
        let root = PublicKey::from_sec1(&root_key).map_err(TechoError::bad)?;
        let trust = TrustList::from_signed(&trust_list, &root, None).map_err(TechoError::bad)?;
        let status = status_lists
            .iter()
            .map(|b| StatusList::from_signed(b, &trust).map_err(TechoError::bad))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(Self { trust, status }))
    }

    /// Verifies a QR payload (binary or `TK1:` text) at `now_unix` seconds.
    pub fn verify(
        &self,
        payload: Vec<u8>,
        now_unix: i64,
        lang: Language,
    ) -> Result<Verdict, TechoError> {
        let lang: techo_core::Lang = lang.into();
        match self.check(&payload, now_unix) {
            Ok(v) => Ok(Verdict {
                issuer: v.issuer_name,
                kind: v.claims.kind.map(|k| k.label(lang).to_owned()),
                fare_class: v.claims.fare_class.map(|f| f.label(lang).to_owned()),
                caregiver: v.claims.caregiver,
                linkage: v.claims.linkage.map(|l| l.label(lang).to_owned()),
                status_list_age_seconds: v.status_list_age.num_seconds(),
                self_declared: v
                    .self_declared
                    .iter()
                    .map(|c| c.label(lang).to_owned())
                    .collect(),
                guardian: v.guardian.map(|g| g.label(lang)),
            }),
            Err(e) => Err(TechoError::Rejected {
                code: e.code().to_owned(),
                detail: e.message(lang),
            }),
        }
    }
}
