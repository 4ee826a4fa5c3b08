//! A local issuer for development, tests and the demo: a root key, one issuer key, a trust list,
//! one status list, kept in a directory. techo-server replaces it for real linkage.

use super::claims::HandbookClaims;
use super::credential::StatusRef;
use super::issuer::Issuer;
use super::keys::{PublicKey, SoftwareKey};
use super::present::HeldCredential;
use super::status::{Status, StatusList};
use super::trust::{TrustList, TrustedIssuer};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const ROOT_KID: &[u8] = b"R1";
const ISSUER_KID: &[u8] = &[0x01];
const ISSUER_ID: u32 = 1;
const STATUS_LIST_ID: u32 = 1;
/// 65,536 entries: indices fit in three CBOR bytes.
const CAPACITY: u32 = 65_536;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    name: String,
    trust_sequence: u64,
    /// Days a credential stays valid.
    validity_days: u32,
    /// Status list time to live, seconds.
    status_ttl: u32,
    /// Non-valid entries only.
    statuses: BTreeMap<u32, u8>,
    /// Every index handed out, by the holder reference it was issued to.
    issued: BTreeMap<String, Vec<u32>>,
    /// The oldest display-token format accepted (the trust list's minimum); state files
    /// written before it was kept lack it: 1.
    #[serde(default = "first_token_version")]
    min_token_version: u32,
}

fn first_token_version() -> u32 {
    1
}

#[derive(Debug, thiserror::Error)]
pub enum DevIssuerError {
    #[error("no development issuer in {0}: run `techo issuer init`")]
    Missing(PathBuf),
    #[error(
        "the development issuer in {path} is damaged ({why}): delete it and run `techo issuer init`"
    )]
    Damaged { path: PathBuf, why: String },
    #[error("cannot write the development issuer to {path}: {why}")]
    Io { path: PathBuf, why: String },
    #[error(transparent)]
    Issue(#[from] super::issuer::IssueError),
    #[error("the status list is full")]
    Full,
    #[error("nothing was issued to {0}")]
    UnknownHolder(String),
}

#[derive(Debug)]
pub struct DevIssuer {
    dir: Option<PathBuf>,
    root: SoftwareKey,
    /// The issuer key, also inside `issuer` (as its signer).
    issuer_key: Arc<SoftwareKey>,
    issuer: Issuer,
    state: State,
}

impl DevIssuer {
    /// A fresh issuer in memory.
    pub fn generate() -> Self {
        let issuer_key = Arc::new(SoftwareKey::generate());
        Self {
            dir: None,
            root: SoftwareKey::generate(),
            issuer: Issuer::new(
                ISSUER_ID,
                "Techo development issuer",
                ISSUER_KID.to_vec(),
                issuer_key.clone(),
            ),
            issuer_key,
            state: State {
                name: "Techo development issuer".into(),
                trust_sequence: 1,
                validity_days: 21,
                status_ttl: 86_400,
                statuses: BTreeMap::new(),
                issued: BTreeMap::new(),
                min_token_version: first_token_version(),
            },
        }
    }

    /// Creates a new issuer in `dir` (which must not hold one already).
    pub fn create(dir: &Path) -> Result<Self, DevIssuerError> {
        let mut issuer = Self::generate();
        issuer.dir = Some(dir.to_owned());
        crate::private_file::private_dir(dir).map_err(|e| DevIssuerError::Io {
            path: dir.to_owned(),
            why: e.to_string(),
        })?;
        write_private(&dir.join("root.p8"), issuer.root.pkcs8())?;
        write_private(&dir.join("issuer.p8"), issuer.issuer_key.pkcs8())?;
        issuer.save()?;
        Ok(issuer)
    }

    pub fn open(dir: &Path) -> Result<Self, DevIssuerError> {
        if !dir.join("state.json").exists() {
            return Err(DevIssuerError::Missing(dir.to_owned()));
        }
        let damaged = |why: String| DevIssuerError::Damaged {
            path: dir.to_owned(),
            why,
        };
        // Keys found on disk are trusted only in a private folder, in files only we can change:
        // a folder planted or loosened by someone else would otherwise have its root key served.
        crate::private_file::private_dir(dir).map_err(|e| damaged(e.to_string()))?;
        for name in ["root.p8", "issuer.p8", "state.json"] {
            crate::private_file::owner_only(&dir.join(name)).map_err(|why| {
                damaged(format!(
                    "{name}: {why}; if you did not create this issuer, move the folder away"
                ))
            })?;
        }
        let read =
            |name: &str| std::fs::read(dir.join(name)).map_err(|e| damaged(format!("{name}: {e}")));
        let root =
            SoftwareKey::from_pkcs8(&read("root.p8")?).map_err(|e| damaged(e.to_string()))?;
        let key =
            SoftwareKey::from_pkcs8(&read("issuer.p8")?).map_err(|e| damaged(e.to_string()))?;
        let state: State =
            serde_json::from_slice(&read("state.json")?).map_err(|e| damaged(e.to_string()))?;
        let issuer_key = Arc::new(key);
        let issuer = Issuer::new(
            ISSUER_ID,
            state.name.clone(),
            ISSUER_KID.to_vec(),
            issuer_key.clone(),
        );
        Ok(Self {
            dir: Some(dir.to_owned()),
            root,
            issuer_key,
            issuer,
            state,
        })
    }

    fn save(&self) -> Result<(), DevIssuerError> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let path = dir.join("state.json");
        let json = serde_json::to_vec_pretty(&self.state)
            .map_err(|e| io(&path, &std::io::Error::other(e)))?;
        crate::private_file::write_private(&path, &json).map_err(|e| io(&path, &e))
    }

    pub fn root_public(&self) -> PublicKey {
        self.root.public()
    }

    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The issuer key itself (development only: a production issuer's key stays in its HSM).
    pub fn issuer_key(&self) -> &SoftwareKey {
        &self.issuer_key
    }

    /// The root key that signs the trust list (development only).
    pub fn root_key(&self) -> &SoftwareKey {
        &self.root
    }

    pub fn trust_list(&self, now: DateTime<Utc>) -> TrustList {
        TrustList {
            sequence: self.state.trust_sequence,
            issued_at: now,
            min_token_version: self.state.min_token_version,
            issuers: vec![TrustedIssuer::of(
                &self.issuer,
                now - Duration::days(365),
                now + Duration::days(3 * 365),
            )],
        }
    }

    /// Retires display-token formats older than `version`: the trust list says so from its
    /// next sequence number, and apps that make only older tokens show "update the app".
    pub fn set_min_token_version(&mut self, version: u32) -> Result<(), DevIssuerError> {
        if version != self.state.min_token_version {
            self.state.min_token_version = version.max(1);
            self.state.trust_sequence += 1;
            self.save()?;
        }
        Ok(())
    }

    pub fn signed_trust_list(&self, now: DateTime<Utc>) -> Vec<u8> {
        self.trust_list(now).sign(&self.root, ROOT_KID)
    }

    pub fn status_list(&self, now: DateTime<Utc>) -> StatusList {
        self.status_list_of(
            self.state
                .statuses
                .iter()
                .map(|(i, s)| (*i, Status::from_code(*s))),
            now,
        )
    }

    /// The status list with `entries` (index, status) kept elsewhere (techo-server's store).
    pub fn status_list_of(
        &self,
        entries: impl IntoIterator<Item = (u32, Status)>,
        now: DateTime<Utc>,
    ) -> StatusList {
        let mut list = StatusList::new(
            STATUS_LIST_ID,
            self.issuer.id,
            CAPACITY,
            now,
            self.state.status_ttl,
        );
        for (index, status) in entries {
            list.set(index, status);
        }
        list
    }

    pub fn signed_status_list(&self, now: DateTime<Utc>) -> Vec<u8> {
        self.status_list(now)
            .sign(&self.issuer_key, &self.issuer.kid)
    }

    /// How long a status list this issuer signs may be cached (seconds).
    pub fn status_ttl(&self) -> u32 {
        self.state.status_ttl
    }

    /// An all-valid list `list_id` of `capacity` entries issued at `issued_at`, with this
    /// issuer's id and time to live (techo-server fills it from its store).
    pub fn empty_status_list(
        &self,
        list_id: u32,
        capacity: u32,
        issued_at: DateTime<Utc>,
    ) -> StatusList {
        StatusList::new(
            list_id,
            self.issuer.id,
            capacity,
            issued_at,
            self.status_ttl(),
        )
    }

    /// Signs a status list or a delta with the issuer key.
    pub fn sign_status(&self, what: StatusDocument<'_>) -> Vec<u8> {
        match what {
            StatusDocument::List(l) => l.sign(&self.issuer_key, &self.issuer.kid),
            StatusDocument::Delta(d) => d.sign(&self.issuer_key, &self.issuer.kid),
        }
    }

    /// [`DevIssuer::status_list_of`], signed.
    pub fn signed_status_list_of(
        &self,
        entries: impl IntoIterator<Item = (u32, Status)>,
        now: DateTime<Utc>,
    ) -> Vec<u8> {
        self.status_list_of(entries, now)
            .sign(&self.issuer_key, &self.issuer.kid)
    }

    /// How many status indices the list has.
    pub const fn capacity() -> u32 {
        CAPACITY
    }

    /// A random status index (the caller makes sure it is unused): random, so an operator
    /// cannot read issuing order or batch from it.
    pub fn random_index() -> u32 {
        let mut b = [0u8; 4];
        SystemRandom::new()
            .fill(&mut b)
            .expect("the OS random source works");
        u32::from_le_bytes(b) % CAPACITY
    }

    fn allocate(&self, taken: &[u32]) -> Result<u32, DevIssuerError> {
        let used: usize = self.state.issued.values().map(Vec::len).sum::<usize>() + taken.len();
        if used >= CAPACITY as usize {
            return Err(DevIssuerError::Full);
        }
        loop {
            let candidate = Self::random_index();
            let in_use = taken.contains(&candidate)
                || self.state.issued.values().any(|v| v.contains(&candidate));
            if !in_use {
                return Ok(candidate);
            }
        }
    }

    /// Issues one counter + full credential pair per device key, each with its own random status
    /// index, valid from `today` for the configured number of days.
    pub fn issue_batch(
        &mut self,
        holder: &str,
        claims: &HandbookClaims,
        device_keys: &[(String, PublicKey)],
        today: NaiveDate,
    ) -> Result<Vec<HeldCredential>, DevIssuerError> {
        let mut indices = Vec::with_capacity(device_keys.len());
        for _ in device_keys {
            let index = self.allocate(&indices)?;
            indices.push(index);
        }
        let refs: Vec<StatusRef> = indices
            .iter()
            .map(|index| StatusRef {
                list: STATUS_LIST_ID,
                index: *index,
            })
            .collect();
        let out = self.issue_at(claims, device_keys, today, &refs)?;
        self.state
            .issued
            .entry(holder.to_owned())
            .or_default()
            .extend(indices);
        self.save()?;
        Ok(out)
    }

    /// One counter + full credential pair per device key, at the status entries given (one per
    /// key, allocated by the caller: techo-server keeps them in its store).
    pub fn issue_at(
        &self,
        claims: &HandbookClaims,
        device_keys: &[(String, PublicKey)],
        today: NaiveDate,
        status: &[StatusRef],
    ) -> Result<Vec<HeldCredential>, DevIssuerError> {
        Ok(self.issuer.issue_for_devices(
            claims,
            device_keys,
            today,
            self.state.validity_days,
            status,
        )?)
    }

    /// Sets the status of everything issued to `holder`; returns how many entries changed.
    pub fn set_status(&mut self, holder: &str, status: Status) -> Result<usize, DevIssuerError> {
        let indices = self
            .state
            .issued
            .get(holder)
            .cloned()
            .ok_or_else(|| DevIssuerError::UnknownHolder(holder.to_owned()))?;
        for i in &indices {
            match status {
                Status::Valid => self.state.statuses.remove(i),
                other => self.state.statuses.insert(*i, other as u8),
            };
        }
        self.save()?;
        Ok(indices.len())
    }

    /// The holder reference a status index was issued to.
    pub fn holder_of(&self, index: u32) -> Option<&str> {
        self.state
            .issued
            .iter()
            .find(|(_, idx)| idx.contains(&index))
            .map(|(h, _)| h.as_str())
    }

    /// Holder references with something issued, for `techo issuer list`.
    pub fn holders(&self) -> Vec<(String, usize, Status)> {
        self.state
            .issued
            .iter()
            .map(|(h, idx)| {
                let status = match idx.first().and_then(|i| self.state.statuses.get(i)) {
                    Some(1) => Status::Revoked,
                    Some(2) => Status::Suspended,
                    _ => Status::Valid,
                };
                (h.clone(), idx.len(), status)
            })
            .collect()
    }
}

/// What [`DevIssuer::sign_status`] signs.
#[derive(Debug, Clone, Copy)]
pub enum StatusDocument<'a> {
    List(&'a StatusList),
    Delta(&'a super::status_delta::StatusDelta),
}

fn io(path: &Path, e: &std::io::Error) -> DevIssuerError {
    DevIssuerError::Io {
        path: path.to_owned(),
        why: e.to_string(),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), DevIssuerError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(|e| io(path, &e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io(path, &e))
}
