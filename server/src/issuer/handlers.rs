//! The linkage API's HTTP handlers: start, submit the portal's code, acknowledge, withdraw,
//! the admin actions, and the trust list and root key.

use super::admin_auth::admin_denied;
use super::consent_expiry;
use super::linkage::EXCHANGE_LEASE_MINUTES;
use super::linkage::set_issuer_status;
use super::linkage_rules::{same_request, status_of};
use super::portal_client::Outcome;
use super::state::ServerState;
use super::store::{ConsentEntry, ServerStore, SessionRecord, SessionState};
use crate::responses::{api_error, cbor, internal, unavailable};
use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use techo_core::portal::dto::{
    AdminAction, SCOPE_HANDBOOKS, StartLinkage, StartedLinkage, SubmitCode, TECHO_SERVICE_ID,
};
use techo_core::token::{PublicKey, Status};

pub(crate) async fn start(
    State(st): State<Arc<ServerState>>,
    Json(req): Json<StartLinkage>,
) -> Response {
    if req.device_keys.is_empty() || req.device_keys.len() > 64 || req.idempotency_key.len() > 128 {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "send 1 to 64 device keys and an idempotency key",
        );
    }
    let digest_ok = req
        .photo_sha256_hex
        .as_deref()
        .is_none_or(|h| h.len() == 64 && techo_core::hex::decode(h).is_some());
    let handbook_ok = [
        &req.handbook.kind,
        &req.handbook.number,
        &req.handbook.municipality_code,
    ]
    .iter()
    .all(|f| !f.is_empty() && f.chars().count() <= 32);
    let aliases_ok = req
        .device_keys
        .iter()
        .all(|k| !k.alias.is_empty() && k.alias.len() <= 64);
    if !digest_ok || !handbook_ok || !aliases_ok {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "send the handbook's kind, number and municipality code (up to 32 characters each), \
             the photo's SHA-256 in hex, and device key aliases of up to 64 characters",
        );
    }
    if req.device_keys.iter().any(|k| {
        techo_core::hex::decode(&k.public_hex)
            .and_then(|b| PublicKey::from_sec1(&b).ok())
            .is_none()
    }) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_device_key",
            "device keys must be P-256 points in hex",
        );
    }
    let record = SessionRecord {
        id: techo_core::hex::random(16),
        idempotency_key: req.idempotency_key,
        created_at: st.now(),
        handbook: req.handbook,
        photo_sha256_hex: req.photo_sha256_hex,
        device_keys: req.device_keys,
        state: SessionState::AwaitingCode,
        access_token: None,
        renewed_with: None,
        renewed_by: None,
        exchanging_since: None,
        consent_until: None,
        guardian: req
            .guardian
            .map(|relationship| techo_core::token::GuardianClaim {
                relationship,
                portal_confirmed: false,
            }),
    };
    match st.store.create_session(&record).await {
        Ok(s) if s.id != record.id && !same_request(&s, &record) => api_error(
            StatusCode::CONFLICT,
            "idempotency_conflict",
            "this idempotency key was used for a different linkage request: use a new key",
        ),
        Ok(s) => Json(StartedLinkage {
            session_id: s.id,
            portal_url: st.cfg.portal_holder_url.clone(),
            service_id: TECHO_SERVICE_ID.into(),
        })
        .into_response(),
        Err(e) => internal(e),
    }
}

pub(crate) async fn submit_code(
    State(st): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
    Json(req): Json<SubmitCode>,
) -> Response {
    let Ok(Some(s)) = st.store.session(&id).await else {
        return api_error(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "no such linkage session",
        );
    };
    // Idempotent: a code already exchanged is never exchanged (or consented) again.
    if !matches!(s.state, SessionState::AwaitingCode) {
        return Json(status_of(&s)).into_response();
    }
    let now = st.now();
    // One exchange at a time per session, across processes: claim it first (compare and swap).
    let busy = || {
        api_error(
            StatusCode::CONFLICT,
            "code_in_progress",
            "a code for this linkage is being exchanged: wait for its answer",
        )
    };
    if s.exchanging_since
        .is_some_and(|t| now - t < chrono::Duration::minutes(EXCHANGE_LEASE_MINUTES))
    {
        return busy();
    }
    let mut claimed = s.clone();
    claimed.exchanging_since = Some(now);
    match st.store.replace_session(&s, &claimed).await {
        Ok(true) => {}
        Ok(false) => return busy(),
        Err(e) => return internal(e),
    }
    let stored = claimed;
    let s = stored.clone();
    let release = |st: Arc<ServerState>, stored: SessionRecord| async move {
        let mut open = stored.clone();
        open.exchanging_since = None;
        let _ = st.store.replace_session(&stored, &open).await;
    };
    let token = match st.portal.exchange(&req.code).await {
        Outcome::Ok(t) => t,
        Outcome::Later { reason, .. } => {
            release(st.clone(), stored).await;
            return api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "portal_unavailable",
                &format!("the portal could not take the code ({reason}): try linking again"),
            );
        }
        Outcome::Failed { error, message } => {
            release(st.clone(), stored).await;
            return api_error(StatusCode::BAD_REQUEST, &error, &message);
        }
    };
    let mut s = s;
    s.exchanging_since = None;
    s.consent_until = Some(token.consent_expires_at);
    if let Some(agent) = &token.agent {
        // A proxy consented: the portal's proxy setting, not the app's word, names the guardian.
        s.guardian = Some(techo_core::token::GuardianClaim {
            relationship: agent.relationship,
            portal_confirmed: true,
        });
    }
    let consent = ConsentEntry {
        id: techo_core::hex::random(16),
        session_id: s.id.clone(),
        subject: token.subject.clone(),
        scope: SCOPE_HANDBOOKS.into(),
        consented_at: now,
        expires_at: token.consent_expires_at,
        withdrawn_at: None,
        purged_at: None,
        by_proxy: token.agent.as_ref().map(|a| a.relationship),
    };
    if let Err(e) = st.store.put_consent(&consent).await {
        return internal(e);
    }
    match st
        .query_and_issue(&stored, s, token.access_token, consent.id, 0)
        .await
    {
        Ok(s) => Json(status_of(&s)).into_response(),
        Err(e) => internal(e),
    }
}

/// The app stored its credentials: the server forgets them.
pub(crate) async fn acknowledge(
    State(st): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    match st.store.session(&id).await {
        Ok(Some(stored)) => {
            let mut s = stored.clone();
            if let SessionState::Linked { credentials, .. } = &mut s.state {
                *credentials = None;
            }
            // Only over the session as read: an acknowledgement never undoes a revocation.
            match st.store.replace_session(&stored, &s).await {
                Ok(_) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => internal(e),
            }
        }
        Ok(None) => api_error(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "no such linkage session",
        ),
        Err(e) => internal(e),
    }
}

/// The holder withdraws consent: revoke everything issued and purge what the server kept.
pub(crate) async fn withdraw(
    State(st): State<Arc<ServerState>>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let Ok(Some(mut s)) = st.store.session(&id).await else {
        return api_error(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "no such linkage session",
        );
    };
    let consent_id = match &s.state {
        SessionState::Pending { consent_id, .. }
        | SessionState::Linked { consent_id, .. }
        | SessionState::Suspended { consent_id, .. } => Some(consent_id.clone()),
        _ => None,
    };
    s.state = SessionState::Revoked {
        reason: "consent_withdrawn".into(),
    };
    consent_expiry::forget_portal_data(&mut s);
    if let Err(e) = st.store.put_session(&s).await {
        return internal(e);
    }
    // After the session is written (see `admin`): nothing issued meanwhile stays valid.
    if let Err(e) = set_issuer_status(&st, &id, Status::Revoked).await {
        return internal(e);
    }
    let consent = match consent_id {
        Some(c) => st.store.consent(&c).await,
        None => Ok(None),
    };
    if let Ok(Some(mut c)) = consent {
        let now = st.now();
        c.withdrawn_at = Some(now);
        c.purged_at = Some(now);
        if let Err(e) = st.store.put_consent(&c).await {
            return internal(e);
        }
    }
    tracing::info!(session = %id, "consent withdrawn, credentials revoked, data purged");
    Json(status_of(&s)).into_response()
}

pub(crate) async fn admin(
    State(st): State<Arc<ServerState>>,
    headers: HeaderMap,
    Json(a): Json<AdminAction>,
) -> Response {
    if let Some(denied) = admin_denied(&st, &headers) {
        return denied;
    }
    let Ok(Some(mut s)) = st.store.session(&a.session_id).await else {
        return api_error(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "no such linkage session",
        );
    };
    let (status, next) = match (a.action.as_str(), &s.state) {
        ("revoke", _) => (
            Status::Revoked,
            SessionState::Revoked {
                reason: a.reason.clone(),
            },
        ),
        (
            "suspend",
            SessionState::Linked {
                consent_id,
                valid_until,
                ..
            },
        ) => (
            Status::Suspended,
            SessionState::Suspended {
                consent_id: consent_id.clone(),
                valid_until: *valid_until,
            },
        ),
        (
            "reinstate",
            SessionState::Suspended {
                consent_id,
                valid_until,
            },
        ) => (
            Status::Valid,
            SessionState::Linked {
                consent_id: consent_id.clone(),
                valid_until: *valid_until,
                credentials: None,
            },
        ),
        _ => {
            return api_error(
                StatusCode::CONFLICT,
                "bad_action",
                "revoke, suspend (a linked session) or reinstate (a suspended one)",
            );
        }
    };
    let stored = s.clone();
    let revoke = matches!(next, SessionState::Revoked { .. });
    if revoke {
        s.access_token = None;
    }
    s.state = next;
    // A revocation always wins: written over whatever is there. Suspend and reinstate only
    // over the session as read (a reinstatement never undoes a revocation that came first).
    let written = if revoke {
        st.store.put_session(&s).await.map(|()| true)
    } else {
        st.store.replace_session(&stored, &s).await
    };
    match written {
        Ok(true) => {}
        Ok(false) => {
            return api_error(
                StatusCode::CONFLICT,
                "changed_meanwhile",
                "the session changed while this action ran: look at it again and retry",
            );
        }
        Err(e) => return internal(e),
    }
    // The list after the session: a batch a code exchange allocated before this write is
    // caught here; one allocated after it loses its own write and applies this status itself.
    if let Err(e) = set_issuer_status(&st, &s.id, status).await {
        return internal(e);
    }
    tracing::info!(session = %s.id, action = %a.action, "admin action");
    Json(status_of(&s)).into_response()
}

pub(crate) async fn trust_list(State(st): State<Arc<ServerState>>) -> Response {
    match st.keys.signed_trust_list(st.now()) {
        Ok(bytes) => cbor(bytes),
        Err(e) => unavailable(&e),
    }
}

pub(crate) async fn root_key(State(st): State<Arc<ServerState>>) -> Response {
    techo_core::hex::encode(&st.keys.root_public().compressed()).into_response()
}
