//! `Verifier`: gates, counters and booking sites check a presentation offline.

use crate::TechoError;
use crate::records::{Language, Verdict};
use std::sync::Arc;
use techo_core::token::{
    Policy, PublicKey, StatusList, StatusSet, TrustList, VerifierBundle, verify,
};

#[derive(Debug, uniffi::Object)]
pub struct Verifier {
    trust: TrustList,
    status: Vec<StatusList>,
    /// What to save for the next refresh or an offline start (lists as the issuer signed them).
    bundle: Option<VerifierBundle>,
    /// Bytes the refresh that made this verifier fetched.
    fetched: u64,
}

impl Verifier {
    pub(crate) fn refreshed(
        trust: TrustList,
        status: StatusSet,
        bundle: VerifierBundle,
        fetched: usize,
    ) -> Arc<Self> {
        Arc::new(Self {
            trust,
            status: status.into_vec(),
            bundle: Some(bundle),
            fetched: fetched as u64,
        })
    }

    /// The checked trust and status lists, for a site verifier built on them.
    pub(crate) fn lists(&self) -> (TrustList, Vec<StatusList>) {
        (self.trust.clone(), self.status.clone())
    }

    /// The checked trust list, borrowed (a scan never copies the lists).
    pub(crate) fn trust(&self) -> &TrustList {
        &self.trust
    }

    /// The checked status lists, borrowed.
    pub(crate) fn status(&self) -> &dyn techo_core::token::StatusSource {
        &self.status
    }

    pub(crate) fn verified(
        &self,
        payload: &[u8],
        now_unix: i64,
        policy: &Policy,
    ) -> Result<techo_core::token::VerifiedPresentation, techo_core::token::VerifyError> {
        verify(
            payload,
            &self.trust,
            &self.status,
            instant(now_unix),
            policy,
        )
    }
}

/// A shell's Unix seconds as a time (out of range: the epoch, which no code verifies at).
pub(crate) fn instant(now_unix: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(now_unix, 0).unwrap_or_default()
}

/// The challenge a booking site issued, which the presentation must answer.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ExpectedChallenge {
    pub nonce: Vec<u8>,
    pub audience: String,
}

impl Verifier {
    /// [`Verifier::check`] under `policy`.
    fn check_with(
        &self,
        payload: &[u8],
        now_unix: i64,
        lang: Language,
        policy: &Policy,
    ) -> StaffCheck {
        match self.verdict(payload, now_unix, lang, policy) {
            Ok(v) => StaffCheck {
                valid: true,
                code: None,
                lines: staff_lines(&v, lang.into()),
                verdict: Some(v),
            },
            Err(TechoError::Rejected { code, detail }) => StaffCheck {
                valid: false,
                lines: vec![
                    techo_core::Lang::from(lang)
                        .pick("✕ 無効なコード", "✕ NOT VALID")
                        .to_owned(),
                    detail,
                ],
                code: Some(code),
                verdict: None,
            },
            Err(e) => StaffCheck {
                valid: false,
                code: Some("error".into()),
                lines: vec![
                    techo_core::Lang::from(lang)
                        .pick("✕ 確認できません", "✕ CANNOT CHECK")
                        .to_owned(),
                    e.to_string(),
                ],
                verdict: None,
            },
        }
    }

    fn verdict(
        &self,
        payload: &[u8],
        now_unix: i64,
        lang: Language,
        policy: &Policy,
    ) -> Result<Verdict, TechoError> {
        let lang: techo_core::Lang = lang.into();
        match self.verified(payload, now_unix, policy) {
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

/// What staff mode shows after a scan, in large type, the verdict first.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StaffCheck {
    pub valid: bool,
    /// The refusal's stable code (`revoked`, `stale_screen`, …) when not valid.
    pub code: Option<String>,
    /// The lines to show, most important first: the verdict, who presents, kind and fare class,
    /// caregiver, linkage, self-declared items marked as such, the issuer.
    pub lines: Vec<String>,
    pub verdict: Option<Verdict>,
}

fn staff_lines(v: &Verdict, lang: techo_core::Lang) -> Vec<String> {
    let mut lines = vec![lang.pick("◯ 有効な手帳です", "◯ VALID HANDBOOK").to_owned()];
    lines.extend(v.guardian.clone());
    let kind = [v.kind.as_deref(), v.fare_class.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ・ ");
    lines.push(kind);
    match v.caregiver {
        Some(true) => lines.push(
            lang.pick("介護者1名 割引可", "1 caregiver at the discount")
                .into(),
        ),
        Some(false) => lines.push(lang.pick("介護者割引なし", "no caregiver discount").into()),
        None => {}
    }
    lines.extend(v.linkage.clone());
    if !v.self_declared.is_empty() {
        lines.push(
            lang.pick(
                "本人申告（発行元は未確認）：",
                "Self-declared (not checked by the issuer):",
            )
            .into(),
        );
        lines.extend(v.self_declared.iter().cloned());
    }
    lines.push(format!("{}{}", lang.pick("発行元：", "Issuer: "), v.issuer));
    lines
}

#[uniffi::export]
impl Verifier {
    /// Staff mode's check of a scanned code: never an error for a refused code (it is a
    /// result to show), with the lines to show in `lang`.
    pub fn check(&self, payload: Vec<u8>, now_unix: i64, lang: Language) -> StaffCheck {
        self.check_with(&payload, now_unix, lang, &Policy::default())
    }

    /// [`Verifier::check`] for a site that issued `challenge`: the code must answer it.
    pub fn check_answering(
        &self,
        payload: Vec<u8>,
        now_unix: i64,
        lang: Language,
        challenge: ExpectedChallenge,
    ) -> StaffCheck {
        let policy = Policy {
            challenge: Some(techo_core::token::Challenge {
                nonce: challenge.nonce,
                audience: challenge.audience,
            }),
            ..Policy::default()
        };
        self.check_with(&payload, now_unix, lang, &policy)
    }

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
        Ok(Arc::new(Self {
            trust,
            status,
            bundle: None,
            fetched: 0,
        }))
    }

    /// Staff mode offline: the lists a refresh saved ([`Verifier::saved`]), every signature
    /// checked again against the pinned root key; a file changed on disk is refused.
    #[uniffi::constructor]
    pub fn from_saved(root_key: Vec<u8>, saved: Vec<u8>) -> Result<Arc<Self>, TechoError> {
        let root = PublicKey::from_sec1(&root_key).map_err(TechoError::bad)?;
        let bundle = VerifierBundle::from_bytes(&saved).map_err(TechoError::bad)?;
        if bundle.root().map_err(TechoError::bad)? != root {
            return Err(TechoError::bad(
                "the saved lists were pinned to another root key: refresh while connected",
            ));
        }
        let (trust, status) = bundle.open().map_err(TechoError::bad)?;
        Ok(Self::refreshed(trust, status, bundle, 0))
    }

    /// The lists to keep in the app's private files for the next refresh (a delta then) or an
    /// offline start ([`Verifier::from_saved`]); `None` for a verifier built from raw lists.
    pub fn saved(&self) -> Option<Vec<u8>> {
        self.bundle.as_ref().map(VerifierBundle::to_bytes)
    }

    /// Bytes the refresh that made this verifier fetched (0 offline, small for a delta).
    pub fn fetched_bytes(&self) -> u64 {
        self.fetched
    }

    /// Seconds since the oldest status list held was issued, for "lists as of …" on screen.
    pub fn lists_age_seconds(&self, now_unix: i64) -> i64 {
        self.status
            .iter()
            .map(|l| now_unix - l.issued_at.timestamp())
            .max()
            .unwrap_or(i64::MAX)
    }

    /// Verifies a QR payload (binary or `TK1:` text) at `now_unix` seconds.
    pub fn verify(
        &self,
        payload: Vec<u8>,
        now_unix: i64,
        lang: Language,
    ) -> Result<Verdict, TechoError> {
        self.verdict(&payload, now_unix, lang, &Policy::default())
    }
}

/// A QR code's content from its data codewords and version, for scanners that give codewords
/// (iOS: `CIQRCodeDescriptor.errorCorrectedPayload` and `symbolVersion`): a binary presentation
/// arrives byte for byte. `None` when the codewords do not read.
#[uniffi::export]
pub fn qr_content_from_codewords(codewords: Vec<u8>, version: u8) -> Option<Vec<u8>> {
    techo_core::token::qr::content_from_codewords(&codewords, version)
}
