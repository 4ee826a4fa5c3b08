//! Writes the verifier conformance corpus (issue 27): `fixtures/conformance/`, one JSON file per
//! case and one per context (the keys and lists a case is checked against), in the layout
//! docs/conformance.md describes. Every negative case is signed correctly wherever the check it
//! targets comes later, so it fails exactly where it says.
//!
//! `cargo run -p techo-core --example conformance -- fixtures/conformance`
//! (keys and ECDSA signatures are fresh on every run: check the new files in whole).
#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::wildcard_imports,
    clippy::needless_pass_by_value,
    clippy::semicolon_if_nothing_returned,
    missing_docs
)]

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ciborium::Value;
use coset::{CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, iana};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use techo_core::model::{HandbookDraft, Relationship, SupportCode};
use techo_core::token::present::{Extras, build_token, credential_binding, present_with};
use techo_core::token::*;

const NOW: &str = "2026-11-25T03:00:00Z";
const ROOT_KID: &[u8] = b"R1";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn hex(b: &[u8]) -> String {
    techo_core::hex::encode(b)
}

fn cbor(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

struct Gen {
    out: PathBuf,
    now: DateTime<Utc>,
    root: SoftwareKey,
    issuer: Issuer,
    issuer_key: Arc<SoftwareKey>,
    device: SoftwareKey,
    claims: HandbookClaims,
    count: usize,
}

/// A case's input.
enum Input {
    Text(String),
    Bytes(Vec<u8>),
}

impl From<&Payload> for Input {
    fn from(p: &Payload) -> Self {
        Input::Text(p.text())
    }
}

impl Gen {
    fn issue(&self, index: u32, not_before: NaiveDate, days: i64) -> [HeldCredential; 2] {
        self.issue_claims(&self.claims, index, not_before, days)
    }

    fn issue_claims(
        &self,
        claims: &HandbookClaims,
        index: u32,
        not_before: NaiveDate,
        days: i64,
    ) -> [HeldCredential; 2] {
        let held = self
            .issuer
            .issue(&IssueRequest {
                claims,
                device_key: &self.device.public(),
                device_alias: "conformance",
                not_before,
                not_after: not_before + Duration::days(days - 1),
                status: StatusRef { list: 1, index },
            })
            .unwrap();
        [held[0].clone(), held[1].clone()]
    }

    /// A counter credential for the usual facts, signed by `issuer` (not the trusted one).
    fn counter_by(&self, issuer: &Issuer) -> HeldCredential {
        let held = issuer
            .issue(&IssueRequest {
                claims: &self.claims,
                device_key: &self.device.public(),
                device_alias: "x",
                not_before: self.first_day(),
                not_after: self.first_day() + Duration::days(20),
                status: StatusRef { list: 1, index: 10 },
            })
            .unwrap();
        let [counter, _] = held;
        counter
    }

    #[allow(clippy::unused_self)] // one place for the corpus's first day
    fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
    }

    /// The usual pair: valid from 2026-11-20 for 21 days, status index 10 (valid).
    fn pair(&self) -> [HeldCredential; 2] {
        self.issue(10, self.first_day(), 21)
    }

    fn show(&self, held: &HeldCredential, when: DateTime<Utc>, claims: &[ClaimId]) -> Payload {
        present_with(held, &self.device, when, claims, None, &Extras::default()).unwrap()
    }

    fn counter(&self, held: &HeldCredential) -> Payload {
        self.show(held, self.now, &ClaimId::COUNTER)
    }

    fn list(&self, version: u64, issued: DateTime<Utc>, marks: &[(u32, Status)]) -> Vec<u8> {
        let mut l = StatusList::new(1, self.issuer.id, 65_536, issued, 86_400);
        l.version = version;
        for (i, s) in marks {
            l.set(*i, *s);
        }
        l.sign(&self.issuer_key, &self.issuer.kid)
    }

    /// A status list signed by `key` under `kid`, its fields as given: for the list rules a
    /// verifier must enforce when it loads a list.
    #[allow(clippy::too_many_arguments, clippy::unused_self)]
    fn raw_list(
        &self,
        key: &SoftwareKey,
        kid: &[u8],
        issuer_id: u32,
        bits_per_entry: u8,
        bits: &[u8],
        issued: DateTime<Utc>,
    ) -> Vec<u8> {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(bits).unwrap();
        let payload = Value::Map(vec![
            (Value::from(1), Value::from(1)),
            (Value::from(2), Value::from(issuer_id)),
            (Value::from(3), Value::from(bits_per_entry)),
            (Value::from(4), Value::Bytes(z.finish().unwrap())),
            (Value::from(5), Value::from(issued.timestamp())),
            (Value::from(6), Value::from(86_400)),
            (Value::from(7), Value::from(20)),
        ]);
        let protected = HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .key_id(kid.to_vec())
            .content_type("application/techo-status-list".into())
            .build();
        CoseSign1Builder::new()
            .protected(protected)
            .payload(cbor(&payload))
            .create_signature(b"", |tbs| key.sign_bytes(tbs))
            .build()
            .to_vec()
            .unwrap()
    }

    fn trust(&self, min_token_version: u32) -> Vec<u8> {
        TrustList {
            sequence: 1,
            issued_at: self.now - Duration::days(1),
            min_token_version,
            issuers: vec![TrustedIssuer::of(
                &self.issuer,
                self.now - Duration::days(365),
                self.now + Duration::days(365),
            )],
        }
        .sign(&self.root, ROOT_KID)
    }

    fn context(&self, name: &str, description: &str, trust: &[u8], lists: &[Vec<u8>]) {
        let file = self.out.join("contexts").join(format!("{name}.json"));
        let body = json!({
            "description": description,
            "root_key": hex(&self.root.public().compressed()),
            "trust_list": hex(trust),
            "status_lists": lists.iter().map(|l| hex(l)).collect::<Vec<_>>(),
        });
        std::fs::write(file, serde_json::to_string_pretty(&body).unwrap() + "\n").unwrap();
    }

    #[allow(clippy::too_many_arguments)]
    fn case(
        &mut self,
        section: &str,
        id: &str,
        description: &str,
        context: &str,
        now: DateTime<Utc>,
        input: Input,
        policy: Option<Json>,
        expected: Json,
    ) {
        let (form, payload) = match input {
            Input::Text(t) => ("text", t),
            Input::Bytes(b) => ("hex", hex(&b)),
        };
        let mut body = json!({
            "id": format!("{section}/{id}"),
            "description": description,
            "context": context,
            "now": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "payload": { form: payload },
            "expected": expected,
        });
        if let Some(p) = policy {
            body["policy"] = p;
        }
        let dir = self.out.join("cases").join(section);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("{id}.json")),
            serde_json::to_string_pretty(&body).unwrap() + "\n",
        )
        .unwrap();
        self.count += 1;
    }

    fn refused(&mut self, section: &str, id: &str, description: &str, input: Input, code: &str) {
        let now = self.now;
        self.refused_at(section, id, description, "main", now, input, code);
    }

    #[allow(clippy::too_many_arguments)]
    fn refused_at(
        &mut self,
        section: &str,
        id: &str,
        description: &str,
        context: &str,
        now: DateTime<Utc>,
        input: Input,
        code: &str,
    ) {
        self.case(
            section,
            id,
            description,
            context,
            now,
            input,
            None,
            json!({ "valid": false, "code": code }),
        );
    }

    fn accepted(&mut self, id: &str, description: &str, input: Input, expected: Json) {
        let now = self.now;
        self.case("valid", id, description, "main", now, input, None, expected);
    }

    /// `held` again with its payload bytes and headers as given, signed by the issuer key.
    fn resigned(
        &self,
        held: &HeldCredential,
        payload: Vec<u8>,
        edit: impl FnOnce(CoseSign1Builder) -> CoseSign1Builder,
    ) -> HeldCredential {
        let protected = HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .key_id(self.issuer.kid.clone())
            .build();
        let sign1 = edit(
            CoseSign1Builder::new()
                .protected(protected)
                .payload(payload),
        )
        .create_signature(b"", |tbs| self.issuer_key.sign_bytes(tbs))
        .build();
        HeldCredential {
            credential: sign1.to_vec().unwrap(),
            ..held.clone()
        }
    }

    fn token(&self, held: &HeldCredential, items: Vec<Value>) -> Vec<u8> {
        build_token(held, items, |tbs| self.device.sign(tbs))
            .unwrap()
            .binary()
    }
}

fn payload_of(held: &HeldCredential) -> Vec<u8> {
    CoseSign1::from_slice(&held.credential)
        .unwrap()
        .payload
        .unwrap()
}

/// The payload's map with `edit` applied, deterministically encoded.
fn edited(held: &HeldCredential, edit: impl FnOnce(&mut Vec<(Value, Value)>)) -> Vec<u8> {
    let mut v: Value = ciborium::de::from_reader(payload_of(held).as_slice()).unwrap();
    if let Value::Map(entries) = &mut v {
        edit(entries);
    }
    cbor(&v)
}

fn set_key(entries: &mut [(Value, Value)], key: i64, value: Value) {
    for (k, v) in entries.iter_mut() {
        if k.as_integer() == Some(key.into()) {
            *v = value.clone();
        }
    }
}

/// The display token's payload items of a presentation.
fn token_items(p: &Payload) -> Vec<Value> {
    let (_, end) = techo_core::token::cbor_read::read_item(&p.body, 0, "").unwrap();
    let token = CoseSign1::from_slice(&p.body[end..]).unwrap();
    let v: Value = ciborium::de::from_reader(token.payload.unwrap().as_slice()).unwrap();
    v.as_array().unwrap().clone()
}

/// A different value of the same type (an enum code moves to the next of 0–2).
fn other_value(v: &Value) -> Value {
    match v {
        Value::Text(t) => Value::Text(format!("{t}x")),
        Value::Integer(i) => Value::from((i128::from(*i) + 1) % 3),
        Value::Bool(b) => Value::Bool(!b),
        Value::Bytes(b) => Value::Bytes(flip(b, 0)),
        _ => Value::from(1),
    }
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at] ^= 0x01;
    b
}

fn main() {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or("fixtures/conformance".into()),
    );
    let _ = std::fs::remove_dir_all(out.join("cases"));
    let _ = std::fs::remove_dir_all(out.join("contexts"));
    std::fs::create_dir_all(out.join("contexts")).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/handbooks");
    let draft = HandbookDraft::from_toml(
        &std::fs::read_to_string(fixtures.join("01-physical-1-tokyo.toml")).unwrap(),
    )
    .unwrap();
    let photo = std::fs::read(fixtures.join(draft.photo.clone().unwrap())).unwrap();
    let now = at(NOW);
    let claims = HandbookClaims::from_handbook(&draft.validate(Some(&photo), now).unwrap());
    let issuer_key = Arc::new(SoftwareKey::generate());
    let mut g = Gen {
        out: out.clone(),
        now,
        root: SoftwareKey::generate(),
        issuer: Issuer::new(
            1,
            "Techo conformance issuer",
            vec![0x01],
            issuer_key.clone(),
        ),
        issuer_key,
        device: SoftwareKey::generate(),
        claims,
        count: 0,
    };

    // Contexts: the lists each case is checked against.
    let marks = [
        (100, Status::Revoked),
        (200, Status::Suspended),
        (300, Status::Revoked),
    ];
    let main_list = g.list(10, now - Duration::hours(1), &marks);
    let trust = g.trust(1);
    g.context(
        "main",
        "the trust list and status list 1, version 10, issued an hour before; index 100 revoked, 200 suspended, 300 revoked",
        &trust,
        std::slice::from_ref(&main_list),
    );
    let older = g.list(5, now - Duration::hours(2), &marks[..2]);
    g.context(
        "older-list-first",
        "list 1 twice: version 5 (index 300 still valid) given before version 10 (300 revoked); the newest decides",
        &trust,
        &[older, main_list.clone()],
    );
    g.context("no-list", "the trust list and no status list", &trust, &[]);
    let old = g.list(3, now - Duration::hours(25), &marks);
    g.context(
        "old-list",
        "a status list issued 25 hours before: older than the default 24 hours",
        &trust,
        &[old],
    );
    g.context(
        "retired",
        "a trust list accepting token versions from 2 on",
        &g.trust(2),
        std::slice::from_ref(&main_list),
    );

    list_rules(&mut g);
    positive(&mut g);
    prefix(&mut g);
    encoding(&mut g);
    issuer(&mut g);
    signatures(&mut g);
    validity_and_time(&mut g);
    disclosures(&mut g);
    status_and_challenge(&mut g);
    verdicts(&g);
    eprintln!("conformance: {} cases in {}", g.count, out.display());
}

fn counter_verdict() -> Json {
    json!({ "valid": true, "profile": "counter", "disclosed": ["kind", "fare", "caregiver", "linkage"] })
}

fn positive(g: &mut Gen) {
    let [counter, full] = g.pair();
    let shown = g.counter(&counter);
    g.accepted(
        "counter-text",
        "the counter profile in text form",
        (&shown).into(),
        counter_verdict(),
    );
    g.accepted(
        "counter-binary",
        "the counter profile in binary form",
        Input::Bytes(shown.binary()),
        counter_verdict(),
    );
    g.accepted(
        "counter-text-whitespace",
        "the text form with spaces and a line break around it (copied from a terminal)",
        Input::Text(format!("  {}\n", shown.text())),
        counter_verdict(),
    );
    for id in ClaimId::ALL {
        let p = g.show(&full, g.now, &[id]);
        g.accepted(
            &format!("full-{}", id.name()),
            &format!("the full profile disclosing {} alone", id.name()),
            (&p).into(),
            json!({ "valid": true, "profile": "full", "disclosed": [id.name()] }),
        );
    }
    for pair in [
        [ClaimId::Grade, ClaimId::Municipality],
        [ClaimId::Expiry, ClaimId::Photo],
    ] {
        let p = g.show(&full, g.now, &pair);
        g.accepted(
            &format!("full-{}-{}", pair[0].name(), pair[1].name()),
            "the full profile disclosing two claims, in ascending id order",
            (&p).into(),
            json!({ "valid": true, "profile": "full", "disclosed": pair.iter().map(|c| c.name()).collect::<Vec<_>>() }),
        );
    }
    let all = g.show(&full, g.now, &ClaimId::ALL);
    g.accepted(
        "full-all",
        "the full profile disclosing every claim",
        (&all).into(),
        json!({ "valid": true, "profile": "full", "disclosed": ClaimId::ALL.iter().map(|c| c.name()).collect::<Vec<_>>() }),
    );
    let challenge = Challenge {
        nonce: vec![7; 16],
        audience: "tickets.example".into(),
    };
    let policy =
        json!({ "challenge": { "nonce": hex(&challenge.nonce), "audience": challenge.audience } });
    for (id, held, claims) in [
        ("challenge-counter", &counter, ClaimId::COUNTER.to_vec()),
        ("challenge-full", &full, vec![ClaimId::Kind, ClaimId::Grade]),
    ] {
        let p = present_with(
            held,
            &g.device,
            g.now,
            &claims,
            Some(&challenge),
            &Extras::default(),
        )
        .unwrap();
        g.case(
            "valid",
            id,
            "a booking site's challenge answered: the token carries the nonce and audience the policy expects",
            "main",
            g.now,
            (&p).into(),
            Some(policy.clone()),
            json!({ "valid": true }),
        );
    }
    let declared = [SupportCode::ManualWheelchair, SupportCode::PrioritySeating];
    for (id, extras, with_challenge) in [
        (
            "self-declared",
            Extras {
                declared: &declared,
                coupon: None,
            },
            false,
        ),
        (
            "self-declared-challenge",
            Extras {
                declared: &declared[..1],
                coupon: None,
            },
            true,
        ),
        (
            "coupon",
            Extras {
                declared: &[],
                coupon: Some("example-museum/winter-2026"),
            },
            false,
        ),
        (
            "self-declared-coupon",
            Extras {
                declared: &declared,
                coupon: Some("example-museum/winter-2026"),
            },
            false,
        ),
    ] {
        let p = present_with(
            &counter,
            &g.device,
            g.now,
            &ClaimId::COUNTER,
            with_challenge.then_some(&challenge),
            &extras,
        )
        .unwrap();
        g.case(
            "valid",
            id,
            "device-signed extras: self-declared support codes and/or a coupon",
            "main",
            g.now,
            (&p).into(),
            with_challenge.then(|| policy.clone()),
            json!({
                "valid": true,
                "self_declared": extras.declared.iter().map(|d| d.wire()).collect::<Vec<_>>(),
                "coupon": extras.coupon,
            }),
        );
    }
    // A support code this build does not know is skipped, not refused.
    let mut items = token_items(&g.counter(&counter));
    items.push(Value::Null);
    items.push(Value::Array(vec![Value::from(1), Value::from(200)]));
    g.accepted(
        "self-declared-unknown-code",
        "a self-declared code unknown to this version (200) is skipped; code 1 is kept",
        Input::Bytes(g.token(&counter, items)),
        json!({ "valid": true, "self_declared": [1] }),
    );
    for (id, relationship, confirmed) in [
        ("guardian-parent", Relationship::Parent, true),
        ("guardian-legal", Relationship::LegalGuardian, true),
        ("guardian-other-declared", Relationship::Other, false),
    ] {
        let mut claims = g.claims.clone();
        claims.guardian = Some(GuardianClaim {
            relationship,
            portal_confirmed: confirmed,
        });
        let [c, _] = g.issue_claims(&claims, 11, g.first_day(), 21);
        let p = g.counter(&c);
        g.accepted(
            id,
            "presented by a guardian (credential key 9, always disclosed)",
            (&p).into(),
            json!({ "valid": true, "guardian": [relationship.wire(), confirmed] }),
        );
    }
    let p = g.show(&counter, g.now - Duration::seconds(30), &ClaimId::COUNTER);
    g.accepted(
        "step-one-behind",
        "a token from the step before now (within the default skew of 1)",
        (&p).into(),
        json!({ "valid": true }),
    );
    let p = g.show(&counter, g.now + Duration::seconds(30), &ClaimId::COUNTER);
    g.accepted(
        "step-one-ahead",
        "a token from the step after now (the phone's clock a little ahead)",
        (&p).into(),
        json!({ "valid": true }),
    );
    // 00:00 JST on the first day, and 23:59:59 JST on the 22nd (offset 21).
    let [long, _] = g.issue(12, g.first_day(), 22);
    let start = at("2026-11-19T15:00:00Z");
    let p = g.show(&long, start, &ClaimId::COUNTER);
    g.case(
        "valid",
        "first-second",
        "at 00:00:00 JST of not-before",
        "main",
        start,
        (&p).into(),
        None,
        json!({ "valid": true }),
    );
    let end = at("2026-12-11T14:59:59Z");
    let p = g.show(&long, end, &ClaimId::COUNTER);
    let fresh = g.list(11, end - Duration::hours(1), &[]);
    g.context(
        "list-at-day-22",
        "a status list issued an hour before 2026-12-11T14:59:59Z",
        &g.trust(1),
        &[fresh],
    );
    g.case(
        "valid",
        "last-second-of-22-days",
        "a 22-day credential (offset 21) at 23:59:59 JST of its last day",
        "list-at-day-22",
        end,
        (&p).into(),
        None,
        json!({ "valid": true }),
    );
    let p = g.counter(&counter);
    let young = g.list(12, g.now - Duration::hours(23) - Duration::minutes(59), &[]);
    g.context(
        "list-23h59",
        "a status list 23 h 59 min old",
        &g.trust(1),
        &[young],
    );
    g.case(
        "valid",
        "list-just-young-enough",
        "a status list just under the 24-hour default",
        "list-23h59",
        g.now,
        (&p).into(),
        None,
        json!({ "valid": true }),
    );
}

fn prefix(g: &mut Gen) {
    let [counter, _] = g.pair();
    let shown = g.counter(&counter);
    let text = shown.text();
    for (id, prefix) in [("lower", "tk1:"), ("mixed-1", "Tk1:"), ("mixed-2", "tK1:")] {
        g.refused(
            "prefix",
            id,
            "the prefix is upper case only",
            Input::Text(text.replacen("TK1:", prefix, 1)),
            "not_techo",
        );
    }
    let mut lower = shown.binary();
    lower[..2].copy_from_slice(b"tk");
    g.refused(
        "prefix",
        "binary-lower",
        "binary form, lower-case prefix",
        Input::Bytes(lower),
        "not_techo",
    );
    g.refused(
        "prefix",
        "version-2-text",
        "a version this verifier does not read",
        Input::Text(text.replacen("TK1:", "TK2:", 1)),
        "unsupported_version",
    );
    let mut v9 = shown.binary();
    v9[2] = b'9';
    g.refused(
        "prefix",
        "version-9-binary",
        "binary form, version 9",
        Input::Bytes(v9),
        "unsupported_version",
    );
    g.refused(
        "prefix",
        "other-scheme",
        "an HC1 (EU DCC) code",
        Input::Text(text.replacen("TK1:", "HC1:", 1)),
        "not_techo",
    );
    g.refused(
        "prefix",
        "empty",
        "nothing",
        Input::Text(String::new()),
        "not_techo",
    );
    g.refused(
        "prefix",
        "too-short",
        "the prefix cut short",
        Input::Text("TK".into()),
        "not_techo",
    );
    g.refused(
        "prefix",
        "too-large",
        "over 4096 bytes after decoding",
        Input::Bytes([b"TK1".as_slice(), &[0u8; 4200]].concat()),
        "too_large",
    );
}

fn encoding(g: &mut Gen) {
    let [counter, full] = g.pair();
    let shown = g.counter(&counter);
    let text = shown.text();
    let binary = shown.binary();
    let m = |g: &mut Gen, id: &str, d: &str, input: Input| {
        g.refused("encoding", id, d, input, "malformed")
    };
    m(
        g,
        "base45-bad-char",
        "a lower-case letter in the Base45 text",
        Input::Text(format!("{}a", &text[..text.len() - 1])),
    );
    m(
        g,
        "base45-dangling",
        "one Base45 character left over",
        Input::Text(format!("{text}A")),
    );
    m(
        g,
        "truncated",
        "the token cut short",
        Input::Bytes(binary[..binary.len() - 10].to_vec()),
    );
    let cred_only = [b"TK1".as_slice(), &counter.credential].concat();
    m(
        g,
        "credential-only",
        "no display token",
        Input::Bytes(cred_only),
    );
    m(
        g,
        "trailing-byte",
        "a byte after the display token",
        Input::Bytes([binary.as_slice(), &[0]].concat()),
    );
    m(
        g,
        "three-items",
        "a third CBOR item after the token",
        Input::Bytes([binary.as_slice(), &[0xf6]].concat()),
    );
    let payload = payload_of(&counter);
    let mut long_int = payload[..3].to_vec();
    long_int.extend([0x02, 0x18, 0x01]);
    long_int.extend(&payload[5..]);
    let mut swapped = vec![payload[0], 0x02, 0x01, 0x01, 0x01];
    swapped.extend(&payload[5..]);
    let unknown = edited(&counter, |e| e.push((Value::from(10), Value::from(0))));
    for (id, d, bytes) in [
        (
            "long-integer",
            "the issuer id written in two bytes (not shortest form), signed",
            long_int,
        ),
        (
            "keys-out-of-order",
            "credential keys 2 before 1, signed",
            swapped,
        ),
        (
            "unknown-key",
            "a credential key version 1 does not define (10), signed",
            unknown,
        ),
    ] {
        let held = g.resigned(&counter, bytes, |b| b);
        let p = g.counter(&held);
        m(g, id, d, (&p).into());
    }
    for offset in [22u64, 23, 255, 1000] {
        let bytes = edited(&counter, |e| set_key(e, 5, Value::from(offset)));
        let held = g.resigned(&counter, bytes, |b| b);
        let p = g.counter(&held);
        m(
            g,
            &format!("validity-offset-{offset}"),
            "not-after more than 21 days after not-before, signed",
            (&p).into(),
        );
    }
    let empty_full = edited(&full, |e| set_key(e, 8, Value::Map(Vec::new())));
    let held = g.resigned(&full, empty_full, |b| b);
    let p = g.token(&held, vec![Value::from(0), Value::Array(Vec::new())]);
    m(
        g,
        "empty-full-digests",
        "a full profile with no claim digests, signed",
        Input::Bytes(p),
    );
    let held = g.resigned(&counter, payload.clone(), |b| {
        b.unprotected(HeaderBuilder::new().content_type("x".into()).build())
    });
    let p = g.counter(&held);
    m(
        g,
        "credential-unprotected",
        "a non-empty unprotected header on the credential",
        (&p).into(),
    );
    let held = g.resigned(&counter, payload.clone(), |b| {
        b.protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .key_id(g.issuer.kid.clone())
                .content_type("application/techo".into())
                .build(),
        )
    });
    let p = g.counter(&held);
    m(
        g,
        "credential-protected-extra",
        "a content type in the credential's protected header",
        (&p).into(),
    );
    let held = g.resigned(&counter, payload.clone(), |b| {
        b.protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES384)
                .key_id(g.issuer.kid.clone())
                .build(),
        )
    });
    let p = g.counter(&held);
    m(
        g,
        "credential-alg-es384",
        "the credential claims ES384",
        (&p).into(),
    );
    // Display token headers and encoding.
    let items = token_items(&shown);
    let aad = credential_binding(&counter.credential);
    let raw_token = |protected: coset::Header, unprotected: coset::Header, payload: Vec<u8>| {
        let t = CoseSign1Builder::new()
            .protected(protected)
            .unprotected(unprotected)
            .payload(payload)
            .create_signature(&aad, |tbs| g.device.sign(tbs).unwrap())
            .build();
        [b"TK1".as_slice(), &counter.credential, &t.to_vec().unwrap()].concat()
    };
    let good_payload = cbor(&Value::Array(items.clone()));
    let with_alg = raw_token(
        HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .build(),
        coset::Header::default(),
        good_payload.clone(),
    );
    let with_unprotected = raw_token(
        coset::Header::default(),
        HeaderBuilder::new().key_id(vec![1]).build(),
        good_payload,
    );
    let mut long_step = vec![0x82, 0x1b];
    long_step.extend(
        u64::try_from(items[0].as_integer().map_or(0, i128::from))
            .unwrap()
            .to_be_bytes(),
    );
    long_step.extend(cbor(&items[1]));
    let long_step = raw_token(
        coset::Header::default(),
        coset::Header::default(),
        long_step,
    );
    m(
        g,
        "token-protected-alg",
        "the display token's protected header holds alg (version 1 leaves it empty)",
        Input::Bytes(with_alg),
    );
    m(
        g,
        "token-unprotected",
        "a non-empty unprotected header on the display token",
        Input::Bytes(with_unprotected),
    );
    m(
        g,
        "token-long-step",
        "the step as an 8-byte integer (not shortest form), signed",
        Input::Bytes(long_step),
    );
    let mut null_only = items.clone();
    null_only.push(Value::Null);
    m(
        g,
        "null-challenge-alone",
        "[step, disclosure, null]: a null challenge with nothing after it",
        Input::Bytes(g.token(&counter, null_only)),
    );
    let mut six = items.clone();
    six.extend([
        Value::Null,
        Value::Array(Vec::new()),
        Value::Text("a/b".into()),
        Value::Null,
    ]);
    m(
        g,
        "token-six-items",
        "a display token payload of 6 items",
        Input::Bytes(g.token(&counter, six)),
    );
    let mut bad_coupon = items.clone();
    bad_coupon.extend([
        Value::Null,
        Value::Array(Vec::new()),
        Value::Text("no-slash".into()),
    ]);
    m(
        g,
        "coupon-without-slash",
        "a coupon that is not operator/coupon",
        Input::Bytes(g.token(&counter, bad_coupon)),
    );
    let mut bad_challenge = items;
    bad_challenge.push(Value::Array(vec![
        Value::Text("nonce".into()),
        Value::Text("aud".into()),
    ]));
    m(
        g,
        "challenge-nonce-text",
        "a challenge whose nonce is text, not bytes",
        Input::Bytes(g.token(&counter, bad_challenge)),
    );
    let mut map_cred = vec![b'T', b'K', b'1', 0xa0];
    map_cred.extend(&binary[3 + counter.credential.len()..]);
    m(
        g,
        "credential-not-cose",
        "a map where the credential belongs",
        Input::Bytes(map_cred),
    );
    for (id, d, key, value) in [
        (
            "credential-version-2",
            "credential version 2 in a version 1 code, signed",
            1,
            Value::from(2),
        ),
        (
            "counter-digest-15-bytes",
            "a 15-byte counter digest, signed",
            7,
            Value::Bytes(vec![1; 15]),
        ),
        (
            "status-ref-one-item",
            "a status reference of one item, signed",
            6,
            Value::Array(vec![Value::from(1)]),
        ),
        (
            "status-list-id-text",
            "a status list id written as text, signed",
            6,
            Value::Array(vec![Value::Text("1".into()), Value::from(10)]),
        ),
        (
            "device-key-off-curve",
            "a 33-byte device key whose x is not below the field prime, signed",
            3,
            Value::Bytes([vec![2u8], vec![0xff; 32]].concat()),
        ),
    ] {
        let bytes = edited(&counter, |e| set_key(e, key, value));
        let held = g.resigned(&counter, bytes, |b| b);
        let p = g.token(&held, token_items(&shown));
        m(g, id, d, Input::Bytes(p));
    }
    let both = edited(&counter, |e| {
        e.push((
            Value::from(8),
            Value::Map(vec![(Value::from(1), Value::Bytes(vec![0; 16]))]),
        ))
    });
    let held = g.resigned(&counter, both, |b| b);
    let p = g.token(&held, token_items(&shown));
    m(
        g,
        "both-digest-forms",
        "a counter digest and claim digests in one credential, signed",
        Input::Bytes(p),
    );
    let mut guardian_claims = g.claims.clone();
    guardian_claims.guardian = Some(GuardianClaim {
        relationship: Relationship::Parent,
        portal_confirmed: true,
    });
    let [guarded, _] = g.issue_claims(&guardian_claims, 14, g.first_day(), 21);
    let bytes = edited(&guarded, |e| {
        set_key(e, 9, Value::Array(vec![Value::from(4), Value::Bool(true)]))
    });
    let held = g.resigned(&guarded, bytes, |b| b);
    let p = g.counter(&held);
    m(
        g,
        "guardian-relationship-4",
        "a guardian relationship outside 1–3, signed",
        (&p).into(),
    );
    let tagged = [b"TK1".as_slice(), &[0xd2], &binary[3..]].concat();
    m(
        g,
        "credential-tagged",
        "the credential as a tagged COSE_Sign1 (tag 18): version 1 is untagged",
        Input::Bytes(tagged),
    );
    let cred_end = 3 + counter.credential.len();
    let tagged_token = [&binary[..cred_end], &[0xd2], &binary[cred_end..]].concat();
    m(
        g,
        "token-tagged",
        "the display token tagged (18)",
        Input::Bytes(tagged_token),
    );
    m(
        g,
        "text-empty-body",
        "the text prefix and nothing after it",
        Input::Text("TK1:".into()),
    );
    let short_key = edited(&counter, |e| set_key(e, 3, Value::Bytes(vec![2; 32])));
    let held = g.resigned(&counter, short_key, |b| b);
    let p = g.token(&held, token_items(&shown));
    m(
        g,
        "device-key-32-bytes",
        "a 32-byte device key, signed",
        Input::Bytes(p),
    );
}

fn issuer(g: &mut Gen) {
    let [counter, _] = g.pair();
    let other = Issuer::new(
        1,
        "Someone else",
        vec![0x09],
        Arc::new(SoftwareKey::generate()),
    );
    let held = g.counter_by(&other);
    let p = g.counter(&held);
    g.refused(
        "issuer",
        "unknown-kid",
        "a kid the trust list does not hold",
        (&p).into(),
        "unknown_issuer",
    );
    let p = g.counter(&counter);
    let early = g.now - Duration::days(366);
    g.refused_at(
        "issuer",
        "key-not-yet-valid",
        "checked before the issuer key's validity starts",
        "main",
        early,
        (&p).into(),
        "issuer_key_not_valid",
    );
    let late = g.now + Duration::days(366);
    g.refused_at(
        "issuer",
        "key-expired",
        "checked after the issuer key's validity ends",
        "main",
        late,
        (&p).into(),
        "issuer_key_not_valid",
    );
    let bytes = edited(&counter, |e| set_key(e, 2, Value::from(2)));
    let held = g.resigned(&counter, bytes, |b| b);
    let p = g.counter(&held);
    g.refused(
        "issuer",
        "issuer-id-mismatch",
        "the body names issuer 2, the kid belongs to issuer 1",
        (&p).into(),
        "issuer_key_not_valid",
    );
    let p = g.counter(&counter);
    g.refused_at(
        "issuer",
        "version-retired",
        "the trust list accepts token versions from 2 on",
        "retired",
        g.now,
        (&p).into(),
        "version_retired",
    );
}

fn signatures(g: &mut Gen) {
    let [counter, _] = g.pair();
    let binary = g.counter(&counter).binary();
    let cred_end = 3 + counter.credential.len();
    // The issuer signature is the credential's last 64 bytes.
    for n in 0..16 {
        let at = cred_end - 64 + n * 4;
        g.refused(
            "issuer-signature",
            &format!("flip-{n:02}"),
            &format!("one bit flipped in the issuer signature (byte {at} of the payload)"),
            Input::Bytes(flip(&binary, at)),
            "bad_issuer_signature",
        );
    }
    let payload = payload_of(&counter);
    let last = payload.len() - 1;
    let mut altered = payload.clone();
    altered[last] ^= 1;
    let sign1 = CoseSign1::from_slice(&counter.credential).unwrap();
    let forged = CoseSign1 {
        payload: Some(altered),
        ..sign1
    };
    let held = HeldCredential {
        credential: forged.to_vec().unwrap(),
        ..counter.clone()
    };
    let p = g.counter(&held);
    g.refused(
        "issuer-signature",
        "payload-altered",
        "the counter digest changed after signing",
        (&p).into(),
        "bad_issuer_signature",
    );
    let impostor = Issuer::new(1, "Impostor", vec![0x01], Arc::new(SoftwareKey::generate()));
    let held = g.counter_by(&impostor);
    let p = g.counter(&held);
    g.refused(
        "issuer-signature",
        "other-key-same-kid",
        "signed by another key under the issuer's kid",
        (&p).into(),
        "bad_issuer_signature",
    );
    // The device signature is the token's last 64 bytes.
    for n in 0..12 {
        let at = binary.len() - 64 + n * 5;
        g.refused(
            "device-signature",
            &format!("flip-{n:02}"),
            &format!("one bit flipped in the device signature (byte {at})"),
            Input::Bytes(flip(&binary, at)),
            "not_bound_to_device",
        );
    }
    let stranger = SoftwareKey::generate();
    let items = token_items(&g.counter(&counter));
    let p = build_token(&counter, items.clone(), |tbs| stranger.sign(tbs)).unwrap();
    g.refused(
        "device-signature",
        "other-device",
        "the token signed by a key the credential is not bound to",
        (&p).into(),
        "not_bound_to_device",
    );
    let [other_counter, _] = g.issue(13, g.first_day(), 21);
    let theirs = g.counter(&other_counter);
    let token = &theirs.body[other_counter.credential.len()..];
    let spliced = [b"TK1".as_slice(), &counter.credential, token].concat();
    g.refused(
        "device-signature",
        "token-of-another-credential",
        "a token bound to another credential by the same device (the AAD differs)",
        Input::Bytes(spliced),
        "not_bound_to_device",
    );
}

fn validity_and_time(g: &mut Gen) {
    let [counter, _] = g.pair();
    let before = at("2026-11-19T14:59:59Z");
    // A token made at that time, so only the validity is wrong.
    let mut items = token_items(&g.counter(&counter));
    items[0] = Value::from(0);
    let p = g.token(&counter, items);
    g.refused_at(
        "validity",
        "day-before",
        "23:59:59 JST the day before not-before",
        "main",
        before,
        Input::Bytes(p),
        "credential_not_yet_valid",
    );
    let after = at("2026-12-10T15:00:00Z");
    let p = g.counter(&counter);
    g.refused_at(
        "validity",
        "day-after",
        "00:00 JST the day after not-after",
        "main",
        after,
        (&p).into(),
        "credential_expired",
    );
    for (id, seconds, code) in [
        ("stale-2-steps", -60, "stale_screen"),
        ("stale-10-min", -600, "stale_screen"),
        ("stale-1-day", -86_400, "stale_screen"),
        ("ahead-2-steps", 60, "clock_ahead"),
        ("ahead-10-min", 600, "clock_ahead"),
    ] {
        let p = g.show(
            &counter,
            g.now + Duration::seconds(seconds),
            &ClaimId::COUNTER,
        );
        g.refused(
            "time",
            id,
            "a token made that far from now (outside the skew of one step)",
            (&p).into(),
            code,
        );
    }
}

/// `items` with `disclosure` in place of the one shown, signed again by the device: the issuer's
/// digests no longer match.
fn mismatch(
    g: &mut Gen,
    held: &HeldCredential,
    items: &[Value],
    disclosure: Vec<Value>,
    id: &str,
    description: &str,
) {
    let mut t = items.to_vec();
    t[1] = Value::Array(disclosure);
    let p = g.token(held, t);
    g.refused(
        "disclosure",
        id,
        description,
        Input::Bytes(p),
        "disclosure_mismatch",
    );
}

fn disclosures(g: &mut Gen) {
    let [counter, full] = g.pair();
    let items = token_items(&g.counter(&counter));
    let disclosure = items[1].as_array().unwrap().clone();
    let changed = [
        ("kind", 1, other_value(&disclosure[1])),
        ("fare", 2, other_value(&disclosure[2])),
        ("caregiver", 3, other_value(&disclosure[3])),
        ("linkage", 4, other_value(&disclosure[4])),
        ("salt", 0, Value::Bytes(vec![0; 16])),
        ("salt-15-bytes", 0, Value::Bytes(vec![0; 15])),
    ];
    for (id, at, value) in changed {
        let mut d = disclosure.clone();
        d[at] = value;
        mismatch(
            g,
            &counter,
            &items,
            d,
            &format!("counter-{id}"),
            "a counter value changed and the token signed again by the device",
        );
    }
    let all = token_items(&g.show(&full, g.now, &ClaimId::ALL));
    let claims = all[1].as_array().unwrap().clone();
    for (n, id) in ClaimId::ALL.iter().enumerate() {
        let mut c = claims.clone();
        let Value::Array(entry) = &mut c[n] else {
            unreachable!()
        };
        entry[2] = other_value(&entry[2]);
        mismatch(
            g,
            &full,
            &all,
            c,
            &format!("full-{}", id.name()),
            "a disclosed claim value changed, the token signed again",
        );
    }
    let mut wrong_salt = claims.clone();
    if let Value::Array(entry) = &mut wrong_salt[0] {
        entry[1] = Value::Bytes(vec![0; 16]);
    }
    mismatch(
        g,
        &full,
        &all,
        wrong_salt,
        "full-salt",
        "a full claim's salt changed",
    );
    let mut unknown = claims.clone();
    unknown.push(Value::Array(vec![
        Value::from(9),
        Value::Bytes(vec![0; 16]),
        Value::from(0),
    ]));
    mismatch(
        g,
        &full,
        &all,
        unknown,
        "full-unknown-claim",
        "a claim id 9, which version 1 does not define",
    );
    let mut reversed = claims.clone();
    reversed.reverse();
    mismatch(
        g,
        &full,
        &all,
        reversed,
        "full-descending",
        "claims in descending id order",
    );
    let mut twice = claims[..2].to_vec();
    twice.push(claims[1].clone());
    mismatch(
        g,
        &full,
        &all,
        twice,
        "full-repeated",
        "one claim disclosed twice",
    );
    mismatch(
        g,
        &full,
        &all,
        disclosure,
        "counter-form-on-full",
        "a counter disclosure on a full-profile credential",
    );
    mismatch(
        g,
        &counter,
        &items,
        claims,
        "full-form-on-counter",
        "a full disclosure on a counter-profile credential",
    );
}

fn status_and_challenge(g: &mut Gen) {
    for (id, index, code) in [("revoked", 100, "revoked"), ("suspended", 200, "suspended")] {
        let [c, f] = g.issue(index, g.first_day(), 21);
        let p = g.counter(&c);
        g.refused(
            "status",
            &format!("{id}-counter"),
            "the entry of the credential's index",
            (&p).into(),
            code,
        );
        let p = g.show(&f, g.now, &[ClaimId::Kind]);
        g.refused(
            "status",
            &format!("{id}-full"),
            "the full credential shares the index",
            (&p).into(),
            code,
        );
    }
    let [c, _] = g.issue(300, g.first_day(), 21);
    let p = g.counter(&c);
    g.refused_at(
        "status",
        "newest-list-decides",
        "an older list showing the index valid comes first; the newer one revokes it",
        "older-list-first",
        g.now,
        (&p).into(),
        "revoked",
    );
    let [c, _] = g.issue(70_000, g.first_day(), 21);
    let p = g.counter(&c);
    g.refused(
        "status",
        "index-past-the-end",
        "an index beyond the list's 65,536 entries reads as revoked (fail safe)",
        (&p).into(),
        "revoked",
    );
    let [c, _] = g.pair();
    let p = g.counter(&c);
    g.refused_at(
        "status",
        "no-list",
        "no status list for list 1",
        "no-list",
        g.now,
        (&p).into(),
        "status_list_missing",
    );
    g.refused_at(
        "status",
        "list-too-old",
        "the only list is 25 hours old",
        "old-list",
        g.now,
        (&p).into(),
        "status_list_too_old",
    );
    let challenge = Challenge {
        nonce: vec![7; 16],
        audience: "tickets.example".into(),
    };
    let policy =
        json!({ "challenge": { "nonce": hex(&challenge.nonce), "audience": challenge.audience } });
    let plain = g.counter(&c);
    g.case(
        "challenge",
        "missing",
        "the policy expects a challenge, the token has none",
        "main",
        g.now,
        (&plain).into(),
        Some(policy.clone()),
        json!({ "valid": false, "code": "challenge_missing" }),
    );
    for (id, nonce, audience) in [
        ("wrong-nonce", vec![8; 16], "tickets.example"),
        ("wrong-audience", vec![7; 16], "tickets.example.org"),
    ] {
        let other = Challenge {
            nonce,
            audience: audience.into(),
        };
        let p = present_with(
            &c,
            &g.device,
            g.now,
            &ClaimId::COUNTER,
            Some(&other),
            &Extras::default(),
        )
        .unwrap();
        g.case(
            "challenge",
            id,
            "the token answers another challenge",
            "main",
            g.now,
            (&p).into(),
            Some(policy.clone()),
            json!({ "valid": false, "code": "wrong_challenge" }),
        );
    }
    let p = present_with(
        &c,
        &g.device,
        g.now,
        &ClaimId::COUNTER,
        Some(&challenge),
        &Extras::default(),
    )
    .unwrap();
    g.case(
        "challenge",
        "unasked",
        "a token carrying a challenge the verifier did not ask for is still valid",
        "main",
        g.now,
        (&p).into(),
        None,
        json!({ "valid": true }),
    );
}

/// Rules for loading a status list: a list that breaks one is left out (never used), so the
/// credential it would cover gets `status_list_missing`; an entry value of 3 reads as revoked;
/// a list from the verifier's future is used.
fn list_rules(g: &mut Gen) {
    let trust = g.trust(1);
    let all_valid = vec![0u8; 65_536 / 4];
    let key_held = g.issuer_key.clone();
    let key: &SoftwareKey = &key_held;
    let kid = g.issuer.kid.clone();
    let id = g.issuer.id;
    let hour_ago = g.now - Duration::hours(1);
    let mut value_3 = all_valid.clone();
    value_3[10 / 4] |= 0b11 << ((10 % 4) * 2);
    let good = g.raw_list(key, &kid, id, 2, &all_valid, hour_ago);
    let stranger = SoftwareKey::generate();
    let with_entry_3 = g.raw_list(key, &kid, id, 2, &value_3, hour_ago);
    let bad_signature = {
        let last = good.len() - 1;
        flip(&good, last)
    };
    let contexts: [(&str, &str, Vec<u8>, &str); 6] = [
        (
            "list-bad-signature",
            "the only status list has a flipped signature bit: not loaded",
            bad_signature,
            "status_list_missing",
        ),
        (
            "list-unknown-signer",
            "the only status list is signed by a key the trust list does not hold: not loaded",
            g.raw_list(&stranger, b"zz", id, 2, &all_valid, hour_ago),
            "status_list_missing",
        ),
        (
            "list-other-issuer-id",
            "the list names issuer 2 but is signed by issuer 1's key: not loaded",
            g.raw_list(key, &kid, 2, 2, &all_valid, hour_ago),
            "status_list_missing",
        ),
        (
            "list-bits-1",
            "a list of 1 bit per entry: not loaded (version 1 lists have 2)",
            g.raw_list(key, &kid, id, 1, &all_valid, hour_ago),
            "status_list_missing",
        ),
        (
            "list-entry-3",
            "the credential's entry holds the value 3: read as revoked",
            with_entry_3,
            "revoked",
        ),
        (
            "list-from-the-future",
            "a list issued an hour after now (the verifier's clock behind): used",
            g.raw_list(key, &kid, id, 2, &all_valid, g.now + Duration::hours(1)),
            "valid",
        ),
    ];
    let [counter, _] = g.pair();
    let p = g.counter(&counter);
    for (name, description, list, expected) in contexts {
        g.context(name, description, &trust, &[list]);
        let verdict = if expected == "valid" {
            json!({ "valid": true })
        } else {
            json!({ "valid": false, "code": expected })
        };
        g.case(
            "status-list",
            name,
            description,
            name,
            g.now,
            (&p).into(),
            None,
            verdict,
        );
    }
}

/// One row of the shared verdict table: a presentation judged under an operator's policy for a
/// trip, and the verdict every verifier (core, CLI, phone) must give. The expectations are
/// written here by hand from the policy files, not computed.
struct Row {
    id: &'static str,
    shown: &'static str,
    policy: &'static str,
    km: Option<u32>,
    with_caregiver: Option<bool>,
    expected: Json,
}

fn row(
    id: &'static str,
    shown: &'static str,
    policy: &'static str,
    km: Option<u32>,
    with_caregiver: Option<bool>,
    expected: Json,
) -> Row {
    Row {
        id,
        shown,
        policy,
        km,
        with_caregiver,
        expected,
    }
}

fn decided(decision: &str, holder: bool, caregiver: bool, codes: &[&str]) -> Json {
    json!({ "decision": decision, "holder": holder, "caregiver": caregiver, "codes": codes })
}

/// `fixtures/conformance/verdicts.json`: the staff verdict table (docs/conformance.md).
fn verdicts(g: &Gen) {
    let day = g.first_day();
    let with = |edit: &dyn Fn(&mut HandbookClaims)| {
        let mut c = g.claims.clone();
        c.linkage = LinkageKind::Linked;
        edit(&mut c);
        c
    };
    let linked = with(&|_| {});
    let self_registered = with(&|c| {
        c.fare_class = techo_core::model::FareClass::Second;
        c.caregiver = false;
        c.linkage = LinkageKind::Unlinked;
    });
    let mental = with(&|c| c.kind = techo_core::model::HandbookKind::Mental);
    let guardian = with(&|c| {
        c.kind = techo_core::model::HandbookKind::Intellectual;
        c.guardian = Some(GuardianClaim {
            relationship: Relationship::Parent,
            portal_confirmed: true,
        });
    });
    let counter = |claims: &HandbookClaims, index: u32| {
        let [c, _] = g.issue_claims(claims, index, day, 21);
        g.counter(&c).text()
    };
    let [_, full] = g.issue_claims(&linked, 16, day, 21);
    let [old, _] = g.issue_claims(&linked, 17, day - Duration::days(40), 21);
    let [revoked, _] = g.issue_claims(&linked, 100, day, 21);
    let [declaring, _] = g.issue_claims(&linked, 18, day, 21);
    let declared = [SupportCode::ManualWheelchair, SupportCode::GuideDog];
    let shown: Vec<(&str, &str, String)> = vec![
        (
            "linked-1",
            "身体 第1種, caregiver, 連携済 (counter profile)",
            counter(&linked, 11),
        ),
        (
            "self-2",
            "身体 第2種, holder only, 本人登録 (not linked)",
            counter(&self_registered, 12),
        ),
        (
            "mental-1",
            "精神 第1種, caregiver, 連携済",
            counter(&mental, 13),
        ),
        (
            "guardian-1",
            "知的 第1種, 連携済, presented by a parent the portal confirmed",
            counter(&guardian, 14),
        ),
        (
            "kind-hidden",
            "full profile disclosing fare class, caregiver and linkage only",
            g.show(
                &full,
                g.now,
                &[ClaimId::FareClass, ClaimId::Caregiver, ClaimId::Linkage],
            )
            .text(),
        ),
        (
            "expired",
            "身体 第1種 連携済, its credential ended 2026-10-31",
            g.show(&old, at("2026-10-31T03:00:00Z"), &ClaimId::COUNTER)
                .text(),
        ),
        (
            "revoked",
            "身体 第1種 連携済, its status entry revoked",
            g.counter(&revoked).text(),
        ),
        (
            "declared",
            "身体 第1種 連携済 with two self-declared items",
            present_with(
                &declaring,
                &g.device,
                g.now,
                &ClaimId::COUNTER,
                None,
                &Extras {
                    declared: &declared,
                    coupon: None,
                },
            )
            .unwrap()
            .text(),
        ),
    ];
    let invalid = |code: &str| json!({ "invalid": code });
    let rows = [
        row(
            "rail-caregiver-near",
            "linked-1",
            "rail-jr-style",
            Some(50),
            Some(true),
            decided("accepted", true, true, &["caregiver_needed_under_distance"]),
        ),
        row(
            "rail-alone-near",
            "linked-1",
            "rail-jr-style",
            Some(50),
            Some(false),
            decided("not_accepted", false, false, &["trip_too_short"]),
        ),
        row(
            "rail-alone-far",
            "linked-1",
            "rail-jr-style",
            Some(150),
            Some(false),
            decided("accepted", true, false, &[]),
        ),
        row(
            "rail-alone-distance-unknown",
            "linked-1",
            "rail-jr-style",
            None,
            Some(false),
            decided("check_manually", true, false, &["distance_unknown"]),
        ),
        row(
            "rail-second-class-far",
            "self-2",
            "rail-jr-style",
            Some(150),
            None,
            decided("accepted", true, false, &[]),
        ),
        row(
            "rail-second-class-near",
            "self-2",
            "rail-jr-style",
            Some(50),
            None,
            decided("not_accepted", false, false, &["trip_too_short"]),
        ),
        row(
            "rail-kind-hidden",
            "kind-hidden",
            "rail-jr-style",
            Some(150),
            Some(true),
            decided("check_manually", true, true, &["kind_not_shown"]),
        ),
        row(
            "bus-not-linked",
            "self-2",
            "city-bus-linked-only",
            None,
            None,
            decided("not_accepted", false, false, &["not_linked"]),
        ),
        row(
            "bus-linked",
            "linked-1",
            "city-bus-linked-only",
            None,
            Some(true),
            decided("accepted", true, true, &[]),
        ),
        row(
            "museum-companion",
            "self-2",
            "museum-all-kinds",
            None,
            None,
            decided("accepted", true, true, &[]),
        ),
        row(
            "museum-declared",
            "declared",
            "museum-all-kinds",
            None,
            None,
            {
                let mut d = decided("accepted", true, true, &[]);
                d["self_declared"] = json!(declared.iter().map(|c| c.code()).collect::<Vec<_>>());
                d
            },
        ),
        row(
            "museum-expired",
            "expired",
            "museum-all-kinds",
            None,
            None,
            decided("not_accepted", false, false, &["credential_expired"]),
        ),
        row(
            "museum-revoked",
            "revoked",
            "museum-all-kinds",
            None,
            None,
            invalid("revoked"),
        ),
        row(
            "ferry-mental",
            "mental-1",
            "ferry-no-mental",
            None,
            None,
            decided("not_accepted", false, false, &["kind_not_accepted"]),
        ),
        row(
            "ferry-guardian",
            "guardian-1",
            "ferry-no-mental",
            None,
            Some(true),
            decided("accepted", true, false, &["presented_by_guardian"]),
        ),
        row(
            "air-guardian",
            "guardian-1",
            "airline-holder-present",
            None,
            None,
            decided("not_accepted", false, false, &["holder_must_be_present"]),
        ),
        row(
            "air-holder",
            "linked-1",
            "airline-holder-present",
            None,
            Some(true),
            decided("accepted", true, true, &[]),
        ),
        row(
            "booking-without-challenge",
            "linked-1",
            "booking-site-online",
            Some(150),
            None,
            decided("not_accepted", false, false, &["challenge_required"]),
        ),
    ];
    let trip_date = g.now.with_timezone(&jst()).date_naive();
    let body = json!({
        "description": "the staff verdict table: presentations (context main, at now) judged under the operator policies in fixtures/policies for a trip on now's day in Japan; core, CLI and phones must give these verdicts",
        "context": "main",
        "now": g.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "presentations": shown.iter().map(|(id, d, text)| json!({ "id": id, "description": d, "text": text })).collect::<Vec<_>>(),
        "rows": rows.iter().map(|r| json!({
            "id": r.id,
            "presentation": r.shown,
            "policy": r.policy,
            "trip": { "date": trip_date.to_string(), "distance_km": r.km, "with_caregiver": r.with_caregiver },
            "expected": r.expected,
        })).collect::<Vec<_>>(),
    });
    std::fs::write(
        g.out.join("verdicts.json"),
        serde_json::to_string_pretty(&body).unwrap() + "\n",
    )
    .unwrap();
}

/// Japan time (UTC+9, no daylight saving).
fn jst() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(9 * 3600).unwrap()
}
