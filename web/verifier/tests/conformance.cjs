// The conformance corpus (fixtures/conformance/, docs/conformance.md) run through the verifier
// compiled to WebAssembly, as the web page loads it: every case's verdict and refusal code.
// The Rust verifier (core/tests/conformance.rs) and the Python binding run the same files.
//   node web/verifier/tests/conformance.cjs <folder with the nodejs build of techo_web_verifier>
"use strict";
const fs = require("fs");
const path = require("path");

const pkg = process.argv[2];
if (!pkg) {
  console.error("usage: conformance.cjs <wasm-bindgen --target nodejs output folder>");
  process.exit(2);
}
const { WebVerifier } = require(path.resolve(pkg, "techo_web_verifier.js"));
const corpus = path.resolve(__dirname, "../../../fixtures/conformance");
const hex = (h) => Uint8Array.from(Buffer.from(h, "hex"));

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".json") ? [path.join(dir, e.name)] : []);
}

const verifiers = new Map();
function verifierFor(context) {
  if (!verifiers.has(context)) {
    const ctx = JSON.parse(fs.readFileSync(path.join(corpus, "contexts", `${context}.json`), "utf8"));
    const v = new WebVerifier(hex(ctx.root_key), hex(ctx.trust_list));
    for (const list of ctx.status_lists) {
      // A list that does not load is left out (docs/conformance.md): never used.
      try { v.addStatusList(hex(list)); } catch (_) { /* refused, as the corpus expects */ }
    }
    verifiers.set(context, v);
  }
  return verifiers.get(context);
}

const cases = walk(path.join(corpus, "cases")).sort();
if (cases.length < 150) {
  console.error(`only ${cases.length} cases found in ${corpus}`);
  process.exit(1);
}
let failed = 0;
for (const file of cases) {
  const c = JSON.parse(fs.readFileSync(file, "utf8"));
  const payload = c.payload.text !== undefined ? new TextEncoder().encode(c.payload.text) : hex(c.payload.hex);
  const challenge = (c.policy || {}).challenge;
  const got = JSON.parse(verifierFor(c.context).check(
    payload, Date.parse(c.now), "en",
    challenge ? hex(challenge.nonce) : undefined,
    challenge ? challenge.audience : undefined));
  const want = c.expected;
  if (got.valid !== want.valid || (!want.valid && got.code !== want.code)) {
    failed += 1;
    console.error(`FAIL ${path.relative(corpus, file)}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
}
console.log(`conformance through WebAssembly: ${cases.length - failed} of ${cases.length} cases agree`);
process.exit(failed ? 1 : 0);
