//! What a running loopback setup tells its clients: URLs, the test CA, the admin token.

use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Serialize, Deserialize)]
pub struct Endpoints {
    pub server: String,
    pub portal: String,
    pub portal_provider: String,
    /// The loopback test CA (PEM) the clients must trust.
    pub ca_pem: String,
    pub admin_token: String,
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoints")
            .field("server", &self.server)
            .field("portal", &self.portal)
            .field("portal_provider", &self.portal_provider)
            .field("admin_token", &"(hidden)")
            .finish_non_exhaustive()
    }
}

impl Endpoints {
    /// Writes the file readable by its owner only (it holds the admin token): a new file renamed
    /// into place, so an existing loose file or a planted link is replaced, never reused.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        techo_core::private_file::write_private(path, &bytes)
    }

    pub fn read(path: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("{}: {e} (start techo-server first)", path.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Found by an outside tester: an existing world-readable endpoints.json kept its mode with
    /// the admin token written into it, and a planted link was followed.
    #[test]
    fn the_admin_token_is_never_written_where_others_can_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let e = Endpoints {
            server: "https://127.0.0.1:1".into(),
            portal: "https://127.0.0.1:2".into(),
            portal_provider: "https://127.0.0.1:3".into(),
            ca_pem: String::new(),
            admin_token: "a-secret-admin-token-of-some-length".into(),
        };
        let loose = dir.path().join("endpoints.json");
        std::fs::write(&loose, b"{}").unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
        e.write(&loose).unwrap();
        let mode = std::fs::metadata(&loose).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(Endpoints::read(&loose).unwrap().admin_token, e.admin_token);

        let victim = dir.path().join("shared.txt");
        std::fs::write(&victim, b"").unwrap();
        let planted = dir.path().join("planted.json");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        e.write(&planted).unwrap();
        assert_eq!(
            std::fs::read(&victim).unwrap(),
            b"",
            "not written through the link"
        );
    }
}
