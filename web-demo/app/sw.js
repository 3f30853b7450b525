// The demo's service worker: the app shell, the TernDB package and the Pyodide runtime
// are cached at install, so the app starts with the network off.  web-demo/demo.py
// fills in VERSION (a hash of the files) and ASSETS when it builds the site.
const VERSION = "__VERSION__";
const ASSETS = [/*__ASSETS__*/];
const CACHE = "terndb-demo-" + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(ASSETS);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("terndb-demo-") && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  // Sync, SQL over HTTP, health and metrics always go to the server.
  if (url.pathname.startsWith("/v1/") || url.pathname === "/health" || url.pathname === "/metrics") return;
  if (url.pathname.endsWith("/demo-tokens.json")) {
    event.respondWith(fetch(req).then((res) => {
      const copy = res.clone();
      if (res.ok) caches.open(CACHE).then((c) => c.put(req, copy));
      return res;
    }).catch(async () => (await caches.match(req)) || Response.error()));
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(req, { ignoreSearch: true }) ||
      (req.mode === "navigate" ? await cache.match("./") : undefined);
    if (hit) return hit;
    const res = await fetch(req);
    if (res.ok) cache.put(req, res.clone());
    return res;
  })());
});
