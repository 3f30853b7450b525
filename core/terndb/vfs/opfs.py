"""The OPFS backend (Pyodide in a dedicated worker): ``opfs://name`` or ``opfs://dir/name``.

The database is one file in the origin private file system (``name.terndb``),
laid out exactly like the file backend's (two root slots, page ``n`` at
``n * 4096``), so a database copies byte for byte between OPFS and disk.
``FileSystemSyncAccessHandle`` gives synchronous reads and writes, so pages
load on demand and a database larger than memory works.

Every handle call costs ~0.2-0.6 ms whatever its size, so:

* reads go through a cache of 128 KiB chunks (32 pages per ``read``), and the
  size of the file is tracked here instead of asked for;
* a commit writes each run of consecutive pages with one call, then the root
  slot, then flushes once.  The slot carries a *manifest* after the root
  record (which readers ignore): the numbers of the pages this commit wrote
  and a CRC-32 over their bytes.  Opening verifies the newest slot's manifest,
  and if a power loss kept the slot but lost a page write, the older slot wins,
  whose pages a commit never overwrites.  A commit whose manifest does not fit
  in the slot falls back to two flushes (pages, flush, root, flush).

Only imported in Pyodide: ``js`` is imported lazily.
"""

from __future__ import annotations

import struct
import zlib
from collections import OrderedDict
from typing import Any, Optional

from ..errors import OperationalError
from ..store.format import PAGE_SIZE, SLOT_HEADER, SLOT_MAGIC, SLOT_SIZE
from .file import _SLOT, FileBackend

CHUNK_PAGES = 32
CHUNK = CHUNK_PAGES * PAGE_SIZE
CACHE_CHUNKS = 512                       # 64 MiB of page cache at most
_MANIFEST = struct.Struct("<4sII")       # b"TMF1", page count, crc32 of the pages' bytes
_MANIFEST_MAGIC = b"TMF1"


class OPFSBackend(FileBackend):
    """A TernDB file in OPFS, through a synchronous access handle (workers only)."""

    def __init__(self, location: str, readonly: bool = False):
        path = location.strip("/")
        if not path:
            raise OperationalError("opfs:// needs a database name, e.g. opfs://notes")
        parts = path.split("/")
        if not parts[-1].endswith(".terndb"):
            parts[-1] += ".terndb"
        self.parts = parts
        self.name = self.path = f"opfs://{path}"
        self.readonly = readonly
        self.fd = -1
        self.seq = 0
        self.slot = 0
        self.broken = False
        self.handle: Any = None
        self.loaded = False
        self.size = 0
        self.chunks: OrderedDict[int, bytearray] = OrderedDict()
        self._verify = True

    async def load(self) -> None:
        if self.loaded:
            return
        import asyncio
        import js  # type: ignore[import-not-found]
        # A worker that just ended (a closed tab, a terminated worker) releases its
        # handle asynchronously: retry for a short while before reporting a lock.
        for attempt in range(40):
            try:
                d = await js.navigator.storage.getDirectory()
                for part in self.parts[:-1]:
                    d = await d.getDirectoryHandle(part, _opts(create=True))
                fh = await d.getFileHandle(self.parts[-1], _opts(create=True))
                self.handle = await fh.createSyncAccessHandle()
                break
            except Exception as e:
                kind = getattr(e, "name", "") or type(e).__name__
                locked = kind == "NoModificationAllowedError" or "NoModificationAllowed" in str(e)
                if locked and attempt < 39:
                    await asyncio.sleep(0.05)
                    continue
                if locked:
                    raise OperationalError(
                        f"database is locked: {self.name} is open in another tab or worker") from e
                raise OperationalError(f"unable to open {self.name}: {kind}: {e}") from e
        self.size = int(self.handle.getSize())
        self._at = _opts(at=0)
        self.loaded = True

    def _ensure(self) -> None:
        if not self.loaded:
            try:
                from pyodide.ffi import can_run_sync, run_sync  # type: ignore[import-not-found]
                if can_run_sync():
                    run_sync(self.load())
                    return
            except ImportError:
                pass
            raise OperationalError(f"{self.name} must be opened asynchronously: use "
                                   "`await terndb.connect_async(...)` in a worker")

    # ------------------------------------------------------------ the I/O seam

    def _raw_read(self, n: int, offset: int) -> bytes:
        import js  # type: ignore[import-not-found]
        buf = js.Uint8Array.new(n)
        self._at.at = offset
        got = int(self.handle.read(buf, self._at))
        data = buf.to_bytes()
        return data[:got] if got < n else data

    def _chunk(self, idx: int) -> bytearray:
        c = self.chunks.get(idx)
        if c is not None:
            self.chunks.move_to_end(idx)
            return c
        start = idx * CHUNK
        c = bytearray(self._raw_read(min(CHUNK, max(0, self.size - start)), start)) if start < self.size \
            else bytearray()
        self.chunks[idx] = c
        if len(self.chunks) > CACHE_CHUNKS:
            self.chunks.popitem(last=False)
        return c

    def _read_at(self, n: int, offset: int) -> bytes:
        self._ensure()
        out = []
        end = min(offset + n, self.size)
        pos = offset
        while pos < end:
            idx, off = divmod(pos, CHUNK)
            c = self._chunk(idx)
            take = min(end - pos, CHUNK - off)
            out.append(bytes(c[off:off + take]))
            pos += take
        return b"".join(out)

    def _write_at(self, data: bytes, offset: int) -> int:
        import js  # type: ignore[import-not-found]
        arr = js.Uint8Array.new(len(data))
        arr.assign(data)
        self._at.at = offset
        try:
            n = int(self.handle.write(arr, self._at))
        except Exception as e:
            kind = getattr(e, "name", "") or type(e).__name__
            if kind == "QuotaExceededError" or "QuotaExceeded" in str(e):
                import errno
                raise OSError(errno.ENOSPC, "QuotaExceededError") from e
            raise OSError(5, f"{kind}: {e}") from e
        self._cache_write(data[:n], offset)
        self.size = max(self.size, offset + n)
        return n

    def _cache_write(self, data: bytes, offset: int) -> None:
        pos, end, i = offset, offset + len(data), 0
        while pos < end:
            idx, off = divmod(pos, CHUNK)
            take = min(end - pos, CHUNK - off)
            c = self.chunks.get(idx)
            if c is not None:
                if len(c) < off:
                    c.extend(bytes(off - len(c)))
                c[off:off + take] = data[i:i + take]
            pos += take
            i += take

    def _sync_file(self) -> None:
        try:
            self.handle.flush()
        except Exception as e:
            raise OSError(5, f"flush failed: {e}") from e

    def _size(self) -> int:
        self._ensure()
        return self.size

    def _sync_dir(self, parent: str) -> None:
        pass

    def _lock(self) -> None:
        pass

    def upgrade(self) -> None:
        pass

    # ------------------------------------------------------------------ reads

    def read_root(self) -> Optional[bytes]:
        root = super().read_root()
        if root is None or not self._verify:
            return root
        self._verify = False
        # The newest slot names pages written under one flush: check them.
        raw = self._pread(SLOT_SIZE, self.slot * SLOT_SIZE)
        if self._manifest_ok(raw):
            return root
        other = self._pread(SLOT_SIZE, (1 - self.slot) * SLOT_SIZE)
        magic, seq, length, crc = _SLOT.unpack_from(other)
        body = other[SLOT_HEADER:SLOT_HEADER + length]
        if magic != SLOT_MAGIC or zlib.crc32(body, seq & 0xFFFFFFFF) != crc:
            return None if self.seq <= 1 else root
        self.seq, self.slot = seq, 1 - self.slot
        return body

    def _manifest_ok(self, raw: bytes) -> bool:
        _, _, length, _ = _SLOT.unpack_from(raw)
        at = SLOT_HEADER + length
        if len(raw) < at + _MANIFEST.size:
            return True
        magic, count, crc = _MANIFEST.unpack_from(raw, at)
        if magic != _MANIFEST_MAGIC:
            return True             # written with two flushes: nothing to check
        pgnos = struct.unpack_from(f"<{count}I", raw, at + _MANIFEST.size)
        c = 0
        for p in pgnos:
            c = zlib.crc32(self.read_page(p), c)
        return c == crc

    # ----------------------------------------------------------------- commit

    def commit(self, pages: dict[int, bytes], root: bytes) -> None:
        room = SLOT_SIZE - SLOT_HEADER - len(root) - _MANIFEST.size
        if not pages or 4 * len(pages) > room:
            return super().commit(pages, root)
        self._check_writable()
        pgnos = sorted(pages)
        c = 0
        for p in pgnos:
            c = zlib.crc32(pages[p], c)
        manifest = _MANIFEST.pack(_MANIFEST_MAGIC, len(pgnos), c) + struct.pack(f"<{len(pgnos)}I", *pgnos)
        self._install_root(root, manifest, lambda: self._write_pages(pages))

    def _io_error(self, e: OSError) -> OperationalError:
        import errno
        if e.errno == errno.ENOSPC:
            return OperationalError(
                f"database or disk is full: the browser's storage quota is used up "
                f"(QuotaExceededError) while committing to {self.path!r}; the commit was rolled "
                "back and earlier commits are intact")
        return OperationalError(f"disk I/O error writing {self.path!r}: {e.strerror or e}")

    def close(self) -> None:
        if self.handle is not None:
            try:
                self.handle.flush()
                self.handle.close()
            finally:
                self.handle = None
                self.chunks.clear()


def _opts(**kw: Any) -> Any:
    import js  # type: ignore[import-not-found]
    o = js.Object.new()
    for k, v in kw.items():
        setattr(o, k, v)
    return o
