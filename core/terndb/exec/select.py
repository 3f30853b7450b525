"""Compiling SELECT to generator functions.

A SELECT core becomes nested ``for`` loops, one per source in the planned
join order, with each WHERE conjunct tested at the shallowest loop where
everything it reads is bound.  Aggregation accumulates into a dict of
per-group lists inside the loops and emits rows afterwards; ORDER BY buffers
and sorts; LIMIT stops the generator early.  LEFT JOIN chains a sentinel onto
the right side's iterator so the loop body exists once and also runs for the
NULL-extended row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..catalog.schema import TableInfo
from ..errors import NotSupportedError, ProgrammingError
from ..plan.access import Access, Conjunct, expr_deps, order_sources, split_and
from ..plan.scope import Scope, Source
from ..sql import ast as A
from . import runtime as R
from .codegen import Func
from . import functions as F
from . import json1 as J
from . import window as W
from .compiler import (AGGREGATES, WINDOW_ONLY, ExprCompiler, Meta, children, comparison_convs,
                       contains_aggregate, contains_window, is_aggregate_call, walk)


@dataclass(eq=False)
class Query:
    """A compiled (sub)query: the name of its generator function and its columns."""

    fn: str
    names: list[str]
    metas: list[Meta]
    correlated: bool
    deterministic: bool = True
    plan: list[str] = field(default_factory=list)


@dataclass(eq=False)
class CTEDef:
    name: str
    columns: Optional[list[str]]
    select: A.Select
    outer: Optional[Scope]
    recursive: bool
    self_rows: Optional[str] = None          # while compiling the recursive step
    self_names: Optional[list[str]] = None
    self_metas: Optional[list[Meta]] = None


@dataclass(eq=False)
class AggCall:
    node: A.Function
    slot: int
    width: int = 1
    distinct_slot: Optional[int] = None


class SelectCompiler(ExprCompiler):
    """Compiles queries; statement compilers build on it."""

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.ctes: list[dict[str, CTEDef]] = []
        self._subq_cache: dict[tuple[int, int], Query] = {}
        self.plan_lines: list[tuple[int, int, str]] = []   # (id, parent id, text)
        self._depth = 0
        self._plan_parent = 0
        self.estimates: Callable[[TableInfo], float] = lambda t: 1000.0
        self._star_order: Optional[list[Source]] = None   # written order when RIGHT JOIN reorders

    # ------------------------------------------------------------ plumbing

    def estimate_table_rows(self, t: TableInfo) -> float:
        return self.estimates(t)

    def walk_all(self, e: A.Expr) -> Any:
        return walk(e)

    def subquery_reads_outer(self, node: A.Expr, scope: Scope) -> bool:
        return True

    def compile_subquery(self, sel: A.Select, scope: Scope, limit_one: bool = False) -> Query:
        key = (id(sel), id(self.fn))
        q = self._subq_cache.get(key)
        if q is None:
            q = self.query(sel, scope, limit_one)
            self._subq_cache[key] = q
        return q

    def meta(self, e: A.Expr, scope: Scope) -> Meta:
        if type(e) is A.Subquery:
            try:
                q = self.compile_subquery(e.select, scope)
            except Exception:
                return Meta()
            return q.metas[0] if q.metas else Meta()
        return super().meta(e, scope)

    def note_plan(self, text: str) -> int:
        nid = len(self.plan_lines) + 1
        self.plan_lines.append((nid, self._plan_parent, text))
        return nid

    # --------------------------------------------------------------- queries

    def query(self, sel: A.Select, outer: Optional[Scope], limit_one: bool = False,
              name_hint: str = "_q", into: Optional[Func] = None) -> Query:
        """Compile ``sel`` into a generator function nested in the current function
        (or into ``into`` itself, which then becomes the generator)."""
        pushed = False
        if sel.with_ is not None:
            defs = {}
            for cte in sel.with_.ctes:
                defs[cte.name.lower()] = CTEDef(cte.name, cte.columns, cte.select, outer,
                                                sel.with_.recursive)
            self.ctes.append(defs)
            pushed = True
        host = self.fn
        fn = into if into is not None else host.nested(self.mod.fresh(name_hint))
        self.fn = fn
        saved_parent = self._plan_parent
        if self._depth > 0 or into is None:
            self._plan_parent = self.note_plan("SUBQUERY")
        self._depth += 1
        saved_det = self.deterministic
        self.deterministic = True
        try:
            body = sel.body
            if isinstance(body, A.Compound):
                q = self.compound(sel, outer, fn)
            elif isinstance(body, A.Values):
                q = self.values_query(body, sel, outer, fn)
            else:
                q = self.core(body, outer, fn, sel.order_by, sel.limit, sel.offset, limit_one)
        finally:
            self.fn = host
            self._depth -= 1
            self._plan_parent = saved_parent
            q_det = self.deterministic
            self.deterministic = saved_det and q_det
            if pushed:
                self.ctes.pop()
        q.fn = fn.name
        q.deterministic = q_det
        return q

    def values_query(self, body: A.Values, sel: A.Select, outer: Optional[Scope], fn: Func) -> Query:
        """VALUES (...), (...) as a query: columns column1, column2, ..."""
        scope = Scope([], outer, self.sql)
        width = len(body.rows[0])
        names = [f"column{i + 1}" for i in range(width)]
        if sel.order_by or sel.limit is not None:
            core = A.SelectCore([A.ResultColumn(A.Column(n), None, n) for n in names],
                                A.SubqueryRef(A.Select(body), "_values"))
            return self.core(core, outer, fn, sel.order_by, sel.limit, sel.offset)
        for row in body.rows:
            for e in row:
                if contains_aggregate(e):
                    raise self.err("misuse of aggregate function in VALUES")
            fn.emit("yield (" + ", ".join(self.value(e, scope) for e in row) + ",)")
        self.note_plan(f"SCAN {len(body.rows)} CONSTANT ROW{'S' if len(body.rows) > 1 else ''}")
        return Query("", names, [Meta() for _ in names], bool(scope.outer_refs))

    # ------------------------------------------------------------------ FROM

    def from_clause(self, item: Optional[A.FromItem], outer: Optional[Scope]
                    ) -> tuple[list[Source], set[int], list[tuple[A.Expr, Optional[int]]]]:
        sources: list[Source] = []
        barriers: set[int] = set()
        conds: list[tuple[A.Expr, Optional[int]]] = []
        if item is None:
            return sources, barriers, conds
        self._flatten(item, outer, sources, barriers, conds)
        return sources, barriers, conds

    def _flatten(self, item: A.FromItem, outer: Optional[Scope], sources: list[Source],
                 barriers: set[int], conds: list[tuple[A.Expr, Optional[int]]]) -> None:
        if isinstance(item, A.Join):
            self._flatten(item.left, outer, sources, barriers, conds)
            if isinstance(item.right, A.Join):
                if item.kind == "LEFT":
                    raise NotSupportedError("a parenthesized join on the right of LEFT JOIN is not supported")
                self._flatten(item.right, outer, sources, barriers, conds)
                if item.on is not None:
                    conds.append((item.on, None))
                return
            right = self.make_source(item.right, outer)
            left_sources = list(sources)
            if item.kind == "FULL":
                if len(sources) != 1 or sources[0].left_join or sources[0].tvf is not None:
                    raise NotSupportedError("FULL JOIN is supported when its left side is a "
                                            "single table or subquery")
                # B drives and may be NULL (its unmatched-A pass); A may be NULL-extended.
                inner = sources[0]
                inner.left_join = inner.right_joined = True
                right.left_join = True
                inner.full, right.full = "inner", "drive"
                inner.partner, right.partner = right.n, inner.n
                barriers.update((inner.n, right.n))
                self._star_order = [inner, right]
                sources.insert(0, right)
                for cond in self._using_conditions(item, [inner], right):
                    conds.append((cond, inner.n))
                if item.on is not None:
                    for cond in split_and(item.on):
                        conds.append((cond, inner.n))
                return
            if item.kind == "RIGHT":
                # A RIGHT JOIN B == B LEFT JOIN A: B drives, A may be NULL-extended.
                # Columns keep the written order (A's first) for "*".
                if len(sources) != 1 or sources[0].left_join:
                    raise NotSupportedError("RIGHT JOIN is supported when its left side is a "
                                            "single table or subquery")
                nulled = sources[0]
                nulled.left_join = nulled.right_joined = True
                barriers.add(nulled.n)
                self._star_order = [nulled, right]
                sources.insert(0, right)
                owner: Optional[int] = nulled.n
            else:
                sources.append(right)
                lj = item.kind == "LEFT"
                if lj:
                    right.left_join = True
                    barriers.add(right.n)
                owner = right.n if lj else None
            for cond in self._using_conditions(item, left_sources, right):
                conds.append((cond, owner))
            if item.on is not None:
                for cond in split_and(item.on):
                    conds.append((cond, owner))
            return
        sources.append(self.make_source(item, outer))

    def _using_conditions(self, item: A.Join, left_sources: list[Source], right: Source) -> list[A.Expr]:
        """The equalities USING/NATURAL stand for; hides the right side's copies from ``*``."""
        using = item.using
        if item.natural:
            rnames = {c.lower() for c in right.columns}
            using = []
            for s in left_sources:
                for i, c in enumerate(s.columns):
                    if c.lower() in rnames and i not in s.hidden and c not in using:
                        using.append(c)
        out: list[A.Expr] = []
        for colname in using or ():
            ri = right.col_map.get(colname.lower())
            lefts = [s for s in left_sources if colname.lower() in s.col_map
                     and s.col_map[colname.lower()] not in s.hidden]
            if len(lefts) > 1 and any(s.right_joined for s in left_sources):
                # After a RIGHT JOIN SQLite needs one source for the column (3.40's rule).
                raise ProgrammingError(f"ambiguous reference to {colname} in USING()")
            left = lefts[0] if lefts else None
            if ri is None or left is None:
                raise ProgrammingError(
                    f"cannot join using column {colname} - column not present in both tables")
            right.hidden.add(ri)
            name = left.columns[left.col_map[colname.lower()]]
            # After a FULL JOIN ... USING the column is either side's value (unqualified).
            lcol = A.Column(name, None if left.full is not None and item.kind != "FULL" else left.alias)
            out.append(A.Binary("=", lcol, A.Column(right.columns[ri], right.alias)))
        return out

    def make_source(self, item: A.FromItem, outer: Optional[Scope]) -> Source:
        n = self.new_source_id()
        if isinstance(item, A.TableFunction):
            key = item.name.lower()
            if key not in J.TABLE_FUNCTIONS:
                raise self.err(f"no such table-valued function: {item.name}", item.pos)
            if len(item.args) > 2:
                raise self.err(f"wrong number of arguments to table-valued function {key}()", item.pos)
            cols = list(J.EACH_COLUMNS)
            return Source(n, item.alias or item.name, cols, [None] * len(cols), [None] * len(cols),
                          hidden={8, 9}, correlated=True, tvf=item)
        if isinstance(item, A.SubqueryRef):
            q = self.query(item.select, outer)
            alias = item.alias or f"(subquery-{n})"
            return Source(n, alias, q.names, [m.affinity for m in q.metas],
                          [m.coll for m in q.metas], rows_func=f"{q.fn}()", correlated=q.correlated)
        assert isinstance(item, A.TableRef)
        name = item.name
        key = name.lower()
        alias = item.alias or name
        if item.schema is None or item.schema.lower() in ("main", "temp"):
            for defs in reversed(self.ctes):
                cte = defs.get(key)
                if cte is not None:
                    return self.cte_source(cte, alias, n)
        if item.schema is not None and item.schema.lower() not in ("main", "temp"):
            raise self.err(f"unknown database {item.schema}", item.pos)
        t = self.catalog.tables.get(key)
        if t is not None:
            return Source(n, alias, [c.name for c in t.columns], [c.affinity for c in t.columns],
                          [c.collation for c in t.columns], table=t)
        v = self.catalog.views.get(key)
        if v is not None:
            return self.view_source(v, alias, n)
        if key == "sqlite_sequence" and any(t.autoincrement for t in self.catalog.tables.values()):
            return Source(n, alias, ["name", "seq"], [R.A_BLOB, R.A_BLOB], [None, None],
                          rows_func="_ctx.sequence_rows()")
        if key in ("sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"):
            rows = "_ctx.master_rows()" if "temp" not in key else "_ctx.temp_master_rows()"
            return Source(n, alias, ["type", "name", "tbl_name", "rootpage", "sql"],
                          [R.A_TEXT, R.A_TEXT, R.A_TEXT, R.A_INTEGER, R.A_TEXT],
                          [None] * 5, rows_func=rows)
        raise self.err(f"no such table: {name}", item.pos)

    def bind_table_functions(self, sources: list[Source], barriers: set[int], scope: Scope) -> None:
        """Compile table-valued function arguments, which may read the sources written before.

        Such a source stays where it was written in the join order (a barrier), so the rows
        its arguments read are current when it runs.
        """
        for s in [x for x in sources if x.tvf is not None]:
            item = s.tvf
            deps = frozenset().union(*(expr_deps(a, scope, self) for a in item.args))
            i = sources.index(s)
            if s.n in deps:
                # Unclear (a subquery argument): run it after every table it could read, up to
                # the next outer join.
                j = i
                while j + 1 < len(sources) and sources[j + 1].n not in barriers:
                    j += 1
                sources.insert(j, sources.pop(i))
            elif not deps <= {x.n for x in sources[:i]}:
                # It reads a table written after it: run it after that table, unless an outer
                # join lies in between (moving it would change which rows are NULL-extended).
                last = max(sources.index(x) for x in sources if x.n in deps)
                if any(x.n in barriers for x in sources[i:last + 1]):
                    raise self.err(f"{item.name}() cannot read a table joined after it here", item.pos)
                sources.insert(last, sources.pop(i))
            impl = self.mod.const(J.each_rows if item.name.lower() == "json_each" else J.tree_rows, "_fn_")
            s.rows_func = f"{impl}({', '.join(self.value(a, scope) for a in item.args)})"
            barriers.add(s.n)

    def view_source(self, v: Any, alias: str, n: int) -> Source:
        key = v.name.lower()
        stack: set[str] = getattr(self, "_view_stack", set())
        if key in stack:
            raise ProgrammingError(f"view {v.name} is circularly defined")
        stack.add(key)
        self._view_stack = stack
        saved_ctes = self.ctes
        self.ctes = []
        try:
            q = self.query(v.select, None)
        finally:
            self.ctes = saved_ctes
            stack.discard(key)
        names = list(v.columns) if v.columns else q.names
        if len(names) != len(q.names):
            raise ProgrammingError(f"expected {len(names)} columns for '{v.name}' but got {len(q.names)}")
        return Source(n, alias, names, [m.affinity for m in q.metas], [m.coll for m in q.metas],
                      rows_func=f"{q.fn}()", correlated=False)

    def cte_source(self, cte: CTEDef, alias: str, n: int) -> Source:
        if cte.self_rows is not None:
            names = cte.self_names or []
            metas = cte.self_metas or []
            return Source(n, alias, names, [m.affinity for m in metas], [m.coll for m in metas],
                          rows_func=cte.self_rows, correlated=True)
        if cte.recursive and self._references(cte.select, cte.name):
            fn_name, names, metas = self.recursive_cte(cte)
            rows = f"{fn_name}()"
        else:
            # Compile the CTE body outside the CTE's own visibility (no self-reference).
            saved = self.ctes
            idx = next(i for i, d in enumerate(saved) if cte.name.lower() in d and d[cte.name.lower()] is cte)
            self.ctes = saved[:idx] + [{k: v for k, v in saved[idx].items() if v is not cte}]
            try:
                q = self.query(cte.select, cte.outer)
            finally:
                self.ctes = saved
            names, metas, rows = q.names, q.metas, f"{q.fn}()"
        if cte.columns:
            if len(cte.columns) != len(names):
                raise ProgrammingError(
                    f"table {cte.name} has {len(names)} values for {len(cte.columns)} columns")
            names = list(cte.columns)
        return Source(n, alias, names, [m.affinity for m in metas], [m.coll for m in metas],
                      rows_func=rows, correlated=True)

    def _references(self, sel: A.Select, name: str) -> bool:
        key = name.lower()
        found = False

        def visit(x: Any) -> None:
            nonlocal found
            if found:
                return
            if isinstance(x, A.TableRef) and x.name.lower() == key:
                found = True
            elif isinstance(x, (list, tuple)):
                for i in x:
                    visit(i)
            elif hasattr(x, "__dataclass_fields__"):
                for f in x.__dataclass_fields__:
                    visit(getattr(x, f))
        visit(sel)
        return found

    def _count_refs(self, node: Any, name: str) -> int:
        key = name.lower()
        n = 0
        stack = [node]
        while stack:
            x = stack.pop()
            if isinstance(x, A.TableRef) and x.name.lower() == key:
                n += 1
            elif isinstance(x, (list, tuple)):
                stack.extend(x)
            elif hasattr(x, "__dataclass_fields__"):
                stack.extend(getattr(x, f) for f in x.__dataclass_fields__)
        return n

    def recursive_cte(self, cte: CTEDef) -> tuple[str, list[str], list[Meta]]:
        sel = cte.select
        body = sel.body
        if not isinstance(body, A.Compound) or body.op not in ("UNION", "UNION ALL"):
            raise ProgrammingError(f"recursive reference in a subquery: {cte.name}")
        # The recursive step is the right-most part; everything left of it seeds.
        init_sel = A.Select(body.left)
        step_body = body.right
        host = self.fn
        fn = host.nested(self.mod.fresh("_cte"))
        self.fn = fn
        try:
            saved = self.ctes
            idx = next(i for i, d in enumerate(saved) if d.get(cte.name.lower()) is cte)
            self.ctes = saved[:idx] + [{k: v for k, v in saved[idx].items() if v is not cte}]
            try:
                init = self.query(init_sel, cte.outer)
            finally:
                self.ctes = saved
            names = list(cte.columns) if cte.columns else init.names
            if self._count_refs(step_body, cte.name) > 1:
                raise ProgrammingError(f"multiple references to recursive table: {cte.name}")
            cur = self.mod.fresh("_cur")
            cte.self_rows, cte.self_names, cte.self_metas = cur, names, init.metas
            try:
                step = self.query(A.Select(step_body), cte.outer)
            finally:
                cte.self_rows = None
            if len(step.names) != len(init.names):
                raise ProgrammingError("SELECTs to the left and right of UNION do not have the same number of result columns")
            union = body.op == "UNION"
            lim = sel.limit is not None
            fn.setup("from collections import deque as _deque")
            fn.emit("_queue = _deque()")
            if union:
                fn.emit("_seen = set()")
            if lim:
                fn.emit(f"_lim = _limit({self.value(sel.limit, Scope([], None, self.sql))})")  # type: ignore[arg-type]
                fn.emit("if _lim == 0: return")
                fn.emit("_n = 0")
            fn.emit(f"for _row in {init.fn}():")
            with fn.indent():
                if union:
                    fn.emit("if _row in _seen: continue")
                    fn.emit("_seen.add(_row)")
                fn.emit("_queue.append(_row)")
            fn.emit("while _queue:")
            with fn.indent():
                fn.emit("_row = _queue.popleft()")
                fn.emit("yield _row")
                if lim:
                    fn.emit("_n += 1")
                    fn.emit("if _lim > 0 and _n >= _lim: return")
                fn.emit(f"{cur} = (_row,)")
                fn.emit(f"for _new in {step.fn}():")
                with fn.indent():
                    if union:
                        fn.emit("if _new in _seen: continue")
                        fn.emit("_seen.add(_new)")
                    fn.emit("_queue.append(_new)")
        finally:
            self.fn = host
        return fn.name, names, init.metas

    # ------------------------------------------------------------ result list

    def expand_columns(self, cols: list[A.ResultColumn], scope: Scope
                       ) -> list[tuple[A.Expr, str]]:
        out: list[tuple[A.Expr, str]] = []
        for rc in cols:
            e = rc.expr
            if isinstance(e, A.Star):
                srcs = scope.sources
                if e.table is not None:
                    s = scope.find_source(e.table)
                    if s is None:
                        raise self.err(f"no such table: {e.table}", e.pos)
                    srcs = [s]
                elif not srcs:
                    raise self.err("no tables specified", e.pos)
                for s in srcs:
                    for i, c in enumerate(s.columns):
                        if e.table is None and i in s.hidden:
                            continue
                        # A FULL JOIN's USING column is either side's value, whichever is set.
                        full_using = (e.table is None and s.full is not None and any(
                            x.full is not None and c.lower() in x.col_map and x.col_map[c.lower()] in x.hidden
                            for x in srcs))
                        out.append((A.Column(c, None if full_using else s.alias), c))
                continue
            if rc.alias is not None:
                name = rc.alias
            elif isinstance(e, A.Column):
                name = e.name
                try:
                    r = scope.resolve(e)
                    if r is not None and r.column >= 0:
                        name = r.source.columns[r.column]
                    elif r is not None:
                        # rowid/oid/_rowid_ are named after the INTEGER PRIMARY KEY, if any.
                        t = r.source.table
                        name = t.columns[t.ipk].name if t is not None and t.ipk is not None else "rowid"
                    elif e.quoted:
                        name = rc.text   # a "string" that fell back to a literal keeps its quotes
                except Exception:
                    pass
            else:
                name = rc.text
            out.append((e, name))
        return out

    # ------------------------------------------------------------------- core

    def core(self, core: A.SelectCore, outer: Optional[Scope], fn: Func,
             order_by: list[A.OrderingTerm], limit: Optional[A.Expr], offset: Optional[A.Expr],
             limit_one: bool = False) -> Query:
        scope = Scope([], outer, self.sql)
        saved_star, self._star_order = self._star_order, None
        sources, barriers, join_conds = self.from_clause(core.from_, outer)
        star, self._star_order = self._star_order, saved_star
        if star is not None:
            star = star + [s for s in sources if s not in star]
        # Names resolve and "*" expands in written order; planning uses ``sources``.
        scope.sources = star or list(sources)
        self.bind_table_functions(sources, barriers, scope)
        cols = self.expand_columns(core.columns, scope)
        for e, name in cols:
            if isinstance(e, A.Column) and e.table is None and name.lower() == e.name.lower():
                continue
        scope.aliases = {}
        for rc in core.columns:
            if rc.alias is not None and not isinstance(rc.expr, A.Star):
                scope.aliases.setdefault(rc.alias.lower(), rc.expr)
        exprs = [e for e, _ in cols]
        names = [n for _, n in cols]
        if core.where is not None and contains_aggregate(core.where):
            raise self.err("misuse of aggregate function in WHERE clause")
        group_by = [self.resolve_group_term(g, exprs, scope, i) for i, g in enumerate(core.group_by)]
        having = core.having
        order_terms = [self.resolve_order_term(t, exprs, names, scope, i) for i, t in enumerate(order_by)]
        is_agg = bool(group_by) or having is not None or any(contains_aggregate(e) for e in exprs) \
            or any(contains_aggregate(t.expr) for t, _ in order_terms if t is not None)
        if group_by and any(contains_aggregate(g) for g in group_by):
            raise self.err("aggregate functions are not allowed in the GROUP BY clause")
        windows = self.window_calls(exprs, order_terms, core, group_by, join_conds)
        metas = [self.meta(e, scope) for e in exprs]

        # ---- plan
        conjuncts: list[Conjunct] = []
        for w in split_and(core.where):
            conjuncts.append(Conjunct(w, expr_deps(w, scope, self)))
        for jc, owner in join_conds:
            conjuncts.append(Conjunct(jc, expr_deps(jc, scope, self), owner))
        plan = order_sources(sources, barriers, conjuncts, scope, self, frozenset())
        scope.sources = star or sources
        for acc in plan:
            self.note_plan(acc.describe())

        # ---- setup: LIMIT/OFFSET
        const_scope = Scope([], outer, self.sql)
        lim_var = off_var = None
        if limit is not None:
            lim_var = self.mod.fresh("_lim")
            fn.emit(f"{lim_var} = _limit({self.value(limit, const_scope)})")
            if offset is not None:
                off_var = self.mod.fresh("_off")
                fn.emit(f"{off_var} = max(0, _limit({self.value(offset, const_scope)}, 'OFFSET'))")
            fn.emit(f"if {lim_var} == 0: return")
        elif limit_one:
            lim_var = "1"

        # ---- filter placement
        position = {acc.source.n: i for i, acc in enumerate(plan)}
        level_filters: list[list[str]] = [[] for _ in plan]
        on_filters: list[list[str]] = [[] for _ in plan]
        pre_filters: list[str] = []
        consumed: set[int] = set()
        for acc in plan:
            if acc.kind in ("hash", "rowid_eq") or (acc.kind == "index" and acc.eq):
                # The lookup itself guarantees these equalities.
                consumed.update(id(t.conjunct) for t in acc.eq)
        for c in conjuncts:
            if id(c) in consumed:
                continue
            if c.on_source is not None:
                on_filters[position[c.on_source]].append(self.cond(c.expr, scope))
                continue
            lvl = max((position[d] for d in c.deps if d in position), default=-1)
            code = self.cond(c.expr, scope)
            if lvl < 0:
                pre_filters.append(code)
            else:
                level_filters[lvl].append(code)

        # ---- aggregate preparation
        agg: Optional[_AggState] = None
        if is_agg:
            agg = self.prepare_aggregates(exprs, having, [t for t, _ in order_terms if t is not None],
                                          group_by, scope, fn)

        # ---- sink for finished rows
        sink = _Sink(self, fn, scope, core.distinct, order_terms, lim_var, off_var, metas)
        sink.prepare()

        # ---- loops (inside a guard when some conjuncts read no source at all)
        guard = 0
        if pre_filters:
            if agg is None:
                fn.emit(f"if not ({' and '.join(pre_filters)}): return")
            else:
                # An aggregate over no rows still produces its row.
                fn.emit(f"if {' and '.join(pre_filters)}:")
                fn.level += 1
                guard = 1
        self.emit_hash_builds(plan, conjuncts, scope, fn, position)
        opened = self.emit_loops(plan, scope, fn, level_filters, on_filters) + guard
        win: Optional[_WindowState] = None
        if windows:
            win = self.prepare_windows(windows, scope, sources, agg)

        def emit_result() -> None:
            if win is None:
                sink.emit_row([self.value(e, scope) for e in exprs])
            else:
                self.emit_window_entry(win, scope, fn)
        if agg is None:
            emit_result()
        else:
            self.emit_accumulate(agg, scope, fn)
        fn.level -= opened
        if agg is not None:
            self.emit_aggregate_output(agg, having, scope, fn, emit_result)
        if win is not None:
            self.emit_window_output(win, exprs, scope, fn, sink, outer)
        sink.finish()
        correlated = bool(scope.outer_refs) or any(s.correlated and s.rows_func and not s.rows_func.startswith("_ctx")
                                                    and False for s in sources)
        return Query("", names, metas, correlated)

    def resolve_group_term(self, g: A.Expr, exprs: list[A.Expr], scope: Scope, i: int = 0) -> A.Expr:
        k = _term_number(g.expr if isinstance(g, A.Collate) else g)
        if k is not None:
            if k < 1 or k > len(exprs):
                raise self.err(f"{_ordinal(i + 1)} GROUP BY term out of range - should be between 1 "
                               f"and {len(exprs)}")
            return exprs[k - 1]
        return g

    def resolve_order_term(self, t: A.OrderingTerm, exprs: list[A.Expr], names: list[str],
                           scope: Optional[Scope], i: int = 0
                           ) -> tuple[Optional[A.OrderingTerm], Optional[int]]:
        """(term to evaluate, or None) and result-column index when it names one."""
        e = t.expr
        coll = None
        if isinstance(e, A.Collate):
            coll = e
            e = e.expr
        k = _term_number(e)
        if k is not None:
            if k < 1 or k > len(exprs):
                n = len(exprs)
                raise self.err(f"{_ordinal(i + 1)} ORDER BY term out of range - should be between 1 and {n}")
            target = exprs[k - 1]
            if coll is not None:
                target = A.Collate(target, coll.collation)
            return A.OrderingTerm(target, t.desc, t.nulls_first), k - 1
        if isinstance(e, A.Column) and e.table is None:
            for i, rname in enumerate(names):
                if rname.lower() == e.name.lower() and not (scope is not None and self._is_source_column(e, scope)
                                                         and not self._is_alias(e, scope)):
                    target = exprs[i]
                    if coll is not None:
                        target = A.Collate(target, coll.collation)
                    return A.OrderingTerm(target, t.desc, t.nulls_first), i
        for i, x in enumerate(exprs):
            if x == e:
                return A.OrderingTerm(t.expr, t.desc, t.nulls_first), i if coll is None else None
        return t, None

    def _is_source_column(self, e: A.Column, scope: Scope) -> bool:
        try:
            return scope.resolve(e) is not None
        except Exception:
            return True

    def _is_alias(self, e: A.Column, scope: Scope) -> bool:
        return e.name.lower() in scope.aliases

    # ------------------------------------------------------------------ loops

    def emit_hash_builds(self, plan: list[Access], conjuncts: list[Conjunct], scope: Scope,
                         fn: Func, position: dict[int, int]) -> None:
        for acc in plan:
            if acc.kind != "hash":
                continue
            s = acc.source
            h = f"_h{s.n}"
            acc.hash_var = h
            fn.emit(f"{h} = {{}}")
            fn.emit(f"for {s.k}, {s.r} in {self.full_iter(s)}:")
            with fn.indent():
                own = [c for c in conjuncts if c.deps == frozenset({s.n}) and
                       (c.on_source == s.n if s.left_join else c.on_source is None)]
                if own:
                    fn.emit(f"if not ({' and '.join(self.cond(c.expr, scope) for c in own)}): continue")
                keys = []
                for t in acc.eq:
                    build, _ = self.hash_key_codes(self.term_expr(t, s), t.value, scope, t.col_left)
                    keys.append(build)
                if len(keys) == 1:
                    fn.emit(f"_hk = {keys[0]}")
                    fn.emit("if _hk is None: continue")
                else:
                    fn.emit(f"_hk = ({', '.join(keys)},)")
                    fn.emit("if None in _hk: continue")
                fn.emit(f"_hl = {h}.get(_hk)")
                fn.emit("if _hl is None:")
                fn.emit(f"    {h}[_hk] = [({s.k}, {s.r})]")
                fn.emit("else:")
                fn.emit(f"    _hl.append(({s.k}, {s.r}))")

    def term_expr(self, t: Any, s: Source) -> A.Expr:
        if t.col_expr is not None:
            return t.col_expr
        return A.Column(s.columns[t.column], s.alias) if t.column >= 0 else A.Column("rowid", s.alias)

    def hash_key_codes(self, col_expr: A.Expr, other: A.Expr, scope: Scope,
                       col_left: bool = True) -> tuple[str, str]:
        """Build-side and probe-side key code for ``col = other`` with SQLite equality."""
        mc, mo = self.meta(col_expr, scope), self.meta(other, scope)
        build, probe = self.convert_pair(col_expr, self.value(col_expr, scope), mc,
                                         other, self.value(other, scope), mo)
        # The collation comes from the left operand as written.
        coll = self.comparison_collation(mc, mo) if col_left else self.comparison_collation(mo, mc)
        if coll not in (None, "BINARY"):
            build = f"_gfold({build}, {coll!r})"
            probe = f"_gfold({probe}, {coll!r})"
        return build, probe

    def full_iter(self, s: Source) -> str:
        t = s.table
        if t is not None:
            if t.without_rowid:
                # Rows come in primary-key order, as from SQLite's WITHOUT ROWID b-tree.
                pk = next(ix for ix in t.indexes if ix.origin == "pk")
                return f"_index_scan(_T, _R[{pk.tree}], _R[{t.tree}], None, True, None, True)"
            return f"_scan(_T, _R[{t.tree}])"
        return f"zip(_repeat(None), {s.rows_func})"

    def access_iter(self, acc: Access, scope: Scope) -> str:
        s = acc.source
        kind = acc.kind
        if kind == "scan" or kind == "rows":
            if kind == "rows" and s.rows_func is not None and not s.correlated and acc is not None:
                return f"zip(_repeat(None), {s.rows_func})"
            return self.full_iter(s)
        if kind == "hash":
            keys = []
            for t in acc.eq:
                _, probe = self.hash_key_codes(self.term_expr(t, s), t.value, scope, t.col_left)
                keys.append(probe)
            key = keys[0] if len(keys) == 1 else f"({', '.join(keys)},)"
            return f"{acc.hash_var}.get({key}, ())"  # type: ignore[attr-defined]
        assert s.table is not None
        troot = f"_R[{s.table.tree}]"
        if kind == "rowid_eq":
            return f"_rowid_eq(_T, {troot}, {self.bound_value(acc.eq[0], scope, s)})"
        if kind == "rowid_in":
            assert acc.in_term is not None
            vals = ", ".join(self.bound_value_expr(v, acc.in_term, scope, s) for v in acc.in_term.value)
            return f"_rowid_in(_T, {troot}, ({vals},))"
        if kind == "rowid_range":
            lo = self.bound_value(acc.lo, scope, s) if acc.lo else "None"
            hi = self.bound_value(acc.hi, scope, s) if acc.hi else "None"
            lo_incl = acc.lo is not None and acc.lo.op == ">="
            hi_incl = acc.hi is not None and acc.hi.op == "<="
            return (f"_rowid_range(_T, {troot}, {lo}, {lo_incl}, {hi}, {hi_incl}, "
                    f"{acc.lo is not None}, {acc.hi is not None})")
        # index
        ix = acc.index
        assert ix is not None
        iroot = f"_R[{ix.tree}]"
        prefix_parts = []
        for t, coll in zip(acc.eq, ix.collations):
            prefix_parts.append(f"*_key_part({self.bound_value(t, scope, s)}, {coll!r})")
        ncols = len(acc.eq)
        coll_next = ix.collations[ncols] if ncols < len(ix.collations) else None
        prefix = "[" + ", ".join(prefix_parts) + "]"
        null_guard = [self.bound_value(t, scope, s) for t in acc.eq]
        if acc.in_term is not None:
            items = []
            for v in acc.in_term.value:
                items.append(f"{prefix[:-1]}{', ' if prefix_parts else ''}*_key_part({self.bound_value_expr(v, acc.in_term, scope, s)}, {coll_next!r})]")
            code = f"_index_eq_multi(_T, {iroot}, {troot}, ({', '.join(items)},))"
        elif acc.lo is None and acc.hi is None:
            code = f"_index_scan(_T, {iroot}, {troot}, {prefix}, True, {prefix}, True)"
        else:
            if acc.lo is not None:
                lo = f"{prefix[:-1]}{', ' if prefix_parts else ''}*_key_part({self.bound_value(acc.lo, scope, s)}, {coll_next!r})]"
                lo_incl = acc.lo.op == ">="
                null_guard.append(self.bound_value(acc.lo, scope, s))
            else:
                # Skip NULLs: a comparison with NULL is never true.
                lo = f"{prefix[:-1]}{', ' if prefix_parts else ''}1]"
                lo_incl = True
            if acc.hi is not None:
                hi = f"{prefix[:-1]}{', ' if prefix_parts else ''}*_key_part({self.bound_value(acc.hi, scope, s)}, {coll_next!r})]"
                hi_incl = acc.hi.op == "<="
                null_guard.append(self.bound_value(acc.hi, scope, s))
            else:
                hi = prefix if prefix_parts else "None"
                hi_incl = True
            code = f"_index_scan(_T, {iroot}, {troot}, {lo}, {lo_incl}, {hi}, {hi_incl})"
        if null_guard:
            # col = NULL matches nothing; avoid scanning the NULL entries.
            code = f"({code} if None not in ({', '.join(null_guard)},) else ())"
        return code

    def bound_value(self, t: Any, scope: Scope, s: Source) -> str:
        return self.bound_value_expr(t.value, t, scope, s)

    def bound_value_expr(self, v: A.Expr, t: Any, scope: Scope, s: Source) -> str:
        """The lookup value for ``col OP v`` converted by the comparison affinity."""
        code = self.value(v, scope)
        if t.column < 0:
            return code
        # The planner only picks the index when the column side is left unchanged.
        _, conv = comparison_convs(s.affinities[t.column] or R.A_BLOB, self.meta(v, scope).affinity)
        return self.convert(v, code, conv) if conv is not None else code

    def emit_loops(self, plan: list[Access], scope: Scope, fn: Func,
                   level_filters: list[list[str]], on_filters: list[list[str]]) -> int:
        """Open one loop per planned source; returns how many indentation levels were opened."""
        opened = 0
        if plan:
            fn.setup("_T = _ctx.trees")
            fn.setup("_R = _ctx.roots")
        for i, acc in enumerate(plan):
            s = acc.source
            it = self.access_iter(acc, scope)
            if s.full is not None:
                self.emit_full_join_loop(s, it, on_filters[i], fn)
                fn.level += 1
                opened += 1
            elif s.left_join:
                m = f"_m{s.n}"
                null_row = self.mod.const((None,) * len(s.columns), "_null")
                fn.emit(f"{m} = False")
                fn.emit(f"for {s.k}, {s.r} in _chain({it}, ((_LJ, None),)):")
                fn.level += 1
                opened += 1
                fn.emit(f"if {s.k} is _LJ:")
                fn.emit(f"    if {m}: break")
                fn.emit(f"    {s.k} = None; {s.r} = {null_row}")
                if on_filters[i]:
                    fn.emit(f"elif not ({' and '.join(on_filters[i])}): continue")
                fn.emit(f"else: {m} = True")
            else:
                fn.emit(f"for {s.k}, {s.r} in {it}:")
                fn.level += 1
                opened += 1
                if on_filters[i]:
                    level_filters[i] = on_filters[i] + level_filters[i]
            if level_filters[i]:
                fn.emit(f"if not ({' and '.join(level_filters[i])}): continue")
        return opened

    def emit_full_join_loop(self, s: Source, it: str, on: list[str], fn: Func) -> None:
        """One side of ``A FULL JOIN B``, run as ``B LEFT JOIN A`` plus one more pass.

        The driving loop (B) ends with an extra iteration where B is NULL; in it the inner
        loop (A) reads every A row again and keeps those no B row matched.
        """
        null_row = self.mod.const((None,) * len(s.columns), "_null")
        if s.full == "drive":
            fn.emit(f"_fm{s.n} = set()")
            fn.emit(f"for {s.k}, {s.r} in _chain({it}, ((_LJ, None),)):")
            fn.emit(f"    _fj{s.n} = {s.k} is _LJ")
            fn.emit(f"    if _fj{s.n}: {s.k} = None; {s.r} = {null_row}")
            return
        m, fm, fj = f"_m{s.n}", f"_fm{s.partner}", f"_fj{s.partner}"
        fn.emit(f"{m} = False")
        if s.table is None:
            fn.emit(f"_c{s.n} = -1")
        fn.emit(f"for {s.k}, {s.r} in _chain(({self.full_iter(s)} if {fj} else {it}), ((_LJ, None),)):")
        with fn.indent():
            fn.emit(f"if {s.k} is _LJ:")
            fn.emit(f"    if {m} or {fj}: break")
            fn.emit(f"    {s.k} = None; {s.r} = {null_row}")
            fn.emit("else:")
            ident = s.k if s.table is not None else f"(_c{s.n} := _c{s.n} + 1)"
            fn.emit(f"    _id = {ident}")
            fn.emit(f"    if {fj}:")
            fn.emit(f"        if _id in {fm}: continue")
            fn.emit("    else:")
            if on:
                fn.emit(f"        if not ({' and '.join(on)}): continue")
            fn.emit(f"        {m} = True; {fm}.add(_id)")

    # ------------------------------------------------------------- aggregates

    def prepare_aggregates(self, exprs: list[A.Expr], having: Optional[A.Expr],
                           order_exprs: list[A.OrderingTerm], group_by: list[A.Expr],
                           scope: Scope, fn: Func) -> "_AggState":
        calls: list[AggCall] = []
        slot = 0

        def collect(e: Any) -> None:
            nonlocal slot
            if e is None:
                return
            for node in walk(e):
                if isinstance(node, A.Function) and is_aggregate_call(node):
                    for a in node.args:
                        if contains_aggregate(a):
                            raise self.err(f"misuse of aggregate function {node.name}()", node.pos)
                    if any(c.node is node for c in calls):
                        continue
                    width = 2 if node.name == "avg" else 1
                    call = AggCall(node, slot, width)
                    slot += width
                    if node.distinct:
                        call.distinct_slot = slot
                        slot += 1
                    calls.append(call)
        for e in exprs:
            collect(e)
        collect(having)
        for t in order_exprs:
            collect(t.expr)
        for c in calls:
            n = c.node
            if n.name == "count":
                if not n.star and len(n.args) != 1:
                    raise self.err("wrong number of arguments to function count()", n.pos)
            elif n.name in ("group_concat", "string_agg"):
                if len(n.args) not in (1, 2) or (n.name == "string_agg" and len(n.args) != 2):
                    raise self.err(f"wrong number of arguments to function {n.name}()", n.pos)
            elif n.name in J.AGGREGATES:
                if n.star or len(n.args) != J.AGGREGATES[n.name]:
                    raise self.err(f"wrong number of arguments to function {n.name}()", n.pos)
            elif n.star or len(n.args) != 1:
                raise self.err(f"wrong number of arguments to function {n.name}()", n.pos)
            if n.distinct and len(n.args) != 1:
                raise self.err("DISTINCT aggregates must have exactly one argument", n.pos)
        minmax = [c for c in calls if c.node.name in ("min", "max")]
        needs_rows = any(self._reads_rows_outside_aggs(e) for e in exprs) or \
            (having is not None and self._reads_rows_outside_aggs(having)) or \
            any(self._reads_rows_outside_aggs(t.expr) for t in order_exprs)
        state = _AggState(calls, slot, group_by, needs_rows and bool(scope.sources),
                          minmax[0] if len(minmax) == 1 else None)
        return state

    def _reads_rows_outside_aggs(self, e: A.Expr) -> bool:
        stack = [e]
        while stack:
            x = stack.pop()
            if x is None:
                continue
            if isinstance(x, A.Function) and is_aggregate_call(x):
                continue
            if isinstance(x, (A.Column, A.Subquery, A.Exists, A.InSelect)):
                return True
            stack.extend(children(x))
        return False

    def _slots(self, agg: "_AggState") -> Callable[[int], str]:
        """Accumulator access: list slots per group, or plain locals for a single group."""
        if agg.group_by:
            return lambda i: f"_acc[{i}]"
        last = agg.slots
        return lambda i: f"_a{last if i < 0 else i}"

    def emit_accumulate(self, agg: "_AggState", scope: Scope, fn: Func) -> None:
        init = []
        for c in agg.calls:
            name = c.node.name
            if name == "count":
                init.append("0")
            elif name == "total":
                init.append("0.0")
            elif name == "avg":
                init += ["0", "0"]
            else:
                init.append("None")
            if c.distinct_slot is not None:
                init.append("set()")
        row_vars = [v for s in scope.sources for v in (s.k, s.r)]
        if agg.save_rows:
            init.append("None")
        agg.init_code = "[" + ", ".join(init) + "]"
        S = self._slots(agg)
        if agg.group_by:
            keys = []
            for g in agg.group_by:
                code = self.value(g, scope)
                m = self.meta(g, scope)
                if m.coll not in (None, "BINARY"):
                    code = f"_gfold({code}, {m.coll!r})"
                keys.append(code)
            key = keys[0] if len(keys) == 1 else f"({', '.join(keys)},)"
            fn.emit(f"_key = {key}")
            fn.emit("_acc = _groups.get(_key)")
            fn.emit("if _acc is None:")
            fn.emit(f"    _acc = _groups[_key] = {agg.init_code}")
        else:
            for i, v in enumerate(init):
                fn.pre.append(f"{S(i if i < agg.slots else -1)} = {v}")
        for c in agg.calls:
            self.emit_agg_step(c, agg, scope, fn, row_vars, S)
        if agg.save_rows:
            # Bare columns read the group's first row (SQLite 3.40 does the same), or the
            # row that set the single min()/max() (which also sets it above).
            fn.emit(f"if {S(-1)} is None:")
            fn.emit(f"    {S(-1)} = ({', '.join(row_vars)},)")

    def emit_agg_step(self, c: AggCall, agg: "_AggState", scope: Scope, fn: Func,
                      row_vars: list[str], S: Callable[[int], str]) -> None:
        n = c.node
        i = c.slot
        a = S(i)
        name = n.name
        guard = []
        if n.filter is not None:
            guard.append(self.cond(n.filter, scope))
        if n.star:
            if guard:
                fn.emit(f"if {' and '.join(guard)}:")
                fn.emit(f"    {a} += 1")
            else:
                fn.emit(f"{a} += 1")
            return
        if name in J.AGGREGATES:
            self.emit_json_agg_step(c, scope, fn, guard, S)
            return
        arg = self.value(n.args[0], scope)
        fn.emit(f"_v = {arg}")
        plain = not guard and c.distinct_slot is None
        if plain and name in ("sum", "total"):
            # The common case first: REAL values into a REAL total.
            fn.emit(f"if (_v.__class__ is float) & ({a}.__class__ is float): {a} += _v")
        conds = ["_v is not None"] + guard
        if c.distinct_slot is not None:
            m = self.meta(n.args[0], scope)
            dk = f"_gfold(_v, {m.coll!r})" if m.coll not in (None, "BINARY") else "_v"
            conds.append(f"{dk} not in {S(c.distinct_slot)}")
        prefix = "elif" if plain and name in ("sum", "total", "avg") else "if"
        if plain and name == "avg":
            fn.emit(f"if (_v.__class__ is float) & ({a}.__class__ is float):")
            fn.emit(f"    {a} += _v")
            fn.emit(f"    {S(i + 1)} += 1")
        fn.emit(f"{prefix} {' and '.join(conds)}:")
        with fn.indent():
            if c.distinct_slot is not None:
                m = self.meta(n.args[0], scope)
                dk = f"_gfold(_v, {m.coll!r})" if m.coll not in (None, "BINARY") else "_v"
                fn.emit(f"{S(c.distinct_slot)}.add({dk})")
            if name == "count":
                fn.emit(f"{a} += 1")
            elif name == "sum":
                fn.emit(f"if type(_v) is int and ({a} is None or type({a}) is int):")
                fn.emit(f"    {a} = _v if {a} is None else {a} + _v")
                fn.emit("else:")
                fn.emit(f"    {a} = _sum_slow({a}, _v)")
            elif name == "total":
                fn.emit(f"{a} = _total_step({a}, _v)")
            elif name == "avg":
                fn.emit(f"{a} = _total_step({a}, _v) if type(_v) is not int or type({a}) is not int else {a} + _v")
                fn.emit(f"{S(i + 1)} += 1")
            elif name in ("min", "max"):
                m = self.meta(n.args[0], scope)
                coll = m.coll if m.coll not in (None, "BINARY") else None
                want = -1 if name == "min" else 1
                fn.emit(f"if _better(_v, {a}, {want}, {coll!r}):")
                fn.emit(f"    {a} = _v")
                if agg.minmax is c and agg.save_rows:
                    fn.emit(f"    {S(-1)} = ({', '.join(row_vars)},)")
            elif name in ("group_concat", "string_agg"):
                fn.emit(f"if {a} is None:")
                fn.emit(f"    {a} = [_to_text(_v)]")
                fn.emit("else:")
                if len(n.args) == 2:
                    sep = self.value(n.args[1], scope)
                    fn.emit(f"    _sep = {sep}")
                    fn.emit(f"    {a}.append('' if _sep is None else _to_text(_sep))")
                else:
                    fn.emit(f"    {a}.append(',')")
                fn.emit(f"    {a}.append(_to_text(_v))")

    def emit_json_agg_step(self, c: AggCall, scope: Scope, fn: Func, guard: list[str],
                           S: Callable[[int], str]) -> None:
        """json_group_array()/json_group_object(): NULLs count, arguments keep the JSON subtype."""
        n = c.node
        a = S(c.slot)
        args = [self.json_arg(x, scope) for x in n.args]
        if n.name == "json_group_array":
            part = f"{self.mod.const(J.item, '_fn_')}(_v)"
        else:
            part = f"{self.mod.const(J.member, '_fn_')}({args[0]}, _v)"
        fn.emit(f"_v = {args[-1]}")
        conds = list(guard)
        if c.distinct_slot is not None:
            m = self.meta(n.args[0], scope)
            dk = f"_gfold(_v, {m.coll!r})" if m.coll not in (None, "BINARY") else "_v"
            conds.append(f"{dk} not in {S(c.distinct_slot)}")
            fn.emit(f"if {' and '.join(conds)}:")
            fn.emit(f"    {S(c.distinct_slot)}.add({dk})")
        elif conds:
            fn.emit(f"if {' and '.join(conds)}:")
        else:
            fn.emit("if True:")
        fn.emit(f"    if {a} is None:")
        fn.emit(f"        {a} = []")
        fn.emit(f"    {a}.append({part})")

    def agg_final_code(self, c: AggCall) -> str:
        name = c.node.name
        i = c.slot
        if name == "sum":
            return f"_sum_final(_acc[{i}])"
        if name == "avg":
            return f"_avg_final(_acc[{i}], _acc[{i + 1}])"
        if name in ("group_concat", "string_agg"):
            return f"_concat_final(_acc[{i}])"
        if name in J.AGGREGATES:
            final = J.final_array if name == "json_group_array" else J.final_object
            return f"{self.mod.const(final, '_fn_')}(_acc[{i}])"
        if name == "total":
            return f"_total_final(_acc[{i}])"
        return f"_acc[{i}]"

    def emit_aggregate_output(self, agg: "_AggState", having: Optional[A.Expr], scope: Scope,
                              fn: Func, emit_result: Callable[[], None]) -> None:
        mapping = {id(c.node): self.agg_final_code(c) for c in agg.calls}
        if agg.group_by:
            fn.pre.append("_groups = {}")
            fn.emit("for _acc in _groups.values():")
        else:
            # One group, even over no rows: gather the locals into the usual list.
            S = self._slots(agg)
            n = agg.slots + (1 if agg.save_rows else 0)
            fn.emit(f"_acc = [{', '.join(S(i if i < agg.slots else -1) for i in range(n))}]")
            fn.emit("for _acc in (_acc,):")
        with fn.indent():
            # The same order the step saved them in (written order; RIGHT JOIN and
            # table-valued functions may plan the sources in another).
            row_vars = [v for s in scope.sources for v in (s.k, s.r)]
            if agg.save_rows:
                fn.emit("if _acc[-1] is None:")
                nulls = []
                for s in scope.sources:
                    nulls += ["None", self.mod.const((None,) * len(s.columns), "_null")]
                fn.emit(f"    {', '.join(row_vars)}, = ({', '.join(nulls)},)")
                fn.emit("else:")
                fn.emit(f"    {', '.join(row_vars)}, = _acc[-1]")
            scope.agg = mapping
            try:
                if having is not None:
                    fn.emit(f"if not ({self.cond(having, scope)}): continue")
                emit_result()
            finally:
                scope.agg = None

    # ---------------------------------------------------------------- windows

    def window_calls(self, exprs: list[A.Expr], order_terms: list, core: A.SelectCore,
                     group_by: list[A.Expr], join_conds: list) -> list[A.WindowCall]:
        """The window function calls of a SELECT core, checked; [] when there are none."""
        for clause in [core.where, core.having] + list(group_by) + [c for c, _ in join_conds]:
            w = contains_window(clause)
            if w is not None:
                raise self.err(f"misuse of window function {w.func.name}()", w.func.pos)
        calls: list[A.WindowCall] = []
        seen: set[int] = set()
        roots = list(exprs) + [t.expr for t, _ in order_terms if t is not None]
        for root in roots:
            for node in walk(root):
                if isinstance(node, A.WindowCall) and id(node) not in seen:
                    seen.add(id(node))
                    calls.append(node)
        for wc in calls:
            f = wc.func
            name = f.name
            nargs = len(f.args)
            if name in WINDOW_ONLY:
                lo, hi = WINDOW_ONLY[name]
                if f.filter is not None:
                    raise self.err("FILTER clause may only be used with aggregate window functions", f.pos)
                ok = lo <= nargs <= hi and not f.star
            elif name in AGGREGATES:
                if name == "count":
                    ok = f.star or nargs == 1
                elif name == "group_concat":
                    ok = nargs in (1, 2)
                elif name == "string_agg":
                    ok = nargs == 2
                elif name in J.AGGREGATES:
                    ok = nargs == J.AGGREGATES[name] and not f.star
                else:
                    ok = nargs == 1 and not f.star
            elif name in self.udfs or name in F.SCALARS or name in ("coalesce", "ifnull", "iif"):
                raise self.err(f"{name}() may not be used as a window function", f.pos)
            else:
                raise self.err(f"no such function: {name}", f.pos)
            if not ok:
                raise self.err(f"wrong number of arguments to function {name}()", f.pos)
            if f.distinct:
                raise self.err("DISTINCT is not supported for window functions", f.pos)
            for a in f.args:
                inner = contains_window(a)
                if inner is not None:
                    raise self.err(f"misuse of window function {inner.func.name}()", inner.func.pos)
            frame = wc.window.frame
            if frame is not None:
                for b in (frame.start, frame.end):
                    if b.kind in ("PRECEDING", "FOLLOWING") and frame.unit == "RANGE" \
                            and len(wc.window.order) != 1:
                        raise self.err("RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY "
                                       "expression", wc.window.pos)
                    if b.offset is not None and any(
                            isinstance(x, (A.Column, A.Subquery, A.Exists, A.InSelect, A.WindowCall))
                            for x in walk(b.offset)):
                        which = "starting" if b is frame.start else "ending"
                        kind = "number" if frame.unit == "RANGE" else "integer"
                        raise self.err(f"frame {which} offset must be a non-negative {kind}", wc.window.pos)
        return calls

    def prepare_windows(self, calls: list[A.WindowCall], scope: Scope, sources: list[Source],
                        agg: Optional["_AggState"]) -> "_WindowState":
        """Lay out the buffered entry: context, then each window's keys and each call's inputs."""
        win = _WindowState(self.mod.fresh("_wbuf"))
        if agg is None:
            win.context = [v for s in sources for v in (s.k, s.r)]
        else:
            win.context = ([v for s in sources for v in (s.k, s.r)] if agg.save_rows else []) + ["_acc"]
            win.agg_map = {id(c.node): self.agg_final_code(c) for c in agg.calls}
        inputs = win.inputs

        def slot(e: A.Expr, fmt: str = "{}", cond: bool = False) -> int:
            # Compiled later, where the entry is buffered (aggregate values are in scope there).
            # Position 0 of an entry is the context; equal inputs share a position.
            for i, (e2, fmt2, cond2) in enumerate(inputs):
                if fmt2 == fmt and cond2 == cond and e2 == e:
                    return i + 1
            inputs.append((e, fmt, cond))
            return len(inputs)

        groups: list[tuple[A.WindowSpec, list[A.WindowCall]]] = []
        for wc in calls:
            for spec, members in groups:
                if spec == wc.window:
                    members.append(wc)
                    break
            else:
                groups.append((wc.window, [wc]))
        for spec, members in groups:
            part = []
            for p in spec.partition:
                coll = self.meta(p, scope).coll
                kf = self.sort_key_fn(coll if coll not in (None, "BINARY") else None, None, False)
                part.append(slot(p, kf + "({})"))
            order = []
            for t in spec.order:
                e = t.expr
                if isinstance(e, A.Collate):
                    coll = R.check_collation(e.collation)
                else:
                    coll = self.meta(e, scope).coll
                kf = self.sort_key_fn(coll if coll not in (None, "BINARY") else None, t.nulls_first, t.desc)
                order.append(slot(e, kf + "({})"))
            ws = W.WinSpec(tuple(part), tuple(order), tuple(t.desc for t in spec.order))
            frame = spec.frame
            if frame is not None:
                ws.unit, ws.start, ws.end, ws.exclude = frame.unit, frame.start.kind, frame.end.kind, frame.exclude
                for b, which in ((frame.start, "starting"), (frame.end, "ending")):
                    if b.offset is not None:
                        win.offsets.append((b.offset, frame.unit, which))
                        if which == "starting":
                            ws.start_off = len(win.offsets) - 1
                        else:
                            ws.end_off = len(win.offsets) - 1
                if frame.unit == "RANGE" and (ws.start_off >= 0 or ws.end_off >= 0):
                    e = spec.order[0].expr
                    if isinstance(e, A.Collate):
                        coll = R.check_collation(e.collation)
                        e = e.expr
                    else:
                        coll = self.meta(e, scope).coll
                    ws.raw = slot(e)
                    ws.raw_coll = coll if coll not in (None, "BINARY") else None
            for wc in members:
                f = wc.func
                args = tuple(slot(a) for a in f.args)
                filt = slot(f.filter, "(1 if {} else 0)", True) if f.filter is not None else -1
                coll = None
                if f.name in ("min", "max"):
                    m = self.meta(f.args[0], scope)
                    coll = m.coll if m.coll not in (None, "BINARY") else None
                out = len(win.calls)
                win.calls.append(wc)
                ws.calls.append(W.WinCall(f.name, args, filt, coll, out, f.star))
            win.specs.append(ws)
        return win

    def emit_window_entry(self, win: "_WindowState", scope: Scope, fn: Func) -> None:
        ctx = ", ".join(win.context) + ("," if len(win.context) == 1 else "")
        values = "".join(", " + fmt.format(self.cond(e, scope) if cond else self.value(e, scope))
                         for e, fmt, cond in win.inputs)
        fn.emit(f"{win.buf}.append((({ctx}){values},))")

    def emit_window_output(self, win: "_WindowState", exprs: list[A.Expr], scope: Scope, fn: Func,
                           sink: "_Sink", outer: Optional[Scope]) -> None:
        fn.pre.append(f"{win.buf} = []")
        const_scope = Scope([], None, self.sql)
        check = self.mod.const(W.frame_offset, "_win_offset")
        offsets = "[" + ", ".join(f"{check}({self.value(e, const_scope)}, {unit!r}, {which!r})"
                                  for e, unit, which in win.offsets) + "]"
        run = self.mod.const(W.run, "_win_run")
        specs = self.mod.const(win.specs, "_wspecs")
        fn.emit(f"_word, _wres = {run}({win.buf}, {specs}, {offsets}, {len(win.calls)})")
        mapping = dict(win.agg_map)
        for j, wc in enumerate(win.calls):
            fn.emit(f"_wr{j} = _wres[{j}]")
            mapping[id(wc)] = f"_wr{j}[_wi]"
        fn.emit("for _wi in _word:")
        with fn.indent():
            if win.context:
                fn.emit(f"{', '.join(win.context)}, = {win.buf}[_wi][0]")
            saved = scope.agg
            scope.agg = mapping
            try:
                sink.emit_row([self.value(e, scope) for e in exprs])
            finally:
                scope.agg = saved
        self.note_plan("USE WINDOW BUFFER (" + str(len(win.specs)) + " window" +
                       ("s" if len(win.specs) != 1 else "") + ")")

    # --------------------------------------------------------------- compound

    def compound(self, sel: A.Select, outer: Optional[Scope], fn: Func) -> Query:
        parts: list[tuple[str, Any]] = []
        body: Any = sel.body

        def flatten(b: Any) -> None:
            if isinstance(b, A.Compound):
                flatten(b.left)
                parts.append((b.op, b.right))
            else:
                parts.append(("", b))
        flatten(body)
        queries = []
        for op, b in parts:
            queries.append(self.query(A.Select(b), outer))
        width = len(queries[0].names)
        for q in queries[1:]:
            if len(q.names) != width:
                raise self.err("SELECTs to the left and right of UNION do not have the same "
                               "number of result columns")
        names = queries[0].names
        metas = queries[0].metas
        # A column's collation comes from the leftmost member that has one for it (a column
        # reference always does, BINARY by default), as SQLite's multiSelectCollSeq() finds it.
        compound_colls = [next((q.metas[i].coll for q in queries if q.metas[i].coll is not None), None)
                          for i in range(width)]
        # ORDER BY of a compound refers to result columns.
        keys: list[tuple[int, bool, Optional[bool], Optional[str]]] = []
        for t in sel.order_by:
            e = t.expr
            coll = None
            if isinstance(e, A.Collate):
                coll = R.check_collation(e.collation)
                e = e.expr
            idx = None
            k = _term_number(e)
            if k is not None:
                if not 1 <= k <= width:
                    raise self.err(f"{_ordinal(len(keys) + 1)} ORDER BY term out of range - should be "
                                   f"between 1 and {width}")
                idx = k - 1
            elif isinstance(e, A.Column):
                # A result column name of any member of the compound.
                for q in queries:
                    for i, nme in enumerate(q.names):
                        if nme.lower() == e.name.lower():
                            idx = i
                            break
                    if idx is not None:
                        break
            if idx is None:
                first = parts[0][1]
                if isinstance(first, A.SelectCore):
                    for i, rc in enumerate(first.columns):
                        if rc.expr == e:
                            idx = i
            if idx is None:
                raise self.err("1st ORDER BY term does not match any column in the result set")
            if coll is None:
                coll = compound_colls[idx] if compound_colls[idx] != "BINARY" else None
            keys.append((idx, t.desc, t.nulls_first, coll))
        all_rows = self.mod.fresh("_rows")
        fn.emit(f"{all_rows} = []")
        # Rows are the same when equal under the result columns' collations.
        colls = tuple(c if c != "BINARY" else None for c in compound_colls)
        kf = self.mod.const((lambda r, c=colls: tuple(_fold_value(v, x) for v, x in zip(r, c)))
                            if any(colls) else (lambda r: r), "_rowkey")
        for (op, _), q in zip(parts, queries):
            if op == "" or op == "UNION ALL":
                fn.emit(f"{all_rows}.extend({q.fn}())")
            elif op == "UNION":
                fn.emit(f"{all_rows} = list({{{kf}(r): r for r in reversed(list(_chain({all_rows}, {q.fn}())))}}.values())[::-1]")
            elif op == "INTERSECT":
                fn.emit(f"_rs = set(map({kf}, {q.fn}()))")
                fn.emit(f"{all_rows} = [r for r in {{{kf}(r): r for r in reversed({all_rows})}}.values() if {kf}(r) in _rs][::-1]")
            elif op == "EXCEPT":
                fn.emit(f"_rs = set(map({kf}, {q.fn}()))")
                fn.emit(f"{all_rows} = [r for r in {{{kf}(r): r for r in reversed({all_rows})}}.values() if {kf}(r) not in _rs][::-1]")
        distinct_ops = any(op in ("UNION", "INTERSECT", "EXCEPT") for op, _ in parts)
        if distinct_ops and not keys:
            # SQLite returns the rows of a distinct compound in sorted order.
            fn.emit(f"{all_rows}.sort(key=_row_sk)")
        if keys:
            for idx, desc, nulls_first, coll in reversed(keys):
                kf = self.sort_key_fn(coll, nulls_first, desc)
                fn.emit(f"{all_rows}.sort(key=lambda _r: {kf}(_r[{idx}]), reverse={desc})")
        const_scope = Scope([], outer, self.sql)
        if sel.limit is not None:
            lim = self.value(sel.limit, const_scope)
            off = self.value(sel.offset, const_scope) if sel.offset is not None else "0"
            fn.emit(f"_lim = _limit({lim})")
            fn.emit(f"_off = max(0, _limit({off}, 'OFFSET'))")
            fn.emit(f"yield from (_islice({all_rows}, _off, None) if _lim < 0 else _islice({all_rows}, _off, _off + _lim))")
        else:
            fn.emit(f"yield from {all_rows}")
        self.note_plan("COMPOUND QUERY (" + ", ".join(op or "LEFT-MOST SUBQUERY" for op, _ in parts) + ")")
        correlated = any(q.correlated for q in queries)
        return Query("", names, metas, correlated)

    def sort_key_fn(self, coll: Optional[str], nulls_first: Optional[bool], desc: bool) -> str:
        """Name of a key function ordering values like SQLite, NULLs where asked."""
        # NULLs sort first in ASC and last in DESC unless told otherwise; flipping
        # that means NULL must compare greatest.
        null_high = nulls_first is not None and nulls_first != (not desc)
        if coll is None:
            return "_sk_nl" if null_high else "_sk"
        return self.mod.const(lambda v, c=coll, h=null_high: _sk_coll_wrap(v, c, h), "_skc")


def _fold_value(v: Any, coll: Optional[str]) -> Any:
    from .helpers import group_fold
    return group_fold(v, coll) if coll else v


def _sk_coll_wrap(v: Any, coll: str, null_high: bool) -> tuple:
    from .helpers import sort_key_coll
    if v is None and null_high:
        return (4, 0)
    return sort_key_coll(v, coll)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _term_number(e: A.Expr) -> Optional[int]:
    """K when an ORDER BY/GROUP BY term names result column K (an integer, even -K)."""
    if isinstance(e, A.Literal) and type(e.value) is int and not e.wide and e.value != -9223372036854775808:
        return e.value
    if isinstance(e, A.Unary) and e.op == "-" and isinstance(e.operand, A.Literal) \
            and type(e.operand.value) is int and not e.operand.wide:
        return -e.operand.value
    return None


@dataclass(eq=False)
class _AggState:
    calls: list[AggCall]
    slots: int
    group_by: list[A.Expr]
    save_rows: bool
    minmax: Optional[AggCall]
    init_code: str = "[]"


@dataclass(eq=False)
class _WindowState:
    buf: str
    context: list[str] = field(default_factory=list)   # variables saved with each row
    inputs: list[tuple[A.Expr, str, bool]] = field(default_factory=list)   # buffered inputs
    calls: list[A.WindowCall] = field(default_factory=list)
    specs: list[W.WinSpec] = field(default_factory=list)
    offsets: list[tuple[A.Expr, str, str]] = field(default_factory=list)
    agg_map: dict[int, str] = field(default_factory=dict)


class _Sink:
    """Where a finished result row goes: DISTINCT, ORDER BY buffer, LIMIT, yield."""

    def __init__(self, comp: SelectCompiler, fn: Func, scope: Scope, distinct: bool,
                 order_terms: list[tuple[Optional[A.OrderingTerm], Optional[int]]],
                 lim: Optional[str], off: Optional[str], metas: list[Meta]):
        self.comp = comp
        self.fn = fn
        self.scope = scope
        self.distinct = distinct
        self.order_terms = order_terms
        self.lim = lim
        self.off = off
        self.metas = metas

    def prepare(self) -> None:
        fn = self.fn
        if self.distinct:
            fn.pre.append("_seen = set()")
        if self.order_terms:
            fn.pre.append("_buf = []")
        elif self.lim is not None and self.lim != "1":
            fn.pre.append("_cnt = 0")

    def emit_row(self, values: list[str]) -> None:
        fn = self.fn
        row = "(" + ", ".join(values) + ("," if len(values) == 1 else "") + ")"
        opened = 0
        if self.distinct:
            fn.emit(f"_row = {row}")
            colls = [m.coll if m.coll not in (None, "BINARY") else None for m in self.metas]
            key = "_row"
            if any(colls):
                # Two rows are the same under the columns' collations ('a' = 'A' in NOCASE).
                key = "(" + ", ".join(f"_gfold(_row[{i}], {c!r})" if c else f"_row[{i}]"
                                      for i, c in enumerate(colls)) + ",)"
            fn.emit(f"_dk = {key}")
            fn.emit("if _dk not in _seen:")
            fn.level += 1
            opened += 1
            fn.emit("_seen.add(_dk)")
            row = "_row"
        if self.order_terms:
            keys = []
            for term, idx in self.order_terms:
                assert term is not None
                e = term.expr
                coll = None
                if isinstance(e, A.Collate):
                    coll = R.check_collation(e.collation)
                else:
                    m = self.comp.meta(e, self.scope)
                    coll = m.coll if m.coll not in (None, "BINARY") else None
                if idx is not None and not isinstance(e, A.Collate):
                    v = f"{row}[{idx}]" if row == "_row" else values[idx]
                else:
                    v = self.comp.value(e, self.scope)
                kf = self.comp.sort_key_fn(coll, term.nulls_first, term.desc)
                keys.append(f"{kf}({v})")
            fn.emit(f"_buf.append(({row}, {', '.join(keys)}))")
        elif self.lim is not None:
            if self.off is not None:
                fn.emit(f"if {self.off} > 0:")
                fn.emit(f"    {self.off} -= 1")
                fn.emit("else:")
                fn.level += 1
                opened += 1
            fn.emit(f"yield {row}")
            if self.lim == "1":
                fn.emit("return")
            else:
                fn.emit("_cnt += 1")
                fn.emit(f"if _cnt == {self.lim}: return")
        else:
            fn.emit(f"yield {row}")
        fn.level -= opened

    def finish(self) -> None:
        if not self.order_terms:
            return
        fn = self.fn
        dirs = [t.desc for t, _ in self.order_terms if t is not None]
        fn.emit(f"_sort_rows(_buf, {dirs!r})")
        if self.lim is not None:
            off = self.off or "0"
            if self.lim == "1":
                fn.emit("if _buf: yield _buf[0][0]")
            else:
                fn.emit(f"_end = None if {self.lim} < 0 else {off} + {self.lim}")
                fn.emit(f"for _e in _islice(_buf, {off}, _end):")
                fn.emit("    yield _e[0]")
        else:
            fn.emit("for _e in _buf:")
            fn.emit("    yield _e[0]")
