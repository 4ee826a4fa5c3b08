//! The one error type foreign callers see. Each variant carries the core's ja/en message in
//! `detail`; the PIN variants carry what the PIN screen needs (tries left).

use techo_core::card::CardError;
use techo_core::linkage::LinkError;
use techo_core::portal::ClientError;
use techo_core::site::SiteError;

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum TechoError {
    /// The handbook's fields do not validate: `fields` has one message per wrong field (in the
    /// language the call asked for), `detail` all of them at once.
    #[error("{detail}")]
    InvalidHandbook {
        detail: String,
        fields: Vec<crate::form::FieldProblem>,
    },
    #[error("{detail}")]
    NotFound { detail: String },
    /// The encrypted store cannot be opened or is damaged; nothing was deleted.
    #[error("{detail}")]
    Store { detail: String },
    /// No current credential to present: link the handbook.
    #[error("{detail}")]
    NothingToPresent { detail: String },
    /// The platform keystore failed or the holder cancelled the biometric prompt.
    #[error("{detail}")]
    DeviceKey { detail: String },
    /// The device key needs the holder to unlock (the app lock) before it signs: show the lock,
    /// then present again. Nothing was used up.
    #[error("{detail}")]
    NotUnlocked { detail: String },
    /// A presentation failed verification; `code` is stable, `detail` is for people.
    #[error("{code}: {detail}")]
    Rejected { code: String, detail: String },
    #[error("{detail}")]
    BadInput { detail: String },
    /// Wrong card PIN: show `tries_left` and let the holder decide.
    #[error("{detail}")]
    WrongPin { tries_left: u8, detail: String },
    /// One try left: ask the holder to confirm before sending the PIN again.
    #[error("{detail}")]
    LastTryNeedsConfirmation { detail: String },
    #[error("{detail}")]
    PinBlocked { detail: String },
    /// The card was pulled away, timed out, or answered something unreadable.
    #[error("{detail}")]
    Card { detail: String },
    /// techo-server or the portal could not be reached or did not answer in time.
    #[error("{detail}")]
    Network { detail: String },
    /// The portal or techo-server refused (closed hours, no handbook record, consent refused).
    #[error("{detail}")]
    Refused { detail: String },
}

impl TechoError {
    pub(crate) fn bad(detail: impl std::fmt::Display) -> Self {
        TechoError::BadInput {
            detail: detail.to_string(),
        }
    }

    /// A wallet error, with the form's field messages in `lang`.
    pub(crate) fn in_lang(e: techo_core::WalletError, lang: techo_core::Lang) -> Self {
        use techo_core::WalletError as W;
        let detail = lang.part_of(&e.to_string());
        match &e {
            W::Invalid(invalid) => TechoError::InvalidHandbook {
                fields: crate::form::field_problems(invalid, Some(lang)),
                detail,
            },
            _ => e.into(),
        }
    }
}

impl From<techo_core::WalletError> for TechoError {
    fn from(e: techo_core::WalletError) -> Self {
        use techo_core::WalletError as W;
        use techo_core::token::{DeviceKeyError, PresentError};
        let detail = e.to_string();
        match e {
            W::Invalid(invalid) => TechoError::InvalidHandbook {
                detail,
                fields: crate::form::field_problems(&invalid, None),
            },
            W::Duplicate { .. } => TechoError::InvalidHandbook {
                fields: vec![crate::form::FieldProblem {
                    field: "number".into(),
                    message: detail.clone(),
                }],
                detail,
            },
            W::NotFound(_) => TechoError::NotFound { detail },
            W::PhotoRequired => TechoError::InvalidHandbook {
                fields: vec![crate::form::FieldProblem {
                    field: "photo".into(),
                    message: detail.clone(),
                }],
                detail,
            },
            W::Support(_) | W::Coupon(_) | W::Transition(_) | W::DevIssuer(_) | W::Qr(_) => {
                TechoError::BadInput { detail }
            }
            W::Present(PresentError::DeviceKey(DeviceKeyError::NotUnlocked)) => {
                TechoError::NotUnlocked { detail }
            }
            W::Present(PresentError::DeviceKey(_)) => TechoError::DeviceKey { detail },
            W::NoCredential(_) | W::Present(_) => TechoError::NothingToPresent { detail },
            W::Store(_) => TechoError::Store { detail },
            W::Site(e) => e.into(),
        }
    }
}

impl From<CardError> for TechoError {
    fn from(e: CardError) -> Self {
        let detail = e.to_string();
        match e {
            CardError::WrongPin { tries_left } => TechoError::WrongPin { tries_left, detail },
            CardError::LastTryNeedsConfirmation => TechoError::LastTryNeedsConfirmation { detail },
            CardError::PinBlocked => TechoError::PinBlocked { detail },
            CardError::PinFormat(_) | CardError::SigningPinFormat(_) => {
                TechoError::BadInput { detail }
            }
            _ => TechoError::Card { detail },
        }
    }
}

impl From<SiteError> for TechoError {
    fn from(e: SiteError) -> Self {
        let detail = e.to_string();
        match e {
            SiteError::Card(c) => c.into(),
            SiteError::Unreachable(_) => TechoError::Network { detail },
            SiteError::SiteRefused(_) => TechoError::Refused { detail },
            SiteError::DeviceKey(_) => TechoError::DeviceKey { detail },
            other => TechoError::Rejected {
                code: other.code().to_owned(),
                detail,
            },
        }
    }
}

impl From<ClientError> for TechoError {
    fn from(e: ClientError) -> Self {
        let detail = e.to_string();
        match e {
            ClientError::Refused { .. } => TechoError::Refused { detail },
            ClientError::Unreachable(_)
            | ClientError::Timeout(_)
            | ClientError::Malformed
            | ClientError::Tls(_)
            | ClientError::Untrusted(_)
            | ClientError::NotHttps(_)
            | ClientError::UnknownPortal(_)
            | ClientError::StatusRollback { .. } => TechoError::Network { detail },
        }
    }
}

impl From<LinkError> for TechoError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Wallet(w) => w.into(),
            LinkError::Card(c) => c.into(),
            LinkError::Client(c) => c.into(),
            other @ (LinkError::Refused { .. } | LinkError::NoSession) => TechoError::Refused {
                detail: other.to_string(),
            },
        }
    }
}
