//! How the sled store turns its errors and JSON records into store errors.

use super::api::StoreError;

pub(super) fn e(x: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(x.to_string())
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|x| StoreError::Corrupt {
        what: what.to_owned(),
        why: x.to_string(),
    })
}
