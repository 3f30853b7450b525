"""Compiling expressions to Python source.

``value(e)`` yields an expression computing the SQL value of ``e``; ``cond(e)``
one that is truthy exactly when ``e`` is TRUE (NULL and FALSE are falsy),
which lets WHERE clauses use Python's own ``and``/``or``.  Comparisons apply
SQLite's affinity rules at compile time where the operand types are known and
fall back to the runtime comparators otherwise.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..catalog.schema import Catalog
from ..errors import NotSupportedError, ProgrammingError, SQLError
from ..plan.scope import Scope
from ..sql import ast as A
from . import functions as F
from . import json1 as J
from . import runtime as R
from .codegen import Func, Module, literal
from .helpers import BASE_ENV

AGGREGATES = {"count", "sum", "total", "avg", "min", "max", "group_concat", "string_agg",
              "json_group_array", "json_group_object"}
# Built-in functions that exist only with OVER, and their argument counts.
WINDOW_ONLY = {"row_number": (0, 0), "rank": (0, 0), "dense_rank": (0, 0), "percent_rank": (0, 0),
               "cume_dist": (0, 0), "ntile": (1, 1), "lag": (1, 3), "lead": (1, 3),
               "first_value": (1, 1), "last_value": (1, 1), "nth_value": (2, 2)}
_NUMERIC_AFF = (R.A_INTEGER, R.A_REAL, R.A_NUMERIC)
_CMP_OPS = {"=", "!=", "<", "<=", ">", ">="}
_PY_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_ARITH = {"+": "_add", "-": "_sub", "*": "_mul", "/": "_div", "%": "_mod", "&": "_bitand",
          "|": "_bitor", "<<": "_shl", ">>": "_shr", "||": "_concat"}
_BOOLEAN_NODES = (A.Like, A.Between, A.InList, A.InSelect, A.Exists, A.IsNull)


@dataclass(slots=True)
class Meta:
    """Static facts about an expression used by comparison rules."""

    affinity: Optional[str] = None   # column affinity, or None for "no affinity"
    coll: Optional[str] = None       # collation name (None = BINARY)
    explicit: bool = False           # collation from an explicit COLLATE


def comparison_affinity(fa: Optional[str], fb: Optional[str]) -> Optional[str]:
    """sqlite3CompareAffinity: the affinity a comparison applies to both operands.

    ``None`` means an expression without affinity; columns (and CASTs) always have
    one, BLOB when their type says nothing.
    """
    if fa is not None and fb is not None:
        if fa in _NUMERIC_AFF or fb in _NUMERIC_AFF:
            return R.A_NUMERIC
        return R.A_BLOB
    return fa if fa is not None else fb


def comparison_convs(fa: Optional[str], fb: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """Converter names for each operand; None where applying the affinity changes nothing."""
    aff = comparison_affinity(fa, fb)
    if aff in _NUMERIC_AFF:
        return (None if fa in _NUMERIC_AFF else "_apply_numeric",
                None if fb in _NUMERIC_AFF else "_apply_numeric")
    if aff == R.A_TEXT:
        return (None if fa == R.A_TEXT else "_apply_text",
                None if fb == R.A_TEXT else "_apply_text")
    return None, None


def is_aggregate_call(e: A.Expr) -> bool:
    if not isinstance(e, A.Function):
        return False
    if e.name in ("min", "max"):
        return len(e.args) == 1 or e.star
    return e.name in AGGREGATES


def contains_aggregate(e: Any) -> bool:
    """True if an aggregate call appears in ``e`` outside nested subqueries."""
    found = False

    def visit(x: Any) -> None:
        nonlocal found
        if found or x is None:
            return
        if isinstance(x, A.Function) and is_aggregate_call(x):
            found = True
            return
        if isinstance(x, (A.Subquery, A.Exists, A.InSelect)):
            if isinstance(x, A.InSelect):
                visit(x.expr)
            return
        for child in children(x):
            visit(child)
    visit(e)
    return found


def children(e: Any) -> list:
    """The direct sub-expressions of an expression node (not subquery bodies)."""
    if isinstance(e, A.Binary):
        return [e.left, e.right]
    if isinstance(e, A.Unary):
        return [e.operand]
    if isinstance(e, A.Function):
        return list(e.args) + ([e.filter] if e.filter is not None else [])
    if isinstance(e, A.Like):
        return [e.expr, e.pattern] + ([e.escape] if e.escape is not None else [])
    if isinstance(e, A.Between):
        return [e.expr, e.low, e.high]
    if isinstance(e, A.InList):
        return [e.expr] + list(e.items)
    if isinstance(e, A.InSelect):
        return [e.expr]
    if isinstance(e, A.Case):
        out = [e.operand] if e.operand is not None else []
        for w, r in e.whens:
            out += [w, r]
        if e.else_ is not None:
            out.append(e.else_)
        return out
    if isinstance(e, (A.Cast, A.Collate, A.IsNull)):
        return [e.expr]
    if isinstance(e, A.Raise):
        return [e.message] if e.message is not None else []
    if isinstance(e, A.RowValue):
        return list(e.items)
    if isinstance(e, A.WindowCall):
        # The call's own arguments and the window's expressions, not the call itself:
        # sum(x) OVER (...) is not an aggregate of the query it appears in.
        f = e.func
        spec = e.window
        return list(f.args) + ([f.filter] if f.filter is not None else []) + list(spec.partition) \
            + [t.expr for t in spec.order]
    return []


def contains_window(e: Any) -> Optional[A.WindowCall]:
    """The first window function call in ``e`` outside nested subqueries, if any."""
    stack = [e]
    while stack:
        x = stack.pop()
        if x is None:
            continue
        if isinstance(x, A.WindowCall):
            return x
        if isinstance(x, A.InSelect):
            stack.append(x.expr)
            continue
        if isinstance(x, (A.Subquery, A.Exists)):
            continue
        stack.extend(children(x))
    return None


def walk(e: Any) -> Any:
    """Every node of an expression tree (not descending into subqueries)."""
    stack = [e]
    while stack:
        x = stack.pop()
        if x is None:
            continue
        yield x
        stack.extend(children(x))


class ExprCompiler:
    """Expression compilation shared by SELECT and DML compilation."""

    mod: Module
    catalog: Catalog
    sql: str
    fn: Func
    top: Func
    udfs: dict[str, Any]

    def __init__(self, catalog: Catalog, sql: str, udfs: Optional[dict[str, Any]] = None):
        self.catalog = catalog
        self.sql = sql
        self.mod = Module(BASE_ENV)
        self.udfs = udfs or {}
        self._src_ids = itertools.count()
        self._memo_ids = itertools.count()
        self.deterministic = True
        self.json_raw = False            # the next JSON call feeds a JSON function (subtype)
        self.uses_memo = False

    def new_source_id(self) -> int:
        return next(self._src_ids)

    def err(self, msg: str, pos: Optional[int] = None) -> SQLError:
        return SQLError(msg, self.sql, pos)

    # -------------------------------------------------------------- metadata

    def meta(self, e: A.Expr, scope: Scope) -> Meta:
        if isinstance(e, A.Column):
            r = scope.resolve(e)
            if r is None:
                return Meta()
            src = r.source
            if r.column < 0:
                return Meta(R.A_INTEGER)
            # A table column always has an affinity (BLOB when undeclared); a subquery's
            # or view's column has its expression's, possibly none.  Columns always have
            # a collation (BINARY by default), which outranks an expression's.
            return Meta(src.affinities[r.column], src.collations[r.column] or "BINARY")
        if isinstance(e, A.Collate):
            m = self.meta(e.expr, scope)
            return Meta(m.affinity, R.check_collation(e.collation), True)
        if isinstance(e, A.Cast):
            m = self.meta(e.expr, scope)
            return Meta(R.affinity_of(e.type_name), m.coll, m.explicit)
        if isinstance(e, A.Unary) and e.op == "+":
            m = self.meta(e.operand, scope)
            return Meta(None, m.coll, m.explicit)
        if isinstance(e, A.Subquery):
            info = self.subquery_meta(e.select, scope)
            return info
        if isinstance(e, A.Binary) and e.op not in ("AND", "OR", "IS", "ISNOT") and e.op not in _CMP_OPS:
            # An explicit COLLATE propagates through operators, the left operand first.
            for side in (e.left, e.right):
                m = self.meta(side, scope)
                if m.explicit:
                    return Meta(None, m.coll, True)
        return Meta()

    def subquery_meta(self, sel: A.Select, scope: Scope) -> Meta:
        """Affinity/collation of a subquery's first column (without compiling it twice)."""
        body = sel.body
        while isinstance(body, A.Compound):
            body = body.left
        if isinstance(body, A.SelectCore) and body.columns:
            first = body.columns[0].expr
            if isinstance(first, A.Star):
                return Meta()
            try:
                inner = self.scope_for_meta(body, scope, sel)
            except Exception:
                return Meta()
            if inner is None:
                return Meta()
            m = self.meta(first, inner)
            return Meta(m.affinity, m.coll, m.explicit)
        return Meta()

    def scope_for_meta(self, core: A.SelectCore, scope: Scope, sel: A.Select) -> Optional[Scope]:
        return None  # refined by the select compiler

    def comparison_collation(self, a: Meta, b: Meta) -> Optional[str]:
        if a.explicit:
            return a.coll
        if b.explicit:
            return b.coll
        if a.coll is not None:
            return a.coll
        return b.coll

    # ------------------------------------------------------------------ values

    def const(self, v: Any) -> str:
        lit = literal(v)
        return lit if lit is not None else self.mod.const(v)

    def value(self, e: A.Expr, scope: Scope) -> str:
        method = _VALUE_DISPATCH.get(type(e))
        if method is None:
            raise NotSupportedError(f"unsupported expression: {type(e).__name__}")
        return method(self, e, scope)

    def v_literal(self, e: A.Literal, scope: Scope) -> str:
        return self.const(e.value)

    def v_param(self, e: A.Param, scope: Scope) -> str:
        return f"_p[{e.index}]"

    def v_column(self, e: A.Column, scope: Scope) -> str:
        agg = self.agg_lookup(e, scope)
        if agg is not None:
            return agg
        r = scope.resolve(e)
        if r is None:
            if e.table is None:
                alias = self.resolve_alias(e, scope)
                if alias is not None:
                    return alias
                if e.quoted:
                    return self.const(e.name)   # SQLite: "text" falls back to a string
                low = e.name.lower()
                if low in ("true", "false"):
                    return "1" if low == "true" else "0"
                raise self.err(f"no such column: {e.name}", e.pos)
            raise self.err(f"no such column: {e.table}.{e.name}", e.pos)
        return r.code

    def resolve_alias(self, e: A.Column, scope: Scope) -> Optional[str]:
        """A result-column alias used in WHERE/GROUP BY/HAVING (SQLite allows it)."""
        alias = scope.aliases.get(e.name.lower())
        if alias is None or alias is e:
            return None
        if scope.aliases.get("\0busy") is not None and e.name.lower() in scope.aliases["\0busy"]:
            raise self.err(f"circular reference to alias {e.name}", e.pos)
        busy = scope.aliases.setdefault("\0busy", set())
        busy.add(e.name.lower())
        try:
            return self.value(alias, scope)
        finally:
            busy.discard(e.name.lower())

    def agg_lookup(self, e: A.Expr, scope: Scope) -> Optional[str]:
        agg = scope.agg
        if agg is None:
            return None
        return agg.get(id(e))

    def v_rowvalue(self, e: A.RowValue, scope: Scope) -> str:
        raise self.err("row value misused", e.pos)

    def v_windowcall(self, e: A.WindowCall, scope: Scope) -> str:
        # Window results are computed by the SELECT that owns them and mapped in
        # through scope.agg; anywhere else a window function is misplaced.
        code = self.agg_lookup(e, scope)
        if code is not None:
            return code
        raise self.err(f"misuse of window function {e.func.name}()", e.func.pos)

    def v_star(self, e: A.Star, scope: Scope) -> str:
        raise self.err("* is only allowed in a result column list or count(*)", e.pos)

    def v_unary(self, e: A.Unary, scope: Scope) -> str:
        if e.op == "NOT":
            inner = self.value(e.operand, scope)
            if self.is_boolean(e.operand):
                t = self.mod.fresh("_n")
                return f"(None if ({t} := {inner}) is None else 1 - {t})"
            return f"_not({inner})"
        if e.op == "-":
            if isinstance(e.operand, A.Literal) and type(e.operand.value) in (int, float):
                v = e.operand.value
                # A negative literal is negated as written (-0.0 stays -0.0).
                return self.const(-v if type(v) is float or v != R.MIN_INT else float(-v))
            return f"_neg({self.value(e.operand, scope)})"
        if e.op == "+":
            return self.value(e.operand, scope)
        return f"_bitnot({self.value(e.operand, scope)})"

    def is_boolean(self, e: A.Expr) -> bool:
        """True when e's value is always 1, 0 or NULL."""
        if isinstance(e, _BOOLEAN_NODES):
            return True
        if isinstance(e, A.Binary) and (e.op in _CMP_OPS or e.op in ("AND", "OR", "IS", "ISNOT")):
            return True
        if isinstance(e, A.Unary) and e.op == "NOT":
            return True
        return False

    def v_binary(self, e: A.Binary, scope: Scope) -> str:
        op = e.op
        if op in _CMP_OPS:
            return self.comparison(e.left, op, e.right, scope, as_value=True)
        if op == "AND":
            return f"_and({self.value(e.left, scope)}, {self.value(e.right, scope)})"
        if op == "OR":
            return f"_or({self.value(e.left, scope)}, {self.value(e.right, scope)})"
        if op in ("IS", "ISNOT"):
            return self.is_test(e, scope, as_value=True)
        if op in ("->", "->>"):
            raw, self.json_raw = self.json_raw, False
            impl = self.mod.const(J.f_arrow if op == "->" else J.f_arrow2, "_fn_")
            code = f"{impl}({self.value(e.left, scope)}, {self.value(e.right, scope)})"
            return code if raw or op == "->>" else f"{self.mod.const(J.plain, '_fn_')}({code})"
        fn = _ARITH.get(op)
        if fn is None:
            raise self.err(f"the {op} operator is not supported", e.pos)
        left = self.value(e.left, scope)
        right = self.value(e.right, scope)
        # Fold operations on two literals (SQLite does too).
        if isinstance(e.left, A.Literal) and isinstance(e.right, A.Literal):
            return self.const(self.mod.env[fn](e.left.value, e.right.value))
        if op in ("+", "-", "*"):
            return self.inline_arith(op, fn, e, left, right)
        return f"{fn}({left}, {right})"

    def inline_arith(self, op: str, fn: str, e: A.Binary, left: str, right: str) -> str:
        """Arithmetic with the common cases done inline, the rest by the runtime helper.

        Float results are checked for NaN (inf - inf), which SQLite turns into
        NULL; integer results are range-checked so overflow goes to the helper.
        """
        x, y = self.mod.fresh("_x"), self.mod.fresh("_y")
        lit = e.right.value if isinstance(e.right, A.Literal) else None
        if type(lit) is int and abs(lit) < 1 << 31:
            # column OP small integer: int stays int when far from the 64-bit edge
            lim = (1 << 62) // max(1, abs(lit)) if op == "*" else 1 << 62
            return (f"({x} {op} {right} if ({x} := {left}).__class__ is int and -{lim} < {x} < {lim} "
                    f"else {fn}({x}, {right}))")
        r = self.mod.fresh("_r")
        return (f"(({r} if ({r} := {x} {op} {y}) == {r} else None) "
                f"if (({x} := {left}).__class__ is float) & (({y} := {right}).__class__ is float) "
                f"else {fn}({x}, {y}))")

    def is_test(self, e: A.Binary, scope: Scope, as_value: bool) -> str:
        neg = e.op == "ISNOT"
        if isinstance(e.left, A.RowValue) or isinstance(e.right, A.RowValue):
            code = self.row_comparison(e.left, e.op, e.right, scope)
            return code if as_value else f"({code} == 1)"
        if isinstance(e.right, A.Column) and not e.right.quoted and e.right.table is None \
                and e.right.name.lower() in ("true", "false") and scope.resolve(e.right) is None:
            # x IS TRUE / IS FALSE test truth, not equality with 1/0 (SQLite 3.23+).
            want = "True" if e.right.name.lower() == "true" else "False"
            test = f"(_truth({self.value(e.left, scope)}) is {'not ' if neg else ''}{want})"
            return f"(1 if {test} else 0)" if as_value else test
        if isinstance(e.right, A.Literal) and e.right.value is None:
            inner = self.value(e.left, scope)
            test = f"({inner} is {'not ' if neg else ''}None)"
            return f"(1 if {test} else 0)" if as_value else test
        if isinstance(e.left, A.Literal) and e.left.value is None:
            inner = self.value(e.right, scope)
            test = f"({inner} is {'not ' if neg else ''}None)"
            return f"(1 if {test} else 0)" if as_value else test
        ma, mb = self.meta(e.left, scope), self.meta(e.right, scope)
        left, right = self.apply_comparison_affinity(e.left, e.right, ma, mb, scope)
        coll = self.comparison_collation(ma, mb)
        code = f"_is({left}, {right}, {self.const(coll)})"
        if neg:
            code = f"(1 - {code})"
        return code

    def apply_comparison_affinity(self, a: A.Expr, b: A.Expr, ma: Meta, mb: Meta,
                                  scope: Scope) -> tuple[str, str]:
        """Source for both operands with SQLite's comparison affinity applied."""
        conv_a, conv_b = comparison_convs(ma.affinity, mb.affinity)
        left = self.value(a, scope)
        right = self.value(b, scope)
        if conv_a is not None:
            left = self.convert(a, left, conv_a)
        if conv_b is not None:
            right = self.convert(b, right, conv_b)
        return left, right

    def convert_pair(self, a: A.Expr, acode: str, ma: Meta, b: A.Expr, bcode: str, mb: Meta
                     ) -> tuple[str, str]:
        """Both operands' code with the comparison affinity of (a, b) applied."""
        conv_a, conv_b = comparison_convs(ma.affinity, mb.affinity)
        if conv_a is not None:
            acode = self.convert(a, acode, conv_a)
        if conv_b is not None:
            bcode = self.convert(b, bcode, conv_b)
        return acode, bcode

    def convert(self, e: A.Expr, code: str, conv: str) -> str:
        if isinstance(e, A.Literal):
            fn = R.apply_numeric if conv == "_apply_numeric" else R.apply_text
            return self.const(fn(e.value))
        if conv == "_apply_numeric" and not self.maybe_text(e):
            return code  # numbers and NULL compare the same with or without NUMERIC affinity
        return f"{conv}({code})"

    def maybe_text(self, e: A.Expr) -> bool:
        """False when ``e`` can only be NULL, INTEGER or REAL (never TEXT or BLOB)."""
        if isinstance(e, A.Literal):
            return type(e.value) in (str, bytes)
        if isinstance(e, A.Binary):
            return e.op in ("||", "->", "->>")
        if isinstance(e, A.Unary):
            return e.op == "+" and self.maybe_text(e.operand)
        if isinstance(e, A.Cast):
            return R.affinity_of(e.type_name) not in (R.A_INTEGER, R.A_REAL)
        if isinstance(e, (A.Like, A.Between, A.InList, A.InSelect, A.Exists, A.IsNull)):
            return False
        if isinstance(e, A.Function):
            return e.name not in ("count", "length", "total", "avg", "abs", "round", "sign",
                                  "instr", "unicode", "random", "changes", "total_changes",
                                  "last_insert_rowid", "julianday", "unixepoch")
        return True

    def row_items(self, e: A.Expr, scope: Scope) -> Optional[list[A.Expr]]:
        if isinstance(e, A.RowValue):
            return e.items
        return None

    def row_comparison(self, a: A.Expr, op: str, b: A.Expr, scope: Scope) -> str:
        """(a1, a2, ...) OP (b1, b2, ...): element-wise with SQLite's rules."""
        la, lb = self.row_items(a, scope), self.row_items(b, scope)
        if la is None or lb is None or len(la) != len(lb):
            raise self.err("row value misused", getattr(a, "pos", None))
        lefts, rights, eqs, ops = [], [], [], []
        for x, y in zip(la, lb):
            mx, my = self.meta(x, scope), self.meta(y, scope)
            xc, yc = self.convert_pair(x, self.value(x, scope), mx, y, self.value(y, scope), my)
            coll = self.comparison_collation(mx, my)
            coll = None if coll == "BINARY" else coll
            lefts.append(xc)
            rights.append(yc)
            eqs.append(self.mod.const(R.make_comparator("=", coll), "_cmp"))
            cop = {"IS": "=", "ISNOT": "="}.get(op, op)
            ops.append(self.mod.const(R.make_comparator(cop, coll), "_cmp") if op not in ("IS", "ISNOT")
                       else self.mod.const((lambda u, v, c=coll: R.is_(u, v, c)), "_is"))
        tup = lambda xs: "(" + ", ".join(xs) + ",)"  # noqa: E731
        return f"_row_compare({op!r}, {tup(lefts)}, {tup(rights)}, {tup(eqs)}, {tup(ops)})"

    def comparison(self, a: A.Expr, op: str, b: A.Expr, scope: Scope, as_value: bool) -> str:
        if isinstance(a, A.RowValue) or isinstance(b, A.RowValue):
            return self.row_comparison(a, op, b, scope)
        ma, mb = self.meta(a, scope), self.meta(b, scope)
        left, right = self.apply_comparison_affinity(a, b, ma, mb, scope)
        coll = self.comparison_collation(ma, mb)
        if coll == "BINARY":
            coll = None
        cmp_name = self.mod.const(R.make_comparator(op, coll), "_cmp")
        if coll is None and not as_value:
            # Fast path: a literal number or string on one side.
            lit = None
            other = None
            if isinstance(b, A.Literal) and type(b.value) in (int, float, str) and right == literal(b.value):
                lit, other, flip = right, left, False
            elif isinstance(a, A.Literal) and type(a.value) in (int, float, str) and left == literal(a.value):
                lit, other, flip = left, right, True
            if lit is not None:
                t = self.mod.fresh("_v")
                pyop = _PY_OPS[op]
                lit_node: Any = a if flip else b
                kind = "str" if isinstance(lit_node.value, str) else "int"
                test = f"{lit} {pyop} {t}" if flip else f"{t} {pyop} {lit}"
                args = f"{lit}, {t}" if flip else f"{t}, {lit}"
                return f"(({test}) if type({t} := {other}) is {kind} else {cmp_name}({args}))"
        return f"{cmp_name}({left}, {right})"

    def v_like(self, e: A.Like, scope: Scope) -> str:
        x = self.value(e.expr, scope)
        p = self.value(e.pattern, scope)
        if e.op == "LIKE":
            esc = f", {self.value(e.escape, scope)}" if e.escape is not None else ""
            code = f"_like({x}, {p}{esc})"
        elif e.op == "GLOB":
            code = f"_glob({x}, {p})"
        else:
            fn = self.udfs.get(e.op.lower())
            if fn is None:
                raise ProgrammingError(f"no such function: {e.op}")
            code = f"{self.mod.const(fn)}({p}, {x})"
        if e.negated:
            return f"_not({code})"
        return code

    def v_between(self, e: A.Between, scope: Scope) -> str:
        t = self.mod.fresh("_b")
        holder = A.Column(t)  # stand-in so affinity rules see e.expr's metadata
        m = self.meta(e.expr, scope)
        xcode = self.value(e.expr, scope)
        lo = self.between_side(e.expr, m, e.low, ">=", scope, f"({t} := {xcode})")
        hi = self.between_side(e.expr, m, e.high, "<=", scope, t)
        del holder
        code = f"_and({lo}, {hi})"
        if e.negated:
            return f"_not({code})"
        return code

    def between_side(self, x: A.Expr, mx: Meta, bound: A.Expr, op: str, scope: Scope, xcode: str) -> str:
        mb = self.meta(bound, scope)
        bcode = self.value(bound, scope)
        conv_x, conv_b = comparison_convs(mx.affinity, mb.affinity)
        if conv_b is not None:
            bcode = self.convert(bound, bcode, conv_b)
        if conv_x is not None and (conv_x != "_apply_numeric" or self.maybe_text(x)):
            xcode = f"{conv_x}({xcode})"
        coll = self.comparison_collation(mx, mb)
        cmp_name = self.mod.const(R.make_comparator(op, None if coll == "BINARY" else coll), "_cmp")
        return f"{cmp_name}({xcode}, {bcode})"

    def v_inlist(self, e: A.InList, scope: Scope) -> str:
        if not e.items:
            return "1" if e.negated else "0"
        mx = self.meta(e.expr, scope)
        x = self.value(e.expr, scope)
        coll = mx.coll if mx.coll != "BINARY" else None
        if all(isinstance(i, A.Literal) for i in e.items):
            # Literals have no affinity: the left operand's affinity decides.
            conv_x, conv_i = comparison_convs(mx.affinity, None)
            conv: Optional[Callable[[Any], Any]] = None
            if conv_i == "_apply_numeric":
                conv = R.apply_numeric
            elif conv_i == "_apply_text":
                conv = R.apply_text
            fold = None
            if coll is not None:
                from .helpers import group_fold
                fold = (lambda v, c=coll: group_fold(v, c))
            vs = BASE_ENV["_ValueSet"]([i.value for i in e.items if isinstance(i, A.Literal)], conv, fold)
            name = self.mod.const(vs, "_in")
            if conv_x is not None:
                x = self.convert(e.expr, x, conv_x)
            if fold is not None:
                xf = self.mod.const(fold, "_fold")
                x = f"{xf}({x})"
            code = f"{name}.test({x})"
        else:
            # Each item is compared with the left operand's affinity applied to it
            # (SQLite's IN uses the left side's affinity, not a pairwise one).
            t = self.mod.fresh("_ix")
            _, conv_i = comparison_convs(mx.affinity, None)
            items = []
            for item in e.items:
                mi = self.meta(item, scope)
                c = self.comparison_collation(mx, mi)
                xcode, icode = t, self.value(item, scope)
                if conv_i is not None:
                    icode = self.convert(item, icode, conv_i)
                cmp_name = self.mod.const(R.make_comparator("=", None if c == "BINARY" else c), "_cmp")
                items.append(f"{cmp_name}({xcode}, {icode})")
            code = f"_in_results(({t} := {x}), ({', '.join(items)},))"
        if e.negated:
            return f"_not({code})"
        return code

    def v_cast(self, e: A.Cast, scope: Scope) -> str:
        inner = self.value(e.expr, scope)
        if isinstance(e.expr, A.Literal):
            return self.const(R.cast(e.expr.value, e.type_name))
        return f"_cast({inner}, {e.type_name!r})"

    def v_collate(self, e: A.Collate, scope: Scope) -> str:
        R.check_collation(e.collation)
        return self.value(e.expr, scope)

    def v_isnull(self, e: A.IsNull, scope: Scope) -> str:
        inner = self.value(e.expr, scope)
        return f"(1 if {inner} is {'not ' if e.negated else ''}None else 0)"

    def v_case(self, e: A.Case, scope: Scope) -> str:
        else_code = self.value(e.else_, scope) if e.else_ is not None else "None"
        if e.operand is None:
            code = else_code
            for w, r in reversed(e.whens):
                code = f"({self.value(r, scope)} if {self.cond(w, scope)} else {code})"
            return code
        t = self.mod.fresh("_cs")
        mo = self.meta(e.operand, scope)
        first = True
        tests = []
        constant = isinstance(e.operand, A.Literal)
        for w, r in e.whens:
            mw = self.meta(w, scope)
            if constant:
                xcode = self.value(e.operand, scope)
            else:
                xcode = f"({t} := {self.value(e.operand, scope)})" if first else t
            first = False
            xcode, wcode = self.convert_pair(e.operand, xcode, mo, w, self.value(w, scope), mw)
            coll = self.comparison_collation(mo, mw)
            cmp_name = self.mod.const(R.make_comparator("=", None if coll == "BINARY" else coll), "_cmp")
            tests.append((f"{cmp_name}({xcode}, {wcode})", self.value(r, scope)))
        code = else_code
        for i in range(len(tests) - 1, -1, -1):
            test, res = tests[i]
            code = f"({res} if {test} else {code})"
        return code

    def v_raise(self, e: A.Raise, scope: Scope) -> str:
        msg = self.value(e.message, scope) if e.message is not None else "None"
        return f"_ctx.raise_({e.action!r}, {msg})"

    def json_arg(self, a: A.Expr, scope: Scope) -> str:
        """An argument of a JSON function: another JSON function's result keeps its subtype."""
        if ((isinstance(a, A.Function) and (a.name in J.SCALARS or a.name in J.AGGREGATES)
             and a.name not in self.udfs)
                or (isinstance(a, A.Binary) and a.op == "->")):
            self.json_raw = True
        elif isinstance(a, A.Column):
            # json_each()/json_tree()'s value column carries the subtype for arrays and objects.
            r = scope.resolve(a)
            if r is not None and r.depth == 0 and r.source.tvf is not None and r.column == 1:
                return (f"{self.mod.const(J.container, '_fn_')}({self.value(a, scope)}, "
                        f"{r.source.column_code(2)})")
        try:
            return self.value(a, scope)
        finally:
            self.json_raw = False

    def v_function(self, e: A.Function, scope: Scope) -> str:
        raw_json, self.json_raw = self.json_raw, False
        agg = self.agg_lookup(e, scope)
        if agg is not None:
            if raw_json and e.name in J.AGGREGATES:
                return f"{self.mod.const(J.Json, '_fn_')}({agg})"
            return agg
        name = e.name
        if is_aggregate_call(e):
            raise self.err(f"misuse of aggregate function {name}()", e.pos)
        if name in WINDOW_ONLY and name not in self.udfs:
            raise self.err(f"misuse of window function {name}()", e.pos)
        if e.star:
            raise self.err(f"wrong number of arguments to function {name}()", e.pos)
        if e.distinct:
            raise self.err(f"DISTINCT is only allowed in aggregate functions", e.pos)
        if e.filter is not None:
            raise self.err(f"FILTER clause may only be used with aggregate functions", e.pos)
        args = e.args
        nargs = len(args)
        udf = self.udfs.get(name)
        if udf is not None and (udf[1] < 0 or udf[1] == nargs):
            if not udf[2]:
                self.deterministic = False
            fn = self.mod.const(udf[0], "_udf")
            return f"{fn}({', '.join(self.value(a, scope) for a in args)})"
        if name in ("coalesce", "ifnull"):
            if (name == "ifnull" and nargs != 2) or nargs < 2:
                raise self.err(f"wrong number of arguments to function {name}()", e.pos)
            codes = [self.value(a, scope) for a in args]
            code = codes[-1]
            for c in reversed(codes[:-1]):
                t = self.mod.fresh("_co")
                code = f"({t} if ({t} := {c}) is not None else {code})"
            return code
        if name == "iif":
            if nargs != 3:
                raise self.err("wrong number of arguments to function iif()", e.pos)
            return (f"({self.value(args[1], scope)} if {self.cond(args[0], scope)} "
                    f"else {self.value(args[2], scope)})")
        if name in ("min", "max") and nargs >= 2:
            return f"_f_{name}({', '.join(self.value(a, scope) for a in args)})"
        if name in ("changes", "total_changes", "last_insert_rowid"):
            if nargs:
                raise self.err(f"wrong number of arguments to function {name}()", e.pos)
            self.deterministic = False
            return f"_ctx.conn_{name}()"
        if name == "unlikely" or name == "likely":
            if nargs != 1:
                raise self.err(f"wrong number of arguments to function {name}()", e.pos)
            return self.value(args[0], scope)
        entry = F.SCALARS.get(name)
        if entry is None:
            raise self.err(f"no such function: {name}", e.pos)
        impl, lo, hi = entry
        if nargs < lo or (hi >= 0 and nargs > hi):
            raise self.err(f"wrong number of arguments to function {name}()", e.pos)
        if name in F.NONDETERMINISTIC:
            self.deterministic = False
        fname = self.mod.const(impl, "_fn_")
        if name not in J.SCALARS:
            return f"{fname}({', '.join(self.value(a, scope) for a in args)})"
        first = J.SUBTYPE_READERS.get(name, nargs)
        codes = [self.json_arg(a, scope) if i >= first else self.value(a, scope)
                 for i, a in enumerate(args)]
        code = f"{fname}({', '.join(codes)})"
        return code if raw_json else f"{self.mod.const(J.plain, '_fn_')}({code})"

    # ---------------------------------------------------------- subqueries

    def v_subquery(self, e: A.Subquery, scope: Scope) -> str:
        q = self.compile_subquery(e.select, scope)
        if len(q.names) != 1:
            raise self.err(f"sub-select returns {len(q.names)} columns - expected 1")
        return self.memoize(q, f"_scalar({q.fn}())")

    def v_exists(self, e: A.Exists, scope: Scope) -> str:
        q = self.compile_subquery(e.select, scope, limit_one=True)
        return self.memoize(q, f"_exists({q.fn}())")

    def v_inselect(self, e: A.InSelect, scope: Scope) -> str:
        q = self.compile_subquery(e.select, scope)
        if isinstance(e.expr, A.RowValue):
            if len(q.names) != len(e.expr.items):
                raise self.err(f"sub-select returns {len(q.names)} columns - expected {len(e.expr.items)}")
            convs = []
            lefts = []
            for item, my in zip(e.expr.items, q.metas):
                mx = self.meta(item, scope)
                cx, cy = comparison_convs(mx.affinity, my.affinity)
                lefts.append(self.convert(item, self.value(item, scope), cx) if cx else self.value(item, scope))
                convs.append(R.apply_numeric if cy == "_apply_numeric" else R.apply_text if cy == "_apply_text" else None)
            conv_name = self.mod.const(tuple(convs), "_rconv")
            rs = self.memoize(q, f"_RowSet({q.fn}(), {conv_name})")
            code = f"{rs}.test(({', '.join(lefts)},))"
            return f"_not({code})" if e.negated else code
        if len(q.names) != 1:
            raise self.err(f"sub-select returns {len(q.names)} columns - expected 1")
        mx = self.meta(e.expr, scope)
        my = q.metas[0] if q.metas else Meta()
        conv = None
        xconv, yconv = comparison_convs(mx.affinity, my.affinity)
        if yconv == "_apply_numeric":
            conv = R.apply_numeric
        elif yconv == "_apply_text":
            conv = R.apply_text
        coll = self.comparison_collation(mx, my)
        fold = None
        if coll not in (None, "BINARY"):
            from .helpers import group_fold
            fold = (lambda v, c=coll: group_fold(v, c))
        conv_name = self.mod.const(conv) if conv is not None else "None"
        fold_name = self.mod.const(fold) if fold is not None else "None"
        vs = self.memoize(q, f"_ValueSet(_first_col({q.fn}()), {conv_name}, {fold_name})")
        xcode = self.value(e.expr, scope)
        if xconv is not None:
            xcode = f"{xconv}({xcode})"
        if fold is not None:
            xcode = f"{fold_name}({xcode})"
        code = f"{vs}.test({xcode})"
        if e.negated:
            return f"_not({code})"
        return code

    def memoize(self, q: Any, code: str) -> str:
        """Evaluate a non-correlated subquery once per statement execution."""
        if q.correlated or not self.deterministic_query(q):
            return code
        n = next(self._memo_ids)
        self.uses_memo = True
        return f"(_memo[{n}] if {n} in _memo else _memo.setdefault({n}, {code}))"

    def deterministic_query(self, q: Any) -> bool:
        return q.deterministic

    # ------------------------------------------------------------ conditions

    def cond(self, e: A.Expr, scope: Scope) -> str:
        """Source that is truthy exactly when ``e`` is TRUE."""
        if isinstance(e, A.Binary):
            op = e.op
            if op == "AND":
                return f"({self.cond(e.left, scope)} and {self.cond(e.right, scope)})"
            if op == "OR":
                return f"({self.cond(e.left, scope)} or {self.cond(e.right, scope)})"
            if op in _CMP_OPS and self.agg_lookup(e, scope) is None:
                return self.comparison(e.left, op, e.right, scope, as_value=False)
            if op in ("IS", "ISNOT"):
                return self.is_test(e, scope, as_value=False)
        elif isinstance(e, A.Unary) and e.op == "NOT":
            if self.is_boolean(e.operand):
                return f"({self.value(e.operand, scope)} == 0)"
            return f"(_truth({self.value(e.operand, scope)}) is False)"
        elif isinstance(e, A.IsNull):
            return f"({self.value(e.expr, scope)} is {'not ' if e.negated else ''}None)"
        elif isinstance(e, A.Literal):
            return "True" if R.is_true(e.value) else "False"
        if self.is_boolean(e):
            return self.value(e, scope)
        return f"_is_true({self.value(e, scope)})"

    # ------------------------------------------------------ filled by mixins

    def compile_subquery(self, sel: A.Select, scope: Scope, limit_one: bool = False) -> Any:
        raise NotImplementedError


_VALUE_DISPATCH: dict[type, Callable[..., str]] = {
    A.Literal: ExprCompiler.v_literal,
    A.Param: ExprCompiler.v_param,
    A.Column: ExprCompiler.v_column,
    A.Star: ExprCompiler.v_star,
    A.Unary: ExprCompiler.v_unary,
    A.Binary: ExprCompiler.v_binary,
    A.Like: ExprCompiler.v_like,
    A.Between: ExprCompiler.v_between,
    A.InList: ExprCompiler.v_inlist,
    A.InSelect: ExprCompiler.v_inselect,
    A.Exists: ExprCompiler.v_exists,
    A.Subquery: ExprCompiler.v_subquery,
    A.Case: ExprCompiler.v_case,
    A.Cast: ExprCompiler.v_cast,
    A.Collate: ExprCompiler.v_collate,
    A.IsNull: ExprCompiler.v_isnull,
    A.Function: ExprCompiler.v_function,
    A.WindowCall: ExprCompiler.v_windowcall,
    A.Raise: ExprCompiler.v_raise,
    A.RowValue: ExprCompiler.v_rowvalue,
}
