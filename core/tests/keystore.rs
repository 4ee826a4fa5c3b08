//! Device keys held by a platform keystore (StrongBox / Secure Enclave stand-in): the wallet keeps
//! only aliases and public keys, presents with the keystore's signatures, and deletes keys it no
//! longer needs.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{clock, fixture, keys};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use techo_core::token::PresentError;
use techo_core::token::{
    ClaimId, DevIssuer, DeviceKeyError, DeviceKeyStore, Policy, PublicKey, SoftwareKey, StatusList,
    TrustList, verify,
};
use techo_core::{Clock, FixedClock, Wallet, WalletError};

/// Keys in memory by alias, like a keystore; `corrupt` makes it sign with the wrong key.
/// With `unlock_window`, keys sign only that long after the holder last unlocked (`unlocked_at`),
/// as Android Keystore keys made with `setUserAuthenticationParameters(300, …)` do.
#[derive(Debug, Default)]
struct MemoryKeystore {
    keys: Mutex<HashMap<String, SoftwareKey>>,
    corrupt: Mutex<bool>,
    unlock_window: Option<(Arc<FixedClock>, Duration)>,
    unlocked_at: Mutex<Option<DateTime<Utc>>>,
}

impl DeviceKeyStore for MemoryKeystore {
    fn create(&self, alias: &str) -> Result<PublicKey, DeviceKeyError> {
        let k = SoftwareKey::generate();
        let p = k.public();
        self.keys.lock().unwrap().insert(alias.into(), k);
        Ok(p)
    }

    fn sign(&self, alias: &str, msg: &[u8]) -> Result<Vec<u8>, DeviceKeyError> {
        if let Some((clock, window)) = &self.unlock_window {
            match *self.unlocked_at.lock().unwrap() {
                Some(at) if clock.now() - at <= *window => {}
                _ => return Err(DeviceKeyError::NotUnlocked),
            }
        }
        if *self.corrupt.lock().unwrap() {
            return Ok(SoftwareKey::generate().sign_bytes(msg));
        }
        let keys = self.keys.lock().unwrap();
        Ok(keys
            .get(alias)
            .ok_or(DeviceKeyError::KeyLost)?
            .sign_bytes(msg))
    }

    fn delete(&self, alias: &str) -> Result<(), DeviceKeyError> {
        self.keys.lock().unwrap().remove(alias);
        Ok(())
    }
}

/// Presents the counter handbook and verifies it with the issuer's lists at `now`.
fn present_and_verify(w: &Wallet, issuer: &DevIssuer, now: DateTime<Utc>) {
    let (_, payload) = w.present(None, &ClaimId::COUNTER, None).unwrap();
    let trust = TrustList::from_signed(&issuer.signed_trust_list(now), &issuer.root_public(), None)
        .unwrap();
    let status = StatusList::from_signed(&issuer.signed_status_list(now), &trust).unwrap();
    verify(
        &payload.binary(),
        &trust,
        &vec![status],
        now,
        &Policy::default(),
    )
    .unwrap();
}

/// Credentials from a dev issuer for `n` new device keys, stored in the wallet.
fn issue(
    w: &Wallet,
    dir: &std::path::Path,
    hb: &techo_core::model::Handbook,
    n: usize,
) -> (DevIssuer, usize) {
    let mut issuer = DevIssuer::create(&dir.join("issuer")).unwrap();
    let creds = w.issue_for_development(&hb.id, &mut issuer, n).unwrap();
    assert!(creds.iter().all(|c| c.device_key.starts_with("hw-")));
    (issuer, creds.len())
}

#[test]
fn hardware_keys_present_verify_and_are_deleted_with_the_handbook() {
    let dir = tempfile::tempdir().unwrap();
    let ks = Arc::new(MemoryKeystore::default());
    let c = clock();
    let w = Wallet::open(dir.path(), &keys(), c.clone())
        .unwrap()
        .with_device_keystore(ks.clone());
    let (draft, photo) = fixture("01-");
    let hb = w.add(&draft, photo.as_deref()).unwrap();

    let (issuer, _) = issue(&w, dir.path(), &hb, 3);
    assert_eq!(ks.keys.lock().unwrap().len(), 3);

    present_and_verify(&w, &issuer, c.now());

    // A keystore that answers with someone else's signature is caught before a QR is shown.
    *ks.corrupt.lock().unwrap() = true;
    let err = w.present(None, &ClaimId::COUNTER, None).unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");
    *ks.corrupt.lock().unwrap() = false;

    w.withdraw(&hb.id).unwrap();
    assert!(ks.keys.lock().unwrap().is_empty());
}

#[test]
fn a_store_opened_without_its_keystore_says_link_again() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let hb_id = {
        let w = Wallet::open(dir.path(), &keys(), c.clone())
            .unwrap()
            .with_device_keystore(Arc::new(MemoryKeystore::default()));
        let (draft, photo) = fixture("01-");
        let hb = w.add(&draft, photo.as_deref()).unwrap();
        let (_, held) = issue(&w, dir.path(), &hb, 1);
        (hb.id, held)
    };
    let (hb_id, held) = hb_id;
    let w = Wallet::open(dir.path(), &keys(), c).unwrap();
    let err = w
        .present(Some(&hb_id), &ClaimId::COUNTER, None)
        .unwrap_err();
    assert!(matches!(err, WalletError::Present(_)), "{err:?}");
    assert!(err.to_string().contains("link the handbook again"), "{err}");
    // Nothing was lost: the handbook and its credentials are still there.
    assert_eq!(w.credentials(&hb_id).unwrap().len(), held);
}

/// Threat 7: a phone left unlocked and picked up by someone else. Within the Keystore's window
/// after the holder's own unlock the handbook shows; once it has passed, presenting needs the
/// holder's biometrics or PIN again, the error says so, and nothing is used up or lost.
#[test]
fn once_the_unlock_lapses_a_picked_up_phone_shows_no_code_until_the_holder_unlocks() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let ks = Arc::new(MemoryKeystore {
        unlock_window: Some((c.clone(), Duration::minutes(5))),
        ..MemoryKeystore::default()
    });
    *ks.unlocked_at.lock().unwrap() = Some(c.now());
    let w = Wallet::open(dir.path(), &keys(), c.clone())
        .unwrap()
        .with_device_keystore(ks.clone());
    let (draft, photo) = fixture("01-");
    let hb = w.add(&draft, photo.as_deref()).unwrap();
    let (issuer, held) = issue(&w, dir.path(), &hb, 4);
    w.present(None, &ClaimId::COUNTER, None).unwrap();

    // Left on a table; picked up six minutes after the holder last unlocked.
    let left_at = c.now();
    c.set(left_at + Duration::minutes(6));
    let err = w.present(None, &ClaimId::COUNTER, None).unwrap_err();
    assert!(
        matches!(
            err,
            WalletError::Present(PresentError::DeviceKey(DeviceKeyError::NotUnlocked))
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("unlock"), "{err}");
    assert_eq!(w.credentials(&hb.id).unwrap().len(), held);
    assert!(w.check().unwrap().is_healthy());

    // The holder unlocks (the app lock's prompt); the next frame presents a code that verifies.
    *ks.unlocked_at.lock().unwrap() = Some(c.now());
    present_and_verify(&w, &issuer, c.now());
}
