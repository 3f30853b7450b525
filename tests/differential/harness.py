"""Run the same SQL on sqlite3 (the oracle) and on TernDB, and compare the outcomes.

What is compared
----------------
* **Error parity**: if sqlite3 raises a ``sqlite3.Error`` TernDB must raise a
  ``terndb.Error`` (any subclass, messages are not compared), and vice versa.
  A TernDB exception that is *not* a ``terndb.Error`` (a leaked ``TypeError``...)
  is always a mismatch.
* **Column count** (``len(cursor.description)``), even for empty results.
* **Rows**, value by value, with exact types: ``1``, ``1.0``, ``'1'`` and
  ``b'1'`` are four different results; ``-0.0`` differs from ``0.0``.
  Rows are compared as multisets unless the query's ORDER BY determines
  the order (see :class:`Query`).
* Per-column comparison kinds: ``"exact"`` (default), ``"approx"`` (REAL
  results of aggregates such as avg/sum/total: relative tolerance 1e-9) and
  ``("concat", sep)`` for a top-level ``group_concat`` whose element order
  SQLite leaves unspecified (compared as the multiset of the pieces).
* For DML: ``cursor.rowcount`` (and ``lastrowid`` after an INSERT) and the
  full contents of the tables afterwards.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import terndb

REL_TOL = 1e-9
MAX_SHOWN_ROWS = 25

Kind = Any  # "exact" | "approx" | ("concat", sep)


# ----------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Stmt:
    """A statement with its parameters."""

    sql: str
    params: tuple = ()

    def script(self) -> str:
        """The statement with its parameters inlined as SQL literals."""
        if not self.params:
            return self.sql
        parts = self.sql.split("?")
        if len(parts) != len(self.params) + 1:  # a '?' inside a literal: give up inlining
            return f"{self.sql}  -- params: {self.params!r}"
        out = [parts[0]]
        for value, rest in zip(self.params, parts[1:]):
            out.append(sql_literal(value))
            out.append(rest)
        return "".join(out)


@dataclass(frozen=True)
class Query:
    """A query plus what the harness may assume about its result.

    ``order``: ``None`` if the row order is unspecified (compare as multisets);
    otherwise the ORDER BY terms as ``(output column index, collation)`` where
    the collation is ``"BINARY"``, ``"NOCASE"``, ``"RTRIM"`` or ``None``
    (unknown: compare keys case-folded and right-trimmed).  The sequence of
    sort keys must then match exactly and rows with equal keys are compared
    as multisets.  ``limited``: LIMIT/OFFSET is present, so the first and last
    runs of equal keys may legitimately hold different rows.
    """

    sql: str
    params: tuple = ()
    order: tuple[tuple[int, str | None], ...] | None = None
    limited: bool = False
    kinds: tuple[Kind, ...] = ()
    tie_tolerant: bool = False

    def script(self) -> str:
        return Stmt(self.sql, self.params).script()


# ----------------------------------------------------------------------------- values


def sql_literal(v: Any) -> str:
    """``v`` as an SQL literal (for readable reproductions)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NULL"
        if math.isinf(v):
            return "9e999" if v > 0 else "-9e999"
        return repr(v)
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "x'" + bytes(v).hex() + "'"
    return repr(v)


def vkey(v: Any) -> tuple:
    """Exact, hashable identity of a value: type tag + value (+ sign of zero)."""
    if v is None:
        return (0,)
    t = type(v)
    if t is int:
        return (1, v)
    if t is float:
        if v != v:
            return (2, "nan")
        return (2, v, math.copysign(1.0, v) < 0)
    if t is str:
        return (3, v)
    if t is bytes:
        return (4, v)
    return (9, t.__name__, repr(v))


def _ascii_lower(s: str) -> str:
    return s.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def sort_key(v: Any, coll: str | None) -> tuple:
    """The value as an ORDER BY key: equal keys are ties for SQLite."""
    if v is None:
        return (0,)
    if type(v) in (int, float):
        return (1, v)
    if type(v) is str:
        if coll == "NOCASE":
            return (2, _ascii_lower(v))
        if coll == "RTRIM":
            return (2, v.rstrip(" "))
        if coll is None:
            return (2, _ascii_lower(v).rstrip(" "))
        return (2, v)
    if type(v) is bytes:
        return (3, v)
    return (9, repr(v))


def close(a: Any, b: Any) -> bool:
    """Equality of two values of an "approx" column (floats within REL_TOL)."""
    if type(a) is float and type(b) is float:
        if a == b or (a != a and b != b):
            return True
        if math.isinf(a) or math.isinf(b):
            return False
        return abs(a - b) <= REL_TOL * max(abs(a), abs(b))
    return vkey(a) == vkey(b)


def _key_close(ka: tuple, kb: tuple) -> bool:
    if ka == kb:
        return True
    if len(ka) != len(kb):
        return False
    for x, y in zip(ka, kb):
        if x == y:
            continue
        if x[0] == 1 and y[0] == 1 and isinstance(x[1], float) and isinstance(y[1], float) and close(x[1], y[1]):
            continue
        return False
    return True


# ----------------------------------------------------------------------------- outcomes


@dataclass
class Outcome:
    """What one engine did with one statement."""

    error: BaseException | None = None
    crashed: bool = False  # TernDB raised something that is not a terndb.Error
    rows: list[tuple] = field(default_factory=list)
    ncols: int = 0
    rowcount: int = -1
    lastrowid: Any = None

    def describe(self, limit: int = MAX_SHOWN_ROWS) -> str:
        if self.error is not None:
            tag = "CRASH (not a terndb.Error) " if self.crashed else ""
            return f"{tag}{type(self.error).__name__}: {self.error}".splitlines()[0]
        shown = ", ".join(_fmt_row(r) for r in self.rows[:limit])
        more = f", ... ({len(self.rows)} rows)" if len(self.rows) > limit else ""
        return f"[{shown}{more}]"


def _fmt_row(r: Sequence) -> str:
    return "(" + ", ".join(repr(v) for v in r) + ("," if len(r) == 1 else "") + ")"


def _run(conn: Any, error_class: type[BaseException], sql: str, params: tuple, catch_all: bool) -> Outcome:
    try:
        cur = conn.execute(sql, params)
        rows = [tuple(r) for r in cur.fetchall()]
        desc = cur.description
        return Outcome(rows=rows, ncols=len(desc) if desc else 0, rowcount=cur.rowcount, lastrowid=cur.lastrowid)
    except error_class as e:
        return Outcome(error=e)
    except RecursionError as e:
        return Outcome(error=e, crashed=True)
    except Exception as e:  # noqa: BLE001 - a leaked non-DB-API exception is itself a finding
        if not catch_all:
            raise
        return Outcome(error=e, crashed=True)


def _decode_text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


# ----------------------------------------------------------------------------- pair


class Mismatch(AssertionError):
    """The engines disagree.  ``kind`` classifies the disagreement."""

    def __init__(self, kind: str, stmt: str, detail: str, script: str):
        self.kind = kind
        self.stmt = stmt
        self.detail = detail
        self.script = script
        super().__init__(f"{kind}\n-- statement:\n{stmt};\n{detail}\n-- full reproduction script:\n{script}")


def open_sqlite() -> sqlite3.Connection:
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.text_factory = _decode_text
    return con


def open_terndb() -> Any:
    return terndb.connect(":memory:", isolation_level=None)


class Pair:
    """Two fresh in-memory databases, one per engine, fed the same statements."""

    def __init__(self) -> None:
        self.sq = open_sqlite()
        self.tn = open_terndb()
        self.log: list[str] = []

    def close(self) -> None:
        for con in (self.sq, self.tn):
            try:
                con.close()
            except Exception:  # noqa: BLE001
                pass

    def __enter__(self) -> "Pair":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- running

    def run(self, sql: str, params: tuple = ()) -> tuple[Outcome, Outcome]:
        s = _run(self.sq, sqlite3.Error, sql, params, catch_all=False)
        t = _run(self.tn, terndb.Error, sql, params, catch_all=True)
        return s, t

    def script(self, extra: str | None = None) -> str:
        lines = [s + ";" for s in self.log]
        if extra is not None:
            lines.append(extra + ";")
        return "\n".join(lines)

    def _fail(self, kind: str, stmt: str, s: Outcome, t: Outcome, extra: str = "") -> None:
        detail = f"-- sqlite3: {s.describe()}\n-- terndb : {t.describe()}"
        if extra:
            detail += "\n" + extra
        raise Mismatch(kind, stmt, detail, self.script(stmt))

    def _check_errors(self, stmt: str, s: Outcome, t: Outcome) -> bool:
        """Error parity.  Returns True if both failed (nothing more to compare)."""
        if t.crashed:
            self._fail("terndb raised a non-DB-API exception", stmt, s, t)
        if s.error is not None and t.error is None:
            self._fail("sqlite3 raised an error, terndb did not", stmt, s, t)
        if s.error is None and t.error is not None:
            self._fail("terndb raised an error, sqlite3 did not", stmt, s, t)
        return s.error is not None

    # -- statements

    def setup(self, stmt: Stmt) -> tuple[Outcome, Outcome]:
        """Run a setup statement: error parity and rowcount parity; logged."""
        text = stmt.script()
        s, t = self.run(stmt.sql, stmt.params)
        both_failed = self._check_errors(text, s, t)
        if not both_failed and s.rowcount != t.rowcount:
            self._fail("rowcount differs", text, s, t, f"-- rowcount: sqlite3 {s.rowcount}, terndb {t.rowcount}")
        self.log.append(text if not both_failed else f"{text}  -- (fails on both)")
        return s, t

    def dml(self, stmt: Stmt, tables: Iterable[str], returning: bool = False,
            check_lastrowid: bool = False) -> tuple[Outcome, Outcome]:
        """A data-changing statement: error parity, rowcount, lastrowid, RETURNING rows, then table contents."""
        text = stmt.script()
        s, t = self.run(stmt.sql, stmt.params)
        both_failed = self._check_errors(text, s, t)
        if not both_failed:
            if s.rowcount != t.rowcount:
                self._fail("rowcount differs", text, s, t, f"-- rowcount: sqlite3 {s.rowcount}, terndb {t.rowcount}")
            if check_lastrowid and s.lastrowid != t.lastrowid:
                self._fail("lastrowid differs", text, s, t,
                           f"-- lastrowid: sqlite3 {s.lastrowid!r}, terndb {t.lastrowid!r}")
            if returning:
                # SQLite 3.40 applies column affinities to RETURNING values inconsistently
                # (e.g. ``RETURNING rowid`` can come back as 1.0): compare numbers by value.
                self._compare_result(Query(stmt.sql, stmt.params, tie_tolerant=True), text, s, t)
        self.log.append(text if not both_failed else f"{text}  -- (fails on both)")
        for name in tables:
            self.check_table(name)
        return s, t

    def check_table(self, name: str) -> None:
        """Whole-table contents, rowid included, in rowid order."""
        q = f"SELECT rowid, * FROM {name} ORDER BY rowid"
        self.check_query(Query(q, order=((0, "BINARY"),)), label=f"contents of {name} differ")

    # -- queries

    def check_query(self, q: Query, label: str | None = None) -> tuple[Outcome, Outcome]:
        text = q.script()
        s, t = self.run(q.sql, q.params)
        if self._check_errors(text, s, t):
            return s, t
        self._compare_result(q, text, s, t, label)
        return s, t

    def _compare_result(self, q: Query, text: str, s: Outcome, t: Outcome, label: str | None = None) -> None:
        if s.ncols != t.ncols:
            self._fail("column count differs", text, s, t, f"-- columns: sqlite3 {s.ncols}, terndb {t.ncols}")
        problem = compare_rows(s.rows, t.rows, q)
        if problem:
            self._fail(label or "results differ", text, s, t, problem)


# ----------------------------------------------------------------------------- row comparison


def _loose(v: Any) -> Any:
    """A value up to SQLite equality ties: numbers by value (1 == 1.0, 0.0 == -0.0) and
    text ASCII-case-folded and right-trimmed (NOCASE / RTRIM ties)."""
    if type(v) is float and v == v and abs(v) != math.inf and v.is_integer() and abs(v) < 2**63:
        return int(v)
    if type(v) is str:
        return _ascii_lower(v).rstrip(" ")
    return v


def _canon(row: tuple, kinds: Sequence[Kind], loose: bool = False) -> tuple[tuple, tuple]:
    exact: list = []
    approx: list = []
    if loose:
        row = tuple(_loose(v) for v in row)
    for i, v in enumerate(row):
        k = kinds[i] if i < len(kinds) else "exact"
        if k == "approx" and type(v) is float:
            exact.append((2, "~"))
            approx.append(v)
        elif isinstance(k, tuple) and k[0] == "concat" and type(v) is str:
            pieces = v.split(k[1]) if k[1] else list(v)  # '' separator: the multiset of characters
            exact.append((5, tuple(sorted(pieces))))
        else:
            exact.append(vkey(v))
    return tuple(exact), tuple(approx)


def multiset_diff(a: Sequence[tuple], b: Sequence[tuple], kinds: Sequence[Kind],
                  loose: bool = False) -> tuple[list, list] | None:
    """None if equal as multisets, else (rows only in a, rows only in b)."""
    ca = [_canon(r, kinds, loose) for r in a]
    cb = [_canon(r, kinds, loose) for r in b]
    if not any(x[1] for x in ca + cb):
        cnt_a = Counter(x[0] for x in ca)
        cnt_b = Counter(x[0] for x in cb)
        if cnt_a == cnt_b:
            return None
        only_a = [r for r, c in zip(a, ca) if _take(cnt_a, cnt_b, c[0])]
        cnt_a = Counter(x[0] for x in ca)
        cnt_b = Counter(x[0] for x in cb)
        only_b = [r for r, c in zip(b, cb) if _take(cnt_b, cnt_a, c[0])]
        return only_a, only_b
    # with approximate columns: match rows greedily inside groups of equal exact parts
    groups_b: dict[tuple, list[tuple[tuple, tuple]]] = defaultdict(list)
    for r, c in zip(b, cb):
        groups_b[c[0]].append((c[1], r))
    only_a = []
    for r, c in zip(a, ca):
        cands = groups_b.get(c[0], [])
        for i, (ap, _rb) in enumerate(cands):
            if len(ap) == len(c[1]) and all(close(x, y) for x, y in zip(ap, c[1])):
                del cands[i]
                break
        else:
            only_a.append(r)
    only_b = [rb for lst in groups_b.values() for _ap, rb in lst]
    if not only_a and not only_b:
        return None
    return only_a, only_b


def _take(mine: Counter, other: Counter, key: tuple) -> bool:
    """Consume one occurrence of key; True if it is an excess occurrence in `mine`."""
    if other[key] > 0:
        other[key] -= 1
        return False
    return True


def compare_rows(a: list[tuple], b: list[tuple], q: Query) -> str | None:
    """None if the results agree under the query's rules, else a description of the difference."""
    problem = _compare_rows(a, b, q, loose=False)
    if problem and q.tie_tolerant and _compare_rows(a, b, q, loose=True) is None:
        return None
    return problem


def _compare_rows(a: list[tuple], b: list[tuple], q: Query, loose: bool) -> str | None:
    kinds = q.kinds
    if len(a) != len(b):
        return _diff_text(a, b, kinds, f"-- row count: sqlite3 {len(a)}, terndb {len(b)}")
    if q.order is None:
        d = multiset_diff(a, b, kinds, loose)
        return None if d is None else _diff_text(a, b, kinds, "-- rows differ (compared as multisets)")
    ka = [tuple(sort_key(r[i], c) for i, c in q.order if i < len(r)) for r in a]
    kb = [tuple(sort_key(r[i], c) for i, c in q.order if i < len(r)) for r in b]
    for i, (x, y) in enumerate(zip(ka, kb)):
        if not _key_close(x, y):
            return (f"-- ORDER BY keys differ at row {i}: sqlite3 {_fmt_row(a[i])}, terndb {_fmt_row(b[i])}\n"
                    + _diff_text(a, b, kinds, "-- (order matters: ORDER BY)"))
    # runs of equal keys: rows inside a run may come in any order
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(ka) + 1):
        if i == len(ka) or not _key_close(ka[i], ka[start]):
            runs.append((start, i))
            start = i
    for n, (lo, hi) in enumerate(runs):
        if q.limited and (n == 0 or n == len(runs) - 1):
            continue
        d = multiset_diff(a[lo:hi], b[lo:hi], kinds, loose)
        if d is not None:
            return (f"-- rows {lo}..{hi - 1} (equal ORDER BY keys) differ: sqlite3-only {d[0]!r}, terndb-only {d[1]!r}")
    return None


def _diff_text(a: list[tuple], b: list[tuple], kinds: Sequence[Kind], head: str) -> str:
    d = multiset_diff(a, b, kinds)
    lines = [head]
    if d is not None:
        lines.append(f"-- only in sqlite3: {', '.join(_fmt_row(r) for r in d[0][:MAX_SHOWN_ROWS])}")
        lines.append(f"-- only in terndb : {', '.join(_fmt_row(r) for r in d[1][:MAX_SHOWN_ROWS])}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- conveniences


def assert_same(statements: Sequence[str | Stmt], *, ordered: bool = False) -> None:
    """Run every statement on both engines; compare each outcome (used by the regression tests).

    Every statement's result is compared (multiset, or exact order if
    ``ordered``), so setup statements are checked too.
    """
    with Pair() as p:
        for st in statements:
            if isinstance(st, str):
                st = Stmt(st)
            s, t = p.run(st.sql, st.params)
            text = st.script()
            if not p._check_errors(text, s, t):
                if s.rowcount != t.rowcount and st.sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE", "REPLAC"):
                    p._fail("rowcount differs", text, s, t, f"-- rowcount: sqlite3 {s.rowcount}, terndb {t.rowcount}")
                order = tuple((i, "BINARY") for i in range(s.ncols)) if ordered else None
                p._compare_result(Query(st.sql, st.params, order=order), text, s, t)
            p.log.append(text)
