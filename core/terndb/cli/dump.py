"""``.dump``: the SQL text that rebuilds a database (schema and rows).

The output has the shape of the sqlite3 shell's: tables (each followed by its
rows as INSERT statements), then indexes, triggers and views, all inside one
transaction, so triggers do not fire while the rows are loaded.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Optional, Sequence

from .render import quote_ident, sql_literal


def like_to_regex(pattern: str) -> "re.Pattern[str]":
    """A case-insensitive regex for an SQL LIKE pattern (``%`` and ``_``)."""
    out = []
    for ch in pattern:
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out) + r"\Z", re.IGNORECASE | re.DOTALL)


def _matches(name: str, patterns: Sequence["re.Pattern[str]"]) -> bool:
    return not patterns or any(p.match(name) for p in patterns)


def _statement(sql: str) -> str:
    sql = sql.strip()
    while sql.endswith(";"):
        sql = sql[:-1].rstrip()
    return sql + ";"


def dump(con: Any, patterns: Optional[Sequence[str]] = None) -> Iterator[str]:
    """Yield the lines of a dump of ``con``'s database (of the tables matching
    the LIKE ``patterns``, with their indexes and triggers, when given)."""
    pats = [like_to_regex(p) for p in (patterns or [])]
    objects = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    yield "PRAGMA foreign_keys=OFF;"
    yield "BEGIN TRANSACTION;"
    for typ, name, _tbl, sql in objects:
        if typ != "table" or sql is None or name.lower().startswith("sqlite_"):
            continue
        if not _matches(name, pats):
            continue
        yield _statement(sql)
        cur = con.execute(f"SELECT * FROM {quote_ident(name)}")
        head = f"INSERT INTO {quote_ident(name)} VALUES("
        while True:
            batch = cur.fetchmany(500)
            if not batch:
                break
            for row in batch:
                yield head + ",".join([sql_literal(v) for v in row]) + ");"
    for typ, name, tbl, sql in objects:
        if typ not in ("index", "trigger", "view") or sql is None:
            continue
        if not _matches(name if typ == "view" else tbl, pats):
            continue
        yield _statement(sql)
    yield "COMMIT;"
