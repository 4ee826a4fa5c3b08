//! The booking-site screen's flow (seed 000): a site's link (its QR code or a `techo://site`
//! link on the same phone) → the site named first, what it asks for, and consent → the card
//! when the holder agreed to send the name and birth date (4-digit PIN) or the site asks for an
//! order signed with the card's signing key (signing password, 5 tries) → the answer sent → the
//! site's reply, in its own words.
//!
//! The PIN safety is the link screen's: a wrong PIN or password is never retried by the app,
//! the last try is spent only after the holder confirms, a second tap during a read is ignored,
//! and the PIN is wiped after every attempt. A request that fails the phone's checks (another
//! site than the one that served it, expired, not https) is refused before anything is shown;
//! a replayed or foreign answer is refused by the site, and its message is what the holder reads.

use super::pin_entry::{CardAnswer, PIN_LENGTH, PinEntry, card_answer};
use crate::Lang;
use crate::card::{CardSession, CardTransport, LastTry, SigningPin};
use crate::model::HandbookId;
use crate::site::{
    IdentityFacts, RequestKind, SiteClient, SiteError, SiteReply, SiteRequest, SiteResponse,
    sign_order,
};
use crate::wallet::{Wallet, item_label};
use chrono::{DateTime, Utc};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Where an answer is, for the progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteStage {
    /// Fetching the site's request and checking it.
    Fetching,
    /// Reading the card (keep it still).
    ReadingCard,
    /// Sending the answer to the site.
    Sending,
}

impl SiteStage {
    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            SiteStage::Fetching => lang.pick(
                "サイトの要求を確認しています…",
                "Checking the site's request…",
            ),
            SiteStage::ReadingCard => lang.pick(
                "カードを読み取っています。動かさないでください…",
                "Reading the card: keep it still…",
            ),
            SiteStage::Sending => lang.pick("サイトに送信しています…", "Sending to the site…"),
        }
    }
}

/// One line of an order, as the consent screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub label: String,
    pub yen: i64,
}

/// What the card is needed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardUse {
    /// Name and birth date (the card-info application's 4-digit PIN).
    Identity,
    /// The order, signed with the signing key (the signing password).
    Signing,
}

/// What the booking-site screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteStep {
    Working {
        stage: SiteStage,
        text: String,
    },
    /// The site first, then what it asks for; the holder agrees or declines.
    Consent {
        site: String,
        /// `host[:port]`: what the holder compares with the site they are on.
        audience: String,
        /// What the answer shows the site, one label each.
        asks: Vec<String>,
        /// The site also asks for the name and birth date from the card (optional to send).
        identity_asked: bool,
        /// An order to sign: shown in full before the password is asked for.
        order_id: Option<String>,
        order_lines: Vec<OrderLine>,
        order_total_yen: Option<i64>,
        /// Which handbook answers.
        handbook: String,
    },
    /// The 4-digit PIN for the name and birth date, on the in-app keypad.
    EnterPin {
        entered: u8,
        length: u8,
        tries_left: Option<u8>,
        last_try_confirmed: bool,
        notice: Option<String>,
    },
    /// The signing password (6–16 letters and digits), in a password field.
    EnterPassword {
        tries_left: Option<u8>,
        last_try_confirmed: bool,
        notice: Option<String>,
    },
    ConfirmLastTry {
        message: String,
    },
    HoldCard {
        prompt: String,
        card_use: CardUse,
    },
    /// The site answered. `accepted`: it took the answer; either way `message` is the site's.
    Done {
        accepted: bool,
        message: String,
        /// Same-device: where to send the holder back.
        redirect_uri: Option<String>,
    },
    Blocked {
        message: String,
    },
    Failed {
        message: String,
        can_retry: bool,
    },
    /// The holder declined. Nothing was sent.
    Cancelled,
}

struct Inner {
    step: SiteStep,
    request: Option<SiteRequest>,
    handbook: Option<HandbookId>,
    send_identity: bool,
    pin: PinEntry,
    password: Option<SigningPin>,
    last_try: LastTry,
    tries_left: Option<u8>,
    /// A presentation without the card is being sent: a second `send` does nothing.
    sending: bool,
}

/// One answer to one site request.
pub struct SiteFlow {
    lang: Lang,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for SiteFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteFlow")
            .field("step", &self.step())
            .finish_non_exhaustive()
    }
}

impl SiteFlow {
    /// Starts fetching: the shell calls [`SiteFlow::open`] with the link. `handbook`: which
    /// handbook answers (default: the counter's).
    pub fn new(lang: Lang, handbook: Option<HandbookId>) -> Self {
        Self {
            lang,
            inner: Mutex::new(Inner {
                step: working(SiteStage::Fetching, lang),
                request: None,
                handbook,
                send_identity: false,
                pin: PinEntry::default(),
                password: None,
                last_try: LastTry::Refuse,
                tries_left: None,
                sending: false,
            }),
        }
    }

    pub fn step(&self) -> SiteStep {
        self.lock().step.clone()
    }

    /// Follows the site's link: fetches its request, runs the phone's checks, and shows the
    /// consent screen (or why the request is refused).
    pub async fn open(
        &self,
        wallet: &Wallet,
        client: &SiteClient,
        link: &str,
        now: DateTime<Utc>,
    ) -> SiteStep {
        if !matches!(
            self.step(),
            SiteStep::Working {
                stage: SiteStage::Fetching,
                ..
            }
        ) {
            return self.step();
        }
        let fetched = client.fetch_request(link, now).await;
        self.update(|inner, lang| {
            inner.step = match fetched {
                Ok(request) => match consent(wallet, inner, &request, lang) {
                    Ok(step) => {
                        inner.request = Some(request);
                        step
                    }
                    Err(message) => SiteStep::Failed {
                        message,
                        can_retry: false,
                    },
                },
                Err(e) => failed(&e, lang),
            }
        })
    }

    /// The holder agreed; `send_identity`: also the name and birth date (when asked). A
    /// presentation without them is sent at once: the shell calls [`SiteFlow::send`] on
    /// `Working { Sending }`.
    pub fn accept(&self, send_identity: bool) -> SiteStep {
        self.update(|inner, lang| {
            let (SiteStep::Consent { .. }, Some(request)) = (&inner.step, &inner.request) else {
                return;
            };
            inner.step = match request.kind {
                RequestKind::SignOrder => enter_password(inner, None),
                RequestKind::Present if send_identity && request.identity => {
                    inner.send_identity = true;
                    enter_pin(inner, None)
                }
                RequestKind::Present => working(SiteStage::Sending, lang),
            };
        })
    }

    /// The holder declined (or left the screen): nothing is sent, the PIN is wiped.
    pub fn decline(&self) -> SiteStep {
        self.update(|inner, _| {
            if matches!(inner.step, SiteStep::Done { .. }) {
                return;
            }
            inner.pin.clear();
            inner.password = None;
            inner.step = SiteStep::Cancelled;
        })
    }

    pub fn press_digit(&self, digit: u8) -> SiteStep {
        self.update(|inner, lang| {
            if matches!(inner.step, SiteStep::EnterPin { .. }) && inner.pin.press(digit) {
                inner.step = if inner.pin.is_complete() {
                    hold_card(CardUse::Identity, lang)
                } else {
                    enter_pin(inner, None)
                };
            }
        })
    }

    /// The delete key; from "hold the card" it goes back to the keypad, or for an order to an
    /// empty password field (a typed password is never shown again).
    pub fn backspace(&self) -> SiteStep {
        self.update(|inner, _| match inner.step {
            SiteStep::EnterPin { .. }
            | SiteStep::HoldCard {
                card_use: CardUse::Identity,
                ..
            } => {
                inner.pin.backspace();
                inner.step = enter_pin(inner, None);
            }
            SiteStep::HoldCard {
                card_use: CardUse::Signing,
                ..
            } => {
                inner.password = None;
                inner.step = enter_password(inner, None);
            }
            _ => {}
        })
    }

    /// The signing password as typed (checked for its form before the card is asked for).
    pub fn set_password(&self, typed: &str) -> SiteStep {
        self.update(|inner, lang| {
            if !matches!(inner.step, SiteStep::EnterPassword { .. }) {
                return;
            }
            match SigningPin::parse(typed) {
                Ok(p) => {
                    inner.password = Some(p);
                    inner.step = hold_card(CardUse::Signing, lang);
                }
                Err(e) => inner.step = enter_password(inner, Some(lang.part_of(&e.to_string()))),
            }
        })
    }

    /// The holder read "one try left" and chose to go on.
    pub fn confirm_last_try(&self) -> SiteStep {
        self.update(|inner, _| {
            if matches!(inner.step, SiteStep::ConfirmLastTry { .. }) {
                inner.last_try = LastTry::Confirmed;
                inner.step = entry(inner, None);
            }
        })
    }

    /// After a failure that may go better next time (the site unreachable, the card moved).
    pub fn try_again(&self) -> SiteStep {
        self.update(|inner, lang| {
            if let SiteStep::Failed {
                can_retry: true, ..
            } = inner.step
            {
                inner.step = match inner.request.as_ref().map(|r| r.kind) {
                    Some(RequestKind::Present) if !inner.send_identity => {
                        working(SiteStage::Sending, lang)
                    }
                    Some(_) => entry(inner, None),
                    None => inner.step.clone(),
                };
            }
        })
    }

    /// The phone's card reader closed before a card was read: the PIN or password is wiped
    /// and asked for again; no try was used.
    pub fn reader_closed(&self) -> SiteStep {
        self.update(|inner, lang| {
            if matches!(inner.step, SiteStep::HoldCard { .. }) {
                inner.pin.clear();
                inner.password = None;
                inner.step = entry(
                    inner,
                    Some(
                        lang.pick(
                            "カードを読み取らずに終わりました。もう一度入力してください（回数は減っていません）",
                            "The card was not read. Enter it again (no try was used)",
                        )
                        .to_owned(),
                    ),
                );
            }
        })
    }

    /// A presentation without the card: sends it (on `Working { Sending }`).
    pub async fn send(&self, wallet: &Wallet, client: &SiteClient) -> SiteStep {
        let taken = {
            let mut inner = self.lock();
            let sending = matches!(
                inner.step,
                SiteStep::Working {
                    stage: SiteStage::Sending,
                    ..
                }
            );
            match (&inner.request, &inner.handbook) {
                (Some(r), Some(h)) if sending && !inner.sending && !inner.send_identity => {
                    let taken = (r.clone(), h.clone());
                    inner.sending = true;
                    Some(taken)
                }
                _ => None,
            }
        };
        let Some((request, hb)) = taken else {
            return self.step();
        };
        let answer = wallet
            .answer_site(&request, Some(&hb), None)
            .map_err(Failure::Wallet);
        self.deliver(wallet, client, &request, &hb, answer, false)
            .await
    }

    /// The card was tapped: reads the name and birth date or signs the order (APDUs only),
    /// then sends the answer. Ignored unless the flow waits for the card.
    pub async fn card_presented(
        &self,
        wallet: &Wallet,
        client: &SiteClient,
        card: &mut dyn CardTransport,
    ) -> SiteStep {
        let (request, hb, secret, last_try) = {
            let mut inner = self.lock();
            let SiteStep::HoldCard { card_use, .. } = inner.step else {
                return inner.step.clone();
            };
            let (Some(request), Some(hb)) = (inner.request.clone(), inner.handbook.clone()) else {
                return inner.step.clone();
            };
            let secret = match card_use {
                CardUse::Identity => inner.pin.take().map(Secret::Pin),
                CardUse::Signing => inner.password.take().map(Secret::Password),
            };
            let Some(secret) = secret else {
                inner.step = entry(&inner, None);
                return inner.step.clone();
            };
            inner.step = working(SiteStage::ReadingCard, self.lang);
            (request, hb, secret, inner.last_try)
        };
        let answer = match secret {
            Secret::Pin(pin) => CardSession::new(card)
                .basic_four(&pin, last_try)
                .map_err(|e| Failure::Site(SiteError::Card(e)))
                .and_then(|four| {
                    let facts = IdentityFacts {
                        name: four.name,
                        birth_date: four.birth_date,
                    };
                    wallet
                        .answer_site(&request, Some(&hb), Some(&facts))
                        .map_err(Failure::Wallet)
                }),
            Secret::Password(password) => request
                .order
                .as_ref()
                .ok_or_else(|| SiteError::BadRequest("order".into()))
                .and_then(|order| {
                    sign_order(order, &request.site.audience, card, &password, last_try)
                })
                .map_err(Failure::Site)
                .map(|signature| SiteResponse {
                    v: crate::site::SITE_PROTOCOL_VERSION,
                    session: request.session.clone(),
                    presentation: None,
                    identity: None,
                    order_signature: Some(signature),
                }),
        };
        let identity = request.kind == RequestKind::Present;
        self.deliver(wallet, client, &request, &hb, answer, identity)
            .await
    }

    /// Posts a built answer, records what the site received, and shows its reply.
    async fn deliver(
        &self,
        wallet: &Wallet,
        client: &SiteClient,
        request: &SiteRequest,
        hb: &HandbookId,
        answer: Result<SiteResponse, Failure>,
        identity: bool,
    ) -> SiteStep {
        let response = match answer {
            Ok(r) => r,
            Err(e) => {
                return self.update(|inner, lang| {
                    inner.sending = false;
                    inner.step = card_outcome(inner, &e, lang);
                });
            }
        };
        self.set(working(SiteStage::Sending, self.lang));
        let reply = client.post(request, &response).await;
        if let Ok(r) = &reply {
            // The site received the answer whatever it decided: the ledger says so. A ledger
            // that cannot be written does not undo what was sent.
            let _ = wallet.note_site_answer(hb, request, identity, r.accepted);
        }
        self.update(|inner, lang| {
            inner.last_try = LastTry::Refuse;
            inner.sending = false;
            inner.step = match reply {
                Ok(r) => done(&r, lang),
                Err(e) => failed(&e, lang),
            };
        })
    }

    fn set(&self, step: SiteStep) {
        self.lock().step = step;
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(&mut Inner, Lang)) -> SiteStep {
        let mut inner = self.lock();
        change(&mut inner, self.lang);
        inner.step.clone()
    }
}

/// Why an answer could not be built: the card or the request, or the wallet (no current
/// credential, a cancelled keystore prompt).
enum Failure {
    Site(SiteError),
    Wallet(crate::wallet::WalletError),
}

enum Secret {
    Pin(crate::card::Pin),
    Password(SigningPin),
}

fn working(stage: SiteStage, lang: Lang) -> SiteStep {
    SiteStep::Working {
        stage,
        text: stage.text(lang).to_owned(),
    }
}

fn hold_card(card_use: CardUse, lang: Lang) -> SiteStep {
    SiteStep::HoldCard {
        prompt: super::pin_entry::hold_card_prompt(lang),
        card_use,
    }
}

fn enter_pin(inner: &Inner, notice: Option<String>) -> SiteStep {
    SiteStep::EnterPin {
        entered: u8::try_from(inner.pin.len()).unwrap_or(0),
        length: u8::try_from(PIN_LENGTH).unwrap_or(4),
        tries_left: inner.tries_left,
        last_try_confirmed: inner.last_try == LastTry::Confirmed,
        notice,
    }
}

fn enter_password(inner: &Inner, notice: Option<String>) -> SiteStep {
    SiteStep::EnterPassword {
        tries_left: inner.tries_left,
        last_try_confirmed: inner.last_try == LastTry::Confirmed,
        notice,
    }
}

/// The keypad or the password field, whichever this request needs.
fn entry(inner: &Inner, notice: Option<String>) -> SiteStep {
    match inner.request.as_ref().map(|r| r.kind) {
        Some(RequestKind::SignOrder) => enter_password(inner, notice),
        _ => enter_pin(inner, notice),
    }
}

/// The consent screen for a checked request.
fn consent(
    wallet: &Wallet,
    inner: &mut Inner,
    request: &SiteRequest,
    lang: Lang,
) -> Result<SiteStep, String> {
    let hb = wallet
        .handbook_or_counter(inner.handbook.as_ref())
        .map_err(|e| lang.part_of(&e.to_string()))?;
    inner.handbook = Some(hb.id.clone());
    let asks = match request.kind {
        RequestKind::Present => request
            .disclose
            .iter()
            .map(|c| item_label(c, lang))
            .collect(),
        RequestKind::SignOrder => vec![item_label("order", lang)],
    };
    let order = request.order.as_ref().and_then(|o| o.body().ok());
    Ok(SiteStep::Consent {
        site: lang
            .pick(&request.site.name, &request.site.name_en)
            .to_owned(),
        audience: request.site.audience.clone(),
        asks,
        identity_asked: request.kind == RequestKind::Present && request.identity,
        order_id: order.as_ref().map(|b| b.order_id.clone()),
        order_lines: order
            .as_ref()
            .map(|b| {
                b.lines
                    .iter()
                    .map(|l| OrderLine {
                        label: lang.pick(&l.ja, &l.en).to_owned(),
                        yen: l.yen,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        order_total_yen: order.as_ref().map(|b| b.total_yen),
        handbook: format!(
            "{} {}",
            hb.kind().label(lang),
            hb.category.grade_label(lang)
        ),
    })
}

fn done(reply: &SiteReply, lang: Lang) -> SiteStep {
    SiteStep::Done {
        accepted: reply.accepted,
        message: lang.pick(&reply.message_ja, &reply.message_en).to_owned(),
        redirect_uri: reply.redirect_uri.clone(),
    }
}

fn failed(e: &SiteError, lang: Lang) -> SiteStep {
    SiteStep::Failed {
        message: e.message(lang),
        can_retry: matches!(e, SiteError::Unreachable(_)),
    }
}

/// A failure before the answer was sent: the card's rules first.
fn card_outcome(inner: &mut Inner, e: &Failure, lang: Lang) -> SiteStep {
    inner.last_try = LastTry::Refuse;
    let card = match e {
        Failure::Site(SiteError::Card(card)) => card,
        Failure::Site(e) => return failed(e, lang),
        Failure::Wallet(e) => {
            return SiteStep::Failed {
                message: lang.part_of(&e.to_string()),
                // A keystore prompt cancelled or timed out: asking again may work.
                can_retry: matches!(e, crate::wallet::WalletError::Present(_)),
            };
        }
    };
    let message = lang.part_of(&card.to_string());
    match card_answer(card) {
        CardAnswer::AskAgain { tries_left } => {
            inner.tries_left = tries_left.or(inner.tries_left);
            entry(inner, Some(message))
        }
        CardAnswer::ConfirmLastTry => SiteStep::ConfirmLastTry { message },
        CardAnswer::Blocked => SiteStep::Blocked { message },
        CardAnswer::Stop => SiteStep::Failed {
            message,
            can_retry: false,
        },
    }
}
