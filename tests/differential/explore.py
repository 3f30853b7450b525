"""Bug-hunting driver: run the differential generators for a long time and collect *all* mismatches.

Unlike the pytest properties (which stop at the first failure), this keeps
going, and prints each distinct mismatch once, smallest reproduction first::

    .venv/bin/python -m tests.differential.explore --what queries --examples 2000 --seed 1
    .venv/bin/python -m tests.differential.explore --what dml --no-lastrowid --skip 'printf('

``--skip REGEX`` (repeatable) ignores statements matching REGEX, to look past
discrepancies that are already known.  Not collected by pytest.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict

from hypothesis import HealthCheck, Phase, given, seed, settings

from . import harness
from .harness import Mismatch, Pair
from .strategies import dml_scenarios, expression_batches, query_scenarios, typed_row_scenarios


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--what", choices=["queries", "typed", "exprs", "dml"], default="queries")
    ap.add_argument("--examples", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip", action="append", default=[])
    ap.add_argument("--skip-kind", action="append", default=[])
    ap.add_argument("--no-lastrowid", action="store_true")
    ap.add_argument("--show", type=int, default=40)
    args = ap.parse_args()
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


def _shape(sql: str) -> str:
    """A coarse signature: the statement's keywords and function names, literals stripped."""
    words = re.findall(r"[A-Za-z_]+(?=\s*\()|\b(?:SELECT|UNION|INTERSECT|EXCEPT|JOIN|LEFT|GROUP|HAVING|ORDER|LIMIT|"
                       r"OFFSET|DISTINCT|WITH|RECURSIVE|INSERT|UPDATE|DELETE|REPLACE|CAST|CASE|LIKE|GLOB|BETWEEN|IN|"
                       r"EXISTS|COLLATE|IS)\b", sql, re.I)
    return " ".join(sorted(set(w.upper() for w in words)))


if __name__ == "__main__":
    main()
