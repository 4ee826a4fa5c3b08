//! The link screen's flow: purpose → PIN → hold the card → progress → result.
//!
//! Seed 004 (※2) asks that the holder sees what is fetched from the Myna Portal and why, and can
//! stop, before anything is fetched: that is the first step. The PIN is typed on the in-app
//! keypad into a [`PinEntry`] the flow owns; a card tapped while an attempt is under way is
//! ignored (a second tap must not spend a second PIN try); a wrong PIN is never retried by the
//! app, and the last try is spent only after the holder confirms.
//!
//! The shortest tap: when the PIN is typed the flow is `Working { Starting }` and the shell
//! calls [`LinkFlow::prepare`] (device keys, techo-server session, portal challenge); only then
//! does it ask for the card, and while the card is held only APDUs are exchanged. The consent
//! and the credentials follow with the card already free to go.

use super::pin_entry::{CardAnswer, PIN_LENGTH, PinEntry, card_answer};
use crate::Lang;
use crate::card::{CardError, CardTransport, LastTry};
use crate::linkage::LinkError;
use crate::model::{Handbook, HandbookId, LinkageState};
use crate::portal::{ClientError, TechoClient};
use crate::wallet::{LinkOptions, PreparedLink, Wallet, WalletError};
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Where a linkage attempt is, for the progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStage {
    /// Opening a session with techo-server and making this phone's keys.
    Starting,
    /// Reading the card and signing the portal's challenge (keep the card still).
    ReadingCard,
    /// The portal's code is with techo-server, which fetches the facts and issues credentials.
    Issuing,
}

impl LinkStage {
    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            LinkStage::Starting => lang.pick("準備しています…", "Getting ready…"),
            LinkStage::ReadingCard => lang.pick(
                "カードを読み取っています。動かさないでください…",
                "Reading the card: keep it still…",
            ),
            LinkStage::Issuing => lang.pick(
                "カードの読み取りが終わりました（離してかまいません）。マイナポータルから手帳の情報を受け取っています…",
                "The card is read (you can take it away). Receiving the handbook's facts from the Myna Portal…",
            ),
        }
    }
}

/// What the link screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkStep {
    /// What is fetched, for what, by whom and for how long; the holder accepts or stops.
    Purpose {
        title: String,
        lines: Vec<String>,
        items: Vec<String>,
    },
    /// The PIN keypad. `tries_left` after a wrong PIN; `notice` says what happened last.
    EnterPin {
        entered: u8,
        length: u8,
        tries_left: Option<u8>,
        last_try_confirmed: bool,
        notice: Option<String>,
    },
    /// One try left: the holder must confirm before the PIN is sent again.
    ConfirmLastTry { message: String },
    /// Hold the card to the phone.
    HoldCard { prompt: String },
    /// An attempt is under way.
    Working { stage: LinkStage, text: String },
    /// 連携済. `changes`: what the portal corrected in what the holder had typed, one line each
    /// (the screen now shows the portal's facts).
    Linked {
        label: String,
        valid_until: Option<NaiveDate>,
        changes: Vec<String>,
    },
    /// 申請中: the portal could not answer now; techo-server asks again at `next_try`.
    Pending {
        label: String,
        reason: String,
        next_try: Option<DateTime<Utc>>,
    },
    /// The card's PIN is blocked: only the municipal office can reset it.
    Blocked { message: String },
    /// It did not work. `can_retry`: trying again may (the network, a cancelled prompt).
    Failed { message: String, can_retry: bool },
    /// The holder stopped. Nothing was sent.
    Cancelled,
}

struct Inner {
    step: LinkStep,
    pin: PinEntry,
    last_try: LastTry,
    tries_left: Option<u8>,
    /// Keys, session and challenge made before the card was asked for; kept across a wrong PIN.
    prepared: Option<PreparedLink>,
    preparing: bool,
}

/// One walk through the link screen for one handbook.
pub struct LinkFlow {
    handbook: HandbookId,
    lang: Lang,
    options: LinkOptions,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for LinkFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkFlow")
            .field("handbook", &self.handbook)
            .field("step", &self.step())
            .finish_non_exhaustive()
    }
}

impl LinkFlow {
    /// Starts at the purpose screen for `hb` (or says why it cannot be linked: no face photo).
    pub fn new(hb: &Handbook, lang: Lang, options: LinkOptions) -> Self {
        let step = if hb.photo.is_none() {
            LinkStep::Failed {
                message: lang.part_of(&WalletError::PhotoRequired.to_string()),
                can_retry: false,
            }
        } else {
            purpose(hb, lang)
        };
        Self {
            handbook: hb.id.clone(),
            lang,
            options,
            inner: Mutex::new(Inner {
                step,
                pin: PinEntry::default(),
                last_try: LastTry::Refuse,
                tries_left: None,
                prepared: None,
                preparing: false,
            }),
        }
    }

    pub fn handbook(&self) -> &HandbookId {
        &self.handbook
    }

    pub fn step(&self) -> LinkStep {
        self.lock().step.clone()
    }

    /// The holder read the purpose and chose to go on.
    pub fn accept_purpose(&self) -> LinkStep {
        self.update(|inner, _| {
            if matches!(inner.step, LinkStep::Purpose { .. }) {
                inner.step = enter_pin(inner, None);
            }
        })
    }

    /// Stops the flow (any time but during an attempt). The PIN is wiped; a prepared linkage is
    /// given up (its device keys deleted, the handbook as it was). Shells call this when the
    /// screen closes.
    pub fn cancel(&self, wallet: &Wallet) -> LinkStep {
        let (step, prepared) = {
            let mut inner = self.lock();
            if matches!(inner.step, LinkStep::Working { .. }) {
                return inner.step.clone();
            }
            inner.pin.clear();
            inner.step = LinkStep::Cancelled;
            (inner.step.clone(), inner.prepared.take())
        };
        if let Some(p) = prepared {
            // Nothing more to tell the holder: the keys are gone or will never be used.
            let _ = wallet.abandon_link(p);
        }
        step
    }

    /// A digit key on the keypad. The fourth digit moves on to `Working { Starting }`: the
    /// shell calls [`LinkFlow::prepare`] before the card is asked for.
    pub fn press_digit(&self, digit: u8) -> LinkStep {
        self.update(|inner, lang| {
            if matches!(inner.step, LinkStep::EnterPin { .. }) && inner.pin.press(digit) {
                inner.step = if inner.pin.is_complete() {
                    working(LinkStage::Starting, lang)
                } else {
                    enter_pin(inner, None)
                };
            }
        })
    }

    /// Makes the linkage ready before the card: this phone's keys, the techo-server session and
    /// the portal's challenge (kept from an earlier try while the challenge is fresh). Returns
    /// "hold the card", or what went wrong. Does nothing unless the flow is `Working { Starting }`.
    pub async fn prepare(&self, wallet: &Wallet, client: &TechoClient) -> LinkStep {
        let kept = {
            let mut inner = self.lock();
            let starting = matches!(
                inner.step,
                LinkStep::Working {
                    stage: LinkStage::Starting,
                    ..
                }
            );
            if !starting || inner.preparing {
                return inner.step.clone();
            }
            inner.preparing = true;
            inner.prepared.take()
        };
        let result = match kept {
            Some(p) if p.challenge_fresh(wallet.now()) => Ok(p),
            Some(mut p) => match wallet.renew_challenge(client, &mut p).await {
                Ok(()) => Ok(p),
                Err(e) => {
                    let _ = wallet.abandon_link(p);
                    Err(e)
                }
            },
            None => {
                wallet
                    .prepare_link(client, &self.handbook, &self.options)
                    .await
            }
        };
        self.update(|inner, lang| {
            inner.preparing = false;
            match result {
                Ok(p) => {
                    inner.prepared = Some(p);
                    inner.step = hold_card(lang);
                }
                Err(e) => {
                    inner.pin.clear();
                    inner.step = outcome(inner, Err(e), Vec::new(), lang);
                }
            }
        })
    }

    /// The delete key; from "hold the card" it goes back to the keypad.
    pub fn backspace(&self) -> LinkStep {
        self.update(|inner, _| {
            if matches!(
                inner.step,
                LinkStep::EnterPin { .. } | LinkStep::HoldCard { .. }
            ) {
                inner.pin.backspace();
                inner.step = enter_pin(inner, None);
            }
        })
    }

    /// The phone's card reader closed before a card was read (the holder closed the system's
    /// NFC sheet, or it timed out): the PIN is wiped and the keypad comes back saying so. The
    /// prepared keys, session and challenge stay for the next try; no card try was used.
    pub fn reader_closed(&self) -> LinkStep {
        self.update(|inner, lang| {
            if matches!(inner.step, LinkStep::HoldCard { .. }) {
                inner.pin.clear();
                inner.step = enter_pin(
                    inner,
                    Some(
                        lang.pick(
                            "カードを読み取らずに終わりました。もう一度暗証番号を入力してください（回数は減っていません）",
                            "The card was not read. Enter the PIN again (no try was used)",
                        )
                        .to_owned(),
                    ),
                );
            }
        })
    }

    /// The holder read "one try left" and chose to go on: type the PIN again.
    pub fn confirm_last_try(&self) -> LinkStep {
        self.update(|inner, _| {
            if matches!(inner.step, LinkStep::ConfirmLastTry { .. }) {
                inner.last_try = LastTry::Confirmed;
                inner.step = enter_pin(inner, None);
            }
        })
    }

    /// After a failure that may go better next time: back to the keypad.
    pub fn try_again(&self) -> LinkStep {
        self.update(|inner, _| {
            if matches!(
                inner.step,
                LinkStep::Failed {
                    can_retry: true,
                    ..
                }
            ) {
                inner.step = enter_pin(inner, None);
            }
        })
    }

    /// The card was tapped. Reads it when the flow is waiting for the card (APDUs only), then
    /// sends the consent and stores the credentials with the card free to go; otherwise (an
    /// attempt under way, no PIN yet, not prepared) the tap is ignored and nothing is sent.
    pub async fn card_presented(
        &self,
        wallet: &Wallet,
        client: &TechoClient,
        card: &mut dyn CardTransport,
    ) -> LinkStep {
        let (pin, last_try, prepared) = {
            let mut inner = self.lock();
            if !matches!(inner.step, LinkStep::HoldCard { .. }) {
                return inner.step.clone();
            }
            let Some(prepared) = inner.prepared.take() else {
                inner.step = working(LinkStage::Starting, self.lang);
                return inner.step.clone();
            };
            let Some(pin) = inner.pin.take() else {
                inner.prepared = Some(prepared);
                inner.step = enter_pin(&inner, None);
                return inner.step.clone();
            };
            inner.step = working(LinkStage::ReadingCard, self.lang);
            (pin, inner.last_try, prepared)
        };
        let read = prepared.read_card(card, &pin, last_try);
        drop(pin);
        let proof = match read {
            Ok(proof) => proof,
            Err(e) => {
                // A blocked PIN ends the attempt; anything else may go better on the next tap,
                // with the same keys, session and challenge.
                let keep = if e == CardError::PinBlocked {
                    let _ = wallet.abandon_link(prepared);
                    None
                } else {
                    Some(prepared)
                };
                return self.update(|inner, lang| {
                    inner.last_try = LastTry::Refuse;
                    inner.prepared = keep;
                    inner.step = outcome(inner, Err(LinkError::Card(e)), Vec::new(), lang);
                });
            }
        };
        self.update(|inner, lang| inner.step = working(LinkStage::Issuing, lang));
        let result = wallet.finish_link(client, prepared, &proof).await;
        let changes: Vec<String> = wallet
            .get(&self.handbook)
            .ok()
            .and_then(|hb| hb.confirmed)
            .map(|c| c.latest().map(|x| x.describe(self.lang)).collect())
            .unwrap_or_default();
        self.update(|inner, lang| {
            inner.last_try = LastTry::Refuse;
            inner.step = outcome(inner, result, changes, lang);
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(&mut Inner, Lang)) -> LinkStep {
        let mut inner = self.lock();
        change(&mut inner, self.lang);
        inner.step.clone()
    }
}

fn working(stage: LinkStage, lang: Lang) -> LinkStep {
    LinkStep::Working {
        stage,
        text: stage.text(lang).to_owned(),
    }
}

fn hold_card(lang: Lang) -> LinkStep {
    LinkStep::HoldCard {
        prompt: super::pin_entry::hold_card_prompt(lang),
    }
}

fn enter_pin(inner: &Inner, notice: Option<String>) -> LinkStep {
    LinkStep::EnterPin {
        entered: u8::try_from(inner.pin.len()).unwrap_or(0),
        length: u8::try_from(PIN_LENGTH).unwrap_or(4),
        tries_left: inner.tries_left,
        last_try_confirmed: inner.last_try == LastTry::Confirmed,
        notice,
    }
}

/// The result of an attempt, as the screen shows it.
fn outcome(
    inner: &mut Inner,
    result: Result<LinkageState, LinkError>,
    changes: Vec<String>,
    lang: Lang,
) -> LinkStep {
    let retry = |message: String| LinkStep::Failed {
        message,
        can_retry: true,
    };
    match result {
        Ok(LinkageState::Linked { valid_until, .. }) => LinkStep::Linked {
            label: lang.pick("連携済", "Linked").to_owned(),
            valid_until,
            changes,
        },
        Ok(LinkageState::Pending {
            reason, next_try, ..
        }) => LinkStep::Pending {
            label: lang.pick("申請中", "Pending").to_owned(),
            reason,
            next_try,
        },
        Ok(other) => retry(other.label(lang).to_owned()),
        Err(LinkError::Card(e)) => {
            let message = lang.part_of(&e.to_string());
            match card_answer(&e) {
                // A wrong PIN, or the card moved away, timed out or answered something else
                // (the message says whether a try was spent): type the PIN and hold it again.
                CardAnswer::AskAgain { tries_left } => {
                    inner.tries_left = tries_left.or(inner.tries_left);
                    enter_pin(inner, Some(message))
                }
                CardAnswer::ConfirmLastTry => LinkStep::ConfirmLastTry { message },
                CardAnswer::Blocked => LinkStep::Blocked { message },
                CardAnswer::Stop => LinkStep::Failed {
                    message,
                    can_retry: false,
                },
            }
        }
        Err(LinkError::Client(e)) => {
            let message = lang.part_of(&e.to_string());
            match e {
                ClientError::Refused { .. } => LinkStep::Failed {
                    message,
                    can_retry: false,
                },
                _ => retry(message),
            }
        }
        // A cancelled or failed keystore prompt while making this phone's keys.
        Err(LinkError::Wallet(e @ WalletError::Present(_))) => retry(lang.part_of(&e.to_string())),
        Err(e) => LinkStep::Failed {
            message: lang.part_of(&e.to_string()),
            can_retry: false,
        },
    }
}

/// Seed 004 ※2: what is fetched from the portal, for what, for whom, for how long.
fn purpose(hb: &Handbook, lang: Lang) -> LinkStep {
    let kind = hb.kind().label(lang);
    let items = crate::wallet::received_from_portal(hb.kind(), lang);
    let lines = vec![
        match lang {
            Lang::Ja => format!(
                "マイナポータルから、あなたの{kind}の情報を受け取ります。窓口や改札で「連携済」と確認してもらうためだけに使います。"
            ),
            Lang::En => format!(
                "Techo receives your {kind}'s facts from the Myna Portal, only so that counters and gates can see them as confirmed (連携済)."
            ),
        },
        lang.pick(
            "受け取る先：Techo（サービスID techo）。同意した期間だけ保持し、同意を取り消すと削除します。",
            "Received by: Techo (service ID techo). Kept only for the period you consent to, deleted when you withdraw.",
        )
        .to_owned(),
        lang.pick(
            "マイナンバーカードと利用者証明用の暗証番号（数字4桁）が必要です。ここでやめても何も送信されません。",
            "You need your My Number card and its 4-digit PIN. If you stop here, nothing is sent.",
        )
        .to_owned(),
    ];
    LinkStep::Purpose {
        title: lang
            .pick(
                "マイナポータルから受け取る情報",
                "What Techo receives from the Myna Portal",
            )
            .to_owned(),
        lines,
        items,
    }
}
