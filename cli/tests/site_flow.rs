//! The booking-site screen's flow (`flows::SiteFlow`, what the phones draw) against the reference
//! booking site on loopback and the software card: the site named first with what it asks, the
//! name and birth date from the card after the PIN, the site's verdict; an order shown in full,
//! a wrong signing password never retried, the last try only after confirming; declining sends
//! nothing; every answer in the consent ledger.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use techo_booking_site::{BookingSite, Lists, Options};
use techo_core::flows::{CardUse, SiteFlow, SiteStage, SiteStep};
use techo_core::site::SiteClient;
use techo_core::store::{DataKey, StaticKeyProvider};
use techo_core::token::{DevIssuer, StatusList, TrustList};
use techo_core::{Clock, Lang, SystemClock, Wallet};
use techo_sim::{SimOptions, SoftCard};

fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

struct World {
    dir: tempfile::TempDir,
    wallet: Wallet,
    site: BookingSite,
    client: SiteClient,
    http: reqwest::Client,
    cookie: String,
}

impl World {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let now = clock.now();
        let wallet = Wallet::open(
            &dir.path().join("wallet"),
            &StaticKeyProvider::new(DataKey::from_bytes([7; 32])),
            clock.clone(),
        )
        .unwrap();
        let draft = techo_core::model::HandbookDraft::from_toml(
            &std::fs::read_to_string(repo("fixtures/handbooks/01-physical-1-tokyo.toml")).unwrap(),
        )
        .unwrap();
        let photo =
            std::fs::read(repo("fixtures/handbooks").join(draft.photo.clone().unwrap())).unwrap();
        let hb = wallet.add(&draft, Some(&photo)).unwrap();
        let mut issuer = DevIssuer::create(&dir.path().join("issuer")).unwrap();
        wallet.link_for_development(&hb.id, &mut issuer, 2).unwrap();
        let trust =
            TrustList::from_signed(&issuer.signed_trust_list(now), &issuer.root_public(), None)
                .unwrap();
        let status = StatusList::from_signed(&issuer.signed_status_list(now), &trust).unwrap();
        let site = BookingSite::start(Options {
            lists: Lists::Fixed(trust, vec![status]),
            signing_ca: Some(std::fs::read(repo("fixtures/cards/ca-sign/ca.crt.der")).unwrap()),
            clock,
            port: 0,
        })
        .await
        .unwrap();
        let client = SiteClient::new(&site.ca_pem, std::time::Duration::from_secs(15)).unwrap();
        let tls = techo_core::portal::client::client_tls(&site.ca_pem).unwrap();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let resp = http.get(format!("{}/", site.url)).send().await.unwrap();
        let cookie = resp.headers()[reqwest::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        World {
            dir,
            wallet,
            site,
            client,
            http,
            cookie,
        }
    }

    /// The browser submits a form; the session's id and JSON as the page's script reads them.
    async fn browser(&self, path: &str, form: &str) -> (String, serde_json::Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.site.url))
            .header(reqwest::header::COOKIE, &self.cookie)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form.to_owned())
            .send()
            .await
            .unwrap();
        let id = resp.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .trim_start_matches("/sessions/")
            .to_owned();
        let page = self.page(&id).await;
        (id, page)
    }

    async fn page(&self, id: &str) -> serde_json::Value {
        self.http
            .get(format!("{}/api/sessions/{id}", self.site.url))
            .header(reqwest::header::COOKIE, &self.cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    fn card(&self) -> SoftCard {
        SoftCard::open(
            &repo("fixtures/cards/yamada"),
            Some(&self.dir.path().join("card-state.json")),
            SimOptions {
                extended: true,
                ..SimOptions::default()
            },
        )
        .unwrap()
    }

    async fn open(&self, link: &str) -> (SiteFlow, SiteStep) {
        let flow = SiteFlow::new(Lang::En, None);
        let step = flow
            .open(&self.wallet, &self.client, link, SystemClock.now())
            .await;
        (flow, step)
    }
}

#[tokio::test]
async fn the_site_first_then_consent_the_card_and_the_sites_verdict() {
    let w = World::start().await;
    let (id, page) = w
        .browser(
            "/discount",
            "trip=tokyo-shin-osaka&flow=cross_device&caregiver=on&identity=on",
        )
        .await;
    let (flow, step) = w.open(page["link"].as_str().unwrap()).await;
    let origin = w.site.url.trim_start_matches("https://").to_owned();
    match &step {
        SiteStep::Consent {
            site,
            audience,
            asks,
            identity_asked,
            order_id,
            ..
        } => {
            assert_eq!(site, "Example Ticket Booking Site");
            assert_eq!(audience, &origin, "the address the holder compares");
            assert!(asks.contains(&"fare discount class".to_owned()), "{asks:?}");
            assert!(*identity_asked);
            assert!(order_id.is_none());
        }
        other => panic!("{other:?}"),
    }
    // The PIN on the keypad, then the card: the name and birth date go with the presentation.
    assert!(matches!(flow.accept(true), SiteStep::EnterPin { .. }));
    for d in [1, 2, 3] {
        flow.press_digit(d);
    }
    assert!(matches!(
        flow.press_digit(4),
        SiteStep::HoldCard {
            card_use: CardUse::Identity,
            ..
        }
    ));
    let mut card = w.card();
    let step = flow.card_presented(&w.wallet, &w.client, &mut card).await;
    match &step {
        SiteStep::Done {
            accepted, message, ..
        } => assert!(*accepted, "{message}"),
        other => panic!("{other:?}"),
    }
    // A second tap after the answer does nothing.
    assert_eq!(
        flow.card_presented(&w.wallet, &w.client, &mut card).await,
        step
    );
    let page = w.page(&id).await;
    assert_eq!(page["decision"], "accepted", "{page}");
    assert_eq!(page["identity_name"], "山田 太郎", "{page}");

    // The consent ledger: the site, what it received, the card's name and birth date.
    let hb = w.wallet.list().unwrap()[0].id.clone();
    let ledger = w.wallet.ledger(&hb, Lang::En).unwrap();
    assert!(
        ledger.linkage.is_some(),
        "linked: the issuer's consent is listed"
    );
    let shared = &ledger.shared[0];
    assert_eq!(shared.audience, origin);
    assert!(shared.accepted);
    assert!(shared.items.contains(&"identity".to_owned()), "{shared:?}");

    // Declining a second request sends nothing: the page still waits.
    let (id2, page2) = w
        .browser("/discount", "trip=tokyo-takasaki&flow=cross_device")
        .await;
    let (flow2, _) = w.open(page2["link"].as_str().unwrap()).await;
    assert_eq!(flow2.decline(), SiteStep::Cancelled);
    assert_eq!(w.page(&id2).await["state"], page2["state"]);
    assert_eq!(w.wallet.ledger(&hb, Lang::En).unwrap().shared.len(), 1);
}

#[tokio::test]
async fn an_order_in_full_a_wrong_password_never_retried_then_signed() {
    let w = World::start().await;
    let (id, page) = w
        .browser(
            "/discount",
            "trip=tokyo-shin-osaka&flow=cross_device&caregiver=on",
        )
        .await;
    let (flow, _) = w.open(page["link"].as_str().unwrap()).await;
    // No identity asked: the presentation goes as soon as the holder agrees.
    assert!(matches!(
        flow.accept(false),
        SiteStep::Working {
            stage: SiteStage::Sending,
            ..
        }
    ));
    let step = flow.send(&w.wallet, &w.client).await;
    assert!(
        matches!(step, SiteStep::Done { accepted: true, .. }),
        "{step:?}"
    );

    // The order: shown in full before the password is asked for.
    let (order_id, order_page) = w
        .browser(&format!("/sessions/{id}/order"), "flow=cross_device")
        .await;
    let sign_link = order_page["link"].as_str().unwrap().to_owned();
    let (flow, step) = w.open(&sign_link).await;
    match &step {
        SiteStep::Consent {
            order_id,
            order_lines,
            order_total_yen,
            ..
        } => {
            assert!(order_id.is_some());
            assert!(!order_lines.is_empty());
            assert_eq!(*order_total_yen, Some(20_520));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(flow.accept(false), SiteStep::EnterPassword { .. }));
    // A password of the wrong form never reaches the card.
    assert!(matches!(
        flow.set_password("abc"),
        SiteStep::EnterPassword {
            notice: Some(_),
            ..
        }
    ));
    let mut card = w.card();
    assert!(matches!(
        flow.set_password("WRONG99"),
        SiteStep::HoldCard {
            card_use: CardUse::Signing,
            ..
        }
    ));
    match flow.card_presented(&w.wallet, &w.client, &mut card).await {
        SiteStep::EnterPassword {
            tries_left, notice, ..
        } => {
            assert_eq!(tries_left, Some(4));
            assert!(notice.unwrap().contains("4 tries left"));
        }
        other => panic!("{other:?}"),
    }
    // Tapping again without typing it again does nothing: the app never retries a password.
    assert!(matches!(
        flow.card_presented(&w.wallet, &w.client, &mut card).await,
        SiteStep::EnterPassword { .. }
    ));
    assert_eq!(card.sign_tries_left(), 4);
    flow.set_password("techo2026");
    let step = flow.card_presented(&w.wallet, &w.client, &mut card).await;
    assert!(
        matches!(step, SiteStep::Done { accepted: true, .. }),
        "{step:?}"
    );
    assert_eq!(w.page(&order_id).await["signer"], "山田 太郎");
}
