//! Signed status lists and deltas this process made, by version: the same answer for every
//! verifier at one version, signed once.

use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex, PoisonError};
use techo_core::token::SignError;

/// Signed lists and deltas this process made, by version: the same answer for every verifier
/// at one version, signed once.
#[derive(Debug, Default)]
pub struct Published {
    /// Lists published (allocation uses only their index space).
    pub(crate) lists: AtomicU32,
    signed: Mutex<SignedCache>,
}

/// Signed bytes by (list, from version or 0 for the full list, version).
type SignedCache = HashMap<(u32, u64, u64), Arc<Vec<u8>>>;

/// Signed answers kept, at most (a cache: dropped whole when full).
const SIGNED_KEPT: usize = 1024;

impl Published {
    /// The signed bytes for `key`, signed once (a failed signature is not kept: the next
    /// request tries again).
    pub(crate) fn cached(
        &self,
        key: (u32, u64, u64),
        make: impl FnOnce() -> Result<Vec<u8>, SignError>,
    ) -> Result<Arc<Vec<u8>>, String> {
        let mut signed = self.signed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = signed.get(&key) {
            return Ok(hit.clone());
        }
        if signed.len() >= SIGNED_KEPT {
            signed.clear();
        }
        let made = Arc::new(make().map_err(|e| e.to_string())?);
        signed.insert(key, made.clone());
        Ok(made)
    }
}
