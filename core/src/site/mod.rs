//! Booking sites (seed 000, online purchase with the discount): a site asks the phone for a
//! presentation bound to its own single-use challenge, optionally for the holder's name and birth
//! date read from the My Number card, and optionally for the order signed with the card's
//! signing key. `docs/booking-sites.md` gives the exact messages.
//!
//! - [`SiteVerifier`]: the site's side (`start_session`, `finish_session`, the browser's view);
//! - [`Wallet::answer_site`](crate::Wallet::answer_site) and [`sign_order`]: the phone's side;
//! - [`SiteClient`]: the phone's HTTPS calls (fetch the request, post the answer).

mod client;
mod error;
mod identity;
mod link;
mod order;
mod request;
mod response;
mod session;
mod verifier;

pub use client::SiteClient;
pub use error::SiteError;
pub use identity::{IdentityFacts, SignedIdentity};
pub use link::{parse_link, request_link};
pub use order::{OrderBody, OrderDocument, OrderLine, OrderSignature, SignedPurchase, sign_order};
pub use request::{Flow, RequestKind, SiteInfo, SiteRequest};
pub use response::{SiteReply, SiteResponse};
pub use session::{Accepted, SessionState, SessionView};
pub use verifier::{SiteConfig, SiteVerifier, StartedSession};

/// URLs as the site messages carry them.
pub use reqwest::Url;

/// The version of every message in this module.
pub const SITE_PROTOCOL_VERSION: u32 = 1;
