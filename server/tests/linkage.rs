//! Linkage end to end on loopback, with every portal fault the simulator can inject.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, world};
use techo_core::model::LinkageState;
use techo_core::token::{ClaimId, LinkageKind, Policy, StatusList, TrustList, VerifyError, verify};

/// Wednesday 2026-11-25, 22:30 JST: the municipal servers are closed until 08:00.
const LATE_EVENING: &str = "2026-11-25T13:30:00Z";
const NEXT_MORNING: &str = "2026-11-25T23:00:05Z";
const DAYTIME: &str = "2026-11-25T03:00:00Z";

async fn verifier(w: &World) -> (TrustList, Vec<StatusList>) {
    w.client.verifier_lists().await.unwrap()
}

async fn present_and_verify(
    w: &World,
) -> Result<techo_core::token::VerifiedPresentation, VerifyError> {
    let (_, payload) = w
        .wallet
        .present(Some(&w.handbook), &ClaimId::COUNTER, None)
        .unwrap();
    let (trust, status) = verifier(w).await;
    verify(
        &payload.binary(),
        &trust,
        &status,
        w.clock.now_utc(),
        &Policy::default(),
    )
}

trait Now {
    fn now_utc(&self) -> chrono::DateTime<chrono::Utc>;
}

impl Now for std::sync::Arc<techo_core::FixedClock> {
    fn now_utc(&self) -> chrono::DateTime<chrono::Utc> {
        techo_core::Clock::now(self.as_ref())
    }
}

async fn admin(w: &World, action: &str) {
    w.admin(&w.handbook, action, "returned").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn linked_at_once_then_presented_verified_and_revoked() {
    let w = world(DAYTIME).await;
    let state = w.link("yamada", "1234").await.unwrap();
    assert!(matches!(state, LinkageState::Linked { .. }), "{state:?}");
    assert_eq!(w.wallet.credentials(&w.handbook).unwrap().len(), 8);
    let v = present_and_verify(&w).await.unwrap();
    assert_eq!(v.claims.linkage, Some(LinkageKind::Linked));
    assert_eq!(
        v.claims.fare_class,
        Some(techo_core::model::FareClass::First)
    );
    admin(&w, "revoke").await;
    assert_eq!(
        present_and_verify(&w).await.unwrap_err(),
        VerifyError::Revoked
    );
    let state = w
        .wallet
        .refresh_linkage(&w.client, &w.handbook)
        .await
        .unwrap();
    assert_eq!(state, LinkageState::Unlinked);
    assert!(w.wallet.credentials(&w.handbook).unwrap().is_empty());
    // The server forgot the credentials once the app acknowledged them.
    assert!(w.server.state.sessions().await.iter().all(|s| {
        !serde_json::to_string(&s.state)
            .unwrap()
            .contains("\"credentials\":[")
    }));
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_portal_goes_pending_and_links_when_it_opens() {
    let w = world(LATE_EVENING).await;
    let state = w.link_while_closed().await;
    let LinkageState::Pending {
        reason, next_try, ..
    } = &state
    else {
        panic!("{state:?}")
    };
    assert!(reason.contains("outside_hours"), "{reason}");
    assert_eq!(
        next_try.unwrap(),
        common::at("2026-11-25T23:00:00Z"),
        "08:00 JST"
    );
    assert_eq!(
        w.server.state.retry_due().await,
        0,
        "not due before it opens"
    );
    w.advance_to(NEXT_MORNING);
    assert_eq!(w.server.state.retry_due().await, 1);
    let state = w
        .wallet
        .refresh_linkage(&w.client, &w.handbook)
        .await
        .unwrap();
    assert!(matches!(state, LinkageState::Linked { .. }), "{state:?}");
    assert!(present_and_verify(&w).await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_transient_fault_ends_pending_then_linked() {
    type Knob = fn(&mut techo_server::Knobs);
    let faults: [(&str, Knob); 4] = [
        ("portal_error", |k| k.fail_5xx = 1),
        ("portal_malformed_answer", |k| k.malformed_json = 1),
        ("portal_timeout", |k| k.hang = 1),
        ("data_not_ready", |k| {
            k.not_ready_until = Some(common::at("2026-11-25T03:30:00Z"));
        }),
    ];
    for (expected, knob) in faults {
        let w = world(DAYTIME).await;
        let state = w.link("yamada", "1234").await.unwrap();
        assert!(
            matches!(state, LinkageState::Linked { .. }),
            "sanity: {state:?}"
        );
        // A second handbook-less world is simpler: relink the same handbook under the fault.
        w.portal.state.update_knobs(knob);
        let state = w.link("yamada", "1234").await.unwrap();
        let LinkageState::Pending { reason, .. } = &state else {
            panic!("{expected}: {state:?}")
        };
        assert_eq!(reason, expected);
        // Old credentials still work while the new attempt is pending.
        assert!(present_and_verify(&w).await.is_ok(), "{expected}");
        w.advance_to("2026-11-25T04:00:00Z");
        assert_eq!(w.server.state.retry_due().await, 1, "{expected}");
        let state = w
            .wallet
            .refresh_linkage(&w.client, &w.handbook)
            .await
            .unwrap();
        assert!(
            matches!(state, LinkageState::Linked { .. }),
            "{expected}: {state:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn consent_withdrawn_on_the_portal_fails_the_pending_request() {
    let w = world(LATE_EVENING).await;
    w.link_while_closed().await;
    let subject = w.server.state.consents().await[0].subject.clone();
    w.portal.state.revoke_consent(&subject);
    w.advance_to(NEXT_MORNING);
    w.server.state.retry_due().await;
    let err = w
        .wallet
        .refresh_linkage(&w.client, &w.handbook)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("consent_revoked"), "{err}");
    assert_eq!(
        w.wallet.get(&w.handbook).unwrap().linkage,
        LinkageState::Unlinked
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pending_request_survives_a_server_restart() {
    let mut w = world(LATE_EVENING).await;
    w.link_while_closed().await;
    w.restart_server(techo_server::issuer::store::StoreConfig::default())
        .await;
    w.advance_to(NEXT_MORNING);
    assert_eq!(w.server.state.retry_due().await, 1);
    assert!(matches!(
        w.wallet
            .refresh_linkage(&w.client, &w.handbook)
            .await
            .unwrap(),
        LinkageState::Linked { .. }
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_code_never_makes_a_second_consent_or_credential() {
    let w = world(DAYTIME).await;
    w.link("yamada", "1234").await.unwrap();
    let session = w
        .wallet
        .get(&w.handbook)
        .unwrap()
        .linkage
        .session()
        .unwrap()
        .to_owned();
    let again = w
        .client
        .submit_code(&session, "replayed-or-retried-code")
        .await
        .unwrap();
    assert!(matches!(
        again,
        techo_core::portal::dto::LinkageStatus::Linked { .. }
    ));
    assert_eq!(w.server.state.consents().await.len(), 1);
    assert_eq!(w.portal.state.consents().len(), 1);
    // The same idempotency key returns the same session.
    let req = techo_core::portal::dto::StartLinkage {
        idempotency_key: "k-1".into(),
        handbook: techo_core::portal::dto::HandbookRef {
            kind: "physical".into(),
            number: "12345".into(),
            municipality_code: "131016".into(),
        },
        photo_sha256_hex: None,
        device_keys: vec![techo_core::portal::dto::DeviceKeyDto {
            alias: "a".into(),
            public_hex: techo_core::hex::encode(
                &techo_core::token::SoftwareKey::generate()
                    .public()
                    .compressed(),
            ),
        }],
        guardian: None,
    };
    let a = w.client.start(&req).await.unwrap();
    let b = w.client.start(&req).await.unwrap();
    assert_eq!(a.session_id, b.session_id);
}

#[tokio::test(flavor = "multi_thread")]
async fn withdrawing_consent_revokes_and_purges() {
    let w = world(DAYTIME).await;
    w.link("yamada", "1234").await.unwrap();
    let session = w
        .wallet
        .get(&w.handbook)
        .unwrap()
        .linkage
        .session()
        .unwrap()
        .to_owned();
    let (_, payload) = w
        .wallet
        .present(Some(&w.handbook), &ClaimId::COUNTER, None)
        .unwrap();
    assert_eq!(
        w.wallet.unlink(&w.client, &w.handbook).await.unwrap(),
        LinkageState::Unlinked
    );
    assert!(w.wallet.credentials(&w.handbook).unwrap().is_empty());
    let (trust, status) = verifier(&w).await;
    assert_eq!(
        verify(
            &payload.binary(),
            &trust,
            &status,
            w.clock.now_utc(),
            &Policy::default()
        )
        .unwrap_err(),
        VerifyError::Revoked
    );
    let stored = w
        .server
        .state
        .sessions()
        .await
        .into_iter()
        .find(|s| s.id == session)
        .unwrap();
    assert!(
        stored.device_keys.is_empty() && stored.photo_sha256_hex.is_none(),
        "purged"
    );
    let ledger = &w.server.state.consents().await[0];
    assert!(ledger.withdrawn_at.is_some() && ledger.purged_at.is_some());
    assert!(
        !serde_json::to_string(&stored).unwrap().contains("12345"),
        "the handbook number is purged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn card_and_portal_refusals_leave_the_wallet_as_it_was() {
    let w = world(DAYTIME).await;
    let err = w.link("yamada", "9999").await.unwrap_err();
    assert!(err.to_string().contains("2 tries left"), "{err}");
    assert_eq!(
        w.wallet.get(&w.handbook).unwrap().linkage,
        LinkageState::Unlinked
    );
    // A card whose holder has no such handbook at the portal.
    let err = w.link("sato-last-try", "5678").await;
    assert!(err.is_err());
    let err = {
        let mut c = w.card("sato-last-try");
        w.wallet
            .link(
                &w.client,
                &w.handbook,
                &mut c,
                &techo_core::card::Pin::parse("5678").unwrap(),
                techo_core::card::LastTry::Confirmed,
                &World::options(),
            )
            .await
            .unwrap_err()
    };
    assert!(err.to_string().contains("not_found"), "{err}");
    assert_eq!(
        w.wallet.get(&w.handbook).unwrap().linkage,
        LinkageState::Unlinked
    );
    // A rogue card is refused by the portal.
    let err = w.link("rogue", "3333").await.unwrap_err();
    assert!(err.to_string().contains("certificate_rejected"), "{err}");
}

/// Staff are told 連携済 means the portal confirmed the facts: a fare class the holder typed
/// wrong is replaced by the portal's, the change is listed for the holder, and the screen, the
/// list and the QR all show the portal's.
#[tokio::test(flavor = "multi_thread")]
async fn the_portals_facts_replace_what_was_typed_and_the_change_is_listed() {
    use techo_core::card::{LastTry, Pin};
    use techo_core::model::{FareClass, HandbookDraft};
    let w = world(DAYTIME).await;
    let text = std::fs::read_to_string(common::repo("fixtures/handbooks/02-physical-4-osaka.toml"))
        .unwrap()
        .replace("第2種", "第1種");
    let draft = HandbookDraft::from_toml(&text).unwrap();
    let photo = std::fs::read(common::repo("fixtures/handbooks/photos/sato.png")).unwrap();
    let hb = w.wallet.add(&draft, Some(&photo)).unwrap();
    assert_eq!(hb.fare_class, FareClass::First, "as typed");
    let mut card = w.card("sato-last-try");
    let state = w
        .wallet
        .link(
            &w.client,
            &hb.id,
            &mut card,
            &Pin::parse("5678").unwrap(),
            LastTry::Confirmed,
            &World::options(),
        )
        .await
        .unwrap();
    assert!(state.is_linked(), "{state:?}");
    let linked = w.wallet.get(&hb.id).unwrap();
    assert_eq!(linked.fare_class, FareClass::Second, "the portal's class");
    assert!(!linked.caregiver_discount());
    let confirmed = linked.confirmed.clone().unwrap();
    let changes: Vec<String> = confirmed
        .latest()
        .map(|c| c.describe(techo_core::Lang::Ja))
        .collect();
    assert_eq!(changes, ["運賃減額：第1種 → 第2種（マイナポータル）"]);
    assert_eq!(
        confirmed.history[0].typed, "first",
        "what was typed is kept"
    );
    // The screen and the QR say the same.
    w.wallet.select_for_counter(&hb.id).unwrap();
    let screen = w
        .wallet
        .counter_screen(techo_core::screen::Options::default(), 1)
        .unwrap()
        .unwrap();
    let fare = screen
        .items
        .iter()
        .find(|i| i.key == techo_core::screen::ItemKey::FareClass)
        .unwrap();
    assert!(fare.value.starts_with("第2種"), "{}", fare.value);
    let (_, payload) = w
        .wallet
        .present(Some(&hb.id), &ClaimId::COUNTER, None)
        .unwrap();
    let (trust, status) = verifier(&w).await;
    let v = verify(
        &payload.binary(),
        &trust,
        &status,
        w.clock.now_utc(),
        &Policy::default(),
    )
    .unwrap();
    assert_eq!(v.claims.fare_class, Some(FareClass::Second));
    assert_eq!(v.claims.caregiver, Some(false));
}

/// Found by an outside tester: the app followed whatever portal URL techo-server named, over any
/// scheme, and signed that server's challenge with the card. Plain http is refused everywhere;
/// a client pinned to the portal refuses another origin before the card is touched.
#[tokio::test(flavor = "multi_thread")]
async fn the_card_answers_only_the_pinned_portal_and_nothing_goes_in_clear() {
    use techo_core::portal::{ClientError, TechoClient};
    let mut w = world(DAYTIME).await;
    let ten = std::time::Duration::from_secs(10);
    for clear in [
        "http://127.0.0.1:8080",
        "127.0.0.1:8080",
        "https://user@127.0.0.1",
    ] {
        assert!(matches!(
            TechoClient::new(clear, &w.pki.ca_pem, ten),
            Err(ClientError::NotHttps(_))
        ));
    }
    // Pinned to an origin that is not the portal techo-server names: refused, nothing changed.
    w.client = TechoClient::new(&w.server.url(), &w.pki.ca_pem, ten)
        .unwrap()
        .pin_portal("https://127.0.0.1:1")
        .unwrap();
    let err = w.link("yamada", "1234").await.unwrap_err();
    assert!(
        matches!(
            err,
            techo_core::linkage::LinkError::Client(ClientError::UnknownPortal(_))
        ),
        "{err}"
    );
    assert_eq!(
        w.wallet.get(&w.handbook).unwrap().linkage,
        LinkageState::Unlinked
    );
    // Pinned to the portal it really names: links.
    w.client = TechoClient::new(&w.server.url(), &w.pki.ca_pem, ten)
        .unwrap()
        .pin_portal(&w.portal.holder.url())
        .unwrap();
    assert!(matches!(
        w.link("yamada", "1234").await.unwrap(),
        LinkageState::Linked { .. }
    ));
}
