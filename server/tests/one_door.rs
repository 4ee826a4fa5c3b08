//! Only the state machine moves a handbook's linkage. The wallet runs on a store that watches
//! every commit; every public path that can touch a linkage (link at night and in the morning,
//! a wrong PIN on a linked handbook, refresh, revocation, withdrawal, edits, the development
//! paths) is walked against real servers, and every change the store saw must be one move of
//! `linkage::next`.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Utc};
use common::{World, repo, world_with};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use techo_core::card::{LastTry, Pin};
use techo_core::linkage::{Event, next};
use techo_core::model::{Handbook, HandbookDraft, LinkageState};
use techo_core::store::{
    Batch, CheckReport, DamagedRecord, MemoryStore, Records, Store, StoreError, Table,
};
use techo_core::token::DevIssuer;
use techo_core::{Clock, FixedClock};
use techo_server::issuer::store::StoreConfig;
use zeroize::Zeroizing;

const LATE_EVENING: &str = "2026-11-25T13:30:00Z";
const NEXT_MORNING: &str = "2026-11-25T23:00:05Z";

/// A linkage change the store saw: before (none for a new handbook), after, at the clock's time.
type Change = (Option<LinkageState>, LinkageState, DateTime<Utc>);

/// A memory store that records every change of a handbook's linkage it commits.
#[derive(Debug)]
struct Watched {
    inner: MemoryStore,
    clock: Arc<Mutex<Option<Arc<FixedClock>>>>,
    changes: Arc<Mutex<Vec<Change>>>,
}

fn linkages(store: &MemoryStore) -> BTreeMap<String, LinkageState> {
    store
        .records()
        .into_iter()
        .filter(|(t, _, _)| *t == Table::Handbooks)
        .filter_map(|(_, k, v)| {
            serde_json::from_slice::<Handbook>(&v)
                .ok()
                .map(|h| (k, h.linkage))
        })
        .collect()
}

impl Store for Watched {
    fn get(&self, table: Table, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        self.inner.get(table, key)
    }
    fn scan(&self, table: Table) -> Result<Records, StoreError> {
        self.inner.scan(table)
    }
    fn keys(&self, table: Table) -> Result<Vec<String>, StoreError> {
        self.inner.keys(table)
    }
    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        let before = linkages(&self.inner);
        self.inner.commit(batch)?;
        let now = self.clock.lock().unwrap().as_ref().map(|c| c.now());
        for (key, after) in linkages(&self.inner) {
            let was = before.get(&key).cloned();
            if was.as_ref() != Some(&after) {
                self.changes
                    .lock()
                    .unwrap()
                    .push((was, after, now.unwrap_or_default()));
            }
        }
        Ok(())
    }
    fn check(&self) -> Result<CheckReport, StoreError> {
        self.inner.check()
    }
    fn drop_damaged(&self, damaged: &[DamagedRecord]) -> Result<(), StoreError> {
        self.inner.drop_damaged(damaged)
    }
}

/// The events that could have produced `after`, with its own data.
fn candidates(after: &LinkageState) -> Vec<Event> {
    let mut out = vec![
        Event::Failed,
        Event::Expired,
        Event::Revoked,
        Event::Withdrawn,
        Event::Edited,
    ];
    match after {
        LinkageState::Unlinked => {}
        LinkageState::Linking { session, .. } => out.push(Event::Started {
            session: session.clone(),
        }),
        LinkageState::Pending {
            reason, next_try, ..
        } => out.push(Event::Pending {
            reason: reason.clone(),
            next_try: *next_try,
        }),
        LinkageState::Linked {
            valid_until,
            consent_until,
            ..
        } => {
            out.extend(valid_until.map(|d| Event::Linked {
                valid_until: d,
                consent_until: *consent_until,
            }));
        }
        LinkageState::RelinkNeeded { reason, .. } => out.push(Event::CardNeeded {
            reason: reason.clone(),
        }),
    }
    out
}

fn legal((before, after, now): &Change) -> bool {
    match before {
        // A new handbook starts 未連携.
        None => *after == LinkageState::Unlinked,
        Some(before) => candidates(after)
            .iter()
            .any(|e| next(before, e, *now).as_ref() == Ok(after)),
    }
}

async fn watched_world(now: &str) -> (World, Arc<Mutex<Vec<Change>>>) {
    let changes = Arc::new(Mutex::new(Vec::new()));
    let clock_slot = Arc::new(Mutex::new(None));
    let store = Watched {
        inner: MemoryStore::new(),
        clock: clock_slot.clone(),
        changes: changes.clone(),
    };
    let w = world_with(now, StoreConfig::default(), Some(Box::new(store))).await;
    *clock_slot.lock().unwrap() = Some(w.clock.clone());
    (w, changes)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_linkage_change_on_every_public_path_is_a_move_of_the_state_machine() {
    let (w, changes) = watched_world(LATE_EVENING).await;
    let id = w.handbook.clone();
    let state = || w.wallet.get(&id).unwrap().linkage;

    // At night, with the municipal hours: 申請中, then 連携済 after the morning retry.
    w.link_while_closed().await;
    w.advance_to(NEXT_MORNING);
    w.server.state.retry_due().await;
    w.wallet.refresh_linkage(&w.client, &id).await.unwrap();
    let linked = state();
    assert!(linked.is_linked());

    // A re-link with a wrong PIN goes back to 連携済 with the old credentials.
    let held = w.wallet.credentials(&id).unwrap().len();
    assert!(w.link("yamada", "0000").await.is_err());
    assert_eq!(state(), linked);
    assert_eq!(w.wallet.credentials(&id).unwrap().len(), held);

    // Revoked by support, seen at the next refresh.
    w.admin(&id, "revoke", "returned").await;
    w.wallet.refresh_linkage(&w.client, &id).await.unwrap();
    assert_eq!(state(), LinkageState::Unlinked);

    // Linked again (the right PIN resets the card's counter), then withdrawn by the holder.
    w.link("yamada", "1234").await.unwrap();
    assert!(state().is_linked());
    w.wallet.unlink(&w.client, &id).await.unwrap();
    assert_eq!(state(), LinkageState::Unlinked);

    // Development linkage, then an edit of the facts.
    w.wallet
        .link_for_development(&id, &mut DevIssuer::generate(), 2)
        .unwrap();
    assert!(state().is_linked());
    let mut draft = HandbookDraft::from_toml(
        &std::fs::read_to_string(repo("fixtures/handbooks/01-physical-1-tokyo.toml")).unwrap(),
    )
    .unwrap();
    draft.grade = Some("2級".into());
    w.wallet.update(&id, &draft, None).unwrap();
    assert_eq!(state(), LinkageState::Unlinked);
    w.wallet
        .issue_for_development(&id, &mut DevIssuer::generate(), 1)
        .unwrap();
    assert_eq!(
        state(),
        LinkageState::Unlinked,
        "a dev issuer is not the portal"
    );

    // A wrong PIN on an unlinked handbook, a handbook withdrawn.
    let mut card = w.card("yamada");
    let err = w
        .wallet
        .link(
            &w.client,
            &id,
            &mut card,
            &Pin::parse("0000").unwrap(),
            LastTry::Refuse,
            &World::options(),
        )
        .await;
    assert!(err.is_err());
    assert_eq!(state(), LinkageState::Unlinked);
    w.wallet.withdraw(&id).unwrap();

    let seen = changes.lock().unwrap().clone();
    // A wrong PIN moves nothing: the handbook's state changes only after the card has answered.
    assert!(
        seen.len() >= 11,
        "the walk moved the linkage {} times",
        seen.len()
    );
    for change in &seen {
        assert!(legal(change), "not a move of the state machine: {change:?}");
    }
}

#[test]
fn the_check_catches_a_change_the_state_machine_does_not_make() {
    let now = common::at(NEXT_MORNING);
    let linked = LinkageState::Linked {
        consent_until: None,
        since: now,
        session: "s".into(),
        valid_until: chrono::NaiveDate::from_ymd_opt(2026, 12, 16),
    };
    // 未連携 straight to 連携済, and a new handbook that starts linked, are not moves.
    assert!(!legal(&(Some(LinkageState::Unlinked), linked.clone(), now)));
    assert!(!legal(&(None, linked.clone(), now)));
    // Withdrawal is.
    assert!(legal(&(Some(linked), LinkageState::Unlinked, now)));
}
