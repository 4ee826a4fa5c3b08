//! The wallet facade: what the CLI and the phone shells call.
//!
//! It owns the store and the injected clock; every operation is one atomic store commit.

use crate::clock::Clock;
use crate::model::{
    Field, Handbook, HandbookDraft, HandbookId, InvalidHandbook, LinkageState, Problem,
    ValidationError,
};
use crate::store::{
    Batch, CheckReport, DamagedRecord, KeyProvider, SledStore, Store, StoreError, Table,
};
use crate::token::keystore::{DeviceKeyStore, HARDWARE_PREFIX, StoredKey};
use crate::token::{
    Challenge, ClaimId, DeviceKey, DeviceKeyError, Extras, HeldCredential, Payload, PresentError,
    Profile, PublicKey, SoftwareKey, present_with,
};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod coupons;
mod directory;
mod pages;
mod site;
mod support;

/// Settings key of the handbook shown at the counter.
const COUNTER_HANDBOOK: &str = "counter_handbook";

#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error(transparent)]
    Invalid(#[from] InvalidHandbook),

    #[error(
        "this handbook (same kind, number and municipality) is already registered as {existing}: update it instead / この手帳は登録済みです"
    )]
    Duplicate { existing: HandbookId },

    #[error("no handbook has the id {0}: `techo list` shows the ids / 該当する手帳がありません")]
    NotFound(String),

    #[error(
        "{prefix} matches several handbooks ({matches}): type more of the id / 複数の手帳が該当します"
    )]
    Ambiguous { prefix: String, matches: String },

    #[error(
        "handbook {0} has no current credential: link it (or, for development, `techo issuer issue {0}`) / 連携が必要です"
    )]
    NoCredential(String),

    #[error(transparent)]
    Present(#[from] PresentError),

    #[error(transparent)]
    Store(#[from] StoreError),

    #[error(transparent)]
    Support(crate::model::SupportError),

    #[error(transparent)]
    Coupon(#[from] crate::directory::coupon::CouponError),
    #[error(transparent)]
    Site(#[from] crate::site::SiteError),
}

/// Everything readable in a store, for `techo store export`.
#[derive(Debug)]
pub struct Export {
    pub schema_version: u32,
    pub handbooks: Vec<Handbook>,
    pub photos: Vec<(HandbookId, Vec<u8>)>,
    /// Page images: handbook, page number (0-based), cleaned bytes.
    pub pages: Vec<(HandbookId, usize, Vec<u8>)>,
    /// The support profile, when it reads.
    pub support: Option<crate::model::SupportProfile>,
    pub damaged: Vec<DamagedRecord>,
}

#[derive(Debug)]
pub struct Wallet {
    store: Box<dyn Store>,
    clock: Arc<dyn Clock>,
    /// The platform keystore for new device keys; `None`: software keys sealed in the store.
    keystore: Option<Arc<dyn DeviceKeyStore>>,
}

impl Wallet {
    /// Opens the wallet kept in `data_dir` (created if needed).
    pub fn open(
        data_dir: &Path,
        keys: &dyn KeyProvider,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, WalletError> {
        std::fs::create_dir_all(data_dir).map_err(StoreError::io)?;
        let store = SledStore::open(&Self::store_dir(data_dir), keys)?;
        Ok(Self::with_store(Box::new(store), clock))
    }

    pub fn with_store(store: Box<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            keystore: None,
        }
    }

    /// Keeps new device keys in the platform's keystore (the phones) instead of the store.
    #[must_use]
    pub fn with_device_keystore(mut self, keystore: Arc<dyn DeviceKeyStore>) -> Self {
        self.keystore = Some(keystore);
        self
    }

    /// Where the encrypted records live inside the data dir.
    pub fn store_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("store")
    }

    /// The desktop key file, beside the store.
    pub fn key_file(data_dir: &Path) -> PathBuf {
        data_dir.join("data.key")
    }

    /// Deletes the store and its key: the last step of recovery, after an export.
    pub fn reset(data_dir: &Path) -> Result<(), WalletError> {
        let store = Self::store_dir(data_dir);
        if store.exists() {
            std::fs::remove_dir_all(&store).map_err(StoreError::io)?;
        }
        match std::fs::remove_file(Self::key_file(data_dir)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError::io(e).into()),
            _ => Ok(()),
        }
    }

    /// The injected clock's time (the counter screen and tokens use it).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today_jst()
    }

    /// Validates and registers a handbook (未連携). The first one becomes the counter handbook.
    pub fn add(
        &self,
        draft: &HandbookDraft,
        photo: Option<&[u8]>,
    ) -> Result<Handbook, WalletError> {
        self.add_with_pages(draft, photo, &[])
    }

    /// [`Wallet::add`] with photographed pages, all in one commit: if any page is refused, nothing
    /// is registered.
    pub fn add_with_pages(
        &self,
        draft: &HandbookDraft,
        photo: Option<&[u8]>,
        pages: &[Vec<u8>],
    ) -> Result<Handbook, WalletError> {
        let mut handbook = self.validated(draft, photo)?;
        let cleaned = pages::clean_all(pages)?;
        handbook.pages = cleaned.iter().map(|(p, _)| p.clone()).collect();
        let existing = self.list()?;
        handbook.seq = existing.iter().map(|h| h.seq + 1).max().unwrap_or(0);
        if let Some(other) = existing.iter().find(|h| h.same_paper_handbook(&handbook)) {
            return Err(WalletError::Duplicate {
                existing: other.id.clone(),
            });
        }
        let mut batch = Self::put_handbook(Batch::new(), &handbook, photo)?;
        batch = pages::put_all(batch, &handbook, cleaned);
        if self.store.get(Table::Settings, COUNTER_HANDBOOK)?.is_none() {
            batch = batch.put(
                Table::Settings,
                COUNTER_HANDBOOK,
                handbook.id.as_str().as_bytes().to_vec(),
            );
        }
        self.store.commit(batch)?;
        Ok(handbook)
    }

    /// Replaces a handbook's facts. Changed facts are no longer what the portal confirmed, so the
    /// handbook goes back to 未連携 unless nothing changed. Without a new photo the old one stays.
    pub fn update(
        &self,
        id: &str,
        draft: &HandbookDraft,
        photo: Option<&[u8]>,
    ) -> Result<Handbook, WalletError> {
        let old = self.get(id)?;
        let mut new = self.validated(draft, photo)?;
        if let Some(other) = self
            .list()?
            .iter()
            .find(|h| h.id != old.id && h.same_paper_handbook(&new))
        {
            return Err(WalletError::Duplicate {
                existing: other.id.clone(),
            });
        }
        new.id = old.id.clone();
        new.registered_at = old.registered_at;
        new.seq = old.seq;
        if photo.is_none() {
            new.photo.clone_from(&old.photo);
        }
        let unchanged = Handbook {
            linkage: old.linkage.clone(),
            ..new.clone()
        } == old;
        new.linkage = if unchanged {
            old.linkage
        } else {
            LinkageState::Unlinked
        };
        self.store
            .commit(Self::put_handbook(Batch::new(), &new, photo)?)?;
        Ok(new)
    }

    /// Records a new linkage state (the linkage flow calls this).
    pub fn set_linkage(&self, id: &str, linkage: LinkageState) -> Result<Handbook, WalletError> {
        let mut hb = self.get(id)?;
        hb.linkage = linkage;
        self.store
            .commit(Self::put_handbook(Batch::new(), &hb, None)?)?;
        Ok(hb)
    }

    /// All handbooks, in registration order.
    pub fn list(&self) -> Result<Vec<Handbook>, WalletError> {
        let mut all = self
            .store
            .scan(Table::Handbooks)?
            .into_iter()
            .map(|(key, value)| decode(&key, &value))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| {
            a.seq
                .cmp(&b.seq)
                .then(a.registered_at.cmp(&b.registered_at))
        });
        Ok(all)
    }

    /// One handbook by its id or a unique prefix of it.
    pub fn get(&self, id: &str) -> Result<Handbook, WalletError> {
        let id = id.trim();
        if id.is_empty() {
            return Err(WalletError::NotFound(String::new()));
        }
        if let Some(value) = self.store.get(Table::Handbooks, id)? {
            return Ok(decode(id, &value)?);
        }
        let matches: Vec<Handbook> = self
            .list()?
            .into_iter()
            .filter(|h| h.id.as_str().starts_with(id))
            .collect();
        match matches.len() {
            0 => Err(WalletError::NotFound(id.to_owned())),
            1 => Ok(matches.into_iter().next().expect("one match")),
            _ => Err(WalletError::Ambiguous {
                prefix: id.to_owned(),
                matches: matches
                    .iter()
                    .map(|h| h.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The photo's bytes, if the handbook has one.
    pub fn photo(&self, id: &str) -> Result<Option<Vec<u8>>, WalletError> {
        let hb = self.get(id)?;
        Ok(self
            .store
            .get(Table::Photos, hb.id.as_str())?
            .map(|v| v.to_vec()))
    }

    /// Removes a handbook (returned or reissued) with its photo; if it was on the counter, the
    /// next remaining handbook takes its place.
    pub fn withdraw(&self, id: &str) -> Result<Handbook, WalletError> {
        let hb = self.get(id)?;
        let mut batch = Self::delete_pages(
            Batch::new()
                .delete(Table::Handbooks, hb.id.as_str())
                .delete(Table::Photos, hb.id.as_str()),
            &hb,
        );
        let dropped: Vec<String> = self
            .credentials(hb.id.as_str())?
            .into_iter()
            .map(|c| c.device_key)
            .collect();
        for alias in &dropped {
            batch = batch.delete(Table::DeviceKeys, alias.clone());
        }
        for key in self.credential_keys(&hb.id)? {
            batch = batch.delete(Table::Credentials, key);
        }
        if self.selected_id()?.as_deref() == Some(hb.id.as_str()) {
            let next = self.list()?.into_iter().find(|h| h.id != hb.id);
            batch = match next {
                Some(n) => batch.put(
                    Table::Settings,
                    COUNTER_HANDBOOK,
                    n.id.as_str().as_bytes().to_vec(),
                ),
                None => batch.delete(Table::Settings, COUNTER_HANDBOOK),
            };
        }
        self.store.commit(batch)?;
        self.forget_hardware_keys(dropped.iter());
        Ok(hb)
    }

    /// Makes `n` device keys for a credential batch: in the platform keystore when there is one,
    /// else software P-256 keys sealed in the store. The store records every alias (with the
    /// public key for hardware keys), so a failed linkage or a withdrawal can delete them.
    pub fn create_device_keys(&self, n: usize) -> Result<Vec<(String, PublicKey)>, WalletError> {
        let mut batch = Batch::new();
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let (alias, public, sealed) = if let Some(ks) = &self.keystore {
                let alias = format!("{HARDWARE_PREFIX}{}", HandbookId::random());
                let public = ks.create(&alias).map_err(|e| {
                    self.forget_hardware_keys(out.iter().map(|(a, _)| a));
                    WalletError::from(PresentError::DeviceKey(e))
                })?;
                let sec1 = public.uncompressed().to_vec();
                (alias, public, sec1)
            } else {
                let key = SoftwareKey::generate();
                let alias = format!("sw-{}", HandbookId::random());
                (alias, key.public(), key.pkcs8().to_vec())
            };
            batch = batch.put(Table::DeviceKeys, alias.clone(), sealed);
            out.push((alias, public));
        }
        if let Err(e) = self.store.commit(batch) {
            self.forget_hardware_keys(out.iter().map(|(a, _)| a));
            return Err(e.into());
        }
        Ok(out)
    }

    /// Deletes device keys that were never bound to a credential (a failed linkage).
    pub fn delete_device_keys(&self, aliases: &[String]) -> Result<(), WalletError> {
        let batch = aliases
            .iter()
            .fold(Batch::new(), |b, a| b.delete(Table::DeviceKeys, a.clone()));
        self.store.commit(batch)?;
        self.forget_hardware_keys(aliases.iter());
        Ok(())
    }

    /// Asks the platform keystore to delete keys the store no longer refers to. Best effort: a
    /// key left behind signs nothing any verifier accepts, since its credential is gone.
    fn forget_hardware_keys<'s>(&self, aliases: impl Iterator<Item = &'s String>) {
        if let Some(ks) = &self.keystore {
            for alias in aliases.filter(|a| a.starts_with(HARDWARE_PREFIX)) {
                let _ = ks.delete(alias);
            }
        }
    }

    fn device_key(&self, alias: &str) -> Result<Box<dyn DeviceKey>, WalletError> {
        let sealed = self
            .store
            .get(Table::DeviceKeys, alias)?
            .ok_or(PresentError::DeviceKey(DeviceKeyError::KeyLost))?;
        let corrupt = |why: &str| {
            WalletError::Store(StoreError::Corrupt {
                table: Table::DeviceKeys.name(),
                key: alias.to_owned(),
                why: why.into(),
            })
        };
        if alias.starts_with(HARDWARE_PREFIX) {
            // A store moved to another phone (or opened without its keystore) has no hardware
            // key: the holder links again on this phone.
            let store = self
                .keystore
                .clone()
                .ok_or(PresentError::DeviceKey(DeviceKeyError::KeyLost))?;
            let public = PublicKey::from_sec1(&sealed).map_err(|_| corrupt("not a P-256 point"))?;
            return Ok(Box::new(StoredKey {
                store,
                alias: alias.to_owned(),
                public,
            }));
        }
        let key = SoftwareKey::from_pkcs8(&sealed).map_err(|_| corrupt("not a P-256 key"))?;
        Ok(Box::new(key))
    }

    /// Replaces the credentials held for a handbook (and drops the device keys of the old ones).
    pub fn store_credentials(&self, id: &str, creds: &[HeldCredential]) -> Result<(), WalletError> {
        let hb = self.get(id)?;
        let mut batch = Batch::new();
        let keep: Vec<&str> = creds.iter().map(|c| c.device_key.as_str()).collect();
        let dropped: Vec<String> = self
            .credentials(hb.id.as_str())?
            .into_iter()
            .map(|c| c.device_key)
            .filter(|a| !keep.contains(&a.as_str()))
            .collect();
        for alias in &dropped {
            batch = batch.delete(Table::DeviceKeys, alias.clone());
        }
        for key in self.credential_keys(&hb.id)? {
            batch = batch.delete(Table::Credentials, key);
        }
        for (n, c) in creds.iter().enumerate() {
            let json = serde_json::to_vec(c).map_err(StoreError::io)?;
            batch = batch.put(Table::Credentials, format!("{}/{n:03}", hb.id), json);
        }
        self.store.commit(batch)?;
        self.forget_hardware_keys(dropped.iter());
        Ok(())
    }

    fn credential_keys(&self, id: &HandbookId) -> Result<Vec<String>, WalletError> {
        let prefix = format!("{id}/");
        Ok(self
            .store
            .keys(Table::Credentials)?
            .into_iter()
            .filter(|k| k.starts_with(&prefix))
            .collect())
    }

    /// The credentials held for a handbook.
    pub fn credentials(&self, id: &str) -> Result<Vec<HeldCredential>, WalletError> {
        let hb = self.get(id)?;
        let mut out = Vec::new();
        for key in self.credential_keys(&hb.id)? {
            if let Some(v) = self.store.get(Table::Credentials, &key)? {
                out.push(serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                    table: Table::Credentials.name(),
                    key: key.clone(),
                    why: e.to_string(),
                })?);
            }
        }
        Ok(out)
    }

    /// Presents a handbook (the counter one when `id` is `None`): picks a current credential that
    /// can show `claims` (the compact counter profile when it fits), rotating through the batch
    /// with every 30-second step (and, for a site, its audience), so presentations at two places
    /// minutes apart carry different credentials: different device keys, status indices, salts
    /// and signatures, nothing an operator could join on. Signs a display token.
    pub fn present(
        &self,
        id: Option<&str>,
        claims: &[ClaimId],
        challenge: Option<&Challenge>,
    ) -> Result<(Handbook, Payload), WalletError> {
        let (hb, payload, _) = self.present_carrying(id, claims, challenge, None)?;
        Ok((hb, payload))
    }

    /// [`Wallet::present`], carrying a coupon (`<operator>/<coupon id>`) in the token; also
    /// returns the device key that signed it, for statements made alongside.
    fn present_carrying(
        &self,
        id: Option<&str>,
        claims: &[ClaimId],
        challenge: Option<&Challenge>,
        coupon: Option<&str>,
    ) -> Result<(Handbook, Payload, Box<dyn DeviceKey>), WalletError> {
        let hb = match id {
            Some(id) => self.get(id)?,
            None => self
                .counter_handbook()?
                .ok_or_else(|| WalletError::NotFound(String::new()))?,
        };
        let today = self.today();
        let held = self.credentials(hb.id.as_str())?;
        let usable: Vec<&HeldCredential> = held
            .iter()
            .filter(|c| c.is_current(today) && c.can_disclose(claims))
            .collect();
        let counter: Vec<&HeldCredential> = usable
            .iter()
            .copied()
            .filter(|c| c.profile == Profile::Counter)
            .collect();
        let pool = if counter.is_empty() { usable } else { counter };
        if pool.is_empty() {
            return Err(WalletError::NoCredential(hb.id.to_string()));
        }
        let site = challenge.map_or(0u64, |c| {
            c.audience
                .bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        });
        let step = crate::token::time::step_of(self.clock.now());
        let pick = usize::try_from(step.wrapping_add(site) % pool.len() as u64).unwrap_or(0);
        let chosen = pool[pick];
        let key = self.device_key(&chosen.device_key)?;
        let declared = self.support_profile()?.qr_codes();
        let payload = present_with(
            chosen,
            key.as_ref(),
            self.clock.now(),
            claims,
            challenge,
            &Extras {
                declared: &declared,
                coupon,
            },
        )?;
        Ok((hb, payload, key))
    }

    /// The counter screen for the chosen handbook at the clock's time (`None`: no handbook yet).
    /// `min_token_version` comes from the cached trust list ("update the app" when too new).
    pub fn counter_screen(
        &self,
        options: crate::screen::Options,
        min_token_version: u32,
    ) -> Result<Option<crate::screen::CounterScreen>, WalletError> {
        let all = self.list()?;
        let support = crate::screen::support::band(&self.support_profile()?, options.lang);
        Ok(self.counter_handbook()?.map(|hb| {
            let mut screen =
                crate::screen::build(&hb, &all, min_token_version, self.clock.now(), options);
            screen.support = support;
            screen
        }))
    }

    /// Chooses the handbook shown at the counter (one tap to switch).
    pub fn select_for_counter(&self, id: &str) -> Result<Handbook, WalletError> {
        let hb = self.get(id)?;
        self.store.commit(Batch::new().put(
            Table::Settings,
            COUNTER_HANDBOOK,
            hb.id.as_str().as_bytes().to_vec(),
        ))?;
        Ok(hb)
    }

    /// The handbook chosen for the counter, or the first registered one.
    pub fn counter_handbook(&self) -> Result<Option<Handbook>, WalletError> {
        if let Some(id) = self.selected_id()? {
            match self.get(&id) {
                Ok(hb) => return Ok(Some(hb)),
                Err(WalletError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.list()?.into_iter().next())
    }

    fn selected_id(&self) -> Result<Option<String>, WalletError> {
        Ok(self
            .store
            .get(Table::Settings, COUNTER_HANDBOOK)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Opens every record, and decodes every handbook, without stopping at the first problem.
    pub fn check(&self) -> Result<CheckReport, WalletError> {
        let mut report = self.store.check()?;
        let unreadable: Vec<String> = report
            .damaged
            .iter()
            .filter(|d| d.table == Table::Handbooks.name())
            .map(|d| d.key.clone())
            .collect();
        for key in self.store.keys(Table::Handbooks)? {
            if unreadable.contains(&key) {
                continue;
            }
            if let Some(value) = self.store.get(Table::Handbooks, &key)? {
                if let Err(StoreError::Corrupt { table, key, why }) = decode(&key, &value) {
                    report.damaged.push(DamagedRecord { table, key, why });
                }
            }
        }
        Ok(report)
    }

    /// Deletes what a check found damaged.
    pub fn drop_damaged(&self, damaged: &[DamagedRecord]) -> Result<(), WalletError> {
        Ok(self.store.drop_damaged(damaged)?)
    }

    /// Every readable handbook and photo, plus a list of what could not be read.
    pub fn export(&self) -> Result<Export, WalletError> {
        let report = self.check()?;
        let is_damaged = |table: Table, key: &str| {
            report
                .damaged
                .iter()
                .any(|d| d.table == table.name() && d.key == key)
        };
        let mut handbooks = Vec::new();
        let mut photos = Vec::new();
        let mut pages = Vec::new();
        for key in self.store.keys(Table::Handbooks)? {
            if is_damaged(Table::Handbooks, &key) {
                continue;
            }
            if let Some(value) = self.store.get(Table::Handbooks, &key)? {
                let hb = decode(&key, &value)?;
                if !is_damaged(Table::Photos, &key) {
                    if let Some(p) = self.store.get(Table::Photos, &key)? {
                        photos.push((hb.id.clone(), p.to_vec()));
                    }
                }
                for n in 0..hb.pages.len() {
                    if let Ok(Some(bytes)) = self.page(hb.id.as_str(), n) {
                        pages.push((hb.id.clone(), n, bytes));
                    }
                }
                handbooks.push(hb);
            }
        }
        Ok(Export {
            schema_version: report.schema_version,
            handbooks,
            photos,
            pages,
            support: self.support_profile().ok().filter(|p| !p.is_empty()),
            damaged: report.damaged,
        })
    }

    fn validated(
        &self,
        draft: &HandbookDraft,
        photo: Option<&[u8]>,
    ) -> Result<Handbook, WalletError> {
        let handbook = draft.validate(photo, self.clock.now())?;
        let today = self.today();
        if handbook.dates.issued > today {
            return Err(InvalidHandbook(vec![ValidationError::new(
                Field::Issued,
                Problem::InFuture {
                    date: handbook.dates.issued,
                    today,
                },
            )])
            .into());
        }
        Ok(handbook)
    }

    fn put_handbook(
        batch: Batch,
        hb: &Handbook,
        photo: Option<&[u8]>,
    ) -> Result<Batch, WalletError> {
        let json = serde_json::to_vec(hb).map_err(StoreError::io)?;
        let batch = batch.put(Table::Handbooks, hb.id.as_str(), json);
        Ok(match photo {
            Some(bytes) => batch.put(Table::Photos, hb.id.as_str(), bytes.to_vec()),
            None if hb.photo.is_none() => batch.delete(Table::Photos, hb.id.as_str()),
            None => batch,
        })
    }
}

fn decode(key: &str, value: &[u8]) -> Result<Handbook, StoreError> {
    serde_json::from_slice(value).map_err(|e| StoreError::Corrupt {
        table: Table::Handbooks.name(),
        key: key.to_owned(),
        why: format!("record does not decode: {e}"),
    })
}
