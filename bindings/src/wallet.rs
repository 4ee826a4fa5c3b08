//! `Wallet`: the holder's handbooks and what is kept about them. The counter screen is a
//! [`crate::CounterSession`], linking a [`crate::LinkFlow`]; both run on this wallet.

use crate::TechoError;
use crate::clock::{ForeignClock, WalletClock};
use crate::form::HandbookForm;
use crate::keys::{DataKeyProvider, DeviceKeyStore, ForeignDataKey, ForeignDeviceKeys};
use crate::records::{
    HandbookSummary, Language, LinkageInfo, ScreenItem, linkage_info, screen_item, summary,
};
use crate::service::TechoService;
use std::sync::Arc;
use techo_core::model::{HandbookDraft, HandbookId, SupportProfile};

#[derive(Debug, uniffi::Object)]
pub struct Wallet {
    inner: techo_core::Wallet,
}

impl Wallet {
    pub(crate) fn core(&self) -> &techo_core::Wallet {
        &self.inner
    }
}

#[uniffi::export]
impl Wallet {
    /// Opens (or creates) the wallet in `data_dir`. `keys` gives the store's data key;
    /// `device_keys` holds the device keys (`None`: software keys sealed in the store, for
    /// desktops and tests); `clock` is the platform clock (`None`: the system clock).
    #[uniffi::constructor]
    pub fn open(
        data_dir: String,
        keys: Arc<dyn DataKeyProvider>,
        device_keys: Option<Arc<dyn DeviceKeyStore>>,
        clock: Option<Arc<dyn WalletClock>>,
    ) -> Result<Arc<Self>, TechoError> {
        let clock: Arc<dyn techo_core::Clock> = match clock {
            Some(c) => Arc::new(ForeignClock(c)),
            None => Arc::new(techo_core::SystemClock),
        };
        let mut inner = techo_core::Wallet::open(
            std::path::Path::new(&data_dir),
            &ForeignDataKey(keys),
            clock,
        )?;
        if let Some(ks) = device_keys {
            inner = inner.with_device_keystore(Arc::new(ForeignDeviceKeys(ks)));
        }
        Ok(Arc::new(Self { inner }))
    }

    /// Registers a handbook typed on the register screen (未連携). A refusal names each wrong
    /// field, in `lang`.
    pub fn register(
        &self,
        form: HandbookForm,
        photo: Option<Vec<u8>>,
        lang: Language,
    ) -> Result<HandbookSummary, TechoError> {
        let hb = self
            .inner
            .add(&HandbookDraft::from(&form), photo.as_deref())
            .map_err(|e| TechoError::in_lang(e, lang.into()))?;
        Ok(summary(&hb, self.inner.today(), lang.into()))
    }

    /// Replaces a handbook's facts (and photo, when given). Changed facts make it 未連携 again.
    pub fn update(
        &self,
        handbook_id: HandbookId,
        form: HandbookForm,
        photo: Option<Vec<u8>>,
        lang: Language,
    ) -> Result<HandbookSummary, TechoError> {
        let hb = self
            .inner
            .update(&handbook_id, &HandbookDraft::from(&form), photo.as_deref())
            .map_err(|e| TechoError::in_lang(e, lang.into()))?;
        Ok(summary(&hb, self.inner.today(), lang.into()))
    }

    /// Every handbook as a list row. A renewal waiting for the portal is said under 連携済.
    pub fn handbooks(&self, lang: Language) -> Result<Vec<HandbookSummary>, TechoError> {
        let today = self.inner.today();
        let mut rows = Vec::new();
        for h in self.inner.list()? {
            let mut row = summary(&h, today, lang.into());
            if row.linkage.notice.is_none() {
                row.linkage.notice = self.inner.renewal_notice(&h.id, lang.into())?;
            }
            rows.push(row);
        }
        Ok(rows)
    }

    /// The handbook's photo (PNG or JPEG bytes), for the counter screen's enlarge view.
    pub fn photo(&self, handbook_id: HandbookId) -> Result<Option<Vec<u8>>, TechoError> {
        Ok(self.inner.photo(&handbook_id)?)
    }

    /// The linkage state as stored (no network): 未連携 / 申請中 / 連携済.
    pub fn linkage(
        &self,
        handbook_id: HandbookId,
        lang: Language,
    ) -> Result<LinkageInfo, TechoError> {
        Ok(linkage_info(
            &self.inner.get(&handbook_id)?.linkage,
            self.inner.today(),
            lang.into(),
        ))
    }

    /// Chooses the handbook shown at the counter.
    pub fn select_for_counter(&self, handbook_id: HandbookId) -> Result<(), TechoError> {
        self.inner.select_for_counter(&handbook_id)?;
        Ok(())
    }

    /// The counter screen's items in staff check order (the screen-reader list).
    pub fn counter_items(&self, lang: Language) -> Result<Vec<ScreenItem>, TechoError> {
        let options = techo_core::screen::Options {
            lang: lang.into(),
            ..techo_core::screen::Options::default()
        };
        Ok(self
            .inner
            .counter_screen(options, self.inner.min_token_version()?)?
            .map(|s| s.items.into_iter().map(screen_item).collect())
            .unwrap_or_default())
    }

    /// The holder's support profile (empty until set).
    pub fn support_profile(&self) -> Result<SupportProfile, TechoError> {
        Ok(self.inner.support_profile()?)
    }

    /// Replaces the support profile; an empty one clears it. A refusal says which item.
    pub fn set_support_profile(&self, profile: SupportProfile) -> Result<(), TechoError> {
        Ok(self.inner.set_support_profile(&profile)?)
    }

    /// Adds a photographed handbook page (metadata removed before it is stored); returns how
    /// many pages the handbook now has.
    pub fn add_page(&self, handbook_id: HandbookId, image: Vec<u8>) -> Result<u32, TechoError> {
        let (hb, _) = self.inner.add_page(&handbook_id, &image)?;
        Ok(u32::try_from(hb.pages.len()).unwrap_or(u32::MAX))
    }

    /// Page `index` (0-based) for the enlarged view, with its clockwise rotation in degrees.
    pub fn page(
        &self,
        handbook_id: HandbookId,
        index: u32,
    ) -> Result<Option<PageImageData>, TechoError> {
        let n = usize::try_from(index).unwrap_or(usize::MAX);
        let hb = self.inner.get(&handbook_id)?;
        Ok(self.inner.page(&hb.id, n)?.map(|bytes| PageImageData {
            bytes,
            rotation: hb.pages.get(n).map_or(0, |p| p.rotation),
        }))
    }

    /// What opening this wallet restored from the store's second copy after damage, to tell the
    /// holder once (`None`: the store opened whole).
    pub fn store_recovery(&self, lang: Language) -> Option<String> {
        self.inner.store_recovery().map(|r| r.describe(lang.into()))
    }

    /// How many page images handbook `handbook_id` has.
    pub fn page_count(&self, handbook_id: HandbookId) -> Result<u32, TechoError> {
        Ok(u32::try_from(self.inner.get(&handbook_id)?.pages.len()).unwrap_or(u32::MAX))
    }

    /// Removes page `index` (0-based); returns how many are left.
    pub fn remove_page(&self, handbook_id: HandbookId, index: u32) -> Result<u32, TechoError> {
        let n = usize::try_from(index).unwrap_or(usize::MAX);
        let hb = self.inner.remove_page(&handbook_id, n)?;
        Ok(u32::try_from(hb.pages.len()).unwrap_or(u32::MAX))
    }

    /// Removes a handbook, its photo, credentials and device keys.
    pub fn withdraw(&self, handbook_id: HandbookId) -> Result<(), TechoError> {
        self.inner.withdraw(&handbook_id)?;
        Ok(())
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Wallet {
    /// Asks techo-server how a pending (申請中) or linked handbook is doing and stores the answer
    /// (new credentials, revocation).
    pub async fn refresh_linkage(
        &self,
        service: Arc<TechoService>,
        handbook_id: HandbookId,
        lang: Language,
    ) -> Result<LinkageInfo, TechoError> {
        let state = self
            .inner
            .refresh_linkage(&service.client, &handbook_id)
            .await?;
        Ok(linkage_info(&state, self.inner.today(), lang.into()))
    }

    /// Links `handbook_id` with the smartphone certificate instead of the card: keys, session
    /// and challenge first, then `signer` once, then the consent and credentials, as with the
    /// card. A cancelled authentication leaves the handbook as it was.
    pub async fn link_with_signer(
        &self,
        service: Arc<TechoService>,
        handbook_id: HandbookId,
        signer: Arc<dyn crate::card::JpkiSigner>,
        lang: Language,
    ) -> Result<LinkageInfo, TechoError> {
        let mut signer = crate::card::ForeignSigner(signer);
        let state = self
            .inner
            .link_with_signer(
                &service.client,
                &handbook_id,
                &mut signer,
                &techo_core::wallet::LinkOptions::default(),
            )
            .await?;
        Ok(linkage_info(&state, self.inner.today(), lang.into()))
    }

    /// Withdraws consent: the server revokes and forgets; the wallet drops the credentials.
    pub async fn unlink(
        &self,
        service: Arc<TechoService>,
        handbook_id: HandbookId,
        lang: Language,
    ) -> Result<LinkageInfo, TechoError> {
        let state = self.inner.unlink(&service.client, &handbook_id).await?;
        Ok(linkage_info(&state, self.inner.today(), lang.into()))
    }
}

/// Deletes the wallet in `data_dir` (store and desktop key file): the way out when this phone's
/// keys are gone (a restored or transferred phone) and the store cannot be opened.
#[uniffi::export]
pub fn reset_wallet(data_dir: String) -> Result<(), TechoError> {
    Ok(techo_core::Wallet::reset(std::path::Path::new(&data_dir))?)
}

/// A page image ready to draw.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PageImageData {
    pub bytes: Vec<u8>,
    /// Clockwise degrees to show it upright.
    pub rotation: u16,
}
