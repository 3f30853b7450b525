"""Bug-hunting driver: run the differential generators for a long time and collect *all* mismatches.

Unlike the pytest properties (which stop at the first failure), this keeps
going and prints each distinct mismatch once, smallest reproduction first::

    .venv/bin/python -m tests.differential.explore --what queries --examples 2000 --seed 1
    .venv/bin/python -m tests.differential.explore --what dml --examples 1000 --avoid ipk --skip 'OR FAIL'
    .venv/bin/python -m tests.differential.explore --what exprs --minimize 'quote\('

* ``--what``: queries | typed | exprs | dml (the four property tests' generators).
* ``--skip REGEX`` (repeatable) ignores mismatches whose statement or detail
  matches, to look past discrepancies that are already known;
  ``--skip-kind KIND`` ignores a whole kind ("results differ", ...).
* ``--avoid NAME`` patches the generators so they stop producing the inputs
  of a known discrepancy (see ``AVOID``).
* ``--minimize REGEX`` searches for a mismatch matching REGEX, lets Hypothesis
  shrink it, then drops the setup statements that do not matter.

Not collected by pytest (not a ``test_*`` module).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict

from hypothesis import HealthCheck, Phase, given, seed, settings

from . import harness, strategies
from .harness import Mismatch, Pair
from .strategies import dml_scenarios, expression_batches, query_scenarios, typed_row_scenarios


def _avoid_big_integral_floats() -> None:
    """Integral floats beyond 2**51: NUMERIC/INTEGER affinity storage differs (known)."""
    def bad(v: object) -> bool:
        return isinstance(v, float) and v == v and abs(v) != float("inf") and v.is_integer() and abs(v) >= 2**51
    orig = strategies.value_strategy
    strategies.value_strategy = lambda: orig().filter(lambda v: not bad(v))
    strategies.EDGE_FLOATS[:] = [f for f in strategies.EDGE_FLOATS if not bad(f)]
    strategies.LITERALS[:] = [x for x in strategies.LITERALS if x not in ("1e16", "9223372036854775808",
                                                                             "-9223372036854775809", "1e308", "-1e308")]
    orig_lit = strategies.Gen.literal

    def literal(self):  # noqa: ANN001, ANN202
        e = orig_lit(self)
        try:
            v = float(e.sql.strip("()"))
        except ValueError:
            return e
        return strategies.E("1.5") if bad(v) and ("." in e.sql or "e" in e.sql.lower()) else e
    strategies.Gen.literal = literal  # type: ignore[method-assign]


def _avoid_dot_five() -> None:
    """Text '.5' under numeric affinity crashes TernDB (known)."""
    for lst in (strategies.EDGE_TEXTS, strategies.LITERALS):
        lst[:] = [x for x in lst if x not in (".5", "'.5'")]


def _avoid_text_vs_blob_affinity() -> None:
    """Untyped columns compared with TEXT columns (known): give every untyped column a type."""
    strategies.TYPES_MAIN[:] = [t for t in strategies.TYPES_MAIN if t and t != "BLOB"]


def _avoid_ipk() -> None:
    """INTEGER PRIMARY KEY rejects numeric text (known)."""
    strategies.IPK_PROBABILITY = 0.0


def _avoid_negative_zero() -> None:
    """-0.0 in REAL columns and -(x) of 0.0 (known)."""
    orig = strategies.value_strategy
    strategies.value_strategy = lambda: orig().filter(lambda v: not (isinstance(v, float) and v == 0.0))
    strategies.EDGE_FLOATS[:] = [f for f in strategies.EDGE_FLOATS if f != 0.0]
    strategies.LITERALS[:] = [x for x in strategies.LITERALS if x not in ("-0.0", "0.0")]


AVOID = {"ipk": _avoid_ipk, "negzero": _avoid_negative_zero, "bigfloat": _avoid_big_integral_floats, "dotfive": _avoid_dot_five,
         "untyped": _avoid_text_vs_blob_affinity}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--what", choices=["queries", "typed", "exprs", "dml"], default="queries")
    ap.add_argument("--examples", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip", action="append", default=[])
    ap.add_argument("--skip-kind", action="append", default=[])
    ap.add_argument("--no-lastrowid", action="store_true")
    ap.add_argument("--avoid", action="append", default=[], choices=sorted(AVOID),
                    help="patch the generators to stop producing inputs that trigger a known discrepancy")
    ap.add_argument("--show", type=int, default=40)
    ap.add_argument("--minimize", metavar="REGEX",
                    help="search for a mismatch matching REGEX, let Hypothesis shrink it, then drop setup "
                         "statements that do not matter, and print the reduced script")
    args = ap.parse_args()
    for name in args.avoid:
        AVOID[name]()
    if args.minimize:
        return minimize(args)
    skips = [re.compile(s, re.I | re.S) for s in args.skip]

    found: dict[tuple, list[Mismatch]] = defaultdict(list)
    counts = {"examples": 0, "checks": 0, "mismatches": 0, "skipped": 0}

    def record(m: Mismatch) -> None:
        if any(s.search(m.stmt) or s.search(m.detail) for s in skips) or m.kind in args.skip_kind:
            counts["skipped"] += 1
            return
        counts["mismatches"] += 1
        key = (m.kind, _shape(m.stmt))
        found[key].append(m)

    strategy = {"queries": query_scenarios(), "typed": typed_row_scenarios(), "exprs": expression_batches(),
                "dml": dml_scenarios()}[args.what]

    @seed(args.seed)
    @settings(max_examples=args.examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(x=strategy)
    def run(x) -> None:  # noqa: ANN001
        counts["examples"] += 1
        with Pair() as p:
            if args.what == "exprs":
                counts["checks"] += 1
                try:
                    p.check_query(x)
                except Mismatch as m:
                    record(m)
                return
            for stmt in x.setup:
                try:
                    p.setup(stmt)
                except Mismatch as m:
                    record(m)
                    return
            if args.what == "dml":
                for step in x.steps:
                    counts["checks"] += 1
                    try:
                        p.dml(step.stmt, x.tables, returning=step.returning,
                              check_lastrowid=step.is_insert and not args.no_lastrowid)
                    except Mismatch as m:
                        record(m)
                        return
                return
            for q in x.queries:
                counts["checks"] += 1
                try:
                    p.check_query(q)
                except Mismatch as m:
                    record(m)

    t0 = time.time()
    run()
    dt = time.time() - t0
    print(f"# {counts} in {dt:.0f}s; {len(found)} distinct mismatch shapes", file=sys.stderr)
    items = sorted(found.items(), key=lambda kv: min(len(m.script) for m in kv[1]))
    for (kind, _shape_), ms in items[: args.show]:
        m = min(ms, key=lambda m: len(m.script))
        print("=" * 100)
        print(f"[{kind}] x{len(ms)}")
        print(m.script)
        print(m.detail)


def minimize(args: argparse.Namespace) -> None:
    pat = re.compile(args.minimize, re.I | re.S)
    skips = [re.compile(s, re.I | re.S) for s in args.skip]

    def interesting(m: Mismatch) -> bool:
        text = f"{m.kind}\n{m.stmt}\n{m.detail}"
        return bool(pat.search(text)) and not any(s.search(text) for s in skips)

    strategy = {"queries": query_scenarios(), "typed": typed_row_scenarios(), "exprs": expression_batches(),
                "dml": dml_scenarios()}[args.what]

    @seed(args.seed)
    @settings(max_examples=args.examples, database=None, deadline=None, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @given(x=strategy)
    def run(x) -> None:  # noqa: ANN001
        with Pair() as p:
            try:
                if args.what == "exprs":
                    p.check_query(x)
                    return
                for stmt in x.setup:
                    p.setup(stmt)
                if args.what == "dml":
                    for step in x.steps:
                        p.dml(step.stmt, x.tables, returning=step.returning,
                              check_lastrowid=step.is_insert and not args.no_lastrowid)
                    return
                for q in x.queries:
                    p.check_query(q)
            except Mismatch as m:
                if interesting(m):
                    raise
    try:
        run()
    except Mismatch as m:
        stmts = [s for s in m.script.split(";\n")]
        stmts[-1] = stmts[-1].rstrip(";")
        reduced = reduce_script(stmts, pat)
        print(";\n".join(reduced) + ";")
        print(script_mismatch(reduced))
        return
    print("# nothing found", file=sys.stderr)


def script_mismatch(stmts: list[str]) -> str | None:
    """Run a script on both engines; describe the first statement whose outcome differs (None: all agree)."""
    s_con, t_con = harness.open_sqlite(), harness.open_terndb()
    try:
        for st in stmts:
            import sqlite3

            import terndb
            s = harness._run(s_con, sqlite3.Error, st, (), False)
            t = harness._run(t_con, terndb.Error, st, (), True)
            if (s.error is None) != (t.error is None) or t.crashed:
                return f"{st}\n-- sqlite3: {s.describe()}\n-- terndb : {t.describe()}"
            if s.error is None:
                if s.rowcount != t.rowcount or s.ncols != t.ncols or \
                        harness.multiset_diff(s.rows, t.rows, ()) is not None:
                    return f"{st}\n-- sqlite3: {s.describe()} rowcount={s.rowcount}\n" \
                           f"-- terndb : {t.describe()} rowcount={t.rowcount}"
        return None
    finally:
        s_con.close()
        t_con.close()


def reduce_script(stmts: list[str], pat: re.Pattern) -> list[str]:
    """Greedily drop statements (never the last) while the first mismatch still matches ``pat``."""
    def ok(cand: list[str], pat: re.Pattern = pat) -> bool:
        d = script_mismatch(cand)
        return d is not None and d.startswith(cand[-1]) and bool(pat.search(d))
    if not ok(stmts):
        pat = re.compile("")  # the last statement differs in a way the pattern does not see: keep any mismatch
        if not ok(stmts, pat):
            return stmts
    changed = True
    while changed:
        changed = False
        for i in range(len(stmts) - 2, -1, -1):
            cand = stmts[:i] + stmts[i + 1:]
            if ok(cand, pat):
                stmts = cand
                changed = True
    return stmts


def _shape(sql: str) -> str:
    """A coarse signature: the statement's keywords and function names, literals stripped."""
    words = re.findall(r"[A-Za-z_]+(?=\s*\()|\b(?:SELECT|UNION|INTERSECT|EXCEPT|JOIN|LEFT|GROUP|HAVING|ORDER|LIMIT|"
                       r"OFFSET|DISTINCT|WITH|RECURSIVE|INSERT|UPDATE|DELETE|REPLACE|CAST|CASE|LIKE|GLOB|BETWEEN|IN|"
                       r"EXISTS|COLLATE|IS)\b", sql, re.I)
    return " ".join(sorted(set(w.upper() for w in words)))


if __name__ == "__main__":
    main()
