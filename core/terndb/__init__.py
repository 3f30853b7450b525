"""TernDB: a pure-Python SQL database with SQLite semantics that runs everywhere.

    >>> import terndb
    >>> con = terndb.connect(":memory:")
    >>> con.execute("SELECT 1 + 1").fetchone()
    (2,)

``connect`` takes a path (file backend), ``":memory:"`` (private, in memory) or
a URL: ``memory://name`` (shared within the process), ``file:path``.  Browser
backends (``idb://``, ``opfs://``) are registered by the Pyodide build.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from .dbapi.connection import Connection
from .dbapi.cursor import Cursor
from .dbapi.row import Row
from .engine import Change, ChangeSet
from .errors import (DatabaseError, DataError, Error, IntegrityError, InterfaceError, InternalError,
                     NotSupportedError, OperationalError, ProgrammingError, Warning)
from .engine import open_database, open_database_async
from .vfs import resolve

__version__ = "0.1.0"
apilevel = "2.0"
threadsafety = 1
paramstyle = "qmark"
sqlite_version = "3.40.1"   # the SQLite dialect and semantics TernDB follows
version = __version__


def connect(database: Any, timeout: float = 5.0, isolation_level: Optional[str] = "DEFERRED",
            check_same_thread: bool = True, cached_statements: int = 256, *,
            readonly: bool = False, uri: bool = False, **kwargs: Any) -> Connection:
    """Open a connection (PEP 249), like :func:`sqlite3.connect`.

    ``database`` is a path, ``":memory:"``, or a URL naming a backend.
    ``isolation_level=None`` selects autocommit mode.
    """
    key, make_backend, location = _locate(database, readonly)
    return _connection(open_database(key, make_backend, readonly), location, timeout, isolation_level,
                       check_same_thread, cached_statements, readonly)


async def connect_async(database: Any, timeout: float = 5.0,
                        isolation_level: Optional[str] = "DEFERRED", check_same_thread: bool = True,
                        cached_statements: int = 256, *, readonly: bool = False,
                        **kwargs: Any) -> Connection:
    """:func:`connect` for backends that load asynchronously (``idb://``, ``opfs://`` in Pyodide).

    Works for every URL; use ``await con.commit_async()`` or ``await con.flush()``
    to wait until commits are durable.
    """
    key, make_backend, location = _locate(database, readonly)
    return _connection(await open_database_async(key, make_backend, readonly), location, timeout,
                       isolation_level, check_same_thread, cached_statements, readonly)


def _locate(database: Any, readonly: bool) -> tuple:
    """(sharing key, backend factory, printable location) for a path or URL argument."""
    import os
    if isinstance(database, os.PathLike):
        database = os.fspath(database)
    if isinstance(database, bytes):
        database = database.decode()
    if not isinstance(database, str):
        raise ProgrammingError(f"database must be a path or URL string, not {type(database).__name__}")
    return resolve(database, readonly=readonly)


def _connection(db: Any, location: str, timeout: float, isolation_level: Optional[str],
                check_same_thread: bool, cached_statements: int, readonly: bool) -> Connection:
    if "_terndb_sync_state" in db.committed.catalog.tables:
        # A sync-enabled database captures local writes from its first commit on, even
        # before the application starts syncing (imported lazily: plain users never pay).
        from .sync.capture import install_capture
        install_capture(db)
    return Connection(db, location, timeout=timeout, isolation_level=isolation_level,
                      check_same_thread=check_same_thread, cached_statements=cached_statements,
                      readonly=readonly)


__all__ = [
    "connect", "connect_async", "Connection", "Cursor", "Row", "Change", "ChangeSet", "Warning", "Error",
    "InterfaceError", "DatabaseError", "DataError", "OperationalError", "IntegrityError",
    "InternalError", "ProgrammingError", "NotSupportedError", "apilevel", "threadsafety",
    "paramstyle", "__version__",
]
