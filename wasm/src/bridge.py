"""The Python half of the TernDB worker: one connection, requests in, plain JS values out.

The JavaScript worker (``worker.mjs``) calls :meth:`Session.run` for each
request.  ``run`` is synchronous and fast; when it committed something, the
worker then awaits :meth:`Session.durable` (a JS promise, IndexedDB only)
before answering, and calls :meth:`Session.flush_failed` if that promise
rejects.  Tables changed by committed transactions are collected from the
core's change feed and handed out by :meth:`Session.take_changes`, which
drives live queries.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

import terndb
from terndb.sql import ast as A
from terndb.sql.parser import parse

try:
    from pyodide.ffi import JsProxy, jsnull, to_js  # type: ignore[import-not-found]
    import js  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - only runs inside Pyodide
    raise


def _from_js(v: Any) -> Any:
    if v is jsnull:
        return None
    if isinstance(v, JsProxy):
        if getattr(v, "typeof", "") == "object" and hasattr(v, "byteLength"):
            return v.to_bytes()
        return v.to_py()
    if isinstance(v, memoryview):
        return v.tobytes()
    return v


def _params(p: Any) -> Any:
    if p is None or p is jsnull:
        return ()
    if isinstance(p, JsProxy):
        if js.Array.isArray(p):
            return [_from_js(x) for x in p]
        d = p.to_py(depth=1)
        return {k: _from_js(v) for k, v in d.items()}
    return p


def _cell(v: Any) -> Any:
    if v is None:
        return jsnull
    if isinstance(v, bytes):
        arr = js.Uint8Array.new(len(v))
        arr.assign(v)
        return arr
    return v


def _tables(node: Any, out: set, seen: set) -> None:
    """Collect the names of tables a statement reads (views expanded)."""
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        if isinstance(x, A.TableRef):
            out.add(x.name.lower())
            continue
        if dataclasses.is_dataclass(x) and not isinstance(x, type):
            for f in dataclasses.fields(x):
                v = getattr(x, f.name, None)
                if v is not None and not isinstance(v, (str, int, float, bytes, bool)):
                    stack.append(v)


class Session:
    def __init__(self) -> None:
        self.con: Optional[terndb.Connection] = None
        self.changed: set[str] = set()
        self.url = ""

    async def open(self, url: str) -> None:
        self.url = url
        self.con = await terndb.connect_async(url, isolation_level=None)
        self.con.subscribe(self._on_change)

    def _on_change(self, cs: Any) -> None:
        if cs.schema_changed:
            self.changed.add("*")
        for t in cs.tables:
            self.changed.add(t.lower())

    def take_changes(self) -> Any:
        if not self.changed:
            return None
        out = sorted(self.changed)
        self.changed.clear()
        return to_js(out)

    # ----------------------------------------------------------- requests

    def run(self, op: str, sql: str, params: Any) -> Any:
        con = self.con
        assert con is not None
        if op == "query":
            cur = con.execute(sql, _params(params))
            return self._result(cur)
        if op == "exec":
            con.executescript(sql)
            return None
        if op == "begin":
            con.execute("BEGIN")
            return None
        if op == "commit":
            if con.in_transaction:
                con.execute("COMMIT")
            return None
        if op == "rollback":
            if con.in_transaction:
                con.execute("ROLLBACK")
            return None
        if op == "tables":
            return to_js(sorted(self.tables_of(sql)))
        raise terndb.ProgrammingError(f"unknown request {op!r}")

    def call(self, op: str, sql: str, params: Any) -> Any:
        """``run`` with errors returned as values: ``{ok, value}`` or ``{ok: false, error}``."""
        res = js.Object.new()
        try:
            res.value = self.run(op, sql, params)
            res.ok = True
        except Exception as e:
            res.ok = False
            res.error = error_info(e)
        # One crossing per request: durability promise, transaction state, changes.
        con = self.con
        res.inTxn = bool(con is not None and con.in_transaction)
        if not res.inTxn:
            res.durable = self.durable()
        if self.changed:
            res.changes = self.take_changes()
        return res

    def _result(self, cur: Any) -> Any:
        desc = cur.description
        names = [d[0] for d in desc] if desc else []
        rows = cur.fetchall() if desc else []
        out = js.Array.new()
        for row in rows:
            out.push(to_js([_cell(v) for v in row]))
        res = js.Object.new()
        res.fields = to_js(names)
        res.rows = out
        res.rowsAffected = cur.rowcount if cur.rowcount is not None and cur.rowcount >= 0 else 0
        res.lastInsertRowid = cur.lastrowid if cur.lastrowid is not None else jsnull
        return res

    def tables_of(self, sql: str) -> set[str]:
        con = self.con
        assert con is not None
        out: set[str] = set()
        for parsed in parse(sql):
            _tables(parsed.statement, out, set())
        views = con._catalog().views
        todo = [t for t in out if t in views]
        done: set[str] = set()
        while todo:
            v = todo.pop()
            if v in done:
                continue
            done.add(v)
            inner: set[str] = set()
            _tables(views[v].select, inner, set())
            for t in inner - out:
                out.add(t)
                if t in views:
                    todo.append(t)
        return out

    def in_transaction(self) -> bool:
        return bool(self.con is not None and self.con.in_transaction)

    # --------------------------------------------------------- durability

    def durable(self) -> Any:
        """A JS promise that settles when all commits are durable, or None."""
        if self.con is None or self.con.closed:
            return None
        return self.con.db.backend.flush()

    def flush_failed(self, err: Any) -> str:
        """The last flush failed: reload the durable state; return a clear message."""
        assert self.con is not None
        db = self.con.db
        recover = getattr(db.backend, "recover", None)
        if recover is not None:
            recover()
        db.reset()
        self.changed.clear()
        msg = str(getattr(err, "message", err))
        return msg

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


_PEP249 = ("IntegrityError", "ProgrammingError", "OperationalError", "DataError", "InternalError",
           "NotSupportedError", "InterfaceError", "DatabaseError", "Error")


def error_info(e: BaseException) -> Any:
    """``{name, message, type}``: ``name`` is the PEP 249 class, ``type`` the exact one."""
    name = "InternalError" if not isinstance(e, (ValueError, TypeError)) else "ProgrammingError"
    if isinstance(e, terndb.Error):
        for klass in type(e).__mro__:
            if klass.__name__ in _PEP249:
                name = klass.__name__
                break
    return to_js({"name": name, "message": str(e), "type": type(e).__name__},
                 dict_converter=js.Object.fromEntries)
