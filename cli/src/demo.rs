//! `techo demo`: the main flow on a throw-away wallet, with the fixture handbooks built in.
//!
//! It grows with the project: today it registers every fixture into a fresh encrypted store,
//! lists them, shows the counter handbook, and proves that bad input is refused.

use crate::error::CliError;
use crate::view::{HandbookView, detail, list_table};
use std::sync::Arc;
use techo_core::model::HandbookDraft;
use techo_core::store::FileKeyProvider;
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

/// One line of the demo: printed as it happens, and kept for `--json`.
pub(crate) struct Transcript {
    pub(crate) json: bool,
    pub(crate) lang: Lang,
    pub(crate) steps: Vec<serde_json::Value>,
    /// `--keep DIR`: where the demo leaves its presentation and lists.
    pub(crate) keep: Option<std::path::PathBuf>,
    /// `--serve`: keep the booking site up and answer pasted links before the demo ends.
    pub(crate) serve: bool,
}

impl Transcript {
    pub(crate) fn say(&self, ja: &str, en: &str) {
        if !self.json {
            out!("{}", self.lang.pick(ja, en));
        }
    }

    pub(crate) fn step(&mut self, step: &str, ja: &str, en: &str, data: serde_json::Value) {
        self.say(ja, en);
        let mut v = serde_json::json!({ "step": step, "message": self.lang.pick(ja, en) });
        if let (Some(obj), serde_json::Value::Object(extra)) = (v.as_object_mut(), data) {
            obj.extend(extra);
        }
        self.steps.push(v);
    }
}

/// 22:30 JST on the day of `now`: the municipal servers are closed, so linkage goes 申請中 first.
fn demo_start(now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let day = now.with_timezone(&techo_core::clock::jst()).date_naive();
    let evening = day.and_hms_opt(22, 30, 0).unwrap_or_default();
    techo_core::clock::jst()
        .from_local_datetime(&evening)
        .single()
        .map_or(now, |t| t.with_timezone(&chrono::Utc))
}

pub fn run(
    clock: &Arc<dyn Clock>,
    lang: Lang,
    json: bool,
    keep: Option<&std::path::Path>,
    serve: bool,
) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::BadArgument(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(run_async(clock.now(), lang, json, keep, serve))
}

async fn run_async(
    now: chrono::DateTime<chrono::Utc>,
    lang: Lang,
    json: bool,
    keep: Option<&std::path::Path>,
    serve: bool,
) -> Result<(), CliError> {
    let dir = tempfile::Builder::new()
        .prefix("techo-demo-")
        .tempdir()
        .map_err(|e| CliError::WriteFile {
            path: "temporary directory".into(),
            why: e.to_string(),
        })?;
    let clock = Arc::new(techo_core::FixedClock::new(demo_start(now)));
    let keys = FileKeyProvider::new(Wallet::key_file(&dir.path().join("wallet")));
    let wallet = Wallet::open(&dir.path().join("wallet"), &keys, clock.clone())?;
    let mut t = Transcript {
        json,
        lang,
        steps: Vec::new(),
        keep: keep.map(std::path::Path::to_owned),
        serve,
    };
    register_fixtures(&wallet, &mut t)?;
    crate::linkage_demo::run(&wallet, clock, dir.path(), &mut t).await?;
    if json {
        let list = wallet.list()?;
        let counter = wallet.counter_handbook()?;
        let views: Vec<_> = list
            .iter()
            .map(|h| HandbookView::new(h, wallet.today(), counter.as_ref(), lang))
            .collect();
        crate::print_json(&serde_json::json!({ "steps": t.steps, "handbooks": views }));
    } else {
        t.say(
            "\n（一時ディレクトリの暗号化ストアとサーバーは終了時に削除されます）",
            "\n(the encrypted store and both servers lived in a temporary directory and are now gone)",
        );
    }
    Ok(())
}

fn register_fixtures(wallet: &Wallet, t: &mut Transcript) -> Result<(), CliError> {
    let lang = t.lang;
    t.say(
        "== Techo デモ：手帳の登録 ==",
        "== Techo demo: registering handbooks ==",
    );
    for (file, toml, photo) in FIXTURES {
        let draft = HandbookDraft::from_toml(toml).map_err(|why| CliError::HandbookFile {
            path: file.into(),
            why,
        })?;
        let hb = wallet.add(&draft, Some(photo))?;
        if !t.json {
            out!(
                "  + {file} → {} {}",
                hb.kind().short_label(lang),
                hb.category.grade_label(lang)
            );
        }
    }
    t.step(
        "register",
        "9 冊の手帳を登録しました（未連携）",
        "registered 9 handbooks (not linked)",
        serde_json::json!({ "count": FIXTURES.len() }),
    );

    t.say(
        "\n== 入力ミスは項目名つきで拒否 ==",
        "\n== Bad input is refused, naming the field ==",
    );
    let mut bad =
        HandbookDraft::from_toml(FIXTURES[0].1).map_err(|why| CliError::HandbookFile {
            path: FIXTURES[0].0.into(),
            why,
        })?;
    bad.municipality_code = Some("131017".into());
    if let Err(e) = wallet.add(&bad, None) {
        if !t.json {
            out!("  {e}");
        }
        t.steps
            .push(serde_json::json!({ "step": "bad_input_refused", "field": "municipality_code" }));
    }
    if !t.json {
        let list = wallet.list()?;
        let counter = wallet.counter_handbook()?;
        t.say("\n== 登録済みの手帳 ==", "\n== Registered handbooks ==");
        out!(
            "{}",
            list_table(&list, counter.as_ref(), wallet.today(), lang)
        );
        if let Some(c) = &counter {
            t.say(
                "\n== カウンターに表示する手帳 ==",
                "\n== Handbook shown at the counter ==",
            );
            out!(
                "{}",
                detail(
                    &HandbookView::new(c, wallet.today(), counter.as_ref(), lang),
                    lang
                )
            );
        }
    }
    Ok(())
}
