"""PEP 249 cursors: binding parameters, streaming rows, description, rowcount."""

from __future__ import annotations

from collections.abc import Mapping
from threading import get_ident
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

from .. import errors as E
from ..exec.runtime import bind_value
from ..exec.statement import READ, WRITE, Prepared
from ..sql import ast as A
from ..sql.parser import parse

if TYPE_CHECKING:
    from .connection import Connection

_DONE = object()


def _internal(conn: "Connection", doing: str, e: Exception) -> E.Error:
    """The error for an unexpected exception: DatabaseError when the file turns out to
    be damaged (intact checksums cannot rule out a stale page), else InternalError."""
    try:
        from .pragma import integrity_check
        problems = integrity_check(conn)
    except E.DatabaseError as damage:
        return damage
    except Exception:
        problems = ["ok"]
    if problems != ["ok"]:
        return E.DatabaseError(f"database disk image is malformed: {problems[0]}")
    return E.InternalError(f"internal error while {doing}: {type(e).__name__}: {e}; "
                           "please report it with the SQL that caused it")


class Cursor:
    """Executes statements and iterates over their result rows."""

    arraysize = 1

    def __init__(self, connection: "Connection"):
        self.connection = connection
        self.description: Optional[tuple] = None
        self.rowcount = -1
        self.lastrowid: Optional[int] = None
        self.row_factory = connection.row_factory
        self._rows: Optional[Iterator[tuple]] = None
        self._first: Any = _DONE
        self._closed = False
        self._pin: Optional[tuple] = None
        self._names: Optional[list[str]] = None

    # ----------------------------------------------------------------- helpers

    def _check(self) -> "Connection":
        if self._closed:
            raise E.ProgrammingError("Cannot operate on a closed cursor.")
        conn = self.connection
        if conn.closed:
            raise E.ProgrammingError("Cannot operate on a closed database.")
        conn.db  # thread check
        return conn

    def _release(self) -> None:
        self._rows = None
        self._first = _DONE
        if self._pin is not None:
            store, txid = self._pin
            self._pin = None
            store.unpin(txid)

    def __del__(self) -> None:
        try:
            self._release()
        except Exception:
            pass

    def _bind(self, p: Prepared, params: Any) -> tuple:
        n = p.param_count
        if params is None:
            params = ()
        if isinstance(params, Mapping):
            out = []
            for i in range(n):
                name = p.param_names[i] if i < len(p.param_names) else None
                if name is None:
                    raise E.ProgrammingError(
                        f"parameter {i + 1} is positional ('?') but parameters were given as a mapping; "
                        "use named placeholders (:name) or pass a sequence")
                try:
                    v = params[name]
                except KeyError:
                    raise E.ProgrammingError(f"You did not supply a value for binding parameter :{name}.") from None
                out.append(bind_value(v, i))
            return tuple(out)
        if isinstance(params, (str, bytes)) or not hasattr(params, "__len__"):
            raise E.ProgrammingError(
                f"parameters must be a sequence or a mapping, not {type(params).__name__}")
        if len(params) != n:
            raise E.ProgrammingError(
                f"Incorrect number of bindings supplied. The current statement uses {n}, "
                f"and there are {len(params)} supplied.")
        return tuple([bind_value(v, i) for i, v in enumerate(params)])

    def _set_description(self, names: list[str]) -> None:
        if names:
            self.description = tuple((n, None, None, None, None, None, None) for n in names)
        else:
            self.description = None

    # --------------------------------------------------------------- execution

    def execute(self, sql: str, parameters: Any = ()) -> "Cursor":
        if self._closed:
            raise E.ProgrammingError("Cannot operate on a closed cursor.")
        conn = self.connection
        if conn._db is None:
            raise E.ProgrammingError("Cannot operate on a closed database.")
        if conn._check_thread and get_ident() != conn._thread:
            conn.db  # raises the thread error
        if self._rows is not None or self._pin is not None:
            self._release()
        self.row_factory = conn.row_factory
        try:
            p = conn._prepare(sql)
            if type(parameters) is tuple and len(parameters) == p.param_count and p.simple_params:
                params = parameters
                for v in params:
                    t = type(v)
                    if t is int:
                        if -9223372036854775808 <= v <= 9223372036854775807:
                            continue
                    elif t is str or v is None or t is bytes or (t is float and v == v):
                        continue
                    params = self._bind(p, parameters)
                    break
            else:
                params = self._bind(p, parameters)
            self._names = None
            rows = conn._execute(self, p, params)
            if self._names is not None:
                self._set_description(self._names)
            else:
                self.description = p.description
            if p.kind == WRITE:
                self.rowcount = conn._changes
                if p.is_insert:
                    self.lastrowid = conn._lastrowid or 0
            else:
                self.rowcount = -1
            if rows is not None:
                # Step once now, as sqlite3 does, so errors surface from execute().
                self._rows = rows
                first = next(rows, _DONE)
                if first is _DONE:
                    self._release()
                else:
                    self._first = first
        except E.Error:
            self._release()
            raise
        except RecursionError as e:
            self._release()
            raise E.OperationalError("statement too complex (nesting too deep)") from e
        except Exception as e:
            self._release()
            raise _internal(conn, f"executing {sql[:200]!r}", e) from e
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any]) -> "Cursor":
        conn = self._check()
        self._release()
        p = conn._prepare(sql)
        if p.kind != WRITE:
            raise E.ProgrammingError("executemany() can only execute DML statements.")
        total = 0
        if p.run_many is not None:
            try:
                total = conn._execute_many(p, seq_of_parameters, lambda params: self._bind(p, params))
            except E.Error:
                raise
            except Exception as e:
                raise _internal(conn, f"executing {sql[:200]!r}", e) from e
            self.rowcount = total
            self.description = None
            self.lastrowid = conn._lastrowid or 0
            return self
        try:
            for params in seq_of_parameters:
                bound = self._bind(p, params)
                rows = conn._execute(self, p, bound)
                if rows is not None:
                    for _ in rows:
                        pass
                total += conn._changes
        except E.Error:
            raise
        except Exception as e:
            raise _internal(conn, f"executing {sql[:200]!r}", e) from e
        self.rowcount = total
        self.description = None
        if isinstance(p.statement, A.Insert):
            self.lastrowid = conn._lastrowid or 0
        return self

    def executescript(self, script: str) -> "Cursor":
        conn = self._check()
        self._release()
        if conn._txn is not None and not conn._explicit:
            conn.commit()
        for parsed in parse(script):
            p = conn._compile(parsed, conn._catalog())
            try:
                rows = conn._execute(self, p, ())
                if rows is not None:
                    for _ in rows:
                        pass
            finally:
                self._release()
            # Like sqlite3's executescript(): no implicit transactions, each
            # statement outside an explicit BEGIN commits on its own.
            if conn._txn is not None and not conn._explicit:
                conn.commit()
        self.description = None
        self.rowcount = -1
        return self

    # ----------------------------------------------------------------- fetching

    def _next_raw(self) -> Any:
        first = self._first
        if first is not _DONE:
            self._first = _DONE
            return first
        rows = self._rows
        if rows is None:
            return _DONE
        try:
            row = next(rows, _DONE)
        except E.Error:
            self._release()
            raise
        except Exception as e:
            self._release()
            raise _internal(self.connection, "fetching", e) from e
        if row is _DONE:
            self._release()
        return row

    def fetchone(self) -> Any:
        if self._closed:
            self._check()
        row = self._next_raw()
        if row is _DONE:
            return None
        rf = self.row_factory
        return rf(self, row) if rf is not None else row

    def fetchmany(self, size: Optional[int] = None) -> list:
        self._check()
        n = self.arraysize if size is None else size
        out: list = []
        rf = self.row_factory
        while len(out) < n:
            row = self._next_raw()
            if row is _DONE:
                break
            out.append(rf(self, row) if rf is not None else row)
        return out

    def fetchall(self) -> list:
        self._check()
        out: list = []
        first = self._first
        if first is not _DONE:
            self._first = _DONE
            out.append(first)
        rows = self._rows
        if rows is not None:
            try:
                out.extend(rows)
            except E.Error:
                self._release()
                raise
            except Exception as e:
                self._release()
                raise _internal(self.connection, "fetching", e) from e
        self._release()
        rf = self.row_factory
        if rf is not None:
            return [rf(self, r) for r in out]
        return out

    def __iter__(self) -> "Cursor":
        return self

    def __next__(self) -> Any:
        row = self.fetchone()
        if row is None and self._rows is None and self._first is _DONE:
            raise StopIteration
        return row

    def close(self) -> None:
        self._release()
        self._closed = True

    def setinputsizes(self, sizes: Any) -> None:
        pass

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        pass

    def __enter__(self) -> "Cursor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
