"""Opening things that are not TernDB databases gives the right DB-API error, and a
failed open leaves nothing behind (no open descriptor, no lock)."""

from __future__ import annotations

import os
import random
import sqlite3

import pytest

import terndb

from . import workloads
from .harness import dump, reference_run


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")


def _text(path):
    path.write_text("Dear diary,\nthis is not a database.\n" * 300)


def _short_text(path):
    path.write_text("hello")


def _sqlite(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t(x)")
    con.execute("INSERT INTO t VALUES (1)")
    con.commit()
    con.close()


def _random(path):
    path.write_bytes(random.Random(5).randbytes(50_000))


def _slot_magic_then_garbage(path):
    # Looks like a TernDB header at first sight, but slot B holds data.
    path.write_bytes(b"TernDB\x00\x01" + random.Random(6).randbytes(20_000))


NOT_DATABASES = {"text": _text, "short-text": _short_text, "sqlite": _sqlite,
                 "random-bytes": _random, "fake-header": _slot_magic_then_garbage}


@pytest.mark.parametrize("readonly", [False, True], ids=["rw", "ro"])
@pytest.mark.parametrize("kind", sorted(NOT_DATABASES))
def test_not_a_database(kind, readonly, tmp_path):
    path = tmp_path / "x.db"
    NOT_DATABASES[kind](path)
    before = path.read_bytes()
    with pytest.raises(terndb.DatabaseError) as ei:
        con = terndb.connect(str(path), readonly=readonly)
        try:
            con.execute("SELECT * FROM sqlite_master").fetchall()
        finally:
            con.close()
    e = ei.value
    assert type(e) is terndb.DatabaseError, f"{type(e).__name__}: {e}"
    if kind == "sqlite":
        assert "SQLite database" in str(e)
    else:
        assert "not a database" in str(e)
    assert str(path) in str(e)
    assert path.read_bytes() == before, "a failed open must not modify the file"


@needs_proc
@pytest.mark.parametrize("kind", ["text", "sqlite", "damaged-schema"])
def test_failed_open_releases_file_and_lock(kind, tmp_path):
    """After connect() fails, the descriptor is closed and the lock released: once the
    file is fixed (same inode, rewritten in place) it opens at once."""
    path = tmp_path / "x.db"
    if kind == "damaged-schema":
        ref = reference_run(workloads.single_rows())
        image = bytearray(ref.image)
        image[2 * 4096 + 100] ^= 0xFF          # page 2: the first blob written
        path.write_bytes(bytes(image))
    else:
        NOT_DATABASES[kind](path)
    n = _fds()
    with pytest.raises(terndb.DatabaseError):
        terndb.connect(str(path))
    assert _fds() == n, "connect() failed but left a file descriptor open"
    with open(path, "r+b") as fh:               # fix the file in place: now it is empty
        fh.truncate(0)
    con = terndb.connect(str(path))
    try:
        con.execute("CREATE TABLE t(x)")
        con.commit()
    finally:
        con.close()


def test_empty_file_is_an_empty_database(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    con = terndb.connect(str(path))
    try:
        assert con.execute("SELECT * FROM sqlite_master").fetchall() == []
        con.execute("CREATE TABLE t(x)")
        con.execute("INSERT INTO t VALUES (42)")
        con.commit()
    finally:
        con.close()
    con = terndb.connect(str(path))
    try:
        assert con.execute("SELECT x FROM t").fetchall() == [(42,)]
    finally:
        con.close()


def test_empty_file_readonly(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    con = terndb.connect(str(path), readonly=True)
    try:
        assert con.execute("SELECT * FROM sqlite_master").fetchall() == []
        with pytest.raises(terndb.OperationalError, match="readonly"):
            con.execute("CREATE TABLE t(x)")
    finally:
        con.close()
    assert path.read_bytes() == b""


def test_directory(tmp_path):
    for ro in (False, True):
        with pytest.raises(terndb.OperationalError, match="is a directory"):
            terndb.connect(str(tmp_path), readonly=ro)


def test_missing_file_readonly(tmp_path):
    path = tmp_path / "missing.db"
    with pytest.raises(terndb.OperationalError, match="does not exist"):
        terndb.connect(str(path), readonly=True)
    assert not path.exists()


def test_missing_directory(tmp_path):
    path = tmp_path / "no" / "such" / "dir.db"
    with pytest.raises(terndb.OperationalError, match="unable to open database file"):
        terndb.connect(str(path))
    assert not path.parent.exists()


def test_truncated_database(tmp_path):
    """A TernDB file cut short (lost tail): reads of the missing pages fail with
    DatabaseError; pages that are still there (or were free) read normally."""
    ref = reference_run(workloads.indexes())
    for cut in (3 * 4096, len(ref.image) // 2, len(ref.image) - 4096):
        path = tmp_path / f"cut{cut}.db"
        path.write_bytes(ref.image[:cut])
        try:
            con = terndb.connect(str(path))
        except terndb.Error as e:
            assert type(e) is terndb.DatabaseError and "malformed" in str(e), f"{type(e).__name__}: {e}"
            continue
        try:
            got = dump(con)
        except terndb.Error as e:
            assert type(e) is terndb.DatabaseError and "malformed" in str(e), f"{type(e).__name__}: {e}"
            continue
        finally:
            con.close()
        assert cut > 3 * 4096 and got == ref.states[-1], f"cut at {cut}: wrong content, no error"


def test_readonly_connection_cannot_write_while_a_writer_is_open(tmp_path):
    """connect(path, readonly=True) must not hand out a writable database just because
    another connection in the process opened the same file read-write (and a read-only
    connection opened first must not make later read-write connections read-only)."""
    path = str(tmp_path / "ro.db")
    rw = terndb.connect(path)
    rw.execute("CREATE TABLE t(x)")
    rw.commit()
    ro = terndb.connect(path, readonly=True)
    try:
        with pytest.raises(terndb.OperationalError, match="readonly"):
            ro.execute("INSERT INTO t VALUES (1)")
            ro.commit()
    finally:
        ro.close()
        rw.close()
    ro = terndb.connect(path, readonly=True)
    rw = terndb.connect(path)
    try:
        rw.execute("INSERT INTO t VALUES (2)")
        rw.commit()
        assert rw.execute("SELECT x FROM t").fetchall() == [(2,)]
    finally:
        rw.close()
        ro.close()
