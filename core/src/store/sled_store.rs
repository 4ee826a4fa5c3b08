//! The sled implementation of [`Store`].

use super::key::KeyProvider;
use super::migrate::{self, SCHEMA_VERSION};
use super::mirror::{GENERATION_PLACE, Mirror};
use super::seal::Sealer;
use super::{Batch, CheckReport, DamagedRecord, Op, Records, Recovery, Store, StoreError, Table};
use sled::Transactional;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const META_TREE: &str = "meta";
const META_SCHEMA: &[u8] = b"schema";
const META_KEY_CHECK: &[u8] = b"key_check";
const KEY_CHECK_PLACE: &str = "meta/key_check";
const KEY_CHECK_TEXT: &[u8] = b"techo data key check";
/// The commit number, sealed (place `meta/generation`): the second copy carries the same one.
const META_GENERATION: &[u8] = b"generation";

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
    /// The verified second copy of every record (see `mirror.rs`).
    mirror: Mirror,
    /// What opening restored from the second copy, if anything.
    recovered: Option<Recovery>,
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

/// One change of a batch, sealed: its place, tree index, key, and value (`None`: delete).
type SealedOp = (String, usize, Vec<u8>, Option<Vec<u8>>);

/// One change as the transaction applies it: tree index, key, sealed value (`None`: delete).
type RawOp<'a> = (usize, &'a [u8], Option<&'a [u8]>);

fn place(table: Table, key: &str) -> String {
    format!("{}/{key}", table.name())
}

/// The table and key of a record's place; `None` for meta places and unknown tables.
fn split_place(place: &str) -> Option<(Table, &str)> {
    let (name, key) = place.split_once('/')?;
    Table::ALL
        .iter()
        .find(|t| t.name() == name)
        .map(|t| (*t, key))
}

/// Whether opening failed in a way the second copy can repair (damage, not a lock, a wrong key
/// or a newer app's store).
fn is_damage(e: &StoreError) -> bool {
    matches!(e, StoreError::Unreadable { .. } | StoreError::WrongKey)
}

impl SledStore {
    /// Opens (or creates) the store at `path`, checks the key, and migrates older schemas. A
    /// database damaged past opening is rebuilt from its second copy (`<path>.copy`), the
    /// damaged files kept aside; records the database lost or damaged are restored from the copy.
    pub fn open(path: &Path, keys: &dyn KeyProvider) -> Result<Self, StoreError> {
        let mirror = Mirror::beside(path);
        let store = match Self::open_primary(path, keys) {
            Ok(store) => store,
            Err(e) if is_damage(&e) && mirror.exists() => Self::recover(path, keys, e)?,
            Err(e) => return Err(e),
        };
        store.run_migrations()?;
        store.sync_mirror();
        Ok(store)
    }

    /// Rebuilds an unopenable database from the copy: the damaged one is moved aside (kept), a
    /// new one receives every record of the copy that proves itself.
    fn recover(path: &Path, keys: &dyn KeyProvider, cause: StoreError) -> Result<Self, StoreError> {
        let mirror = Mirror::beside(path);
        let sealer = Sealer::new(&keys.data_key(false)?);
        // The copy must open with this key; otherwise the key, not the database, is wrong.
        let Some((generation, schema)) = mirror.generation(&sealer) else {
            return Err(cause);
        };
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let mut aside = path.as_os_str().to_owned();
        aside.push(format!(".damaged-{stamp}"));
        let aside = PathBuf::from(aside);
        std::fs::rename(path, &aside).map_err(StoreError::io)?;
        let mut store = Self::open_primary(path, keys)?;
        let mut restored = 0;
        let mut lost = Vec::new();
        let mut batch = Vec::new();
        for p in mirror.places().map_err(StoreError::io)? {
            let Some((table, key)) = split_place(&p) else {
                continue;
            };
            match mirror.sealed(&p) {
                Some(sealed) if store.sealer.open(&p, &sealed).is_ok() => {
                    batch.push((index(table), key.as_bytes().to_vec(), sealed));
                    restored += 1;
                }
                _ => lost.push(p.clone()),
            }
        }
        store.write_raw(&batch, generation, schema)?;
        store.recovered = Some(Recovery {
            damaged_kept_at: Some(aside),
            restored,
            lost,
            cause: cause.to_string(),
        });
        Ok(store)
    }

    /// Writes sealed records as they are, with the generation and schema, in one transaction.
    fn write_raw(
        &self,
        records: &[(usize, Vec<u8>, Vec<u8>)],
        generation: u64,
        schema: u32,
    ) -> Result<(), StoreError> {
        let ops: Vec<RawOp<'_>> = records
            .iter()
            .map(|(i, k, v)| (*i, k.as_slice(), Some(v.as_slice())))
            .collect();
        self.transact(&ops, generation, Some(schema))
    }

    /// Puts and deletes sealed values by tree index, with the new generation (and schema), in
    /// one transaction, flushed to disk before it returns.
    fn transact(
        &self,
        ops: &[RawOp<'_>],
        generation: u64,
        schema: Option<u32>,
    ) -> Result<(), StoreError> {
        let meta_index = Table::ALL.len();
        let sealed_generation = self
            .sealer
            .seal(GENERATION_PLACE, &generation.to_be_bytes());
        self.trees
            .as_slice()
            .transaction(|tx| {
                for (i, key, value) in ops {
                    match value {
                        Some(v) => tx[*i].insert(*key, *v)?,
                        None => tx[*i].remove(*key)?,
                    };
                }
                tx[meta_index].insert(META_GENERATION, sealed_generation.as_slice())?;
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

    /// The database's commit number; `None` when its record is damaged.
    fn generation(&self) -> Option<u64> {
        match self.meta().get(META_GENERATION) {
            Ok(None) => Some(0),
            Ok(Some(sealed)) => self
                .sealer
                .open(GENERATION_PLACE, &sealed)
                .ok()
                .and_then(|p| <[u8; 8]>::try_from(p.as_slice()).ok())
                .map(u64::from_be_bytes),
            Err(_) => None,
        }
    }

    /// Every record's sealed bytes by place.
    fn sealed_records(&self) -> Result<BTreeMap<String, Vec<u8>>, StoreError> {
        let mut out = BTreeMap::new();
        for table in Table::ALL {
            for item in self.tree(table) {
                let (k, v) = item.map_err(StoreError::io)?;
                out.insert(place(table, &String::from_utf8_lossy(&k)), v.to_vec());
            }
        }
        Ok(out)
    }

    /// Every record's place, from the keys alone (no value is read).
    fn places(&self) -> Result<BTreeSet<String>, StoreError> {
        let mut out = BTreeSet::new();
        for table in Table::ALL {
            out.extend(self.keys(table)?.iter().map(|k| place(table, k)));
        }
        Ok(out)
    }

    /// Brings the second copy in line after opening. A copy one commit behind (a crash between
    /// the database and the copy) or missing is rebuilt from the database. At the same commit
    /// only the keys are compared (opening reads no values); records one side lacks are merged.
    /// Commit numbers further apart, or a damaged one, merge every record: what the database
    /// lost or damaged comes back from the copy. Failures leave the copy to the next open.
    fn sync_mirror(&self) {
        let Ok(schema) = self.schema_version() else {
            return;
        };
        let ours = self.generation();
        let copy = self.mirror.generation(&self.sealer);
        match (ours, copy) {
            (Some(g), c) if c.is_none_or(|(c, _)| g == c + 1) => self.rebuild_mirror(g, schema),
            (Some(g), Some((c, _))) if g == c => {
                let (Ok(copied), Ok(held)) = (self.mirror.places(), self.places()) else {
                    return;
                };
                let copied: BTreeSet<String> = copied.into_iter().collect();
                let differing: Vec<String> = copied.symmetric_difference(&held).cloned().collect();
                if !differing.is_empty() {
                    self.merge(&differing, g, schema);
                }
            }
            (ours, copy) => {
                let mut all = self.places().unwrap_or_default();
                all.extend(self.mirror.places().unwrap_or_default());
                let all: Vec<String> = all.into_iter().collect();
                let newest = ours.unwrap_or(0).max(copy.map_or(0, |c| c.0)) + 1;
                self.merge(&all, newest, schema);
            }
        }
    }

    /// Makes the copy hold exactly the database's records at `generation`.
    fn rebuild_mirror(&self, generation: u64, schema: u32) {
        if let Ok(records) = self.sealed_records() {
            let _ = self
                .mirror
                .rebuild(&self.sealer, &records, (generation, schema));
        }
    }

    /// Restores into the database, from the copy, each of `places` the database lacks or holds
    /// damaged while the copy's proves itself; then the copy follows the database.
    fn merge(&self, places: &[String], generation: u64, schema: u32) {
        let restore: Vec<(usize, Vec<u8>, Vec<u8>)> = places
            .iter()
            .filter_map(|p| {
                let (table, key) = split_place(p)?;
                let ours_whole = self
                    .tree(table)
                    .get(key.as_bytes())
                    .ok()
                    .flatten()
                    .is_some_and(|v| self.sealer.open(p, &v).is_ok());
                if ours_whole {
                    return None;
                }
                let copy = self
                    .mirror
                    .sealed(p)
                    .filter(|v| self.sealer.open(p, v).is_ok())?;
                Some((index(table), key.as_bytes().to_vec(), copy))
            })
            .collect();
        if self.write_raw(&restore, generation, schema).is_ok() {
            self.rebuild_mirror(generation, schema);
        }
    }

    fn open_primary(path: &Path, keys: &dyn KeyProvider) -> Result<Self, StoreError> {
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
        Ok(Self {
            db,
            trees,
            sealer,
            path: path.to_owned(),
            mirror: Mirror::beside(path),
            recovered: None,
        })
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
        let sealed: Vec<SealedOp> = batch
            .0
            .into_iter()
            .map(|op| match op {
                Op::Put { table, key, value } => {
                    let at = place(table, &key);
                    let v = self.sealer.seal(&at, &value);
                    (at, index(table), key.into_bytes(), Some(v))
                }
                Op::Delete { table, key } => {
                    (place(table, &key), index(table), key.into_bytes(), None)
                }
            })
            .collect();
        let generation = self.generation().unwrap_or(0) + 1;
        let ops: Vec<RawOp<'_>> = sealed
            .iter()
            .map(|(_, i, k, v)| (*i, k.as_slice(), v.as_deref()))
            .collect();
        self.transact(&ops, generation, schema)?;
        // The copy follows; if it cannot be written now, the next open rebuilds it.
        let changes: Vec<(String, Option<&[u8]>)> = sealed
            .iter()
            .map(|(at, _, _, v)| (at.clone(), v.as_deref()))
            .collect();
        let schema = schema.map_or_else(|| self.schema_version(), Ok)?;
        let _ = self
            .mirror
            .apply(&self.sealer, &changes, (generation, schema));
        Ok(())
    }

    /// A damaged record's value from the copy, when the copy proves itself.
    fn copied_value(&self, table: Table, key: &str) -> Option<Zeroizing<Vec<u8>>> {
        let at = place(table, key);
        let sealed = self.mirror.sealed(&at)?;
        self.sealer.open(&at, &sealed).ok()
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
            Some(sealed) => match self.open_value(table, key.as_bytes(), &sealed) {
                Ok((_, v)) => Ok(Some(v)),
                // Damaged here, whole in the copy: the holder still sees it.
                Err(e) => self.copied_value(table, key).map(Some).ok_or(e),
            },
        }
    }

    fn scan(&self, table: Table) -> Result<Records, StoreError> {
        self.tree(table)
            .iter()
            .map(|item| {
                let (k, v) = item.map_err(StoreError::io)?;
                self.open_value(table, &k, &v).or_else(|e| {
                    let key = String::from_utf8_lossy(&k).into_owned();
                    self.copied_value(table, &key).map(|v| (key, v)).ok_or(e)
                })
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
                    Err(StoreError::Corrupt { table: t, key, why }) => {
                        let why = if self.copied_value(table, &key).is_some() {
                            format!(
                                "{why}; the second copy is whole: `techo store check --repair` restores it"
                            )
                        } else {
                            why
                        };
                        report.damaged.push(DamagedRecord { table: t, key, why });
                    }
                    Err(e) => return Err(e),
                }
            }
            report.readable.push((table.name(), readable));
        }
        Ok(report)
    }

    fn drop_damaged(&self, damaged: &[DamagedRecord]) -> Result<(), StoreError> {
        // Restored where the second copy is whole, deleted where it is not.
        let batch = damaged.iter().fold(Batch::new(), |b, d| {
            match Table::ALL.iter().find(|t| t.name() == d.table) {
                Some(t) => match self.copied_value(*t, &d.key) {
                    Some(v) => b.put(*t, d.key.clone(), v.to_vec()),
                    None => b.delete(*t, d.key.clone()),
                },
                None => b,
            }
        });
        self.commit(batch)
    }

    fn recovered(&self) -> Option<Recovery> {
        self.recovered.clone()
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
            let s = SledStore::open(&dir.path().join("store"), &keys(1)).unwrap();
            s.commit(
                Batch::new()
                    .put(Table::Handbooks, "a", b"one".to_vec())
                    .put(Table::Photos, "a", vec![1, 2]),
            )
            .unwrap();
        }
        let s = SledStore::open(&dir.path().join("store"), &keys(1)).unwrap();
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
        let s = SledStore::open(&dir.path().join("store"), &keys(1)).unwrap();
        s.commit(Batch::new().put(Table::Handbooks, "a", b"YAMADA TARO".to_vec()))
            .unwrap();
        let raw = s.raw_tree(Table::Handbooks).get("a").unwrap().unwrap();
        assert!(!raw.windows(11).any(|w| w == b"YAMADA TARO"));
    }

    /// Flips the last byte of a sealed value.
    fn flipped(mut raw: Vec<u8>) -> Vec<u8> {
        let last = raw.len() - 1;
        raw[last] ^= 0x01;
        raw
    }

    #[test]
    fn one_damaged_copy_is_served_from_the_other_and_repaired() {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStore::open(&dir.path().join("store"), &keys(1)).unwrap();
        s.commit(Batch::new().put(Table::Handbooks, "a", b"facts".to_vec()))
            .unwrap();
        let raw = s.raw_tree(Table::Handbooks).get("a").unwrap().unwrap();
        s.raw_tree(Table::Handbooks)
            .insert("a", flipped(raw.to_vec()))
            .unwrap();
        // The database's value is damaged; the second copy still proves itself.
        assert_eq!(&**s.get(Table::Handbooks, "a").unwrap().unwrap(), b"facts");
        let report = s.check().unwrap();
        assert_eq!(report.damaged.len(), 1);
        assert!(
            report.damaged[0].why.contains("--repair"),
            "{:?}",
            report.damaged
        );
        s.drop_damaged(&report.damaged).unwrap();
        assert!(s.check().unwrap().is_healthy());
        assert_eq!(&**s.get(Table::Handbooks, "a").unwrap().unwrap(), b"facts");
    }

    #[test]
    fn tampering_both_copies_is_detected_and_only_that_record_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStore::open(&dir.path().join("store"), &keys(1)).unwrap();
        s.commit(
            Batch::new()
                .put(Table::Handbooks, "a", b"facts".to_vec())
                .put(Table::Handbooks, "b", b"other".to_vec()),
        )
        .unwrap();
        let raw = s.raw_tree(Table::Handbooks).get("a").unwrap().unwrap();
        s.raw_tree(Table::Handbooks)
            .insert("a", flipped(raw.to_vec()))
            .unwrap();
        let copy = s.mirror.file("handbooks/a");
        std::fs::write(&copy, flipped(std::fs::read(&copy).unwrap())).unwrap();
        let err = s.get(Table::Handbooks, "a").unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt { table: "handbooks", ref key, .. } if key == "a"),
            "{err}"
        );
        let report = s.check().unwrap();
        assert_eq!(report.damaged.len(), 1);
        s.drop_damaged(&report.damaged).unwrap();
        assert!(s.check().unwrap().is_healthy());
        assert_eq!(&**s.get(Table::Handbooks, "b").unwrap().unwrap(), b"other");
        assert!(s.get(Table::Handbooks, "a").unwrap().is_none());
    }

    #[test]
    fn swapping_two_records_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStore::open(&dir.path().join("store"), &keys(1)).unwrap();
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
        // The same swap in the second copy: nothing proves itself in its new place.
        let (fa, fb) = (s.mirror.file("handbooks/a"), s.mirror.file("handbooks/b"));
        let (ca, cb) = (std::fs::read(&fa).unwrap(), std::fs::read(&fb).unwrap());
        std::fs::write(&fa, cb).unwrap();
        std::fs::write(&fb, ca).unwrap();
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
        SledStore::open(&dir.path().join("store"), &keys(1)).unwrap();
        let err = SledStore::open(&dir.path().join("store"), &keys(2)).unwrap_err();
        assert!(matches!(err, StoreError::WrongKey), "{err}");
        assert!(err.to_string().contains("techo store reset"));
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SledStore::open(&dir.path().join("store"), &keys(1)).unwrap();
            s.meta()
                .insert(META_SCHEMA, &(SCHEMA_VERSION + 1).to_be_bytes())
                .unwrap();
            s.db.flush().unwrap();
        }
        let err = SledStore::open(&dir.path().join("store"), &keys(1)).unwrap_err();
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
    }

    #[test]
    fn foreign_and_garbage_stores_are_refused_without_panic() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(dir.path().join("store")).unwrap();
            db.insert("hello", "world").unwrap();
            db.flush().unwrap();
        }
        let err = SledStore::open(&dir.path().join("store"), &keys(1)).unwrap_err();
        assert!(matches!(err, StoreError::Unreadable { .. }), "{err}");

        let garbage = tempfile::tempdir().unwrap();
        std::fs::write(garbage.path().join("conf"), b"\xff\xfe not a sled config").unwrap();
        std::fs::write(garbage.path().join("db"), vec![0xAB; 4096]).unwrap();
        assert!(SledStore::open(garbage.path(), &keys(1)).is_err());
    }
}
