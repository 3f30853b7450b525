"""The IndexedDB backend (Pyodide in a browser): ``idb://name``, ``idb://name?durability=relaxed``.

Storage: one IndexedDB database ``terndb/<name>`` with one object store,
``pages``: page ``n`` under the number ``n``, the root record under ``"root"``.
Values are the same 4 KiB pages and root record bytes as on every backend.

IndexedDB is asynchronous and the engine is not, so (PGlite's shape) there are
two asynchronous hooks and everything else is synchronous:

* ``load()`` reads every page into memory once (one readonly transaction);
  reads are then dictionary look-ups;
* ``commit()`` starts one readwrite transaction that puts only the changed
  pages plus the root record, and returns; ``flush()`` returns a promise that
  settles when that transaction has completed (``strict`` durability by
  default, so the data is on disk).  Atomicity is IndexedDB's: a transaction
  that aborts, or a tab killed before it completes, leaves the previous root
  and its pages.

Commits made while a transaction is still in flight are merged into the next
one (group commit): they complete together or not at all, in order.  If a
transaction fails (``QuotaExceededError``), every commit not yet durable is
undone in memory as well, ``flush()`` rejects, and the database reloads from
the last durable state (see ``Database.flush``); nothing durable is touched.

Only imported in Pyodide: ``js`` and ``pyodide`` are imported here, lazily.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import parse_qs

from ..errors import OperationalError
from ..store.format import PAGE_SIZE
from .base import Backend

_ZERO = bytes(PAGE_SIZE)

# One JavaScript call per operation: every Python->JS call costs ~1 us, every
# IndexedDB request far more, so the loops over pages run on the JS side.
_HELPERS = r"""
const toError = (e, what) => e instanceof Error || e instanceof DOMException ? e
  : new DOMException(String(e || what), "AbortError");
return {
  open(name) {
    return new Promise((resolve, reject) => {
      const r = indexedDB.open(name, 1);
      r.onupgradeneeded = () => r.result.createObjectStore("pages");
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
      r.onblocked = () => reject(new DOMException(
        "another connection is upgrading this IndexedDB database", "InvalidStateError"));
    });
  },
  loadAll(db) {
    return new Promise((resolve, reject) => {
      const tx = db.transaction("pages", "readonly");
      const s = tx.objectStore("pages");
      const k = s.getAllKeys(), v = s.getAll();
      tx.oncomplete = () => {
        const pgnos = [], pages = [];
        let root = undefined;   // undefined reaches Python as None (null would not)
        for (let i = 0; i < k.result.length; i++) {
          if (k.result[i] === "root") root = new Uint8Array(v.result[i]);
          else { pgnos.push(k.result[i]); pages.push(new Uint8Array(v.result[i])); }
        }
        resolve({ pgnos, pages, root });
      };
      tx.onabort = () => reject(toError(tx.error, "load aborted"));
    });
  },
  // Settles through ok()/err(): a promise handed to Python and back is not a Promise any more.
  commit(db, pgnos, data, root, durability, ok, err) {
    const tx = db.transaction("pages", "readwrite", { durability });
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(null);
      tx.onabort = () => { reject(toError(tx.error, "IndexedDB transaction aborted")); };
    });
    try {
      const s = tx.objectStore("pages");
      const hook = globalThis.__terndbIdbFault;     // tests only: throw from a put
      for (let i = 0; i < pgnos.length; i++) {
        if (hook) hook(pgnos[i]);
        s.put(data.slice(i * 4096, (i + 1) * 4096).buffer, pgnos[i]);
      }
      s.put(root.slice().buffer, "root");
    } catch (e) {
      try { tx.abort(); } catch (_) {}
      done.catch(() => {});
      throw e;
    }
    done.then(ok, err);
  },
  deferred() {
    let resolve, reject;
    const promise = new Promise((a, b) => { resolve = a; reject = b; });
    promise.catch(() => {});          // a flush nobody awaits must not be "unhandled"
    return { promise, resolve, reject };
  },
};
"""
_helpers: Any = None


def _js() -> Any:
    global _helpers
    if _helpers is None:
        import js  # type: ignore[import-not-found]
        _helpers = js.Function.new(_HELPERS)()
    return _helpers


def _to_u8(data: bytes) -> Any:
    import js  # type: ignore[import-not-found]
    arr = js.Uint8Array.new(len(data))
    arr.assign(data)
    return arr


def error_message(e: Any, name: str) -> str:
    """A clear message for an IndexedDB/OPFS failure (a DOMException or a JsException)."""
    kind = getattr(e, "name", None) or type(e).__name__
    msg = getattr(e, "message", None) or str(e)
    if kind == "QuotaExceededError" or "QuotaExceeded" in str(msg):
        return (f"database or disk is full: the browser's storage quota is used up "
                f"(QuotaExceededError) while committing to {name!r}; the commit was rolled back "
                "and earlier commits are intact")
    return f"disk I/O error: IndexedDB failed for {name!r}: {kind}: {msg}"


class _Batch:
    __slots__ = ("pages", "root", "undo", "old_root", "deferred")

    def __init__(self, old_root: Optional[bytes]):
        self.pages: dict[int, bytes] = {}
        self.root = b""
        self.undo: dict[int, Optional[bytes]] = {}
        self.old_root = old_root
        self.deferred: Any = None


class IDBBackend(Backend):
    """Pages and root record in one IndexedDB object store; commits are flushed asynchronously."""

    async_flush = True

    def __init__(self, location: str, readonly: bool = False):
        path, _, query = location.partition("?")
        if not path:
            raise OperationalError("idb:// needs a database name, e.g. idb://notes")
        opts = {k: v[-1] for k, v in parse_qs(query).items()}
        durability = opts.get("durability", "strict")
        if durability not in ("strict", "relaxed", "default"):
            raise OperationalError(f"idb://{location}: durability must be strict, relaxed or default")
        self.name = f"idb://{path}"
        self.dbname = f"terndb/{path}"
        self.durability = durability
        self.readonly = readonly
        self.pages: dict[int, bytes] = {}
        self.root: Optional[bytes] = None
        self.idb: Any = None
        self.loaded = False
        self._inflight: Optional[_Batch] = None
        self._queued: Optional[_Batch] = None
        self._failed: Optional[str] = None
        self._proxies: list[Any] = []

    # ------------------------------------------------------------------ loading

    async def load(self) -> None:
        if self.loaded:
            return
        h = _js()
        try:
            self.idb = await h.open(self.dbname)
            got = await h.loadAll(self.idb)
        except Exception as e:
            raise OperationalError(f"unable to open {self.name}: {error_message(e, self.name)}") from e
        pages = self.pages
        for pgno, page in zip(got.pgnos, got.pages):
            pages[int(pgno)] = page.to_bytes()
        self.root = got.root.to_bytes() if got.root is not None else None
        from pyodide.ffi import create_proxy  # type: ignore[import-not-found]
        self._ok = create_proxy(self._done)
        self._err = create_proxy(self._fail)
        self._proxies = [self._ok, self._err]
        self.loaded = True

    def _ensure_loaded(self) -> None:
        if self.loaded:
            return
        try:
            from pyodide.ffi import can_run_sync, run_sync  # type: ignore[import-not-found]
            if can_run_sync():
                run_sync(self.load())
                return
        except ImportError:
            pass
        raise OperationalError(
            f"{self.name} must be opened asynchronously: use `await terndb.connect_async(...)` "
            "(IndexedDB has no synchronous API)")

    # -------------------------------------------------------------------- reads

    def read_root(self) -> Optional[bytes]:
        self._ensure_loaded()
        return self.root

    def read_page(self, pgno: int) -> bytes:
        return self.pages.get(pgno, _ZERO)

    def size_pages(self) -> int:
        return max(self.pages, default=0) + 1

    # ------------------------------------------------------------------- commit

    def commit(self, pages: dict[int, bytes], root: bytes) -> None:
        if self.readonly:
            raise OperationalError(f"attempt to write a readonly database {self.name!r}")
        if self._failed is not None:
            raise OperationalError(f"{self._failed} (await the connection's flush() to reload)")
        if self._inflight is None:
            batch = _Batch(self.root)
            self._start(batch, pages, root)   # may raise: then nothing has changed
            self._inflight = batch
        elif self._queued is not None:
            batch = self._queued
        else:
            batch = self._queued = _Batch(self.root)
            batch.deferred = _js().deferred()
        undo = batch.undo
        mine = self.pages
        for pgno, data in pages.items():
            if pgno not in undo:
                undo[pgno] = mine.get(pgno)
            mine[pgno] = data
        batch.pages.update(pages)
        batch.root = root
        self.root = root

    def _start(self, batch: _Batch, pages: dict[int, bytes], root: bytes) -> None:
        pgnos = list(pages)
        import js  # type: ignore[import-not-found]
        try:
            _js().commit(self.idb, js.Int32Array.new(pgnos) if pgnos else js.Int32Array.new(0),
                         _to_u8(b"".join(pages[p] for p in pgnos)), _to_u8(root),
                         self.durability, self._ok, self._err)
        except Exception as e:
            raise OperationalError(error_message(e, self.name)) from e
        if batch.deferred is None:
            batch.deferred = _js().deferred()

    def _done(self, _: Any = None) -> None:
        batch = self._inflight
        self._inflight = None
        if batch is None:
            return
        nxt = self._queued
        self._queued = None
        if nxt is not None:
            try:
                self._start(nxt, nxt.pages, nxt.root)
                self._inflight = nxt
            except OperationalError as e:
                self._inflight = nxt
                batch.deferred.resolve(None)
                self._fail(e)
                return
        batch.deferred.resolve(None)

    def _fail(self, err: Any) -> None:
        msg = error_message(err, self.name) if not isinstance(err, OperationalError) else str(err)
        batches = [b for b in (self._inflight, self._queued) if b is not None]
        self._inflight = self._queued = None
        import js  # type: ignore[import-not-found]
        for b in reversed(batches):
            for pgno, old in b.undo.items():
                if old is None:
                    self.pages.pop(pgno, None)
                else:
                    self.pages[pgno] = old
            self.root = b.old_root
        for b in batches:
            b.deferred.reject(js.Error.new(msg))
        self._failed = msg

    def flush(self) -> Any:
        """A promise settled when every commit so far is durable, or None if nothing is pending."""
        last = self._queued or self._inflight
        if last is not None:
            return last.deferred.promise
        if self._failed is not None:
            import js  # type: ignore[import-not-found]
            return js.Promise.reject(js.Error.new(self._failed))
        return None

    @property
    def pending(self) -> bool:
        return self._inflight is not None

    def recover(self) -> None:
        """Forget a failed flush; the store is then reloaded from the durable state."""
        self._failed = None

    def close(self) -> None:
        if self.idb is not None:
            self.idb.close()
            self.idb = None
        for p in self._proxies:
            try:
                p.destroy()
            except Exception:
                pass
        self._proxies = []


def delete_database(name: str) -> Any:
    """A promise that deletes ``idb://name`` (tests and tools)."""
    import js  # type: ignore[import-not-found]
    return js.Function.new("n", """
      return new Promise((res, rej) => { const r = indexedDB.deleteDatabase(n);
        r.onsuccess = () => res(null); r.onerror = () => rej(r.error); });""")(f"terndb/{name}")
