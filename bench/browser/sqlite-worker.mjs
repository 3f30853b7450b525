// sqlite3 (C, compiled into Pyodide) inside Pyodide in a worker: the peer with the same runtime.
let py, run;
self.onmessage = async (e) => {
  const m = e.data;
  try {
    if (m.t === "open") {
      const { loadPyodide } = await import(m.indexURL + "pyodide.mjs");
      const t = performance.now();
      py = await loadPyodide({ indexURL: m.indexURL });
      const pyodideMs = performance.now() - t;
      run = py.runPython(`
import sqlite3
from pyodide.ffi import to_js
con = sqlite3.connect(":memory:", isolation_level=None)
def run(sql, params, script):
    if script:
        con.executescript(sql)
        return None
    cur = con.execute(sql, tuple(params.to_py()) if params is not None and hasattr(params, "to_py") else ())
    return to_js([list(r) for r in cur.fetchall()])
run`);
      self.postMessage({ id: m.id, ok: true, value: { pyodide: pyodideMs } });
    } else {
      self.postMessage({ id: m.id, ok: true, value: run(m.sql, m.params ?? null, !!m.script) });
    }
  } catch (err) {
    self.postMessage({ id: m.id, ok: false, error: String(err) });
  }
};
