//! Renewal without the card: a linked phone asks for a fresh batch under the holder's standing
//! consent. The request is signed by a device key of the session's current batch (only the phone
//! that holds the linkage can ask), names new keys made on the phone, and is answered from the
//! portal's record as of today: new credentials, "later" (the portal is closed: nothing changes,
//! the current credentials stay good), or revoked (returned, reissued, not found, consent ended).

use super::linkage::set_issuer_status;
use super::linkage_rules::{claims_for, status_of};
use super::portal_client::Outcome;
use super::state::ServerState;
use super::store::{ServerStore, SessionRecord, SessionState};
use crate::responses::{api_error, internal};
use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use std::sync::Arc;
use techo_core::portal::dto::{LinkageStatus, RenewRequest};
use techo_core::token::{PublicKey, Status};
use zeroize::Zeroizing;

/// How far the request's own time may be from the server's.
const CLOCK_SLACK: Duration = Duration::minutes(5);
/// Keys per batch, as at linkage.
const MAX_KEYS: usize = 64;

fn refused(error: &str, message: &str) -> Response {
    api_error(StatusCode::FORBIDDEN, error, message)
}

pub(super) async fn renew(
    State(st): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
    Json(req): Json<RenewRequest>,
) -> Response {
    match authorised(&st, &id, &req).await {
        // Its own task: once the portal is asked, the outcome is stored even if the phone
        // hangs up (it asks again with the same request and gets this batch).
        Ok((stored, false)) => tokio::spawn(async move { answer(&st, &id, &req, stored).await })
            .await
            .unwrap_or_else(internal),
        // A replay of the last renewal, by the key that signed it, gets that batch (while
        // undelivered), never a second one.
        Ok((stored, true)) => Json(status_of(&stored)).into_response(),
        Err(refusal) => refusal,
    }
}

/// The session, if the request may renew it, and whether it replays the last renewal. Anything
/// else is answered here: unknown session, a key or signature not of this linkage, a stale
/// request, a session that is not linked (revoked and suspended ones get their status).
async fn authorised(
    st: &ServerState,
    id: &str,
    req: &RenewRequest,
) -> Result<(SessionRecord, bool), Response> {
    let stored = match st.store.session(id).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Err(api_error(
                StatusCode::NOT_FOUND,
                "unknown_session",
                "no such linkage session",
            ));
        }
        Err(e) => return Err(internal(e)),
    };
    // Revoked or suspended: the app learns it and stops showing 連携済 (the status is no
    // secret: `GET` gives it to anyone with the session id). Nothing is issued.
    if matches!(
        stored.state,
        SessionState::Revoked { .. } | SessionState::Suspended { .. }
    ) {
        tracing::info!(session = %id, state = stored.state.name(), "renewal refused: not linked");
        return Err(Json(status_of(&stored)).into_response());
    }
    let replay = stored.renewed_with.as_deref() == Some(req.idempotency_key.as_str())
        && stored.renewed_by.as_deref() == Some(req.signer_hex.as_str());
    // Only the phone holding this linkage: a key of its current batch signs the request.
    let Some(signer) = stored
        .device_keys
        .iter()
        .map(|k| k.public_hex.as_str())
        .chain(stored.renewed_by.as_deref().filter(|_| replay))
        .find(|k| *k == req.signer_hex)
        .and_then(techo_core::hex::decode)
        .and_then(|b| PublicKey::from_sec1(&b).ok())
    else {
        tracing::info!(session = %id, "renewal refused: not a key of this session");
        return Err(refused(
            "unknown_key",
            "the request is not signed by a key of this linkage: link again with the card",
        ));
    };
    let signature = techo_core::hex::decode(&req.signature_hex).unwrap_or_default();
    if !signer.verify(&req.signed_bytes(id), &signature) {
        tracing::info!(session = %id, "renewal refused: bad signature");
        return Err(refused(
            "bad_signature",
            "the request's signature does not verify",
        ));
    }
    // A replay may come late (the phone lost the answer and tries again the next day): it only
    // gets the batch already issued to keys the phone made, so its age does not matter.
    if !replay && (st.now() - req.signed_at).abs() > CLOCK_SLACK {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "stale_request",
            "the request was signed more than five minutes away from the server's time: check the phone's clock and try again",
        ));
    }
    match &stored.state {
        SessionState::Linked { .. } => Ok((stored, replay)),
        _ => Err(api_error(
            StatusCode::CONFLICT,
            "not_linked",
            "this linkage is not complete: ask for its status instead",
        )),
    }
}

/// New keys: 1 to 64 valid P-256 keys, none of the current batch.
fn new_keys_ok(req: &RenewRequest, stored: &SessionRecord) -> bool {
    !req.device_keys.is_empty()
        && req.device_keys.len() <= MAX_KEYS
        && req.idempotency_key.len() <= 100
        && req.device_keys.iter().all(|k| {
            k.alias.len() <= 100
                && techo_core::hex::decode(&k.public_hex)
                    .is_some_and(|b| PublicKey::from_sec1(&b).is_ok())
                && !stored
                    .device_keys
                    .iter()
                    .any(|o| o.public_hex == k.public_hex)
        })
}

/// Asks the portal under the standing consent and stores the outcome, unless the session changed
/// meanwhile (a revocation that lands in between wins).
async fn answer(st: &ServerState, id: &str, req: &RenewRequest, stored: SessionRecord) -> Response {
    let now = st.now();
    if !new_keys_ok(req, &stored) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "give 1 to 64 new P-256 device keys, none of the current batch",
        );
    }
    let Some(sealed) = stored.access_token.as_ref() else {
        return Json(LinkageStatus::Failed {
            error: "relink_needed".into(),
            message: "this linkage predates renewal without the card: link again with the card"
                .into(),
        })
        .into_response();
    };
    // A token that does not open: the holder links again; the record stays as it is.
    let token = match st.keys.sealer().open(sealed, id) {
        Ok(token) => Zeroizing::new(token),
        Err(e) => {
            tracing::warn!(session = %id, error = %e, "renewal: the stored portal token does not open");
            return Json(LinkageStatus::Failed {
                error: "relink_needed".into(),
                message: e.to_string(),
            })
            .into_response();
        }
    };
    let today = st.clock.today_jst();
    let consent_ended = match &stored.state {
        SessionState::Linked { consent_id, .. } => match st.store.consent(consent_id).await {
            Ok(Some(c)) => c.expires_at <= now || c.withdrawn_at.is_some(),
            Ok(None) => true,
            Err(e) => return internal(e),
        },
        _ => true,
    };
    let mut next = stored.clone();
    if !sealed.is_sealed() {
        // Stored before sealing: sealed now, as the record is written again.
        next.access_token = match st.keys.sealer().seal(&token, id) {
            Ok(s) => Some(s),
            Err(e) => return internal(e),
        };
    }
    next.device_keys.clone_from(&req.device_keys);
    next.renewed_with = Some(req.idempotency_key.clone());
    next.renewed_by = Some(req.signer_hex.clone());
    let ended = |reason: &str| SessionState::Revoked {
        reason: reason.to_owned(),
    };
    let answer = if consent_ended {
        Outcome::Failed {
            error: "consent_expired".into(),
            message: "the consented period is over".into(),
        }
    } else {
        st.portal.as_of(token.as_str(), today).await
    };
    next.state = match answer {
        Outcome::Ok(records) => match claims_for(&records, &next, today) {
            Ok(claims) => {
                let SessionState::Linked { consent_id, .. } = &stored.state else {
                    return internal("the session changed kind");
                };
                let (creds, valid_until) = match st.issue_for(&next, &claims, today).await {
                    Ok(x) => x,
                    Err(e) => return internal(e),
                };
                tracing::info!(session = %id, credentials = creds.len(), "renewed");
                SessionState::Linked {
                    consent_id: consent_id.clone(),
                    valid_until,
                    credentials: Some(creds),
                }
            }
            // Returned, reissued, expired or no longer there: what was issued is revoked.
            Err((error, _)) => ended(&error),
        },
        Outcome::Later { reason, next_try } => {
            // Nothing changes: the current credentials stay good until they run out.
            let next_try = next_try.unwrap_or(now + Duration::minutes(30));
            return Json(LinkageStatus::Pending { reason, next_try }).into_response();
        }
        Outcome::Failed { error, .. } => {
            tracing::info!(session = %id, %error, "renewal: consent no longer stands");
            ended("consent_ended")
        }
    };
    if matches!(next.state, SessionState::Revoked { .. }) {
        next.access_token = None;
        if let Err(e) = set_issuer_status(st, id, Status::Revoked).await {
            return internal(e);
        }
    }
    match st.write_unless_changed(&stored, next).await {
        Ok(s) => Json(status_of(&s)).into_response(),
        Err(e) => internal(e),
    }
}
