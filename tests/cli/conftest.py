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
        proc = subprocess.run(
            [sys.executable, "-m", module, *args], input=(input or "").encode("utf-8"),
            capture_output=True, cwd=self.cwd, env=self.env, timeout=timeout)
        # Decode without newline translation: csv mode ends rows with CRLF.
        return subprocess.CompletedProcess(proc.args, proc.returncode,
                                           proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))

    def shell(self, db: str, *args: str, input: Optional[str] = None) -> subprocess.CompletedProcess:
        return self(*(["shell", db] + list(args)), input=input)

    @staticmethod
    def no_traceback(proc: subprocess.CompletedProcess) -> None:
        assert "Traceback" not in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stdout, proc.stdout


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    return Runner(tmp_path)

