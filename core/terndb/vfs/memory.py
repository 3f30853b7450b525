"""The memory backend: pages in a dict; nothing survives the process."""

from __future__ import annotations

import threading
from typing import Optional

from ..store.format import PAGE_SIZE
from .base import Backend

_ZERO = bytes(PAGE_SIZE)
_named: dict[str, "MemoryBackend"] = {}
_named_lock = threading.Lock()


class MemoryBackend(Backend):
    """Pages and root record held in memory."""

    def __init__(self, name: str = ":memory:"):
        self.name = name
        self.pages: dict[int, bytes] = {}
        self.root: Optional[bytes] = None

    def read_root(self) -> Optional[bytes]:
        return self.root

    def read_page(self, pgno: int) -> bytes:
        return self.pages.get(pgno, _ZERO)

    def commit(self, pages: dict[int, bytes], root: bytes) -> None:
        self.pages.update(pages)
        self.root = root

    def size_pages(self) -> int:
        return max(self.pages, default=0) + 1


def open_named(name: str) -> MemoryBackend:
    """A process-wide memory database shared by every connection that names it."""
    with _named_lock:
        b = _named.get(name)
        if b is None:
            b = _named[name] = MemoryBackend(f"memory://{name}")
        return b
