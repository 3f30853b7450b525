"""Recursive-descent parser for SQLite's SQL dialect.

Expressions use precedence climbing with SQLite's operator table (parse.y):

    OR < AND < NOT < (= == != <> IS IN LIKE GLOB MATCH REGEXP BETWEEN ISNULL NOTNULL)
       < (< <= > >=) < ESCAPE < (& | << >>) < (+ -) < (* / %) < (|| -> ->>)
       < COLLATE < unary (- + ~)

Errors are :class:`SQLError` with the offset of the offending token, phrased like
SQLite's ("near "FROM": syntax error") so users recognize them.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..errors import SQLError
from . import ast as A
from .tokens import BLOB, EOF, FLOAT, INTEGER, OP, PARAM, QUOTED, STRING, WORD, Token, tokenize

# Keywords that can never be a bare identifier or alias.
RESERVED = frozenset("""
    ALL ALTER AND AS BETWEEN CASE CHECK COLLATE CONSTRAINT CREATE DEFAULT DELETE DISTINCT
    DROP ELSE ESCAPE EXCEPT EXISTS FOREIGN FROM GROUP HAVING IN INDEX INSERT INTERSECT INTO
    IS ISNULL JOIN LIMIT NOT NOTNULL NULL ON OR ORDER PRIMARY REFERENCES SELECT SET TABLE
    THEN TO UNION UNIQUE UPDATE USING VALUES WHEN WHERE RETURNING
""".split())

# Words that end a FROM item or a result column, so they cannot be implicit aliases.
ALIAS_STOP = RESERVED | frozenset("""
    CROSS INNER LEFT NATURAL OUTER RIGHT FULL WINDOW INDEXED OFFSET NOT ORDER LIMIT
    GLOB LIKE MATCH REGEXP
""".split())

CONFLICT_ACTIONS = ("ROLLBACK", "ABORT", "FAIL", "IGNORE", "REPLACE")

_COMPARE = {"=": "=", "==": "=", "!=": "!=", "<>": "!="}
_RELATIONAL = {"<", "<=", ">", ">="}
_BITWISE = {"&", "|", "<<", ">>"}
_ADDITIVE = {"+", "-"}
_MULTIPLICATIVE = {"*", "/", "%"}
_CONCAT = {"||", "->", "->>"}

# Precedence levels (higher binds tighter).
P_OR, P_AND, P_NOT, P_EQ, P_REL, P_ESCAPE, P_BIT, P_ADD, P_MUL, P_CONCAT, P_COLLATE, P_UNARY = range(1, 13)


class Parser:
    """Parses one or more statements from a SQL string."""

    def __init__(self, sql: str):
        self.sql = sql
        self.tokens = tokenize(sql)
        self.i = 0
        self.param_names: list[Optional[str]] = []
        self._named: dict[str, int] = {}
        self._next_param = 0

    # ----------------------------------------------------------- token helpers

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        j = min(self.i + k, len(self.tokens) - 1)
        return self.tokens[j]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        if t.kind != EOF:
            self.i += 1
        return t

    def error(self, message: Optional[str] = None, tok: Optional[Token] = None) -> SQLError:
        tok = tok or self.tok
        if message is None:
            if tok.kind == EOF:
                message = "incomplete input"
            else:
                message = f'near "{self.sql[tok.pos:tok.pos + len(tok.text)] or tok.text}": syntax error'
        return SQLError(message, self.sql, tok.pos)

    def is_word(self, *words: str) -> bool:
        t = self.tok
        return t.kind == WORD and t.text in words

    def is_op(self, *ops: str) -> bool:
        t = self.tok
        return t.kind == OP and t.text in ops

    def accept_word(self, *words: str) -> Optional[str]:
        t = self.tok
        if t.kind == WORD and t.text in words:
            self.i += 1
            return t.text
        return None

    def accept_op(self, *ops: str) -> Optional[str]:
        t = self.tok
        if t.kind == OP and t.text in ops:
            self.i += 1
            return t.text
        return None

    def expect_word(self, *words: str) -> str:
        w = self.accept_word(*words)
        if w is None:
            raise self.error()
        return w

    def expect_op(self, op: str) -> None:
        if not self.accept_op(op):
            raise self.error()

    def accept_words(self, *words: str) -> bool:
        """Accept a fixed sequence of keywords, or nothing."""
        for k, w in enumerate(words):
            t = self.peek(k)
            if t.kind != WORD or t.text != w:
                return False
        self.i += len(words)
        return True

    def identifier(self, what: str = "name", allow_reserved: bool = False) -> str:
        t = self.tok
        if t.kind == QUOTED:
            self.i += 1
            return t.value  # type: ignore[return-value]
        if t.kind == WORD and (allow_reserved or t.text not in RESERVED):
            self.i += 1
            return t.value  # type: ignore[return-value]
        if t.kind == STRING:  # SQLite accepts 'name' where a name is expected
            self.i += 1
            return t.value  # type: ignore[return-value]
        if t.kind == EOF:
            raise self.error()
        raise self.error(f'near "{self.sql[t.pos:t.pos + len(t.text)]}": syntax error (expected {what})')

    def maybe_schema_name(self) -> tuple[Optional[str], str, int]:
        pos = self.tok.pos
        name = self.identifier("table name")
        if self.accept_op("."):
            return name, self.identifier("table name"), pos
        return None, name, pos

    def name_list(self) -> list[str]:
        self.expect_op("(")
        names = [self.identifier("column name")]
        while self.accept_op(","):
            names.append(self.identifier("column name"))
        self.expect_op(")")
        return names

    # -------------------------------------------------------------- statements

    def parse_statement(self) -> Any:
        t = self.tok
        if t.kind != WORD and not (t.kind == OP and t.text == "("):
            raise self.error()
        w = t.text
        if w == "EXPLAIN":
            self.advance()
            qp = self.accept_words("QUERY", "PLAN")
            return A.Explain(self.parse_statement(), qp)
        if w in ("SELECT", "VALUES", "WITH") or t.kind == OP:
            if w == "WITH":
                return self.parse_with_statement()
            return self.parse_select()
        handler = _STATEMENTS.get(w)
        if handler is None:
            raise self.error()
        return handler(self)

    def parse_with_statement(self) -> Any:
        stmt: Any
        with_ = self.parse_with()
        if self.is_word("SELECT", "VALUES") or self.is_op("("):
            sel = self.parse_select(with_=with_)
            return sel
        if self.is_word("INSERT", "REPLACE"):
            stmt = self.parse_insert()
        elif self.is_word("UPDATE"):
            stmt = self.parse_update()
        elif self.is_word("DELETE"):
            stmt = self.parse_delete()
        else:
            raise self.error()
        stmt.with_ = with_
        return stmt

    def parse_with(self) -> A.With:
        self.expect_word("WITH")
        recursive = bool(self.accept_word("RECURSIVE"))
        ctes = []
        while True:
            name = self.identifier("table name")
            cols = self.name_list() if self.is_op("(") else None
            self.expect_word("AS")
            mat: Optional[bool] = None
            if self.accept_words("NOT", "MATERIALIZED"):
                mat = False
            elif self.accept_word("MATERIALIZED"):
                mat = True
            self.expect_op("(")
            sel = self.parse_select()
            self.expect_op(")")
            ctes.append(A.CTE(name, cols, sel, mat))
            if not self.accept_op(","):
                break
        return A.With(recursive, ctes)

    # ------------------------------------------------------------------ SELECT

    def parse_select(self, with_: Optional[A.With] = None) -> A.Select:
        if with_ is None and self.is_word("WITH"):
            with_ = self.parse_with()
        body = self.parse_compound()
        last = body
        while isinstance(last, A.Compound):
            last = last.right
        if isinstance(last, A.Values) and self.is_word("ORDER", "LIMIT"):
            raise self.error()   # SQLite's grammar: a trailing VALUES takes no ORDER BY/LIMIT
        order_by, limit, offset = self.parse_dml_limit()
        self.bind_windows(body, order_by)
        return A.Select(body, order_by, limit, offset, with_)

    def bind_windows(self, body: A.SelectBody, order_by: list[A.OrderingTerm]) -> None:
        """Replace ``OVER name`` and ``OVER (name ...)`` by the definitions they name."""
        cores = []
        stack: list[Any] = [body]
        while stack:
            b = stack.pop()
            if isinstance(b, A.Compound):
                stack += [b.left, b.right]
            elif isinstance(b, A.SelectCore):
                cores.append(b)
        for core in cores:
            roots: list[Any] = [rc.expr for rc in core.columns]
            if core is body:
                roots += [t.expr for t in order_by]
            roots += list(core.windows.values())
            for call in _window_calls(roots):
                call.window = self.resolve_window(call.window, core.windows, set(), call.named)
                call.named = False
            for name in list(core.windows):
                core.windows[name] = self.resolve_window(core.windows[name], core.windows, {name})

    def resolve_window(self, spec: A.WindowSpec, windows: dict[str, A.WindowSpec],
                       busy: set[str], by_name: bool = False) -> A.WindowSpec:
        if spec.base is None:
            return spec
        key = spec.base.lower()
        base = windows.get(key)
        if base is None or key in busy:
            raise SQLError(f"no such window: {spec.base}", self.sql, spec.pos)
        base = self.resolve_window(base, windows, busy | {key})
        if by_name:
            return base
        if spec.partition:
            raise SQLError(f"cannot override PARTITION clause of window: {spec.base}", self.sql, spec.pos)
        if spec.order and base.order:
            raise SQLError(f"cannot override ORDER BY clause of window: {spec.base}", self.sql, spec.pos)
        if base.frame is not None:
            raise SQLError(f"cannot override frame specification of window: {spec.base}",
                           self.sql, spec.pos)
        return A.WindowSpec(None, base.partition, spec.order or base.order,
                            spec.frame if spec.frame is not None else base.frame, spec.pos)

    def parse_ordering_terms(self) -> list[A.OrderingTerm]:
        terms = []
        while True:
            e = self.parse_expr()
            desc = False
            if self.accept_word("DESC"):
                desc = True
            else:
                self.accept_word("ASC")
            nulls = None
            if self.accept_word("NULLS"):
                nulls = self.expect_word("FIRST", "LAST") == "FIRST"
            terms.append(A.OrderingTerm(e, desc, nulls))
            if not self.accept_op(","):
                return terms

    def parse_compound(self) -> A.SelectBody:
        left = self.parse_select_core()
        while True:
            if self.accept_word("UNION"):
                op = "UNION ALL" if self.accept_word("ALL") else "UNION"
            elif self.accept_word("INTERSECT"):
                op = "INTERSECT"
            elif self.accept_word("EXCEPT"):
                op = "EXCEPT"
            else:
                return left
            right = self.parse_select_core()
            left = A.Compound(op, left, right)

    def parse_select_core(self) -> A.SelectBody:
        if self.accept_word("VALUES"):
            rows = []
            while True:
                self.expect_op("(")
                rows.append(self.parse_expr_list())
                self.expect_op(")")
                if not self.accept_op(","):
                    break
            width = len(rows[0])
            if any(len(r) != width for r in rows):
                raise self.error("all VALUES must have the same number of terms")
            return A.Values(rows)
        if self.is_op("("):
            # A parenthesized select in compound position is not SQLite syntax,
            # but "(SELECT ...)" as a whole statement is common in tests.
            raise self.error()
        self.expect_word("SELECT")
        distinct = False
        if self.accept_word("DISTINCT"):
            distinct = True
        else:
            self.accept_word("ALL")
        columns = self.parse_result_columns()
        from_ = where = having = None
        group_by: list[A.Expr] = []
        if self.accept_word("FROM"):
            from_ = self.parse_from()
        if self.accept_word("WHERE"):
            where = self.parse_expr()
        if self.accept_word("GROUP"):
            self.expect_word("BY")
            group_by = self.parse_expr_list()
            if self.accept_word("HAVING"):
                having = self.parse_expr()
        elif self.accept_word("HAVING"):
            having = self.parse_expr()
        windows: dict[str, A.WindowSpec] = {}
        if self.accept_word("WINDOW"):
            while True:
                name = self.identifier("window name")
                self.expect_word("AS")
                self.expect_op("(")
                windows[name.lower()] = self.parse_window_spec()
                self.expect_op(")")
                if not self.accept_op(","):
                    break
        return A.SelectCore(columns, from_, where, group_by, having, distinct, windows)

    def parse_window_spec(self) -> A.WindowSpec:
        """The inside of ``OVER (...)`` or ``WINDOW name AS (...)``."""
        spec = A.WindowSpec(pos=self.tok.pos)
        t = self.tok
        if t.kind in (WORD, QUOTED) and not (t.kind == WORD and t.text in (
                "PARTITION", "ORDER", "RANGE", "ROWS", "GROUPS")):
            spec.base = self.identifier("window name")
        if self.accept_word("PARTITION"):
            self.expect_word("BY")
            spec.partition = self.parse_expr_list()
        if self.accept_word("ORDER"):
            self.expect_word("BY")
            spec.order = self.parse_ordering_terms()
        unit = self.accept_word("RANGE", "ROWS", "GROUPS")
        if unit is not None:
            if self.accept_word("BETWEEN"):
                start = self.parse_frame_bound(True)
                self.expect_word("AND")
                end = self.parse_frame_bound(False)
            else:
                start = self.parse_frame_bound(True)
                if start.kind == "FOLLOWING":
                    raise self.error("unsupported frame specification")
                end = A.FrameBound("CURRENT ROW")
            ranks = ["UNBOUNDED PRECEDING", "PRECEDING", "CURRENT ROW", "FOLLOWING", "UNBOUNDED FOLLOWING"]
            if ranks.index(start.kind) > ranks.index(end.kind):
                raise self.error("unsupported frame specification")
            exclude = None
            if self.accept_word("EXCLUDE"):
                if self.accept_words("NO", "OTHERS"):
                    exclude = "NO OTHERS"      # excludes nothing, but SQLite evaluates it apart
                elif self.accept_words("CURRENT", "ROW"):
                    exclude = "CURRENT ROW"
                else:
                    exclude = self.expect_word("GROUP", "TIES")
            spec.frame = A.Frame(unit, start, end, exclude)
        return spec

    def parse_frame_bound(self, is_start: bool) -> A.FrameBound:
        """UNBOUNDED PRECEDING|FOLLOWING, CURRENT ROW, or expr PRECEDING|FOLLOWING."""
        if self.accept_word("UNBOUNDED"):
            if is_start:
                self.expect_word("PRECEDING")
                return A.FrameBound("UNBOUNDED PRECEDING")
            self.expect_word("FOLLOWING")
            return A.FrameBound("UNBOUNDED FOLLOWING")
        if self.accept_words("CURRENT", "ROW"):
            return A.FrameBound("CURRENT ROW")
        e = self.parse_expr()
        kind = self.expect_word("PRECEDING", "FOLLOWING")
        return A.FrameBound(kind, e)

    def parse_result_columns(self) -> list[A.ResultColumn]:
        cols = []
        while True:
            start = self.tok.pos
            if self.is_op("*"):
                t = self.advance()
                cols.append(A.ResultColumn(A.Star(None, t.pos), None, "*"))
            elif (self.tok.kind in (WORD, QUOTED) and self.peek().kind == OP and self.peek().text == "."
                  and self.peek(2).kind == OP and self.peek(2).text == "*"):
                t = self.tok
                name = self.identifier()
                self.advance()
                self.advance()
                cols.append(A.ResultColumn(A.Star(name, t.pos), None, f"{name}.*"))
            else:
                e = self.parse_expr()
                end = self.tokens[self.i - 1]
                text = self.sql[start:end.pos + len(end.text)]
                alias = None
                if self.accept_word("AS"):
                    alias = self.identifier("alias", allow_reserved=False)
                elif self.tok.kind == QUOTED or self.tok.kind == STRING or (
                        self.tok.kind == WORD and self.tok.text not in ALIAS_STOP):
                    alias = self.identifier("alias")
                cols.append(A.ResultColumn(e, alias, text))
            if not self.accept_op(","):
                return cols

    def parse_from(self) -> A.FromItem:
        left = self.parse_table_or_subquery()
        while True:
            if self.accept_op(","):
                right = self.parse_table_or_subquery()
                left = A.Join(left, right, "CROSS")
                continue
            natural = bool(self.accept_word("NATURAL"))
            kind = None
            if self.accept_word("LEFT"):
                self.accept_word("OUTER")
                kind = "LEFT"
            elif self.accept_word("RIGHT"):
                self.accept_word("OUTER")
                kind = "RIGHT"
            elif self.accept_word("FULL"):
                self.accept_word("OUTER")
                kind = "FULL"
            elif self.accept_word("INNER"):
                kind = "INNER"
            elif self.accept_word("CROSS"):
                kind = "CROSS"
            if kind is None and not self.is_word("JOIN"):
                if natural:
                    raise self.error()
                return left
            self.expect_word("JOIN")
            right = self.parse_table_or_subquery()
            on = None
            using = None
            if self.accept_word("ON"):
                on = self.parse_expr()
            elif self.accept_word("USING"):
                using = self.name_list()
            left = A.Join(left, right, kind or "INNER", on, using, natural)

    def parse_alias(self) -> Optional[str]:
        if self.accept_word("AS"):
            return self.identifier("alias")
        t = self.tok
        if t.kind == QUOTED or t.kind == STRING or (t.kind == WORD and t.text not in ALIAS_STOP):
            return self.identifier("alias")
        return None

    def parse_table_or_subquery(self) -> A.FromItem:
        if self.accept_op("("):
            if self.is_word("SELECT", "VALUES", "WITH"):
                sel = self.parse_select()
                self.expect_op(")")
                return A.SubqueryRef(sel, self.parse_alias())
            inner = self.parse_from()
            self.expect_op(")")
            alias = self.parse_alias()
            if alias is not None and isinstance(inner, A.TableRef):
                inner.alias = alias
            return inner
        schema, name, pos = self.maybe_schema_name()
        if self.accept_op("("):
            args = [] if self.is_op(")") else self.parse_expr_list()
            self.expect_op(")")
            return A.TableFunction(name, args, self.parse_alias(), pos)
        alias = self.parse_alias()
        if self.accept_word("INDEXED"):
            self.expect_word("BY")
            self.identifier("index name")
        elif self.accept_words("NOT", "INDEXED"):
            pass
        return A.TableRef(name, alias, schema, pos)

    # --------------------------------------------------------------------- DML

    def parse_conflict_clause(self) -> str:
        """The statement's OR clause; "" when absent (each constraint's own clause applies)."""
        if self.accept_word("OR"):
            return self.expect_word(*CONFLICT_ACTIONS)
        return ""

    def parse_insert(self) -> A.Insert:
        pos = self.tok.pos
        if self.accept_word("REPLACE"):
            conflict = "REPLACE"
        else:
            self.expect_word("INSERT")
            conflict = self.parse_conflict_clause()
        self.expect_word("INTO")
        _, table, _ = self.maybe_schema_name()
        alias = None
        if self.accept_word("AS"):
            alias = self.identifier("alias")
        columns = self.name_list() if self.is_op("(") else None
        source: Optional[A.Select]
        if self.accept_words("DEFAULT", "VALUES"):
            source = None
        elif self.is_word("SELECT", "VALUES", "WITH"):
            source = self.parse_select()
        else:
            raise self.error()
        upserts = []
        while self.is_word("ON") and self.peek().kind == WORD and self.peek().text == "CONFLICT":
            self.i += 2
            target = target_where = None
            if self.accept_op("("):
                target = [self.parse_indexed_column()]
                while self.accept_op(","):
                    target.append(self.parse_indexed_column())
                self.expect_op(")")
                if self.accept_word("WHERE"):
                    target_where = self.parse_expr()
            self.expect_word("DO")
            if self.accept_word("NOTHING"):
                upserts.append(A.Upsert(target, target_where, None))
            else:
                self.expect_word("UPDATE")
                self.expect_word("SET")
                sets = self.parse_set_list()
                where = self.parse_expr() if self.accept_word("WHERE") else None
                upserts.append(A.Upsert(target, target_where, sets, where))
        returning = self.parse_returning()
        return A.Insert(table, columns, source, conflict, upserts, returning, None, alias, pos)

    def parse_returning(self) -> Optional[list[A.ResultColumn]]:
        if self.accept_word("RETURNING"):
            return self.parse_result_columns()
        return None

    def parse_set_list(self) -> list[tuple[list[str], A.Expr]]:
        sets = []
        while True:
            if self.is_op("("):
                cols = self.name_list()
            else:
                cols = [self.identifier("column name")]
            self.expect_op("=")
            sets.append((cols, self.parse_expr()))
            if not self.accept_op(","):
                return sets

    def parse_update(self) -> A.Update:
        pos = self.tok.pos
        self.expect_word("UPDATE")
        conflict = self.parse_conflict_clause()
        _, table, _ = self.maybe_schema_name()
        alias = None
        if self.accept_word("AS"):
            alias = self.identifier("alias")
        if self.accept_word("INDEXED"):
            self.expect_word("BY")
            self.identifier()
        elif self.accept_words("NOT", "INDEXED"):
            pass
        self.expect_word("SET")
        sets = self.parse_set_list()
        from_ = self.parse_from() if self.accept_word("FROM") else None
        where = self.parse_expr() if self.accept_word("WHERE") else None
        returning = self.parse_returning()
        order_by, limit, offset = self.parse_dml_limit()
        return A.Update(table, sets, where, from_, conflict, returning, None, alias,
                        order_by, limit, offset, pos)

    def parse_dml_limit(self) -> tuple[list[A.OrderingTerm], Optional[A.Expr], Optional[A.Expr]]:
        """[ORDER BY ...] [LIMIT n [OFFSET m] | LIMIT m, n] after a SELECT, UPDATE or DELETE."""
        order_by: list[A.OrderingTerm] = []
        limit = offset = None
        if self.accept_word("ORDER"):
            self.expect_word("BY")
            order_by = self.parse_ordering_terms()
        if self.accept_word("LIMIT"):
            limit = self.parse_expr()
            if self.accept_word("OFFSET"):
                offset = self.parse_expr()
            elif self.accept_op(","):
                offset, limit = limit, self.parse_expr()
        return order_by, limit, offset

    def parse_delete(self) -> A.Delete:
        pos = self.tok.pos
        self.expect_word("DELETE")
        self.expect_word("FROM")
        _, table, _ = self.maybe_schema_name()
        alias = None
        if self.accept_word("AS"):
            alias = self.identifier("alias")
        if self.accept_word("INDEXED"):
            self.expect_word("BY")
            self.identifier()
        elif self.accept_words("NOT", "INDEXED"):
            pass
        where = self.parse_expr() if self.accept_word("WHERE") else None
        returning = self.parse_returning()
        order_by, limit, offset = self.parse_dml_limit()
        return A.Delete(table, where, returning, None, alias, order_by, limit, offset, pos)

    # --------------------------------------------------------------------- DDL

    def parse_create(self) -> Any:
        pos = self.tok.pos
        self.expect_word("CREATE")
        temporary = bool(self.accept_word("TEMP", "TEMPORARY"))
        if temporary and not self.is_word("VIEW"):
            raise SQLError("TEMP tables and triggers are not supported yet (TEMP views are): create "
                           "a regular object and drop it when done, or use a separate :memory: "
                           "connection", self.sql, self.tokens[self.i - 1].pos)
        if self.accept_word("TABLE"):
            return self.parse_create_table(temporary, pos)
        if self.accept_word("VIEW"):
            return self.parse_create_view(temporary, pos)
        if self.accept_word("TRIGGER"):
            return self.parse_create_trigger(temporary, pos)
        unique = bool(self.accept_word("UNIQUE"))
        if self.accept_word("INDEX"):
            return self.parse_create_index(unique, pos)
        if self.is_word("VIRTUAL"):
            raise SQLError("virtual tables are not supported", self.sql, self.tok.pos)
        raise self.error()

    def parse_if_not_exists(self) -> bool:
        return self.accept_words("IF", "NOT", "EXISTS")

    def parse_create_table(self, temporary: bool, pos: int) -> A.CreateTable:
        ine = self.parse_if_not_exists()
        name_pos = self.tok.pos
        _, name, _ = self.maybe_schema_name()
        if self.accept_word("AS"):
            return A.CreateTable(name, [], [], ine, temporary, self.parse_select(), pos=pos,
                                 name_pos=name_pos)
        self.expect_op("(")
        columns: list[A.ColumnDef] = []
        constraints: list[A.TableConstraint] = []
        while True:
            if self.is_word("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
                constraints.append(self.parse_table_constraint())
            else:
                if constraints:
                    raise self.error()
                columns.append(self.parse_column_def())
            if not self.accept_op(","):
                break
        self.expect_op(")")
        without_rowid = strict = False
        while True:
            if self.accept_words("WITHOUT", "ROWID"):
                without_rowid = True
            elif self.accept_word("STRICT"):
                strict = True
            else:
                break
            if not self.accept_op(","):
                break
        return A.CreateTable(name, columns, constraints, ine, temporary, None, without_rowid, strict, pos,
                             name_pos)

    def parse_type_name(self) -> str:
        words: list[str] = []
        while self.tok.kind == WORD and self.tok.text not in _COLUMN_CONSTRAINT_START or (
                self.tok.kind == QUOTED and not words):
            words.append(str(self.advance().value))
        if not words:
            return ""
        name = " ".join(words)
        if self.accept_op("("):
            args = [self.parse_signed_number()]
            if self.accept_op(","):
                args.append(self.parse_signed_number())
            self.expect_op(")")
            name += "(" + ",".join(args) + ")"
        return name

    def parse_signed_number(self) -> str:
        sign = self.accept_op("+", "-") or ""
        t = self.advance()
        if t.kind not in (INTEGER, FLOAT):
            if t.kind == WORD:  # e.g. VARCHAR(max) in foreign dialects
                return t.text
            raise self.error(tok=t)
        return sign + t.text

    def parse_column_def(self) -> A.ColumnDef:
        col = A.ColumnDef(self.identifier("column name"))
        col.type_name = self.parse_type_name()
        while True:
            if self.accept_word("CONSTRAINT"):
                self.identifier("constraint name")
            if self.accept_word("PRIMARY"):
                self.expect_word("KEY")
                col.primary_key = True
                if self.accept_word("DESC"):
                    col.pk_desc = True
                else:
                    self.accept_word("ASC")
                col.pk_conflict = self.parse_on_conflict()
                col.autoincrement = bool(self.accept_word("AUTOINCREMENT"))
            elif self.accept_word("NOT"):
                self.expect_word("NULL")
                col.not_null = True
                col.not_null_conflict = self.parse_on_conflict()
            elif self.accept_word("NULL"):
                self.parse_on_conflict()
            elif self.accept_word("UNIQUE"):
                col.unique = True
                col.unique_conflict = self.parse_on_conflict()
            elif self.accept_word("CHECK"):
                self.expect_op("(")
                col.checks.append(self.parse_expr())
                self.expect_op(")")
            elif self.accept_word("DEFAULT"):
                if self.accept_op("("):
                    col.default = self.parse_expr()
                    self.expect_op(")")
                elif self.tok.kind in (INTEGER, FLOAT, STRING, BLOB) or self.is_op("+", "-"):
                    sign = self.accept_op("+", "-")
                    t = self.advance()
                    if t.kind not in (INTEGER, FLOAT, STRING, BLOB) or (sign and t.kind in (STRING, BLOB)):
                        raise self.error(tok=t)
                    v = t.value
                    if sign == "-" and t.kind == FLOAT and t.text == "9223372036854775808":
                        v = 9223372036854775808  # -v below is the smallest INTEGER
                    col.default = A.Literal(-v if sign == "-" else v)  # type: ignore[operator]
                elif self.tok.kind == WORD:
                    t = self.advance()
                    if t.text == "NULL":
                        col.default = A.Literal(None)
                    elif t.text in ("TRUE", "FALSE"):
                        col.default = A.Literal(1 if t.text == "TRUE" else 0)
                    elif t.text in ("CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"):
                        col.default = A.Function(t.text.lower(), [])
                    else:
                        col.default = A.Literal(t.value)
                elif self.tok.kind == QUOTED:
                    col.default = A.Literal(self.advance().value)
                else:
                    raise self.error()
            elif self.accept_word("COLLATE"):
                col.collation = self.identifier("collation name").upper()
            elif self.accept_word("REFERENCES"):
                self.parse_foreign_key_clause()
            elif self.accept_word("GENERATED") or self.is_word("AS"):
                if not self.accept_word("AS"):
                    self.expect_word("ALWAYS")
                    self.expect_word("AS")
                self.expect_op("(")
                col.generated = self.parse_expr()
                self.expect_op(")")
                if self.accept_word("STORED"):
                    col.generated_stored = True
                else:
                    self.accept_word("VIRTUAL")
            else:
                return col

    def parse_on_conflict(self) -> str:
        if self.accept_word("ON"):
            self.expect_word("CONFLICT")
            return self.expect_word(*CONFLICT_ACTIONS)
        return "ABORT"

    def parse_foreign_key_clause(self) -> None:
        self.identifier("table name")
        if self.is_op("("):
            self.name_list()
        while True:
            if self.accept_word("ON"):
                self.expect_word("DELETE", "UPDATE")
                if self.accept_word("SET"):
                    self.expect_word("NULL", "DEFAULT")
                elif self.accept_word("NO"):
                    self.expect_word("ACTION")
                else:
                    self.expect_word("CASCADE", "RESTRICT")
            elif self.accept_word("MATCH"):
                self.identifier()
            elif self.is_word("NOT", "DEFERRABLE"):
                self.accept_word("NOT")
                self.expect_word("DEFERRABLE")
                if self.accept_word("INITIALLY"):
                    self.expect_word("DEFERRED", "IMMEDIATE")
            else:
                return

    def parse_indexed_column(self) -> A.IndexedColumn:
        e = self.parse_expr()
        collation = None
        if isinstance(e, A.Collate):
            collation, e = e.collation, e.expr
        desc = False
        if self.accept_word("DESC"):
            desc = True
        else:
            self.accept_word("ASC")
        return A.IndexedColumn(e, collation, desc)

    def parse_table_constraint(self) -> A.TableConstraint:
        name = None
        if self.accept_word("CONSTRAINT"):
            name = self.identifier("constraint name")
        if self.accept_word("PRIMARY"):
            self.expect_word("KEY")
            kind = "PRIMARY KEY"
        elif self.accept_word("UNIQUE"):
            kind = "UNIQUE"
        elif self.accept_word("CHECK"):
            self.expect_op("(")
            e = self.parse_expr()
            self.expect_op(")")
            return A.TableConstraint("CHECK", [], e, name=name)
        elif self.accept_word("FOREIGN"):
            self.expect_word("KEY")
            self.name_list()
            self.expect_word("REFERENCES")
            self.parse_foreign_key_clause()
            return A.TableConstraint("FOREIGN KEY", name=name)
        else:
            raise self.error()
        self.expect_op("(")
        cols = [self.parse_indexed_column()]
        while self.accept_op(","):
            cols.append(self.parse_indexed_column())
        self.expect_op(")")
        self.accept_word("AUTOINCREMENT")
        return A.TableConstraint(kind, cols, None, self.parse_on_conflict(), name)

    def parse_create_index(self, unique: bool, pos: int) -> A.CreateIndex:
        ine = self.parse_if_not_exists()
        name_pos = self.tok.pos
        _, name, _ = self.maybe_schema_name()
        self.expect_word("ON")
        table = self.identifier("table name")
        self.expect_op("(")
        cols = [self.parse_indexed_column()]
        while self.accept_op(","):
            cols.append(self.parse_indexed_column())
        self.expect_op(")")
        where = self.parse_expr() if self.accept_word("WHERE") else None
        return A.CreateIndex(name, table, cols, unique, ine, where, pos, name_pos)

    def parse_create_view(self, temporary: bool, pos: int) -> A.CreateView:
        ine = self.parse_if_not_exists()
        name_pos = self.tok.pos
        _, name, _ = self.maybe_schema_name()
        cols = self.name_list() if self.is_op("(") else None
        self.expect_word("AS")
        return A.CreateView(name, self.parse_select(), cols, ine, temporary, pos, name_pos)

    def parse_create_trigger(self, temporary: bool, pos: int) -> A.CreateTrigger:
        ine = self.parse_if_not_exists()
        name_pos = self.tok.pos
        _, name, _ = self.maybe_schema_name()
        timing = "BEFORE"
        if self.accept_word("BEFORE"):
            timing = "BEFORE"
        elif self.accept_word("AFTER"):
            timing = "AFTER"
        elif self.accept_words("INSTEAD", "OF"):
            timing = "INSTEAD OF"
        event = self.expect_word("INSERT", "UPDATE", "DELETE")
        columns = None
        if event == "UPDATE" and self.accept_word("OF"):
            columns = [self.identifier("column name")]
            while self.accept_op(","):
                columns.append(self.identifier("column name"))
        self.expect_word("ON")
        table = self.identifier("table name")
        if self.accept_word("FOR"):
            self.expect_word("EACH")
            self.expect_word("ROW")
        when = self.parse_expr() if self.accept_word("WHEN") else None
        self.expect_word("BEGIN")
        body: list[Any] = []
        while not self.accept_word("END"):
            if self.is_word("SELECT", "VALUES", "WITH"):
                body.append(self.parse_select())
            elif self.is_word("INSERT", "REPLACE"):
                body.append(self.parse_insert())
            elif self.is_word("UPDATE"):
                body.append(self.parse_update())
            elif self.is_word("DELETE"):
                body.append(self.parse_delete())
            else:
                raise self.error()
            if not self.accept_op(";"):
                raise self.error()
        if not body:
            raise self.error()
        return A.CreateTrigger(name, table, timing, event, body, columns, when, ine, temporary, pos,
                               name_pos)

    def parse_drop(self) -> A.Drop:
        pos = self.tok.pos
        self.expect_word("DROP")
        kind = self.expect_word("TABLE", "INDEX", "VIEW", "TRIGGER")
        if_exists = self.accept_words("IF", "EXISTS")
        _, name, _ = self.maybe_schema_name()
        return A.Drop(kind, name, if_exists, pos)

    def parse_alter(self) -> A.AlterTable:
        pos = self.tok.pos
        self.expect_word("ALTER")
        self.expect_word("TABLE")
        _, table, _ = self.maybe_schema_name()
        if self.accept_word("RENAME"):
            if self.accept_word("TO"):
                return A.AlterTable(table, "RENAME", new_name=self.identifier("table name"), pos=pos)
            self.accept_word("COLUMN")
            old = self.identifier("column name")
            self.expect_word("TO")
            return A.AlterTable(table, "RENAME COLUMN", new_name=self.identifier("column name"),
                                column=old, pos=pos)
        if self.accept_word("ADD"):
            self.accept_word("COLUMN")
            return A.AlterTable(table, "ADD COLUMN", column_def=self.parse_column_def(), pos=pos)
        if self.accept_word("DROP"):
            self.accept_word("COLUMN")
            return A.AlterTable(table, "DROP COLUMN", column=self.identifier("column name"), pos=pos)
        raise self.error()

    # ------------------------------------------------------ transactions, misc

    def parse_begin(self) -> A.Begin:
        self.expect_word("BEGIN")
        mode = self.accept_word("DEFERRED", "IMMEDIATE", "EXCLUSIVE") or "DEFERRED"
        self.accept_word("TRANSACTION")
        return A.Begin(mode)

    def parse_commit(self) -> A.Commit:
        self.expect_word("COMMIT", "END")
        self.accept_word("TRANSACTION")
        return A.Commit()

    def parse_rollback(self) -> A.Rollback:
        self.expect_word("ROLLBACK")
        self.accept_word("TRANSACTION")
        if self.accept_word("TO"):
            self.accept_word("SAVEPOINT")
            return A.Rollback(self.identifier("savepoint name"))
        return A.Rollback()

    def parse_savepoint(self) -> A.Savepoint:
        self.expect_word("SAVEPOINT")
        return A.Savepoint(self.identifier("savepoint name"))

    def parse_release(self) -> A.Release:
        self.expect_word("RELEASE")
        self.accept_word("SAVEPOINT")
        return A.Release(self.identifier("savepoint name"))

    def parse_pragma(self) -> A.Pragma:
        self.expect_word("PRAGMA")
        schema, name, _ = self.maybe_schema_name()
        value: Any = None
        if self.accept_op("="):
            value = self.parse_pragma_value()
        elif self.accept_op("("):
            value = self.parse_pragma_value()
            self.expect_op(")")
        return A.Pragma(name.lower(), value, schema)

    def parse_pragma_value(self) -> Any:
        sign = self.accept_op("+", "-")
        t = self.advance()
        if t.kind in (INTEGER, FLOAT):
            return -t.value if sign == "-" else t.value  # type: ignore[operator]
        if t.kind in (WORD, QUOTED, STRING):
            return t.value
        raise self.error(tok=t)

    def parse_reindex(self) -> A.Reindex:
        self.expect_word("REINDEX")
        if self.tok.kind in (WORD, QUOTED):
            _, name, _ = self.maybe_schema_name()
            return A.Reindex(name)
        return A.Reindex()

    def parse_vacuum(self) -> A.Vacuum:
        self.expect_word("VACUUM")
        return A.Vacuum()

    def parse_analyze(self) -> A.Analyze:
        self.expect_word("ANALYZE")
        if self.tok.kind in (WORD, QUOTED):
            _, name, _ = self.maybe_schema_name()
            return A.Analyze(name)
        return A.Analyze()

    def parse_attach(self) -> Any:
        raise SQLError("ATTACH is not supported: open each database with terndb.connect()",
                       self.sql, self.tok.pos)

    # ------------------------------------------------------------- expressions

    def parse_expr_list(self) -> list[A.Expr]:
        items = [self.parse_expr()]
        while self.accept_op(","):
            items.append(self.parse_expr())
        return items

    def parse_expr(self, min_prec: int = P_OR) -> A.Expr:
        t = self.tok
        if t.kind == WORD and t.text == "NOT":
            # NOT where an operand is expected: 1 + NOT 0 is 1 + (NOT 0).
            self.advance()
            left: A.Expr = A.Unary("NOT", self.parse_expr(P_NOT))
        else:
            left = self.parse_unary()
        while True:
            t = self.tok
            kind, text = t.kind, t.text
            if kind == OP:
                if text in _CONCAT:
                    prec = P_CONCAT
                elif text in _MULTIPLICATIVE:
                    prec = P_MUL
                elif text in _ADDITIVE:
                    prec = P_ADD
                elif text in _BITWISE:
                    prec = P_BIT
                elif text in _RELATIONAL:
                    prec = P_REL
                elif text in _COMPARE:
                    prec = P_EQ
                else:
                    return left
                if prec < min_prec:
                    return left
                self.advance()
                right = self.parse_expr(prec + 1)
                op = _COMPARE.get(text, text)
                left = A.Binary(op, left, right, t.pos)
                continue
            if kind != WORD:
                return left
            if text == "OR" or text == "AND":
                prec = P_OR if text == "OR" else P_AND
                if prec < min_prec:
                    return left
                self.advance()
                left = A.Binary(text, left, self.parse_expr(prec + 1), t.pos)
                continue
            if text == "COLLATE":
                if P_COLLATE < min_prec:
                    return left
                self.advance()
                left = A.Collate(left, self.identifier("collation name").upper())
                continue
            if P_EQ < min_prec:
                return left
            # Level of IS / IN / LIKE / BETWEEN / ISNULL / NOTNULL.
            negated = False
            if text == "NOT":
                nxt = self.peek()
                if nxt.kind != WORD or nxt.text not in ("IN", "LIKE", "GLOB", "MATCH", "REGEXP",
                                                        "BETWEEN", "NULL"):
                    return left
                self.advance()
                negated = True
                t = self.tok
                text = t.text
            if text == "ISNULL" or text == "NOTNULL":
                self.advance()
                left = A.IsNull(left, text == "NOTNULL")
            elif text == "NULL" and negated:
                self.advance()
                left = A.IsNull(left, True)
            elif text == "IS":
                self.advance()
                op = "IS"
                if self.accept_word("NOT"):
                    op = "ISNOT"
                if self.accept_word("DISTINCT"):
                    self.expect_word("FROM")
                    op = "ISNOT" if op == "IS" else "IS"
                left = A.Binary(op, left, self.parse_expr(P_EQ + 1), t.pos)
            elif text == "IN":
                self.advance()
                left = self.parse_in_rhs(left, negated)
            elif text in ("LIKE", "GLOB", "MATCH", "REGEXP"):
                self.advance()
                pattern = self.parse_expr(P_EQ + 1)
                escape = None
                if self.accept_word("ESCAPE"):
                    escape = self.parse_expr(P_ESCAPE)
                left = A.Like(text, left, pattern, escape, negated)
            elif text == "BETWEEN":
                self.advance()
                low = self.parse_expr(P_EQ + 1)
                self.expect_word("AND")
                high = self.parse_expr(P_EQ + 1)
                left = A.Between(left, low, high, negated)
            else:
                if negated:
                    raise self.error()
                return left

    def parse_in_rhs(self, left: A.Expr, negated: bool) -> A.Expr:
        if self.accept_op("("):
            if self.is_word("SELECT", "VALUES", "WITH"):
                sel = self.parse_select()
                self.expect_op(")")
                return A.InSelect(left, sel, negated)
            if self.accept_op(")"):
                return A.InList(left, [], negated)
            items = self.parse_expr_list()
            self.expect_op(")")
            return A.InList(left, items, negated)
        # x IN table
        _, name, pos = self.maybe_schema_name()
        if self.is_op("("):
            raise self.error("table-valued functions are not supported")
        sel = A.Select(A.SelectCore([A.ResultColumn(A.Star())], A.TableRef(name, None, None, pos)))
        return A.InSelect(left, sel, negated)

    def parse_unary(self) -> A.Expr:
        t = self.tok
        if t.kind == OP and t.text in ("-", "+", "~"):
            self.advance()
            nt = self.tok
            if (t.text == "-" and nt.kind == FLOAT and nt.text == "9223372036854775808"):
                # The one integer literal that only exists negated.
                self.advance()
                return A.Literal(-9223372036854775808)
            return A.Unary(t.text, self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> A.Expr:
        t = self.tok
        kind = t.kind
        if kind == INTEGER:
            self.advance()
            # SQLite only takes an integer as a column number (ORDER BY 2) when its
            # text fits in 32 bits (sqlite3GetInt32).
            text = t.text.lower()
            unsigned = int(text, 16) if text.startswith("0x") else int(text)
            return A.Literal(t.value, unsigned >= 2 ** 31)
        if kind == FLOAT or kind == STRING or kind == BLOB:
            self.advance()
            return A.Literal(t.value)
        if kind == PARAM:
            self.advance()
            return self.make_param(t)
        if kind == OP:
            if t.text == "(":
                self.advance()
                if self.is_word("SELECT", "VALUES", "WITH"):
                    sel = self.parse_select()
                    self.expect_op(")")
                    return A.Subquery(sel)
                e = self.parse_expr()
                if self.is_op(","):
                    items = [e]
                    while self.accept_op(","):
                        items.append(self.parse_expr())
                    self.expect_op(")")
                    return A.RowValue(items, t.pos)
                self.expect_op(")")
                return e
            raise self.error()
        if kind == QUOTED:
            self.advance()
            return self.parse_column_tail(t, quoted=True)
        if kind != WORD:
            raise self.error()
        w = t.text
        if w == "NULL":
            self.advance()
            return A.Literal(None)
        if w == "CASE":
            return self.parse_case()
        if w == "CAST":
            self.advance()
            self.expect_op("(")
            e = self.parse_expr()
            self.expect_word("AS")
            type_name = self.parse_type_name()
            self.expect_op(")")
            return A.Cast(e, type_name)
        if w == "EXISTS":
            self.advance()
            self.expect_op("(")
            sel = self.parse_select()
            self.expect_op(")")
            return A.Exists(sel)
        if w in ("CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"):
            self.advance()
            return A.Function(w.lower(), [], pos=t.pos)
        if w == "RAISE":
            self.advance()
            self.expect_op("(")
            action = self.expect_word("IGNORE", "ROLLBACK", "ABORT", "FAIL")
            msg = None
            if action != "IGNORE":
                self.expect_op(",")
                msg = self.parse_expr()
            self.expect_op(")")
            return A.Raise(action, msg)
        if w in RESERVED:
            raise self.error()
        self.advance()
        if self.is_op("("):
            return self.parse_function(t)
        return self.parse_column_tail(t, quoted=False)

    def parse_column_tail(self, t: Token, quoted: bool) -> A.Expr:
        if self.accept_op("."):
            t2 = self.tok
            name2 = self.identifier("column name")
            if self.accept_op("."):
                # schema.table.column
                name3 = self.identifier("column name")
                return A.Column(name3, name2, False, t.pos)
            return A.Column(name2, str(t.value), False, t2.pos)
        if not quoted and t.text in ("TRUE", "FALSE"):
            return A.Column(str(t.value), None, False, t.pos)
        return A.Column(str(t.value), None, quoted, t.pos)

    def parse_function(self, t: Token) -> A.Expr:
        name = str(t.value).lower()
        self.expect_op("(")
        distinct = star = False
        args: list[A.Expr] = []
        if self.accept_op("*"):
            star = True
        elif not self.is_op(")"):
            if self.accept_word("DISTINCT"):
                distinct = True
            else:
                self.accept_word("ALL")
            args = self.parse_expr_list()
            if self.is_word("ORDER"):
                raise self.error("ORDER BY inside an aggregate is not supported")
        self.expect_op(")")
        filt = None
        if self.accept_word("FILTER"):
            self.expect_op("(")
            self.expect_word("WHERE")
            filt = self.parse_expr()
            self.expect_op(")")
        func = A.Function(name, args, distinct, star, filt, t.pos)
        if self.is_word("OVER"):
            nxt = self.peek()
            if nxt.kind == OP and nxt.text == "(":
                self.advance()
                self.advance()
                spec = self.parse_window_spec()
                self.expect_op(")")
                return A.WindowCall(func, spec)
            if nxt.kind == QUOTED or (nxt.kind == WORD and nxt.text not in ALIAS_STOP):
                self.advance()
                pos = self.tok.pos
                return A.WindowCall(func, A.WindowSpec(self.identifier("window name"), pos=pos), True)
        return func

    def parse_case(self) -> A.Expr:
        self.expect_word("CASE")
        operand = None
        if not self.is_word("WHEN"):
            operand = self.parse_expr()
        whens = []
        while self.accept_word("WHEN"):
            cond = self.parse_expr()
            self.expect_word("THEN")
            whens.append((cond, self.parse_expr()))
        if not whens:
            raise self.error()
        else_ = self.parse_expr() if self.accept_word("ELSE") else None
        self.expect_word("END")
        return A.Case(operand, whens, else_)

    def make_param(self, t: Token) -> A.Param:
        text = t.text
        if text == "?":
            idx = self._next_param
        elif text[0] == "?":
            n = int(text[1:])
            if n < 1 or n > 32766:
                raise SQLError(f"variable number must be between ?1 and ?32766", self.sql, t.pos)
            idx = n - 1
        else:
            key = text
            if key in self._named:
                return A.Param(self._named[key], text[1:], t.pos)
            idx = self._next_param
            self._named[key] = idx
        while len(self.param_names) <= idx:
            self.param_names.append(None)
        if text[0] != "?":
            self.param_names[idx] = text[1:]
        self._next_param = max(self._next_param, idx + 1)
        return A.Param(idx, None if text[0] == "?" else text[1:], t.pos)


_COLUMN_CONSTRAINT_START = frozenset(
    "CONSTRAINT PRIMARY NOT NULL UNIQUE CHECK DEFAULT COLLATE REFERENCES GENERATED AS".split())

_STATEMENTS: dict[str, Callable[[Parser], Any]] = {
    "INSERT": Parser.parse_insert,
    "REPLACE": Parser.parse_insert,
    "UPDATE": Parser.parse_update,
    "DELETE": Parser.parse_delete,
    "CREATE": Parser.parse_create,
    "DROP": Parser.parse_drop,
    "ALTER": Parser.parse_alter,
    "BEGIN": Parser.parse_begin,
    "COMMIT": Parser.parse_commit,
    "END": Parser.parse_commit,
    "ROLLBACK": Parser.parse_rollback,
    "SAVEPOINT": Parser.parse_savepoint,
    "RELEASE": Parser.parse_release,
    "PRAGMA": Parser.parse_pragma,
    "REINDEX": Parser.parse_reindex,
    "VACUUM": Parser.parse_vacuum,
    "ANALYZE": Parser.parse_analyze,
    "ATTACH": Parser.parse_attach,
    "DETACH": Parser.parse_attach,
}


def parse(sql: str) -> list[A.Parsed]:
    """Parse every statement in ``sql`` (empty statements are skipped)."""
    p = Parser(sql)
    out: list[A.Parsed] = []
    while True:
        while p.accept_op(";"):
            pass
        if p.tok.kind == EOF:
            return out
        out.append(_parse_one(p))


def parse_one(sql: str) -> A.Parsed:
    """Parse exactly one statement; text after it (other than ';' and comments) is kept in ``tail``."""
    p = Parser(sql)
    while p.accept_op(";"):
        pass
    if p.tok.kind == EOF:
        return A.Parsed(None, sql, 0, [])
    parsed = _parse_one(p)
    while p.accept_op(";"):
        pass
    if p.tok.kind != EOF:
        parsed.tail = sql[p.tok.pos:]
    return parsed


def _parse_one(p: Parser) -> A.Parsed:
    start = p.tok.pos
    p.param_names = []
    p._named = {}
    p._next_param = 0
    stmt = p.parse_statement()
    if not (p.tok.kind == EOF or p.is_op(";")):
        raise p.error()
    end = p.tok.pos
    text = p.sql[start:end].strip()
    if isinstance(stmt, (A.CreateTable, A.CreateIndex, A.CreateView, A.CreateTrigger)) and stmt.name_pos:
        # Stored like SQLite stores it: "CREATE <KIND> " + the text from the name on.
        kind = {A.CreateTable: "TABLE", A.CreateView: "VIEW", A.CreateTrigger: "TRIGGER",
                A.CreateIndex: "INDEX"}[type(stmt)]
        if isinstance(stmt, A.CreateIndex) and stmt.unique:
            kind = "UNIQUE INDEX"
        text = f"CREATE {kind} " + p.sql[stmt.name_pos:end].rstrip().rstrip(";").rstrip()
    return A.Parsed(stmt, text, p._next_param, list(p.param_names))


def parse_expression(sql: str) -> A.Expr:
    """Parse a standalone expression (used for stored CHECK and DEFAULT clauses)."""
    p = Parser(sql)
    e = p.parse_expr()
    if p.tok.kind != EOF:
        raise p.error()
    return e


def _window_calls(roots: list[Any]) -> list[A.WindowCall]:
    """Window calls in expressions (and window definitions), not inside subqueries."""
    found = []
    stack = list(roots)
    while stack:
        x = stack.pop()
        if isinstance(x, A.WindowCall):
            found.append(x)
        if isinstance(x, A.Select) or x is None:
            continue
        if isinstance(x, list):
            stack.extend(x)
        elif hasattr(x, "__dataclass_fields__"):
            stack.extend(getattr(x, f) for f in x.__dataclass_fields__)
    return found
