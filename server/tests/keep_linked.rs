//! What the app does on its own to keep 連携済 true: the answer to a pending linkage delivered
//! as a notice the moment the server stores it, a warning days before the consent ends, and at
//! the end of the consent a purge on the server and カードで再連携が必要 on the phone, from which
//! the card links again.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::{World, world};
use techo_core::model::LinkageState;
use techo_core::portal::dto::LinkageStatus;
use techo_core::wallet::NoticeKind;
use techo_core::{Clock, Lang};
use techo_server::issuer::store::{ServerStore, SessionState};

const DAYTIME: &str = "2026-11-25T03:00:00Z";
/// 22:30 JST: the municipal servers are closed.
const NIGHT: &str = "2026-11-25T13:30:00Z";
/// 08:30 JST the next morning.
const MORNING: &str = "2026-11-25T23:30:00Z";

fn state(w: &World) -> LinkageState {
    w.wallet.get(&w.handbook).unwrap().linkage
}

#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_app_is_told_the_moment_the_pending_linkage_completes() {
    let w = world(NIGHT).await;
    w.link_while_closed().await;
    // Waiting at night changes nothing: the server answers "still pending" when the wait ends.
    let quiet = w
        .wallet
        .wait_for_linkage(&w.client, &w.handbook, std::time::Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(quiet, None);
    assert!(matches!(state(&w), LinkageState::Pending { .. }));

    // The app waits (up to 40 s); in the morning the server's retry gets the portal's answer.
    let morning = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        w.advance_to(MORNING);
        assert_eq!(w.server.state.retry_due().await, 1);
    };
    let (notice, ()) = tokio::join!(
        w.wallet
            .wait_for_linkage(&w.client, &w.handbook, std::time::Duration::from_secs(40)),
        morning
    );
    let notice = notice
        .unwrap()
        .expect("told when it completed, not at the end of the wait");
    assert_eq!(notice.kind, NoticeKind::Completed);
    assert_eq!(notice.title(Lang::Ja), "マイナポータル連携が完了しました");
    assert!(
        notice.body(Lang::Ja).contains("連携済"),
        "{}",
        notice.body(Lang::Ja)
    );
    assert!(notice.body(Lang::En).contains("now linked"));
    assert!(state(&w).is_linked());
    assert!(!w.wallet.credentials(&w.handbook).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_periodic_run_asks_about_a_pending_linkage_when_its_time_comes() {
    let w = world(NIGHT).await;
    let LinkageState::Pending { next_try, .. } = w.link_while_closed().await else {
        unreachable!()
    };
    let next_try = next_try.unwrap();
    // Before its time: nothing is asked, and the next run is set for the server's retry time.
    let report = w.wallet.keep_linked(&w.client).await.unwrap();
    assert!(report.notices.is_empty() && report.problems.is_empty());
    assert_eq!(report.next_run, next_try);

    w.advance_to(MORNING);
    w.server.state.retry_due().await;
    let report = w.wallet.keep_linked(&w.client).await.unwrap();
    assert_eq!(report.notices.len(), 1);
    assert_eq!(report.notices[0].kind, NoticeKind::Completed);
    // Linked: the renewal is a week before the 21-day batch runs out; the app still runs
    // daily (a revocation or a consent warning is learnt within a day).
    let renewal = w.wallet.renewal_time(&w.handbook).unwrap();
    assert!(renewal > w.clock.now() + Duration::days(12));
    assert_eq!(report.next_run, w.clock.now() + Duration::hours(24));

    // The server is down: the run says so for that handbook and keeps everything.
    w.advance_to("2026-12-12T03:00:00Z");
    let held = w.wallet.credentials(&w.handbook).unwrap();
    let down = w.client_to_nowhere();
    let report = w.wallet.keep_linked(&down).await.unwrap();
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(report.problems[0].1.contains("cannot reach"));
    assert!(state(&w).is_linked());
    assert_eq!(w.wallet.credentials(&w.handbook).unwrap(), held);

    // The handbook is returned and support revokes it: the next run (not a renewal) learns it.
    let session = state(&w).session().unwrap().to_owned();
    w.client
        .admin(
            common::ADMIN,
            &techo_core::portal::dto::AdminAction {
                session_id: session,
                action: "revoke".into(),
                reason: "returned".into(),
            },
        )
        .await
        .unwrap();
    let report = w.wallet.keep_linked(&w.client).await.unwrap();
    assert_eq!(report.notices.len(), 1, "{report:?}");
    assert_eq!(report.notices[0].kind, NoticeKind::Revoked);
    assert_eq!(state(&w), LinkageState::Unlinked);
    assert!(
        report.notices[0]
            .body(Lang::Ja)
            .contains("取り消されました")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_consent_is_announced_ahead_then_purged_and_the_card_links_again() {
    let w = world(DAYTIME).await;
    w.link("yamada", "1234").await.unwrap();
    let LinkageState::Linked {
        consent_until: Some(until),
        ..
    } = state(&w)
    else {
        panic!(
            "the server tells the app when the consent ends: {:?}",
            state(&w)
        );
    };

    // 20 days before the end: the batch is renewed (the consent stands) and the holder is
    // warned once, on the list and as a notice.
    w.advance_to(&format!("{}T03:00:00Z", until - Duration::days(20)));
    let report = w.wallet.keep_linked(&w.client).await.unwrap();
    assert_eq!(
        report
            .notices
            .iter()
            .map(|n| n.kind.clone())
            .collect::<Vec<_>>(),
        [NoticeKind::ConsentEndsSoon { days: 20 }]
    );
    assert!(report.notices[0].body(Lang::Ja).contains("20日後"));
    assert!(state(&w).is_linked());
    let today = until - Duration::days(20);
    assert!(
        state(&w)
            .holder_notice(today, Lang::Ja)
            .unwrap()
            .contains("マイナンバーカードで再連携")
    );
    let again = w.wallet.keep_linked(&w.client).await.unwrap();
    assert!(again.notices.is_empty(), "warned once: {again:?}");

    // The consent's end passes: the server purges what it kept and revokes.
    w.advance_to(&format!("{}T03:00:00Z", until + Duration::days(1)));
    assert_eq!(w.server.state.purge_expired_consents().await, 1);
    assert_eq!(w.server.state.purge_expired_consents().await, 0, "once");
    let ledger = w.server.state.consents().await.pop().unwrap();
    assert!(ledger.purged_at.is_some() && ledger.withdrawn_at.is_none());
    let s = w
        .server
        .state
        .store
        .session(&ledger.session_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&s.state, SessionState::Revoked { reason } if reason == "consent_expired"),
        "{:?}",
        s.state
    );
    assert!(s.access_token.is_none() && s.device_keys.is_empty());
    assert!(s.handbook.number.is_empty() && s.photo_sha256_hex.is_none());
    let (_, lists) = w.client.verifier_lists().await.unwrap();
    let held = w.wallet.credentials(&w.handbook).unwrap();
    assert!(
        held.iter()
            .all(|c| lists[0].get(c.status.index) != Some(techo_core::token::Status::Valid))
    );

    // The app learns it: カードで再連携が必要, never 連携済, nothing to present.
    let report = w.wallet.keep_linked(&w.client).await.unwrap();
    assert_eq!(report.notices.len(), 1, "{report:?}");
    assert_eq!(report.notices[0].kind, NoticeKind::CardNeeded);
    let after = state(&w);
    assert!(
        matches!(after, LinkageState::RelinkNeeded { .. }),
        "{after:?}"
    );
    assert_eq!(after.label(Lang::Ja), "カードで再連携が必要");
    assert!(!after.is_linked());
    assert!(w.wallet.credentials(&w.handbook).unwrap().is_empty());
    let screen = w
        .wallet
        .counter_screen(
            techo_core::screen::Options::default(),
            techo_core::screen::TOKEN_VERSION,
        )
        .unwrap()
        .unwrap();
    let line = screen
        .items
        .iter()
        .find(|i| i.key == techo_core::screen::ItemKey::Linkage)
        .unwrap();
    assert!(!line.value.contains("連携済"), "{}", line.value);

    // The card links again.
    assert!(w.link("yamada", "1234").await.unwrap().is_linked());
    let status = w.client.status(&ledger.session_id).await.unwrap();
    assert!(
        matches!(status, LinkageStatus::Revoked { .. }),
        "the old session stays revoked"
    );
}
