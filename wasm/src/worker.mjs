// The TernDB worker: Pyodide + the terndb wheel, one database, requests from one page.
//
// Runs as a dedicated module Web Worker in browsers and as a worker_thread in
// Node.  For idb:// and opfs:// in a browser, the workers of every tab that
// opens the same database elect a leader with a Web Lock: the leader owns the
// database, the others forward their requests to it over a BroadcastChannel
// and take over (reloading the durable state) when the leader's tab goes away.
//
// Messages from the page:  {t:"open", url, opts} | {t:"req", id, req} |
//                          {t:"live", id, sql, params} | {t:"unlive", id} | {t:"close", id}
// Messages to the page:    {t:"ready", ...} | {t:"res", id, out} | {t:"live", id, out} |
//                          {t:"role", leader}
// A request: {op: "query"|"exec"|"begin"|"commit"|"rollback"|"tables", sql, params, txn, rowMode}
//            or {op: "sync:init"|"sync:round"|"sync:status", params} (db.sync, sync-worker.mjs)

const isNode = typeof globalThis.process?.versions?.node === "string" &&
  typeof globalThis.WorkerGlobalScope === "undefined";

let toPage;
const inbox = [];
let handlePage = (m) => inbox.push(m);
if (isNode) {
  const { parentPort } = await import("node:worker_threads");
  toPage = (m) => parentPort.postMessage(m);
  parentPort.on("message", (m) => handlePage(m));
} else {
  toPage = (m) => self.postMessage(m);
  self.onmessage = (e) => handlePage(e.data);
}

const myId = Math.random().toString(36).slice(2) + Date.now().toString(36);
let py = null;          // the Pyodide instance
let session = null;     // terndb_bridge.Session (a PyProxy)
let leader = false;
let url = "";
let bc = null;          // BroadcastChannel to the other tabs' workers
const timings = {};

// ------------------------------------------------------------------ start-up

async function boot(opts) {
  const t0 = performance.now();
  let indexURL = opts.indexURL;
  let mod;
  if (isNode) {
    const { pathToFileURL, fileURLToPath } = await import("node:url");
    if (indexURL.startsWith("file:")) indexURL = fileURLToPath(indexURL);
    if (!indexURL.endsWith("/")) indexURL += "/";
    mod = await import(pathToFileURL(indexURL + "pyodide.mjs").href);
  } else {
    mod = await import(indexURL + "pyodide.mjs");
  }
  py = await mod.loadPyodide({ indexURL, stdout: () => {}, stderr: (s) => console.warn(s) });
  timings.pyodide = performance.now() - t0;
  const t1 = performance.now();
  await py.loadPackage("terndb", { messageCallback: () => {}, errorCallback: (s) => console.warn(s) });
  let src;
  const bridgeURL = new URL("./bridge.py", import.meta.url);
  if (isNode) {
    const fs = await import("node:fs");
    src = fs.readFileSync(bridgeURL, "utf8");
  } else {
    src = await (await fetch(bridgeURL)).text();
  }
  py.FS.mkdirTree("/terndb_js");
  py.FS.writeFile("/terndb_js/terndb_bridge.py", src);
  py.runPython("import sys; sys.path.insert(0, '/terndb_js')");
  const bridge = py.pyimport("terndb_bridge");
  session = bridge.Session();
  timings.terndb = performance.now() - t1;
}

async function openLocal(opts) {
  let target = url;
  if (opts.node) {
    py.FS.mkdirTree("/mnt/terndb");
    py.FS.mount(py.FS.filesystems.NODEFS, { root: opts.node.dir }, "/mnt/terndb");
    target = "node:///mnt/terndb/" + opts.node.file;
  }
  const t = performance.now();
  await session.open(target);
  timings.open = performance.now() - t;
}

// ------------------------------------------------------------- the executor

// Requests run one at a time.  A transaction belongs to one session (a tab):
// while it is open only that session's requests run; the others wait.
const queue = [];
let running = false;
let owner = null;            // {session, txn}

function submit(sess, req) {
  return new Promise((resolve) => {
    queue.push({ sess, req, resolve });
    pump();
  });
}

async function pump() {
  if (running) return;
  running = true;
  try {
    for (;;) {
      const i = queue.findIndex((j) => !owner || j.sess === owner.session);
      if (i < 0) break;
      const [job] = queue.splice(i, 1);
      let out;
      try {
        out = await execute(job.sess, job.req);
      } catch (e) {
        out = { ok: false, error: { name: "InternalError", message: String(e?.message || e) } };
      }
      job.resolve(out);
    }
  } finally {
    running = false;
  }
}

function toRows(value, rowMode) {
  if (!value || !value.fields) return value;
  if (rowMode !== "array") {
    const f = value.fields;
    value.rows = value.rows.map((a) => {
      const o = {};
      for (let i = 0; i < f.length; i++) o[f[i]] = a[i];
      return o;
    });
  }
  value.fields = value.fields.map((name) => ({ name }));
  return value;
}

async function execute(sess, req) {
  const op = req.op;
  if (op !== "begin" && req.txn && (!owner || owner.txn !== req.txn)) {
    return { ok: false, error: { name: "OperationalError",
      message: "the transaction was lost (the tab that owned the database closed); nothing of it was committed" } };
  }
  const r = op.startsWith("sync:") ? await syncCall(req)
    : session.call(op, req.sql ?? "", req.params ?? null);
  let out = r.ok ? { ok: true, value: toRows(r.value, req.rowMode) } : { ok: false, error: r.error };
  if (op === "begin" && r.ok) {
    owner = { session: sess, txn: req.txn };
    if (bc && !sess.startsWith(myId)) watchClient(sess.split(":")[0], owner);
  }
  if (op === "commit" || op === "rollback") owner = null;
  let changes = r.changes ? Array.from(r.changes) : null;
  if (!r.inTxn) {
    if (r.durable) {
      try {
        await r.durable;
      } catch (e) {
        const message = session.flush_failed(e);
        out = { ok: false, error: { name: "OperationalError", message } };
        changes = ["*"];
      }
    }
  } else if (op === "commit" && r.ok) {
    owner = null;
  }
  if (changes) changed(changes, true);
  return out;
}

// db.sync (sync-worker.mjs), loaded on first use.  syncParams remembers what this
// page's db.sync asked for, so a worker that takes over as leader captures writes at once.
let syncModule = null;
let syncParams = null;
async function syncCall(req) {
  syncModule ??= await import("./sync-worker.mjs");
  return syncModule.call(py, session, req);
}

// -------------------------------------------------------------- live queries

const lives = new Map();    // id -> {sql, params, tables, rowMode}

async function run(req, sess = myId) {
  if (req.op?.startsWith("sync:") && req.params?.subscriptions) syncParams = req.params;
  if (leader) return submit(sess, req);
  return proxy(req, sess);
}

async function liveRun(id) {
  const l = lives.get(id);
  if (!l) return;
  const out = await run({ op: "query", sql: l.sql, params: l.params, rowMode: l.rowMode }, myId + ":live");
  if (lives.has(id)) toPage({ t: "live", id, out });
}

function changed(tables, local) {
  if (local && bc) bc.postMessage({ t: "changed", tables });
  for (const [id, l] of lives) {
    if (tables.includes("*") || !l.tables || l.tables.some((t) => tables.includes(t))) liveRun(id);
  }
}

// ------------------------------------------------------- leader and followers

const pending = new Map();   // request id -> {req, sess, resolve}; forwarded, not answered
const answered = new Map();  // leader: recent answers by request id (a resent request is not redone)
let seq = 0;

function proxy(req, sess) {
  const id = `${myId}:${++seq}`;
  return new Promise((resolve) => {
    pending.set(id, { req, sess, resolve });
    bc.postMessage({ t: "req", from: myId, sess, id, req });
  });
}

async function onChannel(m) {
  if (m.t === "res") {
    if (m.to !== myId) return;
    const p = pending.get(m.id);
    if (p) { pending.delete(m.id); p.resolve(m.out); }
  } else if (m.t === "req") {
    if (!leader) return;
    if (answered.has(m.id)) {
      const out = answered.get(m.id);
      if (out) bc.postMessage({ t: "res", to: m.from, id: m.id, out });
      return;
    }
    answered.set(m.id, null);
    const out = await submit(m.sess, m.req);
    answered.set(m.id, out);
    if (answered.size > 2000) answered.delete(answered.keys().next().value);
    bc.postMessage({ t: "res", to: m.from, id: m.id, out });
  } else if (m.t === "hello") {
    if (leader) bc.postMessage({ t: "leader", from: myId });
  } else if (m.t === "leader") {
    if (leader) return;
    for (const [id, p] of pending) bc.postMessage({ t: "req", from: myId, sess: p.sess, id, req: p.req });
  } else if (m.t === "changed") {
    changed(m.tables, false);
  }
}

async function becomeLeader(opts) {
  await openLocal(opts);
  if (syncParams) await syncCall({ op: "sync:init", params: syncParams });
  leader = true;
  toPage({ t: "role", leader: true });
  if (bc) bc.postMessage({ t: "leader", from: myId });
  // Requests this worker forwarded to the old leader run here now.
  for (const [id, p] of pending) {
    pending.delete(id);
    submit(p.sess, p.req).then(p.resolve);
  }
  changed(["*"], false);
}

let releaseLock = null;

// Every worker of a shared database holds a lock named after itself for its
// whole life.  The leader waits for that lock when another tab opens a
// transaction: it is granted only when that tab is gone, and a transaction it
// left open is then rolled back, so the other tabs are not blocked forever.
function holdClientLock() {
  navigator.locks.request("terndb-client:" + myId, () => new Promise(() => {})).catch(() => {});
}

function watchClient(client, txnOwner) {
  navigator.locks.request("terndb-client:" + client, async () => {
    if (owner !== txnOwner) return;
    try { session.call("rollback", "", null); } catch (_) {}
    owner = null;
    pump();
  }).catch(() => {});
}

async function open(m) {
  url = m.url;
  const opts = m.opts || {};
  const shared = !isNode && /^(idb|opfs):\/\//i.test(url) && globalThis.navigator?.locks &&
    opts.multiTab !== false;
  if (!shared) {
    await boot(opts);
    await openLocal(opts);
    leader = true;
    return;
  }
  const name = "terndb:" + url.split("?")[0];
  bc = new BroadcastChannel(name);
  bc.onmessage = (e) => onChannel(e.data);
  holdClientLock();
  const booted = boot(opts);
  const won = await new Promise((resolve, reject) => {
    navigator.locks.request(name, { ifAvailable: true }, async (lock) => {
      if (!lock) { resolve(false); return; }
      try {
        await booted;
        await becomeLeader(opts);
      } catch (e) {
        reject(e);
        return;
      }
      resolve(true);
      return new Promise((r) => { releaseLock = r; });   // held until close()
    }).catch(reject);
  });
  if (!won) {
    // Another tab leads: forward to it, and wait in line to take over.
    bc.postMessage({ t: "hello", from: myId });
    navigator.locks.request(name, async () => {
      await booted;
      await becomeLeader(opts);
      return new Promise((r) => { releaseLock = r; });
    }).catch((e) => console.error("terndb: taking over failed", e));
    await booted;
  }
}

// ---------------------------------------------------------------- the page

handlePage = async (m) => {
  if (m.t === "open") {
    try {
      await open(m);
      toPage({ t: "ready", leader, timings, id: myId });
    } catch (e) {
      toPage({ t: "ready", error: { name: "OperationalError", message: String(e?.message || e) } });
    }
  } else if (m.t === "req") {
    const out = await run(m.req);
    toPage({ t: "res", id: m.id, out });
  } else if (m.t === "live") {
    const tables = await run({ op: "tables", sql: m.sql });
    lives.set(m.id, { sql: m.sql, params: m.params, rowMode: m.rowMode,
      tables: tables.ok ? tables.value : null });
    const out = await run({ op: "query", sql: m.sql, params: m.params, rowMode: m.rowMode }, myId + ":live");
    toPage({ t: "res", id: m.id, out });
  } else if (m.t === "unlive") {
    lives.delete(m.lid);
    toPage({ t: "res", id: m.id, out: { ok: true } });
  } else if (m.t === "close") {
    lives.clear();
    if (session && leader) {
      if (owner) { try { session.call("rollback", "", null); } catch (_) {} owner = null; }
      session.close();
    }
    leader = false;
    if (bc) bc.close();
    if (releaseLock) releaseLock();
    toPage({ t: "res", id: m.id, out: { ok: true } });
  }
};

for (const m of inbox.splice(0)) handlePage(m);
