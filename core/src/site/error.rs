//! What goes wrong between a site and a phone, with a stable code for the wire and a message
//! that says what to do, in English then Japanese.

use crate::card::{CardError, CertError};
use crate::policy::ChallengeError;
use crate::token::VerifyError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    #[error(
        "this is not a Techo site link: scan the code on the site again / Techo のリンクではありません"
    )]
    NotASiteLink,
    #[error(
        "the site's request is malformed ({0}): start again on the site / サイトの要求を読めません"
    )]
    BadRequest(String),
    #[error(
        "the site's request version {0} is not supported: update the app / 対応していない版です"
    )]
    UnsupportedVersion(u32),
    #[error("the site must use https ({0}) / https ではないサイトには提示できません")]
    NotHttps(String),
    #[error(
        "the request claims to come from {claimed} but was served by {actual}: not presented / 要求元のサイトが一致しないため提示しません"
    )]
    WrongSite { claimed: String, actual: String },
    #[error(
        "the site's request expired: start again on the site / 要求の有効期限が切れました。サイトでやり直してください"
    )]
    RequestExpired,
    #[error("no such session on this site: start again / このセッションはありません")]
    UnknownSession,
    #[error("this session asks for {expected}, not {got} / このセッションの要求と異なる回答です")]
    WrongAnswer {
        expected: &'static str,
        got: &'static str,
    },
    #[error("{0}")]
    Presentation(VerifyError),
    #[error("{0}")]
    Challenge(ChallengeError),
    #[error(
        "the name and birth date are not signed by the phone that presented: not used / 氏名・生年月日の署名が提示端末と一致しません"
    )]
    IdentityNotSigned,
    #[error("the order signature is not valid: {0} / 注文の電子署名を確認できません")]
    OrderSignature(String),
    #[error(
        "the order document does not match its digest: not signed / 注文内容が一致しないため署名しません"
    )]
    OrderMismatch,
    #[error(transparent)]
    Card(CardError),
    #[error("the phone could not sign: {0} / 端末で署名できません")]
    DeviceKey(String),
    #[error(
        "cannot reach the site ({0}): check the connection and try again / サイトに接続できません"
    )]
    Unreachable(String),
    #[error("the site refused the answer: {0}")]
    SiteRefused(String),
}

impl SiteError {
    /// A stable code for the wire, logs and tests.
    pub fn code(&self) -> &'static str {
        match self {
            SiteError::NotASiteLink => "not_a_site_link",
            SiteError::BadRequest(_) => "bad_request",
            SiteError::UnsupportedVersion(_) => "unsupported_version",
            SiteError::NotHttps(_) => "not_https",
            SiteError::WrongSite { .. } => "wrong_site",
            SiteError::RequestExpired => "request_expired",
            SiteError::UnknownSession => "unknown_session",
            SiteError::WrongAnswer { .. } => "wrong_answer",
            SiteError::Presentation(e) => e.code(),
            SiteError::Challenge(ChallengeError::Replayed { .. }) => "replayed",
            SiteError::Challenge(ChallengeError::Expired { .. }) => "challenge_expired",
            SiteError::Challenge(ChallengeError::WrongAudience { .. }) => "wrong_audience",
            SiteError::Challenge(ChallengeError::Unknown) => "unknown_challenge",
            SiteError::IdentityNotSigned => "identity_not_signed",
            SiteError::OrderSignature(_) => "bad_order_signature",
            SiteError::OrderMismatch => "order_mismatch",
            SiteError::Card(_) => "card",
            SiteError::DeviceKey(_) => "device_key",
            SiteError::Unreachable(_) => "unreachable",
            SiteError::SiteRefused(_) => "site_refused",
        }
    }

    /// The message in one language.
    pub fn message(&self, lang: crate::Lang) -> String {
        lang.part_of(&self.to_string())
    }
}

impl From<CertError> for SiteError {
    fn from(e: CertError) -> Self {
        SiteError::OrderSignature(e.to_string())
    }
}

impl From<CardError> for SiteError {
    fn from(e: CardError) -> Self {
        SiteError::Card(e)
    }
}
