"""The page store: blobs, checksums, free-space reuse, pinning, atomic root record."""

from __future__ import annotations

import os
import random

import pytest

import terndb

from terndb.errors import DatabaseError
from terndb.store.format import MAX_INLINE_FREE, PAGE_PAYLOAD, PAGE_SIZE
from terndb.store.pager import Store
from terndb.vfs.file import FileBackend
from terndb.vfs.memory import MemoryBackend


def commit_blobs(store: Store, blobs: list[bytes]) -> list[int]:
    store.begin()
    refs = [store.write_blob(b) for b in blobs]
    store.meta["refs"] = refs if len(refs) < 50 else len(refs)
    store.commit()
    return refs


def test_blob_round_trip_small_and_multi_page() -> None:
    s = Store(MemoryBackend())
    blobs = [b"", b"x", os.urandom(PAGE_PAYLOAD), os.urandom(PAGE_PAYLOAD + 1), os.urandom(5 * PAGE_SIZE)]
    refs = commit_blobs(s, blobs)
    for ref, b in zip(refs, blobs):
        assert s.read_blob(ref) == b


def test_reopen_reads_root_record_and_blobs(tmp_path) -> None:
    path = str(tmp_path / "db")
    s = Store(FileBackend(path))
    refs = commit_blobs(s, [b"hello", os.urandom(10000)])
    s.close()
    s2 = Store(FileBackend(path))
    assert s2.meta["refs"] == refs
    assert s2.read_blob(refs[0]) == b"hello"
    assert s2.txid == 1
    s2.close()


def test_freed_pages_are_reused_after_commit() -> None:
    s = Store(MemoryBackend())
    refs = commit_blobs(s, [b"a" * 100 for _ in range(10)])
    high = s.next_pgno
    s.begin()
    for r in refs:
        s.free_blob(r)
    s.commit()
    # Freed pages are reusable by the next transaction, so the file does not grow.
    commit_blobs(s, [b"b" * 100 for _ in range(10)])
    assert s.next_pgno == high


def test_pages_freed_in_a_transaction_are_not_reused_by_it() -> None:
    s = Store(MemoryBackend())
    (ref,) = commit_blobs(s, [b"old"])
    s.begin()
    s.free_blob(ref)
    new = s.write_blob(b"new")
    assert new != ref  # the committed root still reaches `ref` until this commit lands
    s.commit()


def test_pinned_snapshot_pages_are_not_reused() -> None:
    s = Store(MemoryBackend())
    (ref,) = commit_blobs(s, [b"snapshot data"])
    s.pin(s.txid)
    s.begin()
    s.free_blob(ref)
    s.commit()
    for _ in range(3):
        commit_blobs(s, [b"z" * 50])
    assert s.read_blob(ref) == b"snapshot data"
    s.unpin(1)
    commit_blobs(s, [b"after"])
    assert ref in s.free or s.read_blob(ref) != b"snapshot data"


def test_free_list_spills_to_chained_pages_and_comes_back() -> None:
    s = Store(MemoryBackend())
    n = MAX_INLINE_FREE * 6
    refs = commit_blobs(s, [b"x" for _ in range(n)])
    s.begin()
    for r in refs:
        s.free_blob(r)
    s.commit()
    assert s.chain != 0
    assert len(s.free) <= MAX_INLINE_FREE
    high = s.next_pgno
    # Everything freed, inline or spilled, is found again without growing the file.
    commit_blobs(s, [b"y" for _ in range(n - 10)])
    assert s.next_pgno <= high


def test_free_list_survives_reopen(tmp_path) -> None:
    path = str(tmp_path / "db")
    s = Store(FileBackend(path))
    refs = commit_blobs(s, [b"x" * 10 for _ in range(MAX_INLINE_FREE * 3)])
    s.begin()
    for r in refs:
        s.free_blob(r)
    s.commit()
    high = s.next_pgno
    s.close()
    s2 = Store(FileBackend(path))
    commit_blobs(s2, [b"y" * 10 for _ in range(MAX_INLINE_FREE * 3 - 5)])
    assert s2.next_pgno <= high
    s2.close()


def test_rollback_forgets_writes_and_allocation() -> None:
    s = Store(MemoryBackend())
    commit_blobs(s, [b"a"])
    before = (s.next_pgno, list(s.free), s.txid)
    s.begin()
    s.write_blob(b"b" * 10000)
    s.rollback()
    assert (s.next_pgno, list(s.free), s.txid) == before


def test_checksum_mismatch_is_a_database_error(tmp_path) -> None:
    path = str(tmp_path / "db")
    s = Store(FileBackend(path))
    (ref,) = commit_blobs(s, [b"precious" * 10])
    s.close()
    with open(path, "r+b") as f:
        f.seek(ref * PAGE_SIZE + 40)
        f.write(b"XXXX")
    s2 = Store(FileBackend(path))
    with pytest.raises(DatabaseError, match="checksum"):
        s2.read_blob(ref)
    s2.close()


def test_reference_outside_file_is_a_database_error() -> None:
    s = Store(MemoryBackend())
    commit_blobs(s, [b"a"])
    with pytest.raises(DatabaseError, match="outside"):
        s.read_blob(10_000)


def test_many_random_commits_keep_every_live_blob_intact() -> None:
    rnd = random.Random(7)
    s = Store(MemoryBackend())
    live: dict[int, bytes] = {}
    for _ in range(200):
        s.begin()
        for ref in rnd.sample(sorted(live), k=min(len(live), rnd.randrange(4))):
            s.free_blob(ref)
            del live[ref]
        for _ in range(rnd.randrange(1, 5)):
            data = os.urandom(rnd.choice([10, 500, 5000, 9000]))
            live[s.write_blob(data)] = data
        s.commit()
        for ref, data in live.items():
            assert s.read_blob(ref) == data


def test_file_backend_writes_whole_root_slots(tmp_path):
    """No bytes of an older record survive in a root slot after a commit rewrites it (the
    OPFS backend reads a page manifest after the root record, which must not go stale)."""
    import struct
    from terndb.store.format import SLOT_SIZE
    path = tmp_path / "slots.terndb"
    con = terndb.connect(str(path))
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with open(path, "r+b") as f:            # leftovers at the end of both slots
        for slot in (0, 1):
            f.seek(slot * SLOT_SIZE + SLOT_SIZE - 100)
            f.write(b"\xaa" * 100)
    con = terndb.connect(str(path))
    for i in range(2):
        con.execute("INSERT INTO t VALUES (?)", (i,))
        con.commit()
    con.close()
    data = path.read_bytes()
    for slot in (0, 1):
        raw = data[slot * SLOT_SIZE:(slot + 1) * SLOT_SIZE]
        length = struct.unpack_from("<I", raw, 16)[0]
        assert raw[24 + length:] == bytes(SLOT_SIZE - 24 - length)
