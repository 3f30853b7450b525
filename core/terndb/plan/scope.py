"""Name resolution: the sources (FROM items) visible to an expression.

Each source gets a statement-wide number ``n``; generated code names its rowid
``k<n>`` and its row ``r<n>``, so nested (correlated) subqueries can read an
outer row through an ordinary Python closure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..catalog.schema import TableInfo
from ..errors import SQLError
from ..sql import ast as A

ROWID_NAMES = ("rowid", "oid", "_rowid_")


@dataclass(eq=False)
class Source:
    """One FROM item: a stored table or a set of materialized rows."""

    n: int
    alias: str                        # the name it is referred to by
    columns: list[str]
    affinities: list[Optional[str]]
    collations: list[Optional[str]]
    table: Optional[TableInfo] = None  # None for subqueries, CTEs, views, VALUES
    hidden: set[int] = field(default_factory=set)   # columns left out of * (USING/NATURAL)
    left_join: bool = False            # right side of a LEFT JOIN: may be NULL-extended
    right_joined: bool = False         # left side of a RIGHT JOIN
    rows_func: Optional[str] = None    # generated function yielding the rows (non-table)
    correlated: bool = False           # rows_func reads outer sources
    pseudo: Optional[str] = None       # "new"/"old"/"excluded": a single row in a variable
    tvf: Any = None                    # A.TableFunction: rows computed per row of the sources before it
    # FULL JOIN: the written right side drives ("drive"), the written left side is read inside
    # it ("inner"); ``partner`` is the other one's number.
    full: Optional[str] = None
    partner: int = -1
    col_map: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, c in enumerate(self.columns):
            self.col_map.setdefault(c.lower(), i)

    @property
    def k(self) -> str:
        return f"k{self.n}"

    @property
    def r(self) -> str:
        return f"r{self.n}"

    def column_code(self, i: int) -> str:
        """Python expression reading column ``i`` of the current row."""
        if self.table is not None and self.table.ipk == i and self.pseudo is None:
            return self.k
        return f"{self.r}[{i}]"


@dataclass(eq=False)
class Resolved:
    source: Source
    column: int                       # -1 for the rowid
    depth: int                        # 0: this scope, 1: parent, ...
    # A FULL JOIN's USING column: the right side's copy, read when the left one is NULL.
    fallback: Optional["Resolved"] = None

    @property
    def code(self) -> str:
        if self.column < 0:
            return self.source.k
        code = self.source.column_code(self.column)
        if self.fallback is not None:
            v = f"_u{self.source.n}_{self.column}"
            return f"({v} if ({v} := {code}) is not None else {self.fallback.code})"
        return code


class Scope:
    """The sources of one SELECT (or DML statement), chained to the enclosing scope."""

    def __init__(self, sources: list[Source], parent: Optional["Scope"] = None,
                 sql: str = ""):
        self.sources = sources
        self.parent = parent
        self.sql = sql
        self.outer_refs: set[int] = set()      # numbers of outer sources this scope reads
        self.aliases: dict[str, Any] = {}      # result-column aliases usable in WHERE etc.
        self.agg: Optional[Any] = None         # aggregate context while compiling output
        self.in_aggregate_arg = False

    def source_numbers(self) -> set[int]:
        return {s.n for s in self.sources}

    def find_source(self, name: str) -> Optional[Source]:
        key = name.lower()
        for s in self.sources:
            if s.alias.lower() == key:
                return s
        return None

    def resolve(self, col: A.Column) -> Optional[Resolved]:
        """Find ``col`` here or in an enclosing scope; None when it names nothing."""
        scope: Optional[Scope] = self
        depth = 0
        while scope is not None:
            r = scope._resolve_local(col)
            if r is not None:
                r.depth = depth
                if depth:
                    s: Optional[Scope] = self
                    for _ in range(depth):
                        assert s is not None
                        s.outer_refs.add(r.source.n)
                        if r.fallback is not None:
                            s.outer_refs.add(r.fallback.source.n)
                        s = s.parent
                return r
            scope = scope.parent
            depth += 1
        return None

    def _resolve_local(self, col: A.Column) -> Optional[Resolved]:
        name = col.name.lower()
        if col.table is not None:
            key = col.table.lower()
            matches = [s for s in self.sources if s.alias.lower() == key]
            if not matches:
                return None
            src = matches[0]
            if len(matches) > 1 and name in src.col_map:
                raise SQLError(f"ambiguous column name: {col.table}.{col.name}", self.sql, col.pos)
            i = src.col_map.get(name)
            if i is not None:
                return Resolved(src, i, 0)
            if name in ROWID_NAMES and src.table is not None and not src.table.without_rowid:
                return Resolved(src, -1, 0)
            raise SQLError(f"no such column: {col.table}.{col.name}", self.sql, col.pos)
        found: Optional[Resolved] = None
        for src in self.sources:
            i = src.col_map.get(name)
            if i is None:
                continue
            if found is not None:
                if i in src.hidden:
                    if src.full is not None and found.source.full is not None:
                        found.fallback = Resolved(src, i, 0)
                    continue          # a USING column: the left side's copy wins
                if found.column in found.source.hidden:
                    found = Resolved(src, i, 0)
                    continue
                raise SQLError(f"ambiguous column name: {col.name}", self.sql, col.pos)
            found = Resolved(src, i, 0)
        if found is None and name in ROWID_NAMES:
            tables = [s for s in self.sources if s.table is not None and not s.table.without_rowid]
            if len(tables) == 1:
                return Resolved(tables[0], -1, 0)
            if len(tables) > 1:
                raise SQLError(f"ambiguous column name: {col.name}", self.sql, col.pos)
        return found
