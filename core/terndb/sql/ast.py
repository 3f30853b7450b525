"""Syntax tree of SQLite's SQL: slotted dataclasses, one per construct.

The parser builds these; the planner reads them.  Nodes carry ``pos`` (offset
in the statement) where an error may need to point back at the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

# ---------------------------------------------------------------- expressions


@dataclass(slots=True)
class Expr:
    pass


@dataclass(slots=True)
class Literal(Expr):
    value: Any                     # None, int, float, str or bytes
    wide: bool = field(default=False, compare=False)   # integer text beyond 32 bits


@dataclass(slots=True)
class Param(Expr):
    index: int                     # 0-based slot in the parameter vector
    name: Optional[str]            # ":name" style parameters keep their name
    pos: int = field(default=0, compare=False)


@dataclass(slots=True)
class Column(Expr):
    name: str
    table: Optional[str] = None
    quoted: bool = False           # "x" that may fall back to the string 'x'
    pos: int = field(default=0, compare=False)


@dataclass(slots=True)
class Star(Expr):
    table: Optional[str] = None
    pos: int = field(default=0, compare=False)


@dataclass(slots=True)
class Unary(Expr):
    op: str                        # '-', '+', '~', 'NOT'
    operand: Expr


@dataclass(slots=True)
class Binary(Expr):
    op: str                        # + - * / % || & | << >> = != < <= > >= IS ISNOT AND OR -> ->>
    left: Expr
    right: Expr
    pos: int = field(default=0, compare=False)


@dataclass(slots=True)
class Like(Expr):
    op: str                        # LIKE, GLOB, REGEXP, MATCH
    expr: Expr
    pattern: Expr
    escape: Optional[Expr] = None
    negated: bool = False


@dataclass(slots=True)
class Between(Expr):
    expr: Expr
    low: Expr
    high: Expr
    negated: bool = False


@dataclass(slots=True)
class InList(Expr):
    expr: Expr
    items: list[Expr]
    negated: bool = False


@dataclass(slots=True)
class InSelect(Expr):
    expr: Expr
    select: "Select"
    negated: bool = False


@dataclass(slots=True)
class Exists(Expr):
    select: "Select"


@dataclass(slots=True)
class RowValue(Expr):
    items: list[Expr]
    pos: int = field(default=0, compare=False)


@dataclass(slots=True)
class Subquery(Expr):
    select: "Select"


@dataclass(slots=True)
class Case(Expr):
    operand: Optional[Expr]
    whens: list[tuple[Expr, Expr]]
    else_: Optional[Expr]


@dataclass(slots=True)
class Cast(Expr):
    expr: Expr
    type_name: str


@dataclass(slots=True)
class Collate(Expr):
    expr: Expr
    collation: str


@dataclass(slots=True)
class IsNull(Expr):
    expr: Expr
    negated: bool = False          # NOTNULL / IS NOT NULL


@dataclass(slots=True)
class Function(Expr):
    name: str                      # lower-cased
    args: list[Expr]
    distinct: bool = False
    star: bool = False             # count(*)
    filter: Optional[Expr] = None
    pos: int = field(default=0, compare=False)


@dataclass(slots=True)
class FrameBound:
    kind: str                      # UNBOUNDED PRECEDING, PRECEDING, CURRENT ROW, FOLLOWING,
                                   # UNBOUNDED FOLLOWING
    offset: Optional[Expr] = None  # for "expr PRECEDING" / "expr FOLLOWING"


@dataclass(slots=True)
class Frame:
    unit: str                      # ROWS, RANGE, GROUPS
    start: FrameBound
    end: FrameBound
    exclude: Optional[str] = None  # None, "NO OTHERS", "CURRENT ROW", "GROUP", "TIES"


@dataclass(slots=True)
class WindowSpec:
    base: Optional[str] = None     # OVER (w ...) or OVER w: a window named in WINDOW
    partition: list[Expr] = field(default_factory=list)
    order: list["OrderingTerm"] = field(default_factory=list)
    frame: Optional[Frame] = None
    pos: int = field(default=0, compare=False)


@dataclass(slots=True)
class WindowCall(Expr):
    """``func(...) [FILTER (WHERE ...)] OVER window``."""

    func: Function
    window: WindowSpec
    named: bool = False            # OVER name (not OVER (...))


@dataclass(slots=True)
class Raise(Expr):
    action: str                    # IGNORE, ROLLBACK, ABORT, FAIL
    message: Optional[Expr] = None


# ------------------------------------------------------------------- SELECT


@dataclass(slots=True)
class ResultColumn:
    expr: Expr                     # Star for * and t.*
    alias: Optional[str] = None
    text: str = ""                 # source text, the default column name


@dataclass(slots=True)
class TableRef:
    name: str
    alias: Optional[str] = None
    schema: Optional[str] = None
    pos: int = field(default=0, compare=False)


@dataclass(slots=True)
class SubqueryRef:
    select: "Select"
    alias: Optional[str] = None


@dataclass(slots=True)
class Join:
    left: "FromItem"
    right: "FromItem"
    kind: str = "INNER"            # INNER, LEFT, CROSS, RIGHT, FULL
    on: Optional[Expr] = None
    using: Optional[list[str]] = None
    natural: bool = False


@dataclass(slots=True)
class TableFunction:
    """A table-valued function in FROM: json_each(x, '$.a') AS j."""
    name: str
    args: list["Expr"]
    alias: Optional[str] = None
    pos: int = field(default=0, compare=False)


FromItem = Union[TableRef, SubqueryRef, Join, TableFunction]


@dataclass(slots=True)
class SelectCore:
    columns: list[ResultColumn]
    from_: Optional[FromItem] = None
    where: Optional[Expr] = None
    group_by: list[Expr] = field(default_factory=list)
    having: Optional[Expr] = None
    distinct: bool = False
    windows: dict[str, WindowSpec] = field(default_factory=dict)   # WINDOW name AS (...)


@dataclass(slots=True)
class Values:
    rows: list[list[Expr]]


@dataclass(slots=True)
class Compound:
    op: str                        # UNION, UNION ALL, INTERSECT, EXCEPT
    left: "SelectBody"
    right: "SelectBody"


SelectBody = Union[SelectCore, Values, Compound]


@dataclass(slots=True)
class OrderingTerm:
    expr: Expr
    desc: bool = False
    nulls_first: Optional[bool] = None


@dataclass(slots=True)
class CTE:
    name: str
    columns: Optional[list[str]]
    select: "Select"
    materialized: Optional[bool] = None


@dataclass(slots=True)
class With:
    recursive: bool
    ctes: list[CTE]


@dataclass(slots=True)
class Select:
    body: SelectBody
    order_by: list[OrderingTerm] = field(default_factory=list)
    limit: Optional[Expr] = None
    offset: Optional[Expr] = None
    with_: Optional[With] = None


# ---------------------------------------------------------------------- DML


@dataclass(slots=True)
class Upsert:
    target: Optional[list["IndexedColumn"]]
    target_where: Optional[Expr]
    sets: Optional[list[tuple[list[str], Expr]]]   # None means DO NOTHING
    where: Optional[Expr] = None


@dataclass(slots=True)
class Insert:
    table: str
    columns: Optional[list[str]]
    source: Optional[Select]       # None means DEFAULT VALUES
    conflict: str = ""             # ABORT, FAIL, IGNORE, REPLACE, ROLLBACK; "" = per constraint
    upserts: list[Upsert] = field(default_factory=list)
    returning: Optional[list[ResultColumn]] = None
    with_: Optional[With] = None
    alias: Optional[str] = None
    pos: int = field(default=0, compare=False)


@dataclass(slots=True)
class Update:
    table: str
    sets: list[tuple[list[str], Expr]]
    where: Optional[Expr] = None
    from_: Optional[FromItem] = None
    conflict: str = ""
    returning: Optional[list[ResultColumn]] = None
    with_: Optional[With] = None
    alias: Optional[str] = None
    order_by: list[OrderingTerm] = field(default_factory=list)
    limit: Optional[Expr] = None
    offset: Optional[Expr] = None
    pos: int = field(default=0, compare=False)


@dataclass(slots=True)
class Delete:
    table: str
    where: Optional[Expr] = None
    returning: Optional[list[ResultColumn]] = None
    with_: Optional[With] = None
    alias: Optional[str] = None
    order_by: list[OrderingTerm] = field(default_factory=list)
    limit: Optional[Expr] = None
    offset: Optional[Expr] = None
    pos: int = field(default=0, compare=False)


# ---------------------------------------------------------------------- DDL


@dataclass(slots=True)
class ColumnDef:
    name: str
    type_name: str = ""
    primary_key: bool = False
    pk_desc: bool = False
    pk_conflict: str = "ABORT"
    autoincrement: bool = False
    not_null: bool = False
    not_null_conflict: str = "ABORT"
    unique: bool = False
    unique_conflict: str = "ABORT"
    checks: list[Expr] = field(default_factory=list)
    default: Optional[Expr] = None
    collation: Optional[str] = None
    generated: Optional[Expr] = None
    generated_stored: bool = False


@dataclass(slots=True)
class IndexedColumn:
    expr: Expr                     # usually a Column
    collation: Optional[str] = None
    desc: bool = False


@dataclass(slots=True)
class TableConstraint:
    kind: str                      # PRIMARY KEY, UNIQUE, CHECK, FOREIGN KEY
    columns: list[IndexedColumn] = field(default_factory=list)
    check: Optional[Expr] = None
    conflict: str = "ABORT"
    name: Optional[str] = None


@dataclass(slots=True)
class CreateTable:
    name: str
    columns: list[ColumnDef]
    constraints: list[TableConstraint] = field(default_factory=list)
    if_not_exists: bool = False
    temporary: bool = False
    as_select: Optional[Select] = None
    without_rowid: bool = False
    strict: bool = False
    pos: int = field(default=0, compare=False)
    name_pos: int = field(default=0, compare=False)   # offset of the object name


@dataclass(slots=True)
class CreateIndex:
    name: str
    table: str
    columns: list[IndexedColumn]
    unique: bool = False
    if_not_exists: bool = False
    where: Optional[Expr] = None
    pos: int = field(default=0, compare=False)
    name_pos: int = field(default=0, compare=False)   # offset of the object name


@dataclass(slots=True)
class CreateView:
    name: str
    select: Select
    columns: Optional[list[str]] = None
    if_not_exists: bool = False
    temporary: bool = False
    pos: int = field(default=0, compare=False)
    name_pos: int = field(default=0, compare=False)   # offset of the object name


@dataclass(slots=True)
class CreateTrigger:
    name: str
    table: str
    timing: str                    # BEFORE, AFTER, INSTEAD OF
    event: str                     # INSERT, UPDATE, DELETE
    body: list[Any]
    columns: Optional[list[str]] = None   # UPDATE OF a, b
    when: Optional[Expr] = None
    if_not_exists: bool = False
    temporary: bool = False
    pos: int = field(default=0, compare=False)
    name_pos: int = field(default=0, compare=False)   # offset of the object name


@dataclass(slots=True)
class Drop:
    kind: str                      # TABLE, INDEX, VIEW, TRIGGER
    name: str
    if_exists: bool = False
    pos: int = field(default=0, compare=False)


@dataclass(slots=True)
class AlterTable:
    table: str
    action: str                    # RENAME, RENAME COLUMN, ADD COLUMN, DROP COLUMN
    new_name: Optional[str] = None
    column: Optional[str] = None
    column_def: Optional[ColumnDef] = None
    pos: int = field(default=0, compare=False)


# ------------------------------------------------------------ transactions etc.


@dataclass(slots=True)
class Begin:
    mode: str = "DEFERRED"


@dataclass(slots=True)
class Commit:
    pass


@dataclass(slots=True)
class Rollback:
    savepoint: Optional[str] = None


@dataclass(slots=True)
class Savepoint:
    name: str


@dataclass(slots=True)
class Release:
    name: str


@dataclass(slots=True)
class Explain:
    statement: Any
    query_plan: bool = False


@dataclass(slots=True)
class Pragma:
    name: str
    value: Optional[Any] = None
    schema: Optional[str] = None


@dataclass(slots=True)
class Reindex:
    name: Optional[str] = None


@dataclass(slots=True)
class Vacuum:
    pass


@dataclass(slots=True)
class Analyze:
    name: Optional[str] = None


Statement = Union[Select, Insert, Update, Delete, CreateTable, CreateIndex, CreateView,
                  CreateTrigger, Drop, AlterTable, Begin, Commit, Rollback, Savepoint,
                  Release, Explain, Pragma, Reindex, Vacuum, Analyze]


@dataclass(slots=True)
class Parsed:
    """One parsed statement with its source text and parameter layout."""

    statement: Any
    sql: str
    param_count: int
    param_names: list[Optional[str]]     # per slot; None for positional '?'
    tail: str = ""                       # text after the first statement
