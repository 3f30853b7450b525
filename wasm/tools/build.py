"""Build the browser/Node bundle: the terndb wheel byte-compiled for Pyodide, plus Pyodide itself.

Output, all under ``wasm/dist/`` (served as is from the app's own origin):

* ``pyodide/``: the runtime files copied from the npm package ``pyodide`` (in
  ``wasm/node_modules``), with ``pyodide-lock.json`` extended by a ``terndb``
  entry so ``pyodide.loadPackage("terndb")`` resolves to the local wheel;
* ``pyodide/terndb-<version>-py3-none-any.whl``: the wheel, with ``.pyc`` files
  compiled by Pyodide's own Python 3.14 (``compileall`` run inside Pyodide under
  Node), so the first import skips compiling ~600 KB of source;
* ``build-info.json``: sizes and hashes.

Run by ``./build.sh`` (function ``build_wasm``); skips work when up to date.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
import base64

WASM = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(WASM)
DIST = os.path.join(WASM, "dist")
PYODIDE_NPM = os.path.join(WASM, "node_modules", "pyodide")
# Ship .pyc only (see docs/BROWSER.md for the measurements behind this choice).
SOURCELESS = os.environ.get("TERNDB_WHEEL_SOURCES", "") != "1"
RUNTIME_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide.d.ts", "ffi.d.ts", "package.json"]


def _version() -> str:
    import re
    text = open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8").read()
    m = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    assert m, "no version in pyproject.toml"
    return m.group(1)


def build_plain_wheel(out: str) -> str:
    """The py3-none-any wheel of core/terndb, built by pip/setuptools from pyproject.toml."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "-w", out, ROOT], check=True)
    whl = [f for f in os.listdir(out) if f.startswith("terndb-") and f.endswith(".whl")]
    assert len(whl) == 1, whl
    return os.path.join(out, whl[0])


def compile_in_pyodide(stage: str, sourceless: bool) -> None:
    """Byte-compile every module with Pyodide's Python 3.14.

    ``sourceless``: ``module.pyc`` replaces ``module.py`` (smaller, faster to
    install; tracebacks show no source lines).  Otherwise ``__pycache__`` files
    are added beside the sources.
    """
    script = os.path.join(WASM, "tools", "compile.mjs")
    subprocess.run(["node", script, stage] + (["--sourceless"] if sourceless else []),
                   check=True, cwd=WASM)
    if sourceless:
        for base, _, names in os.walk(os.path.join(stage, "terndb")):
            for n in names:
                if n.endswith(".py") and os.path.exists(os.path.join(base, n + "c")):
                    os.remove(os.path.join(base, n))


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def repack(stage: str, dest: str) -> None:
    """Zip ``stage`` into a wheel with a fresh RECORD (deterministic order and dates)."""
    files: list[str] = []
    for base, dirs, names in os.walk(stage):
        dirs.sort()
        for n in sorted(names):
            files.append(os.path.relpath(os.path.join(base, n), stage).replace(os.sep, "/"))
    record = [f for f in files if f.endswith(".dist-info/RECORD")][0]
    files.remove(record)
    lines = []
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name in files:
            data = open(os.path.join(stage, name), "rb").read()
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
            lines.append(_record_line(name, data))
        lines.append(f"{record},,")
        info = zipfile.ZipInfo(record, date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, "\n".join(lines) + "\n")


def sha256(path: str) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def main() -> None:
    if not os.path.isdir(PYODIDE_NPM):
        sys.exit("wasm/node_modules/pyodide is missing: run npm install in wasm/ first")
    version = _version()
    wheel_name = f"terndb-{version}-py3-none-any.whl"
    out_py = os.path.join(DIST, "pyodide")
    tmp = tempfile.mkdtemp(prefix="terndb-wasm-")
    try:
        plain = build_plain_wheel(tmp)
        stage = os.path.join(tmp, "stage")
        with zipfile.ZipFile(plain) as z:
            z.extractall(stage)
        compile_in_pyodide(stage, SOURCELESS)
        os.makedirs(out_py, exist_ok=True)
        wheel = os.path.join(out_py, wheel_name)
        repack(stage, wheel)
        plain_size = os.path.getsize(plain)
        os.makedirs(os.path.join(DIST, "plain"), exist_ok=True)
        shutil.copyfile(plain, os.path.join(DIST, "plain", wheel_name))   # for measure_startup.mjs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    for f in RUNTIME_FILES:
        shutil.copyfile(os.path.join(PYODIDE_NPM, f), os.path.join(out_py, f))
    lock = json.load(open(os.path.join(PYODIDE_NPM, "pyodide-lock.json"), encoding="utf-8"))
    lock["packages"]["terndb"] = {
        "name": "terndb", "version": version, "file_name": wheel_name, "install_dir": "site",
        "sha256": sha256(wheel), "package_type": "package", "imports": ["terndb"],
        "depends": [], "unvendored_tests": False, "tool": {},
    }
    with open(os.path.join(out_py, "pyodide-lock.json"), "w", encoding="utf-8") as f:
        json.dump(lock, f, separators=(",", ":"))
    info = {"wheel": wheel_name, "wheel_bytes": os.path.getsize(wheel),
            "plain_wheel_bytes": plain_size, "pyodide": lock["info"]}
    with open(os.path.join(DIST, "build-info.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
    print(f"wasm/dist: {wheel_name} {info['wheel_bytes']} bytes "
          f"(source-only wheel {plain_size} bytes), Pyodide {lock['info']['python']}")


if __name__ == "__main__":
    main()
