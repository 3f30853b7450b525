// Runs pytest inside Pyodide under Node, on the repository's own core and tests.
//
//   node tests/pyodide/run.mjs PYODIDE_DIR WHEEL_DIR -- [pytest args...]
//
// The repository is mounted read-only-in-spirit at /repo (bytecode writing is off), the SQL
// conformance corpus at /shared/sqllogictest when TERNDB_SLT_DIR names it, and the pure-Python
// test dependencies are unpacked from the wheels in WHEEL_DIR. The exit status is pytest's.
import path from "node:path";
import fs from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";

const [pyodideDir, wheelDir, sep, ...pytestArgs] = process.argv.slice(2);
if (!pyodideDir || !wheelDir || sep !== "--") {
  console.error("usage: node run.mjs PYODIDE_DIR WHEEL_DIR -- [pytest args...]");
  process.exit(2);
}
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: pyodideDir + path.sep, stdout: (s) => console.log(s), stderr: (s) => console.error(s) });

py.FS.mkdirTree("/repo");
py.FS.mount(py.FS.filesystems.NODEFS, { root: repo }, "/repo");
const corpus = process.env.TERNDB_SLT_DIR;
if (corpus && fs.existsSync(corpus)) {
  py.FS.mkdirTree("/shared/sqllogictest");
  py.FS.mount(py.FS.filesystems.NODEFS, { root: path.resolve(corpus) }, "/shared/sqllogictest");
}
const wheels = fs.readdirSync(wheelDir).filter((n) => n.endsWith(".whl"));
py.FS.mkdirTree("/wheels");
for (const name of wheels) py.FS.writeFile("/wheels/" + name, fs.readFileSync(path.join(wheelDir, name)));
py.globals.set("pytest_args", py.toPy(pytestArgs));
let code;
try {
  code = py.runPython(`
import os, sys, sysconfig, zipfile
sys.dont_write_bytecode = True
site = sysconfig.get_paths()["purelib"]
for name in sorted(os.listdir("/wheels")):
    zipfile.ZipFile("/wheels/" + name).extractall(site)
os.environ["TERNDB_SLT_DIR"] = "/shared/sqllogictest"
os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
os.chdir("/repo")
sys.path.insert(0, "/repo/core")
sys.path.insert(0, "/repo")
import pytest
print("Python", sys.version.split()[0], "on", sys.platform)
int(pytest.main(["-p", "no:cacheprovider", *pytest_args]))
`);
} catch (e) {
  console.error(String(e.message || e));
  code = 3;
}
process.exit(code);
