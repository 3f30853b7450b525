"""Rendering result rows in the shell's output modes, and SQL literal quoting.

Modes follow the sqlite3 shell: ``list`` (``|``-separated), ``csv``, ``tabs``,
``column`` (aligned, with a dashed header underline), ``table`` (ASCII grid),
``box`` (Unicode grid), ``markdown``, ``json`` (an array of objects), ``line``
(one ``name = value`` per line), ``insert`` (INSERT statements), ``quote``
(SQL literals) and ``html``.
"""

from __future__ import annotations

import html
import json
import math
import re
import unicodedata
from typing import Any, Iterable, Iterator, Optional, Sequence, TextIO

from ..exec.runtime import float_to_text

MODES = ("list", "csv", "column", "box", "markdown", "json", "line", "table", "tabs",
         "insert", "quote", "html")
COLUMNAR = frozenset({"column", "box", "markdown", "table"})

# SQLite's keywords: identifiers spelled like one must be quoted.
SQL_KEYWORDS = frozenset("""
ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN
BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS
CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED
DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS
EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP GROUPS HAVING
IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL
JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF
OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE
RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK
ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED
UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT
""".split())

_PLAIN_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Settings:
    """The shell's output settings (``.mode``, ``.headers``, ``.separator``, ...)."""

    def __init__(self) -> None:
        self.mode = "list"
        self.headers = False
        self.headers_set = False     # the user chose .headers explicitly
        self.colsep = "|"
        self.rowsep = "\n"
        self.nullvalue = ""
        self.insert_table = "table"

    def set_mode(self, mode: str, table: Optional[str] = None) -> None:
        self.mode = mode
        if mode in ("list", "column", "box", "table", "markdown", "line", "json", "html"):
            self.colsep, self.rowsep = "|", "\n"
        elif mode == "csv":
            self.colsep, self.rowsep = ",", "\r\n"
        elif mode == "tabs":
            self.colsep, self.rowsep = "\t", "\n"
        elif mode in ("quote", "insert"):
            self.colsep, self.rowsep = ",", "\n"
        if mode == "column" and not self.headers_set:
            self.headers = True
        if mode == "insert":
            self.insert_table = table or "table"

    def set_headers(self, on: bool) -> None:
        self.headers = on
        self.headers_set = True


# ----------------------------------------------------------------- values

def format_real(v: float) -> str:
    """A REAL as the sqlite3 shell shows it: SQLite's text form of the value."""
    return float_to_text(v)


def display(v: Any, nullvalue: str = "") -> str:
    """The text of a value in the text output modes."""
    if v is None:
        return nullvalue
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format_real(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        try:
            text = b.decode("utf-8")
        except UnicodeDecodeError:
            return "X'" + b.hex().upper() + "'"
        if _CONTROL.search(text):
            return "X'" + b.hex().upper() + "'"
        return text
    return str(v)


def quote_ident(name: str) -> str:
    """``name`` as an SQL identifier, double-quoted only when it has to be."""
    if _PLAIN_IDENT.match(name) and name.upper() not in SQL_KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_ident_always(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _escape_marker(s: str, base: str, alt: str) -> str:
    if base not in s:
        return base
    if alt not in s:
        return alt
    i = 1
    while f"{base}{i}" in s:
        i += 1
    return f"{base}{i}"


def sql_literal(v: Any, escape_newlines: bool = True) -> str:
    """``v`` as an SQL literal that reads back as the same value and type.

    With ``escape_newlines``, text holding CR or LF is written as
    ``replace('a\\nb','\\n',char(10))`` (as the sqlite3 shell's ``.dump`` does) so
    the literal fits on one line and survives line-ending translation.
    """
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NULL"
        if math.isinf(v):
            return "1e999" if v > 0 else "-1e999"
        return repr(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "X'" + bytes(v).hex().upper() + "'"
    s = str(v)
    if escape_newlines and ("\n" in s or "\r" in s):
        nl = cr = None
        body = s
        if "\n" in s:
            nl = _escape_marker(s, "\\n", "\\012")
        if "\r" in s:
            cr = _escape_marker(s, "\\r", "\\015")
        if nl:
            body = body.replace("\n", nl)
        if cr:
            body = body.replace("\r", cr)
        out = "'" + body.replace("'", "''") + "'"
        if cr:
            out = f"replace({out},'{cr}',char(13))"
        if nl:
            out = f"replace({out},'{nl}',char(10))"
        return out
    return "'" + s.replace("'", "''") + "'"


def json_value(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "null"
        if math.isinf(v):
            return "1e999" if v > 0 else "-1e999"
        return repr(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return json.dumps(bytes(v).hex())   # blobs as hex strings
    return json.dumps(str(v), ensure_ascii=False)


def display_width(s: str) -> int:
    """Terminal columns ``s`` occupies (East Asian wide characters count two)."""
    if s.isascii():
        return len(s)
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def _pad(s: str, width: int, align: str) -> str:
    extra = width - display_width(s)
    if extra <= 0:
        return s
    if align == "right":
        return " " * extra + s
    if align == "center":
        left = extra // 2
        return " " * left + s + " " * (extra - left)
    return s + " " * extra


def _csv_field(s: str, sep: str) -> str:
    if s == "" or sep in s or '"' in s or "\n" in s or "\r" in s or _CONTROL.search(s):
        return '"' + s.replace('"', '""') + '"'
    return s


# ----------------------------------------------------------------- renderer

class Renderer:
    """Writes result sets to an output stream in the current mode.

    ``records`` counts records written in ``line`` mode, which separates
    records (also of different statements) with a blank line.
    """

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.records = 0

    def write(self, out: TextIO, names: Sequence[str], rows: Iterable[tuple]) -> None:
        mode = self.s.mode
        if mode in COLUMNAR:
            self._columnar(out, mode, names, list(rows))
        elif mode == "json":
            self._json(out, names, rows)
        elif mode == "line":
            self._line(out, names, rows)
        elif mode == "csv":
            self._csv(out, names, rows)
        elif mode == "insert":
            self._insert(out, names, rows)
        elif mode == "quote":
            self._quote(out, names, rows)
        elif mode == "html":
            self._html(out, names, rows)
        else:   # list, tabs
            self._list(out, names, rows)

    # -- streaming modes

    def _list(self, out: TextIO, names: Sequence[str], rows: Iterable[tuple]) -> None:
        sep, end, null = self.s.colsep, self.s.rowsep, self.s.nullvalue
        if self.s.headers:
            out.write(sep.join(names) + end)
        for r in rows:
            out.write(sep.join([display(v, null) for v in r]) + end)

    def _csv(self, out: TextIO, names: Sequence[str], rows: Iterable[tuple]) -> None:
        sep, end, null = self.s.colsep, self.s.rowsep, self.s.nullvalue
        if self.s.headers:
            out.write(sep.join([_csv_field(n, sep) for n in names]) + end)
        for r in rows:
            out.write(sep.join([null if v is None else _csv_field(display(v), sep) for v in r]) + end)

    def _quote(self, out: TextIO, names: Sequence[str], rows: Iterable[tuple]) -> None:
        sep, end = self.s.colsep, self.s.rowsep
        if self.s.headers:
            out.write(sep.join([sql_literal(n, False) for n in names]) + end)
        for r in rows:
            out.write(sep.join([sql_literal(v, False) for v in r]) + end)

    def _insert(self, out: TextIO, names: Sequence[str], rows: Iterable[tuple]) -> None:
        head = "INSERT INTO " + quote_ident(self.s.insert_table)
        if self.s.headers:
            head += "(" + ",".join(quote_ident(n) for n in names) + ")"
        head += " VALUES("
        for r in rows:
            out.write(head + ",".join([sql_literal(v) for v in r]) + ");\n")

    def _json(self, out: TextIO, names: Sequence[str], rows: Iterable[tuple]) -> None:
        keys = [json.dumps(n, ensure_ascii=False) + ":" for n in names]
        first = True
        for r in rows:
            obj = "{" + ",".join([k + json_value(v) for k, v in zip(keys, r)]) + "}"
            out.write(("[" if first else ",\n") + obj)
            first = False
        out.write("[]\n" if first else "]\n")

    def _line(self, out: TextIO, names: Sequence[str], rows: Iterable[tuple]) -> None:
        w = max((display_width(n) for n in names), default=0)
        labels = [_pad(n, w, "right") for n in names]
        null = self.s.nullvalue
        for r in rows:
            if self.records:
                out.write("\n")
            self.records += 1
            out.write("".join([f"{lab} = {display(v, null)}\n" for lab, v in zip(labels, r)]))

    def _html(self, out: TextIO, names: Sequence[str], rows: Iterable[tuple]) -> None:
        null = self.s.nullvalue
        if self.s.headers:
            out.write("<TR>" + "".join(f"<TH>{html.escape(n)}</TH>\n" for n in names) + "</TR>\n")
        for r in rows:
            out.write("<TR>" + "".join(f"<TD>{html.escape(display(v, null))}</TD>\n" for v in r)
                      + "</TR>\n")

    # -- columnar modes

    def _columnar(self, out: TextIO, mode: str, names: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        null = self.s.nullvalue
        ncol = len(names)
        markdown = mode == "markdown"

        def cell(v: Any) -> list[str]:
            text = display(v, null).replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")
            if _CONTROL.search(text):
                text = _CONTROL.sub(lambda m: "\\x%02x" % ord(m.group()), text)
            if markdown:
                return [text.replace("|", "\\|").replace("\n", "<br>")]
            return text.split("\n")

        grid = [[cell(v) for v in r] for r in rows]
        head = [cell(n) for n in names]
        numeric = [isinstance(r[i], (int, float)) and not isinstance(r[i], bool)
                   for r in rows for i in range(ncol)]
        widths = [0] * ncol
        for i in range(ncol):
            widths[i] = max(display_width(line) for line in head[i]) if head[i] else 0
        for r in grid:
            for i, lines in enumerate(r):
                for line in lines:
                    w = display_width(line)
                    if w > widths[i]:
                        widths[i] = w
        col_numeric = []
        for i in range(ncol):
            vals = [r[i] for r in rows if r[i] is not None]
            col_numeric.append(bool(vals) and all(isinstance(v, (int, float)) for v in vals))
        show_head = self.s.headers if mode == "column" else True

        def emit(cells: list[list[str]], aligns: list[str], left: str, mid: str, right: str) -> None:
            height = max((len(c) for c in cells), default=1)
            for k in range(height):
                parts = [_pad(c[k] if k < len(c) else "", widths[i], aligns[i])
                         for i, c in enumerate(cells)]
                line = left + mid.join(parts) + right
                out.write((line.rstrip() if mode == "column" else line) + "\n")

        head_align = ["center"] * ncol if mode != "column" else \
            ["right" if col_numeric[i] else "left" for i in range(ncol)]
        row_aligns = [["right" if numeric[j * ncol + i] else "left" for i in range(ncol)]
                      for j in range(len(rows))]
        if mode == "column":
            if show_head:
                emit(head, head_align, "", "  ", "")
                out.write("  ".join("-" * w for w in widths).rstrip() + "\n")
            for r, al in zip(grid, row_aligns):
                emit(r, al, "", "  ", "")
        elif mode == "markdown":
            emit(head, head_align, "| ", " | ", " |")
            out.write("|" + "|".join(("-" * (w + 1) + ":") if col_numeric[i] else "-" * (w + 2)
                                     for i, w in enumerate(widths)) + "|\n")
            for r, al in zip(grid, row_aligns):
                emit(r, al, "| ", " | ", " |")
        else:
            if mode == "box":
                h, v = "─", "│"
                top, sep, bottom = ("┌", "┬", "┐"), ("├", "┼", "┤"), ("└", "┴", "┘")
            else:
                h, v = "-", "|"
                top = sep = bottom = ("+", "+", "+")

            def rule(chars: tuple) -> None:
                out.write(chars[0] + chars[1].join(h * (w + 2) for w in widths) + chars[2] + "\n")
            rule(top)
            emit(head, head_align, v + " ", " " + v + " ", " " + v)
            rule(sep)
            for r, al in zip(grid, row_aligns):
                emit(r, al, v + " ", " " + v + " ", " " + v)
            rule(bottom)


def query_plan_tree(rows: Iterable[tuple]) -> list[str]:
    """EXPLAIN QUERY PLAN rows (id, parent, notused, detail) drawn as a tree."""
    rows = list(rows)
    children: dict[Any, list[tuple]] = {}
    seen_ids: set = set()
    for r in rows:
        # A parent is always an earlier row; anything else (a malformed plan) goes to the top.
        parent = r[1] if r[1] in seen_ids else 0
        seen_ids.add(r[0])
        children.setdefault(parent, []).append(r)
    out = ["QUERY PLAN"]
    seen: set = set()

    def walk(parent: Any, prefix: str) -> None:
        kids = children.get(parent, [])
        for i, r in enumerate(kids):
            if r[0] in seen:       # guard against cycles in malformed plans
                continue
            seen.add(r[0])
            last = i == len(kids) - 1
            out.append(prefix + ("`--" if last else "|--") + str(r[3]))
            walk(r[0], prefix + ("   " if last else "|  "))
    walk(0, "")
    for r in rows:                 # anything unreachable (should not happen)
        if r[0] not in seen:
            out.append("`--" + str(r[3]))
    return out
