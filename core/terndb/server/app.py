"""The ASGI application: push, pull (long-poll), SQL over HTTP, health, metrics, static files.

Database work runs on the event loop thread, one request at a time (TernDB has one
writer anyway); long-polls wait on an asyncio.Condition that every commit notifies.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from ..sync import protocol as P
from . import auth
from .config import Config
from .store import Refused, ServerStore


class SyncApp:
    def __init__(self, store: ServerStore, cfg: Config, static_dir: Optional[str] = None):
        self.store = store
        self.cfg = cfg
        self.secret = cfg.get_secret()
        self.changed = asyncio.Condition()
        self.waiting = 0
        self.started = time.time()
        self.status_counts: dict[int, int] = {}
        # Group commit: pushes queue here; one writer thread applies whatever has queued
        # in one transaction (one durable commit), while the loop keeps serving pulls.
        self.queue: list[tuple[str, Any, asyncio.Future]] = []
        self.committer: Optional[asyncio.Task] = None
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="terndb-writer")
        self.reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="terndb-reader")
        routes: list[Any] = [
            Route("/v1/push", self.push, methods=["POST"]),
            Route("/v1/pull", self.pull, methods=["POST"]),
            Route("/v1/sql", self.sql, methods=["POST"]),
            Route("/health", self.health, methods=["GET"]),
            Route("/metrics", self.metrics, methods=["GET"]),
        ]
        if static_dir:
            from starlette.staticfiles import StaticFiles
            routes.append(Mount("/", app=StaticFiles(directory=static_dir, html=True), name="static"))
        self.app = Starlette(routes=routes)

    # ------------------------------------------------------------- plumbing

    def _reply(self, status: int, body: dict) -> Response:
        self.status_counts[status] = self.status_counts.get(status, 0) + 1
        return Response(P.dumps(body), status_code=status, media_type="application/json")

    def _user(self, request: Request) -> tuple[str, bool]:
        h = request.headers.get("authorization", "")
        if not h.lower().startswith("bearer "):
            raise Refused(401, "auth", "missing bearer token (Authorization: Bearer <jwt>)")
        try:
            claims = auth.verify(h[7:].strip(), self.secret)
        except auth.TokenError as e:
            raise Refused(401, "token", str(e)) from e
        user = claims.get(self.cfg.user_claim)
        if not isinstance(user, (str, int)) or isinstance(user, bool) or str(user) == "":
            raise Refused(401, "token", f"token has no {self.cfg.user_claim!r} claim")
        return str(user), claims.get(self.cfg.admin_claim) is True

    async def _body(self, request: Request) -> Any:
        limit = self.cfg.max_request_bytes
        chunks: list[bytes] = []
        n = 0
        too_large = Refused(413, "too_large", f"request body over {limit} bytes")
        async for chunk in request.stream():
            n += len(chunk)
            if n > limit:
                # Read (and drop) a moderately oversized body so the client sees the 413
                # instead of a reset connection; beyond that, stop reading.
                if n > 16 * limit:
                    raise too_large
                chunks = []
                continue
            chunks.append(chunk)
        if n > limit:
            raise too_large
        try:
            return json.loads(b"".join(chunks))
        except (ValueError, UnicodeDecodeError) as e:
            raise Refused(400, "malformed", f"request body is not JSON: {e}") from e

    async def _guard(self, request: Request, fn: Any) -> Response:
        try:
            return await fn(request)
        except Refused as r:
            return self._reply(r.status, r.body())
        except Exception as e:   # never a traceback to the caller; nothing was committed
            return self._reply(500, {"v": P.PROTOCOL_VERSION, "error": f"internal error: {type(e).__name__}",
                                     "code": "internal"})

    # ------------------------------------------------------------ endpoints

    async def push(self, request: Request) -> Response:
        async def run(request: Request) -> Response:
            user, _ = self._user(request)
            body = await self._body(request)
            fut = asyncio.get_running_loop().create_future()
            self.queue.append((user, body, fut))
            if self.committer is None or self.committer.done():
                self.committer = asyncio.create_task(self._commit_loop())
            out = await fut
            if isinstance(out, Refused):
                raise out
            return self._reply(200, out)
        return await self._guard(request, run)

    async def _commit_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self.queue:
            batch, self.queue = self.queue, []
            try:
                results = await loop.run_in_executor(self.writer, self.store.push_batch,
                                                     [(u, b) for u, b, _ in batch])
            except Exception as e:
                results = [Refused(500, "internal", f"internal error: {type(e).__name__}")] * len(batch)
            for (_, _, fut), r in zip(batch, results):
                if not fut.done():
                    fut.set_result(r)
            async with self.changed:
                self.changed.notify_all()
            s = self.store
            if s.hw - s.floor + 1 > 2 * self.cfg.log_keep:
                await loop.run_in_executor(self.writer, s.compact)

    async def pull(self, request: Request) -> Response:
        async def run(request: Request) -> Response:
            user, _ = self._user(request)
            body = await self._body(request)
            loop = asyncio.get_running_loop()
            out = await loop.run_in_executor(self.reader, self.store.pull, user, body)
            if out is None:
                wait = body.get("wait", 0)
                wait = min(float(wait), 55.0) if isinstance(wait, (int, float)) and wait > 0 else 0.0
                if wait and self.waiting < self.cfg.max_long_polls:
                    self.waiting += 1
                    try:
                        deadline = time.monotonic() + wait
                        while out is None:
                            left = deadline - time.monotonic()
                            if left <= 0:
                                break
                            async with self.changed:
                                try:
                                    await asyncio.wait_for(self.changed.wait(), left)
                                except asyncio.TimeoutError:
                                    pass
                            out = await loop.run_in_executor(self.reader, self.store.pull, user, body)
                    finally:
                        self.waiting -= 1
                if out is None:
                    out = await loop.run_in_executor(self.reader, self.store.empty_pull, body)
            return self._reply(200, out)
        return await self._guard(request, run)

    async def sql(self, request: Request) -> Response:
        async def run(request: Request) -> Response:
            user, admin = self._user(request)
            body = await self._body(request)
            hw, gen = self.store.committed_hw, self.store.gen
            if admin:       # may write: on the writer thread, after queued pushes
                out = await asyncio.get_running_loop().run_in_executor(self.writer, self.store.sql, user, admin,
                                                                        body)
            else:
                out = await asyncio.get_running_loop().run_in_executor(self.reader, self.store.sql, user, admin,
                                                                        body)
            if self.store.committed_hw != hw or self.store.gen != gen:
                async with self.changed:
                    self.changed.notify_all()
            return self._reply(200, out)
        return await self._guard(request, run)

    async def health(self, request: Request) -> Response:
        s = self.store
        return JSONResponse({"status": "ok", "v": P.PROTOCOL_VERSION, **s.cursor_info()})

    async def metrics(self, request: Request) -> Response:
        s = self.store
        lines = []
        for k, v in sorted(s.metrics.items()):
            lines.append(f"# TYPE terndb_sync_{k}_total counter")
            lines.append(f"terndb_sync_{k}_total {int(v)}")
        gauges = {"log_high_water": s.committed_hw, "log_floor": s.floor, "generation": s.gen,
                  "long_polls_waiting": self.waiting,
                  "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "cpu_seconds": round(time.process_time(), 3),
                  "uptime_seconds": round(time.time() - self.started, 3)}
        for k, v in gauges.items():
            lines.append(f"# TYPE terndb_sync_{k} gauge")
            lines.append(f"terndb_sync_{k} {v}")
        lines.append("# TYPE terndb_sync_responses_total counter")
        for st, n in sorted(self.status_counts.items()):
            lines.append(f'terndb_sync_responses_total{{status="{st}"}} {n}')
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")


def build_app(data_dir: str, cfg: Config, static_dir: Optional[str] = None) -> SyncApp:
    import os
    os.makedirs(data_dir, exist_ok=True)
    store = ServerStore(os.path.join(data_dir, "server.terndb"), cfg)
    return SyncApp(store, cfg, static_dir)


def serve(data_dir: str, cfg: Config, host: str = "127.0.0.1", port: int = 8787,
          static_dir: Optional[str] = None, ready: Any = None) -> None:
    """Run the server until interrupted; prints the bound address (port 0 picks a free one)."""
    import socket
    import sys

    import uvicorn
    sa = build_app(data_dir, cfg, static_dir)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)       # accept (queue) connections from the moment the address is printed
    config = uvicorn.Config(sa.app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    bound = sock.getsockname()[1]
    sys.stdout.write(f"terndb serve: listening on http://{host}:{bound} (data {data_dir})\n")
    sys.stdout.flush()
    server.run(sockets=[sock])
