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
