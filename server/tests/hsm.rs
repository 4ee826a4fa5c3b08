//! Issuer keys in an HSM (SoftHSM2 through PKCS#11, issue 30): made inside the token, sensitive
//! and never extractable (read back from the token itself), used only through sessions; a
//! server on them issues credentials verifiers accept, starts again on the same keys, rotates,
//! and says what to do when the token or PIN is wrong.
#![allow(clippy::unwrap_used)]

mod common;

use common::hsm::{USER_PIN, token};
use common::world_configured;
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use techo_core::Clock;
use techo_core::token::{ClaimId, Policy, verify};
use techo_server::issuer::keys::{KeyConfig, KeyName, KeySource, Pkcs11Config, Pkcs11Keys};
use techo_server::issuer::store::StoreConfig;

const DAYTIME: &str = "2026-11-25T03:00:00Z";

/// What the token itself says about every private key on it: (label, extractable, sensitive,
/// never extractable, whether reading its value was refused).
fn private_keys_as_the_token_sees_them(
    cfg: &Pkcs11Config,
) -> Vec<(String, bool, bool, bool, bool)> {
    let ctx = common::hsm::context();
    let slot = ctx
        .get_slots_with_initialized_token()
        .unwrap()
        .into_iter()
        .find(|s| ctx.get_token_info(*s).unwrap().label() == cfg.token)
        .unwrap();
    let session = ctx.open_ro_session(slot).unwrap();
    let _ = session.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())));
    let mut out = Vec::new();
    for key in session
        .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])
        .unwrap()
    {
        let attrs = session
            .get_attributes(
                key,
                &[
                    AttributeType::Label,
                    AttributeType::Extractable,
                    AttributeType::Sensitive,
                    AttributeType::NeverExtractable,
                ],
            )
            .unwrap();
        let (mut label, mut extractable, mut sensitive, mut never) =
            (String::new(), true, false, false);
        for a in attrs {
            match a {
                Attribute::Label(l) => label = String::from_utf8(l).unwrap(),
                Attribute::Extractable(b) => extractable = b,
                Attribute::Sensitive(b) => sensitive = b,
                Attribute::NeverExtractable(b) => never = b,
                _ => {}
            }
        }
        let value_refused = !matches!(
            session.get_attributes(key, &[AttributeType::Value]).as_deref(),
            Ok([Attribute::Value(v)]) if !v.is_empty()
        );
        out.push((label, extractable, sensitive, never, value_refused));
    }
    out.sort();
    out
}

#[test]
fn keys_are_made_inside_the_token_and_never_leave_it() {
    let cfg = token("keys");
    let keys = Pkcs11Keys::open(&cfg).unwrap();
    let root = keys.generate(&KeyName::Root).unwrap();
    let issuer = keys.generate(&KeyName::Issuer(vec![1])).unwrap();
    // Signatures made in the token verify with the public keys it gave.
    for signer in [&root, &issuer] {
        let sig = signer.try_sign(b"signed in the HSM").unwrap();
        assert_eq!(sig.len(), 64);
        assert!(signer.public().verify(b"signed in the HSM", &sig));
        assert!(!signer.public().verify(b"something else", &sig));
    }
    // Found again by label, the same keys.
    let found = keys.find(&KeyName::Issuer(vec![1])).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].public(), issuer.public());
    assert!(keys.find(&KeyName::Issuer(vec![2])).unwrap().is_empty());
    // The token's own view: never extractable, sensitive, value unreadable.
    let seen = private_keys_as_the_token_sees_them(&cfg);
    assert_eq!(seen.len(), 2, "{seen:?}");
    for (label, extractable, sensitive, never_extractable, value_refused) in &seen {
        assert!(!extractable, "{label}: CKA_EXTRACTABLE must be false");
        assert!(sensitive, "{label}: CKA_SENSITIVE must be true");
        assert!(
            never_extractable,
            "{label}: CKA_NEVER_EXTRACTABLE must be true"
        );
        assert!(
            value_refused,
            "{label}: the private value must not be readable"
        );
    }
    assert_eq!(seen[0].0, "techo-issuer-01");
    assert_eq!(seen[1].0, "techo-root");
}

#[test]
fn a_wrong_pin_or_token_says_what_to_fix() {
    let cfg = token("pins");
    let wrong_pin = Pkcs11Config::new(&cfg.module, &cfg.token, "000000");
    let err = Pkcs11Keys::open(&wrong_pin).unwrap_err();
    assert!(err.to_string().contains("refused the PIN"), "{err}");
    let no_token = Pkcs11Config::new(&cfg.module, "no-such-token", USER_PIN);
    let err = Pkcs11Keys::open(&no_token).unwrap_err();
    assert!(
        err.to_string().contains("softhsm2-util --init-token"),
        "{err}"
    );
    let no_module = Pkcs11Config::new("/nonexistent/libpkcs11.so", "t", USER_PIN);
    let err = Pkcs11Keys::open(&no_module).unwrap_err();
    assert!(err.to_string().contains("module="), "{err}");
    // The configuration text: a PIN from a file or the environment, never inline.
    let pin_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(pin_file.path(), format!("{USER_PIN}\n")).unwrap();
    let text = format!(
        "pkcs11:module={};token={};pin-file={}",
        cfg.module.display(),
        cfg.token,
        pin_file.path().display()
    );
    assert_eq!(
        KeyConfig::parse(&text).unwrap(),
        KeyConfig::Pkcs11(cfg.clone())
    );
    let err = KeyConfig::parse("pkcs11:module=/x.so;token=t;pin=1234").unwrap_err();
    assert!(err.to_string().contains("pin-file"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_on_hsm_keys_issues_restarts_and_rotates() {
    let cfg = token("server");
    let keys = KeyConfig::Pkcs11(cfg.clone());
    let mut w = world_configured(DAYTIME, StoreConfig::default(), None, |c| {
        c.keys = keys.clone();
    })
    .await;
    w.link("yamada", "1234").await.unwrap();
    let (trust, status) = w.client.verifier_lists().await.unwrap();
    let (_, payload) = w
        .wallet
        .present(Some(&w.handbook), &ClaimId::COUNTER, None)
        .unwrap();
    verify(
        &payload.binary(),
        &trust,
        &status,
        w.clock.now(),
        &Policy::default(),
    )
    .unwrap();
    // No key material on disk: the issuer folder holds no key file.
    let files: Vec<_> = std::fs::read_dir(w.dir.path().join("issuer"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(files.is_empty(), "{files:?}");

    // Started again on the same token: the same root and issuer keys.
    w.restart_server_with(StoreConfig::default(), |c| c.keys = keys.clone())
        .await;
    let (again, _) = w.client.verifier_lists().await.unwrap();
    assert_eq!(again.issuers, trust.issuers);

    // A rotation makes key 02 inside the token too, and it signs after the notice.
    assert_eq!(w.server.state.prepare_key_rotation().await.unwrap(), "02");
    w.clock.advance(chrono::Duration::days(7));
    assert_eq!(w.server.state.activate_next_key().await.unwrap(), "02");
    w.wallet.renew(&w.client, &w.handbook).await.unwrap();
    let (rotated, status) = w.client.verifier_lists().await.unwrap();
    let (_, payload) = w
        .wallet
        .present(Some(&w.handbook), &ClaimId::COUNTER, None)
        .unwrap();
    let v = verify(
        &payload.binary(),
        &rotated,
        &status,
        w.clock.now(),
        &Policy::default(),
    )
    .unwrap();
    assert_eq!(v.issuer_name, "Techo");
    let labels: Vec<String> = private_keys_as_the_token_sees_them(&cfg)
        .into_iter()
        .map(|k| k.0)
        .collect();
    assert_eq!(labels, ["techo-issuer-01", "techo-issuer-02", "techo-root"]);
}
