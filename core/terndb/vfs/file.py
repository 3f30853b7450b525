"""The file backend: one file, two root slots, pages at fixed offsets.

Layout: slot A at offset 0, slot B at offset PAGE_SIZE, page ``n`` at
``n * PAGE_SIZE`` (n >= 2).  A commit writes the new pages, syncs, writes the
root record into the older slot, and syncs again (bbolt's two-phase commit).
On open the valid slot with the higher sequence number wins, so a torn slot
write falls back to the previous commit, whose pages are untouched because the
store never overwrites a page the last committed root can reach.
"""

from __future__ import annotations

import errno
import os
import struct
import zlib
from typing import Callable, Optional

from ..errors import DatabaseError, OperationalError
from ..store.format import PAGE_SIZE, SLOT_HEADER, SLOT_MAGIC, SLOT_SIZE
from .base import Backend

try:  # not every platform (or Pyodide build) has advisory locks
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

_SLOT = struct.Struct("<8sQII")   # magic, seq, length, crc32
_ZERO = bytes(PAGE_SIZE)


def _sync(fd: int) -> None:
    # fdatasync skips metadata we do not need (mtime); fall back to fsync.
    sync = getattr(os, "fdatasync", None) or os.fsync
    try:
        sync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.ENOSYS):
            raise


class FileBackend(Backend):
    """A database in one local file."""

    def __init__(self, path: str, readonly: bool = False, create: bool = True):
        self.name = path
        self.path = path
        self.readonly = readonly
        self.fd = -1
        self.seq = 0
        self.slot = 0
        self.broken = False
        exists = os.path.exists(path)
        if not exists and (readonly or not create):
            raise OperationalError(f"unable to open database file {path!r}: it does not exist")
        if os.path.isdir(path):
            raise OperationalError(f"unable to open database file {path!r}: it is a directory")
        if not readonly and exists and not os.access(path, os.W_OK):
            self.readonly = readonly = True
        flags = os.O_RDONLY if readonly else os.O_RDWR | os.O_CREAT
        flags |= getattr(os, "O_BINARY", 0)
        try:
            self.fd = os.open(path, flags, 0o644)
        except OSError as e:
            raise OperationalError(f"unable to open database file {path!r}: {e.strerror}") from e
        if not exists:
            parent = os.path.dirname(os.path.abspath(path))
            self._sync_dir(parent)
        self._lock()

    def _sync_dir(self, parent: str) -> None:
        try:
            dfd = os.open(parent, os.O_RDONLY)
        except OSError:
            return
        try:
            _sync(dfd)
        finally:
            os.close(dfd)

    def upgrade(self) -> None:
        """Reopen for writing (another connection in this process wants to write)."""
        if not self.readonly or not os.access(self.path, os.W_OK):
            return
        old = self.fd
        if fcntl is not None:
            try:
                fcntl.flock(old, fcntl.LOCK_UN)
            except OSError:
                pass
        try:
            self.fd = os.open(self.path, os.O_RDWR | getattr(os, "O_BINARY", 0))
        except OSError as e:
            self.fd = old
            self._lock()
            raise OperationalError(f"unable to open {self.path!r} for writing: {e.strerror}") from e
        self.readonly = False
        try:
            self._lock()
        except OperationalError:
            self.fd, self.readonly = old, True
            self._lock()
            raise
        os.close(old)

    def _lock(self) -> None:
        if fcntl is None:
            return
        mode = fcntl.LOCK_SH if self.readonly else fcntl.LOCK_EX
        try:
            fcntl.flock(self.fd, mode | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(self.fd)
                self.fd = -1
                raise OperationalError(
                    f"database is locked: {self.path!r} is open in another process; "
                    "TernDB allows one process per database file") from e
            # Filesystems without lock support: carry on unlocked.

    # ------------------------------------------------ the I/O seam (fault tests override)

    def _read_at(self, n: int, offset: int) -> bytes:
        return os.pread(self.fd, n, offset)

    def _write_at(self, data: bytes, offset: int) -> int:
        return os.pwrite(self.fd, data, offset)

    def _sync_file(self) -> None:
        _sync(self.fd)

    def _size(self) -> int:
        return os.fstat(self.fd).st_size

    def _pwrite(self, data: bytes, offset: int) -> None:
        """Write all of ``data``; a write that makes no progress means the disk is full."""
        view = memoryview(data)
        while view:
            n = self._write_at(view.tobytes() if len(view) != len(data) else data, offset)
            if n <= 0:
                raise OSError(errno.ENOSPC, "no space left on device (short write)")
            view = view[n:]
            data = view.tobytes()
            offset += n

    # ------------------------------------------------------------------ reads

    def _pread(self, n: int, offset: int) -> bytes:
        try:
            return self._read_at(n, offset)
        except OSError as e:
            raise OperationalError(f"disk I/O error reading {self.path!r}: {e.strerror}") from e

    def read_root(self) -> Optional[bytes]:
        size = self._size()
        if size == 0:
            return None
        best: Optional[tuple[int, int, bytes]] = None
        raws = [self._pread(SLOT_SIZE, slot * SLOT_SIZE) for slot in (0, 1)]
        for slot, raw in enumerate(raws):
            if len(raw) < SLOT_HEADER:
                continue
            magic, seq, length, crc = _SLOT.unpack_from(raw)
            if magic != SLOT_MAGIC:
                continue
            body = raw[SLOT_HEADER:SLOT_HEADER + length]
            if len(body) != length or zlib.crc32(body, seq & 0xFFFFFFFF) != crc:
                continue
            if best is None or seq > best[0]:
                best = (seq, slot, body)
        if best is None:
            never_written = raws[1].count(0) == len(raws[1])
            first = raws[0]
            if never_written and (first.count(0) == len(first) or first.startswith(SLOT_MAGIC)):
                # The very first commit was interrupted: the database is still empty.
                return None
            if first.startswith(b"SQLite format 3"):
                raise DatabaseError(f"{self.path!r} is an SQLite database, not a TernDB database")
            raise DatabaseError(
                f"file is not a database: {self.path!r} has no valid TernDB root record "
                "(it is another kind of file, or its header is damaged)")
        self.seq, self.slot, body = best
        return body

    def read_page(self, pgno: int) -> bytes:
        data = self._pread(PAGE_SIZE, pgno * PAGE_SIZE)
        if len(data) < PAGE_SIZE:
            return data + _ZERO[len(data):]
        return data

    def size_pages(self) -> int:
        return self._size() // PAGE_SIZE

    # ----------------------------------------------------------------- commit

    def commit(self, pages: dict[int, bytes], root: bytes) -> None:
        self._check_writable()
        if len(root) > SLOT_SIZE - SLOT_HEADER:
            raise DatabaseError("root record too large for its slot")
        try:
            self._write_pages(pages)
            if pages:
                self._sync_file()
        except OSError as e:
            # The live root still names the last commit; the pages written are free there.
            raise self._io_error(e) from e
        self._install_root(root)

    def _check_writable(self) -> None:
        if self.readonly:
            raise OperationalError(f"attempt to write a readonly database {self.path!r}")
        if self.broken:
            raise OperationalError(
                f"disk I/O error: an earlier failed commit left {self.path!r} in an unknown "
                "state; close and reopen the database")

    def _install_root(self, root: bytes, tail: bytes = b"",
                      before: Optional[Callable[[], None]] = None) -> None:
        """Write ``root`` (and ``tail`` after it) into the free slot and sync; ``before`` runs
        first inside the same failure handling (OPFS writes its pages there, one sync for all)."""
        seq = self.seq + 1
        slot = 1 - self.slot if self.seq else 0
        header = _SLOT.pack(SLOT_MAGIC, seq, len(root), zlib.crc32(root, seq & 0xFFFFFFFF))
        try:
            if before is not None:
                before()
            # The whole slot: no bytes of an older record stay after this one (the OPFS
            # backend keeps a page manifest there, which must not outlive its commit).
            self._pwrite((header + root + tail).ljust(SLOT_SIZE, b"\0"), slot * SLOT_SIZE)
            self._sync_file()
        except OSError as e:
            # The new root may or may not be on disk.  Erase it, so the file surely
            # names the last commit again, or refuse further writes if that fails too.
            try:
                self._pwrite(bytes(SLOT_HEADER), slot * SLOT_SIZE)
                self._sync_file()
            except OSError:
                self.broken = True
            raise self._io_error(e) from e
        self.seq, self.slot = seq, slot

    def _io_error(self, e: OSError) -> OperationalError:
        if e.errno == errno.ENOSPC:
            return OperationalError(f"database or disk is full: cannot write {self.path!r}")
        return OperationalError(f"disk I/O error writing {self.path!r}: {e.strerror}")

    def _write_pages(self, pages: dict[int, bytes]) -> None:
        # Coalesce runs of consecutive page numbers into one write each.
        run_start = -1
        run: list[bytes] = []
        for pgno in sorted(pages):
            if run and pgno == run_start + len(run):
                run.append(pages[pgno])
                continue
            if run:
                self._pwrite(b"".join(run), run_start * PAGE_SIZE)
            run_start, run = pgno, [pages[pgno]]
        if run:
            self._pwrite(b"".join(run), run_start * PAGE_SIZE)

    def close(self) -> None:
        if self.fd >= 0:
            try:
                if fcntl is not None:
                    try:
                        fcntl.flock(self.fd, fcntl.LOCK_UN)
                    except OSError:
                        pass
            finally:
                os.close(self.fd)
                self.fd = -1
