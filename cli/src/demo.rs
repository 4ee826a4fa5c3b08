//! `techo demo`: the main flow on a throw-away wallet, with the fixture handbooks built in.
//!
//! It grows with the project: today it registers every fixture into a fresh encrypted store,
//! lists them, shows the counter handbook, and proves that bad input is refused.

use crate::error::CliError;
use crate::view::{HandbookView, detail, list_table};
use std::sync::Arc;
use techo_core::model::HandbookDraft;
use techo_core::store::FileKeyProvider;
use techo_core::token::{ClaimId, Policy};
use techo_core::{Clock, Lang, Wallet};

macro_rules! fixture {
    ($file:literal, $photo:literal) => {
        (
            $file,
            include_str!(concat!("../../fixtures/handbooks/", $file)),
            include_bytes!(concat!("../../fixtures/handbooks/photos/", $photo)).as_slice(),
        )
    };
}

/// The fixture handbooks, compiled in so the demo runs from any directory.
pub const FIXTURES: [(&str, &str, &[u8]); 9] = [
    fixture!("01-physical-1-tokyo.toml", "yamada.png"),
    fixture!("02-physical-4-osaka.toml", "sato.png"),
    fixture!("03-mental-1-sapporo.toml", "suzuki.png"),
    fixture!("04-mental-2-yokohama-expired.toml", "takahashi.png"),
    fixture!("05-mental-3-naha-no-class.toml", "tanaka.png"),
    fixture!("06-intellectual-tokyo-2do.toml", "ito.png"),
    fixture!("07-intellectual-osaka-b1.toml", "watanabe.png"),
    fixture!("08-intellectual-kanagawa-a2.toml", "nakamura.png"),
    fixture!("09-intellectual-saitama-maru-a.toml", "kobayashi.png"),
];

pub fn run(clock: Arc<dyn Clock>, lang: Lang, json: bool) -> Result<(), CliError> {
    let dir = tempfile::Builder::new()
        .prefix("techo-demo-")
        .tempdir()
        .map_err(|e| CliError::WriteFile {
            path: "temporary directory".into(),
            why: e.to_string(),
        })?;
    let keys = FileKeyProvider::new(Wallet::key_file(dir.path()));
    let wallet = Wallet::open(dir.path(), &keys, clock)?;
    let say = |ja: &str, en: &str| {
        if !json {
            out!("{}", lang.pick(ja, en));
        }
    };
    say(
        "== Techo デモ：手帳の登録 ==",
        "== Techo demo: registering handbooks ==",
    );
    for (file, toml, photo) in FIXTURES {
        let draft = HandbookDraft::from_toml(toml).map_err(|why| CliError::HandbookFile {
            path: file.into(),
            why,
        })?;
        let hb = wallet.add(&draft, Some(photo))?;
        if !json {
            out!(
                "  + {file} → {} {}",
                hb.kind().short_label(lang),
                hb.category.grade_label(lang)
            );
        }
    }

    say(
        "\n== 入力ミスは項目名つきで拒否 ==",
        "\n== Bad input is refused, naming the field ==",
    );
    let mut bad =
        HandbookDraft::from_toml(FIXTURES[0].1).map_err(|why| CliError::HandbookFile {
            path: FIXTURES[0].0.into(),
            why,
        })?;
    bad.municipality_code = Some("131017".into());
    match wallet.add(&bad, None) {
        Err(e) if !json => out!("  {e}"),
        Err(_) => {}
        Ok(_) => say(
            "  （想定外：受理されました）",
            "  (unexpected: it was accepted)",
        ),
    }

    let list = wallet.list()?;
    let counter = wallet.counter_handbook()?;
    let today = wallet.today();
    if json {
        let views: Vec<_> = list
            .iter()
            .map(|h| HandbookView::new(h, today, counter.as_ref(), lang))
            .collect();
        out!(
            "{}",
            serde_json::to_string_pretty(&views).unwrap_or_default()
        );
        return Ok(());
    }
    say("\n== 登録済みの手帳 ==", "\n== Registered handbooks ==");
    out!("{}", list_table(&list, counter.as_ref(), today, lang));
    if let Some(c) = &counter {
        say(
            "\n== カウンターに表示する手帳 ==",
            "\n== Handbook shown at the counter ==",
        );
        out!(
            "{}",
            detail(&HandbookView::new(c, today, counter.as_ref(), lang), lang)
        );
    }
    present_and_verify(&wallet, dir.path(), lang)?;
    say(
        "\n（一時ディレクトリの暗号化ストアは終了時に削除されます）",
        "\n(the encrypted store lived in a temporary directory and is now deleted)",
    );
    Ok(())
}

/// Issues credentials from a development issuer, shows the counter QR, verifies it offline, and
/// shows that a copy with one byte changed is refused.
fn present_and_verify(wallet: &Wallet, dir: &std::path::Path, lang: Lang) -> Result<(), CliError> {
    let Some(counter) = wallet.counter_handbook()? else {
        return Ok(());
    };
    out!(
        "\n{}",
        lang.pick(
            "== 証明書の発行（開発用発行者）==",
            "== Issuing credentials (development issuer) =="
        )
    );
    crate::issuer_cmd::issue(wallet, dir, counter.id.as_str(), 8, false, lang)?;

    out!(
        "\n{}",
        lang.pick(
            "== カウンターでの提示 ==",
            "== Presenting at the counter =="
        )
    );
    let args = crate::token_cmd::PresentArgs {
        id: Some(counter.id.as_str()),
        claims: ClaimId::COUNTER.to_vec(),
        challenge: None,
        out: None,
    };
    let text = crate::token_cmd::present(wallet, &args, false, lang)?;

    out!(
        "\n{}",
        lang.pick("== 検証（オフライン）==", "== Verifying (offline) ==")
    );
    let now = wallet.now();
    let source = crate::token_cmd::VerifierSource {
        trust_list: None,
        status_lists: &[],
        root: None,
    };
    let data = crate::token_cmd::VerifierData::load(&source, Some(dir), now)?;
    let policy = Policy::default();
    crate::token_cmd::verify_payload(text.as_bytes(), &data, now, &policy, false, lang)?;

    out!(
        "\n{}",
        lang.pick(
            "== 1バイト書き換えたコード ==",
            "== The same code with one byte changed =="
        )
    );
    let mut forged = techo_core::token::Payload::parse(text.as_bytes())
        .map_err(|_| CliError::BadArgument("the demo payload does not parse".into()))?;
    let last = forged.body.len() - 70;
    forged.body[last] ^= 0x01;
    match crate::token_cmd::verify_payload(
        forged.text().as_bytes(),
        &data,
        now,
        &policy,
        false,
        lang,
    ) {
        Err(CliError::Rejected(e)) => out!(
            "{} {}",
            lang.pick("✘ 無効:", "✘ REJECTED:"),
            e.message(lang)
        ),
        Err(e) => return Err(e),
        Ok(_) => out!(
            "{}",
            lang.pick("（想定外：受理されました）", "(unexpected: accepted)")
        ),
    }
    Ok(())
}
