// Worker side of db.sync: loads sync_bridge.py into Pyodide on first use and runs
// "sync:*" requests through it.  Called from worker.mjs's request queue (one request
// at a time), so a sync round never interleaves with a page transaction.

const isNode = typeof globalThis.process?.versions?.node === "string" &&
  typeof globalThis.WorkerGlobalScope === "undefined";

let driver = null;

async function load(py, session) {
  const srcURL = new URL("./sync_bridge.py", import.meta.url);
  let src;
  if (isNode) {
    const fs = await import("node:fs");
    src = fs.readFileSync(srcURL, "utf8");
  } else {
    src = await (await fetch(srcURL)).text();
  }
  py.FS.mkdirTree("/terndb_js");
  py.FS.writeFile("/terndb_js/terndb_sync_bridge.py", src);
  py.runPython("import sys; '/terndb_js' in sys.path or sys.path.insert(0, '/terndb_js')");
  return py.pyimport("terndb_sync_bridge").SyncDriver(session);
}

/** Run one sync request ({op: "sync:init"|"sync:round"|"sync:status", params}); {ok, value|error}. */
export async function call(py, session, req) {
  try {
    driver ??= await load(py, session);
    const text = await driver.call(req.op.slice(5), JSON.stringify(req.params ?? {}));
    const out = JSON.parse(text);
    // What worker.mjs expects with every result: transaction state, the durability
    // promise of what the round committed, and the tables it changed (live queries).
    out.inTxn = session.in_transaction();
    if (!out.inTxn) out.durable = session.durable();
    const changes = session.take_changes();
    if (changes) out.changes = changes;
    return out;
  } catch (e) {
    return { ok: false, error: { name: "OperationalError", message: String(e?.message || e) } };
  }
}
