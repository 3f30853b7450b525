"""The Python half of ``db.sync`` in the worker: the terndb sync client over ``fetch``.

Loaded lazily by ``sync-worker.mjs`` the first time a page calls ``db.sync``.  Each
request (``sync:init``, ``sync:round``, ``sync:status``) runs in the worker's request
queue, so a round never interleaves with a page transaction; the network calls use the
sync client's async transport (``run_round_async``) with ``fetch``.  Everything is
returned as JSON text.

The page's connection is in autocommit mode (``isolation_level=None``); the client's
push and pull handlers expect one transaction per response, so each is wrapped in an
explicit BEGIN here.
"""

from __future__ import annotations

import json
import time
from typing import Any, Optional

from terndb.sync import conflicts as C
from terndb.sync.client import Rejection, SyncClient, run_round_async
from terndb.sync.protocol import AuthError, SyncError

FETCH_TIMEOUT_MS = 15_000


class ReportingClient(SyncClient):
    """A SyncClient that reports conflicts and keeps each response in one transaction."""

    def __init__(self, con: Any, subscriptions: list, **kw: Any):
        super().__init__(con, subscriptions, **kw)
        self.conflicts: list[C.Conflict] = []

    def _atomic(self, fn: Any, status: int, body: Any) -> Any:
        con = self.con
        con.execute("BEGIN")
        try:
            return fn(status, body)
        finally:
            if con.in_transaction:
                con.rollback()

    def handle_push(self, status: int, body: Any) -> Any:
        return self._atomic(super().handle_push, status, body)

    def handle_pull(self, status: int, body: Any) -> Any:
        found: list[C.Conflict] = []
        if status == 200 and isinstance(body, dict) and not body.get("reset"):
            found = C.detect(self._on_top(), body.get("entries") or [])
        res = self._atomic(super().handle_pull, status, body)
        self.conflicts.extend(C.settle(self.con, found))
        return res


async def _post(url: str, data: bytes, headers: dict) -> tuple[int, bytes]:
    """fetch with a deadline, so a hung server cannot hold the worker's queue."""
    import js  # type: ignore[import-not-found]
    from pyodide.http import pyfetch  # type: ignore[import-not-found]
    try:
        resp = await pyfetch(url, method="POST", headers=headers, body=data.decode(),
                             signal=js.AbortSignal.timeout(FETCH_TIMEOUT_MS))
        return resp.status, await resp.bytes()
    except Exception as e:
        raise SyncError(f"server unreachable: {e}", 0, "network") from e


class SyncDriver:
    def __init__(self, session: Any):
        self.session = session
        self.client: Optional[ReportingClient] = None
        self.rejected: list[Rejection] = []

    async def call(self, cmd: str, args_json: str) -> str:
        try:
            args = json.loads(args_json) if args_json else {}
            if cmd == "init":
                out = self.init(args.get("subscriptions") or [])
            elif cmd == "round":
                # A worker that took over from another tab's (Web Locks) has no client yet.
                if self.client is None or self.client.con is not self.session.con:
                    self.init(args.get("subscriptions") or [])
                out = await self.round(args["url"], args.get("token"), float(args.get("wait") or 0))
            elif cmd == "status":
                out = self.status()
            else:
                raise ValueError(f"unknown sync request {cmd!r}")
            return json.dumps({"ok": True, "value": out})
        except BaseException as e:
            code = getattr(e, "code", "") or ""
            name = "AuthError" if isinstance(e, AuthError) else type(e).__name__
            return json.dumps({"ok": False, "error": {"name": name, "message": str(e), "code": code,
                                                       "status": getattr(e, "status", 0)}})

    def init(self, subscriptions: list) -> dict:
        con = self.session.con
        if self.client is None or self.client.con is not con:
            self.client = ReportingClient(con, subscriptions, on_reject=lambda r: self.rejected.append(r))
        return self.status()

    def status(self) -> dict:
        c = self.client
        if c is None:
            return {"pending": 0, "client": None}
        return {"pending": c.pending_count(), "client": c.client_id, "cursor": c.cursor()}

    async def round(self, url: str, token: Optional[str], wait: float) -> dict:
        c = self.client
        if c is None:
            raise SyncError("sync is not started (call db.sync.start first)")
        t0 = time.time()
        r = await run_round_async(c, url, token, fetch=_post, wait=wait)
        # Kept across failed rounds: reported with the next one that completes.
        conflicts, c.conflicts = c.conflicts, []
        rejected, self.rejected = self.rejected, []
        return {"pushed": r.pushed, "acked": r.acked, "pulled": r.pulled, "reset": r.reset,
                "ms": round((time.time() - t0) * 1000, 1), **self.status(),
                "conflicts": [x.as_dict() for x in conflicts],
                "rejected": [{"seq": x.seq, "reason": x.reason, "ops": x.ops, "dependantOf": x.dependant_of}
                             for x in rejected]}
