"""Sampled sqllogictest conformance: every corpus file, about SAMPLE queries each, on TernDB."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

try:
    from .slt import REPO_ROOT, FileResult, find_test_files, run_file
except ImportError:  # collected outside a package (e.g. --import-mode=importlib)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from slt import REPO_ROOT, FileResult, find_test_files, run_file  # type: ignore[no-redef]

SLT_DIR = Path(os.environ.get("TERNDB_SLT_DIR") or Path(__file__).resolve().parents[3] / "shared" / "sqllogictest")
SAMPLE = int(os.environ.get("TERNDB_SLT_SAMPLE", "40"))
TEST_FILES = find_test_files([str(SLT_DIR)]) if SLT_DIR.is_dir() else []


def _terndb_connect():
    """Open a fresh in-memory TernDB connection."""
    core = str(REPO_ROOT / "core")
    if core not in sys.path:
        sys.path.insert(0, core)
    import terndb

    return terndb.connect(":memory:")


def _report(result: FileResult) -> str:
    """Readable list of a file's failures."""
    lines = [f"{result.path}: {result.passed} passed, {result.failed} failed, {result.skipped} skipped"]
    for failure in result.failures:
        lines.append(f"--- line {failure.line}\n{failure.sql}\nexpected:\n{failure.expected}\ngot:\n{failure.got}")
    return "\n".join(lines)


def test_corpus_is_present() -> None:
    """The conformance sample must really run: a missing corpus is a failure, not a skip."""
    assert TEST_FILES, (f"no sqllogictest files under {SLT_DIR}; the corpus is expected at "
                        "../shared/sqllogictest next to the repository, or set TERNDB_SLT_DIR")


# Records whose expected output SQLite itself does not produce (Python's sqlite3
# fails them too): the file expects an empty result where SQLite reports an
# integer overflow in sum().  TernDB follows SQLite here.
CORPUS_DISAGREES_WITH_SQLITE = {("evidence/slt_lang_aggfunc.test", 480)}


def test_corpus_exceptions_still_disagree() -> None:
    """The listed records really are ones where SQLite raises: keep the list honest."""
    import sqlite3
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t1(x INTEGER)")
    con.execute("INSERT INTO t1 VALUES(9223372036854775807)")
    con.execute("INSERT INTO t1 VALUES(1)")
    with pytest.raises(sqlite3.OperationalError):
        con.execute("SELECT sum(x) FROM t1").fetchall()


@pytest.mark.slt
@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(SLT_DIR)))
def test_slt_sample(path: Path) -> None:
    """A deterministic sample of the file's queries (and all its statements) passes on TernDB."""
    result = run_file(path, _terndb_connect, sample=SAMPLE)
    rel = str(path.relative_to(SLT_DIR))
    failures = [f for f in result.failures if (rel, f.line) not in CORPUS_DISAGREES_WITH_SQLITE]
    if failures:
        print(_report(result))
    assert not failures, _report(result)
