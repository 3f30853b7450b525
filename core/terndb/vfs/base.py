"""The backend interface: numbered pages plus one atomically replaced root record.

A backend is the only code that touches the outside world (files, IndexedDB,
OPFS).  It does not interpret page contents.  ``commit`` must be atomic: after
a crash at any instant, ``read_root`` returns either the old or the new root
record, and every page the returned root can reach is intact.  The store above
never overwrites a page that the last committed root can reach, so a backend
only has to order its writes: pages first, then the root.

Backends whose storage is asynchronous (IndexedDB) preload in ``load()`` and
make commits durable in ``flush()``; both are no-ops here.
"""

from __future__ import annotations

from typing import Any, Optional


class Backend:
    """Stores fixed-size pages by number and one root record."""

    #: Human-readable location, used in error messages.
    name: str = "?"
    readonly: bool = False
    #: True when commit() only queues writes and flush() makes them durable.
    async_flush: bool = False

    def read_root(self) -> Optional[bytes]:
        """The last committed root record, or None for a new, empty database."""
        raise NotImplementedError

    def read_page(self, pgno: int) -> bytes:
        """The bytes of page ``pgno`` (PAGE_SIZE long; zeros if never written)."""
        raise NotImplementedError

    def commit(self, pages: dict[int, bytes], root: bytes) -> None:
        """Write ``pages`` then atomically replace the root record."""
        raise NotImplementedError

    def size_pages(self) -> int:
        """Number of page slots the storage currently holds (for diagnostics)."""
        return 0

    async def load(self) -> None:
        """Asynchronous preparation before first use (IndexedDB preload)."""

    def flush(self) -> Any:
        """Make earlier commits durable; may return an awaitable."""
        return None

    def close(self) -> None:
        """Release files and locks."""
