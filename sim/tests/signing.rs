//! The signing key (署名用電子証明書) against the software card: a document signature a site can
//! check, the signing password's 5 tries and last-try rule, cards without a signing certificate,
//! and certificates checked for the right use.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use std::path::Path;
use techo_core::card::*;
use techo_sim::{SimOptions, SoftCard};

mod common;

use common::{ca, card_dir};

fn card(name: &str, state: &Path, extended: bool) -> SoftCard {
    let options = SimOptions {
        extended,
        ..SimOptions::default()
    };
    common::card(name, state, options)
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 3, 0, 0).unwrap()
}

const ORDER: &[u8] = br#"{"order":"T-0001","total_yen":6900}"#;

fn digest(doc: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, doc);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

fn sign(
    c: &mut SoftCard,
    password: &str,
    last: LastTry,
) -> (Result<DocumentSignature, CardError>, usize) {
    let mut s = CardSession::new(c);
    let r = s.sign_document(&SigningPin::parse(password).unwrap(), &digest(ORDER), last);
    let sent = s
        .trace()
        .iter()
        .filter(|t| t.command.starts_with("0020") && t.command.len() > 8)
        .count();
    (r, sent)
}

#[test]
fn a_signed_order_checks_against_the_signing_ca_and_names_the_holder() {
    for extended in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let mut c = card("yamada", &dir.path().join("s"), extended);
        let (sig, _) = sign(&mut c, "techo2026", LastTry::Refuse);
        let sig = sig.unwrap();
        assert_eq!((sig.tries_before, sig.signature.len()), (5, 256));
        let trust = JpkiTrust::new(vec![ca("ca-sign")]).unwrap();
        let cert = trust
            .check_for(&sig.certificate, now(), CertUsage::Signing)
            .unwrap();
        assert_eq!(cert.common_name.as_deref(), Some("山田 太郎"));
        cert.verify_signature(ORDER, &sig.signature).unwrap();
        assert_eq!(
            cert.verify_signature(b"another order", &sig.signature),
            Err(CertError::BadChallengeSignature)
        );
        // The signing certificate is not accepted for logging in, nor the other way round,
        // and neither CA vouches for the other's certificates.
        assert_eq!(
            trust.check_for(&sig.certificate, now(), CertUsage::Authentication),
            Err(CertError::WrongKeyUsage)
        );
        let auth = std::fs::read(card_dir("yamada").join("auth.crt.der")).unwrap();
        assert!(matches!(
            trust.check_for(&auth, now(), CertUsage::Signing),
            Err(CertError::UnknownIssuer(_))
        ));
        let auth_trust = JpkiTrust::new(vec![ca("ca")]).unwrap();
        assert_eq!(
            auth_trust.check_for(&auth, now(), CertUsage::Signing),
            Err(CertError::WrongKeyUsage)
        );
    }
}

#[test]
fn the_signing_password_has_five_tries_and_its_own_last_try_rule() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s");
    for left in [4u8, 3, 2, 1] {
        let mut c = card("yamada", &state, true);
        let (r, sent) = sign(&mut c, "WRONG1", LastTry::Refuse);
        assert_eq!(
            (r.unwrap_err(), sent),
            (CardError::WrongPin { tries_left: left }, 1)
        );
        // The user-authentication PIN is a different counter and is untouched.
        assert_eq!((c.auth_tries_left(), c.sign_tries_left()), (3, left));
    }
    let mut c = card("yamada", &state, true);
    let (r, sent) = sign(&mut c, "WRONG1", LastTry::Refuse);
    assert_eq!(
        (r.unwrap_err(), sent),
        (CardError::LastTryNeedsConfirmation, 0)
    );
    let (r, sent) = sign(&mut c, "TECHO2026", LastTry::Confirmed);
    assert_eq!((r.unwrap().tries_before, sent), (1, 1));
    assert_eq!(c.sign_tries_left(), 5);
}

#[test]
fn a_card_without_a_signing_certificate_says_so_and_spends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = card("sato-last-try", &dir.path().join("s"), true);
    let (r, sent) = sign(&mut c, "ANY123", LastTry::Confirmed);
    assert_eq!((r.unwrap_err(), sent), (CardError::NoSigningCertificate, 0));
    assert_eq!(c.auth_tries_left(), 1);
}

#[test]
fn a_card_pulled_while_signing_is_a_typed_error_and_costs_at_most_one_try() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s");
    let total = {
        let mut c = card("yamada", &state, true);
        sign(&mut c, "TECHO2026", LastTry::Refuse).0.unwrap().apdus
    };
    for at in 1..=total {
        let options = SimOptions {
            extended: true,
            remove_at: Some(at),
            ..SimOptions::default()
        };
        let mut c = SoftCard::open(&card_dir("yamada"), Some(&state), options).unwrap();
        let before = c.sign_tries_left();
        let mut s = CardSession::new(&mut c);
        let r = s.sign_document(
            &SigningPin::parse("TECHO2026").unwrap(),
            &digest(ORDER),
            LastTry::Refuse,
        );
        assert!(
            matches!(r, Err(CardError::Removed { .. })),
            "APDU {at}: {r:?}"
        );
        assert!(c.sign_tries_left() + 1 >= before, "APDU {at}");
    }
}

#[test]
fn a_site_order_is_signed_as_shown_and_checked_by_the_site() {
    use techo_core::site::{OrderBody, OrderDocument, OrderLine, sign_order};
    let body = OrderBody {
        order_id: "T-0001".into(),
        site: "127.0.0.1:9443".into(),
        lines: vec![
            OrderLine {
                ja: "本人（障害者割引）".into(),
                en: "Holder (disability discount)".into(),
                yen: 7360,
            },
            OrderLine {
                ja: "介護者（障害者割引）".into(),
                en: "Caregiver (disability discount)".into(),
                yen: 7360,
            },
        ],
        total_yen: 14720,
        created_at: now(),
    };
    let doc = OrderDocument::new(&body);
    let dir = tempfile::tempdir().unwrap();
    let mut c = card("yamada", &dir.path().join("s"), true);
    let password = SigningPin::parse("TECHO2026").unwrap();
    let sig = sign_order(&doc, "127.0.0.1:9443", &mut c, &password, LastTry::Refuse).unwrap();
    let trust = JpkiTrust::new(vec![ca("ca-sign")]).unwrap();
    let cert = sig.verify(&doc, &trust, now()).unwrap();
    assert_eq!(cert.common_name.as_deref(), Some("山田 太郎"));

    // The site cannot swap the document after signing, nor trust the authentication CA.
    let cheaper = OrderDocument::new(&OrderBody {
        total_yen: 1,
        ..body.clone()
    });
    assert!(matches!(
        sig.verify(&cheaper, &trust, now()),
        Err(techo_core::site::SiteError::OrderSignature(_))
    ));
    let wrong_ca = JpkiTrust::new(vec![ca("ca")]).unwrap();
    assert!(sig.verify(&doc, &wrong_ca, now()).is_err());

    // The phone refuses to sign what does not add up, is for another site, or whose digest
    // does not match its bytes; none of these touches the card.
    let before = c.apdus();
    let wrong_total = OrderDocument::new(&OrderBody {
        total_yen: 100,
        ..body.clone()
    });
    let mismatched = OrderDocument {
        sha256: cheaper.sha256.clone(),
        ..doc.clone()
    };
    for (bad, audience) in [
        (&wrong_total, "127.0.0.1:9443"),
        (&doc, "evil.example"),
        (&mismatched, "127.0.0.1:9443"),
    ] {
        assert!(sign_order(bad, audience, &mut c, &password, LastTry::Refuse).is_err());
    }
    assert_eq!(c.apdus(), before);
}
