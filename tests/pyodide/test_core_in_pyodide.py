"""The core's own tests, run inside Pyodide under Node: the same code, unchanged, on Python 3.14/WASM.

`./build.sh test` installs the Pyodide runtime (the npm package the JS package in wasm/ pins)
and the pure-Python wheels pytest needs (requirements.txt here) before this runs.  The SQL, storage,
DB-API, engine, feature (sqlite3 inside Pyodide is the oracle), conformance-sample and crash
suites run; tests that need threads or a second process are marked ``host_only`` and skipped
there, since Pyodide has neither.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PYODIDE = ROOT / "wasm" / "node_modules" / "pyodide"
WHEELS = ROOT / "build" / "pyodide-test-wheels"
SUITES = ["tests/sql", "tests/btree", "tests/store", "tests/dbapi", "tests/engine",
          "tests/features", "tests/conformance", "tests/crash"]


@pytest.mark.slow
def test_core_suites_pass_inside_pyodide() -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed to run Pyodide; install Node 20 or later"
    assert (PYODIDE / "pyodide.mjs").exists() and WHEELS.is_dir(), (
        "the Pyodide test runtime is missing; `./build.sh test` installs it")
    proc = subprocess.run(
        [node, str(HERE / "run.mjs"), str(PYODIDE), str(WHEELS), "--", "-q", *SUITES],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
        env={**os.environ, "TERNDB_SLT_DIR": os.environ.get(
            "TERNDB_SLT_DIR", str(ROOT.parent / "shared" / "sqllogictest"))})
    out = proc.stdout + proc.stderr
    tail = "\n".join(line[:300] for line in out.splitlines()[-60:])
    assert proc.returncode == 0, f"the core's tests failed inside Pyodide:\n{tail}"
    assert re.search(r"^Python 3\.1[4-9]\.\d+ on emscripten$", out, re.M), tail
    passed = re.search(r"(\d+) passed", out)
    assert passed and int(passed.group(1)) >= 1000, tail
    assert " failed" not in out.splitlines()[-1], tail
