"""Capture of local writes into the sync outbox, inside the writing transaction.

A pre-commit hook (``Database.precommit``) turns the committing transaction's row
changes on synced tables into one outbox row (sequence number, HLC stamp, ops,
before-images).  The outbox row commits or rolls back together with the data, so a
crash can neither lose a captured write nor queue one that never committed.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Optional

from . import hlc
from .protocol import enc, enc_row

STATE = "_terndb_sync_state"
OUTBOX = "_terndb_sync_outbox"
REJECTED = "_terndb_sync_rejected"

SCHEMA = [
    f"CREATE TABLE IF NOT EXISTS {STATE}(k TEXT PRIMARY KEY, v)",
    # status: 'pending' (not yet acknowledged), 'acked' (server applied it; still on top until
    # the pull stream shows it), 'done' (part of the server state this replica holds),
    # 'cancel' (a dependant of a rejected transaction: uploaded as an empty stub so the
    # sequence stays gap-free).
    f"CREATE TABLE IF NOT EXISTS {OUTBOX}(seq INTEGER PRIMARY KEY, hlc TEXT NOT NULL, "
    "ops TEXT NOT NULL, before TEXT NOT NULL, status TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {REJECTED}(seq INTEGER PRIMARY KEY, reason TEXT, ops TEXT, "
    "dependant_of INTEGER)",
]


class Capture:
    """Per-database capture state; installed once as a pre-commit hook."""

    def __init__(self) -> None:
        # The connection through which the sync client is applying server data: its commits
        # are not local writes.  Other connections' commits are captured meanwhile.
        self.suspended: Any = None
        self.tables: Optional[set[str]] = None
        self.clock: Optional[hlc.Clock] = None
        self.clock_now: Any = None      # injected wall clock (tests: skew)

    def __call__(self, con: Any, txn: Any) -> None:
        if con is self.suspended:
            return
        changes = txn.changes
        if not changes:
            return
        tables = self.tables
        if tables is None:
            tables = self.tables = load_tables(con)
        mine = [c for c in changes if c.table.lower() in tables]
        if not mine:
            return
        ops: list[dict] = []
        before: list[list] = []
        seen: set[tuple[str, Any]] = set()
        cat = txn.catalog
        for c in mine:
            t = cat.tables.get(c.table.lower())
            if t is None or len(t.pk) != 1:
                continue
            names = [col.name for col in t.columns]
            pki = t.pk[0]
            tname = c.table.lower()
            old = dict(zip(names, c.old)) if c.old is not None else None
            new = dict(zip(names, c.new)) if c.new is not None else None
            key_old = c.old[pki] if c.old is not None else None
            key_new = c.new[pki] if c.new is not None else None
            if c.op == "insert":
                _touch(seen, before, tname, key_new, None)
            else:
                _touch(seen, before, tname, key_old, old)
                if c.op == "update" and key_new != key_old:
                    _touch(seen, before, tname, key_new, None)
            if c.op == "insert":
                ops.append({"op": "ins", "t": tname, "pk": enc(key_new), "cols": enc_row(new or {})})
            elif c.op == "delete":
                ops.append({"op": "del", "t": tname, "pk": enc(key_old)})
            elif key_old != key_new:
                ops.append({"op": "del", "t": tname, "pk": enc(key_old)})
                ops.append({"op": "ins", "t": tname, "pk": enc(key_new), "cols": enc_row(new or {})})
            else:
                assert new is not None
                cols = {name: new[name] for name in c.columns if name in new}
                ops.append({"op": "upd", "t": tname, "pk": enc(key_new), "cols": enc_row(cols)})
        if not ops:
            return
        clock = self.get_clock(con)
        stamp = clock.tick()
        seq = int(get_state(con, "next_seq", 1))
        con.execute(f"INSERT INTO {OUTBOX}(seq, hlc, ops, before, status) VALUES (?, ?, ?, ?, 'pending')",
                    (seq, stamp, json.dumps(ops, separators=(",", ":")),
                     json.dumps(before, separators=(",", ":"))))
        set_state(con, "next_seq", seq + 1)
        set_state(con, "hlc", stamp)

    def get_clock(self, con: Any) -> hlc.Clock:
        if self.clock is None:
            self.clock = hlc.Clock(str(get_state(con, "client_id")), self.clock_now,
                                   str(get_state(con, "hlc", "") or ""))
        return self.clock


def _touch(seen: set, before: list, table: str, key: Any, img: Optional[dict]) -> None:
    k = (table, _hk(key))
    if k not in seen:
        seen.add(k)
        before.append([table, enc(key), enc_row(img) if img is not None else None])


def _hk(v: Any) -> Any:
    return (type(v).__name__, v) if not isinstance(v, (int, float)) else ("n", v)


def get_state(con: Any, key: str, default: Any = None) -> Any:
    row = con.execute(f"SELECT v FROM {STATE} WHERE k = ?", (key,)).fetchone()
    return default if row is None else row[0]


def set_state(con: Any, key: str, value: Any) -> None:
    con.execute(f"INSERT INTO {STATE}(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                (key, value))


def load_tables(con: Any) -> set[str]:
    subs = json.loads(get_state(con, "subscriptions", "[]") or "[]")
    return {s["table"] for s in subs}


def install_capture(db: Any) -> Capture:
    """The database's Capture, installing it as a pre-commit hook if needed."""
    for h in db.precommit:
        if isinstance(h, Capture):
            return h
    cap = Capture()
    db.precommit.append(cap)
    return cap


def enable(con: Any, subscriptions: list[dict]) -> Capture:
    """Make ``con``'s database sync-enabled: state tables, a client id, capture on."""
    for stmt in SCHEMA:
        con.execute(stmt)
    con.commit()
    if get_state(con, "client_id") is None:
        set_state(con, "client_id", uuid.uuid4().hex[:16])
        set_state(con, "next_seq", 1)
        con.commit()
    cap = install_capture(con.db)
    cur = json.loads(get_state(con, "subscriptions", "[]") or "[]")
    if subscriptions != cur:
        cap.suspended = con
        try:
            set_state(con, "subscriptions", json.dumps(subscriptions, sort_keys=True))
            con.commit()
        finally:
            cap.suspended = None
        cap.tables = None
    return cap
