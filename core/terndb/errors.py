"""The PEP 249 exception hierarchy, and helpers that build actionable messages.

Every failure that reaches a caller is one of these classes.  Internal errors are
wrapped (``raise ... from e``) so the original traceback stays available for
debugging while the caller only has to catch the DB-API classes.

Mapping (PEP 249, which differs from :mod:`sqlite3` in places):

* ``ProgrammingError`` — the SQL or its use is wrong: syntax errors, unknown
  tables/columns/functions, wrong parameter counts, misuse of the API.
* ``IntegrityError`` — a constraint failed (UNIQUE, NOT NULL, CHECK, PRIMARY KEY).
* ``DataError`` — a value cannot be processed (integer overflow, a value that
  cannot be stored, a parameter of an unsupported type).
* ``OperationalError`` — the database cannot do it now: locked, read-only,
  I/O failed, disk full, interrupted.
* ``DatabaseError`` — the file is not a TernDB database or is damaged.
* ``InterfaceError`` — the connection or cursor is closed.
* ``NotSupportedError`` — valid SQL that TernDB does not implement.
"""

from __future__ import annotations


class Warning(Exception):  # noqa: A001 - the name is fixed by PEP 249
    """Important warnings such as data truncation (PEP 249)."""


class Error(Exception):
    """Base class of every TernDB error (PEP 249)."""

    sqlstate: str | None = None


class InterfaceError(Error):
    """The database interface was misused (closed connection or cursor)."""


class DatabaseError(Error):
    """An error related to the database: corrupt or foreign files."""


class DataError(DatabaseError):
    """A value could not be processed: overflow, unsupported type."""


class OperationalError(DatabaseError):
    """The database could not perform the operation now: locked, read-only, I/O."""


class IntegrityError(DatabaseError):
    """A constraint failed: UNIQUE, NOT NULL, CHECK, PRIMARY KEY."""


class InternalError(DatabaseError):
    """An internal invariant failed; please report it with the SQL that caused it."""


class ProgrammingError(DatabaseError):
    """The SQL is wrong: syntax, unknown names, wrong parameter count."""


class NotSupportedError(DatabaseError):
    """Valid SQL that TernDB does not implement."""


class SQLError(ProgrammingError):
    """A ProgrammingError that points at a position in the SQL text.

    ``sql``, ``offset``, ``line`` and ``column`` (both 1-based) locate the
    problem; ``str(err)`` shows the message and the offending line with a caret.
    """

    def __init__(self, message: str, sql: str | None = None, offset: int | None = None):
        self.message = message
        self.sql = sql
        self.offset = offset
        self.line: int | None = None
        self.column: int | None = None
        if sql is not None and offset is not None:
            offset = max(0, min(offset, len(sql)))
            self.line = sql.count("\n", 0, offset) + 1
            start = sql.rfind("\n", 0, offset) + 1
            self.column = offset - start + 1
        super().__init__(self._render())

    def _render(self) -> str:
        if self.sql is None or self.offset is None:
            return self.message
        start = self.sql.rfind("\n", 0, self.offset) + 1
        end = self.sql.find("\n", self.offset)
        if end < 0:
            end = len(self.sql)
        text = self.sql[start:end]
        caret = " " * (self.offset - start) + "^"
        # Keep very long lines readable: show a window around the position.
        if len(text) > 120:
            lo = max(0, self.offset - start - 60)
            text = ("..." if lo else "") + text[lo:lo + 120] + ("..." if lo + 120 < len(text) else "")
            caret = " " * (self.offset - start - lo + (3 if lo else 0)) + "^"
        return f"{self.message} (line {self.line}, column {self.column})\n  {text}\n  {caret}"


__all__ = [
    "Warning", "Error", "InterfaceError", "DatabaseError", "DataError",
    "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
    "NotSupportedError", "SQLError",
]
