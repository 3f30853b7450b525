"""The sync client: a sans-I/O core plus blocking and async transports around it.

:class:`SyncClient` builds push and pull requests from the local database and applies
the responses; it never touches the network.  :func:`sync_once` drives one round over
``urllib`` (CPython); :func:`sync_once_async` over ``fetch`` (Pyodide); :class:`SyncLoop`
repeats rounds in a thread with exponential backoff.

Local model (see docs/SYNC.md): the synced tables hold the server state this replica
has pulled, with the not-yet-seen local transactions (outbox rows in status
'pending'/'acked') replayed on top.  Applying server data rewinds those transactions
(before-images), applies the server transactions, replays them, and stores the cursor,
all in one local transaction.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..errors import ProgrammingError
from .capture import OUTBOX, REJECTED, Capture, enable, get_state, set_state
from .protocol import (MAX_TXNS_PER_PUSH, PROTOCOL_VERSION, AuthError, ProtocolError, SyncError,
                       dec, dec_row, dumps, enc, loads, normalize_subscriptions, quote_ident,
                       subscriptions_hash)


@dataclass
class Rejection:
    """A local transaction the server refused (or a dependant of one), rolled back locally."""

    seq: int
    reason: str
    ops: list
    dependant_of: Optional[int] = None


@dataclass
class RoundResult:
    pushed: int = 0
    acked: int = 0
    pulled: int = 0
    reset: bool = False
    rejected: list[Rejection] = field(default_factory=list)


@dataclass
class _Pending:
    seq: int
    hlc: str
    ops: list
    before: list
    status: str


class SyncClient:
    """Sans-I/O sync state machine over one connection (all state lives in the database)."""

    def __init__(self, con: Any, subscriptions: Optional[list] = None,
                 on_reject: Optional[Callable[[Rejection], Any]] = None,
                 clock: Optional[Callable[[], float]] = None, max_push: int = MAX_TXNS_PER_PUSH):
        self.con = con
        subs = normalize_subscriptions(subscriptions or [])
        self.capture: Capture = enable(con, subs)
        if clock is not None:
            self.capture.clock_now = clock
            self.capture.clock = None
        self.subscriptions = subs
        self.on_reject = on_reject
        self.rejected: list[Rejection] = []
        self.max_push = max_push
        self._sent: list[int] = []
        if get_state(con, "subs_hash") != subscriptions_hash(subs):
            self._write_state({"subs_hash": subscriptions_hash(subs), "cursor": None})

    # ------------------------------------------------------------------ state

    @property
    def client_id(self) -> str:
        return str(get_state(self.con, "client_id"))

    def cursor(self) -> Optional[list]:
        c = get_state(self.con, "cursor")
        return json.loads(c) if c else None

    def pending_count(self) -> int:
        return self.con.execute(f"SELECT count(*) FROM {OUTBOX} WHERE status IN ('pending', 'cancel')").fetchone()[0]

    def _write_state(self, values: dict) -> None:
        self.capture.suspended = self.con
        try:
            for k, v in values.items():
                set_state(self.con, k, v)
            self.con.commit()
        finally:
            self.capture.suspended = None

    def _on_top(self) -> list[_Pending]:
        rows = self.con.execute(f"SELECT seq, hlc, ops, before, status FROM {OUTBOX} "
                                "WHERE status IN ('pending', 'acked') ORDER BY seq").fetchall()
        return [_Pending(r[0], r[1], json.loads(r[2]), json.loads(r[3]), r[4]) for r in rows]

    # ------------------------------------------------------------------- push

    def push_request(self) -> Optional[dict]:
        """The next upload: whole transactions from the first unacknowledged one, or None."""
        rows = self.con.execute(f"SELECT seq, hlc, ops, status FROM {OUTBOX} WHERE status IN "
                                "('pending', 'cancel') ORDER BY seq LIMIT ?", (self.max_push,)).fetchall()
        if not rows:
            return None
        txns = []
        for seq, stamp, ops, status in rows:
            if status == "cancel":
                txns.append({"seq": seq, "hlc": stamp, "ops": [], "cancel": True})
            else:
                txns.append({"seq": seq, "hlc": stamp, "ops": json.loads(ops)})
        self._sent = [t["seq"] for t in txns]
        return {"v": PROTOCOL_VERSION, "client": self.client_id, "txns": txns}

    def handle_push(self, status: int, body: Any) -> RoundResult:
        res = RoundResult()
        _check(status, body)
        if status == 409 and isinstance(body, dict) and body.get("code") == "gap":
            self._refill_from(int(body["expected"]))
            return res
        if status != 200:
            raise SyncError(f"push refused: {body.get('error') if isinstance(body, dict) else body}",
                            status, body.get("code", "") if isinstance(body, dict) else "")
        results = body.get("results", [])
        if "hlc" in body:
            self.capture.get_clock(self.con).observe(body["hlc"])
        acked: list[int] = []
        rejected: dict[int, tuple[str, Optional[int]]] = {}
        for r in results:
            seq = int(r["seq"])
            if r["status"] in ("ok", "dup"):
                acked.append(seq)
            elif r["status"] == "rejected":
                rejected[seq] = (str(r.get("reason", "")), r.get("dependant_of"))
        res.pushed = len(results)
        con = self.con
        self.capture.suspended = self.con
        try:
            if acked:
                con.executemany(f"UPDATE {OUTBOX} SET status = 'acked' WHERE seq = ? AND status = 'pending'",
                                [(s,) for s in acked])
                con.execute(f"UPDATE {OUTBOX} SET status = 'done' WHERE status = 'cancel' AND seq IN "
                            f"({','.join('?' * len(acked))})", acked)
                res.acked = len(acked)
            if rejected:
                res.rejected = self._reject(rejected)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            self.capture.suspended = None
        self._report(res.rejected)
        return res

    def _reject(self, rejected: dict[int, tuple[str, Optional[int]]]) -> list[Rejection]:
        """Roll back rejected transactions and their unsent dependants (one local transaction)."""
        con = self.con
        top = self._on_top()
        self._rewind(top)
        out: list[Rejection] = []
        poisoned: set[tuple] = set()
        by_seq = {p.seq: p for p in top}
        sent = set(self._sent)
        for seq in sorted(by_seq):
            p = by_seq[seq]
            rows = {(o["t"], json.dumps(o["pk"])) for o in p.ops}
            if seq in rejected:
                reason, dep = rejected[seq]
                poisoned |= rows
                out.append(Rejection(seq, reason, p.ops, dep))
                con.execute(f"UPDATE {OUTBOX} SET status = 'done', ops = '[]', before = '[]' WHERE seq = ?", (seq,))
            elif seq not in sent and p.status == "pending" and rows & poisoned:
                poisoned |= rows
                dep = min(s for s in rejected) if rejected else None
                out.append(Rejection(seq, "depends on a rejected transaction", p.ops, dep))
                con.execute(f"UPDATE {OUTBOX} SET status = 'cancel', ops = '[]', before = '[]' WHERE seq = ?",
                            (seq,))
        for r in out:
            con.execute(f"INSERT OR REPLACE INTO {REJECTED}(seq, reason, ops, dependant_of) VALUES (?, ?, ?, ?)",
                        (r.seq, r.reason, json.dumps(r.ops), r.dependant_of))
        self._replay([p for p in top if p.seq not in {r.seq for r in out}])
        return out

    def _report(self, rejections: list[Rejection]) -> None:
        self.rejected.extend(rejections)
        if self.on_reject is not None:
            for r in rejections:
                self.on_reject(r)

    def _refill_from(self, expected: int) -> None:
        """The server lost transactions this replica still holds (restored from a backup):
        queue them again from ``expected`` on, or start over as a new client if we can't."""
        con = self.con
        self.capture.suspended = self.con
        try:
            have = con.execute(f"SELECT min(seq) FROM {OUTBOX}").fetchone()[0]
            if have is not None and have <= expected:
                con.execute(f"UPDATE {OUTBOX} SET status = 'pending' WHERE seq >= ? AND status IN ('acked', 'done') "
                            "AND ops != '[]'", (expected,))
                con.execute(f"UPDATE {OUTBOX} SET status = 'cancel' WHERE seq >= ? AND status = 'done' "
                            "AND ops = '[]'", (expected,))
                con.execute(f"DELETE FROM {OUTBOX} WHERE seq < ?", (expected,))
            else:
                # History pruned: become a new client and renumber what is still unsent.
                import uuid
                rows = con.execute(f"SELECT seq FROM {OUTBOX} WHERE status IN ('pending', 'acked') "
                                   "ORDER BY seq").fetchall()
                con.execute(f"DELETE FROM {OUTBOX} WHERE status NOT IN ('pending', 'acked')")
                for i, (seq,) in enumerate(rows, start=1):
                    con.execute(f"UPDATE {OUTBOX} SET seq = ?, status = 'pending' WHERE seq = ?", (-i, seq))
                con.execute(f"UPDATE {OUTBOX} SET seq = -seq")
                set_state(con, "client_id", uuid.uuid4().hex[:16])
                set_state(con, "next_seq", len(rows) + 1)
                self.capture.clock = None
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            self.capture.suspended = None

    # ------------------------------------------------------------------- pull

    def pull_request(self, wait: float = 0.0) -> dict:
        return {"v": PROTOCOL_VERSION, "client": self.client_id, "cursor": self.cursor(),
                "subscriptions": self.subscriptions, "wait": wait}

    def handle_pull(self, status: int, body: Any) -> RoundResult:
        res = RoundResult()
        _check(status, body)
        if status != 200:
            raise SyncError(f"pull refused: {body.get('error') if isinstance(body, dict) else body}",
                            status, body.get("code", "") if isinstance(body, dict) else "")
        if "hlc" in body:
            self.capture.get_clock(self.con).observe(body["hlc"])
        con = self.con
        self.capture.suspended = self.con
        try:
            if body.get("reset"):
                self._apply_reset(body)
                res.reset = True
            else:
                res.pulled = self._apply_entries(body)
            set_state(con, "cursor", json.dumps(body["cursor"]))
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            self.capture.suspended = None
        self.capture.tables = None
        return res

    def _apply_entries(self, body: dict) -> int:
        entries = body.get("entries", [])
        if not entries:
            return 0
        con = self.con
        top = self._on_top()
        self._rewind(top)
        seen: list[int] = []
        # All entries apply in this one local transaction, so only each row's final state
        # matters (nothing in between is ever visible): coalesce, then bulk-apply.
        final: dict[tuple[str, str], dict] = {}
        for e in entries:
            for op in e.get("ops", []):
                k = (op["t"], json.dumps(op["pk"]))
                final.pop(k, None)
                final[k] = op
            if e.get("mine") is not None:
                seen.append(int(e["mine"]))
        self._apply_final(list(final.values()))
        if seen:
            con.executemany(f"UPDATE {OUTBOX} SET status = 'done' WHERE seq = ?", [(s,) for s in seen])
        seen_set = set(seen)
        self._replay([p for p in top if p.seq not in seen_set])
        return len(entries)

    def _apply_reset(self, body: dict) -> None:
        con = self.con
        applied = int(body.get("applied_seq", 0))
        top = self._on_top()
        self._rewind(top)
        # Everything the server applied is in the snapshot; what it no longer has (it was
        # restored from a backup) goes back on top and is uploaded again.
        con.execute(f"UPDATE {OUTBOX} SET status = 'done' WHERE seq <= ? AND status = 'acked'", (applied,))
        con.execute(f"UPDATE {OUTBOX} SET status = 'pending' WHERE seq > ? AND status IN ('acked', 'done') "
                    "AND ops != '[]'", (applied,))
        con.execute(f"UPDATE {OUTBOX} SET status = 'cancel' WHERE seq > ? AND status = 'done' AND ops = '[]'",
                    (applied,))
        for name, info in body.get("tables", {}).items():
            self._ensure_table(name, info)
            con.execute(f"DELETE FROM {quote_ident(name)}")
            cols = info["columns"]
            # The table is empty now: a plain INSERT takes executemany's compiled bulk path.
            sql = (f"INSERT INTO {quote_ident(name)}({', '.join(quote_ident(c) for c in cols)}) "
                   f"VALUES ({', '.join('?' * len(cols))})")
            con.executemany(sql, [[dec(v) if isinstance(v, dict) else v for v in row]
                                  for row in info.get("rows", [])])
        self._replay(self._on_top())

    def _ensure_table(self, name: str, info: dict) -> None:
        con = self.con
        cat = con._catalog()
        t = cat.tables.get(name.lower())
        if t is None:
            con.execute(info["ddl"])
            return
        have = {c.name.lower() for c in t.columns}
        for col, ctype in zip(info["columns"], info.get("types", [])):
            if col.lower() not in have:
                con.execute(f"ALTER TABLE {quote_ident(name)} ADD COLUMN {quote_ident(col)} {ctype}")

    # --------------------------------------------------------- rewind/replay

    def _pk_col(self, table: str) -> str:
        t = self.con._catalog().tables[table.lower()]
        return t.columns[t.pk[0]].name

    def _set_row(self, table: str, pk: Any, row: Optional[dict]) -> None:
        con = self.con
        pkc = self._pk_col(table)
        if row is None:
            con.execute(f"DELETE FROM {quote_ident(table)} WHERE {quote_ident(pkc)} = ?", (pk,))
            return
        cols = list(row)
        con.execute(f"INSERT OR REPLACE INTO {quote_ident(table)}({', '.join(quote_ident(c) for c in cols)}) "
                    f"VALUES ({', '.join('?' * len(cols))})", [row[c] for c in cols])

    def _apply_final(self, ops: list[dict]) -> None:
        """Set each row to its final server state: delete by key, then plain INSERTs through
        executemany's bulk path."""
        con = self.con
        tables = con._catalog().tables
        by_table: dict[str, list[dict]] = {}
        for op in ops:
            if op["t"].lower() in tables:
                by_table.setdefault(op["t"], []).append(op)
        for table, tops in by_table.items():
            pkc = self._pk_col(table)
            known = {c.name.lower() for c in tables[table.lower()].columns}
            delete = f"DELETE FROM {quote_ident(table)} WHERE {quote_ident(pkc)} = ?"
            for op in tops:
                con.execute(delete, (dec(op["pk"]),))
            groups: dict[tuple, list] = {}
            for op in tops:
                row = op.get("row")
                if row is None:
                    continue
                cols = tuple(c for c in row if c.lower() in known)
                groups.setdefault(cols, []).append([dec(row[c]) if isinstance(row[c], dict) else row[c]
                                                    for c in cols])
            for cols, rows in groups.items():
                con.executemany(f"INSERT INTO {quote_ident(table)}({', '.join(quote_ident(c) for c in cols)}) "
                                f"VALUES ({', '.join('?' * len(cols))})", rows)

    def _apply_server_op(self, op: dict) -> None:
        table = op["t"]
        if table.lower() not in self.con._catalog().tables:
            return
        self._set_row(table, dec(op["pk"]), dec_row(op["row"]) if op.get("row") is not None else None)

    def _rewind(self, top: list[_Pending]) -> None:
        for p in reversed(top):
            for table, pk, img in reversed(p.before):
                if table.lower() in self.con._catalog().tables:
                    self._set_row(table, dec(pk), dec_row(img) if img is not None else None)

    def _replay(self, top: list[_Pending]) -> None:
        """Apply pending transactions again on the current state, recording new before-images."""
        from .. import errors as E
        con = self.con
        for p in top:
            before = []
            seen: set = set()
            for op in p.ops:
                k = (op["t"], json.dumps(op["pk"]))
                if k not in seen:
                    seen.add(k)
                    before.append([op["t"], op["pk"], self._read_row(op["t"], dec(op["pk"]))])
            for op in p.ops:
                try:
                    self._replay_op(op)
                except E.Error:
                    pass        # the server adjudicates: its verdict arrives with the stream
            con.execute(f"UPDATE {OUTBOX} SET before = ? WHERE seq = ?", (json.dumps(before), p.seq))

    def _read_row(self, table: str, pk: Any) -> Optional[dict]:
        if table.lower() not in self.con._catalog().tables:
            return None
        cur = self.con.execute(f"SELECT * FROM {quote_ident(table)} WHERE {quote_ident(self._pk_col(table))} = ?",
                               (pk,))
        row = cur.fetchone()
        if row is None:
            return None
        return {d[0]: enc(v) for d, v in zip(cur.description, row)}

    def _replay_op(self, op: dict) -> None:
        con = self.con
        table = op["t"]
        if table.lower() not in con._catalog().tables:
            return
        pkc = self._pk_col(table)
        pk = dec(op["pk"])
        if op["op"] == "del":
            con.execute(f"DELETE FROM {quote_ident(table)} WHERE {quote_ident(pkc)} = ?", (pk,))
            return
        cols = dec_row(op.get("cols", {}))
        known = {c.name.lower() for c in con._catalog().tables[table.lower()].columns}
        cols = {k: v for k, v in cols.items() if k.lower() in known}
        if op["op"] == "ins":
            cols[pkc] = pk
            names = list(cols)
            upd = ", ".join(f"{quote_ident(c)} = excluded.{quote_ident(c)}" for c in names if c != pkc)
            con.execute(f"INSERT INTO {quote_ident(table)}({', '.join(quote_ident(c) for c in names)}) "
                        f"VALUES ({', '.join('?' * len(names))}) ON CONFLICT({quote_ident(pkc)}) "
                        + (f"DO UPDATE SET {upd}" if upd else "DO NOTHING"), [cols[c] for c in names])
        elif cols:
            sets = ", ".join(f"{quote_ident(c)} = ?" for c in cols)
            con.execute(f"UPDATE {quote_ident(table)} SET {sets} WHERE {quote_ident(pkc)} = ?",
                        [*cols.values(), pk])

    # ------------------------------------------------------------ maintenance

    def prune(self, keep: int = 10_000) -> None:
        """Forget all but the last ``keep`` finished outbox rows (kept to re-upload after a
        server restore)."""
        self._write_state({})
        self.capture.suspended = self.con
        try:
            self.con.execute(f"DELETE FROM {OUTBOX} WHERE status = 'done' AND seq <= "
                             f"(SELECT max(seq) FROM {OUTBOX}) - ?", (keep,))
            self.con.commit()
        finally:
            self.capture.suspended = None


def _check(status: int, body: Any) -> None:
    if status in (401, 403) and isinstance(body, dict) and body.get("code") in ("token", "auth"):
        raise AuthError(str(body.get("error", "authentication failed")), status, str(body.get("code")))
    if isinstance(body, dict) and body.get("code") == "version":
        raise ProtocolError(str(body.get("error")), status, "version")
    if not isinstance(body, dict):
        raise ProtocolError(f"malformed response (HTTP {status})", status)
    if status == 200 and body.get("v") != PROTOCOL_VERSION:
        raise ProtocolError(f"server speaks protocol {body.get('v')!r}, this client {PROTOCOL_VERSION}", status,
                            "version")


# ------------------------------------------------------------------ transports

Post = Callable[[str, bytes, dict], tuple[int, bytes]]


def urllib_post(timeout: float = 60.0) -> Post:
    """A blocking POST over urllib (CPython)."""
    import urllib.error
    import urllib.request

    def post(url: str, data: bytes, headers: dict) -> tuple[int, bytes]:
        req = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            raise SyncError(f"server unreachable: {e}", 0, "network") from e
    return post


def _headers(token: Any) -> dict:
    tok = token() if callable(token) else token
    h = {"Content-Type": "application/json"}
    if tok:
        h["Authorization"] = f"Bearer {tok}"
    return h


def _decode(status: int, data: bytes) -> Any:
    try:
        return loads(data)
    except ValueError:
        return {"error": data[:200].decode("utf-8", "replace"), "code": "malformed"}


def _check_idle(con: Any) -> None:
    """A round commits on the connection it syncs: never in the middle of the caller's work."""
    if con.in_transaction:
        raise ProgrammingError("a transaction is open on this connection; commit or roll back "
                               "before syncing")


def run_round(client: SyncClient, url: str, token: Any = None, post: Optional[Post] = None,
              wait: float = 0.0, max_pulls: int = 1000) -> RoundResult:
    """Push every pending transaction, then pull until caught up (blocking transport)."""
    _check_idle(client.con)
    post = post or urllib_post(timeout=max(60.0, wait + 30))
    base = url.rstrip("/")
    total = RoundResult()
    for _ in range(10_000):
        req = client.push_request()
        if req is None:
            break
        status, data = post(base + "/v1/push", dumps(req), _headers(token))
        r = client.handle_push(status, _decode(status, data))
        total.pushed += r.pushed
        total.acked += r.acked
        total.rejected += r.rejected
    for i in range(max_pulls):
        status, data = post(base + "/v1/pull", dumps(client.pull_request(wait if i == 0 else 0)), _headers(token))
        body = _decode(status, data)
        r = client.handle_pull(status, body)
        total.pulled += r.pulled
        total.reset = total.reset or r.reset
        if not body.get("more"):
            break
    return total


async def run_round_async(client: SyncClient, url: str, token: Any = None, fetch: Any = None,
                          wait: float = 0.0) -> RoundResult:
    """The same round over an async POST (Pyodide: ``fetch``; no sockets or threads)."""
    _check_idle(client.con)
    # Upload only what is durable here: a commit IndexedDB has not confirmed may still be
    # undone (quota, a killed tab), and its sequence number would then be given again.
    await client.con.flush()
    apost = fetch or fetch_post
    base = url.rstrip("/")
    total = RoundResult()
    while True:
        req = client.push_request()
        if req is None:
            break
        status, data = await apost(base + "/v1/push", dumps(req), _headers(token))
        r = client.handle_push(status, _decode(status, data))
        total.pushed += r.pushed
        total.acked += r.acked
        total.rejected += r.rejected
    first = True
    while True:
        status, data = await apost(base + "/v1/pull", dumps(client.pull_request(wait if first else 0)),
                                   _headers(token))
        first = False
        body = _decode(status, data)
        r = client.handle_pull(status, body)
        total.pulled += r.pulled
        total.reset = total.reset or r.reset
        if not body.get("more"):
            break
    return total


async def fetch_post(url: str, data: bytes, headers: dict) -> tuple[int, bytes]:
    """POST through the browser's fetch (imported lazily: only Pyodide has it)."""
    try:
        from pyodide.http import pyfetch  # type: ignore[import-not-found]
    except ImportError as e:
        raise SyncError("fetch transport needs Pyodide; use the urllib transport on CPython") from e
    try:
        resp = await pyfetch(url, method="POST", headers=headers, body=data.decode())
        return resp.status, await resp.bytes()
    except Exception as e:
        raise SyncError(f"server unreachable: {e}", 0, "network") from e


# ------------------------------------------------------------------ front doors

def client_for(con: Any, subscriptions: Optional[list] = None, **kw: Any) -> SyncClient:
    """The connection's SyncClient, created (and the database sync-enabled) on first use."""
    _check_idle(con)
    c = getattr(con, "_sync_client", None)
    if c is None or (subscriptions is not None and
                     normalize_subscriptions(subscriptions) != c.subscriptions):
        if c is None and subscriptions is None:
            subscriptions = json.loads(get_state(con, "subscriptions", "[]") or "[]") \
                if "_terndb_sync_state" in con._catalog().tables else []
        c = SyncClient(con, subscriptions, **kw)
        con._sync_client = c
    return c


def sync_once(con: Any, url: str, token: Any = None, subscriptions: Optional[list] = None,
              post: Optional[Post] = None, wait: float = 0.0, **kw: Any) -> RoundResult:
    """``conn.sync(url, token=...)``: one blocking round (push everything, pull to the end)."""
    return run_round(client_for(con, subscriptions, **kw), url, token, post, wait)


async def sync_once_async(con: Any, url: str, token: Any = None, subscriptions: Optional[list] = None,
                          fetch: Any = None, wait: float = 0.0, **kw: Any) -> RoundResult:
    return await run_round_async(client_for(con, subscriptions, **kw), url, token, fetch, wait)


async def sync_loop_async(con: Any, url: str, token: Any = None, subscriptions: Optional[list] = None,
                          wait: float = 1.0, min_backoff: float = 0.5, max_backoff: float = 30.0,
                          on_error: Optional[Callable[[BaseException], Any]] = None,
                          on_round: Optional[Callable[[RoundResult], Any]] = None,
                          stop: Any = None, fetch: Any = None, **kw: Any) -> None:
    """Background sync for Pyodide: an asyncio task (no threads) running rounds until
    ``stop`` (an ``asyncio.Event``) is set, with exponential backoff and jitter on errors.

        task = asyncio.ensure_future(sync_loop_async(con, url, token=get_token, stop=ev))
    """
    import asyncio
    client = client_for(con, subscriptions, **kw)
    backoff = min_backoff
    while stop is None or not stop.is_set():
        try:
            w = 0.0 if client.pending_count() else wait
            r = await run_round_async(client, url, token, fetch, wait=w)
            backoff = min_backoff
            if on_round is not None:
                on_round(r)
            await asyncio.sleep(0.05)
        except Exception as e:
            if on_error is not None:
                on_error(e)
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(max_backoff, backoff * 2)


class SyncLoop:
    """Background sync in a thread: long-poll rounds, exponential backoff with jitter on errors.

    Uses its own connection to the same database (so the application's connection stays
    single-threaded).  Local commits are uploaded at once when idle, else when the current
    long-poll (``wait`` seconds) returns.  ``on_error(exc)`` sees every failure; an AuthError also calls
    ``token`` again on the next attempt when it is a callable.
    """

    def __init__(self, con: Any, url: str, token: Any = None, subscriptions: Optional[list] = None,
                 wait: float = 1.0, min_backoff: float = 0.5, max_backoff: float = 30.0,
                 on_error: Optional[Callable[[BaseException], Any]] = None,
                 on_round: Optional[Callable[[RoundResult], Any]] = None, **kw: Any):
        from ..dbapi.connection import Connection
        db = con.db
        db.connections += 1
        self.con = Connection(db, con.location, check_same_thread=False)
        self.client = SyncClient(self.con, subscriptions if subscriptions is not None else
                                 json.loads(get_state(con, "subscriptions", "[]") or "[]")
                                 if "_terndb_sync_state" in con._catalog().tables else [], **kw)
        self.url, self.token, self.wait = url, token, wait
        self.min_backoff, self.max_backoff = min_backoff, max_backoff
        self.on_error, self.on_round = on_error, on_round
        self.errors = 0
        self.rounds = 0
        self._stop = threading.Event()
        self._kick = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._unsub = con.subscribe(lambda cs: self._kick.set())

    def start(self) -> "SyncLoop":
        self._thread = threading.Thread(target=self._run, name="terndb-sync", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._kick.set()
        self._unsub()
        if self._thread is not None:
            self._thread.join(timeout)
        self.con.close()

    def _run(self) -> None:
        backoff = self.min_backoff
        while not self._stop.is_set():
            try:
                # No wait while local writes are queued; otherwise long-poll for ``wait``
                # seconds (a local commit is uploaded at the latest when the poll returns).
                wait = 0.0 if self.client.pending_count() else self.wait
                self._kick.clear()
                r = run_round(self.client, self.url, self.token, wait=wait)
                self.rounds += 1
                backoff = self.min_backoff
                if self.on_round:
                    self.on_round(r)
                self._kick.wait(0.05)
            except BaseException as e:   # never let the thread die silently
                self.errors += 1
                if self.on_error:
                    try:
                        self.on_error(e)
                    except Exception:
                        pass
                self._stop.wait(backoff * (0.5 + random.random()))
                backoff = min(self.max_backoff, backoff * 2)
