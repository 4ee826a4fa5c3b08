//! The surface the phones (and Python booking sites) see. Thin: it converts between uniffi
//! records and techo-core types and maps errors; every decision stays in the core.
//!
//! Platform-implemented (foreign) traits: [`DataKeyProvider`], [`DeviceKeyStore`],
//! [`CardTransport`], [`WalletClock`]. Objects: [`Wallet`], [`CounterSession`], [`LinkFlow`],
//! [`AppLock`], [`TechoService`], [`Verifier`], [`StaffPolicy`], [`OperatorDirectory`]. There are no test-only exports: the phones, the
//! JVM tests and the Python tests load the same library.

#![allow(
    clippy::needless_pass_by_value,
    reason = "uniffi passes foreign arguments by value"
)]

mod app_lock;
mod card;
mod clock;
mod counter;
mod coupon_queue;
mod error;
mod form;
mod ids;
mod keep_linked;
mod keys;
mod ledger;
mod link_flow;
mod places;
mod records;
mod service;
mod site;
mod site_flow;
mod staff;
mod support;
mod verifier;
mod wallet;

pub use app_lock::AppLock;
pub use card::{CardIdentity, CardTransport, CardTransportError, PinPad, read_card_identity};
pub use clock::WalletClock;
pub use counter::{CodeStatus, CounterFrame, CounterSession};
pub use coupon_queue::{CouponQueue, RedemptionNote};
pub use error::TechoError;
pub use form::{FieldProblem, HandbookForm};
pub use keep_linked::{HandbookProblem, KeepLinkedReport, LinkageNotice, NoticeKind};
pub use keys::{DataKeyError, DataKeyProvider, DeviceKeyError, DeviceKeyStore};
pub use ledger::{ConsentLedger, IssuerConsent, SharedWithSite};
pub use link_flow::{LinkFlow, LinkProgress, LinkStep};
pub use places::{CouponRow, PlaceCategory, PlaceFilter, PlaceRow, standard_coupon_terms};
pub use records::*;
pub use service::TechoService;
pub use site::{SiteFlow, SiteIdentity, SiteOutcome, SiteSession, SiteTrip, SiteVerifier};
pub use site_flow::{SiteAnswer, SiteOrderLine, SiteStep};
pub use staff::{
    OperatorChoice, OperatorDirectory, StaffDecision, StaffPolicy, StaffVerdict, TripQuestions,
};
pub use support::{SupportChoice, support_choices};
pub use verifier::{StaffCheck, Verifier, qr_content_from_codewords};
pub use wallet::{PageImageData, Wallet, reset_wallet};

uniffi::setup_scaffolding!();
