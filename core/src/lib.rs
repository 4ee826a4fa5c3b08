//! Techo core: the handbook model, the encrypted on-device store and the wallet facade.
//!
//! Pure Rust with no FFI types and no global state. Time comes from an injected [`Clock`];
//! the core never sleeps and never spawns threads behind the caller's back.
#![forbid(unsafe_code)]

pub mod card;
pub mod clock;
pub mod counter;
pub mod directory;
pub mod flows;
pub mod hex;
mod http;
pub mod lang;
pub mod linkage;
pub mod model;
pub mod policy;
pub mod portal;
pub mod private_file;
pub mod screen;
pub mod site;
pub mod store;
pub mod token;
pub mod wallet;

pub use clock::{Clock, FixedClock, SystemClock};
pub use lang::Lang;
pub use wallet::{Export, Wallet, WalletError};
