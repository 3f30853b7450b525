"""Row writes: constraints, conflict resolution, index maintenance, triggers.

A :class:`TableWriter` applies one statement's changes to one table inside a
write transaction.  Every check that can fail (NOT NULL, CHECK, UNIQUE) runs
before the row is written, so a failing row leaves nothing behind; a failing
multi-row statement is undone by the transaction's statement mark.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..btree.tree import Trees
from ..catalog.schema import IndexInfo, TableInfo
from ..engine import Change, Txn
from ..errors import DataError, IntegrityError, OperationalError
from . import runtime as R
from .helpers import index_key, rowid_key
from .runtime import AFFINITY_FUNCS, MAX_INT


class RaiseIgnore(Exception):
    """RAISE(IGNORE) inside a trigger: skip the current row."""


def make_new_rowid(trees: Trees, root: Any, seq: Optional[int]) -> int:
    """SQLite's new rowid: one more than the largest (1 for an empty table); with
    AUTOINCREMENT (``seq`` given) never below the highest rowid ever used."""
    top = trees.max_key(root)
    base = top if top is not None else 0
    if seq is not None and seq > base:
        base = seq
    if base >= MAX_INT:
        import random
        for _ in range(100):
            k = random.randint(1, MAX_INT)
            if not trees.contains(root, k):
                return k
        raise OperationalError("database or disk is full: no free rowid")
    return base + 1


class TableWriter:
    """Writes rows of one table for one statement execution."""

    def __init__(self, ctx: Any, table: TableInfo):
        self.ctx = ctx
        self.txn: Txn = ctx.txn
        self.trees: Trees = ctx.txn.trees
        self.table = table
        self.tree = table.tree
        self.affs = [AFFINITY_FUNCS[c.affinity] for c in table.columns]
        self.not_null = [i for i, c in enumerate(table.columns) if c.not_null]
        self.ipk = table.ipk
        self.names = tuple(c.name for c in table.columns)
        self.indexes = table.indexes
        self.unique = [ix for ix in table.indexes if ix.unique]
        self.checks: list[tuple[Callable[[list, int], Any], str]] = ctx.compiled_checks(table)
        self.defaults: list[Callable[[], Any]] = ctx.compiled_defaults(table)
        self.triggers = ctx.triggers_of(table)
        self.record = self.txn.record
        self.changes = self.txn.changes
        self.count = 0
        self.last_rowid: Optional[int] = None
        self.on_row: Optional[Callable[[int, list], Any]] = None   # RETURNING hook
        self.put: Callable[[list], Optional[int]] = ctx.fast_inserter(self) or self._put_generic

    def _put_generic(self, row: list) -> Optional[int]:
        return self.insert(row, "", None, False)

    def full_error(self) -> OperationalError:
        """AUTOINCREMENT out of rowids: SQLITE_FULL, which rolls back the transaction."""
        e = OperationalError(f"database or disk is full: AUTOINCREMENT table {self.table.name} "
                             "has used the largest possible rowid")
        e.conflict = "ROLLBACK"  # type: ignore[attr-defined]
        return e

    def random_rowid(self) -> int:
        return make_new_rowid(self.trees, self.txn.roots.get(self.tree, 0), MAX_INT)

    # ---------------------------------------------------------------- helpers

    def _fail(self, what: str, cols: str, action: str = "ABORT") -> IntegrityError:
        """The constraint error; ``conflict`` tells the connection how much to undo:
        ABORT the statement, FAIL keeps its earlier rows, ROLLBACK ends the transaction."""
        e = IntegrityError(f"{what} constraint failed: {cols}")
        e.conflict = action  # type: ignore[attr-defined]
        return e

    def _index_entries(self, row: list, rowid: int) -> list[tuple[IndexInfo, list]]:
        out = []
        for ix in self.indexes:
            vals = [rowid if c < 0 else row[c] for c in ix.columns]
            out.append((ix, index_key(vals, ix.collations, rowid)))
        return out

    def _find_unique_conflict(self, ix: IndexInfo, key: list, rowid: int) -> Optional[int]:
        """Rowid of another row with the same unique key, if any (NULLs never conflict)."""
        prefix = key[:-1]
        for j in range(0, len(prefix), 2):
            if prefix[j] == 0:
                return None
        root = self.txn.roots.get(ix.tree, 0)
        if not root:
            return None
        for leaf, i in self.trees.seek(root, prefix):
            keys = leaf.keys
            while i < len(keys):
                k = keys[i]
                if k[:-1] != prefix:
                    return None
                if k[-1] != rowid:
                    return k[-1]
                i += 1
        return None

    def _unique_desc(self, ix: IndexInfo) -> str:
        if ix.origin == "pk" or ix.origin == "u" or True:
            return ", ".join(f"{self.table.name}.{self.table.columns[c].name}" if c >= 0
                             else f"{self.table.name}.rowid" for c in ix.columns)

    def _check_row(self, row: list, rowid: Any, conflict: str) -> bool:
        """NOT NULL and CHECK; False means skip the row (IGNORE).

        ``conflict`` is the statement's OR clause, or "" to use each constraint's own.
        """
        for i in self.not_null:
            if row[i] is None:
                action = conflict or self.table.columns[i].not_null_conflict
                if action == "IGNORE":
                    return False
                if action == "REPLACE":
                    d = self.defaults[i]() if self.defaults[i] is not None else None
                    if d is not None:
                        row[i] = self.affs[i](d)
                        continue
                raise self._fail("NOT NULL", f"{self.table.name}.{self.table.columns[i].name}", action)
        for fn, text in self.checks:
            r = fn(row, rowid)
            if r is not None and not R.is_true(r):
                action = conflict or "ABORT"
                if action == "IGNORE":
                    return False
                raise self._fail("CHECK", text, action)
        return True

    def _write_indexes(self, entries: list[tuple[IndexInfo, list]]) -> None:
        roots = self.txn.roots
        trees = self.trees
        for ix, key in entries:
            roots[ix.tree] = trees.insert(roots.get(ix.tree, 0), key, None, True)

    def _delete_indexes(self, row: list, rowid: int) -> None:
        roots = self.txn.roots
        trees = self.trees
        for ix, key in self._index_entries(row, rowid):
            try:
                roots[ix.tree] = trees.delete(roots.get(ix.tree, 0), key)
            except KeyError:
                raise IntegrityError(f"database disk image is malformed: index {ix.name} "
                                     f"lacks an entry for rowid {rowid}") from None

    def get(self, rowid: int) -> Optional[list]:
        return self.trees.get(self.txn.roots.get(self.tree, 0), rowid)

    # ------------------------------------------------------------------ insert

    def insert(self, row: list, conflict: str = "", upsert: Any = None,
               count: bool = True, rowid: Any = None) -> Optional[int]:
        """Insert one full row (column order, before affinity); return its rowid or None if skipped."""
        t = self.table
        affs = self.affs
        for i, v in enumerate(row):
            if v is not None:
                row[i] = affs[i](v)
        ipk = self.ipk
        roots = self.txn.roots
        root = roots.get(self.tree, 0)
        if rowid is not None:
            # An explicit rowid for a table without INTEGER PRIMARY KEY.
            k = rowid_key(R.apply_numeric(rowid))
            if k is None:
                raise DataError(f"datatype mismatch: rowid of {t.name} must be an integer, not {rowid!r}")
            rowid = k
        elif ipk is not None and row[ipk] is not None:
            rowid = row[ipk]
            if type(rowid) is not int:
                k = rowid_key(rowid) if type(rowid) is float else None
                if k is None:
                    raise DataError(f"datatype mismatch: INTEGER PRIMARY KEY {t.name}.{t.columns[ipk].name} "
                                    f"must be an integer, not {rowid!r}")
                rowid = row[ipk] = k
        else:
            rowid = None
        trig = self.triggers
        if trig and trig.get(("INSERT", "BEFORE")):
            if rowid is None:
                rowid_for_trigger = -1
            else:
                rowid_for_trigger = rowid
            if not self.ctx.fire(trig[("INSERT", "BEFORE")], None, self._full(row, rowid_for_trigger),
                                 None, rowid_for_trigger, self.table):
                return None
            root = roots.get(self.tree, 0)
        if rowid is None:
            seq = self.txn.seqs.get(self.tree, 0)
            if t.autoincrement and max(seq, self.trees.max_key(root) or 0) >= MAX_INT:
                raise self.full_error()
            rowid = make_new_rowid(self.trees, root, seq if t.autoincrement else None)
            if ipk is not None:
                row[ipk] = rowid
        if not self._check_row(row, rowid, conflict):
            return None
        # Rowid conflict.
        existing = self.trees.get(root, rowid)
        if existing is not None:
            action = conflict or (t.ipk_conflict if ipk is not None else "ABORT")
            clause = upsert.matches_rowid() if upsert is not None else None
            if clause is not None:
                return clause.apply(self, rowid, existing, row)
            if action == "IGNORE":
                return None
            if action == "REPLACE":
                self.delete(rowid, existing, replace=True)
                root = roots.get(self.tree, 0)
            else:
                col = t.columns[ipk].name if ipk is not None else "rowid"
                raise self._fail("UNIQUE", f"{t.name}.{col}", action)
        entries = self._index_entries(row, rowid)
        for ix, key in entries:
            if not ix.unique:
                continue
            other = self._find_unique_conflict(ix, key, rowid)
            if other is None:
                continue
            clause = upsert.matches_index(ix) if upsert is not None else None
            if clause is not None:
                return clause.apply(self, other, self.get(other), row)
            action = conflict or ix.conflict
            if action == "IGNORE":
                return None
            if action == "REPLACE":
                self.delete(other, self.get(other), replace=True)
                continue
            raise self._fail("UNIQUE", self._unique_desc(ix), action)
        roots[self.tree] = self.trees.insert(roots.get(self.tree, 0), rowid, row)
        self._write_indexes(entries)
        if t.autoincrement and rowid > self.txn.seqs.get(self.tree, 0):
            self.txn.seqs[self.tree] = rowid
        self.txn.touched.add(t.name)
        if self.record:
            full = tuple(row)
            self.changes.append(Change(t.name, "insert", rowid, self.names, full, None))
        if count:
            if self.ctx.top_level:
                self.count += 1
                # Like sqlite3_last_insert_rowid(): set per row, kept even if the
                # statement fails later.
                self.ctx.conn._lastrowid = self.last_rowid = rowid
            self.ctx.row_changed()
        if self.on_row is not None and self.ctx.top_level:
            self.on_row(rowid, row)
        if trig and trig.get(("INSERT", "AFTER")):
            self.ctx.fire(trig[("INSERT", "AFTER")], None, self._full(row, rowid), None, rowid, self.table)
        return rowid

    def _full(self, row: list, rowid: Any) -> tuple:
        return tuple(row)

    # ------------------------------------------------------------------ delete

    def delete(self, rowid: int, row: Optional[list] = None, replace: bool = False) -> bool:
        t = self.table
        roots = self.txn.roots
        if row is None:
            row = self.get(rowid)
            if row is None:
                return False
        trig = self.triggers
        fire_triggers = trig and (not replace or self.ctx.recursive_replace_triggers)
        if fire_triggers and trig.get(("DELETE", "BEFORE")):
            if not self.ctx.fire(trig[("DELETE", "BEFORE")], tuple(row), None, rowid, None, t):
                return False
            row = self.get(rowid)
            if row is None:
                return False
        roots[self.tree] = self.trees.delete(roots.get(self.tree, 0), rowid)
        self._delete_indexes(row, rowid)
        self.txn.touched.add(t.name)
        if self.record:
            self.changes.append(Change(t.name, "delete", rowid, self.names, None, tuple(row)))
        if not replace:
            if self.ctx.top_level:
                self.count += 1
            self.ctx.row_changed()
        if fire_triggers and trig.get(("DELETE", "AFTER")):
            self.ctx.fire(trig[("DELETE", "AFTER")], tuple(row), None, rowid, None, t)
        return True

    # ------------------------------------------------------------------ update

    def update(self, rowid: int, old: list, new: list, changed: tuple[int, ...],
               conflict: str = "", **kw: Any) -> Optional[int]:
        """Replace row ``rowid`` with ``new`` (full row, before affinity)."""
        t = self.table
        affs = self.affs
        for i in changed:
            v = new[i]
            if v is not None:
                new[i] = affs[i](v)
        roots = self.txn.roots
        ipk = self.ipk
        new_rowid = rowid
        if "set_rowid" in kw:
            v = kw["set_rowid"]
            k = rowid_key(R.apply_numeric(v)) if v is not None else None
            if k is None:
                raise DataError(f"datatype mismatch: rowid of {t.name} must be an integer, not {v!r}")
            new_rowid = k
        if ipk is not None and ipk in changed:
            v = new[ipk]
            k = rowid_key(v) if type(v) is not int else v
            if k is None:
                raise DataError(f"datatype mismatch: INTEGER PRIMARY KEY {t.name}.{t.columns[ipk].name} "
                                f"must be an integer, not {v!r}")
            new[ipk] = new_rowid = k
        trig = self.triggers
        cols_changed = {t.columns[i].name.lower() for i in changed}
        if trig and trig.get(("UPDATE", "BEFORE")):
            trs = [tr for tr in trig[("UPDATE", "BEFORE")]
                   if tr.columns is None or any(c.lower() in cols_changed for c in tr.columns)]
            if trs and not self.ctx.fire(trs, tuple(old), tuple(new), rowid, new_rowid, t):
                return None
            cur = self.get(rowid)
            if cur is None:
                return None
        if not self._check_row(new, new_rowid, conflict):
            return None
        if new_rowid != rowid:
            existing = self.trees.get(roots.get(self.tree, 0), new_rowid)
            if existing is not None:
                action = conflict or t.ipk_conflict
                if action == "IGNORE":
                    return None
                if action == "REPLACE":
                    self.delete(new_rowid, existing, replace=True)
                else:
                    raise self._fail("UNIQUE", f"{t.name}.{t.columns[ipk].name}", action)  # type: ignore[index]
        old_entries = self._index_entries(old, rowid)
        new_entries = self._index_entries(new, new_rowid)
        for (ix, okey), (_, nkey) in zip(old_entries, new_entries):
            if not ix.unique or (okey[:-1] == nkey[:-1] and new_rowid == rowid):
                continue
            other = self._find_unique_conflict(ix, nkey, rowid)
            if other is None or other == new_rowid:
                continue
            action = conflict or ix.conflict
            if action == "IGNORE":
                return None
            if action == "REPLACE":
                self.delete(other, self.get(other), replace=True)
                continue
            raise self._fail("UNIQUE", self._unique_desc(ix), action)
        trees = self.trees
        if new_rowid != rowid:
            roots[self.tree] = trees.delete(roots.get(self.tree, 0), rowid)
            roots[self.tree] = trees.insert(roots.get(self.tree, 0), new_rowid, new)
        else:
            roots[self.tree] = trees.replace(roots.get(self.tree, 0), rowid, new)
        for (ix, okey), (_, nkey) in zip(old_entries, new_entries):
            if okey != nkey:
                roots[ix.tree] = trees.delete(roots.get(ix.tree, 0), okey)
                roots[ix.tree] = trees.insert(roots.get(ix.tree, 0), nkey, None, True)
        if t.autoincrement and new_rowid > self.txn.seqs.get(self.tree, 0):
            self.txn.seqs[self.tree] = new_rowid
        self.txn.touched.add(t.name)
        if self.record:
            cols = tuple(self.names[i] for i in changed if old[i] != new[i] or type(old[i]) is not type(new[i]))
            if new_rowid != rowid:
                self.changes.append(Change(t.name, "delete", rowid, self.names, None, tuple(old)))
                self.changes.append(Change(t.name, "insert", new_rowid, self.names, tuple(new), None))
            else:
                self.changes.append(Change(t.name, "update", rowid, cols, tuple(new), tuple(old)))
        if self.ctx.top_level:
            self.count += 1
        self.ctx.row_changed()
        if self.on_row is not None and self.ctx.top_level:
            self.on_row(new_rowid, new)
        if trig and trig.get(("UPDATE", "AFTER")):
            trs = [tr for tr in trig[("UPDATE", "AFTER")]
                   if tr.columns is None or any(c.lower() in cols_changed for c in tr.columns)]
            if trs:
                self.ctx.fire(trs, tuple(old), tuple(new), rowid, new_rowid, t)
        return new_rowid


class UpsertSet:
    """An INSERT's ON CONFLICT clauses: the first whose target matches a conflict applies."""

    def __init__(self, clauses: list["Upsert"]):
        self.clauses = clauses

    def matches_rowid(self) -> Optional["Upsert"]:
        for u in self.clauses:
            if u.matches_rowid():
                return u
        return None

    def matches_index(self, ix: IndexInfo) -> Optional["Upsert"]:
        for u in self.clauses:
            if u.matches_index(ix):
                return u
        return None


class Upsert:
    """ON CONFLICT (target) DO NOTHING | DO UPDATE SET ... for one INSERT."""

    def __init__(self, target_cols: Optional[list[int]], action: Optional[Callable[..., Any]],
                 table: TableInfo):
        self.target = target_cols
        self.action = action      # None: DO NOTHING; else fn(old_row, excluded_row, rowid) -> (new_row, changed) or None
        self.table = table

    def matches_rowid(self) -> bool:
        return self.target is None or (self.table.ipk is not None and self.target == [self.table.ipk])

    def matches_index(self, ix: IndexInfo) -> bool:
        return self.target is None or sorted(self.target) == sorted(ix.columns)

    def apply(self, w: TableWriter, rowid: int, old: Optional[list], excluded: list) -> Optional[int]:
        if self.action is None or old is None:
            return None
        res = self.action(old, excluded, rowid)
        if res is None:
            return None
        new, changed = res
        return w.update(rowid, old, new, changed)
