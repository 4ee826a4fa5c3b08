//! The staff verifier for the web page (issue 31): the same core verification and operator
//! policy as the CLI and the phones (`policy::judge`), compiled to WebAssembly. JSON out, so the
//! page's JavaScript stays small: it draws, the core decides.

use chrono::{DateTime, Utc};
use techo_core::Lang;
use techo_core::directory::{Directory, DirectoryUpdate};
use techo_core::policy::{Decision, OperatorPolicy, Trip, judge};
use techo_core::token::{Policy, PublicKey, StatusList, TrustList, verify};
use wasm_bindgen::prelude::*;

fn lang_of(code: &str) -> Lang {
    if code == "en" { Lang::En } else { Lang::Ja }
}

fn refused(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Milliseconds since 1970 as the browser gives them (`Date.now()`).
fn instant(unix_ms: f64) -> Result<DateTime<Utc>, JsError> {
    if !unix_ms.is_finite() {
        return Err(JsError::new("the time is not a number"));
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "checked finite; out of range refused"
    )]
    let ms = unix_ms as i64;
    DateTime::from_timestamp_millis(ms).ok_or_else(|| JsError::new("the time is out of range"))
}

/// The lists a counter verifies against: the trust list under the issuer root key built into
/// the page, the status lists and the operator directory under the trust list.
#[wasm_bindgen]
#[derive(Debug)]
pub struct WebVerifier {
    trust: TrustList,
    status: Vec<StatusList>,
    directory: Directory,
}

#[wasm_bindgen]
impl WebVerifier {
    /// Checks the signed trust list against `root_key` (SEC1); a changed byte is refused with
    /// the reason.
    #[wasm_bindgen(constructor)]
    pub fn new(root_key: &[u8], trust_list: &[u8]) -> Result<WebVerifier, JsError> {
        let root = PublicKey::from_sec1(root_key).map_err(refused)?;
        let trust = TrustList::from_signed(trust_list, &root, None).map_err(refused)?;
        Ok(Self {
            trust,
            status: Vec::new(),
            directory: Directory::default(),
        })
    }

    /// Adds a signed status list (checked against the trust list).
    #[wasm_bindgen(js_name = addStatusList)]
    pub fn add_status_list(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        let list = StatusList::from_signed(bytes, &self.trust).map_err(refused)?;
        self.status.retain(|l| l.list_id != list.list_id);
        self.status.push(list);
        Ok(())
    }

    /// Applies a signed directory update (full or since the version held), checked against
    /// the trust list.
    #[wasm_bindgen(js_name = applyDirectory)]
    pub fn apply_directory(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        let update = DirectoryUpdate::open(bytes, &self.trust).map_err(refused)?;
        update.apply(&mut self.directory).map_err(refused)
    }

    /// The directory version held (0: none), for `?since=`.
    #[wasm_bindgen(js_name = directoryVersion)]
    pub fn directory_version(&self) -> f64 {
        #[allow(
            clippy::cast_precision_loss,
            reason = "versions are milliseconds, below 2^53"
        )]
        let v = self.directory.version as f64;
        v
    }

    /// Seconds since the oldest status list held was issued (`Infinity` with none).
    #[wasm_bindgen(js_name = listsAgeSeconds)]
    pub fn lists_age_seconds(&self, now_ms: f64) -> Result<f64, JsError> {
        let now = instant(now_ms)?;
        Ok(self
            .status
            .iter()
            .map(|l| (now - l.issued_at).num_seconds())
            .max()
            .map_or(f64::INFINITY, |s| {
                #[allow(clippy::cast_precision_loss, reason = "seconds, far below 2^53")]
                let s = s as f64;
                s
            }))
    }

    /// The check the conformance corpus specifies (docs/conformance.md): the default verifier
    /// policy, and the booking site's challenge when one was issued. JSON: `valid`, `code` (the
    /// refusal), `lines`.
    pub fn check(
        &self,
        payload: &[u8],
        now_ms: f64,
        lang: &str,
        challenge_nonce: Option<Vec<u8>>,
        challenge_audience: Option<String>,
    ) -> Result<String, JsError> {
        let now = instant(now_ms)?;
        let l = lang_of(lang);
        let policy = Policy {
            challenge: challenge_nonce.map(|nonce| techo_core::token::Challenge {
                nonce,
                audience: challenge_audience.unwrap_or_default(),
            }),
            ..Policy::default()
        };
        let out = match verify(payload, &self.trust, &self.status, now, &policy) {
            Ok(v) => serde_json::json!({ "valid": true, "lines": v.claims.lines(l) }),
            Err(e) => serde_json::json!({
                "valid": false,
                "code": e.code(),
                "lines": [e.message(l)],
            }),
        };
        Ok(out.to_string())
    }

    /// The operators in the directory, JSON `[{"id", "name"}]`, by name.
    pub fn operators(&self, lang: &str) -> String {
        let l = lang_of(lang);
        let mut list: Vec<serde_json::Value> = self
            .directory
            .entries
            .keys()
            .map(|id| serde_json::json!({ "id": id, "name": self.directory.operator_name(id, l) }))
            .collect();
        list.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        serde_json::Value::Array(list).to_string()
    }

    /// The verdict for a scanned code (binary or `TK1:` text) at `now_ms` for operator
    /// `operator` of the directory, JSON: `decision` (`accepted`, `not_accepted`,
    /// `check_manually`, or `invalid_code` with `refusal`), `lines` (what staff read first),
    /// `details` (the facts), `declared` (the self-declared band), `guardian`, `coupon`,
    /// `holder`, `caregiver`, `codes`. `trip` is JSON: `distance_km`, `with_caregiver` (each
    /// optional: not asked), `date` (optional: today in Japan). Without an operator, whether
    /// the code is valid.
    pub fn judge(
        &self,
        payload: &[u8],
        now_ms: f64,
        lang: &str,
        operator: Option<String>,
        trip: &str,
    ) -> Result<String, JsError> {
        let now = instant(now_ms)?;
        let l = lang_of(lang);
        let Some(id) = operator else {
            return Ok(self.validity(payload, now, l).to_string());
        };
        let policy = self
            .directory
            .entries
            .get(&id)
            .ok_or_else(|| JsError::new(&format!("{id} is not in the operator directory")))?
            .policy(&id)
            .map_err(refused)?;
        Ok(self
            .verdict(payload, now, l, &policy, &trip_of(trip, now)?)
            .to_string())
    }

    /// [`WebVerifier::judge`] under a policy file the counter holds itself (TOML), as
    /// `techo verify --policy FILE` does.
    #[wasm_bindgen(js_name = judgeWithPolicy)]
    pub fn judge_with_policy(
        &self,
        payload: &[u8],
        now_ms: f64,
        lang: &str,
        policy_toml: &str,
        trip: &str,
    ) -> Result<String, JsError> {
        let now = instant(now_ms)?;
        let policy = OperatorPolicy::from_toml("policy", policy_toml).map_err(refused)?;
        Ok(self
            .verdict(payload, now, lang_of(lang), &policy, &trip_of(trip, now)?)
            .to_string())
    }
}

/// The trip staff describe, JSON (see [`WebVerifier::judge`]).
fn trip_of(json: &str, now: DateTime<Utc>) -> Result<Trip, JsError> {
    let v: serde_json::Value = serde_json::from_str(if json.is_empty() { "{}" } else { json })
        .map_err(|e| JsError::new(&format!("the trip is not JSON: {e}")))?;
    let date = match v["date"].as_str() {
        Some(d) => d
            .parse()
            .map_err(|_| JsError::new("the trip's date must be YYYY-MM-DD"))?,
        None => now.with_timezone(&techo_core::clock::jst()).date_naive(),
    };
    Ok(Trip {
        date,
        distance_km: v["distance_km"]
            .as_u64()
            .and_then(|d| u32::try_from(d).ok()),
        with_caregiver: v["with_caregiver"].as_bool(),
    })
}

impl WebVerifier {
    /// The operator's verdict, JSON (see [`WebVerifier::judge`]).
    fn verdict(
        &self,
        payload: &[u8],
        now: DateTime<Utc>,
        l: Lang,
        policy: &OperatorPolicy,
        trip: &Trip,
    ) -> serde_json::Value {
        match judge(payload, &self.trust, &self.status, now, policy, trip, None) {
            Ok(j) => serde_json::json!({
                "decision": match j.verdict.decision {
                    Decision::Accepted => "accepted",
                    Decision::NotAccepted => "not_accepted",
                    Decision::CheckManually => "check_manually",
                },
                "holder": j.verdict.grant.holder,
                "caregiver": j.verdict.grant.caregiver,
                "codes": j.verdict.codes(),
                "declared_codes": j.self_declared.iter().map(|c| c.code()).collect::<Vec<_>>(),
                "lines": j.lines(policy, l),
                "details": j.detail_lines(l),
                "declared": j.declared_lines(l),
                "guardian": j.verdict.facts.guardian.map(|g| g.label(l)),
                "coupon": j.coupon,
            }),
            Err(e) => serde_json::json!({
                "decision": "invalid_code",
                "refusal": e.code(),
                "lines": [l.pick("✕ 無効なコード", "✕ NOT A VALID CODE"), policy.display_name(l), e.message(l)],
            }),
        }
    }

    /// Validity only (no operator chosen): valid with the facts, or the refusal.
    fn validity(&self, payload: &[u8], now: DateTime<Utc>, l: Lang) -> serde_json::Value {
        let policy = Policy {
            max_status_age: chrono::Duration::hours(techo_core::policy::HARD_STATUS_AGE_HOURS),
            ..Policy::default()
        };
        match verify(payload, &self.trust, &self.status, now, &policy) {
            Ok(v) => serde_json::json!({
                "decision": "valid",
                "lines": [l.pick("✓ 有効な手帳", "✓ VALID HANDBOOK")],
                "details": v.claims.lines(l),
            }),
            Err(e) => serde_json::json!({
                "decision": "invalid_code",
                "refusal": e.code(),
                "lines": [l.pick("✕ 無効なコード", "✕ NOT A VALID CODE"), e.message(l)],
            }),
        }
    }
}

/// The content of the first QR code found in an RGBA frame (a camera frame or an uploaded
/// picture), byte for byte; `None` when there is none.
#[wasm_bindgen(js_name = decodeQr)]
pub fn decode_qr(rgba: &[u8], width: usize, height: usize) -> Option<Vec<u8>> {
    if width == 0 || height == 0 || rgba.len() < width * height * 4 {
        return None;
    }
    let luma = |x: usize, y: usize| {
        let i = (y * width + x) * 4;
        let (r, g, b) = (
            u32::from(rgba[i]),
            u32::from(rgba[i + 1]),
            u32::from(rgba[i + 2]),
        );
        u8::try_from((r * 299 + g * 587 + b * 114) / 1000).unwrap_or(u8::MAX)
    };
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
    image.detect_grids().into_iter().find_map(|grid| {
        let mut out = Vec::new();
        grid.decode_to(&mut out).ok().map(|_| out)
    })
}
