//! Issuer keys in files (PKCS#8, owner-only, in a private folder): development, the demo and
//! tests. `root.p8` signs the trust list; `issuer.p8` is key 01 (the layout earlier servers
//! wrote), `issuer-<kid>.p8` every later key.

use super::sealing::{aes_key, open_bytes, seal_bytes};
use super::source::{DATA_KEY_AAD, KeyError, KeyName, KeySource};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use techo_core::token::{PublicKey, Signer, SoftwareKey};
use zeroize::Zeroizing;

#[derive(Debug)]
pub struct FileKeys {
    dir: PathBuf,
}

fn io(path: &Path, why: impl std::fmt::Display) -> KeyError {
    KeyError::Io {
        path: path.display().to_string(),
        why: why.to_string(),
    }
}

impl FileKeys {
    /// Keys in `dir` (made private if it is new; refused if someone else can change it).
    pub fn open(dir: &Path) -> Result<Self, KeyError> {
        techo_core::private_file::private_dir(dir).map_err(|e| io(dir, e))?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    fn path_of(&self, name: &KeyName) -> PathBuf {
        match name {
            KeyName::Root => self.dir.join("root.p8"),
            KeyName::Issuer(kid) if kid.as_slice() == [1] => self.dir.join("issuer.p8"),
            KeyName::Issuer(kid) => self
                .dir
                .join(format!("issuer-{}.p8", techo_core::hex::encode(kid))),
        }
    }

    fn read(path: &Path) -> Result<Option<SoftwareKey>, KeyError> {
        if !path.exists() {
            return Ok(None);
        }
        techo_core::private_file::owner_only(path).map_err(|why| io(path, why))?;
        let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
        SoftwareKey::from_pkcs8(&bytes)
            .map(Some)
            .map_err(|e| io(path, e))
    }

    /// Writes `fresh` to `path` only if no file is there (owner-only), and returns what the file
    /// holds: `fresh`, or what another process wrote first. A key file is never replaced.
    fn write_once(path: &Path, fresh: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        match opts.open(path) {
            Ok(mut f) => {
                std::io::Write::write_all(&mut f, fresh).map_err(|e| io(path, e))?;
                f.sync_all().map_err(|e| io(path, e))?;
                Ok(Zeroizing::new(fresh.to_vec()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                techo_core::private_file::owner_only(path).map_err(|why| io(path, why))?;
                Ok(Zeroizing::new(
                    std::fs::read(path).map_err(|e| io(path, e))?,
                ))
            }
            Err(e) => Err(io(path, e)),
        }
    }

    /// A new key written once (two processes making key 01 at once: the second reads the
    /// first's).
    fn create(path: &Path) -> Result<SoftwareKey, KeyError> {
        let bytes = Self::write_once(path, SoftwareKey::generate().pkcs8())?;
        SoftwareKey::from_pkcs8(&bytes).map_err(|e| io(path, e))
    }

    /// The sealing key `seal.key` (32 random bytes), made on first use; a second maker reads
    /// the first's.
    fn sealing_key(&self) -> Result<ring::aead::LessSafeKey, KeyError> {
        let mut fresh = Zeroizing::new([0u8; 32]);
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), fresh.as_mut())
            .map_err(|_| KeyError::Sealing("no randomness for the sealing key".into()))?;
        aes_key(&Self::write_once(
            &self.dir.join("seal.key"),
            fresh.as_ref(),
        )?)
    }
}

impl KeySource for FileKeys {
    fn find(&self, name: &KeyName) -> Result<Vec<Arc<dyn Signer>>, KeyError> {
        Ok(Self::read(&self.path_of(name))?
            .map(|k| Arc::new(k) as Arc<dyn Signer>)
            .into_iter()
            .collect())
    }

    fn generate(&self, name: &KeyName) -> Result<Arc<dyn Signer>, KeyError> {
        Ok(Arc::new(Self::create(&self.path_of(name))?))
    }

    /// Never removes a file: a key file is shared by every process on the folder (a second
    /// maker reads the first's), so another process may be writing it into the ring right now.
    fn discard(&self, _name: &KeyName, _public: &PublicKey) -> Result<bool, KeyError> {
        Ok(false)
    }

    fn wrap_data_key(&self, data_key: &[u8]) -> Result<Vec<u8>, KeyError> {
        seal_bytes(
            &self.sealing_key()?,
            &ring::rand::SystemRandom::new(),
            data_key,
            DATA_KEY_AAD,
        )
    }

    fn unwrap_data_key(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        open_bytes(&self.sealing_key()?, wrapped, DATA_KEY_AAD)
            .map(Zeroizing::new)
            .ok_or_else(|| {
                KeyError::Sealing(format!(
                    "{} does not open the stored data key",
                    self.dir.join("seal.key").display()
                ))
            })
    }

    fn describe(&self) -> String {
        format!("the key folder {}", self.dir.display())
    }
}
