//! Staff mode's verdict: the operator (chosen from the signed directory and remembered by the
//! app), the trip, and `Verifier.judge` giving what `techo verify --policy` gives (both call
//! `techo_core::policy::judge`; `fixtures/conformance/verdicts.json` holds them to it).

use crate::TechoError;
use crate::records::Language;
use crate::service::TechoService;
use crate::site::SiteTrip;
use crate::verifier::Verifier;
use std::sync::Arc;
use techo_core::directory::{Directory, DirectoryUpdate, UpdateKind};
use techo_core::policy::{Decision, OperatorPolicy, Trip, judge};

/// One operator's acceptance rules (a policy file, `docs/operator-policy.md`).
#[derive(Debug, uniffi::Object)]
pub struct StaffPolicy {
    policy: OperatorPolicy,
}

#[uniffi::export]
impl StaffPolicy {
    /// A policy file's text, for an operator that keeps its own (the directory's are read with
    /// [`OperatorDirectory::policy`]).
    #[uniffi::constructor]
    pub fn from_toml(id: String, toml: String) -> Result<Arc<Self>, TechoError> {
        let policy = OperatorPolicy::from_toml(&id, &toml).map_err(TechoError::bad)?;
        Ok(Arc::new(Self { policy }))
    }

    pub fn id(&self) -> String {
        self.policy.id.clone()
    }

    pub fn name(&self, lang: Language) -> String {
        self.policy.display_name(lang.into()).to_owned()
    }

    /// What staff should ask before scanning: the distance when a rule depends on it, whether a
    /// caregiver travels when the operator discounts one.
    pub fn asks(&self) -> TripQuestions {
        TripQuestions {
            distance: self.policy.holder_alone_over_km.is_some(),
            caregiver: self.policy.caregiver != techo_core::policy::CaregiverRule::None,
        }
    }
}

/// The questions of the trip that change this operator's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TripQuestions {
    pub distance: bool,
    pub caregiver: bool,
}

/// One operator to pick in staff mode.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OperatorChoice {
    pub id: String,
    pub name: String,
    pub category: String,
    pub area: String,
}

/// The operator directory as the issuer signed it, checked against a verifier's trust list.
#[derive(Debug, uniffi::Object)]
pub struct OperatorDirectory {
    directory: Directory,
    signed: Vec<u8>,
}

impl OperatorDirectory {
    /// The checked directory: policies and coupons (for the coupon queue).
    pub(crate) fn directory(&self) -> &Directory {
        &self.directory
    }
}

#[uniffi::export]
impl OperatorDirectory {
    /// The directory saved last time ([`OperatorDirectory::saved`]), its signature checked
    /// again against `verifier`'s trust list: staff mode starts offline on it.
    #[uniffi::constructor]
    pub fn open(verifier: &Verifier, signed: Vec<u8>) -> Result<Arc<Self>, TechoError> {
        let update = DirectoryUpdate::open(&signed, verifier.trust()).map_err(TechoError::bad)?;
        if update.kind != UpdateKind::Full {
            return Err(TechoError::bad(
                "not a whole directory: refresh staff mode while connected",
            ));
        }
        let mut directory = Directory::default();
        update.apply(&mut directory).map_err(TechoError::bad)?;
        Ok(Arc::new(Self { directory, signed }))
    }

    /// Every operator whose policy reads, by name.
    pub fn operators(&self, lang: Language) -> Vec<OperatorChoice> {
        let mut out: Vec<OperatorChoice> = self
            .directory
            .entries
            .iter()
            .filter_map(|(id, e)| e.policy(id).ok())
            .map(|p| OperatorChoice {
                name: p.display_name(lang.into()).to_owned(),
                id: p.id,
                category: p.category,
                area: p.area,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The policy of operator `id`; `None` when the directory no longer lists it.
    pub fn policy(&self, id: String) -> Option<Arc<StaffPolicy>> {
        let policy = self.directory.entries.get(&id)?.policy(&id).ok()?;
        Some(Arc::new(StaffPolicy { policy }))
    }

    /// The signed bytes to keep in the app's private files for an offline start.
    pub fn saved(&self) -> Vec<u8> {
        self.signed.clone()
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl TechoService {
    /// The whole operator directory, its signature checked against `verifier`'s trust list
    /// (which was checked against the pinned root key). Keep its `saved()`.
    pub async fn fetch_operators(
        &self,
        verifier: Arc<Verifier>,
    ) -> Result<Arc<OperatorDirectory>, TechoError> {
        let signed = self
            .client
            .directory(0)
            .await?
            .ok_or_else(|| TechoError::bad("techo-server sent no directory"))?;
        OperatorDirectory::open(&verifier, signed)
    }
}

/// The headline decision staff act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StaffDecision {
    Accepted,
    NotAccepted,
    CheckManually,
    /// Not a valid code (forged, revoked, stale, another phone's): `refusal` says which.
    InvalidCode,
}

/// What staff mode shows after a scan under an operator's policy: `lines` in large type first,
/// then `details` (the facts), then `declared` (the self-declared block, apart).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StaffVerdict {
    pub decision: StaffDecision,
    /// The refusal's stable code (`revoked`, `stale_screen`, …) for an invalid code.
    pub refusal: Option<String>,
    /// Who travels or enters at the discount.
    pub holder: bool,
    pub caregiver: bool,
    /// Stable codes of the reasons and notes (`trip_too_short`, `presented_by_guardian`, …).
    pub codes: Vec<String>,
    pub lines: Vec<String>,
    pub details: Vec<String>,
    pub declared: Vec<String>,
    /// The self-declared items' stable codes.
    pub declared_codes: Vec<String>,
    /// Presented by a guardian (the guardian band), in `lang`.
    pub guardian: Option<String>,
    /// A coupon carried in the code (`<operator>/<coupon id>`).
    pub coupon: Option<String>,
}

#[uniffi::export]
impl Verifier {
    /// Staff mode's verdict for a scanned code at `policy`'s operator on `trip`: never an error
    /// for a refused code (it is a verdict to show); an error only for a trip date that does
    /// not read.
    pub fn judge(
        &self,
        payload: Vec<u8>,
        now_unix: i64,
        lang: Language,
        policy: Arc<StaffPolicy>,
        trip: SiteTrip,
    ) -> Result<StaffVerdict, TechoError> {
        let trip = Trip::try_from(trip)?;
        let l: techo_core::Lang = lang.into();
        let now = crate::verifier::instant(now_unix);
        Ok(
            match judge(
                &payload,
                self.trust(),
                self.status(),
                now,
                &policy.policy,
                &trip,
                None,
            ) {
                Ok(j) => {
                    let v = &j.verdict;
                    StaffVerdict {
                        decision: match v.decision {
                            Decision::Accepted => StaffDecision::Accepted,
                            Decision::NotAccepted => StaffDecision::NotAccepted,
                            Decision::CheckManually => StaffDecision::CheckManually,
                        },
                        refusal: None,
                        holder: v.grant.holder,
                        caregiver: v.grant.caregiver,
                        codes: v.codes().into_iter().map(str::to_owned).collect(),
                        lines: j.lines(&policy.policy, l),
                        details: j.detail_lines(l),
                        declared: j.declared_lines(l),
                        declared_codes: j
                            .self_declared
                            .iter()
                            .map(|c| c.code().to_owned())
                            .collect(),
                        guardian: v.facts.guardian.map(|g| g.label(l)),
                        coupon: j.coupon.clone(),
                    }
                }
                Err(e) => StaffVerdict {
                    decision: StaffDecision::InvalidCode,
                    refusal: Some(e.code().to_owned()),
                    holder: false,
                    caregiver: false,
                    codes: Vec::new(),
                    lines: vec![
                        l.pick("✕ 無効なコード", "✕ NOT A VALID CODE").to_owned(),
                        policy.policy.display_name(l).to_owned(),
                        e.message(l),
                    ],
                    details: Vec::new(),
                    declared: Vec::new(),
                    declared_codes: Vec::new(),
                    guardian: None,
                    coupon: None,
                },
            },
        )
    }
}
