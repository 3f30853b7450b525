// db.sync: offline-first two-way sync of a TernDB database with a `terndb serve` server.
//
//   await db.sync.start({ url: location.origin, token, subscriptions: [{ table: "item" }],
//     onStatus: (s) => ..., onConflict: (c) => ..., onReject: (r) => ... });
//   await db.sync.now();     // one round at once (push everything, pull to the end)
//   await db.sync.stop();
//
// The rounds run in the worker through the Python sync client (its async fetch
// transport); this side only schedules them: every `interval` ms, at once after
// db.sync.now(), when the browser comes back online, and whenever the outbox grows
// (a live query on it).  Local writes are captured from start() on, offline too.

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.kick = () => { clearTimeout(t); resolve(); };
  });
}

export class Sync {
  constructor(db) {
    this.db = db;
    this.running = false;
    this.options = null;
    this.status = { started: false, online: null, syncing: false, pending: 0, lastSync: null,
      lastError: null, client: null, conflicts: 0, rejected: 0 };
    this._wake = {};
    this._inflight = null;
    this._live = null;
    this._onOnline = () => this._wake.kick?.();
  }

  _request(op, params) {
    return this.db._exclusive(() => this.db._send({ t: "req", req: { op, params } }));
  }

  _set(patch) {
    Object.assign(this.status, patch);
    try { this.options?.onStatus?.({ ...this.status }); } catch (e) { console.error(e); }
  }

  /** Make the database sync-enabled and start the background rounds. */
  async start(options) {
    if (!options?.url) throw new TypeError("db.sync.start needs {url}");
    this.options = { interval: 2000, subscriptions: [], ...options };
    const st = await this._request("sync:init", { subscriptions: this.options.subscriptions });
    this._set({ started: true, pending: st.pending, client: st.client });
    this._live = await this.db.live.query(
      "SELECT count(*) AS n FROM _terndb_sync_outbox WHERE status IN ('pending', 'cancel')", [],
      (res) => {
        const n = res?.rows?.[0]?.n ?? 0;
        if (n !== this.status.pending) this._set({ pending: n });
        if (n > 0) this._wake.kick?.();
      });
    if (typeof addEventListener === "function") addEventListener("online", this._onOnline);
    this.running = true;
    this._loop();
    return { ...this.status };
  }

  async _loop() {
    while (this.running) {
      await this.now().catch(() => {});
      if (!this.running) break;
      await sleep(this.options.interval, this._wake);
    }
  }

  /** Run one round now (or join the one in flight); resolves with its result. */
  now() {
    if (!this.options) return Promise.reject(new Error("db.sync.start() first"));
    if (!this._inflight) {
      this._inflight = this._round().finally(() => { this._inflight = null; });
    }
    return this._inflight;
  }

  async _round() {
    const o = this.options;
    if (typeof navigator !== "undefined" && navigator.onLine === false) {
      this._set({ online: false, lastError: "the browser is offline" });
      throw new Error("offline");
    }
    const token = typeof o.token === "function" ? await o.token() : o.token;
    this._set({ syncing: true });
    try {
      const r = await this._request("sync:round", { url: o.url, token, wait: 0, subscriptions: o.subscriptions });
      this._set({ syncing: false, online: true, lastSync: Date.now(), lastError: null, pending: r.pending,
        client: r.client, conflicts: this.status.conflicts + r.conflicts.length,
        rejected: this.status.rejected + r.rejected.length });
      for (const c of r.conflicts) { try { o.onConflict?.(c); } catch (e) { console.error(e); } }
      for (const x of r.rejected) { try { o.onReject?.(x); } catch (e) { console.error(e); } }
      return r;
    } catch (e) {
      const offline = e.code === "network" || /unreachable/.test(e.message);
      this._set({ syncing: false, online: offline ? false : this.status.online, lastError: e.message });
      throw e;
    }
  }

  /** Stop the background rounds (captured writes keep queueing; start() resumes). */
  async stop() {
    this.running = false;
    this._wake.kick?.();
    if (typeof removeEventListener === "function") removeEventListener("online", this._onOnline);
    if (this._live) { await this._live.unsubscribe(); this._live = null; }
    await this._inflight?.catch(() => {});
    this._set({ started: false });
  }
}
