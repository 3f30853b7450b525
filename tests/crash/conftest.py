"""Crash-suite fixtures and a summary of how many crash points and images were checked."""

from __future__ import annotations

import pytest

from terndb.store import pager

from .harness import STATS


@pytest.fixture
def small_free_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the free list spill after 4 entries into chunks of 5, so that small
    workloads build long chains of free-list pages (the reader does not depend
    on these constants, only the writer's choice of when to spill)."""
    monkeypatch.setattr(pager, "MAX_INLINE_FREE", 4)
    monkeypatch.setattr(pager, "FREE_CHUNK", 5)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    if not STATS:
        return
    tr = terminalreporter
    tr.section("crash-safety coverage")
    tp = ti = 0
    for name, (points, total_ops, images) in sorted(STATS.items()):
        tr.write_line(f"{name}: {points}/{total_ops} crash points, {images} post-crash images verified")
        tp += points
        ti += images
    tr.write_line(f"total: {tp} crash points, {ti} post-crash images")
