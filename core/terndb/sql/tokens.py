"""Tokenizer for SQLite's SQL dialect.

One compiled regular expression splits the text; each token keeps its offset so
errors can point at the exact place in the statement.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import SQLError

# Token kinds.
WORD = "word"        # keyword or bare identifier (the parser decides which)
QUOTED = "quoted"    # "ident", [ident] or `ident`
STRING = "string"
BLOB = "blob"
INTEGER = "integer"
FLOAT = "float"
PARAM = "param"
OP = "op"
EOF = "eof"


class Token(NamedTuple):
    kind: str
    value: str | int | float | bytes | None
    text: str      # the token's source text; upper-cased for WORD
    pos: int


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+|--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$))
  | (?P<blob>[xX]'(?P<hex>[^']*)')
  | (?P<word>[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)
  | (?P<hexnum>0[xX][0-9A-Fa-f]+)
  | (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<dq>"(?:[^"]|"")*")
  | (?P<bq>`(?:[^`]|``)*`)
  | (?P<br>\[[^\]]*\])
  | (?P<param>\?\d*|[:@$][A-Za-z0-9_]+(?:::[A-Za-z0-9_]+)*(?:\([^)]*\))?)
  | (?P<op>->>|->|\|\||<<|>>|<=|>=|==|!=|<>|[-+*/%&|~<>=(),;.])
    """,
    re.VERBOSE | re.DOTALL,
)

_MAX_INT = 9223372036854775807


def tokenize(sql: str) -> list[Token]:
    """Split ``sql`` into tokens, ending with an EOF token; raise SQLError on junk."""
    out: list[Token] = []
    append = out.append
    pos = 0
    n = len(sql)
    match = _TOKEN_RE.match
    while pos < n:
        m = match(sql, pos)
        if m is None:
            ch = sql[pos]
            if ch in "'\"`[":
                raise SQLError("unterminated quoted text", sql, pos)
            raise SQLError(f'unrecognized token: "{ch}"', sql, pos)
        kind = m.lastgroup
        text = m.group()
        if kind == "ws":
            if text.startswith("/*") and not text.endswith("*/"):
                pass  # SQLite accepts an unterminated comment at the end
        elif kind == "word":
            append(Token(WORD, text, text.upper(), pos))
        elif kind == "num":
            end = m.end()
            if end < n and (sql[end].isalpha() or sql[end] == "_"):
                raise SQLError(f'unrecognized token: "{text}{sql[end]}"', sql, pos)
            if "." in text or "e" in text or "E" in text:
                append(Token(FLOAT, float(text), text, pos))
            else:
                v = int(text)
                # SQLite reads integer literals beyond 64 bits as reals.
                append(Token(INTEGER, v, text, pos) if v <= _MAX_INT
                       else Token(FLOAT, float(v), text, pos))
        elif kind == "string":
            append(Token(STRING, text[1:-1].replace("''", "'"), text, pos))
        elif kind == "dq":
            append(Token(QUOTED, text[1:-1].replace('""', '"'), text, pos))
        elif kind == "bq":
            append(Token(QUOTED, text[1:-1].replace("``", "`"), text, pos))
        elif kind == "br":
            append(Token(QUOTED, text[1:-1], text, pos))
        elif kind == "blob":
            hexdigits = m.group("hex")
            if len(hexdigits) % 2 or not all(c in "0123456789abcdefABCDEF" for c in hexdigits):
                raise SQLError(f"malformed blob literal: {text}", sql, pos)
            append(Token(BLOB, bytes.fromhex(hexdigits), text, pos))
        elif kind == "hexnum":
            v = int(text, 16)
            if v > 0xFFFFFFFFFFFFFFFF:
                raise SQLError(f"hex literal too big: {text}", sql, pos)
            if v > _MAX_INT:
                v -= 1 << 64  # SQLite reads 0x8000... as a negative 64-bit integer
            append(Token(INTEGER, v, text, pos))
        elif kind == "param":
            append(Token(PARAM, text, text, pos))
        else:
            append(Token(OP, text, text, pos))
        pos = m.end()
    append(Token(EOF, None, "", n))
    return out
