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
