"""Test helpers: a real uvicorn server on 127.0.0.1 in a thread, tokens, a faulty transport."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
import time
from typing import Any, Callable, Optional

# terndb.sync and terndb.server are imported lazily (here and in the test modules, through
# defer_import): Hypothesis draws "interesting" constants from every project module loaded
# when a test runs, so importing them at collection time would change the examples the
# differential suite (which runs earlier) generates.
_DEFERRED: dict[str, list[tuple[str, tuple[str, ...]]]] = {}


def defer_import(module_globals: dict, modname: str, *names: str) -> None:
    """Record ``from modname import names`` (``"x as y"`` allowed) for when a test runs."""
    _DEFERRED.setdefault(module_globals["__name__"], []).append((modname, names))


def load_deferred(module: Any) -> None:
    import importlib
    for modname, names in _DEFERRED.get(module.__name__, []):
        m = importlib.import_module(modname)
        for n in names:
            attr, _, local = n.partition(" as ")
            try:
                value = getattr(m, attr)
            except AttributeError:
                value = importlib.import_module(f"{modname}.{attr}")
            setattr(module, local or attr, value)

SECRET = "test-secret-0123456789"

SCHEMA = """
CREATE TABLE IF NOT EXISTS item(id TEXT PRIMARY KEY, owner TEXT NOT NULL, shared INTEGER DEFAULT 0,
                                a INTEGER, b TEXT);
CREATE TABLE IF NOT EXISTS acl(user_id TEXT PRIMARY KEY, banned INTEGER);
"""

_NOT_BANNED = "NOT EXISTS (SELECT 1 FROM acl WHERE acl.user_id = :user_id AND acl.banned = 1)"
RULES = {"item": {"read": f"(owner = :user_id OR shared = 1) AND {_NOT_BANNED}",
                  "write": f"owner = :user_id AND {_NOT_BANNED}"}}


def config(**server: Any) -> Any:
    from terndb.server.config import from_dict
    return from_dict({"server": {"secret": SECRET, "schema": SCHEMA, **server},
                      "tables": server.pop("tables", RULES) if "tables" in server else RULES})


def token(user: str, ttl: float = 3600, admin: bool = False, secret: str = SECRET) -> str:
    from terndb.server import auth
    claims: dict = {"sub": user, "exp": time.time() + ttl}
    if admin:
        claims["admin"] = True
    return auth.sign(claims, secret)


class ThreadServer:
    """uvicorn serving a SyncApp on an ephemeral 127.0.0.1 port, in a background thread."""

    def __init__(self, data_dir: str, cfg: Any, static_dir: Optional[str] = None):
        import uvicorn

        from terndb.server.app import build_app
        self.sa = build_app(data_dir, cfg, static_dir)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.sa.app, log_level="error", lifespan="off"))
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.01)

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))

    @property
    def store(self) -> Any:
        return self.sa.store

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sa.writer.shutdown(wait=True)
        self.sa.reader.shutdown(wait=True)
        self.sa.store.close()


class FaultyPost:
    """A transport that drops requests, drops responses (after the server acted), duplicates
    and delays-then-replays requests, driven by a seeded RNG.  The server is real."""

    def __init__(self, rng: random.Random, p_drop_req: float = 0.1, p_drop_resp: float = 0.1,
                 p_dup: float = 0.1, p_replay: float = 0.1):
        from terndb.sync.client import urllib_post
        self.rng = rng
        self.inner = urllib_post(timeout=30)
        self.p = (p_drop_req, p_drop_resp, p_dup, p_replay)
        self.stash: list[tuple[str, bytes, dict]] = []
        self.faults = 0

    def __call__(self, url: str, data: bytes, headers: dict) -> tuple[int, bytes]:
        from terndb.sync.protocol import SyncError
        r = self.rng.random
        drop_req, drop_resp, dup, replay = self.p
        if self.stash and r() < replay:
            # An old request arrives late (reordered); its response goes nowhere.
            old = self.stash.pop(self.rng.randrange(len(self.stash)))
            self.faults += 1
            self.inner(*old)
        if r() < drop_req:
            self.faults += 1
            raise SyncError("injected: request lost", 0, "network")
        if r() < 0.3:
            self.stash.append((url, data, headers))
            del self.stash[:-5]
        status, body = self.inner(url, data, headers)
        if r() < dup:
            self.faults += 1
            status, body = self.inner(url, data, headers)
        if r() < drop_resp:
            self.faults += 1
            raise SyncError("injected: response lost", 0, "network")
        return status, body
