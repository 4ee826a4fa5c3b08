//! Where the store's data key comes from.
//!
//! Phones wrap the key with the platform keystore (Android Keystore / Secure Enclave) through the
//! bindings; the desktop keeps it in a file readable only by its owner.

use ring::rand::{SecureRandom, SystemRandom};
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// A 256-bit data key, wiped from memory when dropped. Never printed.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(&mut *k)
            .expect("the OS random source works");
        Self(k)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(hidden)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the key file {0} is missing but the store exists: restore the key file, or `techo store reset` to start empty / 暗号鍵ファイルがありません"
    )]
    Missing(PathBuf),
    #[error(
        "the key file {path} is damaged ({why}): restore it from a backup / 暗号鍵ファイルが壊れています"
    )]
    Damaged { path: PathBuf, why: String },
    #[error("the platform keystore refused the key: {0}")]
    Platform(String),
    #[error("cannot read or write the key file {path}: {why}")]
    Io { path: PathBuf, why: String },
}

pub trait KeyProvider: Send + Sync + std::fmt::Debug {
    /// The data key. With `create` set (a new store), a missing key is generated and kept.
    fn data_key(&self, create: bool) -> Result<DataKey, KeyError>;
}

/// A key held in memory: tests, and shells that unwrap the key themselves.
#[derive(Debug)]
pub struct StaticKeyProvider(DataKey);

impl StaticKeyProvider {
    pub fn new(key: DataKey) -> Self {
        Self(key)
    }
}

impl KeyProvider for StaticKeyProvider {
    fn data_key(&self, _create: bool) -> Result<DataKey, KeyError> {
        Ok(DataKey::from_bytes(*self.0.bytes()))
    }
}

/// The desktop key: 32 random bytes, hex encoded, in a file created with mode 0600.
#[derive(Debug, Clone)]
pub struct FileKeyProvider {
    path: PathBuf,
}

impl FileKeyProvider {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, e: &std::io::Error) -> KeyError {
        KeyError::Io {
            path: self.path.clone(),
            why: e.to_string(),
        }
    }

    fn read(&self) -> Result<Option<DataKey>, KeyError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => Zeroizing::new(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(&e)),
        };
        let damaged = |why: &str| KeyError::Damaged {
            path: self.path.clone(),
            why: why.into(),
        };
        let hex = text.trim();
        if hex.len() != 64 {
            return Err(damaged("expected 64 hex digits"));
        }
        let mut key = Zeroizing::new([0u8; 32]);
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| damaged("not hexadecimal"))?;
        }
        Ok(Some(DataKey(key)))
    }

    fn create(&self) -> Result<DataKey, KeyError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.io(&e))?;
        }
        let key = DataKey::generate();
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut file = opts.open(&self.path).map_err(|e| self.io(&e))?;
        let hex = Zeroizing::new(crate::hex::encode(key.bytes()));
        file.write_all(hex.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| self.io(&e))?;
        Ok(key)
    }
}

impl KeyProvider for FileKeyProvider {
    fn data_key(&self, create: bool) -> Result<DataKey, KeyError> {
        match self.read()? {
            Some(k) => Ok(k),
            None if create => self.create(),
            None => Err(KeyError::Missing(self.path.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let p = FileKeyProvider::new(dir.path().join("data.key"));
        assert!(matches!(p.data_key(false), Err(KeyError::Missing(_))));
        let k1 = p.data_key(true).unwrap();
        let k2 = p.data_key(false).unwrap();
        assert_eq!(k1.bytes(), k2.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(p.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{k1:?}"), "DataKey(hidden)");
        std::fs::write(p.path(), "zz").unwrap();
        assert!(matches!(p.data_key(false), Err(KeyError::Damaged { .. })));
    }
}
