//! The store's second copy: every record's sealed bytes in a file of its own, beside the
//! database. A flipped byte in the database file can make the whole database unreadable (or
//! silently drop records); here it can only damage one record, and every file proves itself
//! (it is sealed with its place as associated data). The database stays the primary: the copy
//! is written after each commit, and carries the commit's generation so that a copy left behind
//! by a crash is rebuilt, never trusted.
//!
//! Layout of `<store>.copy/`: one file per record, named by the hex of `table/key`, holding the
//! record's sealed value exactly as the database holds it; `generation` holds the sealed commit
//! number (place `meta/generation`).

use super::seal::Sealer;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The place of the generation record.
pub(crate) const GENERATION_PLACE: &str = "meta/generation";
const GENERATION_FILE: &str = "generation";

#[derive(Debug)]
pub(crate) struct Mirror {
    dir: PathBuf,
}

/// A record file's name: the hex of its place (no path separators, no case games).
fn file_name(place: &str) -> String {
    crate::hex::encode(place.as_bytes())
}

fn place_of(name: &str) -> Option<String> {
    crate::hex::decode(name).and_then(|b| String::from_utf8(b).ok())
}

impl Mirror {
    /// The copy that belongs to the database at `db`.
    pub(crate) fn beside(db: &Path) -> Self {
        let mut dir = db.as_os_str().to_owned();
        dir.push(".copy");
        Self {
            dir: PathBuf::from(dir),
        }
    }

    pub(crate) fn exists(&self) -> bool {
        self.dir.join(GENERATION_FILE).exists()
    }

    /// The generation the copy was last completed at, with the schema version of its records;
    /// `None` when missing, damaged or sealed under another key.
    pub(crate) fn generation(&self, sealer: &Sealer) -> Option<(u64, u32)> {
        let sealed = std::fs::read(self.dir.join(GENERATION_FILE)).ok()?;
        let plain = sealer.open(GENERATION_PLACE, &sealed).ok()?;
        let generation = <[u8; 8]>::try_from(plain.get(..8)?).ok()?;
        let schema = <[u8; 4]>::try_from(plain.get(8..12)?).ok()?;
        Some((u64::from_be_bytes(generation), u32::from_be_bytes(schema)))
    }

    /// Marks the copy as in flux: until the new generation is written it is rebuilt, not used.
    fn start(&self) -> std::io::Result<()> {
        crate::private_file::private_dir(&self.dir).map_err(std::io::Error::other)?;
        match std::fs::remove_file(self.dir.join(GENERATION_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn finish(&self, sealer: &Sealer, (generation, schema): (u64, u32)) -> std::io::Result<()> {
        let mut plain = generation.to_be_bytes().to_vec();
        plain.extend_from_slice(&schema.to_be_bytes());
        let sealed = sealer.seal(GENERATION_PLACE, &plain);
        crate::private_file::write_private(&self.dir.join(GENERATION_FILE), &sealed)
    }

    /// Applies one committed batch: `(place, Some(sealed))` writes, `(place, None)` deletes.
    pub(crate) fn apply(
        &self,
        sealer: &Sealer,
        changes: &[(String, Option<&[u8]>)],
        generation: (u64, u32),
    ) -> std::io::Result<()> {
        self.start()?;
        for (place, sealed) in changes {
            let path = self.dir.join(file_name(place));
            match sealed {
                Some(bytes) => crate::private_file::write_private(&path, bytes)?,
                None => match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                },
            }
        }
        self.finish(sealer, generation)
    }

    /// Makes the copy hold exactly `records` (place → sealed bytes) at `generation`.
    pub(crate) fn rebuild(
        &self,
        sealer: &Sealer,
        records: &BTreeMap<String, Vec<u8>>,
        generation: (u64, u32),
    ) -> std::io::Result<()> {
        self.start()?;
        for place in self.places()? {
            if !records.contains_key(&place) {
                std::fs::remove_file(self.dir.join(file_name(&place)))?;
            }
        }
        for (place, sealed) in records {
            let path = self.dir.join(file_name(place));
            if std::fs::read(&path).ok().as_deref() != Some(sealed.as_slice()) {
                crate::private_file::write_private(&path, sealed)?;
            }
        }
        self.finish(sealer, generation)
    }

    /// The places the copy holds records for (its own files only; stray names are ignored).
    pub(crate) fn places(&self) -> std::io::Result<Vec<String>> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let name = entry?.file_name();
            if let Some(place) = name.to_str().and_then(place_of) {
                out.push(place);
            }
        }
        out.sort();
        Ok(out)
    }

    /// A record's sealed bytes when the copy has them.
    pub(crate) fn sealed(&self, place: &str) -> Option<Vec<u8>> {
        std::fs::read(self.dir.join(file_name(place))).ok()
    }

    /// The file holding a record (tests damage it on purpose).
    #[cfg(test)]
    pub(crate) fn file(&self, place: &str) -> PathBuf {
        self.dir.join(file_name(place))
    }
}
