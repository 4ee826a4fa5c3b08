//! Guardian (代理人) linkage on loopback, both routes: the holder's own card used by the parent,
//! and the guardian's own card as the portal-registered proxy. Then presentation, the verdict,
//! and the authority ending.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, repo, world};
use techo_core::card::{LastTry, Pin};
use techo_core::model::{HandbookDraft, HandbookId, LinkageState, Presenter, Relationship};
use techo_core::token::{ClaimId, GuardianClaim, Policy, VerifyError, verify};
use techo_core::wallet::LinkOptions;

const DAYTIME: &str = "2026-11-25T03:00:00Z";

/// Adds a fixture handbook presented by a guardian.
fn add_as_guardian(w: &World, fixture: &str, relationship: &str, name: &str) -> HandbookId {
    let text = std::fs::read_to_string(repo(&format!("fixtures/handbooks/{fixture}"))).unwrap();
    let text =
        format!("{text}\n[guardian]\nrelationship = \"{relationship}\"\nname = \"{name}\"\n");
    let draft = HandbookDraft::from_toml(&text).unwrap();
    let photo = std::fs::read(repo(&format!(
        "fixtures/handbooks/{}",
        draft.photo.as_deref().unwrap()
    )))
    .unwrap();
    w.wallet.add(&draft, Some(&photo)).unwrap().id
}

async fn link(
    w: &World,
    id: &HandbookId,
    card: &str,
    pin: &str,
    on_behalf_of: Option<&str>,
) -> Result<LinkageState, techo_core::linkage::LinkError> {
    let mut c = w.card(card);
    let options = LinkOptions {
        on_behalf_of: on_behalf_of.map(str::to_owned),
        ..World::options()
    };
    w.wallet
        .link(
            &w.client,
            id,
            &mut c,
            &Pin::parse(pin).unwrap(),
            LastTry::Refuse,
            &options,
        )
        .await
}

async fn verified(
    w: &World,
    id: &HandbookId,
) -> Result<techo_core::token::VerifiedPresentation, VerifyError> {
    let (_, payload) = w.wallet.present(Some(id), &ClaimId::COUNTER, None).unwrap();
    let (trust, status) = w.client.verifier_lists().await.unwrap();
    verify(
        &payload.binary(),
        &trust,
        &status,
        techo_core::Clock::now(w.clock.as_ref()),
        &Policy::default(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parent_links_with_the_childs_own_card() {
    let w = world(DAYTIME).await;
    let id = add_as_guardian(
        &w,
        "08-intellectual-kanagawa-a2.toml",
        "parent",
        "中村 真理",
    );
    let hb = w.wallet.get(&id).unwrap();
    assert!(matches!(
        hb.presenter,
        Presenter::Guardian {
            relationship: Relationship::Parent,
            ..
        }
    ));
    let state = link(&w, &id, "nakamura-child", "2468", None).await.unwrap();
    assert!(state.is_linked(), "{state:?}");
    let v = verified(&w, &id).await.unwrap();
    assert_eq!(
        v.guardian,
        Some(GuardianClaim {
            relationship: Relationship::Parent,
            portal_confirmed: false
        }),
        "declared by the app: the portal saw the child's own card"
    );
    // The portal's ledger: the child's consent, no proxy.
    let consents = w.portal.state.consents();
    assert_eq!(consents.last().unwrap().subject, "TEST-1008");
    assert_eq!(consents.last().unwrap().agent, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guardian_links_with_her_own_card_as_the_registered_proxy() {
    let w = world(DAYTIME).await;
    let id = add_as_guardian(
        &w,
        "06-intellectual-tokyo-2do.toml",
        "legal_guardian",
        "伊藤 美咲",
    );

    // Without a proxy setting on the portal, her card speaks only for herself.
    let refused = link(&w, &id, "ito-parent", "1357", Some("TEST-1003"))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("not_a_proxy") || refused.to_string().contains("proxy"),
        "{refused}"
    );
    assert_eq!(
        w.wallet.get(&id).unwrap().linkage,
        LinkageState::Unlinked,
        "nothing changed"
    );

    let until = common::at("2027-03-31T15:00:00Z");
    w.portal
        .state
        .register_proxy("TEST-1003", "TEST-1010", Relationship::LegalGuardian, until);
    let state = link(&w, &id, "ito-parent", "1357", Some("TEST-1003"))
        .await
        .unwrap();
    assert!(state.is_linked(), "{state:?}");
    let v = verified(&w, &id).await.unwrap();
    assert_eq!(
        v.guardian,
        Some(GuardianClaim {
            relationship: Relationship::LegalGuardian,
            portal_confirmed: true
        })
    );
    // Who consented for whom, on both sides.
    let c = w.portal.state.consents().last().unwrap().clone();
    assert_eq!(c.subject, "TEST-1003");
    assert_eq!(
        c.agent,
        Some(("TEST-1010".into(), Relationship::LegalGuardian))
    );
    let ledger = w.server.state.consents().await;
    assert_eq!(
        ledger.last().unwrap().by_proxy,
        Some(Relationship::LegalGuardian)
    );

    // The authority ends (guardian changed): the portal ends the setting and support revokes the
    // credentials; the next presentation fails and the app falls back to 未連携.
    w.portal.state.end_proxy("TEST-1003", "TEST-1010");
    w.admin(&id, "revoke", "guardian authority ended").await;
    assert_eq!(verified(&w, &id).await.unwrap_err(), VerifyError::Revoked);
    assert_eq!(
        w.wallet.refresh_linkage(&w.client, &id).await.unwrap(),
        LinkageState::Unlinked
    );
    // Linking again through the ended setting is refused by the portal.
    let again = link(&w, &id, "ito-parent", "1357", Some("TEST-1003"))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("proxy"), "{again}");
}
