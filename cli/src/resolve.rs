//! Handbook ids as a desktop user types them: the full id or any unique prefix of it. The
//! wallet itself only takes exact ids; this is the one place a prefix is matched.

use crate::error::CliError;
use techo_core::Wallet;
use techo_core::WalletError;
use techo_core::model::HandbookId;

/// The handbook `typed` names: an exact id, or the one id that starts with it.
pub fn handbook(wallet: &Wallet, typed: &str) -> Result<HandbookId, CliError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(WalletError::NotFound(String::new()).into());
    }
    let matches: Vec<HandbookId> = wallet
        .list()?
        .into_iter()
        .map(|h| h.id)
        .filter(|id| id.as_str().starts_with(typed))
        .collect();
    if let Some(exact) = matches.iter().find(|id| id.as_str() == typed) {
        return Ok(exact.clone());
    }
    match matches.as_slice() {
        [] => Err(WalletError::NotFound(typed.to_owned()).into()),
        [one] => Ok(one.clone()),
        _ => Err(CliError::Ambiguous {
            prefix: typed.to_owned(),
            matches: matches
                .iter()
                .map(HandbookId::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// [`handbook`] for an optional id (`None`: the counter's handbook, chosen by the wallet).
pub fn optional(wallet: &Wallet, typed: Option<&str>) -> Result<Option<HandbookId>, CliError> {
    typed.map(|t| handbook(wallet, t)).transpose()
}
