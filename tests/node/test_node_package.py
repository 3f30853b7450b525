"""Runs the JS package's Node tests (``node --test``) and checks their files with CPython."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

import terndb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def test_node_test_runner(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (20+) is required: ./build.sh test installs nothing for it")
    if not os.path.exists(os.path.join(ROOT, "wasm", "dist", "pyodide", "pyodide-lock.json")):
        pytest.fail("wasm/dist is not built: run ./build.sh wasm")
    env = {**os.environ, "TERNDB_TMP": str(tmp_path)}
    r = subprocess.run([node, "--test", "--test-reporter=spec", os.path.join(HERE, "terndb.test.mjs")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    # The database Pyodide wrote under Node is an ordinary TernDB file for CPython.
    [work] = [d for d in tmp_path.iterdir() if d.name.startswith("terndb-node-")]
    con = terndb.connect(str(work / "data" / "notes"))
    assert con.execute("SELECT body FROM note ORDER BY id").fetchall() == [("hello",), ("a",), ("b",)]
    assert con.execute("SELECT data FROM note WHERE id = 1").fetchone() == (b"\x00\x01\x02",)
    con.close()
