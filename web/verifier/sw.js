// The staff verifier's service worker: the page and the WebAssembly from the cache (they change
// only with a release), the lists and the directory from the network when there is one, else
// the last copy kept. The page shows the lists' age, and the core refuses past its hard limit.
const CACHE = "techo-verifier-v1";
const PAGE = ["./", "index.html", "verifier.js", "verifier.css", "root-key.js", "manifest.webmanifest",
  "pkg/techo_web_verifier.js", "pkg/techo_web_verifier_bg.wasm"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(PAGE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET") return;
  // The issuer's API: beside the page, or on another origin when the page is on a static host
  // of its own (its public reads allow that).
  if (url.pathname.includes("/v1/")) {
    // Lists and directory: the network first, the kept copy offline.
    event.respondWith(fetch(event.request).then((resp) => {
      if (resp.ok) {
        const copy = resp.clone();
        caches.open(CACHE).then((c) => c.put(event.request, copy));
      }
      return resp;
    }).catch(() => caches.match(event.request).then((hit) => hit || Response.error())));
    return;
  }
  if (url.origin !== location.origin) return;
  // The page and its files: the cached copy (a query such as ?camera does not matter).
  event.respondWith(caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || fetch(event.request)));
});
