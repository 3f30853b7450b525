"""Is this SQL text a complete statement?  Split it into statements.

A port of ``sqlite3_complete()``'s state machine: text is complete when it ends
with a semicolon that is not inside a string, a quoted identifier, a comment or
the body of a ``CREATE TRIGGER ... BEGIN ... END`` (whose statements end with
semicolons of their own).  The same scan splits a buffer into statements.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

# Token classes of sqlite3_complete().
_SEMI, _WS, _OTHER, _EXPLAIN, _CREATE, _TEMP, _TRIGGER, _END = range(8)

# States: 0 INVALID (nothing yet), 1 START (after a ';'), 2 NORMAL, 3 EXPLAIN,
# 4 CREATE, 5 TRIGGER (inside a trigger definition), 6 SEMI (';' inside a trigger
# body), 7 END (END after a ';' inside a trigger body).
_TRANS = (
    # SEMI WS OTHER EXPLAIN CREATE TEMP TRIGGER END
    (1, 0, 2, 3, 4, 2, 2, 2),   # 0 INVALID
    (1, 1, 2, 3, 4, 2, 2, 2),   # 1 START
    (1, 2, 2, 2, 2, 2, 2, 2),   # 2 NORMAL
    (1, 3, 3, 2, 4, 2, 2, 2),   # 3 EXPLAIN
    (1, 4, 2, 2, 2, 4, 5, 2),   # 4 CREATE
    (6, 5, 5, 5, 5, 5, 5, 5),   # 5 TRIGGER
    (6, 6, 5, 5, 5, 5, 5, 7),   # 6 SEMI
    (1, 7, 5, 5, 5, 5, 5, 5),   # 7 END
)

_KEYWORDS = {"EXPLAIN": _EXPLAIN, "CREATE": _CREATE, "TEMP": _TEMP, "TEMPORARY": _TEMP,
             "TRIGGER": _TRIGGER, "END": _END}

# One token per match.  Unterminated strings and comments match the *_open
# alternatives (which run to the end of the text) so the caller can tell.
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)
  | (?P<open>/\*.*|'(?:[^']|'')*\Z|"(?:[^"]|"")*\Z|`(?:[^`]|``)*\Z|\[[^\]]*\Z)
  | (?P<semi>;)
  | (?P<word>[A-Za-z0-9_$\u0080-\U0010ffff]+)
  | (?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class Statement(NamedTuple):
    """One statement of a buffer: its text (from its first token) and offset."""
    text: str
    offset: int


def _scan(sql: str) -> tuple[list[Statement], Optional[Statement], int, bool]:
    """Scan ``sql``: (complete statements, trailing incomplete piece, final state,
    whether the text ends inside a string or comment)."""
    state = 0
    pos = 0
    n = len(sql)
    start: Optional[int] = None      # offset of the current statement's first token
    stmts: list[Statement] = []
    match = _TOKEN.match
    unterminated = False
    while pos < n:
        m = match(sql, pos)
        assert m is not None
        kind = m.lastgroup
        end = m.end()
        if kind == "ws":
            tok = _WS
        elif kind == "open":
            unterminated = True
            if start is None:
                start = pos
            pos = n
            break
        elif kind == "semi":
            tok = _SEMI
        elif kind == "word":
            tok = _KEYWORDS.get(m.group().upper(), _OTHER)
        else:
            tok = _OTHER
        new = _TRANS[state][tok]
        if tok != _WS and tok != _SEMI and start is None:
            start = pos
        if tok == _SEMI and new == 1:
            if start is not None:
                stmts.append(Statement(sql[start:end], start))
            start = None
        state = new
        pos = end
    rest = Statement(sql[start:], start) if start is not None else None
    return stmts, rest, state, unterminated


def is_complete(sql: str) -> bool:
    """True when ``sql`` ends with a complete statement (like ``sqlite3_complete``)."""
    _, _, state, unterminated = _scan(sql)
    return state == 1 and not unterminated


def split_statements(sql: str) -> tuple[list[Statement], Optional[Statement]]:
    """Split ``sql`` into complete statements (each ending with ``;``) and the
    trailing text that is not yet complete (None when there is none).

    Statements that hold only whitespace and comments are dropped.
    """
    stmts, rest, _, _ = _scan(sql)
    return stmts, rest


def is_blank(sql: str) -> bool:
    """True when ``sql`` holds nothing but whitespace and complete comments."""
    pos = 0
    n = len(sql)
    while pos < n:
        m = _TOKEN.match(sql, pos)
        assert m is not None
        if m.lastgroup != "ws":
            return False
        pos = m.end()
    return True
