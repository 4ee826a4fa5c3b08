// The staff verifier page: loads the WebAssembly verifier, the lists (through the service
// worker, so they are there offline) and the operator directory, then judges what the camera,
// a picture or pasted text shows. The core decides; this file only draws.
import init, { WebVerifier, decodeQr } from "./pkg/techo_web_verifier.js";
import { ROOT_KEY, API } from "./root-key.js";

// The issuer's API: beside the page when techo-server serves it (/verify/ → /v1/), or where
// root-key.js says when the page is on a static host of its own.
const api = new URL(API || "../v1/", location.href);
const $ = (id) => document.getElementById(id);
const hex = (h) => Uint8Array.from(h.match(/../g).map((b) => parseInt(b, 16)));
let lang = (navigator.language || "ja").startsWith("en") ? "en" : "ja";
let verifier = null;
let scanning = null;
let lastCode = "";
// What the page did, for tests and support: every verdict with its time from frame to verdict.
window.techoVerifier = { ready: false, readyMs: null, history: [] };

/** The message in the page's language. */
function say(ja, en) {
  return lang === "ja" ? ja : en;
}

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-ja]")) {
    el.textContent = el.dataset[lang];
  }
  $("lang").textContent = lang === "ja" ? "English" : "日本語";
  $("lang").setAttribute("aria-label", lang === "ja" ? "English" : "日本語");
  if (verifier) fillOperators();
}

async function bytes(path) {
  const r = await fetch(new URL(path, api));
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function loadLists() {
  const v = new WebVerifier(hex(ROOT_KEY), await bytes("trust-list"));
  const index = await (await fetch(new URL("status-lists", api))).json();
  for (const head of index.lists) v.addStatusList(await bytes(`status-lists/${head.list}`));
  v.applyDirectory(await bytes("directory"));
  if (verifier) verifier.free();
  verifier = v;
  showListsAge();
  fillOperators();
}

function showListsAge() {
  const age = verifier.listsAgeSeconds(Date.now());
  const hours = Math.floor(age / 3600);
  const minutes = Math.floor((age % 3600) / 60);
  const el = $("lists");
  // The hard limit itself is the core's: a code judged with lists past it is refused.
  el.classList.toggle("stale", age > 14 * 24 * 3600);
  el.textContent = lang === "ja"
    ? `リスト: ${hours} 時間 ${minutes} 分前のもの${navigator.onLine ? "" : "（オフライン）"}`
    : `Lists from ${hours} h ${minutes} min ago${navigator.onLine ? "" : " (offline)"}`;
}

function fillOperators() {
  const select = $("operator");
  // A counter set up for one operator can open the page as /verify/?operator=<id>.
  const asked = new URLSearchParams(location.search).get("operator");
  const chosen = select.value || asked || localStorage.getItem("operator") || "";
  for (const o of [...select.options].slice(1)) o.remove();
  for (const op of JSON.parse(verifier.operators(lang))) {
    select.add(new Option(op.name, op.id));
  }
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : "";
}

function trip() {
  const distance = $("distance").value;
  const caregiver = $("caregiver").value;
  return JSON.stringify({
    ...(distance !== "" ? { distance_km: Number(distance) } : {}),
    ...(caregiver ? { with_caregiver: caregiver === "yes" } : {}),
  });
}

function show(result, started) {
  const decision = $("decision");
  decision.className = `decision ${result.decision}`;
  decision.textContent = result.lines[0];
  const list = (id, items) => {
    const ul = $(id);
    ul.replaceChildren(...(items || []).map((t) => Object.assign(document.createElement("li"), { textContent: t })));
    return (items || []).length > 0;
  };
  list("lines", result.lines.slice(1));
  $("facts-section").hidden = !list("facts", result.details);
  $("declared-section").hidden = !list("declared", result.declared);
  $("guardian-section").hidden = !result.guardian;
  $("guardian").textContent = result.guardian || "";
  window.techoVerifier.history.push({ ...result, ms: started ? performance.now() - started : null });
}

function judge(code, started) {
  if (!verifier) return;
  const operator = $("operator").value || undefined;
  try {
    show(JSON.parse(verifier.judge(code, Date.now(), lang, operator, trip())), started);
  } catch (e) {
    show({ decision: "invalid_code", lines: [say("✕ 確認できません", "✕ CANNOT CHECK"), String(e.message || e)] });
  }
}

function judgeFrame(source, width, height) {
  const started = performance.now();
  const canvas = $("frame");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, width, height);
  const found = decodeQr(ctx.getImageData(0, 0, width, height).data, width, height);
  if (!found) return false;
  const key = Array.from(found.slice(0, 48)).join(",") + found.length;
  if (key !== lastCode) {
    lastCode = key;
    judge(found, started);
  }
  return true;
}

async function startCamera() {
  const video = $("camera");
  video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  await video.play();
  clearInterval(scanning);
  scanning = setInterval(() => {
    if (video.videoWidth) judgeFrame(video, video.videoWidth, video.videoHeight);
  }, 150);
}

async function readPicture(file) {
  const image = await createImageBitmap(file);
  if (!judgeFrame(image, image.width, image.height)) {
    show({ decision: "invalid_code", lines: [say("✕ QR コードが見つかりません", "✕ NO QR CODE FOUND")] });
  }
}

async function main() {
  const started = performance.now();
  applyLanguage();
  $("lang").addEventListener("click", () => { lang = lang === "ja" ? "en" : "ja"; applyLanguage(); });
  $("operator").addEventListener("change", () => { localStorage.setItem("operator", $("operator").value); lastCode = ""; });
  $("start-camera").addEventListener("click", () => startCamera().catch((e) => show({ decision: "invalid_code", lines: [say("✕ カメラを使えません", "✕ NO CAMERA"), String(e.message || e)] })));
  $("upload").addEventListener("change", (e) => e.target.files[0] && readPicture(e.target.files[0]));
  $("check-paste").addEventListener("click", () => judge(new TextEncoder().encode($("paste").value.trim())));
  if ("serviceWorker" in navigator) {
    // The lists this first load fetches must pass through the service worker to be kept for
    // offline use: wait until it controls the page (a few seconds at most).
    await navigator.serviceWorker.register("sw.js");
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((done) => {
        navigator.serviceWorker.addEventListener("controllerchange", done, { once: true });
        setTimeout(done, 3000);
      });
    }
  }
  await init();
  await loadLists();
  window.techoVerifier.ready = true;
  window.techoVerifier.readyMs = performance.now() - started;
  // Lists refresh while the page is open (the service worker falls back to its copy offline).
  setInterval(() => loadLists().catch(() => showListsAge()), 10 * 60 * 1000);
  if (new URLSearchParams(location.search).has("camera")) startCamera();
}

main().catch((e) => {
  $("lists").textContent = `${say("読み込めません", "Cannot load")}: ${e.message || e}`;
  $("lists").classList.add("stale");
});
