"""Pytest configuration for the sqllogictest conformance tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register the `slt` marker."""
    config.addinivalue_line("markers", "slt: sqllogictest conformance runs (sampled) against TernDB")
