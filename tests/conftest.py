"""Shared fixtures: every storage-facing test runs on each backend."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "core") not in sys.path:
    sys.path.insert(0, str(ROOT / "core"))

import terndb  # noqa: E402


def _no_local_constants() -> None:
    """Hypothesis mixes literals found in the project's loaded modules into what it draws, so
    a derandomized run would change whenever unrelated code (or the set of modules a test
    run imports) changes.  Turn that off: the same tests draw the same examples everywhere."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.floats import float_to_int
        from sortedcontainers import SortedSet
    except ImportError:     # not installed (Pyodide runs) or internals moved: nothing to do
        return
    empty = providers.Constants(integers=SortedSet(), floats=SortedSet(key=float_to_int),
                                bytes=SortedSet(), strings=SortedSet())
    providers._get_local_constants = lambda: empty


_no_local_constants()

IN_PYODIDE = sys.platform == "emscripten"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Pyodide has no threads and no subprocesses: skip the tests that need them there."""
    if not IN_PYODIDE:
        return
    skip = pytest.mark.skip(reason="needs threads or a second process, which Pyodide lacks")
    for item in items:
        if item.get_closest_marker("host_only"):
            item.add_marker(skip)


@pytest.fixture(params=["memory", "file"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database location on each backend (memory:// names are unique per test)."""
    if request.param == "memory":
        return f"memory://test-{os.getpid()}-{id(request)}-{request.node.name}"
    return str(tmp_path / "test.terndb")


@pytest.fixture
def con(db_url: str):
    c = terndb.connect(db_url)
    yield c
    c.close()
