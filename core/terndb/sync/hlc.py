"""Hybrid logical clocks: wall-clock milliseconds, a counter, and a node id.

A stamp is the text ``MMMMMMMMMMMM.CCCC.node`` (12 hex digits of Unix milliseconds,
4 hex digits of counter, then the node id), so comparing two stamps as strings
compares (time, counter, node): a total order, ties between nodes broken by the
node id.  Stamps are what column-level last-writer-wins compares.
"""

from __future__ import annotations

import re
import time
from typing import Callable, Optional

MAX_COUNTER = 0xFFFF

# Exactly the shape make() produces: lower-case hex only (no "_", "+", "-" or spaces, which
# int(x, 16) would accept while the text sorts differently), then a node id (a client id,
# [A-Za-z0-9_-]{1,64}, or "~server").
_STAMP_RE = re.compile(r"([0-9a-f]{12})\.([0-9a-f]{4})\.([A-Za-z0-9_~-]{1,64})")


def make(ms: int, counter: int, node: str) -> str:
    return f"{ms:012x}.{counter:04x}.{node}"


def parse(stamp: str) -> tuple[int, int, str]:
    """(milliseconds, counter, node) of a stamp; ValueError when malformed."""
    m = _STAMP_RE.fullmatch(stamp) if isinstance(stamp, str) else None
    if m is None:
        raise ValueError(f"malformed HLC stamp {str(stamp)[:100]!r} (expected MMMMMMMMMMMM.CCCC.node: "
                         "12 and 4 lower-case hex digits, node [A-Za-z0-9_~-]{1,64})")
    return int(m.group(1), 16), int(m.group(2), 16), m.group(3)


def physical_ms(stamp: str) -> int:
    return parse(stamp)[0]


class Clock:
    """One node's hybrid logical clock (monotonic even when the wall clock steps back)."""

    def __init__(self, node: str, now: Optional[Callable[[], float]] = None, last: str = ""):
        self.node = node
        self.now = now or time.time
        self.ms = 0
        self.counter = 0
        if last:
            self.ms, self.counter, _ = parse(last)

    def _wall(self) -> int:
        return int(self.now() * 1000)

    def tick(self) -> str:
        """A new stamp for a local event, greater than every stamp seen so far."""
        wall = self._wall()
        if wall > self.ms:
            self.ms, self.counter = wall, 0
        else:
            self.counter += 1
            if self.counter > MAX_COUNTER:      # more than 65536 events in a millisecond
                self.ms, self.counter = self.ms + 1, 0
        return make(self.ms, self.counter, self.node)

    def observe(self, stamp: str) -> None:
        """Merge a received stamp so later local stamps order after it."""
        try:
            ms, counter, _ = parse(stamp)
        except ValueError:
            return
        if (ms, counter) > (self.ms, self.counter):
            self.ms, self.counter = ms, counter

    def last(self) -> str:
        return make(self.ms, self.counter, self.node)
