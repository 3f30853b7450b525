"""Helpers for the CLI tests: run ``python -m terndb`` as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest


class Runner:
    """Runs the terndb command in ``cwd`` (pytest's tmp_path)."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env = dict(os.environ)
        self.env["TERNDB_HISTORY"] = ""
        self.env.pop("TERNDB_TRACEBACK", None)
        self.env["PYTHONIOENCODING"] = "utf-8"

    def __call__(self, *args: str, input: Optional[str] = None, module: str = "terndb",
                 timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", module, *args],
            input=input if input is not None else "", capture_output=True, text=True,
            encoding="utf-8", cwd=self.cwd, env=self.env, timeout=timeout)

    def shell(self, db: str, *args: str, input: Optional[str] = None) -> subprocess.CompletedProcess:
        return self(*(["shell", db] + list(args)), input=input)

    @staticmethod
    def no_traceback(proc: subprocess.CompletedProcess) -> None:
        assert "Traceback" not in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stdout, proc.stdout


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    return Runner(tmp_path)

