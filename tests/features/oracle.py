"""A small oracle for the feature tests: run the same statements on Python's
``sqlite3`` (SQLite 3.40, the reference) and on TernDB and compare outcomes.

For every statement the *outcome* is compared:

* whether it raised (a ``sqlite3.Error`` / ``terndb.Error``; the class and the
  message are not compared -- TernDB follows PEP 249 classes, sqlite3 does not).
  Any other exception raised by TernDB (``TypeError``, ``KeyError``...) is
  always a mismatch.
* the rows, in order (or as multisets for statements marked ``unordered``),
  value by value with exact types: ``1``, ``1.0``, ``'1'`` and ``b'1'`` differ,
  and so do ``0.0`` and ``-0.0``;
* the column names from ``cursor.description`` (``None`` when it is ``None``;
  not compared for CREATE/ALTER/DROP, where sqlite3 can report internal columns);
* ``cursor.rowcount`` for DML (INSERT/UPDATE/DELETE/REPLACE), and, when
  asked (``check(..., lastrowid=True)``), ``cursor.lastrowid`` after INSERT/REPLACE.

A TernDB statement still running after :data:`STATEMENT_TIMEOUT` seconds is
interrupted (SIGALRM) and reported as a TIMEOUT mismatch, so a hang fails one
test instead of blocking the suite.

Usage::

    check(["CREATE TABLE t(a)", "INSERT INTO t VALUES (1)", "SELECT * FROM t"])
    check(setup, "SELECT ...", unordered("SELECT ..."), ("SELECT ?", (1,)))

:class:`Pair` drives both engines through the Python API for the checks that
need more than SQL (commit/rollback, ``with conn:``, ``in_transaction``).
"""

from __future__ import annotations

import contextlib
import math
import signal
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import terndb

__all__ = ["S", "unordered", "check", "run_engine", "Pair", "norm", "Outcome"]


@dataclass(frozen=True)
class S:
    """One statement: SQL, parameters, and how to compare it."""

    sql: str
    params: Any = ()          # a tuple, or a dict for named parameters
    unordered: bool = False   # compare the rows as a multiset
    names: bool = True        # compare column names
    script: bool = False      # run with executescript (no rows compared)


def unordered(sql: str, params: tuple = ()) -> S:
    return S(sql, tuple(params), unordered=True)


def script(sql: str) -> S:
    return S(sql, script=True)


def as_stmt(x: Any) -> S:
    if isinstance(x, S):
        return x
    if isinstance(x, str):
        return S(x)
    if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str):
        params = x[1] if isinstance(x[1], dict) else tuple(x[1])   # dict: named parameters
        return S(x[0], params)
    raise TypeError(f"not a statement: {x!r}")


def flatten(items: Iterable[Any]) -> list[S]:
    out: list[S] = []
    for x in items:
        if isinstance(x, (list,)):
            out.extend(flatten(x))
        else:
            out.append(as_stmt(x))
    return out


# ----------------------------------------------------------------------------- values


def norm(v: Any) -> Any:
    """An exact, comparable, readable identity of a value (type-tagged)."""
    if v is None:
        return None
    t = type(v)
    if t is bool:
        return ("bool", v)
    if t is int:
        return v
    if t is float:
        if math.isnan(v):
            return ("float", "nan")
        if v == 0.0 and math.copysign(1.0, v) < 0:
            return ("float", "-0.0")
        return ("float", v)
    if t is str:
        return v
    if t in (bytes, bytearray, memoryview):
        return ("blob", bytes(v))
    if isinstance(v, (tuple, list)):
        return tuple(norm(x) for x in v)
    try:  # a Row object
        return tuple(norm(x) for x in tuple(v))
    except TypeError:
        return ("other", t.__name__, repr(v))


def _sort_key(x: Any) -> str:
    return repr(x)


DML_WORDS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _first_word(sql: str) -> str:
    s = sql.lstrip()
    while s.startswith("--"):
        s = s.split("\n", 1)[1].lstrip() if "\n" in s else ""
    return s.split(None, 1)[0].upper() if s else ""


@dataclass
class Outcome:
    error: str | None = None          # exception class name, or None
    bad_error: bool = False           # an exception that is not a DB-API Error
    rows: Any = None
    names: Any = None
    rowcount: Any = None
    lastrowid: Any = None

    def show(self) -> str:
        if self.error:
            return f"ERROR {self.error}{' (NOT a DB-API error!)' if self.bad_error else ''}"
        parts = [f"rows={self.rows!r}"]
        if self.names is not None:
            parts.insert(0, f"cols={self.names!r}")
        if self.rowcount is not None:
            parts.append(f"rowcount={self.rowcount}")
        if self.lastrowid is not None:
            parts.append(f"lastrowid={self.lastrowid}")
        return " ".join(parts)


STATEMENT_TIMEOUT = 10.0   # seconds a single TernDB statement may take (tiny data: ms normally)


class StatementTimeout(Exception):
    """A TernDB statement ran longer than :data:`STATEMENT_TIMEOUT` (likely a hang)."""


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Raise :class:`StatementTimeout` in the block after ``seconds`` (main thread, POSIX).

    Yields a list that holds ``True`` once the alarm fired (the engine may catch and
    wrap the exception, so the flag is what tells a timeout apart)."""
    fired: list = []
    if (not seconds or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield fired
        return

    def on_alarm(signum: int, frame: Any) -> None:
        fired.append(True)
        raise StatementTimeout(f"statement still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_stmt(conn: Any, mod: Any, st: S, track_lastrowid: bool = False) -> Outcome:
    with time_limit(STATEMENT_TIMEOUT if mod is terndb else None) as fired:
        out = _run_stmt(conn, mod, st, track_lastrowid)
    if fired:
        return Outcome(error=f"TIMEOUT: still running after {STATEMENT_TIMEOUT} s",
                       bad_error=True)
    return out


def _run_stmt(conn: Any, mod: Any, st: S, track_lastrowid: bool = False) -> Outcome:
    try:
        if st.script:
            conn.executescript(st.sql)
            return Outcome(rows=[])
        cur = conn.cursor()
        cur.execute(st.sql, st.params)
        rows = cur.fetchall()
        desc = cur.description
        out = Outcome(rows=[norm(r) for r in rows])
        out.names = tuple(d[0] for d in desc) if desc else None
        word = _first_word(st.sql)
        if word in DML_WORDS:
            out.rowcount = cur.rowcount
            if track_lastrowid and word in ("INSERT", "REPLACE"):
                out.lastrowid = cur.lastrowid
        if word in ("CREATE", "ALTER", "DROP"):
            # sqlite3 may report junk columns for DDL (ALTER ... ADD COLUMN ... NOT NULL
            # runs an internal check query): names of DDL are not part of the contract.
            out.names = None
        return out
    except mod.Error as e:  # noqa: F841
        return Outcome(error=type(e).__name__)
    except Exception as e:  # a leaked non-DB-API exception
        return Outcome(error=f"{type(e).__name__}: {e}", bad_error=True)


def run_engine(conn: Any, mod: Any, stmts: list[S], lastrowid: bool = False) -> list[Outcome]:
    return [run_stmt(conn, mod, st, lastrowid) for st in stmts]


def diff(st: S, a: Outcome, b: Outcome) -> list[str]:
    """Differences between the sqlite3 outcome ``a`` and the TernDB outcome ``b``."""
    if b.bad_error:
        return ["TernDB timed out or raised a non-DB-API exception"]
    if (a.error is None) != (b.error is None):
        return ["one raised, the other did not"]
    if a.error is not None:
        return []
    out = []
    if st.unordered:
        if Counter(map(_sort_key, a.rows)) != Counter(map(_sort_key, b.rows)):
            out.append("rows differ (as multisets)")
    elif a.rows != b.rows:
        out.append("rows differ")
    if st.names and not st.script and a.names != b.names:
        out.append("column names differ")
    if a.rowcount != b.rowcount:
        out.append("rowcount differs")
    if a.lastrowid != b.lastrowid:
        out.append("lastrowid differs")
    return out


def connect_both(**kwargs: Any) -> tuple[Any, Any]:
    return sqlite3.connect(":memory:", **kwargs), terndb.connect(":memory:", **kwargs)


def check(*items: Any, isolation_level: Any = "DEFERRED", lastrowid: bool = False) -> list[Outcome]:
    """Run the statements on both engines; fail listing every difference.

    ``lastrowid=True`` also compares ``cursor.lastrowid`` after INSERT/REPLACE.

    Returns TernDB's outcomes (for extra assertions in the test)."""
    stmts = flatten(items)
    ref, tern = connect_both(isolation_level=isolation_level)
    try:
        ra = run_engine(ref, sqlite3, stmts, lastrowid)
        rb = run_engine(tern, terndb, stmts, lastrowid)
    finally:
        ref.close()
        try:
            tern.close()
        except Exception:
            pass
    problems = []
    for i, (st, a, b) in enumerate(zip(stmts, ra, rb)):
        d = diff(st, a, b)
        if d:
            problems.append(
                f"[{i}] {st.sql!r}{' params=' + repr(st.params) if st.params else ''}\n"
                f"     -> {', '.join(d)}\n"
                f"     sqlite3: {a.show()}\n"
                f"     terndb : {b.show()}"
            )
    if problems:
        history = "\n".join(
            f"  [{i}] {st.sql}" + (f"  -- {st.params!r}" if st.params else "")
            for i, st in enumerate(stmts))
        raise AssertionError(
            "sqlite3 and TernDB differ:\n" + "\n".join(problems) + "\nstatements:\n" + history)
    return rb


# ----------------------------------------------------------------------------- API pairs


@dataclass
class Pair:
    """The same scenario on both engines, driven through the Python API."""

    isolation_level: Any = "DEFERRED"
    ref: Any = field(init=False)
    tern: Any = field(init=False)
    log: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ref, self.tern = connect_both(isolation_level=self.isolation_level)

    def close(self) -> None:
        self.ref.close()
        try:
            self.tern.close()
        except Exception:
            pass

    def _compare(self, what: str, fn: Callable[[Any, Any], Any]) -> Any:
        raw: list = []

        def go(conn: Any, mod: Any) -> Any:
            try:
                with time_limit(STATEMENT_TIMEOUT if mod is terndb else None) as fired:
                    value = fn(conn, mod)
                raw.append(value)
                return ("ok", norm_deep(value))
            except mod.Error:
                if mod is terndb and fired:
                    return ("timeout", f"still running after {STATEMENT_TIMEOUT} s")
                raw.append(None)
                return ("error", "DB-API error")
            except Exception as e:
                raw.append(None)
                return ("crash", f"{type(e).__name__}: {e}")
        a = go(self.ref, sqlite3)
        b = go(self.tern, terndb)
        self.log.append(what)
        if a != b:
            raise AssertionError(
                f"sqlite3 and TernDB differ on {what}:\n  sqlite3: {a!r}\n  terndb : {b!r}\n"
                "steps:\n" + "\n".join(f"  {s}" for s in self.log))
        return raw[-1] if raw else None

    def sql(self, sql: str, params: tuple = ()) -> Any:
        """Execute on both; compare raise-vs-not and the rows."""
        return self._compare(sql, lambda c, m: c.execute(sql, params).fetchall())

    def do(self, what: str, fn: Callable[[Any, Any], Any]) -> Any:
        """Call ``fn(conn, module)`` on both; compare the results."""
        return self._compare(what, fn)

    def state(self, query: str) -> Any:
        return self.sql(query)

    def in_tx(self) -> bool:
        return self.do("in_transaction", lambda c, m: c.in_transaction)


def norm_deep(v: Any) -> Any:
    if isinstance(v, list):
        return [norm_deep(x) for x in v]
    return norm(v)
