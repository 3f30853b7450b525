"""The asynchronous-flush wiring (IndexedDB's shape) on CPython, with a backend that
queues commits and fails its flush on demand: ``connect_async`` awaits ``load()``,
``commit_async``/``flush`` await durability, and a failed flush reverts to the last
durable state without losing anything committed before."""

from __future__ import annotations

import asyncio
from typing import Optional

import pytest

import terndb
from terndb.vfs import register_scheme
from terndb.vfs.memory import MemoryBackend

_STORES: dict[str, "QueueBackend"] = {}


class QueueBackend(MemoryBackend):
    async_flush = True

    def __init__(self, location: str, readonly: bool = False):
        super().__init__(f"queue://{location}")
        self.durable_pages: dict[int, bytes] = {}
        self.durable_root: Optional[bytes] = None
        self.loaded = False
        self.fail_next = False
        self.pending = False

    async def load(self) -> None:
        await asyncio.sleep(0)
        self.pages = dict(self.durable_pages)
        self.root = self.durable_root
        self.loaded = True

    def read_root(self) -> Optional[bytes]:
        assert self.loaded, "read before load()"
        return self.root

    def commit(self, pages: dict[int, bytes], root: bytes) -> None:
        super().commit(pages, root)
        self.pending = True

    def flush(self):
        if not self.pending:
            return None
        self.pending = False

        async def settle() -> None:
            await asyncio.sleep(0)
            if self.fail_next:
                self.fail_next = False
                self.pages = dict(self.durable_pages)      # the storage never got it
                self.root = self.durable_root
                raise OSError("QuotaExceededError")
            self.durable_pages = dict(self.pages)
            self.durable_root = self.root
        return settle()


def _factory(location: str, readonly: bool = False) -> QueueBackend:
    b = _STORES.get(location)
    if b is None:
        b = _STORES[location] = QueueBackend(location, readonly)
    return b


register_scheme("queue", f"{__name__}:_factory")


@pytest.mark.host_only
def test_connect_async_commit_async_and_failed_flush():
    async def main() -> None:
        con = await terndb.connect_async("queue://a")
        con.execute("CREATE TABLE t(x)")
        con.execute("INSERT INTO t VALUES (1)")
        await con.commit_async()
        backend = _STORES["a"]
        assert backend.durable_root is not None
        con.execute("INSERT INTO t VALUES (2)")
        backend.fail_next = True
        with pytest.raises(terndb.OperationalError, match="QuotaExceededError"):
            await con.commit_async()
        # The failed commit is gone; the one before is there; the database still works.
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
        con.execute("INSERT INTO t VALUES (3)")
        await con.commit_async()
        assert con.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (3,)]
        await con.flush()       # nothing pending: returns at once
        con.close()
        con2 = await terndb.connect_async("queue://a")
        assert con2.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (3,)]
        con2.close()
    _run(main())


def _run(coro) -> None:
    """asyncio.run() in a thread of its own: another test's event loop may be running here."""
    import threading
    err: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as e:   # re-raised in the test's thread
            err.append(e)
    t = threading.Thread(target=target)
    t.start()
    t.join()
    if err:
        raise err[0]


@pytest.mark.host_only
def test_a_transaction_open_across_a_failed_flush_fails_clearly():
    """A write transaction begun on top of a commit whose flush then fails is rolled back
    with a clear error at its commit (not an internal one), and the database works after."""
    async def main() -> None:
        a = await terndb.connect_async("queue://stale")
        a.execute("CREATE TABLE t(x)")
        await a.commit_async()
        b = terndb.connect("queue://stale")
        a.execute("INSERT INTO t VALUES (1)")
        a.commit()                                   # queued, not durable yet
        _STORES["stale"].fail_next = True
        b.execute("INSERT INTO t VALUES (2)")        # builds on the queued commit
        with pytest.raises(terndb.OperationalError):
            await a.flush()
        with pytest.raises(terndb.OperationalError, match="rolled back"):
            b.commit()
        assert b.execute("SELECT x FROM t").fetchall() == []
        b.execute("INSERT INTO t VALUES (3)")
        b.commit()
        await b.flush()
        assert a.execute("SELECT x FROM t").fetchall() == [(3,)]
        a.close()
        b.close()
    _run(main())
