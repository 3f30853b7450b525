"""Differential tests of window functions: random window definitions over random data.

Every query keeps its answer determined: a function or frame that depends on the
order of rows within a set of peers (row_number, lag, ROWS frames, group_concat...)
gets ``id`` as its last ORDER BY term, so SQLite and TernDB must agree exactly.
REAL sums are compared with a relative tolerance, since adding and removing rows
of a sliding frame may round differently in the last place.
"""

from __future__ import annotations

from typing import Any, Callable

from hypothesis import given
from hypothesis import strategies as st

from .harness import Pair, Query, Stmt
from .settings import examples

A_VALUES = [None, -2, -1, 0, 1, 1, 2, 2, 3, 5, 0.5, 2.5, "3", "x", "ab"]
B_VALUES = [None, 1, 1, 2, 2, 3, "g"]
# No empty strings: a window group_concat() of only empty strings is NULL or '' in SQLite
# depending on how it plans the query (TernDB: NULL, see docs/DESIGN-NOTES.md).
C_VALUES = [None, "a", "A", "b", "B", "c", "a "]

ORDER_EXPRS = ["a", "b", "c", "a * 2", "c COLLATE NOCASE", "-id", "b + a"]
PARTITIONS = ["b", "a IS NULL", "c", "b, c IS NULL", "typeof(a)"]
ARGS = ["a", "b", "c", "id", "a + 1", "coalesce(a, id)"]

RANKING = ["row_number()", "rank()", "dense_rank()", "percent_rank()", "cume_dist()"]
AGGREGATES = ["count(*)", "count(a)", "sum(a)", "total(a)", "avg(a)", "min(a)", "max(a)", "min(c)",
              "max(c)", "sum(id)", "group_concat(c)", "group_concat(a, '-')"]
PEER_SENSITIVE = ("row_number", "ntile", "lag", "lead", "first_value", "last_value", "nth_value",
                  "group_concat")


class _Draw:
    def __init__(self, draw: Callable):
        self.draw = draw

    def pick(self, seq: list) -> Any:
        return seq[self.draw(st.integers(0, len(seq) - 1))]

    def coin(self, p: float = 0.5) -> bool:
        return self.draw(st.integers(0, 999)) < p * 1000

    def n(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))


def _function(d: _Draw) -> tuple[str, bool, bool]:
    """(call, depends on the order among peers, gives a REAL that may round differently)."""
    kind = d.n(0, 3)
    if kind == 0:
        if d.coin(0.25):
            return f"ntile({d.pick(['1', '2', '3', '5', chr(39) + '2' + chr(39)])})", True, False
        name = d.pick(RANKING)
        return name, name == "row_number()", False
    if kind == 1:
        name = d.pick(["lag", "lead"])
        args = [d.pick(ARGS)]
        if d.coin(0.6):
            args.append(d.pick(["0", "1", "2", "-1", "NULL", "'1'", "1.5", "3"]))
            if d.coin(0.5):
                args.append(d.pick(["NULL", "-9", "'none'", "id"]))
        return f"{name}({', '.join(args)})", True, False
    if kind == 2:
        name = d.pick(["first_value", "last_value", "nth_value"])
        arg = d.pick(ARGS)
        if name == "nth_value":
            return f"nth_value({arg}, {d.pick(['1', '2', '3', '2.0'])})", True, False
        return f"{name}({arg})", True, False
    agg = d.pick(AGGREGATES)
    # SQLite 3.40 ignores FILTER for min()/max() over a sliding frame (a bug TernDB does
    # not copy), so those two go without.
    if d.coin(0.2) and not agg.startswith(("min", "max")):
        agg += f" FILTER (WHERE {d.pick(['a > 1', 'b = 1', 'c IS NOT NULL', 'id % 2 = 0'])})"
    real = agg.startswith(("sum(a", "total(", "avg("))
    # group_concat's order follows the order of rows among peers.  (No min/max of NOCASE
    # text: which of two equal strings SQLite returns depends on its plan.)
    return agg, agg.startswith("group_concat"), real


def _bound(d: _Draw, unit: str, start: bool) -> str:
    offs = ["0", "1", "2", "3"] + (["1.5", "0.5"] if unit == "RANGE" else [])
    options = ["CURRENT ROW", f"{d.pick(offs)} PRECEDING", f"{d.pick(offs)} FOLLOWING"]
    options.append("UNBOUNDED PRECEDING" if start else "UNBOUNDED FOLLOWING")
    return d.pick(options)


def _window(d: _Draw, sensitive: bool) -> tuple[str, bool]:
    """A window definition; True in the second place when it orders by id last."""
    parts = []
    if d.coin(0.5):
        parts.append(f"PARTITION BY {d.pick(PARTITIONS)}")
    unit = d.pick(["", "", "ROWS", "RANGE", "GROUPS"])
    if unit == "ROWS":
        sensitive = True
    frame = ""
    offset_range = False
    if unit:
        start, end = _bound(d, unit, True), _bound(d, unit, False)
        frame = f"{unit} BETWEEN {start} AND {end}" if d.coin(0.8) else f"{unit} {start}"
        offset_range = unit == "RANGE" and ("PRECEDING" in frame.replace("UNBOUNDED PRECEDING", "")
                                            or "FOLLOWING" in frame.replace("UNBOUNDED FOLLOWING", ""))
        if d.coin(0.3):
            frame += " EXCLUDE " + d.pick(["NO OTHERS", "CURRENT ROW", "GROUP", "TIES"])
    terms = []
    for _ in range(d.n(0, 2)):
        t = d.pick(ORDER_EXPRS)
        if d.coin(0.4):
            t += " DESC"
        if d.coin(0.2):
            t += d.pick([" NULLS FIRST", " NULLS LAST"])
        terms.append(t)
    if offset_range and sensitive:
        terms = [d.pick(["id", "id DESC", "-id"])]
    elif sensitive:
        terms.append(d.pick(["id", "id DESC"]))
    if terms:
        parts.append("ORDER BY " + ", ".join(terms))
    if frame:
        parts.append(frame)
    return " ".join(parts), sensitive


@st.composite
def window_scenarios(draw: Callable) -> tuple[list[Stmt], list[Query]]:
    d = _Draw(draw)
    setup = [Stmt("CREATE TABLE w(id INTEGER PRIMARY KEY, a, b, c TEXT)")]
    for i in range(d.n(0, 14)):
        setup.append(Stmt("INSERT INTO w(a, b, c) VALUES (?, ?, ?)",
                          (d.pick(A_VALUES), d.pick(B_VALUES), d.pick(C_VALUES))))
    if d.coin(0.3):
        setup.append(Stmt("CREATE INDEX w_b ON w(b, a)"))
    queries = []
    for _ in range(d.n(2, 5)):
        shape = d.n(0, 4)
        fn, sensitive, real = _function(d)
        spec, _ = _window(d, sensitive)
        kinds: tuple = ("exact", "approx" if real else "exact")
        where = f" WHERE {d.pick(['a > 0', 'b IS NOT NULL', 'c < ' + chr(39) + 'b' + chr(39), 'id > 2'])}" \
            if d.coin(0.25) else ""
        if shape == 0:
            sql = f"SELECT id, {fn} OVER ({spec}) FROM w{where} ORDER BY id"
        elif shape == 1:
            sql = f"SELECT id, {fn} OVER win FROM w{where} WINDOW win AS ({spec}) ORDER BY id"
        elif shape == 2:
            fn2, sensitive2, real2 = _function(d)
            spec2, _ = _window(d, sensitive2)
            sql = f"SELECT id, {fn} OVER ({spec}), {fn2} OVER ({spec2}) FROM w{where} ORDER BY id"
            kinds = kinds + ("approx" if real2 else "exact",)
        elif shape == 3:
            # Windows over the groups of an aggregate query; the group key is unique per row.
            over = d.pick(["ORDER BY b", "ORDER BY sum(id) DESC", "ORDER BY count(*), b",
                           "ORDER BY b ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING", ""])
            agg_fn = d.pick(["sum(count(*))", "rank()", "lag(b)", "max(sum(id))", "avg(count(a))",
                             "row_number()", "first_value(b)"])
            if agg_fn in ("row_number()", "lag(b)", "first_value(b)") and "b" not in over:
                over = "ORDER BY b"
            sql = (f"SELECT b, count(*), {agg_fn} OVER ({over}) FROM w{where} GROUP BY b "
                   f"ORDER BY b")
            kinds = ("exact", "exact", "approx")
        else:
            # A window result filtered by an outer query.
            sql = (f"SELECT id, v FROM (SELECT id, {fn} OVER ({spec}) AS v FROM w{where}) "
                   f"WHERE v IS NOT NULL ORDER BY id")
        queries.append(Query(sql, order=((0, "BINARY"),), kinds=kinds))
    return setup, queries


@examples(ci=250)
@given(scn=window_scenarios())
def test_window_functions_match_sqlite(scn: tuple[list[Stmt], list[Query]]) -> None:
    setup, queries = scn
    with Pair() as p:
        for stmt in setup:
            p.setup(stmt)
        for q in queries:
            p.check_query(q)
