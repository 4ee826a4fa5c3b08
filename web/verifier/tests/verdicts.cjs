// Staff verdicts through the WebAssembly verifier: every row of the shared verdict table
// (fixtures/conformance/verdicts.json) gets the verdict the core, `techo verify --policy` and
// the phones' library give it.
//   node web/verifier/tests/verdicts.cjs <folder with the nodejs build of techo_web_verifier>
"use strict";
const fs = require("fs");
const path = require("path");
const assert = require("assert");

const { WebVerifier } = require(path.resolve(process.argv[2], "techo_web_verifier.js"));
const fixtures = path.resolve(__dirname, "../../../fixtures");
const hex = (h) => Uint8Array.from(Buffer.from(h, "hex"));
const table = JSON.parse(fs.readFileSync(path.join(fixtures, "conformance/verdicts.json"), "utf8"));
const ctx = JSON.parse(fs.readFileSync(path.join(fixtures, `conformance/contexts/${table.context}.json`), "utf8"));

const v = new WebVerifier(hex(ctx.root_key), hex(ctx.trust_list));
for (const list of ctx.status_lists) {
  try { v.addStatusList(hex(list)); } catch (_) { /* a list that does not load is left out */ }
}
const shown = Object.fromEntries(table.presentations.map((p) => [p.id, new TextEncoder().encode(p.text)]));
const now = Date.parse(table.now);

/** A verdict in the table's terms. */
function asRow(got) {
  if (got.decision === "invalid_code") return { invalid: got.refusal };
  const row = { decision: got.decision, holder: got.holder, caregiver: got.caregiver, codes: got.codes };
  if (got.declared_codes.length) row.self_declared = got.declared_codes;
  return row;
}

assert.ok(table.rows.length >= 15, `only ${table.rows.length} rows`);
const failures = [];
for (const row of table.rows) {
  const toml = fs.readFileSync(path.join(fixtures, `policies/${row.policy}.toml`), "utf8");
  const got = JSON.parse(v.judgeWithPolicy(shown[row.presentation], now, "en", toml, JSON.stringify(row.trip)));
  assert.ok(got.lines.length > 0, `${row.id}: no lines for staff`);
  try {
    assert.deepStrictEqual(asRow(got), row.expected);
  } catch (_) {
    failures.push(`${row.id}: got ${JSON.stringify(asRow(got))}, expected ${JSON.stringify(row.expected)}`);
  }
}
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}

// Validity only, with no operator chosen: a valid code and a refused one.
const valid = JSON.parse(v.judge(shown["linked-1"], now, "ja", undefined, "{}"));
assert.strictEqual(valid.decision, "valid");
assert.ok(valid.details.length > 0);
const garbled = JSON.parse(v.judge(new TextEncoder().encode("TK1:NOT-A-CODE"), now, "en", undefined, "{}"));
assert.strictEqual(garbled.decision, "invalid_code");
// An operator the directory does not hold is an error, not a verdict.
assert.throws(() => v.judge(shown["linked-1"], now, "en", "no-such-operator", "{}"));
console.log(`verdicts through WebAssembly: all ${table.rows.length} rows agree; validity-only checks pass`);
