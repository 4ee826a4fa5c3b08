//! Linkage rules without I/O: the portal's record turned into credential claims, what the app is
//! told about a session, and whether a start is a retry of an earlier one.

use super::store::{SessionRecord, SessionState};
use techo_core::model::{FareClass, HandbookKind};
use techo_core::portal::dto::{LinkageStatus, PortalRecord};
use techo_core::token::{HandbookClaims, LinkageKind};

/// The portal's record for the handbook the app names, turned into credential claims.
pub(crate) fn claims_for(
    records: &[PortalRecord],
    s: &SessionRecord,
    today: chrono::NaiveDate,
) -> Result<HandbookClaims, (String, String)> {
    let normalise = |n: &str| {
        n.trim()
            .trim_start_matches('第')
            .trim_end_matches('号')
            .to_ascii_uppercase()
    };
    let r = records
        .iter()
        .find(|r| {
            r.kind == s.handbook.kind
                && normalise(&r.number) == normalise(&s.handbook.number)
                && r.municipality_code == s.handbook.municipality_code
        })
        .ok_or_else(|| {
            ("not_found".to_owned(), "the portal has no such handbook in force for this holder: check the kind, number and municipality".to_owned())
        })?;
    if r.expires.is_some_and(|e| e < today) {
        return Err((
            "expired".into(),
            "the portal reports this handbook as expired: renew it first".into(),
        ));
    }
    let kind =
        HandbookKind::parse(&r.kind).map_err(|e| ("portal_data".to_owned(), e.to_string()))?;
    let fare_class = match r.fare_class.as_str() {
        "first" => FareClass::First,
        "second" => FareClass::Second,
        _ => FareClass::NotRecorded,
    };
    let grade = match kind {
        HandbookKind::Intellectual => r.grade.clone(),
        _ => format!("{}級", r.grade),
    };
    let photo = s
        .photo_sha256_hex
        .as_deref()
        .and_then(techo_core::hex::decode)
        .and_then(|b| <[u8; 32]>::try_from(b).ok());
    Ok(HandbookClaims {
        kind,
        grade,
        fare_class,
        caregiver: fare_class == FareClass::First,
        municipality: r.municipality_code.clone(),
        expiry: r.expires,
        linkage: LinkageKind::Linked,
        photo,
        guardian: s.guardian,
    })
}

/// What the app is told about a session.
pub(crate) fn status_of(s: &SessionRecord) -> LinkageStatus {
    match &s.state {
        SessionState::AwaitingCode => LinkageStatus::AwaitingCode,
        SessionState::Pending {
            reason, next_try, ..
        } => LinkageStatus::Pending {
            reason: reason.clone(),
            next_try: *next_try,
        },
        SessionState::Linked {
            valid_until,
            credentials,
            ..
        } => LinkageStatus::Linked {
            credentials: credentials.clone().unwrap_or_default(),
            valid_until: *valid_until,
            consent_until: s
                .consent_until
                .map(|t| t.with_timezone(&techo_core::clock::jst()).date_naive()),
        },
        SessionState::Failed { error, message } => LinkageStatus::Failed {
            error: error.clone(),
            message: message.clone(),
        },
        SessionState::Revoked { reason } => LinkageStatus::Revoked {
            reason: reason.clone(),
        },
        SessionState::Suspended { .. } => LinkageStatus::Suspended,
    }
}

/// Whether a stored session was started by the same request as `new` (an idempotent retry).
pub(crate) fn same_request(stored: &SessionRecord, new: &SessionRecord) -> bool {
    stored.handbook == new.handbook
        && stored.photo_sha256_hex == new.photo_sha256_hex
        && stored.device_keys == new.device_keys
        && stored.guardian.map(|g| g.relationship) == new.guardian.map(|g| g.relationship)
}
