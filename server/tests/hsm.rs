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
use techo_server::issuer::keys::{
    IssuerKeys, KeyConfig, KeyName, KeySource, KeysError, Pkcs11Config, Pkcs11Keys, RotationError,
};
use techo_server::issuer::store::{AnyStore, StoreConfig};

const DAYTIME: &str = "2026-11-25T03:00:00Z";

/// What the token itself says about every private key on it: (label, extractable, sensitive,
/// never extractable, whether reading its value was refused).
fn private_keys_as_the_token_sees_them(
    cfg: &Pkcs11Config,
) -> Vec<(String, bool, bool, bool, bool)> {
    let (session, _) = session_on(cfg);
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
    let _serial = common::hsm::one_at_a_time();
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
    let _serial = common::hsm::one_at_a_time();
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
    let _serial = common::hsm::one_at_a_time_async().await;
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
    // The key sealing the stored portal tokens is an AES key made in the token, never
    // extractable (the renewal above opened the token sealed before the restart through it).
    let (session, _) = session_on(&cfg);
    let _ = session.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())));
    let sealing = session
        .find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Label(b"techo-seal".to_vec()),
        ])
        .unwrap();
    assert_eq!(sealing.len(), 1);
    let attrs = session
        .get_attributes(
            sealing[0],
            &[AttributeType::Extractable, AttributeType::Sensitive],
        )
        .unwrap();
    assert!(attrs.contains(&Attribute::Extractable(false)), "{attrs:?}");
    assert!(attrs.contains(&Attribute::Sensitive(true)), "{attrs:?}");
    let value = session.get_attributes(sealing[0], &[AttributeType::Value]);
    assert!(
        !matches!(value.as_deref(), Ok([Attribute::Value(v)]) if !v.is_empty()),
        "the sealing key's value must not be readable"
    );
}

/// A session of the test's own on `cfg`'s token (the same process, so the same PKCS#11
/// application as the server's sessions: a logout here logs every one of them out).
fn session_on(cfg: &Pkcs11Config) -> (cryptoki::session::Session, cryptoki::slot::Slot) {
    let ctx = common::hsm::context();
    let slot = ctx
        .get_slots_with_initialized_token()
        .unwrap()
        .into_iter()
        .find(|s| ctx.get_token_info(*s).unwrap().label() == cfg.token)
        .unwrap();
    (ctx.open_rw_session(slot).unwrap(), slot)
}

#[test]
fn signing_goes_on_after_the_token_forgets_the_login() {
    let _serial = common::hsm::one_at_a_time();
    let cfg = token("relogin");
    let keys = Pkcs11Keys::open(&cfg).unwrap();
    let signer = keys.generate(&KeyName::Issuer(vec![1])).unwrap();
    assert!(
        signer
            .public()
            .verify(b"before", &signer.try_sign(b"before").unwrap())
    );

    // The token forgets the login (an HSM restarted, a network HSM reconnected): the signer
    // logs in again on a new session and the signature is made.
    let (ours, _) = session_on(&cfg);
    ours.logout().unwrap();
    let after = signer.try_sign(b"after the logout").unwrap();
    assert!(signer.public().verify(b"after the logout", &after));

    // The PIN changed meanwhile: nothing is signed, and the error says to check the PIN.
    // (The signer's new login is this session's too.)
    assert!(matches!(
        ours.login(UserType::User, Some(&AuthPin::new(USER_PIN.into()))),
        Err(cryptoki::error::Error::Pkcs11(
            cryptoki::error::RvError::UserAlreadyLoggedIn,
            _
        ))
    ));
    ours.set_pin(
        &AuthPin::new(USER_PIN.into()),
        &AuthPin::new("975310".into()),
    )
    .unwrap();
    ours.logout().unwrap();
    let err = signer.try_sign(b"with the old PIN").unwrap_err();
    assert!(err.to_string().contains("refused the PIN"), "{err}");

    // Not tried again, even once the PIN is put back (each try would count towards locking
    // the PIN): the error says to correct the configuration and restart.
    ours.login(UserType::User, Some(&AuthPin::new("975310".into())))
        .unwrap();
    ours.set_pin(
        &AuthPin::new("975310".into()),
        &AuthPin::new(USER_PIN.into()),
    )
    .unwrap();
    ours.logout().unwrap();
    let err = signer.try_sign(b"PIN restored").unwrap_err();
    assert!(err.to_string().contains("restart the server"), "{err}");
    // Started again with the right PIN: the same key signs.
    let restarted = Pkcs11Keys::open(&cfg)
        .unwrap()
        .find(&KeyName::Issuer(vec![1]))
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(restarted.public(), signer.public());
    assert!(
        signer
            .public()
            .verify(b"again", &restarted.try_sign(b"again").unwrap())
    );
}

#[test]
fn signing_sessions_stay_within_the_configured_number() {
    let _serial = common::hsm::one_at_a_time();
    let cfg = token("sessions").with_sessions(2);
    let keys = Pkcs11Keys::open(&cfg).unwrap();
    let signer = keys.generate(&KeyName::Issuer(vec![1])).unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    let most = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut most = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                most = most.max(keys.signing_sessions());
                std::thread::yield_now();
            }
            most
        });
        let workers: Vec<_> = (0..6)
            .map(|t| {
                let signer = signer.clone();
                scope.spawn(move || {
                    for i in 0..40 {
                        let msg = format!("thread {t} signature {i}");
                        let sig = signer.try_sign(msg.as_bytes()).unwrap();
                        assert!(signer.public().verify(msg.as_bytes(), &sig));
                    }
                })
            })
            .collect();
        // Every worker's outcome first, so the sampler stops even when one failed.
        let outcomes: Vec<_> = workers
            .into_iter()
            .map(std::thread::ScopedJoinHandle::join)
            .collect();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        for outcome in outcomes {
            outcome.unwrap();
        }
        sampler.join().unwrap()
    });
    // Six threads signing at once (each signature waiting for a free session) never had more
    // than two signing sessions open, besides the one holding the login.
    assert!((1..=2).contains(&most), "{most} signing sessions open");
    assert!(KeyConfig::parse("pkcs11:module=/x.so;token=t;pin-env=PATH;sessions=0").is_err());
}

#[tokio::test]
async fn a_key_made_for_a_rotation_another_process_prepared_first_is_destroyed() {
    let _serial = common::hsm::one_at_a_time_async().await;
    let cfg = token("race");
    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::open(&StoreConfig::default(), dir.path())
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let open = || async {
        IssuerKeys::open(Box::new(Pkcs11Keys::open(&cfg).unwrap()), &store, now, None)
            .await
            .unwrap()
    };
    let (a, b) = (open().await, open().await);
    // Both make key 02 in the token; one ring change wins, the other is refused and its key
    // destroyed, so the token holds one key 02: the one the trust list names.
    let (first, second) = tokio::join!(
        a.prepare_rotation(&store, now),
        b.prepare_rotation(&store, now)
    );
    let refused = match (first, second) {
        (Ok(kid), Err(e)) | (Err(e), Ok(kid)) => {
            assert_eq!(kid, "02");
            e
        }
        other => panic!("one prepares, one is refused: {other:?}"),
    };
    assert!(
        matches!(
            refused,
            KeysError::Rotation(RotationError::NextExists { .. })
        ),
        "{refused}"
    );
    let labels: Vec<String> = private_keys_as_the_token_sees_them(&cfg)
        .into_iter()
        .map(|k| k.0)
        .collect();
    assert_eq!(labels, ["techo-issuer-01", "techo-issuer-02", "techo-root"]);
    b.reload(&store).await.unwrap();
    let named = b.current().ring.next().unwrap().public.clone();
    let held = Pkcs11Keys::open(&cfg)
        .unwrap()
        .find(&KeyName::Issuer(vec![2]))
        .unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(
        techo_core::hex::encode(held[0].public().uncompressed()),
        named
    );
}
