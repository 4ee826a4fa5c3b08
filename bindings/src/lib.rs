//! The surface the phones (and Python booking sites) see. Thin: it converts between uniffi
//! records and techo-core types and maps errors; every decision stays in the core.

#![allow(
    clippy::needless_pass_by_value,
    reason = "uniffi passes foreign arguments by value"
)]

use std::sync::Arc;

uniffi::setup_scaffolding!();

/// Errors a foreign caller sees, each with the core's ja/en message.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum TechoError {
    #[error("{0}")]
    InvalidHandbook(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Store(String),
    #[error("{0}")]
    NothingToPresent(String),
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    BadInput(String),
}

impl From<techo_core::WalletError> for TechoError {
    fn from(e: techo_core::WalletError) -> Self {
        use techo_core::WalletError as W;
        let m = e.to_string();
        match e {
            W::Invalid(_) | W::Duplicate { .. } => TechoError::InvalidHandbook(m),
            W::NotFound(_) | W::Ambiguous { .. } => TechoError::NotFound(m),
            W::NoCredential(_) | W::Present(_) => TechoError::NothingToPresent(m),
            W::Store(_) => TechoError::Store(m),
        }
    }
}

/// The store's data key, kept by the platform (Android Keystore, Secure Enclave wrapping).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum DataKeyError {
    #[error("the platform keystore refused: {reason}")]
    Platform { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for DataKeyError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        DataKeyError::Platform { reason: e.reason }
    }
}

#[uniffi::export(with_foreign)]
pub trait DataKeyProvider: Send + Sync {
    /// 32 bytes; with `create` (a new store) a missing key is made and kept.
    fn data_key(&self, create: bool) -> Result<Vec<u8>, DataKeyError>;
}

#[derive(Debug)]
struct ForeignKeys(Arc<dyn DataKeyProvider>);

impl std::fmt::Debug for dyn DataKeyProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKeyProvider")
    }
}

impl techo_core::store::KeyProvider for ForeignKeys {
    fn data_key(
        &self,
        create: bool,
    ) -> Result<techo_core::store::DataKey, techo_core::store::KeyError> {
        let bytes = self
            .0
            .data_key(create)
            .map_err(|e| techo_core::store::KeyError::Platform(e.to_string()))?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            techo_core::store::KeyError::Platform("the data key must be 32 bytes".into())
        })?;
        Ok(techo_core::store::DataKey::from_bytes(arr))
    }
}

/// A handbook as a list row and counter summary.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HandbookSummary {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    pub grade_label: String,
    pub fare_class_label: String,
    pub caregiver_discount: bool,
    pub linkage_label: String,
    pub municipality: String,
    pub valid_today: bool,
}

#[derive(Debug, Clone, Copy, uniffi::Enum)]
pub enum Language {
    Japanese,
    English,
}

impl From<Language> for techo_core::Lang {
    fn from(l: Language) -> Self {
        match l {
            Language::Japanese => techo_core::Lang::Ja,
            Language::English => techo_core::Lang::En,
        }
    }
}

fn summary(
    hb: &techo_core::model::Handbook,
    today: chrono::NaiveDate,
    lang: techo_core::Lang,
) -> HandbookSummary {
    HandbookSummary {
        id: hb.id.to_string(),
        kind: format!("{:?}", hb.kind()).to_lowercase(),
        kind_label: hb.kind().label(lang).into(),
        grade_label: hb.category.grade_label(lang),
        fare_class_label: hb.fare_class.label(lang).into(),
        caregiver_discount: hb.caregiver_discount(),
        linkage_label: hb.linkage.label(lang).into(),
        municipality: hb.municipality.name.clone(),
        valid_today: hb.is_valid_on(today),
    }
}

#[derive(Debug, uniffi::Object)]
pub struct Wallet {
    inner: techo_core::Wallet,
}

#[uniffi::export]
impl Wallet {
    /// Opens (or creates) the wallet in `data_dir`, with the key the platform keeps.
    #[uniffi::constructor]
    pub fn open(data_dir: String, keys: Arc<dyn DataKeyProvider>) -> Result<Arc<Self>, TechoError> {
        let clock: Arc<dyn techo_core::Clock> = Arc::new(techo_core::SystemClock);
        let inner =
            techo_core::Wallet::open(std::path::Path::new(&data_dir), &ForeignKeys(keys), clock)?;
        Ok(Arc::new(Self { inner }))
    }

    /// Registers a handbook from its TOML form (the registration screen builds the same fields).
    pub fn register_toml(
        &self,
        toml: String,
        photo: Option<Vec<u8>>,
        lang: Language,
    ) -> Result<HandbookSummary, TechoError> {
        let draft =
            techo_core::model::HandbookDraft::from_toml(&toml).map_err(TechoError::BadInput)?;
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

    /// Chooses the handbook shown at the counter.
    pub fn select_for_counter(&self, id: String) -> Result<(), TechoError> {
        self.inner.select_for_counter(&id)?;
        Ok(())
    }

    /// The counter screen's items as (label, value, spoken) in staff check order.
    pub fn counter_items(&self, lang: Language) -> Result<Vec<ScreenItem>, TechoError> {
        let options = techo_core::screen::Options {
            lang: lang.into(),
            ..techo_core::screen::Options::default()
        };
        let screen = self
            .inner
            .counter_screen(options, techo_core::screen::TOKEN_VERSION)?;
        Ok(screen
            .map(|s| {
                s.items
                    .into_iter()
                    .map(|i| ScreenItem {
                        label: i.label,
                        value: i.value,
                        spoken: i.spoken,
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    pub fn withdraw(&self, id: String) -> Result<(), TechoError> {
        self.inner.withdraw(&id)?;
        Ok(())
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ScreenItem {
    pub label: String,
    pub value: String,
    pub spoken: String,
}

/// What a verified presentation shows.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Verdict {
    pub issuer: String,
    pub kind: Option<String>,
    pub fare_class: Option<String>,
    pub caregiver: Option<bool>,
    pub linkage: Option<String>,
    pub status_list_age_seconds: i64,
}

/// A verifier for gates, counters and booking sites: pinned root key, cached lists.
#[derive(Debug, uniffi::Object)]
pub struct Verifier {
    trust: techo_core::token::TrustList,
    status: Vec<techo_core::token::StatusList>,
}

#[uniffi::export]
impl Verifier {
    /// Checks the signed trust list against the pinned root key and the status lists against it.
    #[uniffi::constructor]
    pub fn new(
        root_key: Vec<u8>,
        trust_list: Vec<u8>,
        status_lists: Vec<Vec<u8>>,
    ) -> Result<Arc<Self>, TechoError> {
        let bad = |e: String| TechoError::BadInput(e);
        let root =
            techo_core::token::PublicKey::from_sec1(&root_key).map_err(|e| bad(e.to_string()))?;
        let trust = techo_core::token::TrustList::from_signed(&trust_list, &root, None)
            .map_err(|e| bad(e.to_string()))?;
        let status = status_lists
            .iter()
            .map(|b| {
                techo_core::token::StatusList::from_signed(b, &trust)
                    .map_err(|e| bad(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(Self { trust, status }))
    }

    /// Verifies a QR payload (binary or `TK1:` text) at `now_unix` seconds.
    pub fn verify(
        &self,
        payload: Vec<u8>,
        now_unix: i64,
        lang: Language,
    ) -> Result<Verdict, TechoError> {
        let now = chrono::DateTime::from_timestamp(now_unix, 0)
            .ok_or_else(|| TechoError::BadInput("bad time".into()))?;
        let lang: techo_core::Lang = lang.into();
        match techo_core::token::verify(
            &payload,
            &self.trust,
            &self.status,
            now,
            &techo_core::token::Policy::default(),
        ) {
            Ok(v) => Ok(Verdict {
                issuer: v.issuer_name,
                kind: v.claims.kind.map(|k| k.label(lang).to_owned()),
                fare_class: v.claims.fare_class.map(|f| f.label(lang).to_owned()),
                caregiver: v.claims.caregiver,
                linkage: v.claims.linkage.map(|l| l.label(lang).to_owned()),
                status_list_age_seconds: v.status_list_age.num_seconds(),
            }),
            Err(e) => Err(TechoError::Rejected(format!(
                "{}: {}",
                e.code(),
                e.message(lang)
            ))),
        }
    }
}
