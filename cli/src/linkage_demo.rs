//! The linkage part of `techo demo`: the portal simulator and techo-server on 127.0.0.1, a link
//! that first meets a closed portal (申請中), the retry that links it (連携済), a presentation
//! verified offline, a tampered one refused, and a revocation that makes the next one fail.

use crate::demo::Transcript;
use crate::error::CliError;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use techo_core::card::{JpkiTrust, LastTry, Pin};
use techo_core::model::{HandbookId, LinkageState};
use techo_core::portal::TechoClient;
use techo_core::portal::dto::AdminAction;
use techo_core::token::{ClaimId, Payload, Policy, verify};
use techo_core::wallet::LinkOptions;
use techo_core::{Clock, FixedClock, Wallet};
use techo_server::portal::hours::HoursMode;
use techo_server::portal::records::Records;
use techo_server::{Portal, ServerConfig, TechoServer, TestPki};
use techo_sim::{SimOptions, SoftCard};

const CARD_CA: &[u8] = include_bytes!("../../fixtures/cards/ca/ca.crt.der");
const RECORDS: &str = include_str!("../../fixtures/portal/records.json");
const ADMIN_TOKEN: &str = "demo-admin-token";
const PROFILE: &str = include_str!("../../fixtures/profiles/powered-chair.toml");

pub(crate) fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::BadArgument(format!("demo: {e}"))
}

/// A software card's files, compiled in so the demo runs from anywhere.
macro_rules! card_files {
    ($name:literal) => {
        [
            (
                "card.toml",
                include_bytes!(concat!("../../fixtures/cards/", $name, "/card.toml")).as_slice(),
            ),
            (
                "auth.key.der",
                include_bytes!(concat!("../../fixtures/cards/", $name, "/auth.key.der")).as_slice(),
            ),
            (
                "auth.crt.der",
                include_bytes!(concat!("../../fixtures/cards/", $name, "/auth.crt.der")).as_slice(),
            ),
        ]
    };
}

/// Writes a compiled-in card to `dir/card-<name>` for the software card to load.
pub(crate) fn write_card(
    dir: &Path,
    name: &str,
    files: &[(&str, &[u8])],
) -> Result<std::path::PathBuf, CliError> {
    let card = dir.join(format!("card-{name}"));
    std::fs::create_dir_all(&card).map_err(fail)?;
    for (file, bytes) in files {
        std::fs::write(card.join(file), *bytes).map_err(fail)?;
    }
    Ok(card)
}

/// 山田's card, with its signing key (署名用電子証明書) for the booking site's signed order.
pub(crate) fn card_dir(dir: &Path) -> Result<std::path::PathBuf, CliError> {
    let signing: [(&str, &[u8]); 2] = [
        (
            "sign.key.der",
            include_bytes!("../../fixtures/cards/yamada/sign.key.der"),
        ),
        (
            "sign.crt.der",
            include_bytes!("../../fixtures/cards/yamada/sign.crt.der"),
        ),
    ];
    let files: Vec<(&str, &[u8])> = card_files!("yamada").into_iter().chain(signing).collect();
    write_card(dir, "yamada", &files)
}

/// A software card on an extended-length reader, its PIN counters kept in `state`.
pub(crate) fn soft_card(card: &Path, state: &Path) -> Result<SoftCard, CliError> {
    SoftCard::open(
        card,
        Some(state),
        SimOptions {
            extended: true,
            ..SimOptions::default()
        },
    )
    .map_err(fail)
}

/// A child's card whose PIN the parent knows (the guardian part of the demo).
pub(crate) fn child_card_dir(dir: &Path) -> Result<std::path::PathBuf, CliError> {
    write_card(dir, "nakamura-child", &card_files!("nakamura-child"))
}

/// The guardian's card for the guardian part of the demo.
pub(crate) fn guardian_card_dir(dir: &Path) -> Result<std::path::PathBuf, CliError> {
    write_card(dir, "ito-parent", &card_files!("ito-parent"))
}

/// The servers and the app's client for one demo run.
pub(crate) struct Loopback {
    pub(crate) portal: Portal,
    server: TechoServer,
    pub(crate) client: TechoClient,
}

impl Loopback {
    /// Support gives an operator its token (for publishing coupons and sending redemptions).
    pub(crate) async fn operator_token(&self, operator: &str) -> Result<String, CliError> {
        self.server
            .state
            .operator_token(operator)
            .await
            .map_err(fail)
    }
}

async fn start_servers(
    clock: &Arc<FixedClock>,
    dir: &Path,
    t: &mut Transcript,
) -> Result<Loopback, CliError> {
    t.say(
        "\n== ループバックでサーバーを起動 ==",
        "\n== Starting the servers on loopback ==",
    );
    let pki = TestPki::generate().map_err(fail)?;
    let trust = JpkiTrust::new(vec![CARD_CA.to_vec()]).map_err(fail)?;
    let records_path = dir.join("records.json");
    std::fs::write(&records_path, RECORDS).map_err(fail)?;
    let records = Records::load(&records_path).map_err(fail)?;
    let portal = Portal::start(&pki, clock.clone(), trust, records)
        .await
        .map_err(fail)?;
    portal.state.update_knobs(|k| k.mode = HoursMode::Municipal);
    // The staff verifier page, when its WebAssembly is built (scripts/demo builds it).
    let page_dir = Some(PathBuf::from("web/verifier"))
        .filter(|d| d.join("pkg/techo_web_verifier_bg.wasm").exists());
    let server = TechoServer::start(
        &pki,
        clock.clone(),
        ServerConfig {
            web_verifier: page_dir.clone(),
            ..ServerConfig::for_portal(dir.join("server"), &portal, ADMIN_TOKEN)
        },
    )
    .await
    .map_err(fail)?;
    let verifier_page = page_dir.map(|_| format!("{}/verify/", server.url()));
    let (page_ja, page_en) = verifier_page.as_ref().map_or_else(
        || {
            (
                "\n  スタッフ用の確認ページ: bash scripts/web-verifier-build の後で /verify/"
                    .to_owned(),
                "\n  Staff verifier page: at /verify/ after bash scripts/web-verifier-build"
                    .to_owned(),
            )
        },
        |url| {
            (
                format!("\n  スタッフ用の確認ページ（ブラウザ、オフライン可）: {url}"),
                format!("\n  Staff verifier page (any browser, works offline): {url}"),
            )
        },
    );
    t.step(
        "servers",
        &format!("  マイナポータル（模擬）{} / {}、techo-server {}{page_ja}", portal.holder.url(), portal.provider.url(), server.url()),
        &format!("  Myna Portal simulator {} (provider API, mutual TLS: {}), techo-server {}{page_en}", portal.holder.url(), portal.provider.url(), server.url()),
        json!({ "portal": portal.holder.url(), "portal_provider": portal.provider.url(), "server": server.url(), "verifier_page": verifier_page }),
    );
    // The operator directory techo-server publishes (the illustrative policies).
    for (_, text) in crate::policy_demo::POLICIES {
        server.state.publish_operator(text).await.map_err(fail)?;
    }
    // The museum offers holders a once-only coupon.
    server
        .state
        .publish_coupon(
            "example-museum",
            crate::policy_demo::museum_coupon(clock.now()),
        )
        .await
        .map_err(fail)?;
    let client = TechoClient::new(
        &server.url(),
        &pki.ca_pem,
        std::time::Duration::from_secs(15),
    )
    .map_err(fail)?;
    Ok(Loopback {
        portal,
        server,
        client,
    })
}

pub async fn run(
    wallet: &Wallet,
    clock: Arc<FixedClock>,
    dir: &Path,
    t: &mut Transcript,
) -> Result<(), CliError> {
    let lb = start_servers(&clock, dir, t).await?;
    let Some(hb) = wallet.counter_handbook()? else {
        return Ok(());
    };
    let id = hb.id;
    link_through_pending(wallet, &lb, &clock, dir, &id, t).await?;
    present_and_verify(wallet, &lb, &clock, &id, t).await?;
    crate::booking_demo::run(wallet, &id, &lb, &clock, dir, t).await?;
    crate::guardian_demo::run(&lb, &clock, dir, t).await?;
    crate::renewal_demo::run(wallet, &lb.client, &clock, &id, t).await?;
    revoke_and_verify(wallet, &lb, &clock, &id, t).await
}

async fn link_through_pending(
    wallet: &Wallet,
    lb: &Loopback,
    clock: &Arc<FixedClock>,
    dir: &Path,
    id: &HandbookId,
    t: &mut Transcript,
) -> Result<(), CliError> {
    // Link at 22:30 JST: the municipal servers are closed.
    let now_jst = clock
        .now()
        .with_timezone(&techo_core::clock::jst())
        .format("%Y-%m-%d %H:%M");
    t.say(
        &format!("\n== 連携：カード（模擬）で本人確認、{now_jst} JST =="),
        &format!(
            "\n== Linking: the holder proves themselves with the (software) card, {now_jst} JST =="
        ),
    );
    // The holder typed 2級 by mistake; the portal's record says 1級.
    let typo = crate::demo::FIXTURES[0].1.replace("grade = 1", "grade = 2");
    let draft = techo_core::model::HandbookDraft::from_toml(&typo).map_err(fail)?;
    wallet.update(id, &draft, None)?;
    t.step(
        "typed",
        "  ご本人の入力：身体障害者手帳 2級（入力ミス。手帳は 1級）",
        "  As typed by the holder: physical disability handbook, grade 2 (a slip: the handbook says grade 1)",
        json!({ "typed_grade": 2 }),
    );
    let mut card = soft_card(&card_dir(dir)?, &dir.join("card.state"))?;
    let pin = Pin::parse("1234").map_err(|e| CliError::Card(e.into()))?;
    let state = wallet
        .link(
            &lb.client,
            id,
            &mut card,
            &pin,
            LastTry::Refuse,
            &LinkOptions::default(),
        )
        .await
        .map_err(fail)?;
    let LinkageState::Pending {
        reason, next_try, ..
    } = &state
    else {
        return Err(fail(format!("expected 申請中 first, got {state:?}")));
    };
    let next_try = next_try.unwrap_or_else(|| clock.now());
    let next_jst = next_try
        .with_timezone(&techo_core::clock::jst())
        .format("%Y-%m-%d %H:%M");
    t.step(
        "link",
        &format!("  申請中：自治体中間サーバーが時間外（{reason}）。次回 {next_jst} に自動で再試行"),
        &format!("  Pending (申請中): the municipal servers are closed ({reason}); retrying at {next_jst} JST"),
        json!({ "linkage": "申請中", "reason": reason, "next_try": next_try }),
    );

    // The next morning the retry links it.
    clock.set(next_try + chrono::Duration::seconds(5));
    let tried = lb.server.state.retry_due().await;
    let state = wallet.refresh_linkage(&lb.client, id).await.map_err(fail)?;
    let LinkageState::Linked { valid_until, .. } = &state else {
        return Err(fail(format!(
            "expected 連携済 after the retry, got {state:?}"
        )));
    };
    let until = valid_until.map(|d| d.to_string()).unwrap_or_default();
    t.step(
        "retry",
        &format!("  連携済：再試行 {tried} 件で取得、証明書 {} 件（{until} まで）を受け取りました", wallet.credentials(id)?.len()),
        &format!("  Linked (連携済): {tried} retry fetched the data; {} credentials received (valid until {until})", wallet.credentials(id)?.len()),
        json!({ "linkage": "連携済", "credentials": wallet.credentials(id)?.len(), "valid_until": until }),
    );
    // What the portal corrected, item by item: the screen, the list and the QR now agree.
    let changes: Vec<String> = wallet
        .get(id)?
        .confirmed
        .iter()
        .flat_map(|c| c.latest().map(|x| x.describe(t.lang)).collect::<Vec<_>>())
        .collect();
    t.step(
        "portal_changes",
        &format!("  マイナポータルの内容で訂正：{}", changes.join("、")),
        &format!(
            "  Corrected from the portal's record: {}",
            changes.join("; ")
        ),
        json!({ "changes": changes }),
    );

    Ok(())
}

async fn present_and_verify(
    wallet: &Wallet,
    lb: &Loopback,
    clock: &Arc<FixedClock>,
    id: &HandbookId,
    t: &mut Transcript,
) -> Result<(), CliError> {
    let lang = t.lang;
    // Present and verify.
    t.say(
        "\n== カウンターでの提示 ==",
        "\n== Presenting at the counter ==",
    );
    // The holder's support profile: a powered wheelchair and the help they want (self-declared).
    let profile = techo_core::model::SupportProfile::from_toml(PROFILE).map_err(fail)?;
    wallet.set_support_profile(&profile)?;
    t.say(
        "  ご本人の支援情報（本人申告、画面の別枠に表示）:",
        "  The holder's support profile (self-declared, shown in its own band):",
    );
    for line in crate::profile_cmd::profile_lines(&profile, lang) {
        t.say(&format!("    {line}"), &format!("    {line}"));
    }
    let (_, code) = wallet.present_code(Some(id), &ClaimId::COUNTER, None)?;
    let (payload, qr) = (code.payload, code.qr);
    if !t.json {
        out!("{}", qr.to_terminal());
    }
    t.step(
        "present",
        &format!("  QR バージョン {}（{} バイト、30 秒ごとに更新）", qr.version, payload.binary().len()),
        &format!("  QR version {} ({} bytes, refreshed every 30 s)", qr.version, payload.binary().len()),
        json!({ "qr_version": qr.version, "bytes": payload.binary().len(), "payload": payload.text() }),
    );
    t.say("\n== 検証（オフライン）==", "\n== Verifying (offline) ==");
    let (trust, status) = lb.client.verifier_lists().await.map_err(fail)?;
    let v = verify(
        &payload.binary(),
        &trust,
        &status,
        clock.now(),
        &Policy::default(),
    )
    .map_err(fail)?;
    let kind = v.claims.kind.map(|k| k.label(lang)).unwrap_or_default();
    let fare = v
        .claims
        .fare_class
        .map(|f| f.label(lang))
        .unwrap_or_default();
    let linkage = v.claims.linkage.map(|l| l.label(lang)).unwrap_or_default();
    t.step(
        "verify",
        &format!("  ✔ 有効：{kind} / {fare} / 介護者 {} / {linkage}", if v.claims.caregiver == Some(true) { "1名可" } else { "なし" }),
        &format!("  ✔ VALID: {kind} / {fare} / caregiver {} / {linkage}", if v.claims.caregiver == Some(true) { "+1" } else { "none" }),
        json!({ "valid": true, "linkage": v.claims.linkage.map(|l| l.label(techo_core::Lang::Ja)) }),
    );
    let declared = crate::token_cmd::declared_lines(&v.self_declared, lang).join("\n");
    t.step(
        "self_declared",
        &declared,
        &declared,
        json!({
            "self_declared": v.self_declared.iter().map(|c| c.code()).collect::<Vec<_>>(),
            "verified_by_issuer": false,
        }),
    );
    if let Some(dir) = t.keep.clone() {
        keep_presentation(&dir, &lb.client, &payload, clock.now(), t).await?;
    }
    crate::policy_demo::operators_and_coupon(wallet, id, &v, (&trust, &status), lb, clock.now(), t)
        .await?;

    let mut forged = payload.clone();
    let i = forged.body.len() - 70;
    forged.body[i] ^= 1;
    let rejected = verify(
        &Payload { body: forged.body }.binary(),
        &trust,
        &status,
        clock.now(),
        &Policy::default(),
    );
    if let Err(e) = rejected {
        t.step(
            "verify_tampered",
            &format!("  ✘ 1バイト書き換えたコード：{}", e.message(lang)),
            &format!(
                "  ✘ the same code with one byte changed: {}",
                e.message(lang)
            ),
            json!({ "valid": false, "code": e.code() }),
        );
    }

    Ok(())
}

async fn revoke_and_verify(
    wallet: &Wallet,
    lb: &Loopback,
    clock: &Arc<FixedClock>,
    id: &HandbookId,
    t: &mut Transcript,
) -> Result<(), CliError> {
    let lang = t.lang;
    // A gate's lists, fetched before the revocation (as it would hold them from its last sync).
    let root = techo_core::token::PublicKey::from_sec1(&lb.client.root_key().await.map_err(fail)?)
        .map_err(fail)?;
    let gate = lb
        .client
        .refresh_verifier(&root, None)
        .await
        .map_err(fail)?;
    // The handbook is returned to the municipality: support revokes it.
    t.say(
        "\n== 手帳の返還 → 失効 ==",
        "\n== The handbook is returned → revoked ==",
    );
    let session = wallet
        .get(id)?
        .linkage
        .session()
        .unwrap_or_default()
        .to_owned();
    lb.client
        .admin(
            ADMIN_TOKEN,
            &AdminAction {
                session_id: session,
                action: "revoke".into(),
                reason: "returned".into(),
            },
        )
        .await
        .map_err(|e| fail(format!("revocation refused: {e}")))?;
    let (_, payload) = wallet.present(Some(id), &ClaimId::COUNTER, None)?;
    // The gate catches up: one signed delta per list, not the lists again.
    let caught_up = lb
        .client
        .refresh_verifier(&root, Some(&gate.bundle))
        .await
        .map_err(fail)?;
    let deltas = caught_up
        .sync
        .lists
        .iter()
        .filter(|(_, _, how)| matches!(how, techo_core::portal::ListSync::Delta { .. }))
        .count();
    let bytes = caught_up.sync.bytes();
    t.step(
        "gate_lists_delta",
        &format!("  改札の失効リスト更新：差分 {deltas} 件、{bytes} バイト"),
        &format!("  the gate's status lists catch up: {deltas} delta(s), {bytes} bytes"),
        json!({ "deltas": deltas, "bytes": bytes }),
    );
    match verify(
        &payload.binary(),
        &caught_up.trust,
        &caught_up.status,
        clock.now(),
        &Policy::default(),
    ) {
        Err(e) => t.step(
            "verify_after_revoke",
            &format!("  ✘ 失効後の提示：{}", e.message(lang)),
            &format!("  ✘ presentation after revocation: {}", e.message(lang)),
            json!({ "valid": false, "code": e.code() }),
        ),
        Ok(_) => return Err(fail("a revoked credential was accepted")),
    }
    let state = wallet.refresh_linkage(&lb.client, id).await.map_err(fail)?;
    t.step(
        "poll_after_revoke",
        &format!("  アプリの表示：{}", state.label(lang)),
        &format!("  the app now shows: {}", state.label(lang)),
        json!({ "linkage": state.label(techo_core::Lang::Ja) }),
    );
    Ok(())
}

/// `techo demo --keep DIR`: the linked handbook's presentation, the verifier's signed lists as
/// they stood then, the root key, and the time, so `techo verify --policy` can be run on them.
async fn keep_presentation(
    dir: &Path,
    client: &TechoClient,
    payload: &Payload,
    at: chrono::DateTime<chrono::Utc>,
    t: &mut Transcript,
) -> Result<(), CliError> {
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| CliError::WriteFile {
            path: path.display().to_string(),
            why: e.to_string(),
        })
    };
    std::fs::create_dir_all(dir).map_err(|e| CliError::WriteFile {
        path: dir.display().to_string(),
        why: e.to_string(),
    })?;
    write("presentation.txt", payload.text().as_bytes())?;
    write("trust-list.cbor", &client.trust_list().await.map_err(fail)?)?;
    write(
        "status-list-1.cbor",
        &client.status_list(1).await.map_err(fail)?,
    )?;
    write(
        "root-key.txt",
        techo_core::hex::encode(&client.root_key().await.map_err(fail)?).as_bytes(),
    )?;
    write("presented-at.txt", at.to_rfc3339().as_bytes())?;
    let directory = client
        .directory(0)
        .await
        .map_err(fail)?
        .ok_or_else(|| fail("no directory"))?;
    write("directory.cbor", &directory)?;
    t.step(
        "kept",
        &format!("  提示と検証用データを保存しました: {}", dir.display()),
        &format!(
            "  presentation and verifier lists kept in {}",
            dir.display()
        ),
        json!({ "dir": dir.display().to_string() }),
    );
    Ok(())
}
