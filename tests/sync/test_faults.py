"""Seeded, shrinkable property test: several clients, random transactions, offline and
online, under injected faults, against the oracle.

Faults: requests and responses dropped, duplicated and replayed late (reordered); a
client killed after uploading (response lost, connection reopened) and while applying a
download (its local transaction fails, then it reopens); server restarts; the server
restored from an older copy of its data directory; log compaction; skewed clocks; a
column added while clients are offline; expired tokens; a permission revoked and given
back.  Invariants: replicas converge to the server, the server equals the oracle over
the accepted transactions, every acknowledged transaction is accepted, each takes
effect once, server transactions are visible atomically (pairs), and no client holds a
row outside its read rule.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import terndb

from .harness import FaultyPost, ThreadServer, config, token, defer_import

defer_import(globals(), "terndb.sync", 'AuthError', 'SyncError')
defer_import(globals(), "terndb.sync.client", 'SyncClient', 'run_round', 'urllib_post')
defer_import(globals(), "terndb.sync.protocol", 'dumps')
from .oracle import Oracle
from .settings import sync_settings

SUBS = [{"table": "item"}]
COLS = ["id", "owner", "shared", "a", "b"]
DEVICES = [("alice", "d0"), ("alice", "d1"), ("bob", "d2")]

# Weighted: mostly writes and syncs, every fault now and then.
KINDS = (["write"] * 10 + ["sync"] * 6 + ["kill_upload", "kill_apply", "skew", "expired", "restart", "backup",
                                         "restore", "compact", "add_column", "revoke", "unrevoke"])
step = st.tuples(st.sampled_from(KINDS), st.integers(0, 2), st.integers(0, 8), st.integers(0, 50),
                 st.integers(0, 50))


class Device:
    def __init__(self, root: Path, user: str, name: str, rng: random.Random):
        self.path = str(root / f"{name}.terndb")
        self.user = user
        self.skew = 0.0
        self.rng = rng
        self.txns: dict[int, tuple[str, list]] = {}
        self.acked: set[int] = set()
        self.con = None
        self.client = None
        self.open()

    def open(self) -> None:
        self.con = terndb.connect(self.path)
        self.client = SyncClient(self.con, SUBS, clock=lambda: time.time() + self.skew)

    def crash(self) -> None:
        """The process dies: drop the connection without committing anything."""
        self.con.rollback()
        self.con.close()
        self.open()

    def record_last(self) -> None:
        row = self.con.execute("SELECT seq, hlc, ops FROM _terndb_sync_outbox ORDER BY seq DESC LIMIT 1").fetchone()
        if row is not None and row[0] not in self.txns:
            self.txns[row[0]] = (row[1], json.loads(row[2]))


class Recorder:
    """Wraps a transport: remembers every push acknowledgement the client actually received."""

    def __init__(self, dev: Device, inner):
        self.dev, self.inner = dev, inner

    def __call__(self, url, data, headers):
        status, body = self.inner(url, data, headers)
        if url.endswith("/v1/push") and status == 200:
            for r in json.loads(body).get("results", []):
                if r["status"] in ("ok", "dup"):
                    self.dev.acked.add(r["seq"])
        return status, body


def local_rows(dev: Device) -> list[tuple]:
    try:
        return sorted(dev.con.execute("SELECT id, owner, shared, a, b FROM item").fetchall(), key=repr)
    except terndb.Error:
        return []


def check_local_invariants(dev: Device, banned: bool, synced_ok: bool) -> None:
    rows = local_rows(dev)
    # Atomic visibility: pair rows are written and deleted together, in one transaction.
    pairs: dict[str, int] = {}
    for r in rows:
        if r[0].startswith("p"):
            pairs[r[0][:-2]] = pairs.get(r[0][:-2], 0) + 1
    assert all(n == 2 for n in pairs.values()), (dev.path, rows)
    # Read rule: another user's row is only here while it is shared.
    for r in rows:
        assert r[1] == dev.user or r[2] == 1, (dev.user, r)
    if banned and synced_ok:
        assert rows == [], (dev.user, rows)


def write(dev: Device, kind: int, k: int, val: int) -> None:
    con = dev.con
    rows = local_rows(dev)
    mine = [r for r in rows if r[1] == dev.user and not r[0].startswith("p")]
    singles = [r for r in rows if not r[0].startswith("p")]
    other = "bob" if dev.user == "alice" else "alice"
    if (kind in (1, 2, 3) and not singles) or (kind == 6 and not mine):
        kind = 0        # nothing to change yet: create something
    try:
        if kind == 0:
            con.execute("INSERT INTO item(id, owner, shared, a, b) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET a = excluded.a, shared = excluded.shared",
                        (f"{dev.user}-{k % 3}", dev.user, val % 2, val, None))
        elif kind in (1, 2) and singles + rows:
            r = (singles or rows)[k % len(singles or rows)]
            if kind == 1:
                con.execute("UPDATE item SET a = ? WHERE id = ?", (val, r[0]))
            else:
                con.execute("UPDATE item SET b = ? WHERE id = ?", (f"v{val}", r[0]))
        elif kind == 3 and singles:
            con.execute("DELETE FROM item WHERE id = ?", (singles[k % len(singles)][0],))
        elif kind == 4:
            for i in (1, 2):
                con.execute("INSERT INTO item(id, owner, shared, a, b) VALUES (?, ?, ?, ?, 'pair')",
                            (f"p{dev.user}{k % 3}-{i}", dev.user, val % 2, val))
        elif kind == 5:
            con.execute("DELETE FROM item WHERE id LIKE ?", (f"p{dev.user}{k % 3}-_",))
        elif kind == 6 and mine:
            con.execute("UPDATE item SET shared = 1 - shared WHERE id = ?", (mine[k % len(mine)][0],))
        elif kind == 7:
            con.execute("INSERT INTO item(id, owner, shared, a) VALUES (?, ?, 1, ?)", (f"x{k % 4}", other, val))
        elif kind == 8:
            con.execute("INSERT INTO item(id, owner, shared, a, b) VALUES (?, ?, 1, ?, 'm')",
                        (f"{dev.user}-m{k % 3}", dev.user, val))
            if singles:
                con.execute("UPDATE item SET a = ? WHERE id = ?", (val + 1, singles[k % len(singles)][0]))
        con.commit()
    except terndb.IntegrityError:
        con.rollback()
        return
    dev.record_last()


@sync_settings(ci=25)
@given(steps=st.lists(step, min_size=10, max_size=40), seed=st.integers(0, 2**32 - 1))
def test_replicas_converge_to_oracle_under_faults(steps, seed):
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="terndb-sync-prop-"))
    data = root / "server"
    srv = ThreadServer(str(data), config(max_skew_ms=120_000, log_keep=1000))
    devs = [Device(root, user, name, rng) for user, name in DEVICES]
    faulty = {id(d): FaultyPost(random.Random(rng.random()), 0.15, 0.15, 0.15, 0.15) for d in devs}
    banned = False
    column_added = False
    backup: Path | None = None
    try:
        for d in devs:
            run_round(d.client, srv.url, token(d.user), Recorder(d, urllib_post()))
        for kind, i, a, b, c in steps:
            dev = devs[i]
            if kind == "write":
                write(dev, a, b, c)
            elif kind == "sync":
                post = Recorder(dev, faulty[id(dev)] if a % 3 else urllib_post())
                try:
                    run_round(dev.client, srv.url, token(dev.user), post)
                    ok = True
                except SyncError:
                    ok = False
                check_local_invariants(dev, banned and dev.user == "bob", ok)
            elif kind == "kill_upload":
                req = dev.client.push_request()
                if req is not None:   # the upload reaches the server, the process dies before the reply
                    urllib_post()(srv.url + "/v1/push", dumps(req), {"Authorization": f"Bearer {token(dev.user)}",
                                                                     "Content-Type": "application/json"})
                dev.crash()
            elif kind == "kill_apply":
                def boom(con, txn):
                    raise RuntimeError("killed while applying a download")
                dev.con.db.precommit.insert(0, boom)
                try:
                    run_round(dev.client, srv.url, token(dev.user), Recorder(dev, urllib_post()))
                except (RuntimeError, SyncError):
                    pass
                finally:
                    dev.con.db.precommit.remove(boom)
                dev.crash()
                check_local_invariants(dev, False, False)
            elif kind == "skew":
                dev.skew = float(b - 25)
            elif kind == "expired":
                before = local_rows(dev)
                try:
                    run_round(dev.client, srv.url, token(dev.user, ttl=-5), urllib_post())
                    raise AssertionError("an expired token was accepted")
                except AuthError:
                    pass
                assert local_rows(dev) == before
            elif kind == "restart":
                srv.stop()
                srv = ThreadServer(str(data), srv.sa.cfg)
            elif kind == "backup":
                srv.stop()
                backup = root / f"backup-{len(list(root.glob('backup-*')))}"
                shutil.copytree(data, backup)
                srv = ThreadServer(str(data), srv.sa.cfg)
            elif kind == "restore" and backup is not None:
                cfg = srv.sa.cfg
                srv.stop()
                shutil.rmtree(data)
                shutil.copytree(backup, data)
                srv = ThreadServer(str(data), cfg)
                # The restored ACL and schema are the backup's.
                banned = srv.store.con.execute("SELECT count(*) FROM acl WHERE banned = 1").fetchone()[0] > 0
                cols = [c.name for c in srv.store.con._catalog().tables["item"].columns]
                column_added = "c" in cols
            elif kind == "compact":
                srv.store.compact(keep=2, tombstone_ttl=3600)
            elif kind == "add_column" and not column_added:
                _admin(srv, "ALTER TABLE item ADD COLUMN c TEXT DEFAULT 'new'")
                column_added = True
            elif kind == "revoke":
                _admin(srv, "INSERT OR REPLACE INTO acl VALUES ('bob', 1)")
                banned = True
            elif kind == "unrevoke":
                _admin(srv, "DELETE FROM acl")
                banned = False
        # Settle: faults stop, everyone syncs until quiet.
        if banned:
            _admin(srv, "DELETE FROM acl")
            banned = False
        for _ in range(3):
            for d in devs:
                run_round(d.client, srv.url, token(d.user), Recorder(d, urllib_post()))
        _check_final(srv, devs, steps)
    finally:
        for d in devs:
            d.con.close()
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


def _admin(srv: ThreadServer, sql: str) -> None:
    status, body = urllib_post()(srv.url + "/v1/sql", dumps({"sql": sql}),
                                 {"Authorization": f"Bearer {token('root', admin=True)}",
                                  "Content-Type": "application/json"})
    assert status == 200, body


def _check_final(srv: ThreadServer, devs: list[Device], steps: list = ()) -> None:
    con = srv.store.con
    server_rows = sorted(con.execute("SELECT id, owner, shared, a, b FROM item").fetchall(), key=repr)
    applied = dict(con.execute("SELECT client, applied FROM _terndb_sync_clients").fetchall())
    rejects: dict[str, set] = {}
    for cid, seq in con.execute("SELECT client, seq FROM _terndb_sync_rejects").fetchall():
        rejects.setdefault(cid, set()).add(seq)
    # Exactly once: the log never holds one upload twice.
    logged = con.execute("SELECT client, seq FROM _terndb_sync_log WHERE client != ''").fetchall()
    assert len(logged) == len(set(logged))
    oracle = Oracle()
    accepted = []
    for d in devs:
        cid = d.client.client_id
        local_rejected = {r[0] for r in d.con.execute("SELECT seq FROM _terndb_sync_rejected")}
        assert rejects.get(cid, set()) <= local_rejected
        # Nothing left to upload, nothing lost: every acknowledgement the client received
        # names a transaction the server holds now.
        assert d.client.pending_count() == 0
        assert d.con.execute("SELECT count(*) FROM _terndb_sync_outbox WHERE status != 'done'").fetchone()[0] == 0
        for seq in d.acked:
            assert seq <= applied.get(cid, 0), (cid, seq, applied)
        for seq, (stamp, ops) in d.txns.items():
            if seq <= applied.get(cid, 0) and seq not in local_rejected:
                accepted.append((stamp, ops))
            else:
                assert seq in local_rejected, (cid, seq)
    for stamp, ops in sorted(accepted, key=lambda x: x[0]):
        oracle.apply(stamp, ops)
    if os.environ.get("TERNDB_SYNC_DEBUG"):
        arrival = [r[0] for r in con.execute("SELECT hlc FROM _terndb_sync_log WHERE client != '' ORDER BY off")]
        inversions = sum(1 for x, y in zip(arrival, arrival[1:]) if x > y)
        print(f"accepted={len(accepted)} rejected={sum(len(v) for v in rejects.values())} "
              f"rows={len(server_rows)} inversions={inversions}", steps if not accepted else "")
    assert server_rows == oracle.state(COLS)
    for d in devs:
        visible = [r for r in server_rows if r[1] == d.user or r[2] == 1]
        assert local_rows(d) == visible, d.path
