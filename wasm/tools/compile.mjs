// Byte-compile an unpacked wheel with Pyodide's own Python (3.14), at build time, under Node.
//
//   node tools/compile.mjs STAGE_DIR
//
// The .pyc files use the "unchecked hash" invalidation mode: they are never
// compared with the source's mtime (which unpacking a wheel does not keep), so
// Pyodide loads them as they are and skips compiling the source at start-up.
import { loadPyodide } from "pyodide";
import path from "node:path";

const stage = path.resolve(process.argv[2]);
const legacy = process.argv[3] === "--sourceless";
const py = await loadPyodide();
py.FS.mkdirTree("/stage");
py.FS.mount(py.FS.filesystems.NODEFS, { root: stage }, "/stage");
const ok = py.runPython(`
import compileall, py_compile, sys
ok = compileall.compile_dir("/stage/terndb", quiet=1, optimize=0, legacy=${legacy ? "True" : "False"},
                            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
f"{int(bool(ok))} {sys.implementation.cache_tag}"
`);
const [good, tag] = ok.split(" ");
if (good !== "1") {
  console.error("compileall failed inside Pyodide");
  process.exit(1);
}
console.log(`compiled for ${tag}`);
