//! Every type that holds a secret prints without it: PINs, the signing password, device and
//! issuer keys, the store's data key, held disclosures, a site's identity signature input.
#![allow(clippy::unwrap_used)]

mod common;

use techo_core::card::{Pin, SigningPin};
use techo_core::store::DataKey;
use techo_core::token::{DevIssuer, SoftwareKey};

#[test]
fn secrets_never_reach_debug_output() {
    let pin = format!("{:?}", Pin::parse("4321").unwrap());
    assert!(!pin.contains("4321"), "{pin}");
    let password = format!("{:?}", SigningPin::parse("SECRET99").unwrap());
    assert!(!password.contains("SECRET99"), "{password}");
    let key = SoftwareKey::generate();
    let private_hex = techo_core::hex::encode(key.pkcs8());
    let printed = format!("{key:?}");
    assert!(!printed.contains(&private_hex[40..72]), "{printed}");
    let data_key = DataKey::from_bytes([0xAB; 32]);
    assert!(!format!("{data_key:?}").to_lowercase().contains("abab"));
    let issuer = DevIssuer::generate();
    let printed = format!("{issuer:?}");
    let issuer_private = techo_core::hex::encode(issuer.issuer_key().pkcs8());
    assert!(!printed.contains(&issuer_private[40..72]), "{printed}");
    let w = common::world();
    for held in &w.held {
        let printed = format!("{held:?}");
        for d in &held.disclosures {
            let salt = techo_core::hex::encode(&d.salt);
            assert!(!printed.contains(&salt), "{printed}");
        }
    }
}
