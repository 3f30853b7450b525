"""Server-side sync: merge of uploaded transactions, the change log, rules, snapshots.

Everything lives in one embedded TernDB database; the class holds nothing a restart
would lose (the epoch is re-created on open; caches are rebuilt on demand).
This module is pure standard library + TernDB so it is tested without an HTTP stack.

Tables (besides the application's):
  _terndb_sync_log(off, client, seq, hlc, ops)  the ordered change log; ops are effective
                                                row changes with full old/new images
  _terndb_sync_clock(t, pk, clocks, alive, ahlc, ghost)  per-row column stamps, the
                                                existence register, a deleted row's values
  _terndb_sync_clients(client, user_id, applied) per-client applied sequence number
  _terndb_sync_rejects(client, seq, reason, rows) verdicts of rejected transactions (re-acked)
  _terndb_sync_epochs(epoch, ordinal, start)    one row per server start; see cursor rules
  _terndb_sync_meta(k, v)                       gen, floor, rules/schema hashes
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import re
import sys
import threading
import time
import uuid
from typing import Any, Callable, Optional

import terndb

from .. import errors as E
from ..sql import ast as A
from ..sql.parser import parse_one
from ..sync import hlc as H
from ..sync import protocol as P
from .config import Config

LOG = "_terndb_sync_log"
CLOCK = "_terndb_sync_clock"
CLIENTS = "_terndb_sync_clients"
REJECTS = "_terndb_sync_rejects"
EPOCHS = "_terndb_sync_epochs"
META = "_terndb_sync_meta"

INTERNAL = [
    f"CREATE TABLE IF NOT EXISTS {LOG}(off INTEGER PRIMARY KEY, client TEXT, seq INTEGER, hlc TEXT, ops TEXT)",
    f"CREATE TABLE IF NOT EXISTS {CLOCK}(t TEXT, pk TEXT, clocks TEXT, alive INTEGER, ahlc TEXT, ghost TEXT, "
    "PRIMARY KEY(t, pk))",
    f"CREATE TABLE IF NOT EXISTS {CLIENTS}(client TEXT PRIMARY KEY, user_id TEXT, applied INTEGER)",
    f"CREATE TABLE IF NOT EXISTS {REJECTS}(client TEXT, seq INTEGER, reason TEXT, rows TEXT, "
    "PRIMARY KEY(client, seq))",
    f"CREATE TABLE IF NOT EXISTS {EPOCHS}(epoch TEXT PRIMARY KEY, ordinal INTEGER, start INTEGER)",
    f"CREATE TABLE IF NOT EXISTS {META}(k TEXT PRIMARY KEY, v)",
]

_CLIENT_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Refused(Exception):
    """A request refused as a whole: HTTP status, code and a message for the caller."""

    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.extra = status, code, extra

    def body(self) -> dict:
        return {"v": P.PROTOCOL_VERSION, "error": str(self), "code": self.code, **self.extra}


class SQLTimeout(E.OperationalError):
    """A SQL-over-HTTP query ran past the store's time limit (raised inside the query)."""


# Where the deadline check may raise: entry to the statement's generated code (and the
# executor's helpers).  Errors raised there are ordinary runtime errors of a query (as an
# integer overflow in an expression is); storage and cache code is never interrupted.
_EXEC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "exec") + os.sep


def _deadline_profiler(deadline: float) -> Callable[..., None]:
    mono = time.monotonic

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and mono() > deadline:
            fn = frame.f_code.co_filename
            if fn == "<terndb>" or fn.startswith(_EXEC_DIR):
                raise SQLTimeout("query interrupted: time limit reached")
    return profile


class Reject(Exception):
    """One uploaded transaction refused (rule, constraint, unknown row): rolled back alone."""


class ServerStore:
    def __init__(self, location: str, cfg: Config, now: Callable[[], float] = time.time):
        self.cfg = cfg
        self.now = now
        self.location = location
        self.con = terndb.connect(location, check_same_thread=False)
        # TernDB's node cache is not safe for concurrent threads: every entry point holds this
        # lock (the app calls them from one writer and one reader thread).
        self.lock = threading.RLock()
        self._merging = False
        self._readers: dict[str, tuple[int, Any]] = {}
        self._rule_sql: dict[tuple, str] = {}
        self._filtered: dict[tuple, list] = {}
        # Seconds a SQL-over-HTTP query without the admin claim may run (it holds the store
        # lock, so an endless query would stall every pull).  TernDB's interrupt() is a
        # no-op, so the limit is enforced by a profile hook on the running thread.
        self.sql_time_limit = 5.0
        self.metrics: dict[str, float] = {k: 0 for k in (
            "push_requests", "txns_applied", "txns_duplicate", "txns_rejected", "pull_requests",
            "resets", "entries_sent", "ops_merged", "sql_requests", "compactions", "commits")}
        con = self.con
        for stmt in INTERNAL:
            con.execute(stmt)
        con.commit()
        self.hw = con.execute(f"SELECT coalesce(max(off), 0) FROM {LOG}").fetchone()[0]
        last = con.execute(f"SELECT max(hlc) FROM {LOG}").fetchone()[0] or ""
        self.clock = H.Clock("~server", now, last if last else "")
        self.gen = int(self._meta("gen") or 1)
        self.con.db.precommit.append(self._admin_hook)
        if cfg.schema.strip():
            con.executescript(cfg.schema)
            con.commit()
        self._check_tables()
        self.epoch = uuid.uuid4().hex[:16]
        n = con.execute(f"SELECT coalesce(max(ordinal), 0) FROM {EPOCHS}").fetchone()[0]
        self._merging = True
        try:
            con.execute(f"INSERT INTO {EPOCHS}(epoch, ordinal, start) VALUES (?, ?, ?)", (self.epoch, n + 1, self.hw + 1))
            if self._meta("gen") is None:
                self._set_meta("gen", 1)
            if self._meta("floor") is None:
                self._set_meta("floor", 1)
            sig = self._schema_sig() + cfg.rules_hash()
            if self._meta("sig") != sig:
                if self._meta("sig") is not None:
                    self._set_meta("gen", int(self._meta("gen")) + 1)
                self._set_meta("sig", sig)
            con.commit()
        finally:
            self._merging = False
        self.gen = int(self._meta("gen"))
        self.floor = int(self._meta("floor"))
        # Pulls, snapshots and rule-filtered SQL read committed state through their own
        # connection, so they never see a push batch that is still being applied.
        self.rcon = terndb.connect(location, check_same_thread=False)
        self.committed_hw = self.hw

    # --------------------------------------------------------------- helpers

    def _meta(self, k: str) -> Any:
        r = self.con.execute(f"SELECT v FROM {META} WHERE k = ?", (k,)).fetchone()
        return None if r is None else r[0]

    def _set_meta(self, k: str, v: Any) -> None:
        self.con.execute(f"INSERT OR REPLACE INTO {META}(k, v) VALUES (?, ?)", (k, v))

    def _check_tables(self) -> None:
        cat = self.con._catalog()
        for name in self.cfg.tables:
            t = cat.tables.get(name)
            if t is None:
                raise E.OperationalError(f"synced table {name!r} does not exist (create it in [server] schema)")
            if len(t.pk) != 1:
                raise E.OperationalError(f"synced table {name!r} needs a single-column PRIMARY KEY")

    def _schema_sig(self) -> str:
        cat = self.con._catalog()
        return ";".join(cat.tables[n].sql for n in sorted(self.cfg.tables) if n in cat.tables)

    def table(self, name: str) -> Any:
        t = self.con._catalog().tables.get(name.lower()) if isinstance(name, str) else None
        if t is None or name.lower() not in self.cfg.tables:
            raise Reject(f"table {name!r} is not synced")
        return t

    def cursor_info(self) -> dict:
        return {"epoch": self.epoch, "hw": self.committed_hw, "floor": self.floor, "gen": self.gen}

    # ------------------------------------------------------------------ rules

    def _rule(self, table: str, kind: str, user: str) -> str:
        rule = getattr(self.cfg.tables[table], kind)
        return f"({rule})"

    def _check_write(self, user: str, table: str, pkcol: str, pk: Any, when: str) -> None:
        sql = (f"SELECT 1 FROM {P.quote_ident(table)} WHERE {P.quote_ident(pkcol)} = :__pk "
               f"AND {self._rule(table, 'write', user)}")
        try:
            ok = self.con.execute(sql, {"__pk": pk, "user_id": user}).fetchone()
        except E.Error as e:
            # The rule's SQL and the engine's message stay on the server.
            raise Reject(f"write rule of {table} could not be evaluated") from e
        if ok is None:
            raise Reject(_not_allowed(table, pk))

    def _check_write_image(self, user: str, t: Any, image: dict, pk: Any) -> None:
        """The write rule evaluated on a row image that is not in the table (a deleted row's
        ghost, before or after the operation); missing columns are NULL."""
        table = t.name.lower()
        lower = {k.lower(): v for k, v in image.items()}
        cols = [c.name for c in t.columns]
        inner = ", ".join(f":__c{i} AS {P.quote_ident(c)}" for i, c in enumerate(cols))
        sql = f"SELECT 1 FROM (SELECT {inner}) AS {P.quote_ident(t.name)} WHERE {self._rule(table, 'write', user)}"
        params: dict = {f"__c{i}": lower.get(c.lower()) for i, c in enumerate(cols)}
        params["user_id"] = user
        try:
            ok = self.con.execute(sql, params).fetchone()
        except E.Error as e:
            raise Reject(f"write rule of {table} could not be evaluated") from e
        if ok is None:
            raise Reject(_not_allowed(table, pk))

    def _visible(self, user: str, table: str, row: Optional[dict], subs: list[dict]) -> bool:
        if row is None:
            return False
        lower = {k.lower(): v for k, v in row.items()}
        matching = [s for s in subs if s["table"] == table and all(
            lower.get(c) in [P.dec(v) for v in vals] for c, vals in s["where"].items())]
        if not matching:
            return False
        if self.cfg.tables[table].read.strip().lower() in ("1", "true"):
            return True
        cols = list(row)
        key = (table, tuple(cols))
        sql = self._rule_sql.get(key)
        if sql is None:
            inner = ", ".join(f":__c{i} AS {P.quote_ident(c)}" for i, c in enumerate(cols))
            sql = f"SELECT 1 FROM (SELECT {inner}) AS {P.quote_ident(table)} WHERE {self._rule(table, 'read', user)}"
            self._rule_sql[key] = sql
        params = {f"__c{i}": row[c] for i, c in enumerate(cols)}
        params["user_id"] = user
        return self.rcon.execute(sql, params).fetchone() is not None

    # ------------------------------------------------------------------- push

    def push(self, user: str, body: Any) -> dict:
        """One push request in its own commit (see push_batch)."""
        out = self.push_batch([(user, body)])[0]
        if isinstance(out, Refused):
            raise out
        return out

    def push_batch(self, reqs: list[tuple[str, Any]]) -> list[Any]:
        """Apply several push requests in one local transaction (group commit: one durable
        commit for all); each request in a savepoint, so a refused one leaves no trace.
        Returns, per request, its response body or the Refused to send."""
        with self.lock:
            return self._push_batch_locked(reqs)

    def _push_batch_locked(self, reqs: list[tuple[str, Any]]) -> list[Any]:
        con = self.con
        out: list[Any] = []
        self._merging = True
        try:
            con.execute("BEGIN")
            for user, body in reqs:
                hw = self.hw
                con.execute("SAVEPOINT push_req")
                try:
                    out.append(self._push_one(user, body))
                    con.execute("RELEASE push_req")
                except Exception as e:
                    con.execute("ROLLBACK TO push_req")
                    con.execute("RELEASE push_req")
                    self.hw = hw
                    out.append(e if isinstance(e, Refused) else
                               Refused(500, "internal", f"internal error: {type(e).__name__}"))
            con.commit()
            self.committed_hw = self.hw
            self.metrics["commits"] += 1
        except BaseException:
            con.rollback()
            self.hw = self.committed_hw
            raise
        finally:
            self._merging = False
        return out

    def _push_one(self, user: str, body: Any) -> dict:
        self.metrics["push_requests"] += 1
        _version(body)
        client = body.get("client")
        if not isinstance(client, str) or not _CLIENT_RE.match(client):
            raise Refused(400, "malformed", "client must be 1-64 characters [A-Za-z0-9_-]")
        txns = body.get("txns")
        if not isinstance(txns, list) or not txns:
            raise Refused(400, "malformed", "txns must be a non-empty list")
        if len(txns) > self.cfg.max_txns_per_push:
            raise Refused(413, "too_large", f"at most {self.cfg.max_txns_per_push} transactions per push")
        for t in txns:
            _validate_txn(t)
        con = self.con
        row = con.execute(f"SELECT user_id, applied FROM {CLIENTS} WHERE client = ?", (client,)).fetchone()
        if row is not None and row[0] != user:
            raise Refused(403, "forbidden", "this client id belongs to another user")
        applied = row[1] if row is not None else 0
        first = txns[0]["seq"]
        if first > applied + 1:
            raise Refused(409, "gap", f"sequence gap: expected transaction {applied + 1}, got {first}",
                          expected=applied + 1)
        results: list[dict] = []
        poison: set = set()
        for t in txns:
            seq = t["seq"]
            rows = {(op["t"], P.key_text(op["pk"])) for op in t["ops"]}
            if seq <= applied:
                self.metrics["txns_duplicate"] += 1
                rj = con.execute(f"SELECT reason, rows FROM {REJECTS} WHERE client = ? AND seq = ?",
                                 (client, seq)).fetchone()
                if rj is not None:
                    poison |= {tuple(x) for x in json.loads(rj[1])}
                    results.append({"seq": seq, "status": "rejected", "reason": rj[0]})
                else:
                    results.append({"seq": seq, "status": "dup"})
                continue
            if seq != applied + 1:
                raise Refused(409, "gap", f"sequence gap: expected transaction {applied + 1}, got {seq}",
                              expected=applied + 1)
            applied = seq
            reason = None
            if rows & poison:
                reason = "depends on a rejected transaction of this client"
            else:
                reason = self._apply_txn(user, client, t)
            if reason is None:
                results.append({"seq": seq, "status": "ok"})
                self.metrics["txns_applied"] += 1
            else:
                poison |= rows
                con.execute(f"INSERT OR REPLACE INTO {REJECTS}(client, seq, reason, rows) VALUES (?, ?, ?, ?)",
                            (client, seq, reason, json.dumps(sorted(rows))))
                results.append({"seq": seq, "status": "rejected", "reason": reason})
                self.metrics["txns_rejected"] += 1
        con.execute(f"INSERT OR REPLACE INTO {CLIENTS}(client, user_id, applied) VALUES (?, ?, ?)",
                    (client, user, applied))
        return {"v": P.PROTOCOL_VERSION, "results": results, "applied_seq": applied, "hlc": self.clock.last()}

    def _apply_txn(self, user: str, client: str, t: dict) -> Optional[str]:
        """Merge one uploaded transaction in a savepoint; the rejection reason, or None."""
        con = self.con
        if t.get("cancel"):
            return None
        stamp = t["hlc"]
        if H.physical_ms(stamp) > self.now() * 1000 + self.cfg.max_skew_ms:
            stamp = self.clock.tick()       # a clock far ahead must not win every conflict
        else:
            self.clock.observe(stamp)
        con.execute("SAVEPOINT push_txn")
        changes = con.transaction_changes()     # the live list of the open transaction
        mark = len(changes)
        try:
            for op in t["ops"]:
                self._apply_op(user, op, stamp)
        except Reject as r:
            con.execute("ROLLBACK TO push_txn")
            con.execute("RELEASE push_txn")
            return str(r)
        con.execute("RELEASE push_txn")
        self._log(client, t["seq"], stamp, changes[mark:])
        return None

    def _log(self, client: str, seq: int, stamp: str, changes: list) -> None:
        cat = self.con._catalog()
        ops = []
        for c in changes:
            name = c.table.lower()
            if name not in self.cfg.tables:
                continue
            t = cat.tables[name]
            names = [col.name for col in t.columns]
            pki = t.pk[0]
            old = P.enc_row(dict(zip(names, c.old))) if c.old is not None else None
            new = P.enc_row(dict(zip(names, c.new))) if c.new is not None else None
            if c.op == "update" and c.old[pki] != c.new[pki]:
                ops.append({"t": name, "pk": P.enc(c.old[pki]), "old": old, "new": None})
                ops.append({"t": name, "pk": P.enc(c.new[pki]), "old": None, "new": new})
                continue
            pk = c.new[pki] if c.new is not None else c.old[pki]
            ops.append({"t": name, "pk": P.enc(pk), "old": old, "new": new})
        self.metrics["ops_merged"] += len(ops)
        self.hw += 1
        self.con.execute(f"INSERT INTO {LOG}(off, client, seq, hlc, ops) VALUES (?, ?, ?, ?, ?)",
                         (self.hw, client, seq, stamp, json.dumps(ops, separators=(",", ":"))))

    def _apply_op(self, user: str, op: dict, h: str) -> None:
        """Merge one operation: the row's existence and each column are last-writer-wins
        registers on HLC stamps.  A deleted row keeps its column registers (the ghost) until
        its tombstone expires, so the outcome does not depend on arrival order."""
        con = self.con
        t = self.table(op["t"])
        table = op["t"].lower()         # one spelling for rules, the clock table and the log
        name = t.name
        colnames = {c.name.lower(): c.name for c in t.columns}
        pkcol = t.columns[t.pk[0]].name
        try:
            pk = dec_value(op["pk"])
            cols = {}
            for k, v in (op.get("cols") or {}).items():
                if k.lower() not in colnames:
                    raise Reject(f"table {name} has no column {k!r}")
                cols[colnames[k.lower()]] = dec_value(v)
        except ValueError as e:
            raise Reject(f"bad value: {e}") from e
        key = P.key_text(op["pk"])
        q = P.quote_ident
        clk = con.execute(f"SELECT clocks, alive, ahlc, ghost FROM {CLOCK} WHERE t = ? AND pk = ?",
                          (table, key)).fetchone()
        clocks: dict = json.loads(clk[0]) if clk else {}
        ahlc: str = clk[2] if clk else ""
        ghost: dict = P.dec_row(json.loads(clk[3])) if clk and clk[3] else {}
        try:
            cur = con.execute(f"SELECT * FROM {q(name)} WHERE {q(pkcol)} = ?", (pk,))
            row = cur.fetchone()
        except E.Error as e:
            raise Reject(f"bad key for {name}: {type(e).__name__}") from e
        exists = row is not None
        kind = op["op"]
        # The write rule is checked on the row before the operation: the live row, or for a
        # deleted row its ghost (the last image), so nobody can delete, update or re-create a
        # key whose last owner the rule does not let them write.  A delete or update of a row
        # the server has never seen (or whose tombstone expired) is refused with the same
        # message as a forbidden one: the answer does not reveal whether the row exists.
        if exists:
            self._check_write(user, table, pkcol, pk, "existing")
        elif ghost:
            self._check_write_image(user, t, ghost, pk)
        elif kind != "ins":
            raise Reject(_not_allowed(table, pk))
        alive = exists
        if kind == "ins":
            if h >= ahlc:
                alive, ahlc = True, h
            elif not exists:
                # A later delete wins: the insert would be acknowledged without taking effect.
                raise Reject(f"{name} row {pk!r} was deleted by a later change; the insert "
                             "did not take effect")
            cols[pkcol] = pk
        elif kind == "del":
            if h >= ahlc:
                alive, ahlc = False, h
        win = {c: v for c, v in cols.items() if clocks.get(c, "") <= h}
        for c in win:
            clocks[c] = h
        try:
            if exists and alive:
                win.pop(pkcol, None)
                if win:
                    con.execute(f"UPDATE {q(name)} SET {', '.join(f'{q(c)} = ?' for c in win)} "
                                f"WHERE {q(pkcol)} = ?", [*win.values(), pk])
                ghost = {}
            elif row is not None:
                ghost = {**dict(zip([d[0] for d in cur.description or ()], row)), **win}
                con.execute(f"DELETE FROM {q(name)} WHERE {q(pkcol)} = ?", (pk,))
            elif alive:
                full = {**ghost, **win, pkcol: pk}
                full = {c: v for c, v in full.items() if c.lower() in colnames}
                con.execute(f"INSERT INTO {q(name)}({', '.join(q(c) for c in full)}) "
                            f"VALUES ({', '.join('?' * len(full))})", list(full.values()))
                ghost = {}
            else:
                ghost.update(win)
        except E.IntegrityError as e:
            raise Reject(f"constraint failed: {e}") from e
        except E.Error as e:
            raise Reject(f"{type(e).__name__}: {e}") from e
        if alive:
            self._check_write(user, table, pkcol, pk, "new")
        elif kind == "upd" and win:
            self._check_write_image(user, t, ghost, pk)     # the ghost after the update
        con.execute(f"INSERT OR REPLACE INTO {CLOCK}(t, pk, clocks, alive, ahlc, ghost) VALUES (?, ?, ?, ?, ?, ?)",
                    (table, key, json.dumps(clocks, sort_keys=True), int(alive), ahlc,
                     json.dumps(P.enc_row(ghost)) if ghost else None))

    def _admin_hook(self, con: Any, txn: Any) -> None:
        """Writes that do not come through push (SQL over HTTP, the schema script) are logged
        too, stamped by the server clock; schema changes and writes to other tables (which
        rules may read) start a new generation, so clients reset."""
        if self._merging:
            return
        if con is not self.con:
            return
        mine = [c for c in txn.changes if c.table.lower() in self.cfg.tables]
        other = [c for c in txn.changes if c.table.lower() not in self.cfg.tables
                 and not c.table.lower().startswith("_terndb_sync")]
        schema = txn.catalog is not txn.base.catalog
        if not (mine or other or schema):
            return
        self._merging = True
        try:
            if mine:
                stamp = self.clock.tick()
                cat = txn.catalog
                for c in mine:
                    t = cat.tables[c.table.lower()]
                    pki = t.pk[0]
                    names = [col.name for col in t.columns]
                    for img, alive in ((c.old, 0), (c.new, 1)):
                        if img is None or (alive == 0 and c.new is not None and c.new[pki] == img[pki]):
                            continue
                        key = P.key_text(P.enc(img[pki]))
                        clocks = {n: stamp for n in names}
                        ghost = None if alive else json.dumps(P.enc_row(dict(zip(names, img))))
                        con.execute(f"INSERT OR REPLACE INTO {CLOCK}(t, pk, clocks, alive, ahlc, ghost) "
                                    "VALUES (?, ?, ?, ?, ?, ?)",
                                    (c.table.lower(), key, json.dumps(clocks, sort_keys=True), alive, stamp, ghost))
                self._log("", 0, stamp, mine)
            if schema or other:
                self.gen = int(self._meta("gen") or 1) + 1
                self._set_meta("gen", self.gen)
                if schema:
                    self._set_meta("sig", self._schema_sig() + self.cfg.rules_hash())
                self._rule_sql.clear()
        finally:
            self._merging = False

    # ------------------------------------------------------------------- pull

    def _servable(self, cursor: Any, subs_hash: str) -> bool:
        if not (isinstance(cursor, list) and len(cursor) == 4):
            return False
        epoch, off, gen, sh = cursor
        if not isinstance(epoch, str) or not isinstance(off, int) or isinstance(off, bool) \
                or gen != self.gen or sh != subs_hash:
            return False
        if off < self.floor - 1 or off > self.committed_hw:
            return False
        row = self.rcon.execute(f"SELECT ordinal FROM {EPOCHS} WHERE epoch = ?", (epoch,)).fetchone()
        if row is None:
            return False        # an epoch this data never saw: restored from an older copy
        nxt = self.rcon.execute(f"SELECT start FROM {EPOCHS} WHERE ordinal = ?", (row[0] + 1,)).fetchone()
        return nxt is None or off <= nxt[0] - 1

    def parse_pull(self, body: Any) -> tuple[str, list, Any]:
        _version(body)
        client = body.get("client")
        if not isinstance(client, str) or not _CLIENT_RE.match(client):
            raise Refused(400, "malformed", "client must be 1-64 characters [A-Za-z0-9_-]")
        try:
            subs = P.normalize_subscriptions(body.get("subscriptions", []), self.cfg.max_subscriptions)
        except ValueError as e:
            status = 429 if "too many" in str(e) else 400
            raise Refused(status, "subscriptions", str(e)) from e
        cat = self.rcon._catalog()
        for s in subs:
            if s["table"] not in self.cfg.tables or s["table"] not in cat.tables:
                raise Refused(400, "subscriptions", f"table {s['table']!r} is not synced")
            t = cat.tables[s["table"]]
            for c in s["where"]:
                if t.column_position(c) is None:
                    raise Refused(400, "subscriptions", f"table {s['table']} has no column {c!r}")
        return client, subs, body.get("cursor")

    def pull(self, user: str, body: Any) -> Optional[dict]:
        """Entries after the cursor (None: nothing new yet, the caller may wait), or a reset.

        Reads one committed snapshot taken after the high-water mark was read, so a reset's
        rows are at least as new as its cursor (later changes may arrive twice: harmless)."""
        with self.lock:
            return self._pull_locked(user, body)

    def _pull_locked(self, user: str, body: Any) -> Optional[dict]:
        self.metrics["pull_requests"] += 1
        hw = self.committed_hw
        self.rcon.execute("BEGIN")
        try:
            return self._pull(user, body, hw)
        finally:
            self.rcon.rollback()

    def _pull(self, user: str, body: Any, hw: int) -> Optional[dict]:
        client, subs, cursor = self.parse_pull(body)
        sh = P.subscriptions_hash(subs)
        row = self.rcon.execute(f"SELECT user_id, applied FROM {CLIENTS} WHERE client = ?", (client,)).fetchone()
        if row is not None and row[0] != user:
            raise Refused(403, "forbidden", "this client id belongs to another user")
        applied = row[1] if row is not None else 0
        if not self._servable(cursor, sh):
            return self._reset(user, subs, sh, applied, hw)
        off = cursor[1]
        lim = self.cfg.max_pull_entries
        rows = self.rcon.execute(f"SELECT off, client, seq, ops, hlc FROM {LOG} WHERE off > ? AND off <= ? "
                                 "ORDER BY off LIMIT ?", (off, hw, lim + 1)).fetchall()
        if not rows:
            return None
        more = len(rows) > lim
        rows = rows[:lim]
        entries = []
        cache = self._filtered
        for o, c, seq, ops, stamp in rows:
            # Many clients pull the same entries under the same user and subscriptions:
            # filter each (entry, user, subscriptions, generation) once.
            key = (o, user, sh, self.gen)
            out = cache.get(key)
            if out is None:
                out = self._filter_ops(user, json.loads(ops), subs)
                if len(cache) >= 50_000:
                    for k in list(cache)[:25_000]:
                        del cache[k]
                cache[key] = out
            e: dict = {"off": o}
            if out:
                e["ops"] = out
                e["hlc"] = stamp    # the transaction's merge stamp: clients can explain conflicts
            if c == client:
                e["mine"] = seq
            if out or c == client:
                entries.append(e)
        self.metrics["entries_sent"] += len(entries)
        return {"v": P.PROTOCOL_VERSION, "cursor": [self.epoch, rows[-1][0], self.gen, sh], "entries": entries,
                "more": more, "applied_seq": applied, "hlc": self.clock.last()}

    def _filter_ops(self, user: str, ops: list, subs: list) -> list:
        out = []
        for op in ops:
            t = op["t"]
            if not any(s["table"] == t for s in subs):
                continue
            new = P.dec_row(op["new"]) if op["new"] is not None else None
            old = P.dec_row(op["old"]) if op["old"] is not None else None
            if self._visible(user, t, new, subs):
                out.append({"t": t, "pk": op["pk"], "row": op["new"]})
            elif self._visible(user, t, old, subs):
                out.append({"t": t, "pk": op["pk"], "row": None})
        return out

    def empty_pull(self, body: dict) -> dict:
        with self.lock:
            return self._empty_pull_locked(body)

    def _empty_pull_locked(self, body: dict) -> dict:
        _, subs, cursor = self.parse_pull(body)
        return {"v": P.PROTOCOL_VERSION, "cursor": [self.epoch, cursor[1], self.gen, P.subscriptions_hash(subs)],
                "entries": [], "more": False, "hlc": self.clock.last()}

    def _reset(self, user: str, subs: list, sh: str, applied: int, hw: int) -> dict:
        self.metrics["resets"] += 1
        cat = self.rcon._catalog()
        tables: dict = {}
        q = P.quote_ident
        for name in sorted({s["table"] for s in subs}):
            t = cat.tables[name]
            cols = [c.name for c in t.columns]
            ors = []
            params: dict = {"user_id": user}
            for s in subs:
                if s["table"] != name:
                    continue
                ands = []
                for col, vals in s["where"].items():
                    ph = []
                    for v in vals:
                        params[f"__f{len(params)}"] = P.dec(v)
                        ph.append(f":__f{len(params) - 1}")
                    ands.append(f"{q(col)} IN ({', '.join(ph)})")
                ors.append("(" + (" AND ".join(ands) or "1") + ")")
            sql = (f"SELECT {', '.join(q(c) for c in cols)} FROM {q(t.name)} WHERE {self._rule(name, 'read', user)} "
                   f"AND ({' OR '.join(ors)})")
            rows = [[P.enc(v) for v in r] for r in self.rcon.execute(sql, params)]
            tables[name] = {"ddl": t.sql, "columns": cols, "types": [c.type for c in t.columns], "rows": rows}
        return {"v": P.PROTOCOL_VERSION, "reset": True, "cursor": [self.epoch, hw, self.gen, sh],
                "tables": tables, "entries": [], "more": False, "applied_seq": applied, "hlc": self.clock.last()}

    # ------------------------------------------------------------ SQL over HTTP

    def sql(self, user: str, admin: bool, body: Any) -> dict:
        with self.lock:
            return self._sql_locked(user, admin, body)

    def _sql_locked(self, user: str, admin: bool, body: Any) -> dict:
        self.metrics["sql_requests"] += 1
        if not isinstance(body, dict) or not isinstance(body.get("sql"), str):
            raise Refused(400, "malformed", "expected {\"sql\": \"...\", \"params\": [...]}")
        sql = body["sql"]
        params = body.get("params", [])
        if not isinstance(params, (list, dict)):
            raise Refused(400, "malformed", "params must be a list or an object")
        try:
            params = [dec_value(v) for v in params] if isinstance(params, list) else \
                {k: dec_value(v) for k, v in params.items()}
        except ValueError as e:
            raise Refused(400, "malformed", str(e)) from e
        if admin:
            con = self.con
        else:
            try:
                parsed = parse_one(sql)
            except E.Error as e:
                raise Refused(400, "sql", str(e)) from e
            if parsed.tail.strip() or not isinstance(parsed.statement, A.Select):
                raise Refused(403, "forbidden", "only a single SELECT is allowed without the admin claim; "
                                                "write through sync push")
            cte_names = _cte_names(parsed.statement)
            cat = self.rcon._catalog()
            clash = sorted(n for n in cte_names if _schema_name(cat, n) or n.startswith(_RESERVED))
            if clash:
                # A CTE named after a real table would hide that table from the check below.
                raise Refused(403, "forbidden", "a WITH clause may not reuse the name of a table, view or "
                                                "internal object: rename the CTE")
            bad = sorted(n for n in _table_refs(parsed.statement) if n not in self.cfg.tables)
            if bad:
                raise Refused(403, "forbidden", f"not readable over SQL without the admin claim: {', '.join(bad)} "
                                                "(only synced tables, filtered by their read rules)")
            # Every mention of a synced table now names its rule-filtered view instead.
            sql = _rename_tables(sql, self.cfg.tables)
            con = self._reader(user)
        prev = sys.getprofile()
        limited = not admin
        try:
            if limited:
                sys.setprofile(_deadline_profiler(time.monotonic() + self.sql_time_limit))
            try:
                cur = con.execute(sql, params)
                rows = cur.fetchmany(10_001) if cur.description else []
            finally:
                if limited:
                    sys.setprofile(prev)
            names = [d[0] for d in cur.description] if cur.description else []
            if admin:
                con.commit()
                self.committed_hw = self.hw
        except SQLTimeout as e:
            raise Refused(503, "timeout", f"query stopped at the time limit ({self.sql_time_limit:g} s); "
                                          "narrow it (a WHERE, a LIMIT) or ask an administrator") from e
        except E.Error as e:
            if admin:
                con.rollback()
                self.hw = self.committed_hw
            raise Refused(400, "sql", f"{type(e).__name__}: {e}") from e
        if len(rows) > 10_000:
            raise Refused(413, "too_large", "result has more than 10000 rows; add a LIMIT")
        return {"v": P.PROTOCOL_VERSION, "columns": names, "rows": [[P.enc(v) for v in r] for r in rows]}

    def _reader(self, user: str) -> Any:
        """A connection where every table is a view filtered by the user's read rules."""
        got = self._readers.get(user)
        if got is not None and got[0] == self.gen:
            return got[1]
        con = terndb.connect(self.location, check_same_thread=False)
        lit = "'" + user.replace("'", "''") + "'"
        # Queries may name only synced tables (checked before running), rewritten to these
        # views; rules that read other tables (an ACL table) see their real rows.
        for name, t in self.rcon._catalog().tables.items():
            if name in self.cfg.tables:
                rule = self.cfg.tables[name].read.replace(":user_id", lit)
                con.execute(f"CREATE TEMP VIEW {P.quote_ident(READ_VIEW + name)} AS SELECT * FROM "
                            f"{P.quote_ident(t.name)} WHERE ({rule})")
        if len(self._readers) > 64:
            for _, c in self._readers.values():
                c.close()
            self._readers.clear()
        self._readers[user] = (self.gen, con)
        return con

    # ------------------------------------------------------------- compaction

    def compact(self, keep: Optional[int] = None, tombstone_ttl: Optional[float] = None) -> int:
        """Drop log entries but the last ``keep``; expire old tombstones.  Cursors before the
        new floor get a reset.  Returns the number of entries dropped."""
        with self.lock:
            return self._compact_locked(keep, tombstone_ttl)

    def _compact_locked(self, keep: Optional[int] = None, tombstone_ttl: Optional[float] = None) -> int:
        keep = self.cfg.log_keep if keep is None else keep
        ttl = self.cfg.tombstone_ttl if tombstone_ttl is None else tombstone_ttl
        floor = max(self.floor, self.hw - keep + 1)
        con = self.con
        self._merging = True
        try:
            n = con.execute(f"SELECT count(*) FROM {LOG} WHERE off < ?", (floor,)).fetchone()[0]
            con.execute(f"DELETE FROM {LOG} WHERE off < ?", (floor,))
            self._set_meta("floor", floor)
            horizon = H.make(max(0, int((self.now() - ttl) * 1000)), 0, "")
            con.execute(f"DELETE FROM {CLOCK} WHERE alive = 0 AND ahlc < ?", (horizon,))
            con.commit()
        finally:
            self._merging = False
        self.floor = floor
        self.metrics["compactions"] += 1
        return n

    def close(self) -> None:
        for _, c in self._readers.values():
            c.close()
        self._readers.clear()
        try:
            self.con.db.precommit.remove(self._admin_hook)
        except ValueError:
            pass
        self.rcon.close()
        self.con.close()


def _version(body: Any) -> None:
    if not isinstance(body, dict):
        raise Refused(400, "malformed", "request body must be a JSON object")
    if body.get("v") != P.PROTOCOL_VERSION:
        raise Refused(400, "version", f"unsupported protocol version {body.get('v')!r}; this server speaks "
                                      f"{P.PROTOCOL_VERSION}")


def _not_allowed(table: str, pk: Any) -> str:
    # One message whether the row is missing or only not writable: it reveals nothing.
    return f"write to {table} row {pk!r} not allowed (no such row, or not writable by this user)"


_INT_MIN, _INT_MAX = -(1 << 63), (1 << 63) - 1


def dec_value(v: Any) -> Any:
    """A JSON-encoded SQL value, strictly: ValueError for anything the protocol does not
    produce (invalid base64, integers outside 64 bits, unknown encodings, lists, booleans)."""
    if isinstance(v, dict):
        if set(v) == {"$b"} and isinstance(v["$b"], str):
            try:
                return base64.b64decode(v["$b"], validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("invalid base64 in {\"$b\": ...}") from None
        if set(v) == {"$f"} and v["$f"] in ("inf", "-inf", "nan"):
            return float(v["$f"])
        raise ValueError(f"unknown value encoding {str(v)[:100]}")
    if isinstance(v, bool) or not (v is None or isinstance(v, (int, float, str))):
        raise ValueError(f"not an SQL value: {str(v)[:100]}")
    if isinstance(v, int) and not _INT_MIN <= v <= _INT_MAX:
        raise ValueError("integer out of the 64-bit range")
    return v


def _validate_txn(t: Any) -> None:
    if not isinstance(t, dict) or not isinstance(t.get("seq"), int) or isinstance(t.get("seq"), bool) \
            or t["seq"] < 1:
        raise Refused(400, "malformed", "each transaction needs an integer seq >= 1")
    try:
        H.parse(str(t.get("hlc")))
    except ValueError as e:
        raise Refused(400, "malformed", str(e)) from e
    ops = t.get("ops")
    if not isinstance(ops, list) or len(ops) > P.MAX_OPS_PER_TXN:
        raise Refused(400, "malformed", f"ops must be a list of at most {P.MAX_OPS_PER_TXN}")
    for op in ops:
        if not isinstance(op, dict) or op.get("op") not in ("ins", "upd", "del") or not isinstance(op.get("t"), str) \
                or "pk" not in op or isinstance(op["pk"], (list, bool)) or \
                (op["op"] != "del" and not isinstance(op.get("cols"), dict)):
            raise Refused(400, "malformed", f"malformed operation {str(op)[:200]}")
        op["t"] = op["t"].lower()       # table names are case-insensitive: one spelling
        try:
            if dec_value(op["pk"]) is None:
                raise ValueError("the primary key is null")
        except ValueError as e:
            raise Refused(400, "malformed", f"bad key: {e}") from e
        for k, v in (op.get("cols") or {}).items():
            try:
                dec_value(v)
            except ValueError as e:
                raise Refused(400, "malformed", f"bad value for column {str(k)[:64]!r}: {e}") from e


READ_VIEW = "__terndb_read_"


def _rename_tables(sql: str, tables: Any) -> str:
    """``sql`` with each identifier naming a synced table replaced by its read view's name
    (a column that shares a table's name breaks the query: it fails closed)."""
    from ..sql.tokens import QUOTED, WORD, tokenize
    out = []
    last = 0
    for tok in tokenize(sql):
        if tok.kind in (WORD, QUOTED) and isinstance(tok.value, str) and tok.value.lower() in tables:
            out.append(sql[last:tok.pos])
            out.append(P.quote_ident(READ_VIEW + tok.value.lower()))
            last = tok.pos + len(tok.text)
    out.append(sql[last:])
    return "".join(out)


_RESERVED = ("_terndb", "__terndb", "sqlite_")


def _schema_name(cat: Any, name: str) -> bool:
    """Whether ``name`` names a table, view, index or trigger of the catalog."""
    for attr in ("tables", "views", "indexes", "triggers"):
        objs = getattr(cat, attr, None)
        if objs is not None and name in objs:
            return True
    return False


def _cte_names(node: Any) -> set[str]:
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, A.CTE):
            out.add(n.name.lower())
        if dataclasses.is_dataclass(n) and not isinstance(n, type):
            stack.extend(getattr(n, f.name) for f in dataclasses.fields(n))
        elif isinstance(n, (list, tuple)):
            stack.extend(n)
        elif isinstance(n, dict):
            stack.extend(n.values())
    return out


def _table_refs(node: Any) -> set[str]:
    """Every table name a statement reads (schema-qualified names are reported whole, so
    ``main.item`` cannot bypass the filtered view)."""
    out: set[str] = set()
    ctes: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, A.CTE):
            ctes.add(n.name.lower())
        if isinstance(n, A.TableRef):
            out.add(f"{n.schema}.{n.name}".lower() if n.schema else n.name.lower())
        elif dataclasses.is_dataclass(n) and not isinstance(n, type):
            stack.extend(getattr(n, f.name) for f in dataclasses.fields(n))
        elif isinstance(n, (list, tuple)):
            stack.extend(n)
        elif isinstance(n, dict):
            stack.extend(n.values())
    return out - ctes
