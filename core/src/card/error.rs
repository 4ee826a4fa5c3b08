//! Card errors: each says what the holder can do, in English and Japanese.

use super::apdu::StatusWord;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error(
        "the card was moved away during {during}: hold it still against the back of the phone and try again (no PIN try was used unless it says so) / カードが離れました。もう一度かざしてください"
    )]
    Removed { during: &'static str },
    #[error("the card did not answer: hold it still and try again / カードが応答しません")]
    Timeout,
    #[error("the reader failed ({0}): try again / 読み取りに失敗しました")]
    Reader(String),
    #[error(transparent)]
    PinFormat(#[from] super::pin::PinFormatError),
    #[error(transparent)]
    SigningPinFormat(#[from] super::signing_pin::SigningPinFormatError),
    #[error(
        "wrong PIN: {tries_left} tries left. After {tries_left} more wrong PINs the card is blocked and only your municipal office can reset it / 暗証番号が違います（残り{tries_left}回）"
    )]
    WrongPin { tries_left: u8 },
    #[error(
        "only one PIN try is left: if it is wrong the card is blocked. Check the PIN and confirm to use the last try / 残り1回です。間違えるとロックされます。確認のうえ続行してください"
    )]
    LastTryNeedsConfirmation,
    #[error(
        "the PIN is blocked: take the card and ID to your municipal office to reset it / 暗証番号がロックされています。市区町村の窓口で再設定してください"
    )]
    PinBlocked,
    #[error(
        "this card has no signing certificate (署名用電子証明書): it is not issued to children under 15 and can be added at the municipal office; the purchase can go ahead unsigned / 署名用電子証明書がありません"
    )]
    NoSigningCertificate,
    #[error(
        "this is not a My Number card, or its {0} application is missing / マイナンバーカードではないか、必要な機能がありません"
    )]
    NotMyNumberCard(&'static str),
    #[error(
        "the card refused {command} with status {sw}: try again, or report it with `techo card trace` / カードがエラーを返しました（{sw}）"
    )]
    Status {
        command: &'static str,
        sw: StatusWord,
    },
    #[error(
        "the card sent data Techo cannot read ({0}): report it with `techo card trace` / カードの応答を読めません"
    )]
    Malformed(&'static str),
    #[error(
        "the reader cannot send {0}: it needs extended-length APDUs / この読み取り機では送信できません"
    )]
    TooLong(String),
    #[error(
        "the phone's authentication for the smartphone certificate was cancelled or failed: try again, or link with the My Number card / スマホ用電子証明書の認証が完了しませんでした"
    )]
    NotAuthenticated,
}

impl From<super::transport::TransportError> for CardError {
    fn from(e: super::transport::TransportError) -> Self {
        match e {
            super::transport::TransportError::Removed => CardError::Removed { during: "reading" },
            super::transport::TransportError::Timeout => CardError::Timeout,
            super::transport::TransportError::Io(s) => CardError::Reader(s),
        }
    }
}
