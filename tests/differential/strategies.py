"""Hypothesis strategies for the differential tests.

* :func:`query_scenarios` — 2-4 tables with assorted declared types and
  constraints, rows full of edge values, secondary indexes (often on the
  columns the queries filter, join and sort on), views, and a batch of
  queries: expressions of every kind, WHERE, GROUP BY/HAVING, aggregates,
  ORDER BY/LIMIT/OFFSET, DISTINCT, joins, subqueries, compound selects,
  CTEs (recursive too), VALUES.
* :func:`expression_batches` — constant-only SELECTs (no table): fast, so
  they can hammer the scalar functions and operators.
* :func:`dml_scenarios` — tables with constraints and a sequence of
  INSERT/REPLACE/UPSERT/UPDATE/DELETE (and transactions).

Generation is a small recursive-descent "SQL writer" driven by Hypothesis
draws, so failing examples shrink (towards the first alternative of every
choice, which is always the simplest).  Every generated query is valid SQL
*or* an error on both engines; the generator avoids constructs whose result
SQLite leaves unspecified (bare columns in aggregates, LIMIT without a
total order, multi-row scalar subqueries) and labels the ones the harness
must compare loosely (group_concat element order, float sums).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from hypothesis import strategies as st

from .harness import Query, Stmt, sql_literal

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

# ----------------------------------------------------------------------------- values

EDGE_INTS = [0, 1, -1, 2, 3, 7, -7, 10, 12, 100, -100, 1000, 2**31 - 1, 2**31, 2**32, 2**53, 2**53 + 1,
             INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1]
EDGE_FLOATS = [0.0, -0.0, 0.5, -0.5, 1.0, 1.5, 2.5, -2.5, 3.0, 12.0, -3.0, 0.1, 0.30000000000000004, 1e308, -1e308,
               1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 1e-5, 123.456, 1e15, 1e16, 1e17,
               2.0**53, 2.0**63, -(2.0**63), 9.223372036854775e18, 1e20, 100.0, 1000.0, 0.125,
               3.141592653589793, 1e-7, 123456789012.5]
EDGE_TEXTS = ["", " ", "0", "1", "3", "12", " 12 ", "12 ", " 12", "+12", "-12", "012", "1e3", "1E3", "0x10", "3.0",
              "3.", ".5", "-0", "-0.0", "1.5e", "12abc", "abc", "ABC", "Abc", "aBc", "abcdef", "a", "A", "b", "B",
              "z", "Z", "a%b", "a_b", "%", "_", "ab", "ba", "é", "É", "ß", "straße", "STRASSE", "日本", "😀",
              "Ünïcödé", "NULL", "null", "it's", "9223372036854775807", "9223372036854775808",
              "-9223372036854775808", "-9223372036854775809", "1e308", "1e309", "inf", "NaN", "  abc  ", "abc ",
              "x\ty", "a,b", "a|b", "[x]", "*", "?", "\\", "1 2", "0.1", "1.0e+2", "true"]
EDGE_BLOBS = [b"", b"\x00", b"abc", b"ABC", b"\xff\xfe", b"12", b"\x00\x01\x02", b"a", b"\x80", b"3.0"]
SMALL_TEXT_ALPHABET = "aAbBzZ019 .-+e%_éß日"

TYPES_MAIN = ["INTEGER", "REAL", "TEXT", "BLOB", "NUMERIC", "", "VARCHAR(10)"]
TYPES_ODD = ["INT", "BIGINT", "FLOAT", "DOUBLE", "DOUBLE PRECISION", "BOOLEAN", "DECIMAL(5,2)", "CHAR(3)", "CLOB",
             "DATE", "STRING", "FLOATING POINT", "NVARCHAR(20)", "INTEGER UNSIGNED", "ANY", "number"]
CAST_TYPES = ["INTEGER", "REAL", "TEXT", "BLOB", "NUMERIC", "INT", "FLOAT", "VARCHAR(5)", "BOOLEAN", "STRING",
              "DECIMAL"]

# SQL literals used inside expressions (text, so the parser's number handling is exercised too)
LITERALS = (
    ["NULL", "0", "1", "-1", "2", "3", "10", "12", "-7", "100", "0.0", "-0.0", "0.5", "1.5", "2.5", "-2.5", "3.0",
     "1e308", "-1e308", "1e3", "1E3", ".5", "5.", "1e-5", "123.456", "1e16", "0x10", "0xff", "0x7fffffffffffffff",
     "0xffffffffffffffff", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
     "-9223372036854775809", "2147483648", "4294967296", "TRUE", "FALSE"]
    + [sql_literal(s) for s in ["", " ", "12", " 12 ", "1e3", "0x10", "3.0", "-0", "abc", "ABC", "Abc", "a", "A",
                                "b", "é", "É", "ß", "日本", "it's", "12abc", "a%b", "a_b", "%", "1.5", ".5",
                                "9223372036854775808", "abc ", "NULL"]]
    + ["x''", "x'00'", "x'616263'", "x'414243'", "x'3132'", "x'ff'", "X'0102'"]
)
INT_ARGS = ["0", "1", "2", "3", "-1", "-2", "5", "10", "NULL", "1.5", "'2'", "2.0", "-0.5", "100", "9223372036854775807",
            "-9223372036854775808", "' 3'"]
LIKE_PATTERNS = ["'a%'", "'A%'", "'%b%'", "'%B'", "'a_c'", "'_'", "'%'", "''", "'1%'", "'%3'", "'é%'", "'É%'",
                 "'ß'", "'%a%b%'", "'abc'", "'ABC'", "'1_'", "'%.%'", "'_%_'", "'%\\%%'", "'a\\_b'", "'12'",
                 "'%e%'", "'日%'"]
GLOB_PATTERNS = ["'a*'", "'A*'", "'*b*'", "'[a-c]*'", "'?b?'", "'[^a]*'", "'*'", "'?'", "''", "'1*'", "'*[0-9]'",
                 "'abc'", "'[]]'", "'[a-]*'", "'*é*'", "'[!a]*'", "'1?'", "'*.*'"]
PRINTF_FORMATS = ["'%d'", "'%s'", "'%5s|'", "'%-5s|'", "'%.2f'", "'%x'", "'%q'", "'%%'", "'%5.1f'", "'%e'",
                  "'%c'", "'%i'", "'%.3s'", "'%05d'", "'%+d'", "'%g'"]
DATE_ARGS = ["'2024-01-31'", "'2024-02-29 12:34:56'", "'2000-01-01T00:00:00.123'", "'12:30'", "2451545.0",
             "'now'", "0", "'abc'", "NULL", "'2024-13-01'", "1700000000"]
DATE_MODS = ["'+1 day'", "'-1 month'", "'start of month'", "'start of year'", "'+1 year'", "'unixepoch'",
             "'weekday 0'", "'+12 hours'", "'-30 minutes'", "'localtime'", "'utc'", "'+1.5 days'"]


def value_strategy() -> st.SearchStrategy[Any]:
    """A cell value: mostly edge values (so equal values collide across rows and tables)."""
    return st.one_of(
        st.sampled_from(EDGE_INTS[:12]),
        st.sampled_from(EDGE_TEXTS[:30]),
        st.sampled_from(EDGE_FLOATS[:12]),
        st.none(),
        st.sampled_from(EDGE_INTS),
        st.sampled_from(EDGE_FLOATS),
        st.sampled_from(EDGE_TEXTS),
        st.sampled_from(EDGE_BLOBS),
        st.integers(-1000, 1000),
        st.integers(INT64_MIN, INT64_MAX),
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.floats(-1000, 1000).map(lambda x: round(x, 2)),
        st.text(SMALL_TEXT_ALPHABET, max_size=6),
        st.binary(max_size=4),
        st.sampled_from([float("inf"), float("-inf")]),
    )


# ----------------------------------------------------------------------------- schema model


@dataclass
class Column:
    name: str
    decl: str = ""
    pk: bool = False
    notnull: bool = False
    unique: bool = False
    default: str | None = None
    coll: str | None = None  # declared COLLATE
    check: str | None = None

    def ddl(self) -> str:
        parts = [self.name]
        if self.decl:
            parts.append(self.decl)
        if self.pk:
            parts.append("PRIMARY KEY")
        if self.notnull:
            parts.append("NOT NULL")
        if self.unique:
            parts.append("UNIQUE")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if self.coll:
            parts.append(f"COLLATE {self.coll}")
        if self.check:
            parts.append(f"CHECK ({self.check})")
        return " ".join(parts)


@dataclass
class Table:
    name: str
    cols: list[Column]
    extra: list[str] = field(default_factory=list)  # table constraints

    def ddl(self) -> str:
        return f"CREATE TABLE {self.name}(" + ", ".join([c.ddl() for c in self.cols] + self.extra) + ")"

    @property
    def ipk(self) -> Column | None:
        for c in self.cols:
            if c.pk and c.decl.upper() == "INTEGER":
                return c
        return None

    def unique_sets(self) -> list[list[str]]:
        """Column sets with a UNIQUE/PRIMARY KEY constraint (valid ON CONFLICT targets)."""
        out = [[c.name] for c in self.cols if c.pk or c.unique]
        for e in self.extra:
            if e.startswith(("UNIQUE(", "PRIMARY KEY(")):
                out.append([x.strip() for x in e[e.index("(") + 1:-1].split(",")])
        return out


@dataclass(frozen=True)
class SrcCol:
    name: str
    coll: str | None = "BINARY"  # None: unknown
    kind: Any = "exact"


@dataclass
class Source:
    """Something a FROM clause can name: table, view, CTE or derived table."""

    sql: str  # how to write it in FROM (name or parenthesized select)
    cols: list[SrcCol]
    is_table: bool = False
    needs_alias: bool = False


@dataclass(frozen=True)
class ColRef:
    qual: str
    name: str
    coll: str | None
    kind: Any = "exact"
    outer: bool = False
    ambiguous: bool = False  # name appears more than once at its level


@dataclass(frozen=True)
class E:
    """A generated expression and what the harness needs to know about it."""

    sql: str
    coll: str | None = "BINARY"  # collation for ORDER BY (None: unknown)
    agg: bool = False
    approx: bool = False
    ncoll: bool = False  # a non-binary collation occurs somewhere inside
    concat: str | None = None  # top-level group_concat: its separator


@dataclass
class Ctx:
    cols: list[ColRef]
    agg_atoms: list[E] | None = None  # aggregate-output mode: what may appear outside aggregates
    agg_cols: list[ColRef] | None = None  # columns aggregates may read
    allow_sub: bool = True
    sub_depth: int = 0

    @property
    def agg_mode(self) -> bool:
        return self.agg_atoms is not None


@dataclass
class Sel:
    """A generated SELECT (or compound) with result metadata."""

    sql: str
    ncols: int
    kinds: list
    colls: list
    names: list[str]
    order: tuple | None = None
    limited: bool = False
    aliased: bool = True


# constructs that keep one of several equal values without saying which
TIE_SENSITIVE = re.compile(r"\b(DISTINCT|UNION(?!\s+ALL)|INTERSECT|EXCEPT|GROUP\s+BY|min\s*\(|max\s*\()", re.I)


def _is_int_literal(sql: str) -> bool:
    return sql.strip("()+- ").isdigit()


# ----------------------------------------------------------------------------- generator


def _merge_coll(*es: E) -> tuple[str | None, bool]:
    ncoll = any(e.ncoll for e in es)
    return (None if ncoll else "BINARY"), ncoll


class Gen:
    """Draws SQL text piece by piece.  One instance per generated scenario."""

    def __init__(self, draw: Callable, tables: list[Table], views: list[Source] | None = None):
        self.draw = draw
        self.tables = tables
        self.views = views or []
        self.ctes: list[tuple[str, Source]] = []
        self.n_alias = 0
        self.tie_views: set[str] = set()  # views whose definition merges equal values
        self.outer_joined: list[ColRef] = []  # set by from_clause: columns NULL-extended by a LEFT JOIN
        self.data_pool: list[str] = []  # SQL literals of values inserted into the tables
        self.shared_values: list[Any] = []  # per-scenario values reused across rows and tables
        self.in_txn = False  # DML sequences: whether the generated statements opened a transaction

    # -- primitives

    def choose(self, *options: tuple[int, Any]) -> Any:
        """Weighted choice; shrinks towards the first option."""
        opts = [(w, v) for w, v in options if w > 0]
        total = sum(w for w, _ in opts)
        r = self.draw(st.integers(0, total - 1))
        for w, v in opts:
            if r < w:
                return v
            r -= w
        raise AssertionError("unreachable")

    def coin(self, p_true: float) -> bool:
        return self.choose((int(1000 * (1 - p_true)), False), (int(1000 * p_true), True))

    def pick(self, seq: Sequence) -> Any:
        return self.draw(st.sampled_from(list(seq)))

    def n(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def alias(self, prefix: str = "s") -> str:
        self.n_alias += 1
        return f"{prefix}{self.n_alias}"

    # -- leaves

    def literal(self) -> E:
        if self.data_pool and self.coin(0.35):
            return E(self.pick(self.data_pool))  # a value that is in the tables: predicates match
        lit = self.choose((6, "pool"), (1, "int"), (1, "float"), (1, "text"))
        if lit == "pool":
            return E(self.pick(LITERALS))
        if lit == "int":
            return E(str(self.n(-20, 20)))
        if lit == "float":
            v = self.draw(st.floats(allow_nan=False, allow_infinity=False))
            return E(repr(v) if v >= 0 else f"({v!r})")
        return E(sql_literal(self.draw(st.text(SMALL_TEXT_ALPHABET, max_size=4))))

    def colref_sql(self, c: ColRef) -> str:
        if c.outer or c.ambiguous:
            if c.ambiguous and not c.outer and self.coin(0.01):
                return c.name  # deliberately ambiguous: both must raise
            return f"{c.qual}.{c.name}"
        how = self.choose((5, "qual"), (4, "bare"), (1, "quoted"))
        if how == "qual":
            return f"{c.qual}.{c.name}"
        if how == "bare":
            return c.name
        return self.pick([f'"{c.qual}"."{c.name}"', f"[{c.name}]", f"`{c.name}`", f'"{c.name}"'])

    def column(self, ctx: Ctx, inner_only: bool = False) -> E | None:
        cols = ctx.cols
        if inner_only or self.coin(0.85):
            inner = [c for c in cols if not c.outer]
            cols = inner or cols
        if not cols:
            return None
        c = self.pick(cols)
        return E(self.colref_sql(c), coll=c.coll, approx=c.kind == "approx", ncoll=c.coll != "BINARY")

    def leaf(self, ctx: Ctx) -> E:
        if ctx.agg_mode:
            what = self.choose((4, "atom"), (4, "agg"), (2, "lit"))
            if what == "atom" and ctx.agg_atoms:
                return self.pick(ctx.agg_atoms)
            if what in ("atom", "agg"):
                return self.aggregate(ctx)
            return self.literal()
        if ctx.cols and self.coin(0.65):
            e = self.column(ctx)
            if e is not None:
                return e
        return self.literal()

    # -- expressions

    def expr(self, ctx: Ctx, depth: int = 2) -> E:
        if depth <= 0:
            return self.leaf(ctx)
        kind = self.choose(
            (30, "leaf"), (16, "binop"), (16, "func"), (4, "unary"), (5, "case"), (6, "cast"), (9, "cond"),
            (2, "collate"), (4 if ctx.allow_sub and ctx.sub_depth < 2 else 0, "subquery"),
            (5 if ctx.agg_mode else 0, "agg"), (2, "extra"),
        )
        if kind == "leaf":
            return self.leaf(ctx)
        if kind == "agg":
            return self.aggregate(ctx)
        if kind == "binop":
            op = self.choose((3, "+"), (3, "-"), (3, "*"), (3, "/"), (2, "%"), (4, "||"), (1, "&"), (1, "|"),
                             (1, "<<"), (1, ">>"))
            a, b = self.expr(ctx, depth - 1), self.expr(ctx, depth - 1)
            return self._bin(a, op, b)
        if kind == "unary":
            op = self.pick(["-", "+", "~", "NOT "])
            a = self.expr(ctx, depth - 1)
            if op == "+":
                return E(f"+({a.sql})", a.coll, a.agg, a.approx, a.ncoll)
            return E(f"{op}({a.sql})", *_merge_coll(a)[:1], agg=a.agg, approx=a.approx, ncoll=a.ncoll)
        if kind == "case":
            return self.case(ctx, depth)
        if kind == "cast":
            a = self.expr(ctx, depth - 1)
            t = self.pick(CAST_TYPES)
            return E(f"CAST({a.sql} AS {t})", a.coll, a.agg, a.approx, a.ncoll)
        if kind == "cond":
            return self.cond(ctx, depth - 1)
        if kind == "collate":
            a = self.expr(ctx, depth - 1)
            c = self.pick(["NOCASE", "BINARY", "RTRIM", "nocase"])
            return E(f"{a.sql} COLLATE {c}", c.upper(), a.agg, a.approx, True)
        if kind == "subquery":
            return self.subquery_expr(ctx)
        if kind == "extra":
            return self.extra_func(ctx, depth)
        return self.func(ctx, depth)

    def _bin(self, a: E, op: str, b: E, paren: bool | None = None) -> E:
        if paren is None:
            paren = self.coin(0.85)
        text = f"{a.sql} {op} {b.sql}"
        coll, ncoll = _merge_coll(a, b)
        return E(f"({text})" if paren else text, coll, a.agg or b.agg, a.approx or b.approx, ncoll)

    def _call(self, name: str, args: Sequence[E], distinct: bool = False) -> E:
        coll, ncoll = _merge_coll(*args) if args else ("BINARY", False)
        inner = ", ".join(a.sql for a in args)
        return E(f"{name}({'DISTINCT ' if distinct else ''}{inner})", coll, any(a.agg for a in args),
                 any(a.approx for a in args), ncoll)

    def int_arg(self, ctx: Ctx, depth: int) -> E:
        if self.coin(0.75):
            return E(self.pick(INT_ARGS))
        return self.expr(ctx, depth - 1)

    def func(self, ctx: Ctx, depth: int) -> E:
        name = self.choose(
            (3, "abs"), (3, "length"), (2, "lower"), (2, "upper"), (4, "substr"), (3, "round"), (3, "coalesce"),
            (2, "nullif"), (4, "typeof"), (2, "min"), (2, "max"), (2, "instr"), (2, "replace"), (2, "trim"),
            (1, "ltrim"), (1, "rtrim"), (3, "hex"), (1, "ifnull"), (1, "iif"), (1, "sign"),
            (1, "unicode"), (1, "char"), (1, "like"), (1, "glob"), (1, "substring"),
        )
        d = depth - 1
        x = lambda: self.expr(ctx, d)  # noqa: E731
        if name in ("abs", "length", "lower", "upper", "typeof", "hex", "quote", "sign", "unicode"):
            args = [x()]
        elif name in ("substr", "substring"):
            args = [x(), self.int_arg(ctx, depth)] + ([self.int_arg(ctx, depth)] if self.coin(0.6) else [])
        elif name == "round":
            args = [x()] + ([self.int_arg(ctx, depth)] if self.coin(0.6) else [])
        elif name in ("coalesce", "min", "max"):
            args = [x() for _ in range(self.n(2, 3))]
        elif name in ("nullif", "ifnull", "instr"):
            args = [x(), x()]
        elif name == "replace":
            args = [x(), x() if self.coin(0.5) else E(self.pick(["'a'", "''", "'1'", "'b'", "'A'", "NULL"])), x()]
        elif name in ("trim", "ltrim", "rtrim"):
            args = [x()] + ([E(self.pick(["'a'", "' '", "'ab'", "''", "'1'", "NULL", "'xa'", "1"]))] if self.coin(0.5)
                            else [])
        elif name == "iif":
            args = [self.cond(ctx, d), x(), x()]
        elif name == "char":
            args = [E(self.pick(["65", "97", "233", "0", "1114111", "-1", "'66'", "NULL", "26085", "128512"]))
                    for _ in range(self.n(0, 3))]
        elif name == "like":
            args = [E(self.pick(LIKE_PATTERNS)), x()]
        else:  # glob
            args = [E(self.pick(GLOB_PATTERNS)), x()]
        e = self._call(name, args)
        if name in ("typeof", "hex", "quote", "length", "instr", "unicode", "sign", "char", "like", "glob"):
            return E(e.sql, "BINARY", e.agg, False, False)
        return e

    def extra_func(self, ctx: Ctx, depth: int) -> E:
        """Functions beyond the core list: printf, date/time, math, zeroblob."""
        kind = self.choose((3, "printf"), (2, "date"), (3, "math"), (1, "zeroblob"))
        d = depth - 1
        if kind == "printf":
            fmt = E(self.pick(PRINTF_FORMATS))
            return E(f"printf({fmt.sql}, {self.expr(ctx, d).sql})")
        if kind == "date":
            fn = self.pick(["date", "time", "datetime", "julianday", "strftime"])
            args = [self.pick(DATE_ARGS)] + [self.pick(DATE_MODS) for _ in range(self.n(0, 2))]
            args = [a for a in args if a != "'now'" and a != "'localtime'" and a != "'utc'"]
            if not args:
                args = ["'2024-01-31'"]
            if fn == "strftime":
                args = [self.pick(["'%Y-%m-%d'", "'%H:%M:%f'", "'%j %w %W'", "'%s'", "'%J'"])] + args
            return E(f"{fn}({', '.join(args)})")
        if kind == "math":
            fn = self.pick(["floor", "ceil", "trunc", "sqrt", "exp", "ln", "log10", "log2", "pow", "mod",
                            "degrees", "sin", "atan2", "log"])
            two = fn in ("pow", "mod", "atan2")
            args = [self.expr(ctx, d)] + ([self.expr(ctx, d)] if two or (fn == "log" and self.coin(0.5)) else [])
            return self._call(fn, args)
        return E(f"zeroblob({self.pick(['0', '1', '3', '-1', 'NULL', '2.5'])})")

    def case(self, ctx: Ctx, depth: int) -> E:
        d = depth - 1
        n = self.n(1, 3)
        parts = ["CASE"]
        es: list[E] = []
        if self.coin(0.35):
            base = self.expr(ctx, d)
            es.append(base)
            parts.append(base.sql)
            for _ in range(n):
                w, t = self.expr(ctx, d), self.expr(ctx, d)
                es += [w, t]
                parts.append(f"WHEN {w.sql} THEN {t.sql}")
        else:
            for _ in range(n):
                w, t = self.cond(ctx, d), self.expr(ctx, d)
                es += [w, t]
                parts.append(f"WHEN {w.sql} THEN {t.sql}")
        if self.coin(0.7):
            el = self.expr(ctx, d)
            es.append(el)
            parts.append(f"ELSE {el.sql}")
        parts.append("END")
        coll, ncoll = _merge_coll(*es)
        return E(" ".join(parts), coll, any(e.agg for e in es), any(e.approx for e in es), ncoll)

    # -- conditions

    def cond(self, ctx: Ctx, depth: int = 2) -> E:
        d = max(depth - 1, 0)
        kind = self.choose(
            (24, "cmp_lit"), (12, "cmp"), (6, "between"), (7, "in"), (6, "like"), (3, "glob"), (5, "null"),
            (4, "is"), (12 if depth > 0 else 0, "andor"), (3 if depth > 0 else 0, "not"),
            (6 if ctx.allow_sub and ctx.sub_depth < 2 else 0, "sub"), (3, "bare"), (1, "rowvalue"),
        )
        if kind == "cmp_lit":
            a = self.leaf(ctx) if self.coin(0.8) else self.expr(ctx, d)
            op = self.pick(["=", "==", "<>", "!=", "<", "<=", ">", ">="])
            b = self.literal()
            return self._bool(a, op, b, flip=self.coin(0.2))
        if kind == "cmp":
            a, b = self.expr(ctx, d), self.expr(ctx, d)
            op = self.pick(["=", "<>", "<", "<=", ">", ">=", "IS", "IS NOT"])
            if self.coin(0.15):
                b = E(f"{b.sql} COLLATE {self.pick(['NOCASE', 'RTRIM', 'BINARY'])}", agg=b.agg, approx=b.approx,
                      ncoll=True)
            return self._bool(a, op, b)
        if kind == "between":
            a, lo, hi = self.leaf(ctx), self.leaf(ctx) if self.coin(0.3) else self.literal(), self.literal()
            neg = "NOT " if self.coin(0.25) else ""
            return self._wrap(f"{a.sql} {neg}BETWEEN {lo.sql} AND {hi.sql}", a, lo, hi)
        if kind == "in":
            a = self.leaf(ctx) if self.coin(0.7) else self.expr(ctx, d)
            items = [self.literal() if self.coin(0.8) else self.leaf(ctx) for _ in range(self.n(0, 4))]
            if self.coin(0.2):
                items.append(E("NULL"))
            neg = "NOT " if self.coin(0.3) else ""
            return self._wrap(f"{a.sql} {neg}IN ({', '.join(i.sql for i in items)})", a, *items)
        if kind in ("like", "glob"):
            a = self.leaf(ctx) if self.coin(0.7) else self.expr(ctx, d)
            if self.coin(0.85):
                p = E(self.pick(LIKE_PATTERNS if kind == "like" else GLOB_PATTERNS))
            else:
                p = self.leaf(ctx)
            neg = "NOT " if self.coin(0.2) else ""
            esc = ""
            if kind == "like" and "\\" in p.sql and self.coin(0.8):
                esc = " ESCAPE '\\'"
            return self._wrap(f"{a.sql} {neg}{kind.upper()} {p.sql}{esc}", a, p)
        if kind == "null":
            a = self.leaf(ctx) if self.coin(0.7) else self.expr(ctx, d)
            return self._wrap(f"{a.sql} {self.pick(['IS NULL', 'IS NOT NULL', 'ISNULL', 'NOTNULL', 'NOT NULL'])}", a)
        if kind == "is":
            a = self.leaf(ctx)
            b = self.literal() if self.coin(0.6) else self.leaf(ctx)
            return self._bool(a, self.pick(["IS", "IS NOT"]), b)
        if kind == "andor":
            a, b = self.cond(ctx, d), self.cond(ctx, d)
            return self._bool(a, self.pick(["AND", "OR"]), b)
        if kind == "not":
            a = self.cond(ctx, d)
            return E(f"NOT ({a.sql})", agg=a.agg, approx=a.approx)
        if kind == "sub":
            return self.subquery_cond(ctx)
        if kind == "rowvalue":
            a1, a2 = self.leaf(ctx), self.leaf(ctx)
            b1, b2 = self.literal(), self.literal()
            op = self.pick(["=", "<>", "<", ">=", "IS"])
            return self._wrap(f"({a1.sql}, {a2.sql}) {op} ({b1.sql}, {b2.sql})", a1, a2, b1, b2)
        return self.expr(ctx, d)  # bare value used as a truth value

    def _bool(self, a: E, op: str, b: E, flip: bool = False) -> E:
        if flip:
            a, b = b, a
        e = self._bin(a, op, b)
        return E(e.sql, "BINARY", e.agg, e.approx, False)

    def _wrap(self, text: str, *parts: E) -> E:
        return E(f"({text})", "BINARY", any(p.agg for p in parts), any(p.approx for p in parts), False)

    # -- aggregates

    def aggregate(self, ctx: Ctx) -> E:
        inner = Ctx(cols=ctx.agg_cols or [], allow_sub=False)
        fn = self.choose((8, "count(*)"), (6, "count"), (8, "sum"), (5, "total"), (7, "avg"), (7, "min"),
                         (7, "max"), (3, "count_d"), (2, "sum_d"), (1, "avg_d"), (1, "min_d"))
        if fn == "count(*)":
            return E("count(*)", agg=True)
        arg = self.column(inner, inner_only=True) if (inner.cols and self.coin(0.7)) else None
        if arg is None:
            arg = self.expr(inner, 1)
        distinct = fn.endswith("_d")
        name = fn[:-2] if distinct else fn
        e = self._call(name, [arg], distinct=distinct)
        return E(e.sql, "BINARY", True, name in ("sum", "total", "avg") or arg.approx, False)

    def group_concat(self, ctx: Ctx) -> E:
        inner = Ctx(cols=ctx.agg_cols or [], allow_sub=False)
        arg = self.column(inner, inner_only=True) if inner.cols and self.coin(0.7) else None
        if arg is None:
            arg = self.expr(inner, 1)
        form = self.choose((3, "plain"), (2, "sep"), (2, "distinct"))
        if form == "plain":
            return E(f"group_concat({arg.sql})", agg=True, concat=",")
        if form == "distinct":
            return E(f"group_concat(DISTINCT {arg.sql})", agg=True, concat=",")
        sep = self.pick(["'|'", "' - '", "''", "';'"])
        return E(f"group_concat({arg.sql}, {sep})", agg=True, concat=sep[1:-1])

    # -- subqueries inside expressions

    def _sub_source(self, ctx: Ctx) -> tuple[str, list[ColRef]]:
        t = self.pick(self.tables)
        a = self.alias()
        inner = [ColRef(a, c.name, c.coll or "BINARY") for c in t.cols]
        outer = [] if ctx.agg_mode else [ColRef(c.qual, c.name, c.coll, c.kind, outer=True) for c in ctx.cols]
        return f"{t.name} AS {a}", inner + outer

    def subquery_expr(self, ctx: Ctx) -> E:
        frm, cols = self._sub_source(ctx)
        sub = Ctx(cols=cols, sub_depth=ctx.sub_depth + 1)
        where = f" WHERE {self.cond(sub, 1).sql}" if self.coin(0.7) else ""
        inner_only = Ctx(cols=[c for c in cols if not c.outer], sub_depth=ctx.sub_depth + 1)
        agg_ctx = Ctx(cols=[], agg_atoms=[], agg_cols=inner_only.cols, allow_sub=False)
        what = self.choose((6, "agg"), (2, "count"), (1, "limit1"))
        if what == "agg":
            a = self.aggregate(agg_ctx)
            return E(f"(SELECT {a.sql} FROM {frm}{where})", approx=a.approx)
        if what == "count":
            return E(f"(SELECT count(*) FROM {frm}{where})")
        # single row guaranteed by an aggregate-free LIMIT 1 over a constant
        v = self.literal()
        return E(f"(SELECT {v.sql} FROM {frm}{where} LIMIT 1)")

    def subquery_cond(self, ctx: Ctx) -> E:
        frm, cols = self._sub_source(ctx)
        sub = Ctx(cols=cols, sub_depth=ctx.sub_depth + 1)
        where = f" WHERE {self.cond(sub, 1).sql}" if self.coin(0.75) else ""
        kind = self.choose((5, "in"), (4, "exists"), (2, "cmp"))
        if kind == "exists":
            neg = "NOT " if self.coin(0.3) else ""
            return E(f"({neg}EXISTS (SELECT 1 FROM {frm}{where}))")
        lhs = self.leaf(ctx)
        if kind == "in":
            col = self.column(Ctx(cols=[c for c in cols if not c.outer]), inner_only=True)
            assert col is not None
            sel = col.sql if self.coin(0.8) else self.expr(Ctx(cols=[c for c in cols if not c.outer], allow_sub=False),
                                                           1).sql
            neg = "NOT " if self.coin(0.3) else ""
            distinct = "DISTINCT " if self.coin(0.2) else ""
            return E(f"({lhs.sql} {neg}IN (SELECT {distinct}{sel} FROM {frm}{where}))", agg=lhs.agg, approx=lhs.approx)
        agg_ctx = Ctx(cols=[], agg_atoms=[], agg_cols=[c for c in cols if not c.outer], allow_sub=False)
        a = self.aggregate(agg_ctx)
        op = self.pick(["=", "<", ">=", "<>", "IS"])
        return E(f"({lhs.sql} {op} (SELECT {a.sql} FROM {frm}{where}))", agg=lhs.agg, approx=lhs.approx or a.approx)

    # -- FROM clause

    def sources(self) -> list[Source]:
        out = [Source(t.name, [SrcCol(c.name, c.coll or "BINARY") for c in t.cols], is_table=True)
               for t in self.tables]
        out += self.views
        out += [s for _n, s in self.ctes]
        return out

    def from_clause(self, allow_derived: bool = True) -> tuple[str, list[ColRef], bool]:
        """Returns (FROM text, columns in scope, star_ok).

        ``self.outer_joined`` is set to the columns of sources on the right of a LEFT JOIN.
        """
        outer: list[ColRef] = []
        n = self.choose((50, 1), (35, 2), (12, 3))
        srcs = self.sources()
        text = ""
        scope: list[ColRef] = []
        used: set[str] = set()
        star_ok = True
        for i in range(n):
            kind = self.choose((80, "named"), (6 if allow_derived else 0, "derived"), (2 if allow_derived else 0,
                                                                                     "values"))
            if kind == "named":
                src = self.pick(srcs)
            elif kind == "derived":
                sel = self.select_core(allow_order=False, allow_concat=False, depth_budget=1, need_names=True)
                src = Source(f"({sel.sql})", [SrcCol(nm, c, k) for nm, c, k in zip(sel.names, sel.colls, sel.kinds)],
                             needs_alias=True)
            else:
                rows = self.n(1, 3)
                width = self.n(1, 3)
                vals = ", ".join("(" + ", ".join(self.literal().sql for _ in range(width)) + ")"
                                 for _ in range(rows))
                src = Source(f"(VALUES {vals})", [SrcCol(f"column{j + 1}") for j in range(width)], needs_alias=True)
            if src.needs_alias or src.sql in used or self.coin(0.3):
                qual = self.alias("a")
                item = f"{src.sql} AS {qual}" if self.coin(0.8) else f"{src.sql} {qual}"
            else:
                qual = src.sql
                item = src.sql
            used.add(qual)
            new = [ColRef(qual, c.name, c.coll, c.kind) for c in src.cols]
            if i == 0:
                text = item
            else:
                # TernDB supports RIGHT and FULL JOIN when the left side is one table or subquery.
                right_weight = RIGHT_JOIN_WEIGHT if i == 1 else 0
                full_weight = FULL_JOIN_WEIGHT if i == 1 else 0
                jt = self.choose((12, ","), (4, "CROSS JOIN"), (26, "JOIN"), (6, "INNER JOIN"), (22, "LEFT JOIN"),
                                 (4, "LEFT OUTER JOIN"), (4, "USING"), (2, "NATURAL"), (right_weight, "RIGHT JOIN"),
                                 (full_weight, "FULL JOIN"))
                if jt == ",":
                    text += f", {item}"
                elif jt == "CROSS JOIN":
                    text += f" CROSS JOIN {item}"
                elif jt in ("USING", "NATURAL"):
                    common = sorted({c.name for c in new} & {c.name for c in scope})
                    left = self.pick(["JOIN", "LEFT JOIN"])
                    if left == "LEFT JOIN":
                        outer = list(new)
                    if jt == "NATURAL" or not common:
                        text += f" NATURAL {left} {item}"
                    else:
                        k = self.n(1, len(common))
                        text += f" {left} {item} USING ({', '.join(common[:k])})"
                    star_ok = False
                else:
                    if "LEFT" in jt:
                        outer = list(new)
                    elif "RIGHT" in jt:
                        outer = list(scope)
                    elif "FULL" in jt:
                        outer = scope + new
                    so_far = scope + new
                    nm = [c.name for c in so_far]
                    so_far = [ColRef(c.qual, c.name, c.coll, c.kind, ambiguous=nm.count(c.name) > 1) for c in so_far]
                    on_ctx = Ctx(cols=so_far, allow_sub=self.coin(0.1))
                    on = self.on_condition(scope, new, on_ctx)
                    text += f" {jt} {item} ON {on}"
            scope += new
        names = [c.name for c in scope]
        scope = [ColRef(c.qual, c.name, c.coll, c.kind, ambiguous=names.count(c.name) > 1) for c in scope]
        keys = {(c.qual, c.name) for c in outer}
        self.outer_joined = [c for c in scope if (c.qual, c.name) in keys]
        return text, scope, star_ok

    def on_condition(self, left: list[ColRef], new: list[ColRef], ctx: Ctx) -> str:
        kind = self.choose((6, "eq"), (2, "ineq"), (2, "eq_and"), (2, "general"))
        if kind == "general" or not left or not new:
            return self.cond(ctx, 1).sql
        a = self.pick(new)
        same = [c for c in left if c.name == a.name]
        b = self.pick(same) if same and self.coin(0.5) else self.pick(left)
        sa, sb = f"{a.qual}.{a.name}", f"{b.qual}.{b.name}"
        if self.coin(0.5):
            sa, sb = sb, sa
        if kind == "ineq":
            return f"{sa} {self.pick(['<', '<=', '>', '<>', '!='])} {sb}"
        if kind == "eq_and":
            return f"{sa} = {sb} {self.pick(['AND', 'OR'])} {self.cond(ctx, 0).sql}"
        return f"{sa} {self.pick(['=', '=', '==', 'IS'])} {sb}"

    # -- SELECT

    def select_core(self, ncols: int | None = None, allow_order: bool = True, allow_concat: bool = True,
                    depth_budget: int = 2, force_from: bool = False, need_names: bool = False) -> Sel:
        scope: list[ColRef]
        if not force_from and self.coin(0.03):
            frm, scope, star_ok = "", [], False
            outer_joined: list[ColRef] = []
        else:
            frm, scope, star_ok = self.from_clause(allow_derived=depth_budget > 1)
            outer_joined = self.outer_joined
        base = Ctx(cols=scope, allow_sub=depth_budget > 0)
        aggregate = bool(scope) and self.coin(0.35)
        items: list[E] = []
        star = False
        groups: list[E] = []
        group_sql: list[str] = []
        if aggregate:
            ng = self.choose((3, 0), (5, 1), (2, 2))
            for _ in range(ng):
                g = self.column(base, inner_only=True) if self.coin(0.75) else self.expr(Ctx(cols=scope,
                                                                                              allow_sub=False), 1)
                if g is not None and not _is_int_literal(g.sql):
                    groups.append(g)
            actx = Ctx(cols=[], agg_atoms=groups, agg_cols=scope, allow_sub=depth_budget > 0)
            k = ncols if ncols is not None else self.n(1, 4)
            for i in range(k):
                what = self.choose((4 if groups else 0, "group"), (3 if allow_concat else 0, "concat"),
                                   (10, "expr"))
                if what == "group":
                    items.append(self.pick(groups))
                elif what == "concat":
                    items.append(self.group_concat(actx))
                else:
                    items.append(self.expr(actx, self.n(0, 2)))
            for g in groups:
                pos = next((i for i, it in enumerate(items) if it.sql == g.sql), None)
                if pos is not None and self.coin(0.3):
                    group_sql.append(str(pos + 1))
                else:
                    group_sql.append(g.sql)
        else:
            star = star_ok and ncols is None and self.coin(0.08)
            if star:
                items = [E(f"{c.qual}.{c.name}", c.coll, approx=c.kind == "approx", ncoll=c.coll != "BINARY")
                         for c in scope]
            else:
                k = ncols if ncols is not None else self.n(1, 4)
                items = [self.expr(base, self.n(0, 3)) for _ in range(k)]
        aliased = not star and (need_names or self.coin(0.85))
        if star:
            select_list = "*"
            names = [c.name for c in scope]
        elif aliased:
            names = [f"x{i}" for i in range(len(items))]
            select_list = ", ".join(f"{it.sql} AS {nm}" for it, nm in zip(items, names))
        else:
            names = [it.sql for it in items]
            select_list = ", ".join(names)
        distinct = self.coin(0.12)
        sql = f"SELECT {'DISTINCT ' if distinct else ''}{select_list}"
        if frm:
            sql += f" FROM {frm}"
        if outer_joined and self.coin(0.35):
            # filters on the NULL-extended side of a LEFT JOIN (must not be pushed into the join)
            c = self.pick(outer_joined)
            ref = f"{c.qual}.{c.name}"
            test = self.pick([f"{ref} IS NULL", f"{ref} IS NOT NULL", f"{ref} ISNULL", f"{ref} NOTNULL",
                              f"coalesce({ref}, 'none') = 'none'", f"{ref} IS NOT {self.literal().sql}",
                              f"CASE WHEN {ref} IS NULL THEN 1 ELSE 0 END", f"ifnull({ref}, 0) = 0",
                              f"{ref} = {self.literal().sql}", f"typeof({ref}) = 'null'"])
            if self.coin(0.3):
                test = f"{test} {self.pick(['AND', 'OR'])} {self.cond(base, 1).sql}"
            sql += f" WHERE {test}"
        elif scope and self.coin(0.5):
            sql += f" WHERE {self.cond(base, self.n(0, 3)).sql}"
        if aggregate and group_sql:
            sql += f" GROUP BY {', '.join(group_sql)}"
            if self.coin(0.5):
                hctx = Ctx(cols=[], agg_atoms=groups, agg_cols=scope, allow_sub=depth_budget > 0)
                sql += f" HAVING {self.cond(hctx, 1).sql}"
        elif aggregate and self.coin(0.05):
            hctx = Ctx(cols=[], agg_atoms=[], agg_cols=scope, allow_sub=False)
            sql += f" HAVING {self.cond(hctx, 0).sql}"
        kinds = [("concat", it.concat) if it.concat is not None else ("approx" if it.approx else "exact")
                 for it in items]
        sel = Sel(sql, len(items), kinds, [it.coll for it in items], names, aliased=aliased)
        if allow_order:
            self.order_limit(sel, items, aliased, aggregate and not group_sql, scope)
        return sel

    def order_limit(self, sel: Sel, items: list[E], use_alias: bool, single_row: bool,
                    scope: list[ColRef], compound: bool = False) -> None:
        if single_row:
            if self.coin(0.1):
                sel.sql += f" LIMIT {self.pick(['1', '0', '-1', '1 OFFSET 1'])}"
            return
        what = self.choose((55, "none"), (35, "output"), (10 if scope and not compound else 0, "hidden"))
        if what == "none":
            if self.coin(0.07):
                sel.sql += f" LIMIT {self.pick(['-1', '0', '10000', '0 OFFSET 0', '100000 OFFSET 0'])}"
            return
        if what == "hidden":
            ctx = Ctx(cols=scope, allow_sub=False)
            terms = []
            for _ in range(self.n(1, 2)):
                t = self.expr(ctx, 1).sql
                if _is_int_literal(t):  # would be an ordinal
                    t = f"{scope[0].qual}.{scope[0].name}"
                terms.append(t + self.pick(["", " DESC", " ASC"]))
            sel.sql += " ORDER BY " + ", ".join(terms)
            if self.coin(0.1):
                sel.sql += " LIMIT -1"
            return
        # group_concat element order is unspecified: never sort on it
        idx = [i for i in range(sel.ncols) if not isinstance(sel.kinds[i], tuple)]
        if not idx:
            return
        k = self.n(1, min(3, len(idx)))
        chosen = self.draw(st.permutations(idx))[:k]
        terms = []
        order = []
        for i in chosen:
            how = self.choose((4, "ordinal"), (3 if use_alias else 0, "alias"),
                              (3 if not compound and not _is_int_literal(items[i].sql) else 0, "expr"))
            if how == "ordinal":
                t = str(i + 1)
            elif how == "alias":
                t = sel.names[i]
            else:
                t = items[i].sql
            coll = sel.colls[i]
            if self.coin(0.08):
                c = self.pick(["NOCASE", "BINARY", "RTRIM"])
                t += f" COLLATE {c}"
                coll = c
            t += self.pick(["", " ASC", " DESC", " DESC", ""])
            if self.coin(0.1):
                t += self.pick([" NULLS FIRST", " NULLS LAST"])
            terms.append(t)
            order.append((i, coll))
        if self.coin(0.5):
            for i in idx:
                if i not in chosen:
                    terms.append(str(i + 1))
                    order.append((i, sel.colls[i]))
        sel.sql += " ORDER BY " + ", ".join(terms)
        sel.order = tuple(order)
        if self.coin(0.4):
            lim = self.choose((12, "good"), (1, "odd"))
            if lim == "good":
                lim = self.pick(["0", "1", "2", "3", "5", "-1", "100", "'2'", "1+1", "2.0", "(SELECT count(*) FROM t1)"])
            else:
                lim = self.pick(["NULL", "'x'", "1.5", "x'01'"])
            form = self.choose((5, "plain"), (3, "offset"), (1, "comma"))
            off = self.pick(["0", "1", "2", "3", "-1", "'1'", "10"])
            if form == "plain":
                sel.sql += f" LIMIT {lim}"
            elif form == "offset":
                sel.sql += f" LIMIT {lim} OFFSET {off}"
            else:
                sel.sql += f" LIMIT {off}, {lim}"
            sel.limited = True

    def compound(self) -> Sel:
        ncols = self.n(1, 3)
        parts = [self.select_core(ncols=ncols, allow_order=False, allow_concat=False)]
        sql = parts[0].sql
        for _ in range(self.choose((4, 1), (1, 2))):
            op = self.pick(["UNION", "UNION ALL", "INTERSECT", "EXCEPT", "UNION ALL"])
            if self.coin(0.15):
                vals = ", ".join("(" + ", ".join(self.literal().sql for _ in range(ncols)) + ")"
                                 for _ in range(self.n(1, 2)))
                nxt = Sel(f"VALUES {vals}", ncols, ["exact"] * ncols, ["BINARY"] * ncols, parts[0].names)
            else:
                nxt = self.select_core(ncols=ncols, allow_order=False, allow_concat=False)
            parts.append(nxt)
            sql += f" {op} {nxt.sql}"
        kinds = ["approx" if any(p.kinds[i] == "approx" for p in parts) else "exact" for i in range(ncols)]
        colls = [parts[0].colls[i] if all(p.colls[i] == parts[0].colls[i] for p in parts) else None
                 for i in range(ncols)]
        sel = Sel(sql, ncols, kinds, colls, parts[0].names)
        self.order_limit(sel, [], use_alias=parts[0].aliased, single_row=False, scope=[], compound=True)
        return sel

    def cte_query(self) -> Sel:
        n = self.n(1, 2)
        heads = []
        for _ in range(n):
            name = self.alias("c")
            inner = self.select_core(allow_order=False, allow_concat=False, depth_budget=1, need_names=True)
            cols = [f"x{i}" for i in range(inner.ncols)]
            if self.coin(0.5):
                heads.append(f"{name}({', '.join(cols)}) AS ({inner.sql})")
            elif inner.aliased:
                heads.append(f"{name} AS ({inner.sql})")
            else:  # SELECT *: keep the table's column names
                heads.append(f"{name} AS ({inner.sql})")
                cols = inner.names
            if len(set(cols)) == len(cols):
                self.ctes.append((name, Source(name, [SrcCol(nm, c, k) for nm, c, k in
                                                      zip(cols, inner.colls, inner.kinds)])))
        try:
            main = self.select_core(force_from=True) if self.coin(0.8) else self.compound()
        finally:
            self.ctes = []
        main.sql = f"WITH {', '.join(heads)} {main.sql}"
        return main

    def recursive_cte(self) -> Sel:
        name = self.alias("r")
        k = self.n(1, 5)
        form = self.choose((3, "counter"), (2, "table"), (1, "union"))
        if form == "union":
            start = self.pick(["1", "0", "-3", "2.5", "'1'"])
            step = self.pick(["x + 1", "x + 2", "x * 2", "x + 0.5"])
            body = f"SELECT {start} UNION SELECT {step} FROM {name} WHERE x < {k * 3}"
            cols = [SrcCol("x")]
            head = f"{name}(x)"
        else:
            if form == "table":
                t = self.pick(self.tables)
                c = self.pick(t.cols)
                seed = f"SELECT 0, {c.name} FROM {t.name}"
            else:
                seed = f"SELECT 0, {self.literal().sql}"
            sub = Ctx(cols=[ColRef(name, "v", "BINARY")], allow_sub=False)
            step = self.expr(sub, 1)
            body = f"{seed} UNION ALL SELECT n + 1, {step.sql} FROM {name} WHERE n < {k}"
            cols = [SrcCol("n"), SrcCol("v", None)]
            head = f"{name}(n, v)"
        self.ctes.append((name, Source(name, cols)))
        try:
            main = self.select_core(force_from=True)
        finally:
            self.ctes = []
        main.sql = f"WITH RECURSIVE {head} AS ({body}) {main.sql}"
        return main

    def query(self) -> Query:
        kind = self.choose((62, "select"), (15, "compound"), (10, "cte"), (8, "recursive"))
        if kind == "select":
            sel = self.select_core()
        elif kind == "compound":
            sel = self.compound()
        elif kind == "cte":
            sel = self.cte_query()
        else:
            sel = self.recursive_cte()
        return Query(sel.sql, order=sel.order, limited=sel.limited, kinds=tuple(sel.kinds),
                     tie_tolerant=bool(TIE_SENSITIVE.search(sel.sql))
                     or any(re.search(rf"\b{v}\b", sel.sql) for v in self.tie_views))


# ----------------------------------------------------------------------------- schemas and data


COL_NAMES = ["a", "b", "c", "d", "e", "f"]
IPK_PROBABILITY = 0.35  # of an INTEGER column becoming the INTEGER PRIMARY KEY (explore.py may lower it)
RIGHT_JOIN_WEIGHT = 4  # RIGHT JOIN (SQLite >= 3.39)
FULL_JOIN_WEIGHT = 3   # FULL JOIN (SQLite >= 3.39)


def draw_table(g: Gen, name: str, constraints: bool = True, checks: bool = False) -> Table:
    k = g.n(2, 5)
    names = sorted(g.draw(st.permutations(COL_NAMES))[:k])
    cols = []
    has_pk = False
    for nm in names:
        decl = g.choose((85, "main"), (15, "odd"))
        decl = g.pick(TYPES_MAIN) if decl == "main" else g.pick(TYPES_ODD)
        c = Column(nm, decl)
        if constraints:
            if not has_pk and decl == "INTEGER" and g.coin(IPK_PROBABILITY):
                c.pk = True
                has_pk = True
            elif not has_pk and g.coin(0.04):
                c.pk = True  # a non-rowid PRIMARY KEY (implicit unique index)
                has_pk = True
            c.notnull = g.coin(0.08)
            c.unique = not c.pk and g.coin(0.08)
            if g.coin(0.12):
                c.default = g.pick(LITERALS[:40] + ["'dflt'", "(1 + 2)", "-5", "x'00'"])
            r = g.choose((82, None), (13, "NOCASE"), (3, "RTRIM"), (2, "BINARY"))
            c.coll = r
            if checks and g.coin(0.1):
                c.check = g.pick([f"{nm} IS NULL OR {nm} <> 13", f"length({nm}) < 20", f"{nm} <> 'bad'",
                                  f"typeof({nm}) <> 'blob'"])
        cols.append(c)
    t = Table(name, cols)
    if constraints and len(cols) >= 2 and g.coin(0.07):
        pair = g.draw(st.permutations([c.name for c in cols]))[:2]
        t.extra.append(f"UNIQUE({pair[0]}, {pair[1]})")
    return t


def row_insert(g: Gen, t: Table) -> Stmt:
    """One INSERT of one or more rows into t.

    Values come from the scenario's small shared pool about half of the time, so
    equal values recur across rows and tables (joins match, groups have members).
    """
    form = g.choose((70, "params"), (15, "literals"), (10, "multi"), (3, "default"))
    vs = value_strategy()
    if g.shared_values:
        vs = st.one_of(st.sampled_from(g.shared_values), vs)
    if form == "default":
        return Stmt(f"INSERT INTO {t.name} DEFAULT VALUES")
    cols = t.cols if not g.coin(0.2) else [c for c in t.cols if not g.coin(0.4)] or t.cols[:1]
    names = ", ".join(c.name for c in cols)
    if form == "params":
        vals = tuple(g.draw(vs) for _ in cols)
        return Stmt(f"INSERT INTO {t.name}({names}) VALUES ({', '.join('?' for _ in cols)})", vals)
    rows = 1 if form == "literals" else g.n(2, 3)
    body = ", ".join("(" + ", ".join(_lit_value(g, vs) for _ in cols) + ")" for _ in range(rows))
    return Stmt(f"INSERT INTO {t.name}({names}) VALUES {body}")


def _lit_value(g: Gen, vs: st.SearchStrategy) -> str:
    if g.coin(0.5):
        return g.pick(LITERALS)
    v = g.draw(vs)
    if isinstance(v, float) and v < 0:
        return f"({sql_literal(v)})"
    return sql_literal(v)


def _data_pool(setup: list[Stmt]) -> list[str]:
    """Distinct SQL literals of the parameter values inserted by ``setup`` (NaN-free, sorted for determinism)."""
    seen: dict[str, None] = {}
    for stmt in setup:
        for v in stmt.params:
            if v is not None:
                lit = sql_literal(v)
                seen[f"({lit})" if lit.startswith("-") else lit] = None
    return sorted(seen)


def draw_index(g: Gen, t: Table, name: str) -> Stmt:
    k = g.choose((7, 1), (3, 2))
    cols = g.draw(st.permutations([c.name for c in t.cols]))[:k]
    parts = []
    for c in cols:
        p = c
        if g.coin(0.12):
            p += " COLLATE " + g.pick(["NOCASE", "BINARY", "RTRIM"])
        if g.coin(0.2):
            p += g.pick([" DESC", " ASC"])
        parts.append(p)
    uniq = "UNIQUE " if g.coin(0.15) else ""
    return Stmt(f"CREATE {uniq}INDEX {name} ON {t.name}({', '.join(parts)})")


@dataclass
class Scenario:
    """Setup statements plus checks; its repr is a runnable SQL script."""

    setup: list[Stmt]
    queries: list[Query]

    def __repr__(self) -> str:
        lines = ["Scenario:"]
        lines += [f"  {s.script()};" for s in self.setup]
        lines += [f"  {q.script()};  -- order={q.order} limited={q.limited} kinds={q.kinds}" for q in self.queries]
        return "\n".join(lines)


@st.composite
def query_scenarios(draw: Callable, min_queries: int = 3, max_queries: int = 6) -> Scenario:
    """Schema + data + indexes + views, then a batch of queries."""
    g = Gen(draw, [])
    ntables = g.choose((5, 2), (4, 3), (2, 4))
    tables = [draw_table(g, f"t{i + 1}") for i in range(ntables)]
    g.tables = tables
    setup: list[Stmt] = [Stmt(t.ddl()) for t in tables]
    g.shared_values = [g.draw(value_strategy()) for _ in range(g.n(2, 6))]
    indexes: list[Stmt] = []
    for i in range(g.choose((3, 0), (4, 1), (3, 2), (2, 3))):
        indexes.append(draw_index(g, g.pick(tables), f"i{i + 1}"))
    early = g.coin(0.5)
    if early:
        setup += indexes
    for t in tables:
        size = g.choose((4, "small"), (5, "medium"), (1, "empty"), (1, "large"))
        nrows = {"small": lambda: g.n(1, 4), "medium": lambda: g.n(5, 10), "empty": lambda: 0,
                 "large": lambda: g.n(11, 18)}[size]()
        for _ in range(nrows):
            setup.append(row_insert(g, t))
    if not early:
        setup += indexes
    g.data_pool = _data_pool(setup)
    # views over the base tables
    views: list[Source] = []
    for i in range(g.choose((6, 0), (3, 1), (1, 2))):
        sel = g.select_core(allow_order=False, allow_concat=False, depth_budget=1, need_names=True)
        name = f"v{i + 1}"
        cols = [f"x{j}" for j in range(sel.ncols)]
        if g.coin(0.5):
            ddl = f"CREATE VIEW {name}({', '.join(cols)}) AS {sel.sql}"
        else:
            ddl = f"CREATE VIEW {name} AS {sel.sql}"
            if not sel.aliased:
                cols = sel.names
        setup.append(Stmt(ddl))
        if TIE_SENSITIVE.search(sel.sql):
            g.tie_views.add(name)
        if len(set(cols)) == len(cols):
            views.append(Source(name, [SrcCol(nm, c, k) for nm, c, k in zip(cols, sel.colls, sel.kinds)]))
    g.views = views
    queries = [g.query() for _ in range(g.n(min_queries, max_queries))]
    return Scenario(setup, queries)


# ----------------------------------------------------------------------------- constant expressions


@st.composite
def expression_batches(draw: Callable) -> Query:
    """SELECT of a few constant expressions (no FROM)."""
    g = Gen(draw, [Table("t1", [Column("a"), Column("b")])])
    ctx = Ctx(cols=[], allow_sub=False)
    items = [g.expr(ctx, g.n(1, 4)) if g.coin(0.7) else g.cond(ctx, g.n(1, 3)) for _ in range(g.n(1, 6))]
    sql = "SELECT " + ", ".join(it.sql for it in items)
    return Query(sql, kinds=tuple("approx" if it.approx else "exact" for it in items))


@st.composite
def typed_row_scenarios(draw: Callable) -> Scenario:
    """One table with one column of each affinity, a few rows, and expressions over it."""
    g = Gen(draw, [])
    decls = ["INTEGER", "REAL", "TEXT", "BLOB", "NUMERIC", "", "VARCHAR(10)"]
    t = Table("t1", [Column(f"c{i}", d) for i, d in enumerate(decls)])
    g.tables = [t]
    setup = [Stmt(t.ddl())]
    vs = value_strategy()
    for _ in range(g.n(1, 4)):
        v = g.draw(vs)
        setup.append(Stmt(f"INSERT INTO t1 VALUES ({', '.join('?' for _ in decls)})", (v,) * len(decls)))
    if g.coin(0.5):
        setup.append(Stmt(f"CREATE INDEX i1 ON t1({g.pick([c.name for c in t.cols])})"))
    scope = [ColRef("t1", c.name, "BINARY") for c in t.cols]
    queries = []
    for _ in range(g.n(2, 4)):
        ctx = Ctx(cols=scope, allow_sub=g.coin(0.3))
        items = [g.expr(ctx, g.n(0, 3)) for _ in range(g.n(1, 4))]
        sql = "SELECT " + ", ".join(it.sql for it in items) + " FROM t1"
        if g.coin(0.6):
            sql += f" WHERE {g.cond(ctx, 2).sql}"
        queries.append(Query(sql, kinds=tuple("approx" if it.approx else "exact" for it in items)))
    return Scenario(setup, queries)


# ----------------------------------------------------------------------------- DML


@dataclass
class DmlStep:
    stmt: Stmt
    returning: bool = False
    is_insert: bool = False


@dataclass
class DmlScenario:
    setup: list[Stmt]
    tables: list[str]
    steps: list[DmlStep]

    def __repr__(self) -> str:
        lines = ["DmlScenario:"]
        lines += [f"  {s.script()};" for s in self.setup]
        lines += [f"  {s.stmt.script()};" for s in self.steps]
        return "\n".join(lines)


CONFLICT = ["", "OR REPLACE ", "OR IGNORE ", "OR ABORT ", "OR FAIL ", "OR ROLLBACK "]


def dml_step(g: Gen, t: Table, other: Table | None) -> DmlStep:
    kind = g.choose((30, "insert"), (10, "upsert"), (5, "replace"), (6, "insert_select"), (22, "update"),
                    (14, "delete"), (8, "txn"))
    scope = [ColRef(t.name, c.name, c.coll or "BINARY") for c in t.cols]
    ctx = Ctx(cols=scope, allow_sub=g.coin(0.2))
    ret = ""
    if g.coin(0.08):
        ret = " RETURNING " + g.pick(["*", "rowid", t.cols[0].name, f"{t.cols[-1].name}, typeof({t.cols[-1].name})"])
    if kind == "txn":
        # mostly well-formed: open a transaction/savepoint when none is open, close it otherwise
        if g.in_txn:
            stmt = g.choose((4, "COMMIT"), (4, "ROLLBACK"), (2, "ROLLBACK TO sp1"), (2, "RELEASE sp1"),
                            (1, "END"), (1, "SAVEPOINT sp1"), (1, "BEGIN"))
        else:
            stmt = g.choose((5, "BEGIN"), (2, "SAVEPOINT sp1"), (1, "BEGIN IMMEDIATE"), (1, "COMMIT"),
                            (1, "ROLLBACK"))
        if stmt in ("BEGIN", "BEGIN IMMEDIATE", "SAVEPOINT sp1"):
            g.in_txn = True
        elif stmt in ("COMMIT", "ROLLBACK", "END", "RELEASE sp1"):
            g.in_txn = False
        return DmlStep(Stmt(stmt))
    if kind in ("insert", "upsert", "replace"):
        ins = row_insert(g, t)
        sql = ins.sql
        if kind == "replace":
            sql = sql.replace("INSERT INTO", "REPLACE INTO", 1)
        elif kind == "insert":
            sql = sql.replace("INSERT INTO", "INSERT " + g.pick(CONFLICT) + "INTO", 1)
        elif "DEFAULT VALUES" not in sql:
            targets = t.unique_sets()
            target = g.pick(targets) if targets and g.coin(0.85) else [g.pick(t.cols).name]
            if g.coin(0.25):
                sql += f" ON CONFLICT DO NOTHING" if g.coin(0.5) else f" ON CONFLICT({', '.join(target)}) DO NOTHING"
            else:
                sets = []
                for c in g.draw(st.permutations(t.cols))[:g.n(1, 2)]:
                    v = g.choose((3, f"excluded.{c.name}"), (2, "expr"), (1, f"{c.name} + 1"),
                                 (1, f"{c.name} || excluded.{c.name}"))
                    if v == "expr":
                        v = g.expr(Ctx(cols=scope, allow_sub=False), 1).sql
                    sets.append(f"{c.name} = {v}")
                sql += f" ON CONFLICT({', '.join(target)}) DO UPDATE SET {', '.join(sets)}"
                if g.coin(0.25):
                    sql += f" WHERE {g.cond(Ctx(cols=scope, allow_sub=False), 1).sql}"
        return DmlStep(Stmt(sql + ret, ins.params), returning=bool(ret), is_insert=True)
    if kind == "insert_select":
        src = other if other is not None and g.coin(0.6) else t
        cols = t.cols[: min(len(t.cols), len(src.cols))]
        sel_cols = [c.name for c in g.draw(st.permutations(src.cols))[: len(cols)]]
        where = ""
        if g.coin(0.5):
            sctx = Ctx(cols=[ColRef(src.name, c.name, c.coll or "BINARY") for c in src.cols], allow_sub=False)
            where = f" WHERE {g.cond(sctx, 1).sql}"
        conflict = g.pick(CONFLICT)
        return DmlStep(Stmt(f"INSERT {conflict}INTO {t.name}({', '.join(c.name for c in cols)}) "
                            f"SELECT {', '.join(sel_cols)} FROM {src.name}{where}{ret}"),
                       returning=bool(ret), is_insert=True)
    if kind == "update":
        conflict = g.pick(CONFLICT)
        sets = []
        for c in g.draw(st.permutations(t.cols))[:g.n(1, 3)]:
            v = g.choose((4, "expr"), (2, "lit"), (1, "arith"), (1, "other"))
            if v == "expr":
                val = g.expr(ctx, g.n(0, 2)).sql
            elif v == "lit":
                val = g.literal().sql
            elif v == "arith":
                rhs = g.pick(["1", "2", "0.5", "'x'", "-1"])
                val = f"{c.name} {g.pick(['+', '-', '*', '||'])} {rhs}"
            else:
                val = g.pick(t.cols).name
            sets.append(f"{c.name} = {val}")
        where = f" WHERE {g.cond(ctx, g.n(0, 2)).sql}" if g.coin(0.75) else ""
        return DmlStep(Stmt(f"UPDATE {conflict}{t.name} SET {', '.join(sets)}{where}{ret}"), returning=bool(ret))
    where = f" WHERE {g.cond(ctx, g.n(0, 2)).sql}" if g.coin(0.85) else ""
    return DmlStep(Stmt(f"DELETE FROM {t.name}{where}{ret}"), returning=bool(ret))


@st.composite
def dml_scenarios(draw: Callable) -> DmlScenario:
    g = Gen(draw, [])
    ntables = g.choose((3, 1), (2, 2))
    tables = [draw_table(g, f"t{i + 1}", checks=True) for i in range(ntables)]
    for t in tables:  # upserts and REPLACE need a uniqueness constraint to conflict on
        if not t.unique_sets() and g.coin(0.8):
            g.pick(t.cols).unique = True
    g.tables = tables
    setup = [Stmt(t.ddl()) for t in tables]
    g.shared_values = [g.draw(value_strategy()) for _ in range(g.n(2, 6))]
    for i in range(g.choose((2, 0), (2, 1), (1, 2))):
        setup.append(draw_index(g, g.pick(tables), f"i{i + 1}"))
    for t in tables:
        for _ in range(g.n(1, 5) if g.coin(0.85) else 0):
            setup.append(row_insert(g, t))
    g.data_pool = _data_pool(setup)
    steps = []
    for _ in range(g.n(3, 10)):
        t = g.pick(tables)
        other = next((x for x in tables if x is not t), None)
        steps.append(dml_step(g, t, other))
    return DmlScenario(setup, [t.name for t in tables], steps)
