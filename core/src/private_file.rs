//! Files and folders that hold keys, tokens or personal data: created for their owner only,
//! never written through a link someone planted, and refused when others can change them.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` readable by its owner only: into a new file beside it (created
/// exclusively, mode 0600, so a planted file or link at the temporary name fails), then renamed
/// over `path`. A symlink at `path` is replaced, never followed; an existing file's loose mode
/// does not survive.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("a file name is needed"))?
        .to_string_lossy();
    let mut nonce = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
        .map_err(|_| std::io::Error::other("no randomness for a temporary name"))?;
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", crate::hex::encode(&nonce)));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let written = opts.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Why a folder cannot be trusted with private data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderError {
    #[error("{0} cannot be created or read: {1}")]
    Io(String, String),
    #[error(
        "{0} is a symbolic link: use the real folder's path (Techo does not follow links for its data)"
    )]
    Link(String),
    #[error(
        "{0} can be changed by other users and cannot be made private (not yours?): use a folder of your own"
    )]
    Shared(String),
}

/// Creates `dir` (and its parents) if needed and makes it private (0700). Refuses a symlink and
/// a folder whose permissions cannot be tightened (someone else's).
pub fn private_dir(dir: &Path) -> Result<(), FolderError> {
    let shown = || dir.display().to_string();
    if let Ok(meta) = std::fs::symlink_metadata(dir) {
        if meta.file_type().is_symlink() {
            return Err(FolderError::Link(shown()));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| FolderError::Io(shown(), e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir).map_err(|e| FolderError::Io(shown(), e.to_string()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|_| FolderError::Shared(shown()))?;
        }
    }
    Ok(())
}

/// Whether `path` is a regular file only its owner can write (and, for secrets, read): what a
/// key or token file found on disk must be before it is trusted.
pub fn owner_only(path: &Path) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !meta.file_type().is_file() {
        return Err("not a regular file (a link or a device)".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "mode {mode:o}: others can read or change it (it must be 600)"
            ));
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_existing_loose_file_is_replaced_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("endpoints.json");
        std::fs::write(&p, b"old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&p, b"admin token").unwrap();
        assert_eq!(mode(&p), 0o600);
        assert_eq!(std::fs::read(&p).unwrap(), b"admin token");
    }

    #[test]
    fn a_planted_link_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("attacker-readable");
        std::fs::write(&target, b"").unwrap();
        let p = dir.path().join("export.json");
        std::os::unix::fs::symlink(&target, &p).unwrap();
        write_private(&p, b"secret").unwrap();
        assert_eq!(
            std::fs::read(&target).unwrap(),
            b"",
            "nothing written through the link"
        );
        assert!(
            !std::fs::symlink_metadata(&p)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(mode(&p), 0o600);
    }

    #[test]
    fn folders_are_made_private_and_links_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("data");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        private_dir(&d).unwrap();
        assert_eq!(mode(&d), 0o700);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&d, &link).unwrap();
        assert!(matches!(private_dir(&link), Err(FolderError::Link(_))));
        let key = d.join("root.p8");
        std::fs::write(&key, b"k").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(owner_only(&key).is_err());
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(owner_only(&key).is_ok());
    }
}
