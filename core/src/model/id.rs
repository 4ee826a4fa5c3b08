//! Handbook identifiers: random, local to one wallet, never derived from the handbook number.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HandbookId(String);

impl HandbookId {
    /// A fresh random id: 8 random bytes in hex.
    pub fn random() -> Self {
        Self(crate::hex::random(8))
    }

    /// An id as stored or handed back by a shell. Desktop users may type a prefix: the CLI
    /// resolves it against the wallet's list before it reaches the wallet.
    pub fn from_string(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HandbookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
