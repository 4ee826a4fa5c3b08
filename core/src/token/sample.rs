//! A ready-made issuer, holder and verifier state, for benchmarks, `techo bench` and examples.

use super::claims::{ClaimId, HandbookClaims, LinkageKind};
use super::credential::StatusRef;
use super::issuer::{IssueRequest, Issuer};
use super::keys::SoftwareKey;
use super::present::HeldCredential;
use super::status::StatusList;
use super::trust::{TrustList, TrustedIssuer};
use crate::model::{FareClass, HandbookKind};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::sync::Arc;

#[derive(Debug)]
pub struct Sample {
    pub issuer: Issuer,
    /// The issuer's key, for signing the sample's status lists.
    pub issuer_key: Arc<SoftwareKey>,
    pub device: SoftwareKey,
    pub trust: TrustList,
    pub status: Vec<StatusList>,
    pub counter: HeldCredential,
    pub full: HeldCredential,
    pub now: DateTime<Utc>,
}

impl Sample {
    /// A 身体 1級 第1種 linked handbook, credentials valid 2026-11-20..2026-12-10.
    pub fn new() -> Self {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 25, 3, 0, 0)
            .single()
            .expect("valid time");
        let issuer_key = Arc::new(SoftwareKey::generate());
        let issuer = Issuer::new(1, "Techo sample issuer", vec![0x01], issuer_key.clone());
        let trust = TrustList {
            sequence: 1,
            issued_at: now,
            min_token_version: 1,
            issuers: vec![TrustedIssuer::of(
                &issuer,
                now - Duration::days(30),
                now + Duration::days(365),
            )],
        };
        let claims = HandbookClaims {
            kind: HandbookKind::Physical,
            grade: "1級".into(),
            fare_class: FareClass::First,
            caregiver: true,
            municipality: "131016".into(),
            expiry: None,
            linkage: LinkageKind::Linked,
            photo: Some([7; 32]),
            guardian: None,
        };
        let device = SoftwareKey::generate();
        let [counter, full] = issuer
            .issue(&IssueRequest {
                claims: &claims,
                device_key: &device.public(),
                device_alias: "sample",
                not_before: NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date"),
                not_after: NaiveDate::from_ymd_opt(2026, 12, 10).expect("valid date"),
                status: StatusRef {
                    list: 1,
                    index: 40_000,
                },
            })
            .expect("21 days is a valid credential");
        let status = vec![StatusList::new(1, issuer.id, 65_536, now, 86_400)];
        Self {
            issuer,
            issuer_key,
            device,
            trust,
            status,
            counter,
            full,
            now,
        }
    }

    /// The default counter presentation, binary form.
    pub fn counter_payload(&self) -> Vec<u8> {
        super::present(
            &self.counter,
            &self.device,
            self.now,
            &ClaimId::COUNTER,
            None,
        )
        .expect("the sample credential presents")
        .binary()
    }
}

impl Default for Sample {
    fn default() -> Self {
        Self::new()
    }
}
