//! A booking site's verifier against a real wallet: a presentation bound to the site's
//! challenge with the card's name and birth date, then replays, expiry, revocation, a forwarded
//! same-device link, a forged identity and a request served by the wrong site.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{clock, fixture, keys};
use reqwest::Url;
use techo_core::policy::{Decision, OperatorPolicy, Trip};
use techo_core::site::{
    Flow, IdentityFacts, SessionState, SiteConfig, SiteError, SiteResponse, SiteVerifier,
};
use techo_core::token::{DevIssuer, Status, StatusList, TrustList};
use techo_core::{Clock, Wallet};

const BASE: &str = "https://127.0.0.1:9443";
const BROWSER: &str = "browser-secret-1";

struct Setup {
    _dir: tempfile::TempDir,
    wallet: Wallet,
    issuer: DevIssuer,
    holder: String,
    site: SiteVerifier,
    now: DateTime<Utc>,
}

fn lists(issuer: &DevIssuer, now: DateTime<Utc>) -> (TrustList, Vec<StatusList>) {
    let trust = TrustList::from_signed(&issuer.signed_trust_list(now), &issuer.root_public(), None)
        .unwrap();
    let status = StatusList::from_signed(&issuer.signed_status_list(now), &trust).unwrap();
    (trust, vec![status])
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let now = c.now();
    let wallet = Wallet::open(dir.path(), &keys(), c).unwrap();
    let (draft, photo) = fixture("01-");
    let hb = wallet.add(&draft, photo.as_deref()).unwrap();
    let mut issuer = DevIssuer::create(&dir.path().join("issuer")).unwrap();
    wallet.link_for_development(&hb.id, &mut issuer, 2).unwrap();
    let policy = OperatorPolicy::from_toml(
        "booking-site-online.toml",
        include_str!("../../fixtures/policies/booking-site-online.toml"),
    )
    .unwrap();
    let (trust, status) = lists(&issuer, now);
    let site = SiteVerifier::new(
        SiteConfig {
            name: "例示きっぷ予約サイト".into(),
            name_en: "Example Ticket Booking Site".into(),
            base_url: BASE.into(),
            policy,
            signing_trust: None,
            disclose: Vec::new(),
        },
        trust,
        status,
    )
    .unwrap();
    Setup {
        _dir: dir,
        wallet,
        issuer,
        holder: hb.id.to_string(),
        site,
        now,
    }
}

fn trip() -> Trip {
    Trip {
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        distance_km: Some(40),
        with_caregiver: Some(true),
    }
}

fn yamada() -> IdentityFacts {
    IdentityFacts {
        name: "山田 太郎".into(),
        birth_date: chrono::NaiveDate::from_ymd_opt(1979, 7, 20).unwrap(),
    }
}

/// The phone's side of one session: fetch (here: read) the request, check it, answer.
fn answer(s: &Setup, flow: Flow, identity: bool) -> (String, Vec<u8>) {
    let started = s
        .site
        .start_session(BROWSER, flow, trip(), identity, s.now)
        .unwrap();
    let request = s.site.request(&started.id, s.now).unwrap();
    request
        .check(&Url::parse(&started.request_uri).unwrap(), s.now)
        .unwrap();
    let response = s
        .wallet
        .answer_site(&request, None, identity.then(yamada).as_ref())
        .unwrap();
    (started.id, serde_json::to_vec(&response).unwrap())
}

fn state(s: &Setup, id: &str) -> SessionState {
    s.site.view(id, BROWSER, None).unwrap().state
}

#[test]
fn a_linked_first_class_holder_with_a_caregiver_gets_both_discounts_once() {
    let s = setup();
    let (id, body) = answer(&s, Flow::CrossDevice, true);
    assert_eq!(state(&s, &id), SessionState::Waiting);
    let reply = s.site.finish_session(&id, &body, s.now).unwrap();
    assert!(reply.accepted && reply.redirect_uri.is_none(), "{reply:?}");
    let SessionState::Accepted(a) = state(&s, &id) else {
        panic!("not accepted: {:?}", state(&s, &id));
    };
    assert_eq!(a.verdict.decision, Decision::Accepted, "{:?}", a.verdict);
    assert!(a.verdict.grant.holder && a.verdict.grant.caregiver);
    assert_eq!(a.identity, Some(yamada()));

    // The same answer again, to the same session and to a new one: a replay, named as such,
    // and the first result stands.
    let again = s.site.finish_session(&id, &body, s.now).unwrap_err();
    assert!(
        matches!(again, SiteError::Challenge(_)) && again.code() == "replayed",
        "{again:?}"
    );
    assert!(matches!(state(&s, &id), SessionState::Accepted(_)));
    let fresh = s
        .site
        .start_session(BROWSER, Flow::CrossDevice, trip(), false, s.now)
        .unwrap();
    let err = s.site.finish_session(&fresh.id, &body, s.now).unwrap_err();
    assert_eq!(err.code(), "replayed", "{err:?}");
    let SessionState::Refused { code, en, .. } = state(&s, &fresh.id) else {
        panic!("the refusal is not shown");
    };
    assert_eq!(code, "replayed");
    assert!(en.contains("already answered"), "{en}");
    // Another browser cannot read this browser's sessions.
    assert_eq!(
        s.site.view(&id, "someone-else", None).unwrap_err(),
        SiteError::UnknownSession
    );
}

#[test]
fn late_revoked_forged_and_misdirected_answers_are_refused() {
    let mut s = setup();
    // Answered after the five minutes.
    let (id, body) = answer(&s, Flow::CrossDevice, false);
    let late = s.now + Duration::seconds(301);
    assert_eq!(
        s.site.finish_session(&id, &body, late).unwrap_err(),
        SiteError::RequestExpired
    );
    assert_eq!(
        s.site.request(&id, late).unwrap_err(),
        SiteError::RequestExpired
    );

    // A forged name: the phone's signature no longer matches.
    let (id, body) = answer(&s, Flow::CrossDevice, true);
    let mut forged: SiteResponse = serde_json::from_slice(&body).unwrap();
    if let Some(i) = forged.identity.as_mut() {
        i.name = "別人 花子".into();
    }
    let err = s
        .site
        .finish_session(&id, &serde_json::to_vec(&forged).unwrap(), s.now)
        .unwrap_err();
    assert_eq!(err, SiteError::IdentityNotSigned);
    // The genuine answer still goes through: a bad attempt does not burn the session.
    assert!(s.site.finish_session(&id, &body, s.now).unwrap().accepted);

    // Garbage is a typed refusal.
    let (id, _) = answer(&s, Flow::CrossDevice, false);
    for junk in [&b"{"[..], b"{}", b"[1,2]", &[0xFF; 40]] {
        let err = s.site.finish_session(&id, junk, s.now).unwrap_err();
        assert_eq!(err.code(), "bad_request", "{junk:?}: {err:?}");
    }

    // Revoked after presenting: the site refreshes its lists and refuses.
    s.issuer.set_status(&s.holder, Status::Revoked).unwrap();
    let (trust, status) = lists(&s.issuer, s.now);
    s.site.set_lists(trust, status);
    let (id, body) = answer(&s, Flow::CrossDevice, false);
    let err = s.site.finish_session(&id, &body, s.now).unwrap_err();
    assert_eq!(err.code(), "revoked");
    let SessionState::Refused { ja, .. } = state(&s, &id) else {
        panic!("not refused");
    };
    assert!(ja.contains("失効"), "{ja}");
}

#[test]
fn same_device_results_need_the_code_the_app_brought_back() {
    let s = setup();
    let (id, body) = answer(&s, Flow::SameDevice, false);
    let reply = s.site.finish_session(&id, &body, s.now).unwrap();
    let redirect = reply.redirect_uri.unwrap();
    assert!(
        redirect.starts_with(&format!("{BASE}/sessions/{id}?code=")),
        "{redirect}"
    );
    let code = redirect.split("code=").nth(1).unwrap();
    // Without the code (a link forwarded to another tab or person): nothing yet.
    assert_eq!(state(&s, &id), SessionState::Waiting);
    assert_eq!(
        s.site.view(&id, BROWSER, Some("0000")).unwrap().state,
        SessionState::Waiting
    );
    assert!(matches!(
        s.site.view(&id, BROWSER, Some(code)).unwrap().state,
        SessionState::Accepted(_)
    ));
}

#[test]
fn the_phone_refuses_requests_from_the_wrong_site_or_out_of_time() {
    let s = setup();
    let started = s
        .site
        .start_session(BROWSER, Flow::CrossDevice, trip(), false, s.now)
        .unwrap();
    let request = s.site.request(&started.id, s.now).unwrap();
    // Served by another host than the audience it names (a relay), or answering elsewhere.
    let relay = Url::parse("https://evil.example/techo/requests/x").unwrap();
    assert!(matches!(
        request.check(&relay, s.now),
        Err(SiteError::WrongSite { .. })
    ));
    let mut elsewhere = request.clone();
    elsewhere.response_uri = "https://evil.example/collect".into();
    let served = Url::parse(&started.request_uri).unwrap();
    assert!(matches!(
        elsewhere.check(&served, s.now),
        Err(SiteError::WrongSite { .. })
    ));
    assert_eq!(
        request.check(&served, s.now + Duration::seconds(301)),
        Err(SiteError::RequestExpired)
    );
    let mut odd = request.clone();
    odd.disclose = vec!["kind".into(), "shoe size".into()];
    assert!(matches!(
        odd.check(&served, s.now),
        Err(SiteError::BadRequest(_))
    ));
    // A request that did not ask for the name gets none, whatever the app is given.
    let response = s
        .wallet
        .answer_site(&request, None, Some(&yamada()))
        .unwrap();
    assert!(response.identity.is_none());
}
