//! The sled implementation of [`Store`].

use super::key::KeyProvider;
use super::migrate::{self, SCHEMA_VERSION};
use super::seal::Sealer;
use super::{Batch, CheckReport, DamagedRecord, Op, Records, Store, StoreError, Table};
use sled::Transactional;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const META_TREE: &str = "meta";
const META_SCHEMA: &[u8] = b"schema";
const META_KEY_CHECK: &[u8] = b"key_check";
const KEY_CHECK_PLACE: &str = "meta/key_check";
const KEY_CHECK_TEXT: &[u8] = b"techo data key check";

/// Every commit is flushed explicitly, so sled's background flusher is turned off: the core
/// spawns no threads of its own and a dropped store releases its lock at once.
///
/// sled trees for each [`Table`] (in `Table::ALL` order) followed by the meta tree, so that one
/// transaction can cover data and schema version together.
#[derive(Debug)]
pub struct SledStore {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    sealer: Sealer,
    path: PathBuf,
}

/// How long to wait for the lock a just-closed store in this process may still hold: sled's
/// I/O threads release the file a moment after the last handle is dropped.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

fn is_lock_error(r: &std::thread::Result<sled::Result<sled::Db>>) -> bool {
    matches!(r, Ok(Err(sled::Error::Io(e)))
        if e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("acquire lock"))
}

fn open_db(path: &Path) -> std::thread::Result<sled::Result<sled::Db>> {
    let start = std::time::Instant::now();
    loop {
        let opened = catch_unwind(AssertUnwindSafe(|| {
            sled::Config::new().path(path).flush_every_ms(None).open()
        }));
        if !is_lock_error(&opened) || start.elapsed() > LOCK_WAIT {
            return opened;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

fn index(table: Table) -> usize {
    Table::ALL
        .iter()
        .position(|t| *t == table)
        .unwrap_or_default()
}

fn place(table: Table, key: &str) -> String {
    format!("{}/{key}", table.name())
}

impl SledStore {
    /// Opens (or creates) the store at `path`, checks the key, and migrates older schemas.
    pub fn open(path: &Path, keys: &dyn KeyProvider) -> Result<Self, StoreError> {
        let unreadable = |why: String| StoreError::Unreadable {
            path: path.to_owned(),
            why,
        };
        let db = match open_db(path) {
            Ok(Ok(db)) => db,
            Ok(Err(sled::Error::Io(e)))
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.to_string().contains("acquire lock") =>
            {
                return Err(StoreError::Locked);
            }
            Ok(Err(sled::Error::Io(e))) => return Err(StoreError::io(e)),
            Ok(Err(e)) => return Err(unreadable(e.to_string())),
            Err(_) => {
                return Err(unreadable(
                    "the database engine failed while reading it".into(),
                ));
            }
        };
        let mut trees = Vec::with_capacity(Table::ALL.len() + 1);
        for name in Table::ALL.iter().map(|t| t.name()).chain([META_TREE]) {
            trees.push(db.open_tree(name).map_err(|e| unreadable(e.to_string()))?);
        }
        let meta = &trees[Table::ALL.len()];
        let schema = meta.get(META_SCHEMA).map_err(StoreError::io)?;
        let sealer = match schema {
            None => {
                let has_data = !db.is_empty() || trees.iter().any(|t| !t.is_empty());
                if has_data {
                    return Err(unreadable(
                        "it holds data but no Techo schema record".into(),
                    ));
                }
                let sealer = Sealer::new(&keys.data_key(true)?);
                meta.insert(META_KEY_CHECK, sealer.seal(KEY_CHECK_PLACE, KEY_CHECK_TEXT))
                    .map_err(StoreError::io)?;
                meta.insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(StoreError::io)?;
                db.flush().map_err(StoreError::io)?;
                sealer
            }
            Some(raw) => {
                let found = <[u8; 4]>::try_from(raw.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| unreadable("its schema record is damaged".into()))?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema {
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                let sealer = Sealer::new(&keys.data_key(false)?);
                let check = meta.get(META_KEY_CHECK).map_err(StoreError::io)?;
                let check =
                    check.ok_or_else(|| unreadable("its key check record is missing".into()))?;
                match sealer.open(KEY_CHECK_PLACE, &check) {
                    Ok(text) if &**text == KEY_CHECK_TEXT => {}
                    _ => return Err(StoreError::WrongKey),
                }
                sealer
            }
        };
        let store = Self {
            db,
            trees,
            sealer,
            path: path.to_owned(),
        };
        store.run_migrations()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let raw = self.meta().get(META_SCHEMA).map_err(StoreError::io)?;
        raw.and_then(|r| <[u8; 4]>::try_from(r.as_ref()).ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| StoreError::Unreadable {
                path: self.path.clone(),
                why: "its schema record is damaged".into(),
            })
    }

    fn meta(&self) -> &sled::Tree {
        &self.trees[Table::ALL.len()]
    }

    fn tree(&self, table: Table) -> &sled::Tree {
        &self.trees[index(table)]
    }

    fn run_migrations(&self) -> Result<(), StoreError> {
        let mut version = self.schema_version()?;
        while version < SCHEMA_VERSION {
            let batch = migrate::step(self, version)?;
            let next = version + 1;
            self.apply(batch, Some(next))?;
            version = next;
        }
        Ok(())
    }

    /// Writes a batch and, when given, the new schema version in the same transaction.
    fn apply(&self, batch: Batch, schema: Option<u32>) -> Result<(), StoreError> {
        let meta_index = Table::ALL.len();
        let sealed: Vec<(usize, Vec<u8>, Option<Vec<u8>>)> = batch
            .0
            .into_iter()
            .map(|op| match op {
                Op::Put { table, key, value } => {
                    let v = self.sealer.seal(&place(table, &key), &value);
                    (index(table), key.into_bytes(), Some(v))
                }
                Op::Delete { table, key } => (index(table), key.into_bytes(), None),
            })
            .collect();
        self.trees
            .as_slice()
            .transaction(|tx| {
                for (i, key, value) in &sealed {
                    match value {
                        Some(v) => tx[*i].insert(key.as_slice(), v.as_slice())?,
                        None => tx[*i].remove(key.as_slice())?,
                    };
                }
                if let Some(version) = schema {
                    tx[meta_index].insert(META_SCHEMA, &version.to_be_bytes())?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e: sled::transaction::TransactionError<()>| {
                StoreError::io(format!("{e:?}"))
            })?;
        self.db.flush().map_err(StoreError::io)?;
        Ok(())
    }

    fn open_value(
        &self,
        table: Table,
        key: &[u8],
        sealed: &[u8],
    ) -> Result<(String, Zeroizing<Vec<u8>>), StoreError> {
        let corrupt = |key: String, why: String| StoreError::Corrupt {
            table: table.name(),
            key,
            why,
        };
        let key = String::from_utf8(key.to_vec()).map_err(|_| {
            corrupt(
                String::from_utf8_lossy(key).into_owned(),
                "key is not text".into(),
            )
        })?;
        let value = self
            .sealer
            .open(&place(table, &key), sealed)
            .map_err(|e| corrupt(key.clone(), e.to_string()))?;
        Ok((key, value))
    }

    /// Rewrites the schema number, as an older build would have left it.
    #[cfg(test)]
    pub(crate) fn raw_meta_insert_schema(&self, version: u32) {
        self.meta()
            .insert(META_SCHEMA, &version.to_be_bytes())
            .unwrap();
        self.db.flush().unwrap();
    }

    /// Raw sealed bytes, for tests that tamper with the file contents.
    #[doc(hidden)]
    pub fn raw_tree(&self, table: Table) -> &sled::Tree {
        self.tree(table)
    }
}

impl Store for SledStore {
    fn get(&self, table: Table, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        match self
            .tree(table)
            .get(key.as_bytes())
            .map_err(StoreError::io)?
        {
            None => Ok(None),
            Some(sealed) => self
                .open_value(table, key.as_bytes(), &sealed)
                .map(|(_, v)| Some(v)),
        }
    }

    fn scan(&self, table: Table) -> Result<Records, StoreError> {
        self.tree(table)
            .iter()
            .map(|item| {
                let (k, v) = item.map_err(StoreError::io)?;
                self.open_value(table, &k, &v)
            })
            .collect()
    }

    fn keys(&self, table: Table) -> Result<Vec<String>, StoreError> {
        self.tree(table)
            .iter()
            .keys()
            .map(|k| {
                let k = k.map_err(StoreError::io)?;
                Ok(String::from_utf8_lossy(&k).into_owned())
            })
            .collect()
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.apply(batch, None)
    }

    fn check(&self) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport {
            schema_version: self.schema_version()?,
            ..CheckReport::default()
        };
        for table in Table::ALL {
            let mut readable = 0;
            for item in self.tree(table) {
                let (k, v) = item.map_err(StoreError::io)?;
                match self.open_value(table, &k, &v) {
                    Ok(_) => readable += 1,
                    Err(StoreError::Corrupt { table, key, why }) => {
                        report.damaged.push(DamagedRecord { table, key, why });
                    }
                    Err(e) => return Err(e),
                }
            }
            report.readable.push((table.name(), readable));
        }
        Ok(report)
    }

    fn drop_damaged(&self, damaged: &[DamagedRecord]) -> Result<(), StoreError> {
        let batch = damaged.iter().fold(Batch::new(), |b, d| {
            match Table::ALL.iter().find(|t| t.name() == d.table) {
                Some(t) => b.delete(*t, d.key.clone()),
                None => b,
            }
        });
        self.commit(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DataKey, StaticKeyProvider};

    fn keys(b: u8) -> StaticKeyProvider {
        StaticKeyProvider::new(DataKey::from_bytes([b; 32]))
    }

    #[test]
    fn round_trip_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SledStore::open(dir.path(), &keys(1)).unwrap();
            s.commit(
                Batch::new()
                    .put(Table::Handbooks, "a", b"one".to_vec())
                    .put(Table::Photos, "a", vec![1, 2]),
            )
            .unwrap();
        }
        let s = SledStore::open(dir.path(), &keys(1)).unwrap();
        assert_eq!(&**s.get(Table::Handbooks, "a").unwrap().unwrap(), b"one");
        assert_eq!(s.scan(Table::Photos).unwrap().len(), 1);
        assert!(s.get(Table::Handbooks, "zz").unwrap().is_none());
        s.commit(Batch::new().delete(Table::Handbooks, "a"))
            .unwrap();
        assert!(s.get(Table::Handbooks, "a").unwrap().is_none());
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn values_are_not_stored_in_clear() {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStore::open(dir.path(), &keys(1)).unwrap();
        s.commit(Batch::new().put(Table::Handbooks, "a", b"YAMADA TARO".to_vec()))
            .unwrap();
        let raw = s.raw_tree(Table::Handbooks).get("a").unwrap().unwrap();
        assert!(!raw.windows(11).any(|w| w == b"YAMADA TARO"));
    }

    #[test]
    fn tampering_one_byte_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStore::open(dir.path(), &keys(1)).unwrap();
        s.commit(Batch::new().put(Table::Handbooks, "a", b"facts".to_vec()))
            .unwrap();
        let mut raw = s
            .raw_tree(Table::Handbooks)
            .get("a")
            .unwrap()
            .unwrap()
            .to_vec();
        let last = raw.len() - 1;
        raw[last] ^= 0x01;
        s.raw_tree(Table::Handbooks).insert("a", raw).unwrap();
        let err = s.get(Table::Handbooks, "a").unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt { table: "handbooks", ref key, .. } if key == "a"),
            "{err}"
        );
        let report = s.check().unwrap();
        assert_eq!(report.damaged.len(), 1);
        s.drop_damaged(&report.damaged).unwrap();
        assert!(s.check().unwrap().is_healthy());
    }

    #[test]
    fn swapping_two_records_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStore::open(dir.path(), &keys(1)).unwrap();
        s.commit(Batch::new().put(Table::Handbooks, "a", b"A".to_vec()).put(
            Table::Handbooks,
            "b",
            b"B".to_vec(),
        ))
        .unwrap();
        let t = s.raw_tree(Table::Handbooks);
        let (a, b) = (t.get("a").unwrap().unwrap(), t.get("b").unwrap().unwrap());
        t.insert("a", b).unwrap();
        t.insert("b", a.clone()).unwrap();
        assert!(matches!(
            s.get(Table::Handbooks, "a"),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            s.scan(Table::Handbooks),
            Err(StoreError::Corrupt { .. })
        ));
        // Same key, other table: also refused.
        s.raw_tree(Table::Photos).insert("a", a).unwrap();
        assert!(matches!(
            s.get(Table::Photos, "a"),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn wrong_key_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        SledStore::open(dir.path(), &keys(1)).unwrap();
        let err = SledStore::open(dir.path(), &keys(2)).unwrap_err();
        assert!(matches!(err, StoreError::WrongKey), "{err}");
        assert!(err.to_string().contains("techo store reset"));
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SledStore::open(dir.path(), &keys(1)).unwrap();
            s.meta()
                .insert(META_SCHEMA, &(SCHEMA_VERSION + 1).to_be_bytes())
                .unwrap();
            s.db.flush().unwrap();
        }
        let err = SledStore::open(dir.path(), &keys(1)).unwrap_err();
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
    }

    #[test]
    fn foreign_and_garbage_stores_are_refused_without_panic() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(dir.path()).unwrap();
            db.insert("hello", "world").unwrap();
            db.flush().unwrap();
        }
        let err = SledStore::open(dir.path(), &keys(1)).unwrap_err();
        assert!(matches!(err, StoreError::Unreadable { .. }), "{err}");

        let garbage = tempfile::tempdir().unwrap();
        std::fs::write(garbage.path().join("conf"), b"\xff\xfe not a sled config").unwrap();
        std::fs::write(garbage.path().join("db"), vec![0xAB; 4096]).unwrap();
        assert!(SledStore::open(garbage.path(), &keys(1)).is_err());
    }
}
