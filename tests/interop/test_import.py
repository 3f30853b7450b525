"""terndb and terndb.interop must import without pyarrow, and say how to get it when needed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

CORE = str(Path(__file__).resolve().parents[2] / "core")


def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = CORE + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=120)


def test_import_terndb_does_not_import_pyarrow() -> None:
    r = _run("""
        import sys
        import terndb
        import terndb.interop
        from terndb.interop import fetch_arrow, fetch_record_batches, load_arrow, load_parquet
        con = terndb.connect(":memory:")
        assert con.execute("SELECT 1").fetchone() == (1,)
        loaded = sorted(m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow."))
        assert not loaded, loaded
        print("ok")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_missing_pyarrow_gives_clear_error() -> None:
    r = _run("""
        import sys
        sys.modules["pyarrow"] = None          # makes "import pyarrow" fail
        sys.modules["pyarrow.parquet"] = None
        import terndb
        from terndb.interop import (ArrowNotInstalledError, fetch_arrow, fetch_record_batches,
                                    load_arrow, load_parquet)
        con = terndb.connect(":memory:")
        calls = [lambda: fetch_arrow(con, "SELECT 1"),
                 lambda: fetch_record_batches(con, "SELECT 1"),
                 lambda: load_arrow(con, "t", None),
                 lambda: load_parquet(con, "t", "x.parquet")]
        for call in calls:
            try:
                call()
            except ImportError as e:
                assert isinstance(e, terndb.NotSupportedError), type(e)
                assert isinstance(e, ArrowNotInstalledError)
                assert "pip install pyarrow" in str(e), str(e)
            else:
                raise AssertionError("no error without pyarrow")
        # Nothing was created by the failed load.
        assert con.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
        print("ok")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
