"""Database state, snapshots and write transactions.

One :class:`Database` exists per storage location in a process and is shared by
every connection to it.  A committed :class:`State` (catalog + tree roots) is
immutable; readers take the current one as their snapshot.  A :class:`Txn` is
the single writer: it works on a private copy of the state and publishes a new
committed state when it commits, then delivers its change set to subscribers
of the change feed.
"""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .btree.tree import NodeCache, Root, Trees
from .catalog.schema import Catalog
from .errors import DatabaseError, OperationalError
from .store import codec
from .store.pager import Store
from .vfs.base import Backend

_epochs = itertools.count(1)


def next_epoch() -> int:
    return next(_epochs)


class State:
    """A database version: catalog, tree roots and AUTOINCREMENT counters."""

    __slots__ = ("txid", "catalog", "roots", "seqs")

    def __init__(self, txid: int, catalog: Catalog, roots: dict[int, Any], seqs: dict[int, int]):
        self.txid = txid
        self.catalog = catalog
        self.roots = roots
        self.seqs = seqs


@dataclass(slots=True)
class Change:
    """One row change inside a committed transaction."""

    table: str
    op: str                         # "insert", "update" or "delete"
    rowid: int
    columns: tuple[str, ...]        # changed columns (all columns for insert/delete)
    new: Optional[tuple]            # full new row (insert/update)
    old: Optional[tuple]            # full old row (update/delete)


@dataclass(slots=True)
class ChangeSet:
    """Everything one transaction committed, in statement order."""

    txid: int
    changes: list[Change]
    schema_changed: bool = False
    tables: frozenset = field(default_factory=frozenset)


class ChangeFeed:
    """Delivers each committed transaction's ChangeSet to subscribers, in commit order."""

    def __init__(self) -> None:
        self._subs: dict[int, Callable[[ChangeSet], Any]] = {}
        self._ids = itertools.count(1)

    @property
    def active(self) -> bool:
        return bool(self._subs)

    def subscribe(self, callback: Callable[[ChangeSet], Any]) -> Callable[[], None]:
        """Call ``callback(changeset)`` after every commit; returns an unsubscribe function."""
        sid = next(self._ids)
        self._subs[sid] = callback

        def unsubscribe() -> None:
            self._subs.pop(sid, None)
        return unsubscribe

    def publish(self, cs: ChangeSet) -> None:
        errors = []
        for cb in list(self._subs.values()):
            try:
                cb(cs)
            except Exception as e:  # a subscriber must not break the committer
                errors.append(e)
        if errors:
            import warnings
            warnings.warn(f"change feed subscriber failed: {errors[0]!r}", RuntimeWarning, stacklevel=3)


class Database:
    """Shared per-location state: store, node cache, committed state, writer lock."""

    def __init__(self, backend: Backend, key: Optional[str] = None):
        self.key = key
        self.backend = backend
        try:
            self._open(backend)
        except BaseException:
            backend.close()   # a failed open must not keep the file (or its lock)
            raise

    def _open(self, backend: Backend) -> None:
        self.store = Store(backend)
        self.cache = NodeCache(self.store)
        self.readers = Trees(self.cache, -2)   # shared read-only tree access
        self.write_lock = threading.Lock()
        self.writer: Optional["Txn"] = None
        self.feed = ChangeFeed()
        # Called as hook(connection, txn) just before a connection commits, inside the
        # transaction: sync appends its outbox rows here so data and queue entry commit
        # together.  While the list is non-empty every write transaction records changes.
        self.precommit: list[Callable[[Any, "Txn"], None]] = []
        self.connections = 0
        self.committed = self._load_state()

    def _load_state(self) -> State:
        meta = self.store.meta
        if not meta:
            return State(self.store.txid, Catalog(), {}, {})
        try:
            schema = codec.decode(self.store.read_blob(meta["schema"]), "schema")
            roots_rec = codec.decode(self.store.read_blob(meta["roots"]), "tree roots")
            catalog = Catalog.from_records(schema)
            roots = {int(k): int(v) for k, v in roots_rec["roots"].items()}
            seqs = {int(k): int(v) for k, v in roots_rec["seqs"].items()}
        except DatabaseError:
            raise
        except Exception as e:
            raise DatabaseError(f"database disk image is malformed: cannot read the schema of "
                                f"{self.store.name!r} ({e})") from e
        return State(self.store.txid, catalog, dict(roots), seqs)

    def snapshot(self) -> State:
        return self.committed

    def reset(self) -> None:
        """Reload the committed state from the backend, after an asynchronous flush failed.

        The in-memory state already showed the failed commit; the backend has
        reverted to its last durable state, so everything is rebuilt from there.
        """
        self.store = Store(self.backend)
        self.cache = NodeCache(self.store)
        self.readers = Trees(self.cache, -2)
        self.committed = self._load_state()
        if self.writer is not None:
            # A transaction open across the failed flush was built on state that is gone.
            self.writer.stale = True

    async def flush(self) -> None:
        """Wait until every commit so far is durable (backends with ``async_flush``).

        A failed flush loses only the commits it covered: the backend reverts to
        its last durable state and this database reloads from it.
        """
        pending = self.backend.flush()
        if pending is None:
            return
        try:
            await pending
        except Exception as e:    # (a cancelled wait is not a failed commit)
            recover = getattr(self.backend, "recover", None)
            if recover is not None:
                recover()
            self.reset()
            if isinstance(e, DatabaseError):
                raise
            raise OperationalError(f"disk I/O error: commit to {self.store.name!r} failed: {e}") from e

    def begin(self, timeout: float, owner: Any) -> "Txn":
        """Become the writer, waiting up to ``timeout`` seconds for another writer."""
        if not self.write_lock.acquire(timeout=max(timeout, 0) if timeout >= 0 else -1):
            raise OperationalError("database is locked: another connection is writing; "
                                   "retry, or raise the connection's timeout")
        try:
            txn = Txn(self, self.committed, owner)
            self.store.begin()
        except BaseException:
            self.write_lock.release()
            raise
        self.writer = txn
        return txn

    def close_connection(self) -> None:
        self.connections -= 1
        if self.connections <= 0:
            _registry_drop(self)
            self.store.close()


class Txn:
    """The writer's private state between BEGIN and COMMIT/ROLLBACK."""

    def __init__(self, db: Database, base: State, owner: Any):
        self.db = db
        self.base = base
        self.owner = owner
        self.catalog = base.catalog
        self.roots: dict[int, Root] = dict(base.roots)
        self.seqs: dict[int, int] = dict(base.seqs)
        self.trees = Trees(db.cache, next_epoch())
        self.changes: list[Change] = []
        self.record = db.feed.active or bool(db.precommit)
        self.touched: set[str] = set()
        self.statements = 0
        self.done = False
        self.stale = False              # set when Database.reset() replaced its base state

    # ---------------------------------------------------- statement atomicity

    def mark(self) -> tuple:
        """A point to return to: used per statement and per SAVEPOINT."""
        self.trees.epoch = next_epoch()
        return (self.catalog, dict(self.roots), dict(self.seqs), len(self.trees.freed),
                len(self.changes), set(self.touched))

    def restore(self, mark: tuple) -> None:
        catalog, roots, seqs, nfreed, nchanges, touched = mark
        self.catalog = catalog
        # In place: writers and contexts hold these dicts.
        self.roots.clear()
        self.roots.update(roots)
        self.seqs.clear()
        self.seqs.update(seqs)
        del self.trees.freed[nfreed:]
        del self.changes[nchanges:]
        self.touched = touched
        self.trees.epoch = next_epoch()

    def new_epoch(self) -> None:
        """Readers are about to hold the current trees: copy before changing them."""
        self.trees.epoch = next_epoch()

    # ------------------------------------------------------------------ commit

    def commit(self) -> int:
        db = self.db
        if self.stale:
            self.rollback()
            raise OperationalError("the transaction was rolled back: an earlier commit it built "
                                   "on failed to become durable (see the error that reported it)")
        store = db.store
        catalog = self.catalog
        kinds = catalog.tree_kinds()
        try:
            new_roots: dict[int, int] = {}
            for tid, root in self.roots.items():
                if tid not in kinds:
                    continue
                new_roots[tid] = self.trees.persist(root, kinds[tid], store) if root else 0
            for ref in self.trees.freed:
                db.cache.forget(ref)
                store.free_blob(ref)
            meta = dict(store.meta)
            if catalog is not self.base.catalog or "schema" not in meta:
                if "schema" in meta:
                    store.free_blob(meta["schema"])
                meta["schema"] = store.write_blob(codec.encode(catalog.to_records()))
            changed = new_roots != self.base.roots or self.seqs != self.base.seqs or "roots" not in meta
            if changed:
                if "roots" in meta:
                    store.free_blob(meta["roots"])
                meta["roots"] = store.write_blob(codec.encode(
                    {"roots": {str(k): v for k, v in new_roots.items()},
                     "seqs": {str(k): v for k, v in self.seqs.items()}}))
            store.meta = meta
            txid = store.commit()
        except BaseException:
            # Nodes persisted for this attempt carry refs that were never
            # committed; drop every cached node rather than trust them.
            db.cache.clear()
            self._finish()
            store.rollback()
            raise
        db.committed = State(txid, catalog, dict(new_roots), dict(self.seqs))
        changes = self.changes
        schema_changed = catalog is not self.base.catalog
        self._finish()
        if db.feed.active and (changes or schema_changed):
            db.feed.publish(ChangeSet(txid, changes, schema_changed, frozenset(self.touched)))
        return txid

    def rollback(self) -> None:
        if self.done:
            return
        self.db.store.rollback()
        self._finish()

    def _finish(self) -> None:
        if not self.done:
            self.done = True
            self.db.writer = None
            self.db.write_lock.release()


# --------------------------------------------------------------- registry

_registry: dict[str, "weakref.ReferenceType[Database]"] = {}
_registry_lock = threading.Lock()


def open_database(key: Optional[str], make_backend: Callable[[], Backend],
                  readonly: bool = False) -> Database:
    """The shared Database for ``key`` (a normalized location), opening it if needed."""
    with _registry_lock:
        if key is not None:
            ref = _registry.get(key)
            db = ref() if ref is not None else None
            if db is not None:
                if db.backend.readonly and not readonly:
                    # Opened read-only so far; this connection wants to write.
                    upgrade = getattr(db.backend, "upgrade", None)
                    if upgrade is not None:
                        upgrade()
                db.connections += 1
                return db
        db = Database(make_backend(), key)
        db.connections = 1
        if key is not None:
            _registry[key] = weakref.ref(db)
        return db


async def open_database_async(key: Optional[str], make_backend: Callable[[], Backend],
                              readonly: bool = False) -> Database:
    """Like :func:`open_database`, first awaiting the backend's ``load()`` (IndexedDB, OPFS)."""
    with _registry_lock:
        ref = _registry.get(key) if key is not None else None
        if ref is not None and ref() is not None:
            backend = None
        else:
            backend = make_backend()
    if backend is None:
        return open_database(key, make_backend, readonly)
    try:
        await backend.load()
    except BaseException:
        backend.close()
        raise
    db = open_database(key, lambda: backend, readonly)
    if db.backend is not backend:   # another open of the same key won the race
        backend.close()
    return db


def _registry_drop(db: Database) -> None:
    with _registry_lock:
        if db.key is not None:
            ref = _registry.get(db.key)
            if ref is not None and ref() is db:
                del _registry[db.key]


def wait_time(start: float, timeout: float) -> float:
    return max(0.0, timeout - (time.monotonic() - start))
