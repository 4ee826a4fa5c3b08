//! `LinkFlow`: the link screen, step by step. The shell draws `step()` and forwards key presses
//! and the card; the PIN never leaves the core, the rules about tries and taps are the core's.

use crate::TechoError;
use crate::card::{CardTransport, ForeignCard};
use crate::records::Language;
use crate::service::TechoService;
use crate::wallet::Wallet;
use std::sync::Arc;
use techo_core::flows::{self, LinkStage};
use techo_core::model::HandbookId;
use techo_core::wallet::LinkOptions;

/// Where an attempt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LinkProgress {
    Starting,
    ReadingCard,
    Issuing,
}

/// What the link screen shows.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum LinkStep {
    /// What is received from the portal, for what and for how long; "continue" or "stop".
    Purpose {
        title: String,
        lines: Vec<String>,
        items: Vec<String>,
    },
    /// The keypad: `entered` of `length` digits; after a wrong PIN, `tries_left` and `notice`.
    EnterPin {
        entered: u8,
        length: u8,
        tries_left: Option<u8>,
        last_try_confirmed: bool,
        notice: Option<String>,
    },
    /// One try left: "use the last try" (`confirm_last_try`) or stop.
    ConfirmLastTry {
        message: String,
    },
    /// Hold the card to the phone (reader mode on).
    HoldCard {
        prompt: String,
    },
    /// An attempt is under way: show `text`; taps of the card are ignored.
    Working {
        progress: LinkProgress,
        text: String,
    },
    /// `changes`: what the portal corrected, one line each, to show the holder.
    Linked {
        label: String,
        /// ISO date.
        valid_until: Option<String>,
        changes: Vec<String>,
    },
    Pending {
        label: String,
        reason: String,
        next_try_unix: Option<i64>,
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

impl From<flows::LinkStep> for LinkStep {
    fn from(s: flows::LinkStep) -> Self {
        use flows::LinkStep as S;
        match s {
            S::Purpose {
                title,
                lines,
                items,
            } => LinkStep::Purpose {
                title,
                lines,
                items,
            },
            S::EnterPin {
                entered,
                length,
                tries_left,
                last_try_confirmed,
                notice,
            } => LinkStep::EnterPin {
                entered,
                length,
                tries_left,
                last_try_confirmed,
                notice,
            },
            S::ConfirmLastTry { message } => LinkStep::ConfirmLastTry { message },
            S::HoldCard { prompt } => LinkStep::HoldCard { prompt },
            S::Working { stage, text } => LinkStep::Working {
                progress: match stage {
                    LinkStage::Starting => LinkProgress::Starting,
                    LinkStage::ReadingCard => LinkProgress::ReadingCard,
                    LinkStage::Issuing => LinkProgress::Issuing,
                },
                text,
            },
            S::Linked {
                label,
                valid_until,
                changes,
            } => LinkStep::Linked {
                label,
                valid_until: valid_until.map(|d| d.to_string()),
                changes,
            },
            S::Pending {
                label,
                reason,
                next_try,
            } => LinkStep::Pending {
                label,
                reason,
                next_try_unix: next_try.map(|t| t.timestamp()),
            },
            S::Blocked { message } => LinkStep::Blocked { message },
            S::Failed { message, can_retry } => LinkStep::Failed { message, can_retry },
            S::Cancelled => LinkStep::Cancelled,
        }
    }
}

#[derive(Debug, uniffi::Object)]
pub struct LinkFlow {
    wallet: Arc<Wallet>,
    service: Arc<TechoService>,
    flow: flows::LinkFlow,
}

#[uniffi::export]
impl LinkFlow {
    /// Starts at the purpose screen. `on_behalf_of`: a guardian consenting with their own card
    /// as the holder's registered proxy (the principal as the portal lists them).
    #[uniffi::constructor]
    pub fn new(
        wallet: Arc<Wallet>,
        service: Arc<TechoService>,
        handbook_id: HandbookId,
        lang: Language,
        on_behalf_of: Option<String>,
    ) -> Result<Arc<Self>, TechoError> {
        let hb = wallet.core().get(&handbook_id)?;
        let options = LinkOptions {
            on_behalf_of,
            ..LinkOptions::default()
        };
        let flow = flows::LinkFlow::new(&hb, lang.into(), options);
        Ok(Arc::new(Self {
            wallet,
            service,
            flow,
        }))
    }

    pub fn step(&self) -> LinkStep {
        self.flow.step().into()
    }

    pub fn accept_purpose(&self) -> LinkStep {
        self.flow.accept_purpose().into()
    }

    /// Stops the flow and gives up what was prepared (this phone's new keys are deleted). Call
    /// it when the screen closes, too.
    pub fn cancel(&self) -> LinkStep {
        self.flow.cancel(self.wallet.core()).into()
    }

    /// A digit key, 0–9 (anything else is ignored). The fourth digit returns
    /// `Working { STARTING }`: call [`LinkFlow::prepare`], then ask for the card.
    pub fn press_digit(&self, digit: u8) -> LinkStep {
        self.flow.press_digit(digit).into()
    }

    pub fn backspace(&self) -> LinkStep {
        self.flow.backspace().into()
    }

    pub fn confirm_last_try(&self) -> LinkStep {
        self.flow.confirm_last_try().into()
    }

    pub fn try_again(&self) -> LinkStep {
        self.flow.try_again().into()
    }

    /// The phone's card reader closed before a card was read (iOS: the NFC sheet was closed or
    /// timed out): the PIN is wiped, the keypad comes back saying so, nothing else is lost.
    pub fn reader_closed(&self) -> LinkStep {
        self.flow.reader_closed().into()
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl LinkFlow {
    /// Gets the linkage ready before the card is asked for: this phone's keys, the server
    /// session, the portal's challenge. Returns `HoldCard` (or what went wrong). Call it when a
    /// step is `Working { STARTING }`; the card is then held for APDUs only. Network and
    /// keystore: not on the main thread.
    pub async fn prepare(&self) -> LinkStep {
        self.flow
            .prepare(self.wallet.core(), &self.service.client)
            .await
            .into()
    }

    /// The card was tapped. Reads it when the flow waits for the card (APDUs only), then sends
    /// the consent with the card free to go; otherwise the tap is ignored and the current step
    /// comes back. Talks to the card and the network: not on the main thread.
    pub async fn card_presented(&self, card: Arc<dyn CardTransport>) -> LinkStep {
        let mut card = ForeignCard(card);
        self.flow
            .card_presented(self.wallet.core(), &self.service.client, &mut card)
            .await
            .into()
    }
}
