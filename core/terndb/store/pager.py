"""The page store: checksummed blobs on numbered pages, free-space reuse, atomic commit.

A *blob* is a byte string stored on a chain of pages; its *ref* is the number
of its first page.  Blobs are immutable: the layers above never change one in
place, they write a new blob and free the old one (copy-on-write).  That gives
three properties at once:

* a crash can only lose the commit in progress, because no page reachable from
  the last committed root record is ever overwritten;
* readers keep a stable snapshot by holding an old root, as long as the pages
  it reaches are not reused: :meth:`pin` protects a snapshot's pages;
* a commit writes only the new blobs plus the root record, whatever the size
  of the database.

Free pages are listed in the root record (up to ``MAX_INLINE_FREE``) and in a
chain of free-list blobs beyond that, so a commit's cost stays proportional to
its own changes.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from typing import Any, Optional

from ..errors import DatabaseError, OperationalError
from ..vfs.base import Backend
from .format import (FIRST_PAGE, FORMAT_NAME, FORMAT_VERSION, FREE_CHUNK, KIND_HEAD, KIND_MORE,
                     MAX_INLINE_FREE, MAX_ROOT_RECORD, PAGE_HEADER, PAGE_PAYLOAD, PAGE_SIZE)

_HDR = struct.Struct("<IBBHII")   # crc32, kind, version, reserved, next, length
_BODY = struct.Struct("<BBHII")   # the header without its crc32
_CRC = struct.Struct("<I")
_ZPAD = bytes(PAGE_SIZE)


class Store:
    """Blob storage over a :class:`Backend`, with single-writer transactions."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.name = backend.name
        raw = backend.read_root()
        if raw is None:
            self.salt = int.from_bytes(os.urandom(4), "little")
            self.txid = 0
            self.next_pgno = FIRST_PAGE
            self.free: list[int] = []
            self.chain = 0
            self.meta: dict[str, Any] = {}
        else:
            self._load_root(raw)
        # In-memory only: free pages that an open snapshot may still read,
        # as (txid that freed them, page); reusable once no older pin remains.
        self.pinned_free: list[tuple[int, int]] = []
        self.pins: dict[int, int] = {}
        self._chain_pinned: dict[int, int] = {}   # spilled free pages still pinned
        self._chains: dict[int, list[int]] = {}
        self._in_write = False

    # --------------------------------------------------------------- root record

    def _load_root(self, raw: bytes) -> None:
        try:
            rec = json.loads(raw.decode("utf-8"))
            if rec.get("format") != FORMAT_NAME:
                raise ValueError("not a TernDB root record")
        except (ValueError, UnicodeDecodeError, AttributeError) as e:
            raise DatabaseError(f"file is not a database: {self.name!r} has an unreadable root record") from e
        version = rec.get("version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise DatabaseError(
                f"{self.name!r} uses TernDB format version {version}, newer than this "
                f"release reads ({FORMAT_VERSION}); upgrade TernDB to open it")
        try:
            self.salt = int(rec["salt"])
            self.txid = int(rec["txid"])
            self.next_pgno = int(rec["next"])
            self.free = [int(p) for p in rec["free"]]
            self.chain = int(rec["chain"])
            self.meta = dict(rec["meta"])
        except (KeyError, TypeError, ValueError) as e:
            raise DatabaseError(f"database disk image is malformed: bad root record in {self.name!r}") from e

    def _root_record(self, free: list[int]) -> bytes:
        rec = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "salt": self.salt,
               "txid": self.txid, "next": self.next_pgno, "free": free, "chain": self.chain,
               "meta": self.meta}
        raw = json.dumps(rec, separators=(",", ":")).encode("utf-8")
        if len(raw) > MAX_ROOT_RECORD:
            raise DatabaseError("root record too large; keep small values in store meta")
        return raw

    # --------------------------------------------------------------------- reads

    def _read_page(self, pgno: int) -> bytes:
        page = self.backend.read_page(pgno)
        crc, kind, version, _, nxt, length = _HDR.unpack_from(page)
        if zlib.crc32(memoryview(page)[4:], (self.salt + pgno) & 0xFFFFFFFF) != crc:
            raise DatabaseError(
                f"database disk image is malformed: page {pgno} of {self.name!r} fails its "
                "checksum (torn write, foreign data or damaged storage)")
        return page

    def read_blob(self, ref: int) -> bytes:
        """The bytes of the blob whose first page is ``ref``."""
        if ref < FIRST_PAGE or ref >= self.next_pgno:
            raise DatabaseError(f"database disk image is malformed: reference to page {ref} "
                                f"outside the database ({self.next_pgno} pages)")
        page = self._read_page(ref)
        _, kind, _, _, nxt, length = _HDR.unpack_from(page)
        if kind != KIND_HEAD:
            raise DatabaseError(f"database disk image is malformed: page {ref} is not a blob head")
        if length <= PAGE_PAYLOAD:
            return page[PAGE_HEADER:PAGE_HEADER + length]
        parts = [page[PAGE_HEADER:]]
        got = PAGE_PAYLOAD
        chain: list[int] = []
        while got < length:
            if nxt == 0 or len(chain) > length // PAGE_PAYLOAD + 1:
                raise DatabaseError(f"database disk image is malformed: blob {ref} is truncated")
            chain.append(nxt)
            page = self._read_page(nxt)
            _, kind, _, _, nxt2, _ = _HDR.unpack_from(page)
            if kind != KIND_MORE:
                raise DatabaseError(f"database disk image is malformed: page {nxt} is not a blob part")
            take = min(PAGE_PAYLOAD, length - got)
            parts.append(page[PAGE_HEADER:PAGE_HEADER + take])
            got += take
            nxt = nxt2
        self._chains[ref] = chain
        return b"".join(parts)

    # ------------------------------------------------------------------- pinning

    def pin(self, txid: int) -> None:
        """Keep the pages of snapshot ``txid`` from being reused until :meth:`unpin`."""
        self.pins[txid] = self.pins.get(txid, 0) + 1

    def unpin(self, txid: int) -> None:
        n = self.pins.get(txid, 0) - 1
        if n > 0:
            self.pins[txid] = n
        else:
            self.pins.pop(txid, None)

    def _release_pinned(self) -> None:
        if not self.pinned_free:
            return
        oldest = min(self.pins) if self.pins else None
        keep = []
        for freed_by, pgno in self.pinned_free:
            if oldest is None or freed_by <= oldest:
                self.free.append(pgno)
            else:
                keep.append((freed_by, pgno))
        self.pinned_free = keep

    # -------------------------------------------------------------------- writes

    def begin(self) -> None:
        """Start a write transaction (the caller holds the writer lock)."""
        if self.backend.readonly:
            raise OperationalError(f"attempt to write a readonly database {self.name!r}")
        self._release_pinned()
        self._in_write = True
        self._saved = (list(self.free), self.chain, self.next_pgno, dict(self.meta),
                       list(self.pinned_free), dict(self._chain_pinned))
        self._w_pages: dict[int, bytes] = {}
        self._w_freed: list[int] = []
        self._w_chains: dict[int, list[int]] = {}

    def _alloc(self) -> int:
        while True:
            if self.free:
                return self.free.pop()
            if self.chain:
                self._load_chain_head()
                continue
            pgno = self.next_pgno
            self.next_pgno += 1
            return pgno

    def _load_chain_head(self) -> None:
        ref = self.chain
        raw = self.read_blob(ref)
        if len(raw) < 4 or len(raw) % 4:
            raise DatabaseError(f"database disk image is malformed: free-list blob {ref}")
        nxt, *pages = struct.unpack(f"<{len(raw) // 4}I", raw)
        self.chain = nxt
        # The chunk's own page stays readable by the committed root until this
        # transaction commits, so it is freed, not reused now.
        self._w_freed.extend(self._blob_pages(ref))
        oldest = min(self.pins) if self.pins else None
        for p in pages:
            t = self._chain_pinned.pop(p, None)
            if t is not None and oldest is not None and t > oldest:
                self.pinned_free.append((t, p))
            else:
                self.free.append(p)

    def write_blob(self, data: bytes) -> int:
        """Store ``data`` on newly allocated pages; return its ref."""
        n = max(1, -(-len(data) // PAGE_PAYLOAD))
        pgnos = [self._alloc() for _ in range(n)]
        self._put_blob(pgnos, data)
        return pgnos[0]

    def _put_blob(self, pgnos: list[int], data: bytes) -> None:
        salt = self.salt
        w = self._w_pages
        n = len(pgnos)
        for i, pgno in enumerate(pgnos):
            chunk = data[i * PAGE_PAYLOAD:(i + 1) * PAGE_PAYLOAD]
            nxt = pgnos[i + 1] if i + 1 < n else 0
            body = _BODY.pack(KIND_HEAD if i == 0 else KIND_MORE, FORMAT_VERSION, 0, nxt,
                              len(data) if i == 0 else 0) + chunk
            body += _ZPAD[:PAGE_SIZE - 4 - len(body)]
            w[pgno] = _CRC.pack(zlib.crc32(body, (salt + pgno) & 0xFFFFFFFF)) + body
        if n > 1:
            self._w_chains[pgnos[0]] = pgnos[1:]

    def _blob_pages(self, ref: int) -> list[int]:
        chain = self._w_chains.get(ref)
        if chain is None:
            chain = self._chains.get(ref)
        if chain is None:
            page = self._w_pages.get(ref) or self._read_page(ref)
            _, _, _, _, nxt, length = _HDR.unpack_from(page)
            chain = []
            while nxt and len(chain) <= length // PAGE_PAYLOAD:
                chain.append(nxt)
                p = self._w_pages.get(nxt) or self._read_page(nxt)
                nxt = _HDR.unpack_from(p)[4]
        return [ref] + chain

    def free_blob(self, ref: int) -> None:
        """Release the pages of a blob that the new state no longer reaches."""
        if ref in self._w_pages:
            # Written in this transaction and already obsolete: reuse at once.
            for p in self._blob_pages(ref):
                self._w_pages.pop(p, None)
                self.free.append(p)
            self._w_chains.pop(ref, None)
            return
        self._w_freed.extend(self._blob_pages(ref))
        self._chains.pop(ref, None)

    def commit(self) -> int:
        """Write this transaction's blobs and a new root record atomically; return its txid."""
        txid = self.txid + 1
        if self.pins:
            # An open snapshot may still read the pages this commit frees.
            unsafe: list[int] = []
            pinned = self.pinned_free + [(txid, p) for p in self._w_freed]
        else:
            unsafe = list(self._w_freed)
            pinned = list(self.pinned_free)
        safe = self.free
        # Spill the free list into single-page chunks when it outgrows the root
        # record.  A chunk's page must be free in the previous commit (safe).
        while len(safe) + len(unsafe) + len(pinned) > MAX_INLINE_FREE:
            pg = safe.pop() if safe else self._extend()
            batch: list[int] = []
            while len(batch) < FREE_CHUNK and unsafe:
                batch.append(unsafe.pop())
            while len(batch) < FREE_CHUNK and safe:
                batch.append(safe.pop())
            while len(batch) < FREE_CHUNK and pinned:
                t, p = pinned.pop()
                self._chain_pinned[p] = t
                batch.append(p)
            self._put_blob([pg], struct.pack(f"<{len(batch) + 1}I", self.chain, *batch))
            self.chain = pg
        persisted = safe + unsafe + [p for _, p in pinned]
        saved_txid = self.txid
        self.txid = txid
        try:
            root = self._root_record(persisted)
            self.backend.commit(self._w_pages, root)
        except BaseException:
            self.txid = saved_txid
            self.rollback()
            raise
        self.free = safe + unsafe
        self.pinned_free = pinned
        self._chains.update(self._w_chains)
        self._in_write = False
        self._w_pages = {}
        self._w_freed = []
        return txid

    def _extend(self) -> int:
        pgno = self.next_pgno
        self.next_pgno += 1
        return pgno

    def rollback(self) -> None:
        """Forget everything written since :meth:`begin`."""
        if not self._in_write:
            return
        (self.free, self.chain, self.next_pgno, self.meta, self.pinned_free,
         self._chain_pinned) = self._saved
        self._w_pages = {}
        self._w_freed = []
        self._w_chains = {}
        self._in_write = False

    def close(self) -> None:
        self.backend.close()

    def stats(self) -> dict[str, int]:
        return {"txid": self.txid, "pages": self.next_pgno, "free_inline": len(self.free),
                "pinned_free": len(self.pinned_free), "free_chain": int(self.chain != 0)}
