// Start-up cost of the terndb wheel in Pyodide under Node: byte-compiled vs source only.
//   node tools/measure_startup.mjs        (after ./build.sh wasm)
// Each variant runs in a fresh Pyodide, several times; prints medians in ms.
import { loadPyodide } from "pyodide";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist");
const wheels = {
  "byte-compiled (shipped)": path.join(dist, "pyodide", "terndb-0.1.0-py3-none-any.whl"),
  "source only": path.join(dist, "plain", "terndb-0.1.0-py3-none-any.whl"),
};
const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
const out = {};
for (const [name, whl] of Object.entries(wheels)) {
  const load = [], imp = [], first = [];
  for (let i = 0; i < 5; i++) {
    const py = await loadPyodide();
    let t = performance.now();
    await py.loadPackage(whl, { messageCallback: () => {} });
    load.push(performance.now() - t);
    t = performance.now();
    py.runPython("import terndb");
    imp.push(performance.now() - t);
    t = performance.now();
    py.runPython(`con = terndb.connect(":memory:")
con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
con.execute("INSERT INTO t(v) VALUES ('x')")
con.execute("SELECT * FROM t WHERE id = 1").fetchall()`);
    first.push(performance.now() - t);
  }
  out[name] = { install: median(load).toFixed(0), import: median(imp).toFixed(0), firstQueries: median(first).toFixed(0) };
}
console.log(JSON.stringify(out, null, 1));
