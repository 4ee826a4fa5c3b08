//! One frame of the counter screen: the view model, the code (or why there is none) and when to
//! ask for the next frame.

use crate::Lang;
use crate::screen::{CounterScreen, Emphasis, ItemKey};
use crate::token::ShownCode;
use chrono::NaiveDate;

/// What takes the QR code's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrState {
    /// The code for this 30-second step.
    Code(ShownCode),
    /// The handbook is 未連携 or 申請中 and holds no credential: the screen stands alone, as a
    /// paper handbook would.
    NotLinked,
    /// The device key needs the holder's unlock (the app lock) first. Nothing is signed until
    /// the shell reports the unlock ([`super::CounterSession::unlocked`]).
    UnlockNeeded,
    /// The holder cancelled the unlock prompt. Nothing is asked again until they tap
    /// ([`super::CounterSession::retry`]): no prompt loop in front of staff.
    Cancelled,
    /// Linked, but every credential has expired (on `until`): renew online, or link again.
    RanOut { until: NaiveDate },
    /// No usable credential and nothing to renew it from (the key is gone, the credential is
    /// damaged, or it does not match this phone): link again with the card.
    NeedsCard { why: String },
    /// Signing failed; the next try is made on its own after a wait that doubles each time.
    Failed { message: String, retry_in_ms: u32 },
}

impl QrState {
    /// What the screen says in the code's place, in `lang` (`None` with a code).
    pub fn message(&self, lang: Lang) -> Option<String> {
        Some(match self {
            QrState::Code(_) => return None,
            QrState::NotLinked => lang
                .pick(
                    "連携すると確認用のコードが表示されます",
                    "Link the handbook to show a code staff can check",
                )
                .to_owned(),
            QrState::UnlockNeeded => lang
                .pick(
                    "ロックを解除するとコードが表示されます",
                    "Unlock to show the code",
                )
                .to_owned(),
            QrState::Cancelled => lang
                .pick("タップしてコードを表示", "Tap to show the code")
                .to_owned(),
            QrState::RanOut { until } => match lang {
                Lang::Ja => format!(
                    "証明書の有効期限（{until}）が過ぎました。通信できる場所で更新するか、カードで連携し直してください"
                ),
                Lang::En => format!(
                    "The credentials expired on {until}: renew them online, or link again with the card"
                ),
            },
            QrState::NeedsCard { why } => match lang {
                Lang::Ja => format!("マイナンバーカードで連携し直してください（{why}）"),
                Lang::En => format!("Link again with the My Number card ({why})"),
            },
            QrState::Failed { message, .. } => message.clone(),
        })
    }

    /// Whether the screen may still say 連携済: only while a code can be shown or is a tap or
    /// an unlock away.
    pub fn keeps_linked(&self) -> bool {
        matches!(
            self,
            QrState::Code(_) | QrState::UnlockNeeded | QrState::Cancelled | QrState::Failed { .. }
        )
    }
}

/// The counter screen at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterFrame {
    pub screen: CounterScreen,
    pub qr: QrState,
    /// What stands in the code's place, in the screen's language.
    pub message: Option<String>,
    /// Milliseconds until the shell should ask for the next frame.
    pub next_frame_ms: u32,
}

/// A linked handbook that can no longer present must not look linked: the linkage line says what
/// to do instead of 連携済, and the character stands still.
pub(super) fn mark_not_presentable(screen: &mut CounterScreen, state: &QrState, lang: Lang) {
    let (value, spoken) = match state {
        QrState::RanOut { until } => (
            lang.pick("証明書の期限切れ", "Credentials expired")
                .to_owned(),
            match lang {
                Lang::Ja => format!("連携の証明書は{until}に期限が切れました"),
                Lang::En => format!("The linkage credentials expired on {until}"),
            },
        ),
        _ => (
            lang.pick("要再連携", "Link again").to_owned(),
            lang.pick(
                "カードで連携し直す必要があります",
                "The handbook must be linked again with the card",
            )
            .to_owned(),
        ),
    };
    if let Some(item) = screen.items.iter_mut().find(|i| i.key == ItemKey::Linkage) {
        item.value = value;
        item.emphasis = Emphasis::Alert;
        item.spoken = format!(
            "{}{spoken}",
            lang.pick("マイナポータル連携 ", "Portal linkage: ")
        );
    }
    screen.live.character_frame = None;
}
