"""Schema objects (tables, indexes, views, triggers) and the catalog that holds them.

The catalog is persisted like SQLite's ``sqlite_schema``: one entry per object
with its type, name, table, tree id and original SQL text.  On open the SQL is
parsed again, so the in-memory objects are always derived from the text that
users see in ``sqlite_master``.  A catalog is immutable once committed; DDL
works on a copy (:meth:`Catalog.copy`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import ProgrammingError, SQLError
from ..exec.runtime import A_BLOB, A_INTEGER, affinity_of, check_collation
from ..sql import ast as A
from ..sql.parser import parse_one


@dataclass(slots=True)
class ColumnInfo:
    name: str
    type: str = ""
    affinity: str = A_BLOB
    not_null: bool = False
    not_null_conflict: str = "ABORT"
    default: Optional[A.Expr] = None
    collation: Optional[str] = None
    pk: bool = False
    hidden: bool = False
    generated: Optional[A.Expr] = None


@dataclass(slots=True)
class IndexInfo:
    name: str
    table: str
    columns: list[int]                 # column positions (-1: rowid); expressions unsupported
    collations: list[Optional[str]]
    descs: list[bool]
    unique: bool
    tree: int
    sql: Optional[str]                 # None for automatic (constraint) indexes
    where: Optional[A.Expr] = None
    conflict: str = "ABORT"
    origin: str = "c"                  # c: CREATE INDEX, u: UNIQUE, pk: PRIMARY KEY


@dataclass(slots=True)
class TableInfo:
    name: str
    columns: list[ColumnInfo]
    tree: int
    sql: str
    ipk: Optional[int] = None          # position of the INTEGER PRIMARY KEY column
    ipk_conflict: str = "ABORT"
    pk: list[int] = field(default_factory=list)
    checks: list[A.Expr] = field(default_factory=list)
    autoincrement: bool = False
    indexes: list[IndexInfo] = field(default_factory=list)
    col_index: dict[str, int] = field(default_factory=dict)
    without_rowid: bool = False        # stored with a hidden rowid; no rowid in SQL

    def indexes_unique_with_own_conflict(self) -> bool:
        """True when a constraint has its own ON CONFLICT clause (the generic path handles it)."""
        return (any(ix.unique and ix.conflict != "ABORT" for ix in self.indexes)
                or self.ipk_conflict != "ABORT"
                or any(c.not_null and c.not_null_conflict != "ABORT" for c in self.columns))

    def column_position(self, name: str) -> Optional[int]:
        return self.col_index.get(name.lower())

    def rebuild_index_map(self) -> None:
        self.col_index = {}
        for i, c in enumerate(self.columns):
            self.col_index.setdefault(c.name.lower(), i)


@dataclass(slots=True)
class ViewInfo:
    name: str
    select: A.Select
    columns: Optional[list[str]]
    sql: str


@dataclass(slots=True)
class TriggerInfo:
    name: str
    table: str
    timing: str
    event: str
    columns: Optional[list[str]]
    when: Optional[A.Expr]
    body: list[Any]
    sql: str


class Catalog:
    """All schema objects of a database, by lower-cased name."""

    def __init__(self) -> None:
        self.tables: dict[str, TableInfo] = {}
        self.indexes: dict[str, IndexInfo] = {}
        self.views: dict[str, ViewInfo] = {}
        self.triggers: dict[str, TriggerInfo] = {}
        self.order: list[tuple[str, str]] = []   # (type, lower name) in creation order
        self.next_tree = 1
        self.version = 0                          # bumped by every schema change
        self.temp_views: dict[str, ViewInfo] = {}  # a connection's TEMP views (never stored)

    def copy(self) -> "Catalog":
        c = Catalog()
        c.tables = dict(self.tables)
        c.indexes = dict(self.indexes)
        c.views = dict(self.views)
        c.triggers = dict(self.triggers)
        c.order = list(self.order)
        c.next_tree = self.next_tree
        c.version = self.version
        return c

    def new_tree(self) -> int:
        t = self.next_tree
        self.next_tree += 1
        return t

    def name_taken(self, name: str) -> Optional[str]:
        key = name.lower()
        for kind, d in (("table", self.tables), ("view", self.views), ("index", self.indexes)):
            if key in d:
                return kind
        return None

    def tree_kinds(self) -> dict[int, bool]:
        """tree id -> True for index trees."""
        out: dict[int, bool] = {}
        for t in self.tables.values():
            out[t.tree] = False
            for ix in t.indexes:
                out[ix.tree] = True
        return out

    def triggers_for(self, table: str, event: str, timing: str) -> list[TriggerInfo]:
        key = table.lower()
        return [t for t in self.triggers.values()
                if t.table.lower() == key and t.event == event and t.timing == timing]

    # ------------------------------------------------------------ persistence

    def to_records(self) -> dict[str, Any]:
        objects = []
        for kind, key in self.order:
            if kind == "table":
                t = self.tables[key]
                objects.append(["table", t.name, t.name, t.tree, t.sql,
                                {ix.name: ix.tree for ix in t.indexes if ix.sql is None}])
            elif kind == "index":
                ix = self.indexes[key]
                if ix.sql is not None:
                    objects.append(["index", ix.name, ix.table, ix.tree, ix.sql, None])
            elif kind == "view":
                v = self.views[key]
                objects.append(["view", v.name, v.name, 0, v.sql, None])
            elif kind == "trigger":
                tr = self.triggers[key]
                objects.append(["trigger", tr.name, tr.table, 0, tr.sql, None])
        return {"objects": objects, "next_tree": self.next_tree, "version": self.version}

    @classmethod
    def from_records(cls, rec: dict[str, Any]) -> "Catalog":
        c = cls()
        c.next_tree = int(rec["next_tree"])
        c.version = int(rec["version"])
        for kind, name, tbl, tree, sql, extra in rec["objects"]:
            stmt = parse_one(sql).statement
            if kind == "table":
                c.add_table(build_table(stmt, tree, sql, lambda ix_name: extra[ix_name]))
            elif kind == "index":
                c.add_index(build_index(stmt, c.tables[tbl.lower()], tree, sql))
            elif kind == "view":
                c.add_view(ViewInfo(stmt.name, stmt.select, stmt.columns, sql))
            elif kind == "trigger":
                c.add_trigger(build_trigger(stmt, sql))
        return c

    # -------------------------------------------------------------- mutation

    def add_table(self, t: TableInfo) -> None:
        key = t.name.lower()
        self.tables[key] = t
        self.order.append(("table", key))
        for ix in t.indexes:
            self.indexes[ix.name.lower()] = ix

    def add_index(self, ix: IndexInfo) -> None:
        key = ix.name.lower()
        tkey = ix.table.lower()
        t = self.tables[tkey]
        t2 = _copy_table(t)
        t2.indexes.append(ix)
        self.tables[tkey] = t2
        self.indexes[key] = ix
        self.order.append(("index", key))

    def add_view(self, v: ViewInfo) -> None:
        key = v.name.lower()
        self.views[key] = v
        self.order.append(("view", key))

    def add_trigger(self, tr: TriggerInfo) -> None:
        key = tr.name.lower()
        self.triggers[key] = tr
        self.order.append(("trigger", key))

    def remove(self, kind: str, name: str) -> None:
        key = name.lower()
        if kind == "table":
            t = self.tables.pop(key)
            for ix in t.indexes:
                self.indexes.pop(ix.name.lower(), None)
                self.order = [o for o in self.order if o != ("index", ix.name.lower())]
            for tk, tr in list(self.triggers.items()):
                if tr.table.lower() == key:
                    self.remove("trigger", tk)
        elif kind == "index":
            ix = self.indexes.pop(key)
            tkey = ix.table.lower()
            t2 = _copy_table(self.tables[tkey])
            t2.indexes = [i for i in t2.indexes if i.name.lower() != key]
            self.tables[tkey] = t2
        elif kind == "view":
            self.views.pop(key)
        elif kind == "trigger":
            self.triggers.pop(key)
        self.order = [o for o in self.order if o != (kind, key)]

    def replace_table(self, old_name: str, t: TableInfo) -> None:
        """Swap in a changed definition (ALTER TABLE), keeping creation order."""
        old_key = old_name.lower()
        new_key = t.name.lower()
        old = self.tables.pop(old_key)
        for ix in old.indexes:
            self.indexes.pop(ix.name.lower(), None)
        self.tables[new_key] = t
        for ix in t.indexes:
            self.indexes[ix.name.lower()] = ix
        renamed = {ix_old.name.lower(): ix_new.name.lower()
                   for ix_old, ix_new in zip(old.indexes, t.indexes) if ix_old.tree == ix_new.tree}
        self.order = [(k, new_key) if (k, n) == ("table", old_key) else
                      (k, renamed.get(n, n)) if k == "index" else (k, n)
                      for k, n in self.order]


def _copy_table(t: TableInfo) -> TableInfo:
    return TableInfo(t.name, list(t.columns), t.tree, t.sql, t.ipk, t.ipk_conflict, list(t.pk),
                     list(t.checks), t.autoincrement, list(t.indexes), dict(t.col_index),
                     t.without_rowid)


# ------------------------------------------------------------------- builders


def build_table(stmt: A.CreateTable, tree: int, sql: str, index_tree: Any) -> TableInfo:
    """A TableInfo from CREATE TABLE; ``index_tree(name)`` gives auto-index tree ids."""
    cols: list[ColumnInfo] = []
    seen: set[str] = set()
    for cd in stmt.columns:
        key = cd.name.lower()
        if key in seen:
            raise SQLError(f"duplicate column name: {cd.name}", sql, stmt.pos)
        seen.add(key)
        coll = check_collation(cd.collation) if cd.collation else None
        cols.append(ColumnInfo(cd.name, cd.type_name, affinity_of(cd.type_name), cd.not_null,
                               cd.not_null_conflict, cd.default, coll, False, False, cd.generated))
    if not cols:
        raise SQLError("a table needs at least one column", sql, stmt.pos)
    t = TableInfo(stmt.name, cols, tree, sql)
    t.without_rowid = stmt.without_rowid
    t.rebuild_index_map()
    pk_defs: list[tuple[list[A.IndexedColumn], str, bool]] = []
    uniques: list[tuple[list[A.IndexedColumn], str]] = []
    for cd in stmt.columns:
        if cd.primary_key:
            pk_defs.append(([A.IndexedColumn(A.Column(cd.name), None, cd.pk_desc)], cd.pk_conflict,
                            cd.autoincrement))
        if cd.unique:
            uniques.append(([A.IndexedColumn(A.Column(cd.name))], cd.unique_conflict))
        t.checks.extend(cd.checks)
    for tc in stmt.constraints:
        if tc.kind == "PRIMARY KEY":
            pk_defs.append((tc.columns, tc.conflict, False))
        elif tc.kind == "UNIQUE":
            uniques.append((tc.columns, tc.conflict))
        elif tc.kind == "CHECK":
            assert tc.check is not None
            t.checks.append(tc.check)
    if len(pk_defs) > 1:
        raise SQLError(f'table "{stmt.name}" has more than one primary key', sql, stmt.pos)
    auto_n = 0
    if pk_defs:
        pk_cols, conflict, autoinc = pk_defs[0]
        positions = [_indexed_position(t, ic, sql) for ic in pk_cols]
        t.pk = positions
        for p in positions:
            t.columns[p].pk = True
        if t.without_rowid:
            # The key is the primary key: its columns may not be NULL.
            for p in positions:
                t.columns[p].not_null = True
        if (len(positions) == 1 and t.columns[positions[0]].type.upper() == "INTEGER"
                and not pk_cols[0].desc and not t.without_rowid):
            t.ipk = positions[0]
            t.ipk_conflict = conflict
            t.autoincrement = autoinc
        else:
            if autoinc:
                raise SQLError("AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY", sql, stmt.pos)
            auto_n += 1
            name = f"sqlite_autoindex_{stmt.name}_{auto_n}"
            t.indexes.append(IndexInfo(name, stmt.name, positions,
                                       [ic.collation for ic in pk_cols], [ic.desc for ic in pk_cols],
                                       True, index_tree(name), None, None, conflict, "pk"))
            for p in positions:
                # SQLite (for historical reasons) allows NULL in non-integer primary keys.
                pass
    if t.without_rowid and not pk_defs:
        raise SQLError(f"PRIMARY KEY missing on table {stmt.name}", sql, stmt.pos)
    for cols_, conflict in uniques:
        positions = [_indexed_position(t, ic, sql) for ic in cols_]
        # A UNIQUE identical to the primary key or an earlier UNIQUE adds no index.
        if t.ipk is not None and positions == [t.ipk]:
            continue
        if any(ix.columns == positions for ix in t.indexes):
            continue
        auto_n += 1
        name = f"sqlite_autoindex_{stmt.name}_{auto_n}"
        t.indexes.append(IndexInfo(name, stmt.name, positions, [ic.collation for ic in cols_],
                                   [ic.desc for ic in cols_], True, index_tree(name), None,
                                   None, conflict, "u"))
    for ix in t.indexes:
        ix.collations = [c or t.columns[p].collation if p >= 0 else None
                         for c, p in zip(ix.collations, ix.columns)]
        ix.collations = [check_collation(c) if c else None for c in ix.collations]
    return t


def _indexed_position(t: TableInfo, ic: A.IndexedColumn, sql: str) -> int:
    e = ic.expr
    if isinstance(e, A.Column) and e.table is None:
        p = t.column_position(e.name)
        if p is None:
            raise SQLError(f"no such column: {e.name}", sql, e.pos)
        return p
    if isinstance(e, A.Literal) and isinstance(e.value, str):
        p = t.column_position(e.value)
        if p is not None:
            return p
    raise ProgrammingError("indexes on expressions are not supported; index table columns")


def build_index(stmt: A.CreateIndex, table: TableInfo, tree: int, sql: str) -> IndexInfo:
    positions = [_indexed_position(table, ic, sql) for ic in stmt.columns]
    colls = []
    for ic, p in zip(stmt.columns, positions):
        c = ic.collation or table.columns[p].collation
        colls.append(check_collation(c) if c else None)
    return IndexInfo(stmt.name, table.name, positions, colls, [ic.desc for ic in stmt.columns],
                     stmt.unique, tree, sql, stmt.where)


def build_trigger(stmt: A.CreateTrigger, sql: str) -> TriggerInfo:
    return TriggerInfo(stmt.name, stmt.table, stmt.timing, stmt.event, stmt.columns, stmt.when,
                       stmt.body, sql)


def is_integer_type(t: ColumnInfo) -> bool:
    return t.affinity == A_INTEGER
