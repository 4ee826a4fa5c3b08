//! Keeping the app's copy current: ask for the changes since its version, check the signature,
//! apply them; on a gap, fetch the whole directory. The copy is never left half-applied.

use super::{Directory, DirectoryError, DirectoryUpdate};
use crate::portal::{ClientError, TechoClient};
use crate::token::TrustList;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error(
        "techo-server now signs with root key {offered}, not {pinned} which this wallet trusted first: the directory was not changed. If the issuer announced a new root key, sync with --trust-new-root; otherwise do not trust this server / 署名鍵が以前と異なるため更新しませんでした"
    )]
    RootChanged { pinned: String, offered: String },
    #[error("the wallet's store: {0}")]
    Store(String),
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    /// The server said nothing changed (304).
    Unchanged,
    /// Applied changes since the app's version.
    Changes { changed: usize, removed: usize },
    /// Replaced with the whole directory.
    Full { operators: usize },
}

impl Synced {
    /// What a sync did, in the holder's words.
    pub fn describe(&self, lang: crate::Lang) -> String {
        match self {
            Synced::Unchanged => lang
                .pick("事業者一覧：変更なし", "directory: unchanged")
                .to_owned(),
            Synced::Changes { changed, removed } => format!(
                "{} +{changed} / -{removed}",
                lang.pick("事業者一覧を更新:", "directory updated:")
            ),
            Synced::Full { operators } => format!(
                "{} {operators}",
                lang.pick("事業者一覧を取得:", "directory fetched, operators:")
            ),
        }
    }
}

/// Brings `dir` up to date. On any error `dir` is as it was.
pub async fn sync(
    client: &TechoClient,
    trust: &TrustList,
    dir: &mut Directory,
) -> Result<Synced, SyncError> {
    let Some(bytes) = client.directory(dir.version).await? else {
        return Ok(Synced::Unchanged);
    };
    let update = DirectoryUpdate::open(&bytes, trust)?;
    let mut next = dir.clone();
    match update.apply(&mut next) {
        Ok(()) => {}
        Err(DirectoryError::WrongBase { .. }) => {
            let bytes = client
                .directory(0)
                .await?
                .ok_or(DirectoryError::Malformed("no directory"))?;
            let full = DirectoryUpdate::open(&bytes, trust)?;
            full.apply(&mut next)?;
            *dir = next;
            return Ok(Synced::Full {
                operators: dir.entries.len(),
            });
        }
        Err(e) => return Err(e.into()),
    }
    *dir = next;
    Ok(match update.kind {
        super::UpdateKind::Full => Synced::Full {
            operators: dir.entries.len(),
        },
        super::UpdateKind::Since { .. } => Synced::Changes {
            changed: update.changed.len(),
            removed: update.removed.len(),
        },
    })
}
