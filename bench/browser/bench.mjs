// One benchmark step for one engine, chosen by the page's query string:
//   bench.html?engine=terndb-idb&step=startup|ops
// The result is left in window.result for the runner (run.py).
const params = new URLSearchParams(location.search);
const engine = params.get("engine");
const step = params.get("step");
const INDEX = new URL("/wasm/dist/pyodide/", location.href).href;

async function openEngine(name) {
  if (name.startsWith("terndb-")) {
    const { TernDB } = await import("/wasm/src/index.mjs");
    const url = { "terndb-memory": "memory://", "terndb-idb": "idb://bench", "terndb-opfs": "opfs://bench",
      "terndb-idb-relaxed": "idb://bench?durability=relaxed" }[name];
    const db = await TernDB.open(url, { multiTab: false });
    return {
      info: db.timings,
      query: (sql, p) => db.query(sql, p, { rowMode: "array" }).then((r) => r.rows),
      script: (sql) => db.exec(sql),
      txn: (fn) => db.transaction((tx) => fn((sql, p) => tx.query(sql, p, { rowMode: "array" }))),
    };
  }
  if (name.startsWith("pglite-")) {
    const { PGlite } = await import("/bench/node_modules/@electric-sql/pglite/dist/index.js");
    const db = new PGlite(name === "pglite-idb" ? "idb://bench" : undefined);
    await db.waitReady;
    const pg = (sql) => { let i = 0; return sql.replace(/\?/g, () => "$" + ++i); };
    return {
      info: {},
      query: (sql, p) => db.query(pg(sql), p ?? [], { rowMode: "array" }).then((r) => r.rows),
      script: (sql) => db.exec(sql),
      txn: (fn) => db.transaction((tx) => fn((sql, p) => tx.query(pg(sql), p ?? [], { rowMode: "array" }))),
    };
  }
  if (name === "sqlite3-pyodide") {
    const w = new Worker(new URL("./sqlite-worker.mjs", import.meta.url), { type: "module" });
    let next = 1;
    const calls = new Map();
    w.onmessage = (e) => { const c = calls.get(e.data.id); calls.delete(e.data.id);
      e.data.ok ? c.resolve(e.data.value) : c.reject(new Error(e.data.error)); };
    const send = (m) => new Promise((resolve, reject) => { const id = next++; calls.set(id, { resolve, reject }); w.postMessage({ ...m, id }); });
    const info = await send({ t: "open", indexURL: INDEX });
    const query = (sql, p) => send({ sql, params: p ?? undefined });
    const script = (sql) => send({ sql, script: true });
    return { info, query, script,
      txn: async (fn) => { await query("BEGIN"); await fn(query); await query("COMMIT"); } };
  }
  throw new Error("unknown engine " + name);
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };

async function timeEach(n, fn) {
  const t = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); await fn(i); t.push(performance.now() - s); }
  return median(t);
}

async function ops(db) {
  const r = {};
  await db.script("DROP TABLE IF EXISTS bench; DROP TABLE IF EXISTS big; CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, value INTEGER)");
  const N = 100;
  r.insert = await timeEach(N, (i) => db.query("INSERT INTO bench(id, name, value) VALUES (?, ?, ?)", [i + 1, "name " + i, i]));
  r.select = await timeEach(N, (i) => db.query("SELECT name, value FROM bench WHERE id = ?", [i + 1]));
  r.update = await timeEach(N, (i) => db.query("UPDATE bench SET value = ? WHERE id = ?", [i * 2, i + 1]));
  r.delete = await timeEach(N, (i) => db.query("DELETE FROM bench WHERE id = ?", [i + 1]));
  const lines = ["BEGIN;", "CREATE TABLE big(id INTEGER PRIMARY KEY, a INTEGER, b TEXT);"];
  for (let i = 1; i <= 25000; i++) lines.push(`INSERT INTO big(id, a, b) VALUES (${i}, ${(i * 7919) % 100000}, 'row ${i}');`);
  lines.push("COMMIT;");
  let s = performance.now();
  await db.script(lines.join("\n"));
  r.insert25k = performance.now() - s;
  const n = (await db.query("SELECT count(*) FROM big"))[0][0];
  if (Number(n) !== 25000) throw new Error("25k insert lost rows: " + n);
  await db.script("CREATE TABLE big2(id INTEGER PRIMARY KEY, a INTEGER, b TEXT)");
  s = performance.now();
  await db.txn(async (q) => {
    for (let i = 1; i <= 25000; i++) await q("INSERT INTO big2(id, a, b) VALUES (?, ?, ?)", [i, (i * 7919) % 100000, "row " + i]);
  });
  r.insert25kParams = performance.now() - s;
  r.pkLookup = await timeEach(500, (i) => db.query("SELECT a, b FROM big WHERE id = ?", [((i * 7919) % 25000) + 1]));
  return r;
}

(async () => {
  try {
    const db = await openEngine(engine);
    const first = await db.query("SELECT 1");
    const firstResultMs = performance.now();      // since navigation start
    const result = { engine, firstResultMs, info: db.info, ok: first.length === 1 };
    if (step === "ops") Object.assign(result, await ops(db));
    window.result = result;
  } catch (e) {
    window.result = { engine, error: String(e && e.stack || e) };
  }
})();
