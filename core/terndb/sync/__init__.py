"""Offline-first two-way sync with a TernDB server (protocol: docs/SYNC.md).

    import terndb
    con = terndb.connect("notes.terndb")
    con.sync("http://127.0.0.1:8787", token=jwt, subscriptions=[{"table": "note"}])

Standard library only; runs unchanged in Pyodide (``sync_once_async`` uses ``fetch``).
"""

from .client import (Rejection, RoundResult, SyncClient, SyncLoop, client_for, run_round, run_round_async,
                     sync_loop_async, sync_once, sync_once_async, urllib_post)
from .protocol import PROTOCOL_VERSION, AuthError, ProtocolError, SyncError

__all__ = ["SyncClient", "SyncLoop", "Rejection", "RoundResult", "sync_once", "sync_once_async", "run_round",
           "run_round_async", "sync_loop_async", "client_for", "urllib_post", "PROTOCOL_VERSION", "SyncError", "AuthError",
           "ProtocolError"]
