//! Keeping 連携済 true without the holder doing anything: what the app runs when it starts and
//! from the platform's periodic job. Pending linkages are asked about when their time comes,
//! batches are renewed before they run out, and every change worth telling the holder comes
//! back as a [`LinkageNotice`] for the phone to post as a local notification.

use super::{Renewal, Wallet, WalletError};
use crate::lang::Lang;
use crate::linkage::LinkError;
use crate::model::linkage::consent_ends_in;
use crate::model::{Handbook, HandbookId, HandbookKind, LinkageState};
use crate::portal::TechoClient;
use crate::store::{Batch, Table};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Settings key prefix: the consent end the holder was already warned about.
pub(super) const CONSENT_WARNED: &str = "consent_warned/";
/// The longest the app waits between two runs, whatever is stored.
const CHECK_AT_LEAST_EVERY: Duration = Duration::hours(24);
/// The shortest: a retry time in the past is not a reason to spin.
const CHECK_AT_MOST_EVERY: Duration = Duration::minutes(1);
/// A pending linkage without a time from the server is asked about again after this.
const PENDING_DEFAULT_WAIT: Duration = Duration::minutes(30);

/// What the holder is told about one handbook's linkage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeKind {
    /// 申請中 → 連携済: the portal answered.
    Completed,
    /// 申請中 → 未連携: the portal refused (the handbook is not on its record, …).
    Refused,
    /// 連携済 → 未連携: the issuer revoked it (returned, reissued, suspended).
    Revoked,
    /// → カードで再連携が必要: the consent ended.
    CardNeeded,
    /// 連携済, but the consent ends in `days` days: the card will be needed.
    ConsentEndsSoon { days: i64 },
}

/// A change (or a coming one) of a handbook's linkage, for a local notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkageNotice {
    pub handbook: HandbookId,
    pub handbook_kind: HandbookKind,
    pub kind: NoticeKind,
    /// The state after the change.
    pub linkage: LinkageState,
}

impl LinkageNotice {
    /// What changed from `before` to `hb`'s state, if the holder should hear of it.
    fn between(before: &LinkageState, hb: &Handbook) -> Option<Self> {
        use LinkageState as S;
        let kind = match (before, &hb.linkage) {
            (S::Pending { .. }, S::Linked { .. }) => NoticeKind::Completed,
            (S::Pending { .. }, S::Unlinked) => NoticeKind::Refused,
            (S::Linked { .. }, S::Unlinked) => NoticeKind::Revoked,
            (S::Linked { .. } | S::Pending { .. }, S::RelinkNeeded { .. }) => {
                NoticeKind::CardNeeded
            }
            _ => return None,
        };
        Some(Self::about(hb, kind))
    }

    fn about(hb: &Handbook, kind: NoticeKind) -> Self {
        Self {
            handbook: hb.id.clone(),
            handbook_kind: hb.kind(),
            kind,
            linkage: hb.linkage.clone(),
        }
    }

    /// The notification's title.
    pub fn title(&self, lang: Lang) -> String {
        match &self.kind {
            NoticeKind::Completed => lang.pick(
                "マイナポータル連携が完了しました",
                "Portal linkage complete",
            ),
            NoticeKind::Refused => lang.pick(
                "マイナポータル連携ができませんでした",
                "Portal linkage failed",
            ),
            NoticeKind::Revoked => lang.pick(
                "マイナポータル連携が取り消されました",
                "Portal linkage revoked",
            ),
            NoticeKind::CardNeeded => {
                lang.pick("カードで再連携が必要です", "Link again with your card")
            }
            NoticeKind::ConsentEndsSoon { .. } => lang.pick(
                "まもなくカードで再連携が必要です",
                "Your card will be needed soon",
            ),
        }
        .to_owned()
    }

    /// The notification's text: which handbook and what to do.
    pub fn body(&self, lang: Lang) -> String {
        let kind = self.handbook_kind.label(lang);
        match (&self.kind, lang) {
            (NoticeKind::Completed, Lang::Ja) => {
                format!("{kind}は連携済になりました。窓口でそのまま提示できます。")
            }
            (NoticeKind::Completed, Lang::En) => {
                format!("Your {kind} is now linked: you can show it at the counter.")
            }
            (NoticeKind::Refused, Lang::Ja) => format!(
                "{kind}はマイナポータルで確認できませんでした。手帳の内容を確かめて、もう一度連携してください。"
            ),
            (NoticeKind::Refused, Lang::En) => format!(
                "The portal could not confirm your {kind}. Check the handbook's details and link again."
            ),
            (NoticeKind::Revoked, Lang::Ja) => format!(
                "{kind}の連携が取り消されました（返還・再交付など）。新しい手帳で連携し直してください。"
            ),
            (NoticeKind::Revoked, Lang::En) => format!(
                "The linkage of your {kind} was revoked (returned or reissued). Link the new handbook."
            ),
            (NoticeKind::CardNeeded | NoticeKind::ConsentEndsSoon { .. }, _) => {
                let detail = match &self.kind {
                    NoticeKind::ConsentEndsSoon { days } => consent_ends_in(*days, lang),
                    _ => self.linkage.relink_notice(lang).unwrap_or_default(),
                };
                match lang {
                    Lang::Ja => format!("{kind}：{detail}"),
                    Lang::En => format!("{kind}: {detail}"),
                }
            }
        }
    }
}

/// What one run did: what to tell the holder, what could not be done now, and when to run
/// again (the earliest retry or renewal, at most a day away).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeepLinkedReport {
    pub notices: Vec<LinkageNotice>,
    /// Handbooks that could not be asked about now (no network, server down), with the error;
    /// they are tried again at `next_run`.
    pub problems: Vec<(HandbookId, String)>,
    pub next_run: DateTime<Utc>,
}

impl Wallet {
    /// Asks about every pending linkage whose time has come, renews every batch that runs out
    /// within [`super::RENEW_DAYS_AHEAD`] days, and warns once when a consent ends within
    /// [`crate::model::CONSENT_WARNING_DAYS`] days. A failure on one handbook does not stop the others.
    pub async fn keep_linked(&self, client: &TechoClient) -> Result<KeepLinkedReport, WalletError> {
        let mut notices = Vec::new();
        let mut problems = Vec::new();
        for hb in self.list()? {
            match self.keep_one_linked(client, &hb).await {
                Ok(Some(notice)) => notices.push(notice),
                Ok(None) => {}
                // The store itself failed: nothing else can be done either.
                Err(LinkError::Wallet(e @ WalletError::Store(_))) => return Err(e),
                // Unreachable, refused, or the device key cannot sign now (the phone is
                // locked and the key wants a recent unlock): this handbook waits for the
                // next run, the others go on.
                Err(e) => problems.push((hb.id.clone(), e.to_string())),
            }
        }
        // The "update the app" banner follows the issuer's trust list; if it cannot be fetched
        // now, the last minimum seen stays and the next run asks again.
        let _ = self.check_app_version(client).await;
        Ok(KeepLinkedReport {
            notices,
            problems,
            next_run: self.next_run()?,
        })
    }

    /// Waits (up to `wait`, at most 50 s) for a pending linkage's answer, and says what changed.
    pub async fn wait_for_linkage(
        &self,
        client: &TechoClient,
        id: &HandbookId,
        wait: std::time::Duration,
    ) -> Result<Option<LinkageNotice>, LinkError> {
        let before = self.get(id)?.linkage;
        self.refresh_linkage_waiting(client, id, wait).await?;
        Ok(LinkageNotice::between(&before, &self.get(id)?))
    }

    async fn keep_one_linked(
        &self,
        client: &TechoClient,
        hb: &Handbook,
    ) -> Result<Option<LinkageNotice>, LinkError> {
        let now = self.now();
        match &hb.linkage {
            LinkageState::Pending { next_try, .. } if next_try.is_none_or(|t| t <= now) => {
                self.refresh_linkage(client, &hb.id).await?;
                Ok(LinkageNotice::between(&hb.linkage, &self.get(&hb.id)?))
            }
            LinkageState::Linked { .. } if self.renewal_due(&hb.id)? => {
                match self.renew(client, &hb.id).await? {
                    Renewal::Renewed { .. } => self.consent_warning(&self.get(&hb.id)?),
                    Renewal::Later { .. } => Ok(None),
                    Renewal::Revoked { .. } | Renewal::NeedsCard { .. } => {
                        Ok(LinkageNotice::between(&hb.linkage, &self.get(&hb.id)?))
                    }
                }
            }
            // Not due: a status check (a revocation is learnt within a run), then the warning.
            LinkageState::Linked { .. } => {
                self.refresh_linkage(client, &hb.id).await?;
                let now = self.get(&hb.id)?;
                match LinkageNotice::between(&hb.linkage, &now) {
                    Some(notice) => Ok(Some(notice)),
                    None => self.consent_warning(&now),
                }
            }
            _ => Ok(None),
        }
    }

    /// A warning, once per consent, that the card will be needed soon.
    fn consent_warning(&self, hb: &Handbook) -> Result<Option<LinkageNotice>, LinkError> {
        let (
            Some(days),
            LinkageState::Linked {
                consent_until: Some(until),
                ..
            },
        ) = (hb.linkage.consent_days_left(self.today()), &hb.linkage)
        else {
            return Ok(None);
        };
        let key = format!("{CONSENT_WARNED}{}", hb.id);
        let warned = self
            .store
            .get(Table::Settings, &key)
            .map_err(WalletError::from)?
            .and_then(|v| String::from_utf8(v.to_vec()).ok())
            .and_then(|d| d.parse::<NaiveDate>().ok());
        if warned == Some(*until) {
            return Ok(None);
        }
        self.store
            .commit(Batch::new().put(Table::Settings, key, until.to_string().into_bytes()))
            .map_err(WalletError::from)?;
        Ok(Some(LinkageNotice::about(
            hb,
            NoticeKind::ConsentEndsSoon { days },
        )))
    }

    /// When the app should run [`Wallet::keep_linked`] again.
    fn next_run(&self) -> Result<DateTime<Utc>, WalletError> {
        let now = self.now();
        let mut at = now + CHECK_AT_LEAST_EVERY;
        for hb in self.list()? {
            let due = match &hb.linkage {
                LinkageState::Pending { next_try, .. } => {
                    Some(next_try.unwrap_or(now + PENDING_DEFAULT_WAIT))
                }
                LinkageState::Linked { .. } => Some(self.renewal_time(&hb.id)?),
                _ => None,
            };
            if let Some(due) = due {
                at = at.min(due);
            }
        }
        Ok(at.max(now + CHECK_AT_MOST_EVERY))
    }
}
