//! The handbook facts a credential carries, their wire values, and their salted digests.
//!
//! The credential never holds these values, only digests: the counter profile one digest over
//! its four claims, the full profile one digest per claim. A presentation discloses values with
//! their salts, and the verifier recomputes the digests.

use super::time::{day_date, day_number};
use crate::model::{FareClass, Handbook, HandbookKind, LinkageState};
use chrono::NaiveDate;
use ciborium::Value;
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

/// Digests are SHA-256 truncated to 128 bits.
pub const DIGEST_LEN: usize = 16;
/// Salts are 128 random bits.
pub const SALT_LEN: usize = 16;

pub type Salt = [u8; SALT_LEN];
pub type Digest = [u8; DIGEST_LEN];

/// Claim identifiers on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClaimId {
    Kind = 1,
    Grade = 2,
    FareClass = 3,
    Caregiver = 4,
    Municipality = 5,
    Expiry = 6,
    Linkage = 7,
    Photo = 8,
}

impl ClaimId {
    pub const ALL: [ClaimId; 8] = [
        ClaimId::Kind,
        ClaimId::Grade,
        ClaimId::FareClass,
        ClaimId::Caregiver,
        ClaimId::Municipality,
        ClaimId::Expiry,
        ClaimId::Linkage,
        ClaimId::Photo,
    ];

    /// What a counter shows by default, and what the counter profile holds.
    pub const COUNTER: [ClaimId; 4] = [
        ClaimId::Kind,
        ClaimId::FareClass,
        ClaimId::Caregiver,
        ClaimId::Linkage,
    ];

    pub fn from_wire(n: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|c| *c as u64 == n)
    }

    /// Names used by `--disclose`.
    pub fn name(self) -> &'static str {
        match self {
            ClaimId::Kind => "kind",
            ClaimId::Grade => "grade",
            ClaimId::FareClass => "fare",
            ClaimId::Caregiver => "caregiver",
            ClaimId::Municipality => "municipality",
            ClaimId::Expiry => "expiry",
            ClaimId::Linkage => "linkage",
            ClaimId::Photo => "photo",
        }
    }

    /// What the holder is asked to share, on a consent screen.
    pub fn label(self, lang: crate::Lang) -> &'static str {
        match self {
            ClaimId::Kind => lang.pick("手帳の種類", "kind of handbook"),
            ClaimId::Grade => lang.pick("等級・判定", "grade"),
            ClaimId::FareClass => lang.pick("旅客運賃減額の種別", "fare discount class"),
            ClaimId::Caregiver => lang.pick("介護者割引の有無", "caregiver discount"),
            ClaimId::Municipality => lang.pick("交付自治体", "issuing municipality"),
            ClaimId::Expiry => lang.pick("有効期限", "expiry date"),
            ClaimId::Linkage => lang.pick("マイナポータル連携の有無", "portal linkage"),
            ClaimId::Photo => lang.pick("顔写真の照合値", "face photo digest"),
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name.trim())
    }
}

/// Every claim's value, as the issuer knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandbookClaims {
    pub kind: HandbookKind,
    pub grade: String,
    pub fare_class: FareClass,
    pub caregiver: bool,
    pub municipality: String,
    pub expiry: Option<NaiveDate>,
    pub linkage: LinkageKind,
    /// SHA-256 of the photo bytes.
    pub photo: Option<[u8; 32]>,
    /// Presented by a guardian: always shown, never selectively hidden (see [`GuardianClaim`]).
    pub guardian: Option<GuardianClaim>,
}

/// A credential for a guardian to present on the holder's behalf. It sits in the credential body
/// under the issuer's signature and is always disclosed: staff must know the holder may not be
/// the person at the counter. It names the relationship only, never the guardian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GuardianClaim {
    pub relationship: crate::model::Relationship,
    /// The portal confirmed the guardian (its proxy setting); `false`: the guardian linked with
    /// the holder's own card and declared the relationship.
    pub portal_confirmed: bool,
}

impl GuardianClaim {
    /// What the wallet declares for a handbook's presenter (the portal has not confirmed it).
    pub fn declared(presenter: &crate::model::Presenter) -> Option<Self> {
        match presenter {
            crate::model::Presenter::Holder => None,
            crate::model::Presenter::Guardian { relationship, .. } => Some(GuardianClaim {
                relationship: *relationship,
                portal_confirmed: false,
            }),
        }
    }

    /// "保護者が提示（親・ポータル確認済）" / "presented by guardian (parent, confirmed by the portal)".
    pub fn label(self, lang: crate::Lang) -> String {
        let how = if self.portal_confirmed {
            lang.pick("ポータルで代理人確認済", "confirmed by the portal")
        } else {
            lang.pick("本人のカードで連携", "linked with the holder's card")
        };
        match lang {
            crate::Lang::Ja => format!("保護者が提示（{}・{how}）", self.relationship.label(lang)),
            crate::Lang::En => {
                format!(
                    "presented by guardian ({}, {how})",
                    self.relationship.label(lang)
                )
            }
        }
    }
}

/// Linkage as carried in a credential (the dates stay in the wallet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkageKind {
    Unlinked = 0,
    Pending = 1,
    Linked = 2,
}

impl From<&LinkageState> for LinkageKind {
    fn from(s: &LinkageState) -> Self {
        match s {
            LinkageState::Unlinked
            | LinkageState::Linking { .. }
            | LinkageState::RelinkNeeded { .. } => LinkageKind::Unlinked,
            LinkageState::Pending { .. } => LinkageKind::Pending,
            LinkageState::Linked { .. } => LinkageKind::Linked,
        }
    }
}

impl LinkageKind {
    pub fn label(self, lang: crate::Lang) -> &'static str {
        match self {
            LinkageKind::Unlinked => lang.pick("未連携", "Not linked"),
            LinkageKind::Pending => lang.pick("申請中", "Pending"),
            LinkageKind::Linked => lang.pick("連携済", "Linked"),
        }
    }
}

fn kind_wire(k: HandbookKind) -> u64 {
    match k {
        HandbookKind::Physical => 0,
        HandbookKind::Mental => 1,
        HandbookKind::Intellectual => 2,
    }
}

fn fare_wire(f: FareClass) -> u64 {
    match f {
        FareClass::NotRecorded => 0,
        FareClass::First => 1,
        FareClass::Second => 2,
    }
}

impl HandbookClaims {
    /// The claims for a stored handbook. The grade is the printed label ("1級", "A2").
    pub fn from_handbook(hb: &Handbook) -> Self {
        let photo = hb.photo.as_ref().and_then(|p| {
            let mut out = [0u8; 32];
            (0..32).try_for_each(|i| {
                let byte = u8::from_str_radix(p.sha256.get(2 * i..2 * i + 2)?, 16).ok()?;
                out[i] = byte;
                Some(())
            })?;
            Some(out)
        });
        let grade = match &hb.category {
            crate::model::Category::Physical { grade }
            | crate::model::Category::Mental { grade } => {
                format!("{grade}級")
            }
            crate::model::Category::Intellectual { label, .. } => label.clone(),
        };
        Self {
            kind: hb.kind(),
            grade,
            fare_class: hb.fare_class,
            caregiver: hb.caregiver_discount(),
            municipality: hb.municipality.code.as_str().to_owned(),
            expiry: hb.dates.expires,
            linkage: LinkageKind::from(&hb.linkage),
            photo,
            guardian: GuardianClaim::declared(&hb.presenter),
        }
    }

    /// The wire value of one claim.
    pub fn value(&self, id: ClaimId) -> Value {
        match id {
            ClaimId::Kind => Value::from(kind_wire(self.kind)),
            ClaimId::Grade => Value::Text(self.grade.clone()),
            ClaimId::FareClass => Value::from(fare_wire(self.fare_class)),
            ClaimId::Caregiver => Value::Bool(self.caregiver),
            ClaimId::Municipality => Value::Text(self.municipality.clone()),
            ClaimId::Expiry => self
                .expiry
                .map_or(Value::Null, |d| Value::from(day_number(d))),
            ClaimId::Linkage => Value::from(self.linkage as u64),
            ClaimId::Photo => self.photo.map_or(Value::Null, |p| Value::Bytes(p.to_vec())),
        }
    }
}

/// Claims a verifier learned, each only if disclosed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisclosedClaims {
    pub kind: Option<HandbookKind>,
    pub grade: Option<String>,
    pub fare_class: Option<FareClass>,
    pub caregiver: Option<bool>,
    pub municipality: Option<String>,
    /// `Some(None)`: disclosed, and the handbook has no expiry.
    pub expiry: Option<Option<NaiveDate>>,
    pub linkage: Option<LinkageKind>,
    pub photo: Option<Option<[u8; 32]>>,
}

impl DisclosedClaims {
    /// One line per disclosed claim, labelled, for staff (the CLI and the phones print the same).
    pub fn lines(&self, lang: crate::Lang) -> Vec<String> {
        let c = self;
        let mut out = Vec::new();
        if let Some(k) = c.kind {
            out.push(format!("{}: {}", lang.pick("種別", "kind"), k.label(lang)));
        }
        if let Some(f) = c.fare_class {
            out.push(format!(
                "{}: {}",
                lang.pick("運賃減額", "fare class"),
                f.label(lang)
            ));
        }
        if let Some(cg) = c.caregiver {
            let text = if cg {
                lang.pick("介護者1名も割引", "one caregiver also discounted")
            } else {
                lang.pick("本人のみ", "holder only")
            };
            out.push(format!("{}: {text}", lang.pick("介護者", "caregiver")));
        }
        if let Some(l) = c.linkage {
            out.push(format!(
                "{}: {}",
                lang.pick("連携", "linkage"),
                l.label(lang)
            ));
        }
        if let Some(g) = &c.grade {
            out.push(format!("{}: {g}", lang.pick("等級", "grade")));
        }
        if let Some(m) = &c.municipality {
            out.push(format!(
                "{}: {m}",
                lang.pick("交付自治体コード", "municipality")
            ));
        }
        if let Some(e) = c.expiry {
            let text = e.map_or_else(|| lang.pick("なし", "none").to_owned(), |d| d.to_string());
            out.push(format!("{}: {text}", lang.pick("有効期限", "expiry")));
        }
        if let Some(p) = c.photo {
            let text = p.map_or_else(
                || lang.pick("なし", "none").to_owned(),
                |d| crate::hex::encode(&d[..8]),
            );
            out.push(format!(
                "{}: {text}",
                lang.pick("写真ダイジェスト", "photo digest")
            ));
        }
        out
    }

    /// Reads one disclosed wire value into its field; `None` when the value has the wrong shape.
    pub(crate) fn set(&mut self, id: ClaimId, v: &Value) -> Option<()> {
        let uint = |v: &Value| v.as_integer().and_then(|i| u64::try_from(i).ok());
        match id {
            ClaimId::Kind => {
                self.kind = Some(match uint(v)? {
                    0 => HandbookKind::Physical,
                    1 => HandbookKind::Mental,
                    2 => HandbookKind::Intellectual,
                    _ => return None,
                });
            }
            ClaimId::Grade => self.grade = Some(v.as_text()?.to_owned()),
            ClaimId::FareClass => {
                self.fare_class = Some(match uint(v)? {
                    0 => FareClass::NotRecorded,
                    1 => FareClass::First,
                    2 => FareClass::Second,
                    _ => return None,
                });
            }
            ClaimId::Caregiver => self.caregiver = Some(v.as_bool()?),
            ClaimId::Municipality => self.municipality = Some(v.as_text()?.to_owned()),
            ClaimId::Expiry => {
                self.expiry = Some(if v.is_null() {
                    None
                } else {
                    Some(day_date(u32::try_from(uint(v)?).ok()?))
                });
            }
            ClaimId::Linkage => {
                self.linkage = Some(match uint(v)? {
                    0 => LinkageKind::Unlinked,
                    1 => LinkageKind::Pending,
                    2 => LinkageKind::Linked,
                    _ => return None,
                });
            }
            ClaimId::Photo => {
                self.photo = Some(if v.is_null() {
                    None
                } else {
                    Some(<[u8; 32]>::try_from(v.as_bytes()?.as_slice()).ok()?)
                });
            }
        }
        Some(())
    }
}

pub fn random_salt() -> Salt {
    let mut s = [0u8; SALT_LEN];
    SystemRandom::new()
        .fill(&mut s)
        .expect("the OS random source works");
    s
}

pub(crate) fn cbor(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    ciborium::ser::into_writer(v, &mut out).expect("writing CBOR to memory cannot fail");
    out
}

fn truncated(domain: &[u8], salt: &[u8], body: &[u8]) -> Digest {
    let mut input = Vec::with_capacity(domain.len() + salt.len() + body.len());
    input.extend_from_slice(domain);
    input.extend_from_slice(salt);
    input.extend_from_slice(body);
    let d = digest(&SHA256, &input);
    let mut out = [0u8; DIGEST_LEN];
    out.copy_from_slice(&d.as_ref()[..DIGEST_LEN]);
    out
}

/// Digest of the counter group: `SHA-256("techo-counter-v1" ‖ salt ‖ CBOR([kind, fare, caregiver, linkage]))[..16]`.
pub fn counter_digest(salt: &[u8], values: &[Value]) -> Digest {
    truncated(
        b"techo-counter-v1",
        salt,
        &cbor(&Value::Array(values.to_vec())),
    )
}

/// Digest of one claim: `SHA-256("techo-claim-v1" ‖ salt ‖ CBOR([id, value]))[..16]`.
pub fn claim_digest(salt: &[u8], id: ClaimId, value: &Value) -> Digest {
    truncated(
        b"techo-claim-v1",
        salt,
        &cbor(&Value::Array(vec![Value::from(id as u64), value.clone()])),
    )
}
