"""The per-execution context that generated code receives as ``_ctx``.

It exposes the snapshot being read (``trees``, ``roots``), and for writes the
transaction and the services DML needs: table writers, trigger firing,
compiled CHECK/DEFAULT expressions.  Compiled trigger programs are cached on
the connection, keyed by catalog identity.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

from ..btree.tree import Trees
from ..catalog.schema import Catalog, TableInfo, TriggerInfo
from ..engine import Change, Txn
from ..errors import IntegrityError, OperationalError
from .dml import RaiseIgnore, TableWriter, Upsert

MAX_TRIGGER_DEPTH = 1000


class ExecContext:
    """What one statement execution can see and do."""

    __slots__ = ("trees", "roots", "catalog", "txn", "conn", "changes", "writers",
                 "trigger_depth", "active_triggers", "recursive_replace_triggers", "top_level")

    def __init__(self, conn: Any, catalog: Catalog, trees: Trees, roots: dict, txn: Optional[Txn]):
        self.conn = conn
        self.catalog = catalog
        self.trees = trees
        self.roots = roots
        self.txn = txn
        self.changes = 0
        self.writers: dict[int, TableWriter] = {}
        self.trigger_depth = 0
        self.active_triggers: set[str] = set()
        self.recursive_replace_triggers = False
        self.top_level = True

    # ------------------------------------------------------------ functions

    def conn_changes(self) -> int:
        return self.conn._changes

    def conn_total_changes(self) -> int:
        return self.conn._total_changes

    def conn_last_insert_rowid(self) -> int:
        return self.conn._lastrowid or 0

    def raise_(self, action: str, message: Any) -> Any:
        if action == "IGNORE":
            raise RaiseIgnore()
        msg = message if isinstance(message, str) else str(message)
        e = IntegrityError(msg)
        e.conflict = action  # type: ignore[attr-defined]
        raise e

    def sequence_rows(self) -> Iterator[tuple]:
        """sqlite_sequence: (table, highest rowid used) for AUTOINCREMENT tables."""
        seqs = self.txn.seqs if self.txn is not None else self.conn._current_seqs()
        for t in self.catalog.tables.values():
            if t.autoincrement and t.tree in seqs:
                yield (t.name, seqs[t.tree])

    def temp_master_rows(self) -> Iterator[tuple]:
        for v in self.catalog.temp_views.values():
            yield ("view", v.name, v.name, 0, v.sql)

    def master_rows(self) -> Iterator[tuple]:
        cat = self.catalog
        sequence_shown = False
        for kind, key in cat.order:
            if kind == "table":
                t = cat.tables[key]
                yield ("table", t.name, t.name, t.tree, t.sql)
                if t.autoincrement and not sequence_shown:
                    sequence_shown = True
                    yield ("table", "sqlite_sequence", "sqlite_sequence", 0,
                           "CREATE TABLE sqlite_sequence(name,seq)")
                for ix in t.indexes:
                    if ix.sql is None and not (t.without_rowid and ix.origin == "pk"):
                        yield ("index", ix.name, t.name, ix.tree, None)
            elif kind == "index":
                ix = cat.indexes[key]
                yield ("index", ix.name, ix.table, ix.tree, ix.sql)
            elif kind == "view":
                v = cat.views[key]
                if key in cat.temp_views and cat.temp_views[key] is v:
                    continue
                yield ("view", v.name, v.name, 0, v.sql)
            elif kind == "trigger":
                tr = cat.triggers[key]
                yield ("trigger", tr.name, tr.table, 0, tr.sql)

    # --------------------------------------------------------------- writes

    def writer(self, table: TableInfo) -> TableWriter:
        if self.txn is None:
            raise OperationalError("internal error: write outside a transaction")
        # The table definition may have changed since compile (ALTER in the same txn).
        current = self.catalog.tables.get(table.name.lower(), table)
        w = self.writers.get(current.tree)
        if w is None or w.table is not current:
            w = self.writers[current.tree] = TableWriter(self, current)
        return w

    def finish_writer(self, w: TableWriter) -> None:
        if self.top_level:
            self.changes = w.count

    def row_changed(self) -> None:
        self.conn._total_changes += 1

    def upsert(self, target: Optional[list[int]], action: Optional[Callable[..., Any]],
               table: TableInfo) -> Upsert:
        return Upsert(target, action, table)

    def truncate(self, w: TableWriter) -> None:
        """DELETE without WHERE, triggers or feed: drop every node at once."""
        txn = self.txn
        assert txn is not None
        n = txn.trees.count(txn.roots.get(w.tree, 0))
        txn.trees.drop(txn.roots.get(w.tree, 0))
        txn.roots[w.tree] = 0
        for ix in w.table.indexes:
            txn.trees.drop(txn.roots.get(ix.tree, 0))
            txn.roots[ix.tree] = 0
        txn.touched.add(w.table.name)
        w.count += n
        self.conn._total_changes += n

    def fast_inserter(self, w: TableWriter) -> Optional[Callable[[list], int]]:
        from .rowcode import eligible
        if not eligible(w.table, bool(w.triggers)):
            return None
        make = self.conn._fast_inserter(self.catalog, w.table)
        return make(w)

    def compiled_checks(self, table: TableInfo) -> list[tuple[Callable[[list, int], Any], str]]:
        return self.conn._compiled_checks(self.catalog, table)

    def compiled_defaults(self, table: TableInfo) -> list[Any]:
        return self.conn._compiled_defaults(self.catalog, table)

    def triggers_of(self, table: TableInfo) -> dict[tuple[str, str], list[TriggerInfo]]:
        if not self.catalog.triggers:
            return {}
        out: dict[tuple[str, str], list[TriggerInfo]] = {}
        key = table.name.lower()
        for tr in self.catalog.triggers.values():
            if tr.table.lower() == key and tr.timing in ("BEFORE", "AFTER"):
                out.setdefault((tr.event, tr.timing), []).append(tr)
        return out

    def fire(self, triggers: list[TriggerInfo], old: Optional[tuple], new: Optional[tuple],
             old_rowid: Any, new_rowid: Any, table: TableInfo) -> bool:
        """Run triggers for one row; False when RAISE(IGNORE) asks to skip the row."""
        params = (old, new, old_rowid, new_rowid)
        for tr in triggers:
            if tr.name in self.active_triggers:
                continue  # recursive_triggers is off, as in SQLite by default
            prog = self.conn._trigger_program(self.catalog, tr, table)
            when, stmts = prog
            if when is not None and not when(self, params):
                continue
            if self.trigger_depth >= MAX_TRIGGER_DEPTH:
                raise OperationalError("too many levels of trigger recursion")
            self.trigger_depth += 1
            self.active_triggers.add(tr.name)
            saved_top = self.top_level
            self.top_level = False
            try:
                for fn in stmts:
                    for _ in fn(self, params):
                        pass
            except RaiseIgnore:
                return False
            finally:
                self.trigger_depth -= 1
                self.active_triggers.discard(tr.name)
                self.top_level = saved_top
        return True
