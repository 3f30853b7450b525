"""Executing DDL: CREATE/DROP/ALTER, inside the writer's transaction.

Each operation copies the catalog, changes the copy and installs it on the
transaction; the commit persists it.  SQL text kept in the catalog is edited
token by token for ALTER TABLE, so ``sqlite_master`` shows what users expect.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..catalog.schema import (Catalog, ColumnInfo, IndexInfo, TableInfo, ViewInfo, build_index,
                              build_table, build_trigger)
from ..engine import Txn
from ..errors import IntegrityError, NotSupportedError, ProgrammingError, SQLError
from ..sql import ast as A
from ..sql.parser import parse_one
from ..sql.tokens import OP, QUOTED, WORD, tokenize
from . import runtime as R
from .helpers import index_key, scan


def _exists_error(kind: str, name: str, sql: str, pos: int) -> SQLError:
    return SQLError(f"{kind} {name} already exists", sql, pos)


def create_table(txn: Txn, st: A.CreateTable, sql: str, run_select: Callable[..., Any]) -> None:
    cat = txn.catalog
    key = st.name.lower()
    if key.startswith("sqlite_"):
        raise SQLError(f"object name reserved for internal use: {st.name}", sql, st.pos)
    taken = cat.name_taken(st.name)
    if taken:
        if st.if_not_exists and taken in ("table", "view"):
            return
        raise _exists_error(taken, st.name, sql, st.pos)
    cat = cat.copy()
    if st.as_select is not None:
        names, affinities, rows = run_select(st.as_select)
        text = _create_table_text(st.name, names, affinities)
        st2 = parse_one(text).statement
        table = build_table(st2, cat.new_tree(), text, lambda _n: cat.new_tree())
    else:
        table = build_table(st, cat.new_tree(), sql, lambda _n: cat.new_tree())
        rows = []
    _validate_table(table, st, sql)
    cat.add_table(table)
    cat.version += 1
    txn.catalog = cat
    txn.roots[table.tree] = 0
    for ix in table.indexes:
        txn.roots[ix.tree] = 0
    if rows:
        from .context import ExecContext
        ctx = ExecContext(txn.owner, cat, txn.trees, txn.roots, txn)
        w = ctx.writer(table)
        for r in rows:
            w.insert(list(r))


_DECLARED = {R.A_INTEGER: " INT", R.A_REAL: " REAL", R.A_TEXT: " TEXT", R.A_NUMERIC: " NUM"}


def _ident(name: str) -> str:
    """An identifier as SQLite writes it in generated SQL: quoted only when needed."""
    from ..sql.parser import RESERVED
    import re
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name.upper() not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def _create_table_text(name: str, columns: list[str], affinities: list[Any]) -> str:
    """CREATE TABLE ... AS SELECT's stored text, laid out as SQLite's createTableStmt()."""
    unique: list[str] = []
    seen: dict[str, int] = {}
    for n in columns:
        k = n.lower()
        if k in seen:
            seen[k] += 1
            n = f"{n}:{seen[k]}"
        else:
            seen[k] = 0
        unique.append(n)
    width = sum(len(n) + n.count('"') + 2 + 5 for n in unique) + len(name) + name.count('"') + 2
    sep, sep2, end = ("", ",", ")") if width < 50 else ("\n  ", ",\n  ", "\n)")
    out = [f"CREATE TABLE {_ident(name)}("]
    for n, aff in zip(unique, affinities):
        out.append(sep + _ident(n) + _DECLARED.get(aff, ""))
        sep = sep2
    return "".join(out) + end


def _validate_table(table: TableInfo, st: A.CreateTable, sql: str) -> None:
    """Rules SQLite checks when a table is created."""
    from .compiler import walk
    for c in table.columns:
        if c.generated is not None:
            raise NotSupportedError("generated columns are not supported")
        if c.default is not None and any(isinstance(n, (A.Column, A.Subquery, A.Exists, A.InSelect,
                                                        A.WindowCall)) for n in walk(c.default)):
            raise SQLError(f"default value of column [{c.name}] is not constant", sql, st.pos)
    for e in table.checks:
        for n in walk(e):
            if isinstance(n, (A.Subquery, A.Exists, A.InSelect)):
                raise SQLError("subqueries prohibited in CHECK constraints", sql, st.pos)
            if isinstance(n, A.WindowCall):
                raise SQLError(f"misuse of window function {n.func.name}()", sql, n.func.pos)


def create_index(txn: Txn, st: A.CreateIndex, sql: str) -> None:
    cat = txn.catalog
    if st.name.lower().startswith("sqlite_"):
        raise SQLError(f"object name reserved for internal use: {st.name}", sql, st.pos)
    taken = cat.name_taken(st.name)
    if taken:
        if st.if_not_exists and taken == "index":
            return
        raise _exists_error(taken, st.name, sql, st.pos)
    table = cat.tables.get(st.table.lower())
    if table is None:
        if st.table.lower() in cat.views:
            raise SQLError(f"views may not be indexed", sql, st.pos)
        raise SQLError(f"no such table: {st.table}", sql, st.pos)
    cat = cat.copy()
    ix = build_index(st, table, cat.new_tree(), sql)
    if ix.where is not None:
        raise NotSupportedError("partial indexes (CREATE INDEX ... WHERE) are not supported")
    root: Any = 0
    trees = txn.trees
    seen: dict[tuple, int] = {}
    for rowid, row in scan(trees, txn.roots.get(table.tree, 0)):
        key = index_key([rowid if c < 0 else row[c] for c in ix.columns], ix.collations, rowid)
        if ix.unique:
            prefix = tuple(_hashable(key[:-1]))
            if not any(prefix[j] == 0 for j in range(0, len(prefix), 2)):
                if prefix in seen:
                    cols = ", ".join(f"{table.name}.{table.columns[c].name}" for c in ix.columns)
                    raise IntegrityError(f"UNIQUE constraint failed: {cols}")
                seen[prefix] = rowid
        root = trees.insert(root, key, None, True)
    cat.add_index(ix)
    cat.version += 1
    txn.catalog = cat
    txn.roots[ix.tree] = root


def _hashable(key: list) -> list:
    return [tuple(k) if isinstance(k, list) else k for k in key]


def create_view(txn: Txn, st: A.CreateView, sql: str, check: Callable[[A.Select, Catalog], Any]) -> None:
    cat = txn.catalog
    taken = cat.name_taken(st.name)
    if taken:
        if st.if_not_exists and taken in ("view", "table"):
            return
        raise _exists_error(taken, st.name, sql, st.pos)
    cat = cat.copy()
    cat.add_view(ViewInfo(st.name, st.select, st.columns, sql))
    cat.version += 1
    # Like SQLite, names inside the view are resolved when it is used, not now.
    txn.catalog = cat


def create_trigger(txn: Txn, st: A.CreateTrigger, sql: str) -> None:
    cat = txn.catalog
    key = st.name.lower()
    if key in cat.triggers:
        if st.if_not_exists:
            return
        raise _exists_error("trigger", st.name, sql, st.pos)
    tkey = st.table.lower()
    if tkey not in cat.tables:
        if tkey in cat.views:
            if st.timing != "INSTEAD OF":
                raise SQLError(f"cannot create {st.timing} trigger on view: {st.table}", sql, st.pos)
            raise NotSupportedError("INSTEAD OF triggers are not supported")
        raise SQLError(f"no such table: main.{st.table}", sql, st.pos)
    if st.timing == "INSTEAD OF":
        raise SQLError(f"cannot create INSTEAD OF trigger on table: {st.table}", sql, st.pos)
    cat = cat.copy()
    cat.add_trigger(build_trigger(st, sql))
    cat.version += 1
    txn.catalog = cat


def drop(txn: Txn, st: A.Drop, sql: str) -> None:
    cat = txn.catalog
    key = st.name.lower()
    kind = st.kind
    registries: dict[str, dict[str, Any]] = {"TABLE": cat.tables, "INDEX": cat.indexes,
                                             "VIEW": cat.views, "TRIGGER": cat.triggers}
    registry = registries[kind]
    if key not in registry:
        if st.if_exists:
            return
        if kind == "TABLE" and key in cat.views:
            raise SQLError(f"use DROP VIEW to delete view {st.name}", sql, st.pos)
        if kind == "VIEW" and key in cat.tables:
            raise SQLError(f"use DROP TABLE to delete table {st.name}", sql, st.pos)
        if kind == "TABLE" and key.startswith("sqlite_"):
            raise SQLError(f"table {st.name} may not be dropped", sql, st.pos)
        raise SQLError(f"no such {kind.lower()}: {st.name}", sql, st.pos)
    cat = cat.copy()
    if kind == "TABLE":
        t = cat.tables[key]
        txn.trees.drop(txn.roots.pop(t.tree, 0))
        for ix in t.indexes:
            txn.trees.drop(txn.roots.pop(ix.tree, 0))
        cat.remove("table", key)
        txn.seqs.pop(t.tree, None)
        txn.touched.add(t.name)
    elif kind == "INDEX":
        ix = cat.indexes[key]
        if ix.sql is None:
            raise SQLError("index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped",
                           sql, st.pos)
        txn.trees.drop(txn.roots.pop(ix.tree, 0))
        cat.remove("index", key)
    elif kind == "VIEW":
        cat.remove("view", key)
    else:
        cat.remove("trigger", key)
    cat.version += 1
    txn.catalog = cat


# ---------------------------------------------------------------- ALTER TABLE


def _replace_idents(sql: str, old: str, new: str, first_only: bool = False,
                    start_after: int = 0) -> str:
    """Replace identifier tokens equal to ``old`` (case-insensitive) with ``new``."""
    out = []
    last = 0
    import re
    from ..sql.parser import RESERVED
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", new) and new.upper() not in RESERVED:
        quoted_new = new           # SQLite leaves a plain new column name unquoted
    else:
        quoted_new = '"' + new.replace('"', '""') + '"'
    for tok in tokenize(sql):
        if tok.pos < start_after:
            continue
        if tok.kind in (WORD, QUOTED) and str(tok.value).lower() == old.lower():
            out.append(sql[last:tok.pos])
            out.append(quoted_new)
            last = tok.pos + _token_len(sql, tok)
            if first_only:
                break
    out.append(sql[last:])
    return "".join(out)


def _token_len(sql: str, tok: Any) -> int:
    if tok.kind == WORD:
        return len(tok.value)
    # quoted identifier: find its closing quote in the source
    q = sql[tok.pos]
    close = {"[": "]"}.get(q, q)
    i = tok.pos + 1
    while i < len(sql):
        if sql[i] == close:
            if close != "]" and i + 1 < len(sql) and sql[i + 1] == close:
                i += 2
                continue
            return i + 1 - tok.pos
        i += 1
    return len(sql) - tok.pos


def alter_table(txn: Txn, st: A.AlterTable, sql: str) -> None:
    cat = txn.catalog
    key = st.table.lower()
    t = cat.tables.get(key)
    if t is None:
        raise SQLError(f"no such table: {st.table}", sql, st.pos)
    if st.action == "RENAME":
        new = st.new_name or ""
        if cat.name_taken(new) and new.lower() != key:
            raise SQLError(f"there is already another table or index with this name: {new}", sql, st.pos)
        if new.lower().startswith("sqlite_"):
            raise SQLError(f"object name reserved for internal use: {new}", sql, st.pos)
        new_sql = _rename_create(t.sql, new)
        t2 = _rebuild(t, new_sql, new_name=new,
                      edit_index_sql=lambda s: _rename_index_table(s, t.name, new))
        cat = cat.copy()
        cat.replace_table(t.name, t2)
        _rewrite_dependents(cat, t.name, lambda s: _rename_table_refs(s, t.name, new), new)
        for trname, tr in list(cat.triggers.items()):
            if tr.table.lower() == key:
                cat.triggers[trname] = build_trigger(parse_one(_replace_idents(tr.sql, t.name, new)).statement,
                                                     _replace_idents(tr.sql, t.name, new))
        txn.touched.add(t.name)
    elif st.action == "RENAME COLUMN":
        old = st.column or ""
        new = st.new_name or ""
        p = t.column_position(old)
        if p is None:
            raise SQLError(f"no such column: \"{old}\"", sql, st.pos)
        if t.column_position(new) is not None:
            raise SQLError(f"duplicate column name: {new}", sql, st.pos)
        new_sql = _replace_idents(t.sql, old, new)
        t2 = _rebuild(t, new_sql, edit_index_sql=lambda s: _replace_idents(s, old, new, start_after=_on_clause(s)))
        cat = cat.copy()
        cat.replace_table(t.name, t2)
        _rewrite_dependents(cat, t.name, lambda s: _replace_idents(s, old, new))
        _check_views(cat, t.name, sql, st.pos)
    elif st.action == "ADD COLUMN":
        cd = st.column_def
        assert cd is not None
        if t.column_position(cd.name) is not None:
            raise SQLError(f"duplicate column name: {cd.name}", sql, st.pos)
        if cd.primary_key:
            raise SQLError("Cannot add a PRIMARY KEY column", sql, st.pos)
        if cd.unique:
            raise SQLError("Cannot add a UNIQUE column", sql, st.pos)
        default = None
        if cd.default is not None:
            if not isinstance(cd.default, A.Literal):
                from .statement import compile_const_expr
                default = compile_const_expr(cd.default, cat, sql)()
            else:
                default = cd.default.value
        nonempty = bool(txn.roots.get(t.tree, 0))
        if cd.not_null and default is None and nonempty:
            raise SQLError("Cannot add a NOT NULL column with default value NULL", sql, st.pos)
        if cd.default is not None and not _plain_default(cd.default) and nonempty:
            raise SQLError("Cannot add a column with non-constant default", sql, st.pos)
        # Splice the column definition text before the closing parenthesis.
        toks = [tk for tk in tokenize(t.sql) if tk.kind == OP and tk.text == ")"]
        tail_paren = _closing_paren(t.sql)
        coldef_text = _column_def_text(sql, cd)
        new_sql = t.sql[:tail_paren].rstrip() + ", " + coldef_text + t.sql[tail_paren:]
        del toks
        t2 = _rebuild(t, new_sql)
        cat = cat.copy()
        cat.replace_table(t.name, t2)
        aff = R.AFFINITY_FUNCS[t2.columns[-1].affinity]
        value = aff(default) if default is not None else None
        _rewrite_rows(txn, t, lambda row: row + [value])
        txn.touched.add(t.name)
    elif st.action == "DROP COLUMN":
        name = st.column or ""
        p = t.column_position(name)
        if p is None:
            raise SQLError(f"no such column: \"{name}\"", sql, st.pos)
        if t.columns[p].pk or any(p in ix.columns for ix in t.indexes):
            raise SQLError(f"cannot drop column \"{name}\": it is part of a key or index", sql, st.pos)
        if len(t.columns) == 1:
            raise SQLError(f"cannot drop column \"{name}\": no other columns exist", sql, st.pos)
        new_sql = _drop_column_text(t.sql, name)
        t2 = _rebuild(t, new_sql)
        cat = cat.copy()
        cat.replace_table(t.name, t2)
        _check_views(cat, t.name, sql, st.pos)
        _rewrite_rows(txn, t, lambda row: row[:p] + row[p + 1:])
        if t.ipk is not None and t.ipk > p:
            pass
        txn.touched.add(t.name)
    else:
        raise NotSupportedError(f"ALTER TABLE {st.action} is not supported")
    cat.version += 1
    txn.catalog = cat


def _on_clause(sql: str) -> int:
    """Offset just after ``ON table`` in CREATE INDEX text (column names follow it)."""
    toks = tokenize(sql)
    for i, tok in enumerate(toks):
        if tok.kind == WORD and tok.text == "ON" and i + 1 < len(toks):
            return toks[i + 1].pos + _token_len(sql, toks[i + 1])
    return 0


def _rename_index_table(sql: str, old: str, new: str) -> str:
    """Point CREATE INDEX text at the renamed table."""
    toks = tokenize(sql)
    for i, tok in enumerate(toks):
        if tok.kind == WORD and tok.text == "ON" and i + 1 < len(toks):
            t = toks[i + 1]
            end = t.pos + _token_len(sql, t)
            return sql[:t.pos] + '"' + new.replace('"', '""') + '"' + sql[end:]
    return sql


def _mentions(sql: str, name: str) -> bool:
    key = name.lower()
    return any(tok.kind in (WORD, QUOTED) and str(tok.value).lower() == key for tok in tokenize(sql))


def _rewrite_dependents(cat: Catalog, table: str, edit: Callable[[str], str],
                        new_table: Optional[str] = None) -> None:
    """Apply ``edit`` to the SQL of views and triggers that refer to ``table``."""
    from ..sql.parser import parse_one as _parse
    for key, v in list(cat.views.items()):
        if _mentions(v.sql, table):
            sql = edit(v.sql)
            st = _parse(sql).statement
            cat.views[key] = ViewInfo(v.name, st.select, st.columns, sql)
    for key, tr in list(cat.triggers.items()):
        if tr.table.lower() == table.lower() or _mentions(tr.sql, table):
            sql = edit(tr.sql)
            cat.triggers[key] = build_trigger(_parse(sql).statement, sql)


_TABLE_CONTEXT = {"FROM", "JOIN", "INTO", "UPDATE", "ON", "TABLE"}
_CLAUSE_END = {"WHERE", "GROUP", "ORDER", "LIMIT", "HAVING", "UNION", "INTERSECT", "EXCEPT",
               "SET", "VALUES", "SELECT", "BEGIN", "END", "WHEN", "ON", "USING"}


def _rename_table_refs(sql: str, old: str, new: str) -> str:
    """Rename references to table ``old``: after FROM/JOIN/INTO/UPDATE/ON/TABLE, in FROM
    lists, and as a column qualifier (old.col).  SQLite quotes the new name."""
    toks = tokenize(sql)
    quoted = '"' + new.replace('"', '""') + '"'
    out = []
    last = 0
    in_from = False
    depth_from: list[bool] = []
    for i, tok in enumerate(toks):
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if tok.kind == WORD and tok.text in _CLAUSE_END:
            in_from = False
        if tok.kind == WORD and tok.text == "FROM":
            in_from = True
        if tok.kind == OP and tok.text == "(":
            depth_from.append(in_from)
            in_from = False
        elif tok.kind == OP and tok.text == ")":
            in_from = depth_from.pop() if depth_from else False
        if tok.kind in (WORD, QUOTED) and str(tok.value).lower() == old.lower():
            ref = ((prev is not None and prev.kind == WORD and prev.text in _TABLE_CONTEXT)
                   or (nxt is not None and nxt.kind == OP and nxt.text == ".")
                   or (in_from and prev is not None and prev.kind == OP and prev.text == ","))
            if ref:
                out.append(sql[last:tok.pos])
                out.append(quoted)
                last = tok.pos + _token_len(sql, tok)
    out.append(sql[last:])
    return "".join(out)


def _check_views(cat: Catalog, table: str, sql: str, pos: int) -> None:
    """After a column is renamed or dropped, every view that reads the table must still work."""
    from ..sql.parser import parse_one as _parse
    from .statement import prepare
    for v in cat.views.values():
        if not _mentions(v.sql, table):
            continue
        try:
            prepare(A.Parsed(_parse(v.sql).statement.select, v.sql, 0, []), cat)
        except ProgrammingError as e:
            msg = getattr(e, "message", str(e))
            raise SQLError(f"error in view {v.name}: {msg}", sql, pos) from e


def _plain_default(e: A.Expr) -> bool:
    """A literal or signed number: what ALTER TABLE ADD COLUMN accepts on a non-empty table."""
    if isinstance(e, A.Literal):
        return True
    return isinstance(e, A.Unary) and e.op in ("-", "+") and isinstance(e.operand, A.Literal)


def _swap_index(cat: Catalog, t2: TableInfo, ix: IndexInfo, ix2: IndexInfo) -> None:
    cat.indexes.pop(ix.name.lower(), None)
    cat.indexes[ix2.name.lower()] = ix2
    t2.indexes = [ix2 if i is ix or i.name == ix.name else i for i in t2.indexes]
    cat.order = [(k, ix2.name.lower()) if (k, n) == ("index", ix.name.lower()) else (k, n)
                 for k, n in cat.order]


def _rename_create(sql: str, new: str) -> str:
    toks = tokenize(sql)
    # CREATE [TEMP] TABLE [IF NOT EXISTS] name
    i = 0
    while i < len(toks) and not (toks[i].kind == WORD and toks[i].text == "TABLE"):
        i += 1
    i += 1
    if i + 2 < len(toks) and toks[i].kind == WORD and toks[i].text == "IF":
        i += 3
    tok = toks[i]
    if i + 1 < len(toks) and toks[i + 1].kind == OP and toks[i + 1].text == ".":
        tok = toks[i + 2]
    end = tok.pos + _token_len(sql, tok)
    return sql[:tok.pos] + '"' + new.replace('"', '""') + '"' + sql[end:]


def _rebuild(t: TableInfo, new_sql: str, new_name: Optional[str] = None,
             edit_index_sql: Callable[[str], str] = lambda s: s) -> TableInfo:
    """The table as defined by ``new_sql``, keeping tree ids; explicit indexes are
    re-derived from their (edited) SQL so column positions follow the new definition."""
    st = parse_one(new_sql).statement
    trees = {ix.name: ix.tree for ix in t.indexes if ix.sql is None}
    old_name = t.name

    def index_tree(name: str) -> int:
        if new_name is not None:
            name = name.replace(f"sqlite_autoindex_{new_name}_", f"sqlite_autoindex_{old_name}_")
        return trees[name]
    t2 = build_table(st, t.tree, new_sql, index_tree)
    for ix in t.indexes:
        if ix.sql is not None:
            sql = edit_index_sql(ix.sql)
            t2.indexes.append(build_index(parse_one(sql).statement, t2, ix.tree, sql))
    return t2


def _closing_paren(sql: str) -> int:
    depth = 0
    last = -1
    for tok in tokenize(sql):
        if tok.kind == OP and tok.text == "(":
            depth += 1
        elif tok.kind == OP and tok.text == ")":
            depth -= 1
            if depth == 0:
                last = tok.pos
    return last


def _column_def_text(sql: str, cd: A.ColumnDef) -> str:
    # The ALTER statement text after "ADD [COLUMN]" is the column definition.
    toks = tokenize(sql)
    for i, tok in enumerate(toks):
        if tok.kind == WORD and tok.text == "ADD":
            j = i + 1
            if toks[j].kind == WORD and toks[j].text == "COLUMN":
                j += 1
            return sql[toks[j].pos:].strip().rstrip(";").strip()
    return cd.name


def _drop_column_text(sql: str, name: str) -> str:
    toks = tokenize(sql)
    depth = 0
    starts = []
    for i, tok in enumerate(toks):
        if tok.kind == OP and tok.text == "(":
            depth += 1
            if depth == 1:
                starts.append(i + 1)
        elif tok.kind == OP and tok.text == ")":
            depth -= 1
        elif tok.kind == OP and tok.text == "," and depth == 1:
            starts.append(i + 1)
    for si, s in enumerate(starts):
        tok = toks[s]
        if tok.kind in (WORD, QUOTED) and str(tok.value).lower() == name.lower():
            begin = toks[s - 1].pos  # the comma or "(" before it
            if si + 1 < len(starts):
                end = toks[starts[si + 1] - 1].pos
            else:
                end = _closing_paren(sql)
            if toks[s - 1].text == "(":
                # First column: drop it and the comma after it.
                return sql[:tok.pos] + sql[end + 1:].lstrip()
            return sql[:begin] + sql[end:]
    return sql


def _rewrite_rows(txn: Txn, t: TableInfo, change: Callable[[list], list]) -> None:
    root = txn.roots.get(t.tree, 0)
    rows = list(scan(txn.trees, root))
    trees = txn.trees
    for rowid, row in rows:
        root = trees.replace(root, rowid, change(list(row)))
    txn.roots[t.tree] = root
