"""Choosing how to read each source: join order, index use, hash joins.

The planner works on WHERE/ON conjuncts.  For each source, in join order, it
looks for conjuncts of the form ``column OP expr`` whose ``expr`` only reads
sources already bound, and picks the cheapest access path:

    rowid equality / IN         one B-tree descent per key
    index equality, IN, range   a range scan of the index, then rowid lookups
    hash join                   an equality with an outer source and no index:
                                hash the source once, probe per outer row
    full scan                   everything else

Row counts are estimated from the shape of the B-tree, which is enough to
prefer the small side and the indexed side.  The chosen plan is what
``EXPLAIN QUERY PLAN`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..catalog.schema import IndexInfo
from ..sql import ast as A
from .scope import Scope, Source

_NUMERIC = ("INTEGER", "REAL", "NUMERIC")
_FLIP = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(eq=False)
class Conjunct:
    expr: A.Expr
    deps: frozenset[int]          # local sources read (all of them when unsure)
    on_source: Optional[int] = None   # ON clause of this (left-joined) source
    used: bool = False


@dataclass(eq=False)
class Term:
    """``column op value`` usable for an access path of one source."""

    column: int                   # -1: rowid
    op: str                       # =, <, <=, >, >=, IN
    value: Any                    # expression, or list of expressions for IN
    conjunct: Conjunct
    deps: frozenset[int] = frozenset()
    col_expr: Optional[A.Expr] = None   # the source-side expression (hash joins)
    col_left: bool = True               # the source side was the left operand (collation rule)


@dataclass(eq=False)
class Access:
    kind: str                     # scan, rowid_eq, rowid_in, rowid_range, index, hash, rows
    source: Source
    index: Optional[IndexInfo] = None
    eq: list[Term] = field(default_factory=list)       # equality terms (index prefix / hash keys)
    in_term: Optional[Term] = None
    lo: Optional[Term] = None
    hi: Optional[Term] = None
    cost: float = 0.0
    reverse: bool = False
    hash_var: str = ""

    def describe(self) -> str:
        s = self.source
        name = s.table.name if s.table is not None else s.alias
        alias = f" AS {s.alias}" if s.table is not None and s.alias.lower() != s.table.name.lower() else ""
        if self.kind == "scan":
            return f"SCAN {name}{alias}"
        if self.kind == "rows" and s.tvf is not None:
            return f"SCAN {name} VIRTUAL TABLE {s.tvf.name.lower()}()"
        if self.kind == "rows":
            return f"SCAN {name}{alias} (materialized rows)"
        if self.kind == "hash":
            cols = " AND ".join(f"{_colname(s, t.column) if t.column >= -1 else 'expr'}=?" for t in self.eq)
            return f"SEARCH {name}{alias} USING AUTOMATIC HASH INDEX ({cols})"
        if self.kind.startswith("rowid"):
            if self.kind == "rowid_eq":
                cond = "rowid=?"
            elif self.kind == "rowid_in":
                cond = "rowid IN (...)"
            else:
                parts = []
                if self.lo is not None:
                    parts.append(f"rowid{self.lo.op}?")
                if self.hi is not None:
                    parts.append(f"rowid{self.hi.op}?")
                cond = " AND ".join(parts)
            return f"SEARCH {name}{alias} USING INTEGER PRIMARY KEY ({cond})"
        assert self.index is not None
        parts = [f"{_colname(s, t.column)}=?" for t in self.eq]
        if self.in_term is not None:
            parts.append(f"{_colname(s, self.in_term.column)} IN (...)")
        if self.lo is not None:
            parts.append(f"{_colname(s, self.lo.column)}{self.lo.op}?")
        if self.hi is not None:
            parts.append(f"{_colname(s, self.hi.column)}{self.hi.op}?")
        what = "INDEX" if parts else "INDEX (full scan)"
        cond = f" ({' AND '.join(parts)})" if parts else ""
        verb = "SEARCH" if parts else "SCAN"
        return f"{verb} {name}{alias} USING {what} {self.index.name}{cond}".replace("INDEX (full scan) ", "INDEX ")


def _colname(s: Source, c: int) -> str:
    return "rowid" if c < 0 else s.columns[c]


def split_and(e: Optional[A.Expr]) -> list[A.Expr]:
    if e is None:
        return []
    if isinstance(e, A.Binary) and e.op == "AND":
        return split_and(e.left) + split_and(e.right)
    return [e]


def expr_deps(e: A.Expr, scope: Scope, comp: Any) -> frozenset[int]:
    """Local sources an expression reads; every source when a subquery makes it unclear."""
    local = scope.source_numbers()
    out: set[int] = set()
    for node in comp.walk_all(e):
        t = type(node)
        if t is A.Column:
            try:
                r = scope.resolve(node)
            except Exception:
                return frozenset(local)
            if r is None:
                alias = scope.aliases.get(node.name.lower()) if node.table is None else None
                if alias is not None and alias is not node:
                    out |= expr_deps(alias, scope, comp)
                continue
            if r.depth == 0:
                out.add(r.source.n)
                if r.fallback is not None:
                    out.add(r.fallback.source.n)
        elif t in (A.Subquery, A.Exists, A.InSelect):
            if comp.subquery_reads_outer(node, scope):
                return frozenset(local)
        elif t is A.Function and node.name in ("random", "randomblob", "changes", "total_changes",
                                                "last_insert_rowid"):
            return frozenset(local)
    return frozenset(out)


def _column_of(e: A.Expr, scope: Scope, src: Source) -> Optional[int]:
    """Column position (-1 rowid) if ``e`` is a plain reference to a column of ``src``."""
    if not isinstance(e, A.Column):
        return None
    try:
        r = scope.resolve(e)
    except Exception:
        return None
    if r is None or r.depth != 0 or r.source is not src:
        return None
    if r.column >= 0 and src.table is not None and src.table.ipk == r.column:
        return -1
    return r.column


def collect_terms(src: Source, conjuncts: list[Conjunct], avail: frozenset[int], scope: Scope,
                  comp: Any) -> list[Term]:
    """Terms of ``src`` whose other side only reads ``avail`` sources."""
    terms = []
    for c in conjuncts:
        if src.n not in c.deps or not (c.deps - {src.n}) <= avail:
            continue
        if not _usable(c, src):
            continue
        e = c.expr
        if isinstance(e, A.Binary) and e.op in _FLIP:
            for col_side, other, op in ((e.left, e.right, e.op), (e.right, e.left, _FLIP[e.op])):
                col_left = col_side is e.left
                col = _column_of(col_side, scope, src)
                if col is None:
                    continue
                d = expr_deps(other, scope, comp)
                if src.n in d or not d <= avail:
                    continue
                if not _compatible(src, col, col_side, other, scope, comp, col_left):
                    continue
                terms.append(Term(col, op, other, c, d, col_side, col_left))
                break
        elif isinstance(e, A.Between) and not e.negated:
            col = _column_of(e.expr, scope, src)
            if col is None:
                continue
            dl = expr_deps(e.low, scope, comp)
            dh = expr_deps(e.high, scope, comp)
            if src.n in dl or src.n in dh or not (dl | dh) <= avail:
                continue
            if not (_compatible(src, col, e.expr, e.low, scope, comp)
                    and _compatible(src, col, e.expr, e.high, scope, comp)):
                continue
            terms.append(Term(col, ">=", e.low, c, dl))
            terms.append(Term(col, "<=", e.high, c, dh))
        elif isinstance(e, A.InList) and not e.negated and e.items:
            col = _column_of(e.expr, scope, src)
            if col is None:
                continue
            di: frozenset[int] = frozenset()
            for item in e.items:
                di |= expr_deps(item, scope, comp)
            if src.n in di or not di <= avail:
                continue
            if not all(_compatible(src, col, e.expr, item, scope, comp) for item in e.items):
                continue
            terms.append(Term(col, "IN", list(e.items), c, di))
    return terms


def _usable(c: Conjunct, src: Source) -> bool:
    """May ``c`` shape how ``src`` is read?  For the right side of a LEFT JOIN only
    its ON conditions may: WHERE conditions apply after NULL-extension."""
    if c.on_source is not None:
        return c.on_source == src.n
    return not src.left_join


def _compatible(src: Source, col: int, col_expr: A.Expr, other: A.Expr, scope: Scope, comp: Any,
                col_left: bool = True) -> bool:
    """Can an index on ``col`` answer ``col OP other`` with SQLite's comparison rules?"""
    mc = comp.meta(col_expr, scope)
    mo = comp.meta(other, scope)
    coll = comp.comparison_collation(mc, mo) if col_left else comp.comparison_collation(mo, mc)
    if col < 0:
        return True
    col_coll = src.collations[col]
    if (coll or "BINARY") != (col_coll or "BINARY"):
        return False
    # Usable when the comparison affinity leaves the column's stored values as they are.
    from ..exec.compiler import comparison_convs
    conv_col, _ = comparison_convs(mc.affinity, mo.affinity)
    return conv_col is None


def hash_terms(src: Source, conjuncts: list[Conjunct], avail: frozenset[int], scope: Scope,
               comp: Any) -> list[Term]:
    """Equalities ``expr(src) = expr(bound sources)``: keys for a hash join."""
    out = []
    for c in conjuncts:
        e = c.expr
        if not (isinstance(e, A.Binary) and e.op == "="):
            continue
        if src.n not in c.deps or not (c.deps - {src.n}) <= avail:
            continue
        if not _usable(c, src):
            continue
        for mine, other in ((e.left, e.right), (e.right, e.left)):
            dm = expr_deps(mine, scope, comp)
            do = expr_deps(other, scope, comp)
            if dm == frozenset({src.n}) and do <= avail and do and not _has_subquery(mine) \
                    and not _has_subquery(other):
                col = _column_of(mine, scope, src)
                out.append(Term(col if col is not None else -2, "=", other, c, do, mine, mine is e.left))
                break
    return out


def _has_subquery(e: A.Expr) -> bool:
    from ..exec.compiler import walk
    return any(isinstance(n, (A.Subquery, A.Exists, A.InSelect)) for n in walk(e))


def estimate_rows(comp: Any, src: Source) -> float:
    if src.table is None:
        return 100.0
    return float(comp.estimate_table_rows(src.table))


def best_access(src: Source, terms: list[Term], outer_bound: bool, rows: float) -> Access:
    """The cheapest way to read ``src`` given usable terms."""
    if src.table is None:
        return Access("rows", src, cost=rows)
    best = Access("scan", src, cost=rows)
    by_col: dict[int, list[Term]] = {}
    for t in terms:
        by_col.setdefault(t.column, []).append(t)
    # Rowid.
    rt = by_col.get(-1, [])
    for t in rt:
        if t.op == "=":
            return Access("rowid_eq", src, eq=[t], cost=1.0)
    for t in rt:
        if t.op == "IN" and len(t.value) < best.cost:
            best = Access("rowid_in", src, in_term=t, cost=float(len(t.value)))
    lo, hi = _bounds(rt)
    if (lo or hi) and rows / (8 if lo and hi else 3) < best.cost:
        best = Access("rowid_range", src, lo=lo, hi=hi, cost=rows / (8 if lo and hi else 3))
    # Indexes.
    assert src.table is not None
    for ix in src.table.indexes:
        eq: list[Term] = []
        for c in ix.columns:
            ts = [t for t in by_col.get(c, []) if t.op == "="]
            if not ts:
                break
            eq.append(ts[0])
        k = len(eq)
        in_term = None
        lo = hi = None
        if k < len(ix.columns):
            nxt = ix.columns[k]
            ins = [t for t in by_col.get(nxt, []) if t.op == "IN"]
            lo, hi = _bounds(by_col.get(nxt, []))
            if ins and not (lo or hi):
                in_term = ins[0]
        if not eq and not in_term and not lo and not hi:
            continue
        if ix.unique and k == len(ix.columns):
            cost = 1.0
        else:
            cost = rows * (0.1 ** k) + 1
            if in_term is not None:
                cost = len(in_term.value) * (rows * (0.1 ** (k + 1)) + 1)
            elif lo or hi:
                cost = cost / (8 if lo and hi else 3) + 1
            cost *= 1.5  # an index probe costs a rowid lookup on top
        if cost < best.cost:
            best = Access("index", src, index=ix, eq=eq, in_term=in_term, lo=lo, hi=hi, cost=cost)
    return best


def _dedupe_cols(terms: list[Term]) -> list[Term]:
    seen = set()
    out = []
    for t in terms:
        if t.column not in seen:
            seen.add(t.column)
            out.append(t)
    return out


def _bounds(terms: list[Term]) -> tuple[Optional[Term], Optional[Term]]:
    lo = hi = None
    for t in terms:
        if t.op in (">", ">=") and lo is None:
            lo = t
        elif t.op in ("<", "<=") and hi is None:
            hi = t
    return lo, hi


# Cost units: one row visited in a scan = 1; one B-tree descent ~ 8.
_DESCENT = 8.0


def _step(src: Source, conjuncts: list[Conjunct], avail: frozenset[int], card: float,
          scope: Scope, comp: Any, rows: float) -> tuple[float, float, Access]:
    """(cost, output cardinality, access) of joining ``src`` after ``avail`` sources."""
    terms = collect_terms(src, conjuncts, avail, scope, comp)
    acc = best_access(src, terms, bool(avail), rows)
    k = acc.kind
    if k in ("scan", "rows"):
        probe, out = rows, rows
    elif k == "rowid_eq":
        probe, out = _DESCENT, 1.0
    elif k == "rowid_in":
        m = float(len(acc.in_term.value)) if acc.in_term else 1.0
        probe, out = _DESCENT * m, m
    elif k == "rowid_range":
        out = rows / (8 if acc.lo and acc.hi else 3)
        probe = _DESCENT + out
    else:
        out = max(1.0, acc.cost / 1.5 - 1)
        probe = _DESCENT * 1.5 + out * _DESCENT
        if acc.index is not None and acc.index.unique and len(acc.eq) == len(acc.index.columns):
            probe, out = _DESCENT * 1.5, 1.0
    # Filters that become testable here thin the output.
    local = sum(1 for c in conjuncts if src.n in c.deps and (c.deps - {src.n}) <= avail)
    out = out * (0.5 ** min(local, 3)) if local else out
    cost = card * probe
    if src.tvf is not None or (src.full == "inner" and src.table is None):
        # A table-valued function reads the current rows before it; a FULL JOIN's inner
        # rows are told apart by their position in a full read: no hash build for either.
        pass
    elif avail and k not in ("rowid_eq",) and card > 1:
        hterms = hash_terms(src, conjuncts, avail, scope, comp)
        if hterms:
            hcost = rows * 1.5 + card * 0.5
            if hcost < cost:
                hout = card * max(1.0, rows / 10.0) * (0.5 ** min(max(local - 1, 0), 3))
                return hcost, hout, Access("hash", src, eq=_dedupe_exprs(hterms), cost=hcost)
    elif avail and k == "rowid_eq" and card > 4 * rows:
        # Probing a small table by rowid from a big outer loop: a dict beats descents.
        hterms = hash_terms(src, conjuncts, avail, scope, comp)
        if hterms:
            hcost = rows * 1.5 + card * 0.5
            if hcost < cost:
                return hcost, card, Access("hash", src, eq=_dedupe_exprs(hterms), cost=hcost)
    return cost, max(card * out, 1e-3), acc


def _dedupe_exprs(terms: list[Term]) -> list[Term]:
    seen: list[Any] = []
    out = []
    for t in terms:
        if t.col_expr in seen:
            continue
        seen.append(t.col_expr)
        out.append(t)
    return out


def order_sources(sources: list[Source], barriers: set[int], conjuncts: list[Conjunct],
                  scope: Scope, comp: Any, outer_avail: frozenset[int]) -> list[Access]:
    """Join order and access path per source, minimizing the estimated cost.

    Sources in ``barriers`` (right sides of LEFT JOINs) keep their position
    relative to everything before and after them; the inner-join runs between
    barriers are ordered exhaustively (dynamic programming over subsets) when
    short, greedily otherwise.
    """
    rows_of = {s.n: estimate_rows(comp, s) for s in sources}
    plan: list[Access] = []
    placed: frozenset[int] = frozenset()
    card = 1.0
    segment: list[Source] = []

    def flush(seg: list[Source]) -> None:
        nonlocal placed, card
        if not seg:
            return
        order = _best_order(seg, conjuncts, placed | outer_avail, card, scope, comp, rows_of)
        for s in order:
            cost, out, acc = _step(s, conjuncts, placed | outer_avail, card, scope, comp, rows_of[s.n])
            plan.append(acc)
            placed = placed | {s.n}
            card = out
    for s in sources:
        if s.n in barriers:
            flush(segment)
            segment = []
            flush([s])
        else:
            segment.append(s)
    flush(segment)
    return plan


def _best_order(seg: list[Source], conjuncts: list[Conjunct], avail: frozenset[int], card: float,
                scope: Scope, comp: Any, rows_of: dict[int, float]) -> list[Source]:
    if len(seg) == 1:
        return seg
    if len(seg) <= 6:
        # best[mask] = (cost, card, order)
        best: dict[int, tuple[float, float, list[Source]]] = {0: (0.0, card, [])}
        n = len(seg)
        for mask in range(1 << n):
            if mask not in best:
                continue
            cost0, card0, order0 = best[mask]
            done = avail | {seg[i].n for i in range(n) if mask >> i & 1}
            for i in range(n):
                if mask >> i & 1:
                    continue
                s = seg[i]
                c, out, _ = _step(s, conjuncts, done, card0, scope, comp, rows_of[s.n])
                m2 = mask | (1 << i)
                total = cost0 + c
                prev = best.get(m2)
                if prev is None or total < prev[0] - 1e-9:
                    best[m2] = (total, out, order0 + [s])
        return best[(1 << n) - 1][2]
    order: list[Source] = []
    pending = list(seg)
    done = avail
    while pending:
        scored = []
        for s in pending:
            c, out, _ = _step(s, conjuncts, done, card, scope, comp, rows_of[s.n])
            scored.append((c, out, s))
        c, card, s = min(scored, key=lambda x: (x[0], x[1]))
        order.append(s)
        pending.remove(s)
        done = done | {s.n}
    return order
