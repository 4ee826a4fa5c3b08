//! `Wallet`: the holder's handbooks, counter screen, presentations and linkage.

use crate::TechoError;
use crate::card::{CardTransport, ForeignCard};
use crate::clock::{ForeignClock, WalletClock};
use crate::keys::{DataKeyProvider, DeviceKeyStore, ForeignDataKey, ForeignDeviceKeys};
use crate::records::{
    CounterOptions, CounterView, HandbookSummary, Language, LinkageInfo, Presentation, ScreenItem,
    linkage_info, screen_item, summary,
};
use crate::service::TechoService;
use std::sync::Arc;
use techo_core::card::{LastTry, Pin};
use techo_core::model::HandbookId;
use techo_core::token::{ClaimId, QrImage};
use techo_core::wallet::LinkOptions;

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

    /// Registers a handbook from its TOML form (the registration screen builds the same fields).
    pub fn register_toml(
        &self,
        toml: String,
        photo: Option<Vec<u8>>,
        lang: Language,
    ) -> Result<HandbookSummary, TechoError> {
        let draft = techo_core::model::HandbookDraft::from_toml(&toml).map_err(TechoError::bad)?;
        let hb = self.inner.add(&draft, photo.as_deref())?;
        Ok(summary(&hb, self.inner.today(), lang.into()))
    }

    pub fn handbooks(&self, lang: Language) -> Result<Vec<HandbookSummary>, TechoError> {
        let today = self.inner.today();
        Ok(self
            .inner
            .list()?
            .iter()
            .map(|h| summary(h, today, lang.into()))
            .collect())
    }

    /// The handbook's photo (PNG or JPEG bytes), for the counter screen's enlarge view.
    pub fn photo(&self, handbook_id: String) -> Result<Option<Vec<u8>>, TechoError> {
        Ok(self.inner.photo(&id(handbook_id))?)
    }

    /// The linkage state as stored (no network): 未連携 / 申請中 / 連携済.
    pub fn linkage(&self, handbook_id: String, lang: Language) -> Result<LinkageInfo, TechoError> {
        Ok(linkage_info(
            &self.inner.get(&id(handbook_id))?.linkage,
            lang.into(),
        ))
    }

    /// Chooses the handbook shown at the counter.
    pub fn select_for_counter(&self, handbook_id: String) -> Result<(), TechoError> {
        self.inner.select_for_counter(&id(handbook_id))?;
        Ok(())
    }

    /// The counter screen now (`None` until a handbook is registered).
    pub fn counter_screen(
        &self,
        options: CounterOptions,
    ) -> Result<Option<CounterView>, TechoError> {
        Ok(self
            .inner
            .counter_screen(options.into(), techo_core::screen::TOKEN_VERSION)?
            .map(CounterView::from))
    }

    /// The counter screen's items in staff check order (the screen-reader list).
    pub fn counter_items(&self, lang: Language) -> Result<Vec<ScreenItem>, TechoError> {
        let options = techo_core::screen::Options {
            lang: lang.into(),
            ..techo_core::screen::Options::default()
        };
        Ok(self
            .inner
            .counter_screen(options, techo_core::screen::TOKEN_VERSION)?
            .map(|s| s.items.into_iter().map(screen_item).collect())
            .unwrap_or_default())
    }

    /// Signs a fresh counter presentation (the counter handbook when `handbook_id` is `None`).
    /// Call it again when the screen's QR countdown reaches zero.
    pub fn present(&self, handbook_id: Option<String>) -> Result<Presentation, TechoError> {
        let (hb, payload) =
            self.inner
                .present(handbook_id.map(id).as_ref(), &ClaimId::COUNTER, None)?;
        let qr = QrImage::for_payload(&payload).map_err(TechoError::bad)?;
        Ok(Presentation {
            handbook_id: hb.id.to_string(),
            text: payload.text(),
            binary: payload.binary(),
            qr_version: qr.version,
            qr_width: u32::try_from(qr.width).unwrap_or(0),
            qr_modules: qr.modules,
        })
    }

    /// Replaces the holder's support profile (TOML, see fixtures/profiles/); empty text clears it.
    pub fn set_support_profile_toml(&self, toml: String) -> Result<(), TechoError> {
        let profile =
            techo_core::model::SupportProfile::from_toml(&toml).map_err(TechoError::bad)?;
        Ok(self.inner.set_support_profile(&profile)?)
    }

    /// Adds a photographed handbook page (metadata removed before it is stored); returns how
    /// many pages the handbook now has.
    pub fn add_page(&self, handbook_id: String, image: Vec<u8>) -> Result<u32, TechoError> {
        let (hb, _) = self.inner.add_page(&id(handbook_id), &image)?;
        Ok(u32::try_from(hb.pages.len()).unwrap_or(u32::MAX))
    }

    /// Page `index` (0-based) for the enlarged view, with its clockwise rotation in degrees.
    pub fn page(
        &self,
        handbook_id: String,
        index: u32,
    ) -> Result<Option<PageImageData>, TechoError> {
        let n = usize::try_from(index).unwrap_or(usize::MAX);
        let hb = self.inner.get(&id(handbook_id))?;
        Ok(self.inner.page(&hb.id, n)?.map(|bytes| PageImageData {
            bytes,
            rotation: hb.pages.get(n).map_or(0, |p| p.rotation),
        }))
    }

    /// Removes a handbook, its photo, credentials and device keys.
    pub fn withdraw(&self, handbook_id: String) -> Result<(), TechoError> {
        self.inner.withdraw(&id(handbook_id))?;
        Ok(())
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Wallet {
    /// Links a handbook with the holder's card: techo-server session, portal challenge signed by
    /// the card, consent, credentials. `confirm_last_try`: the holder saw "one try left" and
    /// chose to go on. `on_behalf_of`: a guardian consenting with their own card as the holder's
    /// registered proxy (the principal as the portal lists them). On failure the handbook keeps
    /// the state it had.
    #[allow(clippy::too_many_arguments, reason = "one call from the link screen")]
    pub async fn link(
        &self,
        service: Arc<TechoService>,
        handbook_id: String,
        card: Arc<dyn CardTransport>,
        pin: String,
        confirm_last_try: bool,
        on_behalf_of: Option<String>,
        lang: Language,
    ) -> Result<LinkageInfo, TechoError> {
        let pin =
            Pin::parse(&pin).map_err(|e| TechoError::from(techo_core::card::CardError::from(e)))?;
        let last_try = if confirm_last_try {
            LastTry::Confirmed
        } else {
            LastTry::Refuse
        };
        let mut card = ForeignCard(card);
        let options = LinkOptions {
            on_behalf_of,
            ..LinkOptions::default()
        };
        let state = self
            .inner
            .link(
                &service.client,
                &id(handbook_id),
                &mut card,
                &pin,
                last_try,
                &options,
            )
            .await?;
        Ok(linkage_info(&state, lang.into()))
    }

    /// Asks techo-server how a pending (申請中) or linked handbook is doing and stores the answer
    /// (new credentials, revocation).
    pub async fn refresh_linkage(
        &self,
        service: Arc<TechoService>,
        handbook_id: String,
        lang: Language,
    ) -> Result<LinkageInfo, TechoError> {
        let state = self
            .inner
            .refresh_linkage(&service.client, &id(handbook_id))
            .await?;
        Ok(linkage_info(&state, lang.into()))
    }

    /// Withdraws consent: the server revokes and forgets; the wallet drops the credentials.
    pub async fn unlink(
        &self,
        service: Arc<TechoService>,
        handbook_id: String,
        lang: Language,
    ) -> Result<LinkageInfo, TechoError> {
        let state = self.inner.unlink(&service.client, &id(handbook_id)).await?;
        Ok(linkage_info(&state, lang.into()))
    }
}

/// A page image ready to draw.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PageImageData {
    pub bytes: Vec<u8>,
    /// Clockwise degrees to show it upright.
    pub rotation: u16,
}

fn id(text: String) -> HandbookId {
    HandbookId::from_string(text)
}
