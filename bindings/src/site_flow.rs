//! `SiteAnswer`: the booking-site screen, step by step (`techo_core::flows::SiteFlow`). The shell
//! opens it with the site's link (a `techo://site` deep link or a scanned QR code), draws
//! `step()` and forwards the holder's choices, key presses, the password and the card.

use crate::TechoError;
use crate::card::{CardTransport, ForeignCard};
use crate::records::Language;
use crate::wallet::Wallet;
use std::sync::Arc;
use techo_core::flows::{self, CardUse, SiteStage};
use techo_core::model::HandbookId;
use techo_core::site::SiteClient;

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SiteOrderLine {
    pub label: String,
    pub yen: i64,
}

/// What the booking-site screen shows.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SiteStep {
    /// Fetching the request, reading the card or sending: show `text`. `needs_send`: the
    /// holder agreed to a presentation without the card; call `send`.
    Working {
        text: String,
        needs_send: bool,
    },
    /// The site named first (compare `audience` with the site you are on), what it asks for,
    /// and the order in full; "agree" (`accept`) or "do not send" (`decline`).
    Consent {
        site: String,
        audience: String,
        asks: Vec<String>,
        identity_asked: bool,
        order_id: Option<String>,
        order_lines: Vec<SiteOrderLine>,
        order_total_yen: Option<i64>,
        handbook: String,
    },
    /// The 4-digit PIN on the in-app keypad (for the name and birth date).
    EnterPin {
        entered: u8,
        length: u8,
        tries_left: Option<u8>,
        last_try_confirmed: bool,
        notice: Option<String>,
    },
    /// The signing password (6–16 letters and digits) in a password field.
    EnterPassword {
        tries_left: Option<u8>,
        last_try_confirmed: bool,
        notice: Option<String>,
    },
    ConfirmLastTry {
        message: String,
    },
    /// Hold the card (reader mode on); `signing`: for the order's signature.
    HoldCard {
        prompt: String,
        signing: bool,
    },
    /// The site's reply, in its own words.
    Done {
        accepted: bool,
        message: String,
        redirect_uri: Option<String>,
    },
    Blocked {
        message: String,
    },
    Failed {
        message: String,
        can_retry: bool,
    },
    Cancelled,
}

impl From<flows::SiteStep> for SiteStep {
    fn from(s: flows::SiteStep) -> Self {
        use flows::SiteStep as S;
        match s {
            S::Working { stage, text } => SiteStep::Working {
                text,
                needs_send: stage == SiteStage::Sending,
            },
            S::Consent {
                site,
                audience,
                asks,
                identity_asked,
                order_id,
                order_lines,
                order_total_yen,
                handbook,
            } => SiteStep::Consent {
                site,
                audience,
                asks,
                identity_asked,
                order_id,
                order_lines: order_lines
                    .into_iter()
                    .map(|l| SiteOrderLine {
                        label: l.label,
                        yen: l.yen,
                    })
                    .collect(),
                order_total_yen,
                handbook,
            },
            S::EnterPin {
                entered,
                length,
                tries_left,
                last_try_confirmed,
                notice,
            } => SiteStep::EnterPin {
                entered,
                length,
                tries_left,
                last_try_confirmed,
                notice,
            },
            S::EnterPassword {
                tries_left,
                last_try_confirmed,
                notice,
            } => SiteStep::EnterPassword {
                tries_left,
                last_try_confirmed,
                notice,
            },
            S::ConfirmLastTry { message } => SiteStep::ConfirmLastTry { message },
            S::HoldCard { prompt, card_use } => SiteStep::HoldCard {
                prompt,
                signing: card_use == CardUse::Signing,
            },
            S::Done {
                accepted,
                message,
                redirect_uri,
            } => SiteStep::Done {
                accepted,
                message,
                redirect_uri,
            },
            S::Blocked { message } => SiteStep::Blocked { message },
            S::Failed { message, can_retry } => SiteStep::Failed { message, can_retry },
            S::Cancelled => SiteStep::Cancelled,
        }
    }
}

#[derive(Debug, uniffi::Object)]
pub struct SiteAnswer {
    wallet: Arc<Wallet>,
    client: SiteClient,
    link: String,
    flow: flows::SiteFlow,
}

#[uniffi::export]
impl SiteAnswer {
    /// A site's link (`techo://site?request_uri=…`). `trusted_ca_pem`: `None` for sites on the
    /// public web (the web's roots, built in); a PEM to trust one CA only (a test site).
    /// `handbook_id`: which handbook answers (default: the counter's). Then call `open`.
    #[uniffi::constructor]
    pub fn new(
        wallet: Arc<Wallet>,
        link: String,
        trusted_ca_pem: Option<String>,
        lang: Language,
        handbook_id: Option<HandbookId>,
    ) -> Result<Arc<Self>, TechoError> {
        let timeout = std::time::Duration::from_secs(30);
        let client = match trusted_ca_pem {
            Some(pem) => SiteClient::new(&pem, timeout),
            None => SiteClient::for_the_web(timeout),
        }
        .map_err(TechoError::bad)?;
        Ok(Arc::new(Self {
            wallet,
            client,
            link,
            flow: flows::SiteFlow::new(lang.into(), handbook_id),
        }))
    }

    pub fn step(&self) -> SiteStep {
        self.flow.step().into()
    }

    /// Agree; `send_identity`: also the name and birth date from the card (when asked). On
    /// `Working` after this, call `send`.
    pub fn accept(&self, send_identity: bool) -> SiteStep {
        self.flow.accept(send_identity).into()
    }

    /// Do not send (also when the screen closes): nothing goes to the site.
    pub fn decline(&self) -> SiteStep {
        self.flow.decline().into()
    }

    pub fn press_digit(&self, digit: u8) -> SiteStep {
        self.flow.press_digit(digit).into()
    }

    pub fn backspace(&self) -> SiteStep {
        self.flow.backspace().into()
    }

    /// The signing password as typed; checked for its form before the card is asked for.
    pub fn set_password(&self, typed: String) -> SiteStep {
        self.flow.set_password(&typed).into()
    }

    pub fn confirm_last_try(&self) -> SiteStep {
        self.flow.confirm_last_try().into()
    }

    pub fn try_again(&self) -> SiteStep {
        self.flow.try_again().into()
    }

    /// The phone's card reader closed before a card was read: asked for again, no try used.
    pub fn reader_closed(&self) -> SiteStep {
        self.flow.reader_closed().into()
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl SiteAnswer {
    /// Fetches the site's request and checks it; returns the consent screen or why not.
    /// Network: not on the main thread.
    pub async fn open(&self) -> SiteStep {
        let now = self.wallet.core().now();
        self.flow
            .open(self.wallet.core(), &self.client, &self.link, now)
            .await
            .into()
    }

    /// Sends a presentation that needs no card (after `accept` gave `Working`).
    pub async fn send(&self) -> SiteStep {
        self.flow
            .send(self.wallet.core(), &self.client)
            .await
            .into()
    }

    /// The card was tapped: reads or signs (APDUs only), then sends. Ignored unless the flow
    /// waits for the card. Not on the main thread.
    pub async fn card_presented(&self, card: Arc<dyn CardTransport>) -> SiteStep {
        let mut card = ForeignCard(card);
        self.flow
            .card_presented(self.wallet.core(), &self.client, &mut card)
            .await
            .into()
    }
}
