//! Keeping 連携済 true in the background: what the phone runs at start and from its periodic job
//! (Android JobScheduler, iOS BGAppRefreshTask), and the wait on a pending linkage. The core
//! decides what to ask and what to tell; the phone posts each notice as a local notification
//! and schedules the next run at `next_run_unix`.

use crate::TechoError;
use crate::records::{Language, LinkageInfo, linkage_info};
use crate::service::TechoService;
use crate::wallet::Wallet;
use std::sync::Arc;
use techo_core::Lang;
use techo_core::model::HandbookId;

/// Why the holder is told something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NoticeKind {
    /// 申請中 → 連携済.
    Completed,
    /// 申請中 → 未連携: the portal could not confirm the handbook.
    Refused,
    /// 連携済 → 未連携: revoked (returned, reissued, suspended).
    Revoked,
    /// → カードで再連携が必要: the consent ended.
    CardNeeded,
    /// The consent ends soon: the card will be needed.
    ConsentEndsSoon,
}

/// One local notification: its text is the core's, in the language asked for.
#[derive(Debug, Clone, uniffi::Record)]
pub struct LinkageNotice {
    pub handbook_id: HandbookId,
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    /// The handbook's linkage after the change.
    pub linkage: LinkageInfo,
}

/// A handbook that could not be asked about now (tried again at the next run).
#[derive(Debug, Clone, uniffi::Record)]
pub struct HandbookProblem {
    pub handbook_id: HandbookId,
    pub message: String,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct KeepLinkedReport {
    pub notices: Vec<LinkageNotice>,
    pub problems: Vec<HandbookProblem>,
    /// When to run again (Unix seconds): the earliest retry or renewal, at most a day away.
    pub next_run_unix: i64,
}

fn notice(
    n: &techo_core::wallet::LinkageNotice,
    today: chrono::NaiveDate,
    lang: Lang,
) -> LinkageNotice {
    use techo_core::wallet::NoticeKind as K;
    LinkageNotice {
        handbook_id: n.handbook.clone(),
        kind: match n.kind {
            K::Completed => NoticeKind::Completed,
            K::Refused => NoticeKind::Refused,
            K::Revoked => NoticeKind::Revoked,
            K::CardNeeded => NoticeKind::CardNeeded,
            K::ConsentEndsSoon { .. } => NoticeKind::ConsentEndsSoon,
        },
        title: n.title(lang),
        body: n.body(lang),
        linkage: linkage_info(&n.linkage, today, lang),
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Wallet {
    /// Asks about pending linkages whose time has come, renews batches before they run out
    /// (no card), and warns once before a consent ends. Post each notice; schedule the next
    /// run. A handbook that cannot be reached now is in `problems`, its data untouched.
    pub async fn keep_linked(
        &self,
        service: Arc<TechoService>,
        lang: Language,
    ) -> Result<KeepLinkedReport, TechoError> {
        let lang = Lang::from(lang);
        let core = self.core();
        let report = core.keep_linked(&service.client).await?;
        let today = core.today();
        Ok(KeepLinkedReport {
            notices: report
                .notices
                .iter()
                .map(|n| notice(n, today, lang))
                .collect(),
            problems: report
                .problems
                .into_iter()
                .map(|(handbook_id, message)| HandbookProblem {
                    handbook_id,
                    message: lang.part_of(&message),
                })
                .collect(),
            next_run_unix: report.next_run.timestamp(),
        })
    }

    /// Waits up to `wait_seconds` (at most 50) for a pending linkage's answer; returns the
    /// notice to post if it changed. Call again after `None` to keep waiting.
    pub async fn wait_for_linkage(
        &self,
        service: Arc<TechoService>,
        handbook_id: HandbookId,
        wait_seconds: u32,
        lang: Language,
    ) -> Result<Option<LinkageNotice>, TechoError> {
        let core = self.core();
        let changed = core
            .wait_for_linkage(
                &service.client,
                &handbook_id,
                std::time::Duration::from_secs(u64::from(wait_seconds)),
            )
            .await?;
        Ok(changed.map(|n| notice(&n, core.today(), lang.into())))
    }
}
