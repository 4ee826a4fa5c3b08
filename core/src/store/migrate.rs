//! Schema versions and the steps between them.
//!
//! - v1: a handbook record carried its photo inline as `"photo": {"format", "bytes": [..]}`,
//!   so listing handbooks decrypted every photo.
//! - v2: photo bytes live in the `photos` table under the handbook id; the record keeps a
//!   [`PhotoInfo`](crate::model::PhotoInfo) (format, size, dimensions, digest).
//!
//! Each step reads the old records and returns one batch that is committed together with the new
//! schema number, so a crash mid-migration leaves the old version intact.

use super::sled_store::SledStore;
use super::{Batch, Store, StoreError, Table};
use crate::model::PhotoInfo;
use serde_json::Value;

pub const SCHEMA_VERSION: u32 = 2;

/// The changes that take a store from `from` to `from + 1`.
pub(crate) fn step(store: &SledStore, from: u32) -> Result<Batch, StoreError> {
    match from {
        1 => v1_to_v2(store),
        other => Err(StoreError::Unreadable {
            path: store.path().to_owned(),
            why: format!("no migration from schema {other}"),
        }),
    }
}

fn v1_to_v2(store: &SledStore) -> Result<Batch, StoreError> {
    let mut batch = Batch::new();
    for (key, value) in store.scan(Table::Handbooks)? {
        let corrupt = |why: String| StoreError::Corrupt {
            table: Table::Handbooks.name(),
            key: key.clone(),
            why,
        };
        let mut record: Value = serde_json::from_slice(&value)
            .map_err(|e| corrupt(format!("v1 record is not JSON: {e}")))?;
        let photo = record.get_mut("photo").map_or(Value::Null, Value::take);
        let info = match photo {
            Value::Null => Value::Null,
            Value::Object(mut p) => {
                let bytes: Vec<u8> =
                    serde_json::from_value(p.remove("bytes").unwrap_or(Value::Null))
                        .map_err(|e| corrupt(format!("v1 photo bytes: {e}")))?;
                // A v1 photo that no longer passes today's checks is dropped rather than blocking
                // the whole wallet; the holder is asked to take it again.
                match PhotoInfo::inspect(&bytes) {
                    Ok(info) => {
                        batch = batch.put(Table::Photos, key.clone(), bytes);
                        serde_json::to_value(info).map_err(|e| corrupt(e.to_string()))?
                    }
                    Err(_) => Value::Null,
                }
            }
            other => {
                return Err(corrupt(format!(
                    "v1 photo has an unexpected shape: {other}"
                )));
            }
        };
        if let Value::Object(map) = &mut record {
            map.insert("photo".into(), info);
        }
        let bytes = serde_json::to_vec(&record).map_err(|e| corrupt(e.to_string()))?;
        batch = batch.put(Table::Handbooks, key, bytes);
    }
    Ok(batch)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::{DataKey, StaticKeyProvider};
    use std::path::Path;

    /// Writes a real v1 store: records in the v1 shape, schema number 1.
    pub(crate) fn write_v1_store(path: &Path, keys: &StaticKeyProvider, records: &[(&str, Value)]) {
        let store = SledStore::open(path, keys).unwrap();
        let batch = records.iter().fold(Batch::new(), |b, (k, v)| {
            b.put(Table::Handbooks, *k, serde_json::to_vec(v).unwrap())
        });
        store.commit(batch).unwrap();
        store.raw_meta_insert_schema(1);
    }

    #[test]
    fn v1_photos_move_to_their_own_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let keys = StaticKeyProvider::new(DataKey::from_bytes([3; 32]));
        let png = crate::model::photo::tiny_png(8, 10);
        write_v1_store(
            &path,
            &keys,
            &[
                (
                    "h1",
                    serde_json::json!({"number": "1", "photo": {"format": "png", "bytes": png}}),
                ),
                ("h2", serde_json::json!({"number": "2", "photo": null})),
            ],
        );
        let store = SledStore::open(&path, &keys).unwrap();
        assert_eq!(store.schema_version().unwrap(), 2);
        assert_eq!(
            &**store.get(Table::Photos, "h1").unwrap().unwrap(),
            png.as_slice()
        );
        let h1: Value =
            serde_json::from_slice(&store.get(Table::Handbooks, "h1").unwrap().unwrap()).unwrap();
        assert_eq!(h1["photo"]["width"], 8);
        assert_eq!(h1["photo"]["format"], "png");
        assert_eq!(h1["number"], "1");
        let h2: Value =
            serde_json::from_slice(&store.get(Table::Handbooks, "h2").unwrap().unwrap()).unwrap();
        assert!(h2["photo"].is_null());
        assert!(store.get(Table::Photos, "h2").unwrap().is_none());
        // Opening again does not migrate twice.
        drop(store);
        let store = SledStore::open(&path, &keys).unwrap();
        assert_eq!(store.scan(Table::Photos).unwrap().len(), 1);
    }

    #[test]
    fn a_damaged_v1_record_stops_the_migration_and_keeps_v1() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let keys = StaticKeyProvider::new(DataKey::from_bytes([3; 32]));
        write_v1_store(
            &path,
            &keys,
            &[("h1", serde_json::json!({"photo": "oops"}))],
        );
        let err = SledStore::open(&path, &keys).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        let raw = sled::open(&path).unwrap();
        let schema = raw
            .open_tree("meta")
            .unwrap()
            .get("schema")
            .unwrap()
            .unwrap();
        assert_eq!(schema.as_ref(), 1u32.to_be_bytes());
    }
}
