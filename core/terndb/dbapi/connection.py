"""PEP 249 connections: statement cache, transactions, execution.

Transaction control mirrors :mod:`sqlite3`'s default ("legacy") mode: a write
statement opens a transaction implicitly, ``commit()``/``rollback()`` end it,
DDL outside a transaction commits on its own, and ``isolation_level=None``
means autocommit.  Every statement is atomic: a failing statement leaves no
partial writes, and the enclosing transaction stays open.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, Union

from .. import errors as E
from ..catalog.schema import Catalog, TableInfo, TriggerInfo
from ..engine import ChangeSet, Database, State, Txn, open_database
from ..exec import ddl
from ..exec.context import ExecContext
from ..exec.dml import RaiseIgnore
from ..exec.runtime import bind_value
from ..exec.statement import (DDL, OTHER, READ, TX, WRITE, Prepared, compile_const_expr,
                              compile_row_expr, compile_trigger_statement, compile_trigger_when,
                              prepare)
from ..btree.tree import Trees
from ..sql import ast as A
from ..sql.parser import parse, parse_one
from .cursor import Cursor

_CACHE_SIZE = 256


class Connection:
    """A connection to one TernDB database (PEP 249)."""

    # PEP 249 exposes the exception classes on the connection too.
    Warning = E.Warning
    Error = E.Error
    InterfaceError = E.InterfaceError
    DatabaseError = E.DatabaseError
    DataError = E.DataError
    OperationalError = E.OperationalError
    IntegrityError = E.IntegrityError
    InternalError = E.InternalError
    ProgrammingError = E.ProgrammingError
    NotSupportedError = E.NotSupportedError

    def __init__(self, db: Database, location: str, *, timeout: float = 5.0,
                 isolation_level: Optional[str] = "DEFERRED", check_same_thread: bool = True,
                 cached_statements: int = _CACHE_SIZE, readonly: bool = False):
        self._db: Optional[Database] = db
        self.location = location
        self.readonly = readonly
        self.timeout = timeout
        self._isolation_level = isolation_level
        self.row_factory: Optional[Callable[[Cursor, tuple], Any]] = None
        self.text_factory: Any = str
        self._check_thread = check_same_thread
        self._thread = threading.get_ident()
        self._cache: OrderedDict[str, Prepared] = OrderedDict()
        self._cache_size = cached_statements
        self._txn: Optional[Txn] = None
        self._explicit = False          # inside BEGIN ... COMMIT
        self._snap: Optional[State] = None
        self._savepoints: list[tuple[str, tuple, bool]] = []
        self._changes = 0
        self._total_changes = 0
        self._lastrowid: Optional[int] = None
        self._udfs: dict[str, tuple[Callable[..., Any], int, bool]] = {}
        self._aux: dict[tuple, Any] = {}
        self._rollback_requested = False
        self._temp_views: dict[str, Any] = {}      # CREATE TEMP VIEW: this connection only
        self._overlay: Optional[tuple[Catalog, int, Catalog]] = None
        self._precommitting = False

    # ------------------------------------------------------------- properties

    @property
    def db(self) -> Database:
        if self._db is None:
            raise E.ProgrammingError("Cannot operate on a closed database.")
        if self._check_thread and threading.get_ident() != self._thread:
            raise E.ProgrammingError(
                "TernDB objects created in a thread can only be used in that same thread; "
                "pass check_same_thread=False to share the connection (and serialize access)")
        return self._db

    @property
    def isolation_level(self) -> Optional[str]:
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Optional[str]) -> None:
        if value is not None and value.upper() not in ("", "DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError("isolation_level must be None, 'DEFERRED', 'IMMEDIATE' or 'EXCLUSIVE'")
        if value is None and self._txn is not None:
            self.commit()
        self._isolation_level = value

    @property
    def in_transaction(self) -> bool:
        return self._txn is not None or self._explicit

    @property
    def total_changes(self) -> int:
        return self._total_changes

    @property
    def closed(self) -> bool:
        return self._db is None

    def _catalog(self) -> Catalog:
        if self._txn is not None:
            return self._with_temp(self._txn.catalog)
        if self._snap is not None:
            return self._with_temp(self._snap.catalog)
        return self._with_temp(self.db.committed.catalog)

    def _with_temp(self, cat: Catalog) -> Catalog:
        """The catalog plus this connection's TEMP views (which shadow main objects)."""
        if not self._temp_views:
            return cat
        ov = self._overlay
        if ov is not None and ov[0] is cat and ov[1] == id(self._temp_views):
            return ov[2]
        merged = cat.copy()
        merged.views = {**cat.views, **self._temp_views}
        merged.temp_views = dict(self._temp_views)
        self._overlay = (cat, id(self._temp_views), merged)
        return merged

    # ------------------------------------------------------------------- API

    def cursor(self, factory: Optional[Callable[["Connection"], Cursor]] = None) -> Cursor:
        if self._db is None or (self._check_thread and threading.get_ident() != self._thread):
            self.db  # raises the right error
        return (factory or Cursor)(self)

    def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any]) -> Cursor:
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, script: str) -> Cursor:
        return self.cursor().executescript(script)

    def commit(self) -> None:
        self.db
        if self._precommitting:
            return      # a pre-commit hook's own statements join the committing transaction
        if self._txn is not None and self._db is not None and self._db.precommit:
            self._run_precommit(self._txn)
        if self._txn is not None:
            txn = self._txn
            self._txn = None
            self._end_transaction()
            txn.commit()
        else:
            self._end_transaction()

    async def flush(self) -> None:
        """Wait until this database's commits are durable.

        Only asynchronous backends (IndexedDB) need it: their ``commit()``
        returns once the writes are queued.  Elsewhere it returns at once.
        """
        await self.db.flush()

    async def commit_async(self) -> None:
        """``commit()``, then wait until the commit is durable."""
        self.commit()
        await self.db.flush()

    def _run_precommit(self, txn: Txn) -> None:
        """Let pre-commit hooks (sync's outbox) write into this transaction; a failing hook
        rolls the whole transaction back, so data never commits without its queue entry."""
        self._precommitting = True
        try:
            for hook in list(self.db.precommit):
                hook(self, txn)
        except BaseException:
            self._precommitting = False
            self.rollback()
            raise
        self._precommitting = False

    def transaction_changes(self) -> list:
        """The row changes of the open write transaction so far (empty when none is open or
        nothing records changes).  Live list: used by sync to cut per-transaction logs."""
        return self._txn.changes if self._txn is not None else []

    def sync(self, url: str, token: Any = None, **options: Any) -> Any:
        """One sync round with a TernDB server (push local transactions, pull changes).

        See :mod:`terndb.sync` and docs/SYNC.md; ``token`` is a string or a callable returning one.
        """
        from ..sync.client import sync_once
        return sync_once(self, url, token=token, **options)

    def rollback(self) -> None:
        self.db
        if self._txn is not None:
            txn = self._txn
            self._txn = None
            txn.rollback()
        self._end_transaction()

    def _end_transaction(self) -> None:
        self._explicit = False
        self._savepoints.clear()
        if self._snap is not None:
            self.db.store.unpin(self._snap.txid)
            self._snap = None

    def close(self) -> None:
        if self._db is None:
            return
        if self._txn is not None:
            self._txn.rollback()
            self._txn = None
        self._end_transaction()
        db = self._db
        self._db = None
        self._cache.clear()
        db.close_connection()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._db is None:
            return
        if exc_type is None:
            self.commit()
        else:
            self.rollback()

    def __del__(self) -> None:
        try:
            if self._db is not None and self._check_thread is False or (
                    self._db is not None and threading.get_ident() == self._thread):
                self.close()
        except Exception:
            pass

    def create_function(self, name: str, narg: int, func: Optional[Callable[..., Any]], *,
                        deterministic: bool = False) -> None:
        """Register a Python function callable from SQL (``func=None`` removes it)."""
        key = name.lower()
        if func is None:
            self._udfs.pop(key, None)
        else:
            def wrapper(*args: Any, _f: Callable[..., Any] = func, _n: str = name) -> Any:
                try:
                    result = _f(*args)
                except E.Error:
                    raise
                except Exception as e:
                    raise E.OperationalError(f"user-defined function {_n}() raised {type(e).__name__}: {e}") from e
                return bind_value(result, 0)
            self._udfs[key] = (wrapper, narg, deterministic)
        self._cache.clear()
        self._aux.clear()

    def interrupt(self) -> None:
        """Not supported: TernDB runs statements to completion."""

    def subscribe(self, callback: Callable[[ChangeSet], Any]) -> Callable[[], None]:
        """Receive every committed transaction of this database as a ChangeSet."""
        return self.db.feed.subscribe(callback)

    def stats(self) -> dict[str, int]:
        return self.db.store.stats()

    # ------------------------------------------------------------- compiling

    def _data_stamp(self) -> Any:
        txn = self._txn
        if txn is not None:
            return (id(txn), txn.statements >> 4)
        if self._snap is not None:
            return self._snap.txid
        return self._db.committed.txid  # type: ignore[union-attr]

    def _prepare(self, sql: str) -> Prepared:
        txn = self._txn
        if txn is not None:
            cat = txn.catalog
        elif self._snap is not None:
            cat = self._snap.catalog
        else:
            cat = self._db.committed.catalog  # type: ignore[union-attr]
        if self._temp_views:
            cat = self._with_temp(cat)
        p = self._cache.get(sql)
        if p is not None and p.catalog is cat:
            stamp = self._data_stamp()
            if p.stats_stamp == stamp or not p.stats or not self._stats_changed(p):
                p.stats_stamp = stamp
                return p
        try:
            parsed = parse_one(sql)
        except E.Error:
            raise
        if parsed.tail.strip():
            raise E.ProgrammingError("You can only execute one statement at a time.")
        if parsed.statement is None:
            p = Prepared(OTHER, None, sql, 0, [])
            return p
        p = self._compile(parsed, cat)
        if p.kind in (READ, WRITE):
            self._cache[sql] = p
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return p

    def _estimate(self, tree: int) -> float:
        """Rough row count of a table from the shape of its B-tree (no full scan)."""
        root = self._current_roots().get(tree, 0)
        if not root:
            return 1.0
        trees = Trees(self.db.cache)
        try:
            node = trees.node(root)
            if node.is_leaf:
                return float(max(1, len(node.keys)))
            depth = 1
            n = node
            while not n.is_leaf:
                n = trees.node(n.kids[0])  # type: ignore[union-attr]
                depth += 1
        except E.Error:
            return 1000.0
        return float(len(node.kids) * 64 ** (depth - 2) * max(1, len(n.keys)))  # type: ignore[union-attr]

    def _stats_changed(self, p: Prepared) -> bool:
        return any(_size_class(self._estimate(tree)) != cls for tree, cls in p.stats.items())

    def _compile(self, parsed: A.Parsed, cat: Catalog) -> Prepared:
        used: dict[int, int] = {}

        def estimate(t: TableInfo) -> float:
            n = self._estimate(t.tree)
            used[t.tree] = _size_class(n)
            return n
        try:
            p = prepare(parsed, cat, self._udfs, estimate)
            p.stats = used
            p.stats_stamp = self._data_stamp()
            return p
        except E.Error:
            raise
        except RecursionError as e:
            raise E.OperationalError("statement too complex (expression nesting too deep)") from e
        except SyntaxError as e:  # generated code failed to compile
            raise E.InternalError(f"internal compiler error for {parsed.sql!r}: {e}") from e

    def _current_seqs(self) -> dict:
        if self._txn is not None:
            return self._txn.seqs
        if self._snap is not None:
            return self._snap.seqs
        return self.db.committed.seqs

    def _current_roots(self) -> dict:
        if self._txn is not None:
            return self._txn.roots
        if self._snap is not None:
            return self._snap.roots
        return self.db.committed.roots

    def _compiled_checks(self, cat: Catalog, table: TableInfo) -> list:
        key = ("checks", id(cat), table.name.lower(), id(table))
        got = self._aux.get(key)
        if got is None:
            got = []
            for e in table.checks:
                text = _expr_text(table.sql, e)
                got.append((compile_row_expr(e, table, cat, table.sql), text))
            self._aux_put(key, got)
        return got

    def _compiled_defaults(self, cat: Catalog, table: TableInfo) -> list:
        key = ("defaults", id(cat), table.name.lower(), id(table))
        got = self._aux.get(key)
        if got is None:
            got = [compile_const_expr(c.default, cat, table.sql) if c.default is not None else None
                   for c in table.columns]
            self._aux_put(key, got)
        return got

    def _fast_inserter(self, cat: Catalog, table: TableInfo) -> Any:
        key = ("inserter", id(cat), table.name.lower(), id(table))
        got = self._aux.get(key)
        if got is None:
            from ..exec.rowcode import compile_inserter
            got = compile_inserter(table, self._compiled_checks(cat, table))
            self._aux_put(key, got)
        return got

    def _trigger_program(self, cat: Catalog, tr: TriggerInfo, table: TableInfo) -> tuple:
        key = ("trigger", id(cat), tr.name.lower(), id(table))
        got = self._aux.get(key)
        if got is None:
            when = compile_trigger_when(tr, table, cat, self._udfs)
            stmts = [compile_trigger_statement(s, tr, table, cat, self._udfs, tr.sql) for s in tr.body]
            got = (when, stmts)
            self._aux_put(key, got)
        return got

    def _aux_put(self, key: tuple, value: Any) -> None:
        if len(self._aux) > 512:
            self._aux.clear()
        self._aux[key] = value

    # ---------------------------------------------------------- transactions

    def _ensure_write(self) -> Txn:
        if self._txn is not None:
            return self._txn
        if self.readonly:
            raise E.OperationalError(f"attempt to write a readonly database: {self.location!r} "
                                     "was opened with readonly=True")
        db = self.db
        txn = db.begin(self.timeout, self)
        if self._snap is not None:
            if self._snap.txid != txn.base.txid:
                txn.rollback()
                raise E.OperationalError(
                    "database is locked: another connection committed after this transaction "
                    "started reading; roll back and retry the transaction")
            self.db.store.unpin(self._snap.txid)
            self._snap = None
        self._txn = txn
        return txn

    def _read_state(self) -> tuple[State, bool]:
        """The state a read sees, and whether the caller must pin it."""
        if self._txn is not None:
            return State(self._txn.base.txid, self._txn.catalog, self._txn.roots, self._txn.seqs), False
        if self._explicit:
            if self._snap is None:
                self._snap = self.db.committed
                self.db.store.pin(self._snap.txid)
            return self._snap, False
        return self.db.committed, True

    def _autocommit_after(self) -> None:
        """Commit an implicit transaction when the connection is in autocommit mode."""
        if self._isolation_level is None and not self._explicit and self._txn is not None \
                and not self._precommitting:
            self.commit()

    # ------------------------------------------------------------- execution

    def _execute(self, cur: Cursor, p: Prepared, params: tuple) -> Optional[Iterator[tuple]]:
        kind = p.kind
        if kind == READ:
            db = self._db
            assert db is not None and p.run is not None
            if self._txn is None and not self._explicit:
                state = db.committed
                db.store.pin(state.txid)
                cur._pin = (db.store, state.txid)
                return p.run(ExecContext(self, p.catalog or state.catalog, db.readers, state.roots, None),
                             params)
            state, _ = self._read_state()
            roots = state.roots
            if self._txn is not None:
                # The cursor must not see (or be broken by) later writes of this transaction.
                self._txn.new_epoch()
                roots = dict(roots)
            return p.run(ExecContext(self, p.catalog or state.catalog, db.readers, roots, None), params)
        if kind == WRITE:
            return self._execute_write(p, params)
        if kind == DDL:
            self._execute_ddl(p)
            return None
        if kind == TX:
            self._execute_tx(p.statement)
            return None
        return self._execute_other(cur, p, params)

    def _begin_implicit(self) -> Txn:
        if self._txn is None and not self._explicit and self._isolation_level is not None:
            return self._ensure_write()
        return self._ensure_write()

    def _execute_write(self, p: Prepared, params: tuple) -> Iterator[tuple]:
        txn = self._begin_implicit()
        txn.statements += 1
        mark = txn.mark() if p.needs_mark else None
        ctx = ExecContext(self, txn.catalog, txn.trees, txn.roots, txn)
        before = self._total_changes
        try:
            assert p.run is not None
            out = p.run(ctx, params)
        except BaseException as e:
            action = getattr(e, "conflict", "ABORT")
            if action == "ROLLBACK":
                self._total_changes = before
                self.rollback()
            elif action == "FAIL":
                # OR FAIL / RAISE(FAIL): keep what the statement did before the failing row.
                self._changes = ctx.changes
            else:
                self._total_changes = before
                if mark is not None:
                    txn.restore(mark)
            if self._isolation_level is None and not self._explicit and self._txn is not None:
                # Autocommit: the statement's own implicit transaction ends with it.
                if action == "FAIL":
                    self.commit()
                else:
                    self.rollback()
            if isinstance(e, RaiseIgnore):
                return iter(())
            if isinstance(e, RecursionError):
                raise E.OperationalError("statement too complex (recursion too deep)") from e
            raise
        self._changes = ctx.changes
        self._autocommit_after()
        return out

    def _execute_many(self, p: Prepared, seq: Iterable[Any], bind: Callable[[Any], tuple]) -> int:
        """executemany() of a compiled single-row INSERT: the loop runs in generated code."""
        txn = self._begin_implicit()
        txn.statements += 1
        ctx = ExecContext(self, txn.catalog, txn.trees, txn.roots, txn)
        try:
            assert p.run_many is not None
            n = p.run_many(ctx, seq, bind)
        finally:
            self._changes = ctx.changes
        self._autocommit_after()
        return n

    def _execute_ddl(self, p: Prepared) -> None:
        st = p.statement
        if isinstance(st, A.CreateView) and st.temporary:
            self._create_temp_view(st, p.sql)
            return
        if isinstance(st, A.Drop) and st.kind == "VIEW" and st.name.lower() in self._temp_views:
            views = dict(self._temp_views)
            del views[st.name.lower()]
            self._temp_views = views
            return
        own = self._txn is None and not self._explicit
        txn = self._ensure_write()
        mark = txn.mark()
        try:
            if isinstance(st, A.CreateTable):
                ddl.create_table(txn, st, p.sql, self._run_select_for_ddl)
            elif isinstance(st, A.CreateIndex):
                ddl.create_index(txn, st, p.sql)
            elif isinstance(st, A.CreateView):
                ddl.create_view(txn, st, p.sql, self._check_view)
            elif isinstance(st, A.CreateTrigger):
                ddl.create_trigger(txn, st, p.sql)
            elif isinstance(st, A.Drop):
                ddl.drop(txn, st, p.sql)
            elif isinstance(st, A.AlterTable):
                ddl.alter_table(txn, st, p.sql)
            elif isinstance(st, A.Reindex):
                cat = txn.catalog
                if st.name is not None and st.name.lower() not in cat.tables \
                        and st.name.lower() not in cat.indexes \
                        and st.name.upper() not in ("BINARY", "NOCASE", "RTRIM"):
                    raise E.ProgrammingError(f"unable to identify the object to be reindexed: {st.name}")
        except BaseException:
            txn.restore(mark)
            if own:
                self.rollback()
            raise
        if own:
            self.commit()

    def _create_temp_view(self, st: A.CreateView, sql: str) -> None:
        from ..catalog.schema import ViewInfo
        key = st.name.lower()
        if key in self._temp_views:
            if st.if_not_exists:
                return
            raise E.SQLError(f"view {st.name} already exists", sql, st.pos)
        views = dict(self._temp_views)
        views[key] = ViewInfo(st.name, st.select, st.columns, sql)
        self._temp_views = views      # a new dict: cached plans see a new catalog

    def _check_view(self, sel: A.Select, cat: Catalog) -> None:
        parsed = A.Parsed(sel, "", 0, [])
        prepare(parsed, cat, self._udfs)

    def _run_select_for_ddl(self, sel: A.Select) -> tuple[list[str], list, list]:
        txn = self._txn
        assert txn is not None
        p = prepare(A.Parsed(sel, "", 0, []), txn.catalog, self._udfs)
        ctx = ExecContext(self, txn.catalog, Trees(self.db.cache), dict(txn.roots), None)
        txn.new_epoch()
        assert p.run is not None
        rows = list(p.run(ctx, ()))
        from ..exec.select import Query
        comp_aff = []
        # Affinity of each result column, from a fresh compile (cheap; DDL is rare).
        from ..exec.statement import StatementCompiler
        sc = StatementCompiler(txn.catalog, "")
        q: Query = sc.query(sel, None)
        comp_aff = [m.affinity for m in q.metas]
        return p.names, comp_aff, rows

    def _execute_tx(self, st: Any) -> None:
        if isinstance(st, A.Begin):
            if self._explicit or self._txn is not None:
                if self._txn is not None and not self._explicit and self._isolation_level is not None:
                    raise E.OperationalError("cannot start a transaction within a transaction")
                raise E.OperationalError("cannot start a transaction within a transaction")
            self._explicit = True
            if st.mode in ("IMMEDIATE", "EXCLUSIVE"):
                self._ensure_write()
        elif isinstance(st, A.Commit):
            if not self.in_transaction:
                raise E.OperationalError("cannot commit - no transaction is active")
            self.commit()
        elif isinstance(st, A.Rollback):
            if st.savepoint is None:
                if not self.in_transaction:
                    raise E.OperationalError("cannot rollback - no transaction is active")
                self.rollback()
                return
            name = st.savepoint.lower()
            idx = self._find_savepoint(name)
            _, mark, _ = self._savepoints[idx]
            del self._savepoints[idx + 1:]
            if self._txn is not None and mark is not None:
                self._txn.restore(mark)
                # Keep the savepoint; take a fresh mark so it can be rolled back to again.
                self._savepoints[idx] = (self._savepoints[idx][0], self._txn.mark(), self._savepoints[idx][2])
        elif isinstance(st, A.Savepoint):
            started = not self.in_transaction
            if started:
                self._explicit = True
            txn = self._ensure_write()
            self._savepoints.append((st.name.lower(), txn.mark(), started))
        elif isinstance(st, A.Release):
            idx = self._find_savepoint(st.name.lower())
            started = self._savepoints[idx][2]
            del self._savepoints[idx:]
            if started:
                self.commit()

    def _find_savepoint(self, name: str) -> int:
        for i in range(len(self._savepoints) - 1, -1, -1):
            if self._savepoints[i][0] == name:
                return i
        raise E.OperationalError(f"no such savepoint: {name}")

    def _execute_other(self, cur: Cursor, p: Prepared, params: tuple) -> Optional[Iterator[tuple]]:
        st = p.statement
        if st is None:
            return None
        if isinstance(st, A.Pragma):
            from .pragma import run_pragma
            rows, names = run_pragma(self, st)
            cur._names = names
            return iter(rows)
        if isinstance(st, (A.Vacuum, A.Analyze)):
            return None
        raise E.NotSupportedError(f"statement not supported: {type(st).__name__}")


def _size_class(n: float) -> int:
    """Table size buckets (factor 8); a plan is redone when a table changes bucket."""
    c = 0
    while n >= 8 and c < 12:
        n /= 8
        c += 1
    return c


def _expr_text(sql: str, e: A.Expr) -> str:
    from ..exec.compiler import walk
    # The CHECK's own text is not kept by the parser; show the table's expression names.
    pos = [getattr(n, "pos", 0) for n in walk(e) if getattr(n, "pos", 0)]
    if pos:
        start = min(pos)
        # Walk back to the opening parenthesis of CHECK(
        i = sql.rfind("CHECK", 0, start)
        if i < 0:
            i = sql.upper().rfind("CHECK", 0, start)
        j = sql.find("(", i) if i >= 0 else -1
        if j >= 0:
            depth = 0
            for k in range(j, len(sql)):
                if sql[k] == "(":
                    depth += 1
                elif sql[k] == ")":
                    depth -= 1
                    if depth == 0:
                        return sql[j + 1:k].strip()
    return "CHECK"
