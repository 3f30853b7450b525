"""Compiling whole statements: SELECT, INSERT, UPDATE, DELETE and triggers.

:func:`prepare` turns a parsed statement into a :class:`Prepared`, whose
``run(ctx, params)`` executes it.  Prepared statements are cached by SQL text
and catalog version by the connection, so compiling happens once per
statement text.  DDL and transaction control are not compiled; the connection
executes them directly (see ``ddl.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

from ..catalog.schema import Catalog, TableInfo, TriggerInfo
from ..errors import NotSupportedError, ProgrammingError, SQLError
from ..plan.access import Conjunct, expr_deps, order_sources, split_and
from ..plan.scope import Scope, Source
from ..sql import ast as A
from .codegen import Func
from .compiler import Meta, contains_aggregate
from .select import Query, SelectCompiler

READ, WRITE, DDL, TX, OTHER = "read", "write", "ddl", "tx", "other"


@dataclass(eq=False)
class Prepared:
    """A compiled statement, reusable across executions."""

    kind: str                                  # READ, WRITE, DDL, TX, OTHER
    statement: Any                             # the AST
    sql: str
    param_count: int
    param_names: list[Optional[str]]
    names: list[str] = field(default_factory=list)
    run: Optional[Callable[..., Any]] = None   # run(ctx, params) -> iterator of rows
    run_many: Optional[Callable[..., Any]] = None   # run_many(ctx, seq, bind) -> rows changed
    source: str = ""
    plan: list[tuple[int, int, str]] = field(default_factory=list)
    catalog_version: int = 0
    catalog: Optional[Catalog] = None
    returns_rows: bool = False
    table: Optional[str] = None                # target table of DML
    needs_mark: bool = True
    deterministic: bool = True
    stats: dict = field(default_factory=dict)   # table tree -> size class the plan assumed
    description: Optional[tuple] = None
    simple_params: bool = True                   # only positional '?' placeholders
    is_insert: bool = False
    stats_stamp: Any = None                      # data version when stats were last checked


class StatementCompiler(SelectCompiler):
    """Compiles one statement into a module with a single entry function."""

    def __init__(self, catalog: Catalog, sql: str, udfs: Optional[dict[str, Any]] = None,
                 estimates: Optional[Callable[[TableInfo], float]] = None):
        super().__init__(catalog, sql, udfs)
        if estimates is not None:
            self.estimates = estimates
        self.top = Func("_stmt", "_ctx, _p")
        self.fn = self.top
        self.many: Optional[Func] = None
        self.run_many: Optional[Callable[..., Any]] = None
        self.param_count = 0

    def finish(self) -> tuple[Callable[..., Any], str]:
        if self.uses_memo:
            self.top.pre.insert(0, "_memo = {}")
        if self.many is not None:
            fn, source = self.mod.compile(self.top, "<terndb>", self.many)
            self.run_many = self.mod.env["_many"]
        else:
            fn, source = self.mod.compile(self.top)
        return fn, source

    # ----------------------------------------------------------------- SELECT

    def compile_select(self, sel: A.Select, outer: Optional[Scope] = None) -> Query:
        """The statement function itself becomes the query's generator."""
        return self.query(sel, outer, into=self.top)

    # ---------------------------------------------------------------- helpers

    def table_for_write(self, name: str, pos: int) -> TableInfo:
        key = name.lower()
        t = self.catalog.tables.get(key)
        if t is None:
            if key in self.catalog.views:
                raise self.err(f"cannot modify {name} because it is a view", pos)
            if key.startswith("sqlite_"):
                raise self.err(f"table {name} may not be modified", pos)
            raise self.err(f"no such table: {name}", pos)
        return t

    def table_source(self, t: TableInfo, alias: Optional[str] = None) -> Source:
        n = self.new_source_id()
        return Source(n, alias or t.name, [c.name for c in t.columns], [c.affinity for c in t.columns],
                      [c.collation for c in t.columns], table=t)

    def pseudo_source(self, t: TableInfo, name: str) -> Source:
        n = self.new_source_id()
        s = Source(n, name, [c.name for c in t.columns], [c.affinity for c in t.columns],
                   [c.collation for c in t.columns], table=t, pseudo=name)
        return s

    def emit_targets(self, scope: Scope, src: Source, where: Optional[A.Expr], fn: Func,
                     order_by: Optional[list[A.OrderingTerm]] = None, limit: Optional[A.Expr] = None,
                     offset: Optional[A.Expr] = None) -> None:
        """Emit loops yielding (rowid, row) of ``src`` rows matching ``where`` into ``fn``
        (in ORDER BY order and cut by LIMIT/OFFSET when given, as UPDATE/DELETE allow)."""
        if where is not None and contains_aggregate(where):
            raise self.err("misuse of aggregate function in WHERE clause")
        conjuncts = [Conjunct(c, expr_deps(c, scope, self)) for c in split_and(where)]
        plan = order_sources([src], set(), conjuncts, scope, self, frozenset())
        for acc in plan:
            self.note_plan(acc.describe())
        pre = [self.cond(c.expr, scope) for c in conjuncts if src.n not in c.deps]
        own = [self.cond(c.expr, scope) for c in conjuncts if src.n in c.deps]
        if pre:
            fn.emit(f"if not ({' and '.join(pre)}): return")
        fn.setup("_T = _ctx.trees")
        fn.setup("_R = _ctx.roots")
        ordered = bool(order_by) or limit is not None
        if ordered:
            const = Scope([], scope.parent, self.sql)
            fn.emit(f"_lim = _limit({self.value(limit, const)})" if limit is not None else "_lim = -1")
            fn.emit(f"_off = max(0, _limit({self.value(offset, const)}, 'OFFSET'))" if offset is not None
                    else "_off = 0")
            fn.emit("_buf = []")
        fn.emit(f"for {src.k}, {src.r} in {self.access_iter(plan[0], scope)}:")
        with fn.indent():
            if own:
                fn.emit(f"if not ({' and '.join(own)}): continue")
            if not ordered:
                fn.emit(f"yield {src.k}, {src.r}")
            else:
                keys = []
                for term in order_by or []:
                    m = self.meta(term.expr, scope)
                    coll = m.coll if m.coll not in (None, "BINARY") else None
                    kf = self.sort_key_fn(coll, term.nulls_first, term.desc)
                    keys.append(f"{kf}({self.value(term.expr, scope)})")
                fn.emit(f"_buf.append((({src.k}, {src.r}),{' ' + ', '.join(keys) if keys else ''}))")
        if ordered:
            dirs = [t.desc for t in order_by or []]
            if dirs:
                fn.emit(f"_sort_rows(_buf, {dirs!r})")
            fn.emit("for _e in _islice(_buf, _off, None if _lim < 0 else _off + _lim):")
            fn.emit("    yield _e[0]")

    def returning(self, cols: Optional[list[A.ResultColumn]], scope: Scope) -> tuple[Optional[str], list[str]]:
        if not cols:
            return None, []
        exprs = self.expand_columns(cols, scope)
        for e, _ in exprs:
            if contains_aggregate(e):
                raise self.err("aggregate functions are not allowed in RETURNING")
        code = "(" + ", ".join(self.value(e, scope) for e, _ in exprs) + ",)"
        return code, [n for _, n in exprs]

    # ----------------------------------------------------------------- INSERT

    def compile_insert(self, st: A.Insert, outer: Optional[Scope] = None) -> tuple[list[str], bool]:
        if st.with_ is not None:
            defs = {c.name.lower(): _cte_def(c, outer, st.with_.recursive) for c in st.with_.ctes}
            self.ctes.append(defs)
        t = self.table_for_write(st.table, st.pos)
        ncols = len(t.columns)
        rowid_at: Optional[int] = None     # source position of an explicit rowid
        if st.columns is not None:
            positions = []
            for j, c in enumerate(st.columns):
                p = t.column_position(c)
                if p is None:
                    if c.lower() in ("rowid", "oid", "_rowid_"):
                        if t.ipk is not None:
                            p = t.ipk
                        else:
                            rowid_at = j
                            p = -1
                    else:
                        raise self.err(f"table {t.name} has no column named {c}", st.pos)
                positions.append(p)
        else:
            positions = list(range(ncols))
        top = self.top
        empty_scope = Scope([], outer, self.sql)
        # Source rows.
        if st.source is None:
            rows_code = "((),)"
            nvals = 0
            positions = []
        else:
            src_sel = st.source
            if isinstance(src_sel.body, A.Values) and not src_sel.order_by and src_sel.limit is None \
                    and src_sel.with_ is None:
                rows = src_sel.body.rows
                nvals = len(rows[0])
                gen = top.nested(self.mod.fresh("_vals"))
                saved = self.fn
                self.fn = gen
                for r in rows:
                    for e in r:
                        if contains_aggregate(e):
                            raise self.err("misuse of aggregate function in VALUES")
                    gen.emit("yield (" + ", ".join(self.value(e, empty_scope) for e in r) + ",)")
                self.fn = saved
                rows_code = f"{gen.name}()"
                if len(rows) == 1:
                    rows_code = "(" + "(" + ", ".join(self.value(e, empty_scope) for e in rows[0]) + ",),)"
            else:
                q = self.query(src_sel, outer)
                nvals = len(q.names)
                rows_code = f"list({q.fn}())"
        if st.source is not None and nvals != len(positions):
            if st.columns is None:
                raise self.err(f"table {t.name} has {ncols} columns but {nvals} values were supplied", st.pos)
            raise self.err(f"{nvals} values for {len(positions)} columns", st.pos)
        # Row template: supplied values, then defaults.
        defaults = [self.default_code(t, i) for i in range(ncols)]
        slots = list(defaults)
        for j, p in enumerate(positions):
            if p >= 0:
                slots[p] = f"_v[{j}]"
        rowid_arg = f", rowid=_v[{rowid_at}]" if rowid_at is not None else ""
        upsert = self.compile_upserts(st, t, outer) if st.upserts else "None"
        tname = self.mod.const(t, "_tbl")
        single = (st.source is not None and isinstance(st.source.body, A.Values)
                  and len(st.source.body.rows) == 1 and not st.source.order_by
                  and st.source.limit is None and st.source.with_ is None and not st.returning
                  and not st.upserts and st.conflict in ("", "ABORT") and outer is None
                  and not t.indexes_unique_with_own_conflict() and rowid_at is None)
        if single:
            self.compile_single_insert(t, tname, slots, rows_code)
            if st.with_ is not None:
                self.ctes.pop()
            # Nothing to undo unless triggers may have written before a failure.
            return [], bool(self.catalog.triggers_for(t.name, "INSERT", "AFTER")
                            or self.catalog.triggers_for(t.name, "INSERT", "BEFORE"))
        top.emit(f"_w = _ctx.writer({tname})")
        ret_code: Optional[str] = None
        ret_names: list[str] = []
        if st.returning:
            rs = self.table_source(t)
            rscope = Scope([rs], outer, self.sql)
            self.emit_returning_hook(st.returning, rscope, rs)
            ret_code, ret_names = "_out", []
            ret_names = self._returning_names
        top.emit(f"for _v in {rows_code}:")
        with top.indent():
            top.emit(f"_row = [{', '.join(slots)}]")
            top.emit(f"_rid = _w.insert(_row, {st.conflict!r}, {upsert}{rowid_arg})")
        top.emit("_w.on_row = None")
        top.emit("_ctx.finish_writer(_w)")
        if ret_code is not None:
            top.emit("return iter(_out)")
        else:
            top.emit("return iter(())")
        if st.with_ is not None:
            self.ctes.pop()
        return ret_names, True

    def emit_returning_hook(self, cols: list[A.ResultColumn], scope: Scope, src: Source) -> None:
        """RETURNING values are taken as each row is written, before AFTER triggers run."""
        fn = self.top.nested(self.mod.fresh("_ret"), f"{src.k}, {src.r}")
        saved = self.fn
        self.fn = fn
        try:
            code, names = self.returning(cols, scope)
            fn.emit(f"_out.append({code})")
        finally:
            self.fn = saved
        self._returning_names = names
        self.top.setup("_out = []")
        self.top.emit(f"_w.on_row = {fn.name}")

    def compile_single_insert(self, t: TableInfo, tname: str, slots: list[str], rows_code: str) -> None:
        """INSERT ... VALUES (one row): a direct call, plus a loop for executemany()."""
        top = self.top
        # rows_code is "((v0, v1, ...),)"; bind the one row's values as _v.
        top.emit(f"_v = {rows_code}[0]")
        top.emit(f"_w = _ctx.writer({tname})")
        top.emit(f"_r = _w.put([{', '.join(slots)}])")
        top.emit("if _ctx.top_level:")
        top.emit("    _w.count += 1")
        top.emit("    _ctx.conn._lastrowid = _w.last_rowid = _r")
        top.emit("_ctx.conn._total_changes += 1")
        top.emit("_ctx.finish_writer(_w)")
        top.emit("return iter(())")
        many = Func("_many", "_ctx, _seq, _bind")
        self.many = many
        n = self.param_count
        many.emit(f"_w = _ctx.writer({tname})")
        many.emit("_put = _w.put")
        many.emit("_n = 0")
        many.emit("try:")
        with many.indent():
            many.emit("for _p in _seq:")
            with many.indent():
                checks = " and ".join(
                    f"((_t := type(_q := _p[{i}])) is str or _q is None or _t is float and _q == _q "
                    f"or _t is int and -9223372036854775808 <= _q <= 9223372036854775807 or _t is bytes)"
                    for i in range(n)) or "True"
                many.emit(f"if type(_p) is not tuple or len(_p) != {n} or not ({checks}):")
                many.emit("    _p = _bind(_p)")
                many.emit(f"_v = {rows_code}[0]")
                many.emit(f"_ctx.conn._lastrowid = _w.last_rowid = _put([{', '.join(slots)}])")
                many.emit("_n += 1")
        many.emit("finally:")
        many.emit("    _w.count += _n")
        many.emit("    _ctx.conn._total_changes += _n")
        many.emit("    _ctx.finish_writer(_w)")
        many.emit("return _n")

    def default_code(self, t: TableInfo, i: int) -> str:
        c = t.columns[i]
        if c.default is None or i == t.ipk:   # SQLite ignores a DEFAULT on the rowid alias
            return "None"
        return self.value(c.default, Scope([], None, self.sql))

    def compile_upserts(self, st: A.Insert, t: TableInfo, outer: Optional[Scope]) -> str:
        """An UpsertSet expression for the INSERT's ON CONFLICT clauses, in order."""
        parts = []
        for n, u in enumerate(st.upserts):
            target = None
            if u.target is not None:
                target = []
                for ic in u.target:
                    if not isinstance(ic.expr, A.Column):
                        raise self.err("ON CONFLICT target must name columns")
                    p = t.column_position(ic.expr.name)
                    if p is None:
                        raise self.err(f"no such column: {ic.expr.name}")
                    target.append(p)
                ok = (t.ipk is not None and target == [t.ipk]) or any(
                    ix.unique and sorted(ix.columns) == sorted(target) for ix in t.indexes)
                if not ok:
                    raise self.err("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint")
            elif n != len(st.upserts) - 1:
                raise self.err("only the last ON CONFLICT clause may omit the conflict target")
            action = "None"
            if u.sets is not None:
                fn = self.top.nested(self.mod.fresh("_ups"), "_old, _exc, _rid")
                src = self.table_source(t, st.alias or t.name)
                exc = self.pseudo_source(t, "excluded")
                exc.hidden = set(range(len(t.columns)))   # bare names mean the target table
                scope = Scope([src, exc], outer, self.sql)
                saved = self.fn
                self.fn = fn
                try:
                    fn.emit(f"{src.k} = _rid; {src.r} = _old; {exc.k} = None; {exc.r} = _exc")
                    if u.where is not None:
                        fn.emit(f"if not ({self.cond(u.where, scope)}): return None")
                    fn.emit(f"_new = list({src.r})")
                    changed, _ = self.emit_sets(u.sets, t, scope, fn, "_new")
                    fn.emit(f"return _new, {tuple(changed)!r}")
                finally:
                    self.fn = saved
                action = fn.name
            parts.append(f"_ctx.upsert({target!r}, {action}, {self.mod.const(t, '_tbl')})")
        return f"_UpsertSet([{', '.join(parts)}])"

    def emit_sets(self, sets: list[tuple[list[str], A.Expr]], t: TableInfo, scope: Scope, fn: Func,
                  target: str) -> tuple[list[int], str]:
        changed: list[int] = []
        assigns = []
        rowid_expr: Optional[A.Expr] = None
        pairs: list[tuple[str, A.Expr]] = []
        for cols, e in sets:
            if len(cols) == 1:
                pairs.append((cols[0], e))
            elif isinstance(e, A.RowValue) and len(e.items) == len(cols):
                pairs.extend(zip(cols, e.items))
            elif isinstance(e, A.RowValue):
                raise self.err(f"{len(cols)} columns assigned {len(e.items)} values")
            else:
                raise NotSupportedError("(a, b) = (SELECT ...) assignments are not supported; "
                                        "assign each column its own subquery")
        for name, e in pairs:
            p = t.column_position(name)
            if p is None:
                if name.lower() in ("rowid", "oid", "_rowid_"):
                    if t.ipk is None:
                        rowid_expr = e          # the table's hidden rowid
                        continue
                    p = t.ipk
                else:
                    raise self.err(f"no such column: {name}")
            if contains_aggregate(e):
                raise self.err("misuse of aggregate function in SET")
            assigns.append((p, self.value(e, scope)))
            if p not in changed:
                changed.append(p)
        # Evaluate every right-hand side against the old row, then assign.
        temps = []
        for p, code in assigns:
            tmp = self.mod.fresh("_set")
            fn.emit(f"{tmp} = {code}")
            temps.append((p, tmp))
        rowid_code = ""
        if rowid_expr is not None:
            rowid_code = self.mod.fresh("_set")
            fn.emit(f"{rowid_code} = {self.value(rowid_expr, scope)}")
        for p, tmp in temps:
            fn.emit(f"{target}[{p}] = {tmp}")
        return sorted(changed), (f"set_rowid={rowid_code}" if rowid_code else "")

    # ----------------------------------------------------------------- UPDATE

    def compile_update(self, st: A.Update, outer: Optional[Scope] = None) -> list[str]:
        if st.with_ is not None:
            defs = {c.name.lower(): _cte_def(c, outer, st.with_.recursive) for c in st.with_.ctes}
            self.ctes.append(defs)
        t = self.table_for_write(st.table, st.pos)
        src = self.table_source(t, st.alias)
        scope = Scope([src], outer, self.sql)
        top = self.top
        sets = st.sets
        if st.from_ is not None:
            rows_fn, sets, scope = self.update_from_rows(st, t, src, outer)
        else:
            targets = self.targets_fn(scope, src, st)
        tname = self.mod.const(t, "_tbl")
        top.emit(f"_w = _ctx.writer({tname})")
        ret_code: Optional[str] = None
        ret_names: list[str] = []
        if st.returning:
            rs = self.table_source(t, st.alias)
            self.emit_returning_hook(st.returning, Scope([rs], outer, self.sql), rs)
            ret_code, ret_names = "_out", self._returning_names
        if st.from_ is not None:
            # One update per target row; the last joined row that matched it decides (as in
            # SQLite, whose documentation calls the choice arbitrary).
            vals = scope.sources[1]
            top.emit(f"_joined = {{_jr[0]: _jr for _jr in {rows_fn}()}}")
            top.emit(f"for {src.k}, {vals.r} in _joined.items():")
        else:
            top.emit(f"for {src.k}, {src.r} in list({targets.name}()):")
        with top.indent():
            top.emit(f"{src.r} = _w.get({src.k})")
            top.emit(f"if {src.r} is None: continue")
            top.emit(f"_new = list({src.r})")
            changed, rowid_code = self.emit_sets(sets, t, scope, top, "_new")
            top.emit(f"_nid = _w.update({src.k}, {src.r}, _new, {tuple(changed)!r}, {st.conflict!r}"
                     f"{', ' + rowid_code if rowid_code else ''})")
        top.emit("_w.on_row = None")
        top.emit("_ctx.finish_writer(_w)")
        top.emit("return iter(_out)" if ret_code is not None else "return iter(())")
        if st.with_ is not None:
            self.ctes.pop()
        return ret_names

    def targets_fn(self, scope: Scope, src: Source, st: Any) -> Func:
        """A nested function yielding the (key, row) pairs an UPDATE or DELETE changes."""
        targets = self.top.nested(self.mod.fresh("_targets"))
        saved = self.fn
        self.fn = targets
        self._depth += 1
        try:
            self.emit_targets(scope, src, st.where, targets, st.order_by, st.limit, st.offset)
        finally:
            self.fn = saved
            self._depth -= 1
        return targets

    def update_from_rows(self, st: A.Update, t: TableInfo, src: Source, outer: Optional[Scope]
                         ) -> tuple[str, list[tuple[list[str], A.Expr]], Scope]:
        """UPDATE ... FROM: the target joined with the FROM tables, computed before any row changes.

        Returns the generated function yielding (target rowid, new value, ...) per joined row,
        the SET list rewritten to read those values, and the scope it reads them in.
        """
        if t.without_rowid:
            raise NotSupportedError("UPDATE ... FROM on a WITHOUT ROWID table is not supported")
        if st.order_by or st.limit is not None:
            raise NotSupportedError("UPDATE ... FROM with ORDER BY or LIMIT is not supported")
        pairs: list[tuple[str, A.Expr]] = []
        for cols, e in st.sets:
            if len(cols) == 1:
                pairs.append((cols[0], e))
            elif isinstance(e, A.RowValue) and len(e.items) == len(cols):
                pairs.extend(zip(cols, e.items))
            else:
                raise self.err(f"{len(cols)} columns assigned "
                               f"{len(e.items) if isinstance(e, A.RowValue) else 1} values")
        assert st.from_ is not None
        alias = st.alias or t.name
        body = A.SelectCore([A.ResultColumn(A.Column("rowid", alias))] + [A.ResultColumn(e) for _, e in pairs],
                            A.Join(A.TableRef(t.name, st.alias, None, st.pos), st.from_), st.where)
        q = self.query(A.Select(body), outer)
        names = [f"v{i}" for i in range(len(pairs) + 1)]
        vals = Source(self.new_source_id(), "update from", names, [None] * len(names), [None] * len(names))
        sets: list[tuple[list[str], A.Expr]] = [
            ([name], A.Column(f"v{i + 1}", vals.alias)) for i, (name, _) in enumerate(pairs)]
        return q.fn, sets, Scope([src, vals], outer, self.sql)

    # ----------------------------------------------------------------- DELETE

    def compile_delete(self, st: A.Delete, outer: Optional[Scope] = None) -> list[str]:
        if st.with_ is not None:
            defs = {c.name.lower(): _cte_def(c, outer, st.with_.recursive) for c in st.with_.ctes}
            self.ctes.append(defs)
        t = self.table_for_write(st.table, st.pos)
        src = self.table_source(t, st.alias)
        scope = Scope([src], outer, self.sql)
        top = self.top
        tname = self.mod.const(t, "_tbl")
        top.emit(f"_w = _ctx.writer({tname})")
        ret_code: Optional[str] = None
        ret_names: list[str] = []
        if st.returning:
            ret_code, ret_names = self.returning(st.returning, scope)
            top.emit("_out = []")
        if st.where is None and ret_code is None and not st.order_by and st.limit is None:
            self.note_plan(f"TRUNCATE {t.name}")
            top.emit("if _w.triggers or _w.record:")
            top.emit("    _todo = list(_scan(_ctx.trees, _ctx.roots.get(_w.tree, 0)))")
            top.emit("    for _k, _r in _todo: _w.delete(_k, _r)")
            top.emit("else:")
            top.emit("    _ctx.truncate(_w)")
        else:
            targets = self.targets_fn(scope, src, st)
            top.emit(f"for {src.k}, {src.r} in list({targets.name}()):")
            with top.indent():
                if ret_code is not None:
                    top.emit(f"{src.r} = _w.get({src.k})")
                    top.emit(f"if {src.r} is None: continue")
                    top.emit(f"_ret = {ret_code}")
                    top.emit(f"if _w.delete({src.k}): _out.append(_ret)")
                else:
                    top.emit(f"_w.delete({src.k})")
        top.emit("_ctx.finish_writer(_w)")
        top.emit("return iter(_out)" if ret_code is not None else "return iter(())")
        if st.with_ is not None:
            self.ctes.pop()
        return ret_names

    # ---------------------------------------------------------------- helpers

    def compile_expr_fn(self, e: A.Expr, scope: Scope, params: str) -> None:
        self.top.params = params
        self.top.emit(f"return {self.value(e, scope)}")


def _cte_def(c: A.CTE, outer: Optional[Scope], recursive: bool) -> Any:
    from .select import CTEDef
    return CTEDef(c.name, c.columns, c.select, outer, recursive)


# ------------------------------------------------------------------ entry point


def prepare(parsed: A.Parsed, catalog: Catalog, udfs: Optional[dict[str, Any]] = None,
            estimates: Optional[Callable[[TableInfo], float]] = None) -> Prepared:
    """Compile one parsed statement against ``catalog``."""
    st = parsed.statement
    p = Prepared(OTHER, st, parsed.sql, parsed.param_count, parsed.param_names,
                 catalog_version=catalog.version, catalog=catalog)
    if isinstance(st, A.Explain):
        inner = prepare(A.Parsed(st.statement, parsed.sql, parsed.param_count, parsed.param_names),
                        catalog, udfs, estimates)
        p.kind = READ
        p.returns_rows = True
        if st.query_plan:
            p.names = ["id", "parent", "notused", "detail"]
            rows = [(nid, parent, 0, text) for nid, parent, text in inner.plan]
            p.run = lambda ctx, params, rows=rows: iter(rows)
        else:
            p.names = ["addr", "opcode", "detail"]
            rows2: list[tuple] = [(i, "PLAN", text) for i, (_, _, text) in enumerate(inner.plan)]
            base = len(rows2)
            for j, line in enumerate(inner.source.splitlines()):
                rows2.append((base + j, "PY", line))
            p.run = lambda ctx, params, rows=rows2: iter(rows)
        p.description = tuple((n, None, None, None, None, None, None) for n in p.names)
        return p
    if isinstance(st, A.Select):
        comp = StatementCompiler(catalog, parsed.sql, udfs, estimates)
        q = comp.compile_select(st)
        p.kind = READ
        p.names = q.names
        p.returns_rows = True
    elif isinstance(st, A.Insert):
        comp = StatementCompiler(catalog, parsed.sql, udfs, estimates)
        comp.param_count = parsed.param_count
        p.names, p.needs_mark = comp.compile_insert(st)
        p.kind = WRITE
        p.returns_rows = bool(p.names)
        p.table = st.table
    elif isinstance(st, A.Update):
        comp = StatementCompiler(catalog, parsed.sql, udfs, estimates)
        p.names = comp.compile_update(st)
        p.kind = WRITE
        p.returns_rows = bool(p.names)
        p.table = st.table
    elif isinstance(st, A.Delete):
        comp = StatementCompiler(catalog, parsed.sql, udfs, estimates)
        p.names = comp.compile_delete(st)
        p.kind = WRITE
        p.returns_rows = bool(p.names)
        p.table = st.table
    elif isinstance(st, (A.Begin, A.Commit, A.Rollback, A.Savepoint, A.Release)):
        p.kind = TX
        return p
    elif isinstance(st, (A.CreateTable, A.CreateIndex, A.CreateView, A.CreateTrigger, A.Drop,
                         A.AlterTable, A.Reindex)):
        p.kind = DDL
        return p
    else:
        p.kind = OTHER
        return p
    fn, source = comp.finish()
    p.run = fn
    p.run_many = comp.run_many
    p.source = source
    p.description = tuple((n, None, None, None, None, None, None) for n in p.names) or None
    p.simple_params = all(n is None for n in p.param_names)
    p.is_insert = isinstance(st, A.Insert)
    p.plan = comp.plan_lines
    p.deterministic = comp.deterministic
    return p


def _trigger_scope(comp: StatementCompiler, trigger: TriggerInfo, table: TableInfo, sql: str) -> Scope:
    """The OLD/NEW rows a trigger program reads, bound from its parameters."""
    pseudo = []
    if trigger.event in ("UPDATE", "DELETE"):
        old = comp.pseudo_source(table, "old")
        comp.top.setup(f"{old.k} = _p[2]; {old.r} = _p[0]")
        pseudo.append(old)
    if trigger.event in ("UPDATE", "INSERT"):
        new = comp.pseudo_source(table, "new")
        comp.top.setup(f"{new.k} = _p[3]; {new.r} = _p[1]")
        pseudo.append(new)
    return Scope(pseudo, None, sql)


def compile_trigger_statement(stmt: Any, trigger: TriggerInfo, table: TableInfo, catalog: Catalog,
                              udfs: Optional[dict[str, Any]], sql: str) -> Callable[..., Any]:
    """A trigger body statement; params are (old_row, new_row, old_rowid, new_rowid)."""
    comp = StatementCompiler(catalog, sql, udfs)
    outer = _trigger_scope(comp, trigger, table, sql)
    if isinstance(stmt, A.Select):
        comp.compile_select(stmt, outer)
    elif isinstance(stmt, A.Insert):
        comp.compile_insert(stmt, outer)
    elif isinstance(stmt, A.Update):
        comp.compile_update(stmt, outer)
    elif isinstance(stmt, A.Delete):
        comp.compile_delete(stmt, outer)
    else:
        raise NotSupportedError("unsupported statement in trigger")
    fn, _ = comp.finish()
    return fn


def compile_trigger_when(trigger: TriggerInfo, table: TableInfo, catalog: Catalog,
                         udfs: Optional[dict[str, Any]]) -> Optional[Callable[..., Any]]:
    if trigger.when is None:
        return None
    comp = StatementCompiler(catalog, trigger.sql, udfs)
    scope = _trigger_scope(comp, trigger, table, trigger.sql)
    comp.top.emit(f"return {comp.cond(trigger.when, scope)}")
    fn, _ = comp.finish()
    return fn


def compile_row_expr(e: A.Expr, table: TableInfo, catalog: Catalog, sql: str) -> Callable[..., Any]:
    """fn(row, rowid) -> value of ``e`` over a row of ``table`` (CHECK constraints)."""
    comp = StatementCompiler(catalog, sql)
    src = comp.table_source(table)
    comp.top.params = "_row, _rid"
    comp.top.setup(f"{src.k} = _rid; {src.r} = _row; _p = (); _ctx = None")
    scope = Scope([src], None, sql)
    comp.top.emit(f"return {comp.value(e, scope)}")
    fn, _ = comp.finish()
    return fn


def compile_const_expr(e: A.Expr, catalog: Catalog, sql: str) -> Callable[[], Any]:
    """fn() -> value of a constant expression (DEFAULT clauses)."""
    comp = StatementCompiler(catalog, sql)
    comp.top.params = ""
    comp.top.setup("_p = (); _ctx = None")
    comp.top.emit(f"return {comp.value(e, Scope([], None, sql))}")
    fn, _ = comp.finish()
    return fn
