//! The handbook model: kinds, grades, fare classes, municipality codes, dates and validation.

pub mod confirmed;
pub mod dates;
pub mod error;
pub mod fare;
pub mod guardian;
pub mod handbook;
pub mod holder;
pub mod id;
pub mod image_intake;
pub mod kind;
pub mod linkage;
pub mod municipality;
pub mod page_image;
pub mod photo;
pub mod support;
pub mod text;

pub use confirmed::{PortalChange, PortalConfirmation};
pub use dates::HandbookDates;
pub use error::{Field, Problem, ValidationError};
pub use fare::FareClass;
pub use guardian::{GuardianDraft, Presenter, Relationship};
pub use handbook::{Handbook, HandbookDraft, HolderDraft, InvalidHandbook, Municipality};
pub use holder::Holder;
pub use id::HandbookId;
pub use kind::{Category, HandbookKind, Severity};
pub use linkage::{CONSENT_WARNING_DAYS, LinkageState};
pub use municipality::MunicipalityCode;
pub use page_image::PageImage;
pub use photo::{PhotoFormat, PhotoInfo};
pub use support::{
    BatteryType, PoweredSpec, SupportCode, SupportError, SupportGroup, SupportItem, SupportProfile,
};
