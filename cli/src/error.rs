//! CLI errors and their exit codes.

use techo_core::WalletError;
use techo_core::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Wallet(#[from] WalletError),
    #[error(
        "{prefix} matches several handbooks ({matches}): type more of the id / 複数の手帳が該当します"
    )]
    Ambiguous { prefix: String, matches: String },
    #[error("cannot read {path}: {why} / ファイルを読めません")]
    ReadFile { path: String, why: String },
    #[error("{path} is not a valid handbook file: {why} / 手帳ファイルの形式が正しくありません")]
    HandbookFile { path: String, why: String },
    #[error("cannot write {path}: {why}")]
    WriteFile { path: String, why: String },
    #[error("no data directory could be determined: pass --data-dir")]
    NoDataDir,
    #[error(
        "reset deletes every handbook and the key: run `techo store export <dir>` first, then add --yes / 全データを削除します。--yes を付けて実行してください"
    )]
    ResetNotConfirmed,
    #[error(
        "the store has {0} damaged record(s): see above; `techo store check --repair` restores them from the second copy or removes them"
    )]
    Damaged(usize),
    #[error(transparent)]
    DevIssuer(#[from] techo_core::token::DevIssuerError),
    #[error("REJECTED: {0}")]
    Rejected(techo_core::token::VerifyError),
    #[error("{0}")]
    BadArgument(String),
    #[error(transparent)]
    Card(techo_core::card::CardError),
    #[error("{0}")]
    Linkage(String),
    #[error("TECHO_NOW must be an RFC 3339 time such as 2026-11-25T09:00:00+09:00")]
    BadNow,
    /// A code that cannot be judged (forged, stale, replayed) under `verify --policy`.
    #[error("{0}")]
    InvalidCode(String),
    /// A code the verifier refused under `verify --policy` (exit 2, like any code that cannot
    /// be judged), with the refusal's own code (`revoked`, `stale_screen`, …) for gate software.
    #[error("{message}")]
    RefusedCode { code: &'static str, message: String },
    #[error(transparent)]
    Site(techo_core::site::SiteError),
    /// The site refused the answer; its message was printed already.
    #[error("the site refused the answer ({0})")]
    SiteRefused(String),
    /// The verdict was printed already; this only carries the exit code.
    #[error("{0:?}")]
    Verdict(techo_core::policy::Decision),
    /// `bench --timing` saw a leak, or could not have seen one.
    #[error("timing check failed: {0}")]
    TimingLeak(String),
}

impl CliError {
    /// 1: other, 2: bad arguments, 3: invalid handbook input, 4: store problem, 5: not found,
    /// 6: presentation rejected by the verifier, 7: nothing to present, 8: card problem,
    /// 9: linkage refused or the servers unreachable. `verify --policy`: 0 accepted,
    /// 1 not accepted, 2 invalid code, 3 check manually.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Wallet(
                WalletError::Invalid(_)
                | WalletError::Duplicate { .. }
                | WalletError::Support(_)
                | WalletError::PhotoRequired,
            )
            | CliError::HandbookFile { .. }
            | CliError::Verdict(techo_core::policy::Decision::CheckManually) => 3,
            CliError::Wallet(WalletError::Store(_)) | CliError::Damaged(_) => 4,
            CliError::Wallet(WalletError::NotFound(_)) | CliError::Ambiguous { .. } => 5,
            CliError::Rejected(_) | CliError::SiteRefused(_) => 6,
            CliError::Wallet(WalletError::NoCredential(_) | WalletError::Present(_)) => 7,
            CliError::Card(_) | CliError::Site(techo_core::site::SiteError::Card(_)) => 8,
            CliError::Linkage(_)
            | CliError::Site(
                techo_core::site::SiteError::Unreachable(_)
                | techo_core::site::SiteError::SiteRefused(_),
            ) => 9,
            // A site link or request that cannot be followed counts as a bad argument.
            CliError::BadArgument(_)
            | CliError::InvalidCode(_)
            | CliError::RefusedCode { .. }
            | CliError::Site(_) => 2,
            _ => 1,
        }
    }

    /// A stable code for `--json` error output.
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Wallet(WalletError::Invalid(_)) => "invalid_handbook",
            CliError::Wallet(WalletError::Support(_)) => "invalid_support_profile",
            CliError::Wallet(WalletError::Duplicate { .. }) => "duplicate",
            CliError::Wallet(WalletError::PhotoRequired) => "photo_required",
            CliError::Wallet(WalletError::NotFound(_)) => "not_found",
            CliError::Ambiguous { .. } => "ambiguous_id",
            CliError::Wallet(WalletError::Store(e)) => match e {
                StoreError::Corrupt { .. } => "store_corrupt",
                StoreError::Unreadable { .. } => "store_unreadable",
                StoreError::WrongKey => "wrong_key",
                StoreError::NewerSchema { .. } => "newer_schema",
                StoreError::Key(_) => "key_unavailable",
                StoreError::Locked => "store_locked",
                StoreError::Io(_) => "io",
            },
            CliError::HandbookFile { .. } => "bad_handbook_file",
            CliError::Rejected(e) => e.code(),
            CliError::Wallet(WalletError::NoCredential(_)) => "no_credential",
            CliError::Wallet(WalletError::Present(_)) => "present_failed",
            CliError::BadArgument(_) => "bad_argument",
            CliError::DevIssuer(_) => "dev_issuer",
            CliError::Card(_) => "card",
            CliError::Linkage(_) => "linkage",
            CliError::Damaged(_) => "store_damaged",
            CliError::InvalidCode(_) => "invalid_code",
            CliError::RefusedCode { code, .. } => code,
            CliError::Verdict(_) => "verdict",
            CliError::Site(e) => e.code(),
            CliError::SiteRefused(_) => "site_refused",
            CliError::TimingLeak(_) => "timing_leak",
            _ => "error",
        }
    }

    /// The fields named by a validation error, for `--json`.
    pub fn fields(&self) -> Vec<&'static str> {
        match self {
            CliError::Wallet(WalletError::Invalid(inv)) => {
                inv.fields().map(techo_core::model::Field::key).collect()
            }
            _ => Vec::new(),
        }
    }
}
