// TernDB for JavaScript: the pure-Python TernDB engine in Pyodide, in a worker.
//
//   import { TernDB } from "terndb";
//   const db = await TernDB.open("idb://notes");      // or "opfs://notes", "memory://", "./data/notes" (Node)
//   await db.exec("CREATE TABLE IF NOT EXISTS note(id INTEGER PRIMARY KEY, body TEXT)");
//   await db.query("INSERT INTO note(body) VALUES (?)", ["hello"]);
//   const { rows, fields } = await db.query("SELECT * FROM note");
//
// Every write is durable when its promise resolves.  In a browser the engine
// runs in a dedicated module Web Worker; in Node in a worker_thread with the
// database in a file (fsync'ed).

import { Sync } from "./sync.mjs";

const isNode = typeof globalThis.process?.versions?.node === "string" &&
  typeof globalThis.window === "undefined" && typeof globalThis.WorkerGlobalScope === "undefined";

/** Errors raised by the engine keep TernDB's (PEP 249) class name in `name`. */
export class TernDBError extends Error {
  constructor(info) {
    super(info?.message ?? String(info));
    this.name = info?.name ?? "Error";
    this.code = this.name;
  }
}

function defaultIndexURL() {
  return new URL("../dist/pyodide/", import.meta.url).href;
}

let txnSeq = 0;

export class TernDB {
  /** Open a database; resolves when it is ready for queries. */
  static async open(url = "memory://", options = {}) {
    const db = new TernDB(url, options);
    await db.ready;
    return db;
  }

  /** Ask the browser not to evict this origin's storage (IndexedDB, OPFS). */
  static async persist() {
    if (typeof navigator === "undefined" || !navigator.storage?.persist) return false;
    if (await navigator.storage.persisted()) return true;
    return navigator.storage.persist();
  }

  constructor(url = "memory://", options = {}) {
    this.url = url;
    this.options = options;
    this.closed = false;
    this.leader = false;
    this.timings = {};
    this._next = 1;
    this._calls = new Map();
    this._lives = new Map();
    this._chain = Promise.resolve();
    this.live = {
      query: (sql, params, callback) => this._liveQuery(sql, params, callback),
    };
    this.sync = new Sync(this);      // offline-first sync with `terndb serve` (sync.mjs)
    this.ready = this._start();
  }

  async _start() {
    const opts = { indexURL: this.options.indexURL ?? defaultIndexURL(),
      multiTab: this.options.multiTab };
    let url = this.url;
    if (isNode) {
      const path = await import("node:path");
      const fs = await import("node:fs");
      if (!/^[a-z]+:\/\//i.test(url) && url !== ":memory:") {
        const abs = path.resolve(url.startsWith("file:") ? url.slice(5) : url);
        fs.mkdirSync(path.dirname(abs), { recursive: true });
        opts.node = { dir: path.dirname(abs), file: path.basename(abs) };
        url = "node://" + abs;
      }
      const { Worker } = await import("node:worker_threads");
      this._worker = new Worker(new URL("./worker.mjs", import.meta.url));
      this._worker.on("message", (m) => this._onMessage(m));
      this._worker.on("error", (e) => this._failAll(e));
    } else {
      this._worker = new Worker(new URL("./worker.mjs", import.meta.url), { type: "module" });
      this._worker.onmessage = (e) => this._onMessage(e.data);
      this._worker.onerror = (e) => this._failAll(new Error(e.message || "worker failed"));
    }
    const ready = new Promise((resolve, reject) => { this._onReady = { resolve, reject }; });
    this._worker.postMessage({ t: "open", url, opts });
    const m = await ready;
    if (m.error) {
      this._worker.terminate();
      this.closed = true;
      throw new TernDBError(m.error);
    }
    this.leader = m.leader;
    this.timings = m.timings;
    return this;
  }

  _onMessage(m) {
    if (m.t === "ready") {
      this._onReady.resolve(m);
    } else if (m.t === "res") {
      const c = this._calls.get(m.id);
      if (!c) return;
      this._calls.delete(m.id);
      if (m.out && m.out.ok === false) c.reject(new TernDBError(m.out.error));
      else c.resolve(m.out ? m.out.value : undefined);
    } else if (m.t === "live") {
      const l = this._lives.get(m.id);
      if (l && m.out?.ok) l(m.out.value);
    } else if (m.t === "role") {
      this.leader = m.leader;
      if (m.leader && this.sync.running) this.sync.now().catch(() => {});   // re-attach sync here
    }
  }

  _failAll(err) {
    for (const c of this._calls.values()) c.reject(err);
    this._calls.clear();
    this._onReady?.reject(err);
  }

  _send(msg) {
    if (this.closed) return Promise.reject(new TernDBError({ name: "ProgrammingError",
      message: "Cannot operate on a closed database." }));
    const id = this._next++;
    return new Promise((resolve, reject) => {
      this._calls.set(id, { resolve, reject });
      this._worker.postMessage({ ...msg, id });
    });
  }

  // One request at a time from this page; a transaction holds the turn throughout.
  _exclusive(fn) {
    const run = this._chain.then(fn, fn);
    this._chain = run.then(() => {}, () => {});
    return run;
  }

  /** Run one statement; `params` is an array (?) or an object (:name). */
  query(sql, params, options = {}) {
    return this._exclusive(() =>
      this._send({ t: "req", req: { op: "query", sql, params: params ?? null, rowMode: options.rowMode } }));
  }

  /** Run a script of several statements; resolves when it has committed. */
  exec(script) {
    return this._exclusive(() => this._send({ t: "req", req: { op: "exec", sql: script } }));
  }

  /** Run `fn(tx)` in one transaction: commit when it resolves, roll back when it throws. */
  transaction(fn) {
    return this._exclusive(async () => {
      const txn = `${Date.now().toString(36)}-${++txnSeq}`;
      await this._send({ t: "req", req: { op: "begin", txn } });
      let open = true;
      const tx = {
        query: (sql, params, options = {}) => {
          if (!open) return Promise.reject(new TernDBError({ name: "ProgrammingError", message: "the transaction is over" }));
          return this._send({ t: "req", req: { op: "query", sql, params: params ?? null, rowMode: options.rowMode, txn } });
        },
        exec: (script) => this._send({ t: "req", req: { op: "exec", sql: script, txn } }),
        rollback: async () => {
          if (!open) return;
          open = false;
          await this._send({ t: "req", req: { op: "rollback", txn } });
        },
      };
      let result;
      try {
        result = await fn(tx);
      } catch (e) {
        if (open) {
          open = false;
          await this._send({ t: "req", req: { op: "rollback", txn } }).catch(() => {});
        }
        throw e;
      }
      if (open) {
        open = false;
        await this._send({ t: "req", req: { op: "commit", txn } });
      }
      return result;
    });
  }

  async _liveQuery(sql, params, callback, options = {}) {
    const id = this._next++;
    this._lives.set(id, callback);
    const initialResults = await new Promise((resolve, reject) => {
      this._calls.set(id, { resolve, reject });
      this._worker.postMessage({ t: "live", id, sql, params: params ?? null, rowMode: options.rowMode });
    }).catch((e) => { this._lives.delete(id); throw e; });
    callback(initialResults);
    return {
      initialResults,
      unsubscribe: async () => {
        this._lives.delete(id);
        if (!this.closed) await this._send({ t: "unlive", lid: id }).catch(() => {});
      },
    };
  }

  /** Ask the browser to keep this origin's storage (see TernDB.persist). */
  persist() {
    return TernDB.persist();
  }

  /** Close the database and stop the worker. */
  async close() {
    if (this.closed) return;
    if (this.sync.running) await this.sync.stop();
    await this._exclusive(() => this._send({ t: "close" }));
    this.closed = true;
    this._lives.clear();
    await this._worker.terminate();
  }

  /** Stop the worker at once, as a crash would (tests). */
  terminate() {
    this.closed = true;
    this._worker.terminate();
    this._failAll(new TernDBError({ name: "OperationalError", message: "the worker was terminated" }));
  }
}

export default TernDB;
