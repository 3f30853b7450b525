from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "core") not in sys.path:
    sys.path.insert(0, str(ROOT / "core"))

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from .harness import ThreadServer, config, load_deferred  # noqa: E402


@pytest.fixture(autouse=True)
def _deferred_imports(request: pytest.FixtureRequest) -> None:
    load_deferred(request.module)


@pytest.fixture
def server(tmp_path: Path):
    srv = ThreadServer(str(tmp_path / "server"), config())
    yield srv
    srv.stop()
