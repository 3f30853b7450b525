"""Sync over real HTTP: a uvicorn server on 127.0.0.1, file-backed clients."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import terndb

from .harness import SECRET, ThreadServer, config, token, defer_import

defer_import(globals(), "terndb.sync", 'AuthError', 'SyncLoop')
defer_import(globals(), "terndb.sync.client", 'client_for', 'run_round_async', 'urllib_post')
defer_import(globals(), "terndb.sync.protocol", 'PROTOCOL_VERSION', 'dumps')

SUBS = [{"table": "item"}]


def mk(tmp_path: Path, name: str) -> terndb.Connection:
    return terndb.connect(str(tmp_path / f"{name}.terndb"))


def sync(con, srv, user, subs=SUBS, **kw):
    return con.sync(srv.url, token=token(user), subscriptions=subs, **kw)


def post(srv, path, body, tok=None, raw=None, headers=None):
    h = {"Content-Type": "application/json"}
    if tok:
        h["Authorization"] = f"Bearer {tok}"
    h.update(headers or {})
    status, data = urllib_post()(srv.url + path, raw if raw is not None else dumps(body), h)
    return status, json.loads(data)


def rows(con, sql="SELECT * FROM item ORDER BY id"):
    return con.execute(sql).fetchall()


def server_rows(srv):
    return srv.store.con.execute("SELECT * FROM item ORDER BY id").fetchall()


def test_two_devices_converge_and_concurrent_columns_both_survive(server, tmp_path):
    a, b = mk(tmp_path, "a"), mk(tmp_path, "b")
    sync(a, server, "alice")
    a.execute("INSERT INTO item(id, owner, shared, a, b) VALUES ('r', 'alice', 0, 1, 'x')")
    a.commit()
    sync(a, server, "alice")
    sync(b, server, "alice")
    assert rows(b) == [("r", "alice", 0, 1, "x")]
    # Both offline: different columns of the same row.
    a.execute("UPDATE item SET a = 2 WHERE id = 'r'")
    a.commit()
    b.execute("UPDATE item SET b = 'y' WHERE id = 'r'")
    b.commit()
    sync(a, server, "alice")
    sync(b, server, "alice")
    sync(a, server, "alice")
    assert rows(a) == rows(b) == server_rows(server) == [("r", "alice", 0, 2, "y")]


def test_same_column_later_clock_wins_whatever_the_arrival_order(server, tmp_path):
    early, late = mk(tmp_path, "early"), mk(tmp_path, "late")
    sync(early, server, "alice")
    early.execute("INSERT INTO item(id, owner, a) VALUES ('r', 'alice', 0)")
    early.commit()
    sync(early, server, "alice")
    sync(late, server, "alice", clock=lambda: time.time() + 5)   # 5 s ahead, within the skew bound
    late.execute("UPDATE item SET a = 222 WHERE id = 'r'")
    late.commit()
    early.execute("UPDATE item SET a = 111 WHERE id = 'r'")
    early.commit()
    sync(late, server, "alice")      # the later stamp arrives first
    sync(early, server, "alice")     # the earlier stamp arrives last and loses
    sync(late, server, "alice")
    assert rows(early) == rows(late) == server_rows(server) == [("r", "alice", 0, 222, None)]


def test_clock_far_ahead_is_restamped_by_the_server(server, tmp_path):
    a, b = mk(tmp_path, "a"), mk(tmp_path, "b")
    sync(a, server, "alice")
    a.execute("INSERT INTO item(id, owner, a) VALUES ('r', 'alice', 0)")
    a.commit()
    sync(a, server, "alice")
    sync(b, server, "alice", clock=lambda: time.time() + 86400)   # a day ahead
    b.execute("UPDATE item SET a = 1 WHERE id = 'r'")
    b.commit()
    sync(b, server, "alice")
    a.execute("UPDATE item SET a = 2 WHERE id = 'r'")   # truly later: must win
    a.commit()
    sync(a, server, "alice")
    sync(b, server, "alice")
    assert rows(a) == rows(b) == [("r", "alice", 0, 2, None)]


def test_delete_wins_over_concurrent_update_and_reinsert_resurrects(server, tmp_path):
    a, b = mk(tmp_path, "a"), mk(tmp_path, "b")
    sync(a, server, "alice")
    a.execute("INSERT INTO item(id, owner, a) VALUES ('r', 'alice', 0)")
    a.commit()
    sync(a, server, "alice")
    sync(b, server, "alice")
    b.execute("UPDATE item SET a = 5 WHERE id = 'r'")   # later stamp, but an update
    b.commit()
    a.execute("DELETE FROM item WHERE id = 'r'")
    a.commit()
    sync(a, server, "alice")
    sync(b, server, "alice")
    sync(a, server, "alice")
    assert rows(a) == rows(b) == server_rows(server) == []
    b.execute("INSERT INTO item(id, owner, a) VALUES ('r', 'alice', 9)")
    b.commit()
    sync(b, server, "alice")
    sync(a, server, "alice")
    assert rows(a) == rows(b) == [("r", "alice", 0, 9, None)]


def test_rejected_transaction_and_dependants_rolled_back_and_reported(server, tmp_path):
    a, b = mk(tmp_path, "a"), mk(tmp_path, "b")
    sync(a, server, "alice")
    a.execute("INSERT INTO item(id, owner, shared, a) VALUES ('s', 'alice', 1, 0)")
    a.commit()
    sync(a, server, "alice")
    seen = []
    client_for(b, SUBS, on_reject=seen.append)
    sync(b, server, "bob")
    assert rows(b) == [("s", "alice", 1, 0, None)]
    b.execute("INSERT INTO item(id, owner, a) VALUES ('steal', 'alice', 1)")   # outside bob's write rule
    b.commit()
    b.execute("UPDATE item SET a = 2 WHERE id = 'steal'")                      # depends on it
    b.commit()
    b.execute("UPDATE item SET a = 3 WHERE id = 's'")                          # not bob's row
    b.commit()
    b.execute("INSERT INTO item(id, owner, a) VALUES ('mine', 'bob', 4)")      # fine
    b.commit()
    r = sync(b, server, "bob")
    assert [x.seq for x in r.rejected] == [1, 2, 3]
    assert "write" in r.rejected[0].reason and "depends" in r.rejected[1].reason
    assert [x.seq for x in seen] == [1, 2, 3]
    assert rows(b) == [("mine", "bob", 0, 4, None), ("s", "alice", 1, 0, None)]
    assert server_rows(server) == [("mine", "bob", 0, 4, None), ("s", "alice", 1, 0, None)]
    assert b.execute("SELECT seq FROM _terndb_sync_rejected ORDER BY seq").fetchall() == [(1,), (2,), (3,)]


def test_unsent_dependants_are_cancelled_without_a_sequence_gap(server, tmp_path):
    b = mk(tmp_path, "b")
    client_for(b, SUBS, max_push=1)
    sync(b, server, "bob")
    b.execute("INSERT INTO item(id, owner, a) VALUES ('x', 'alice', 1)")   # rejected
    b.commit()
    b.execute("UPDATE item SET a = 2 WHERE id = 'x'")                       # dependant, not yet sent
    b.commit()
    b.execute("INSERT INTO item(id, owner, a) VALUES ('y', 'bob', 3)")     # independent
    b.commit()
    r = sync(b, server, "bob")
    assert [(x.seq, x.dependant_of) for x in r.rejected] == [(1, None), (2, 1)]
    assert rows(b) == server_rows(server) == [("y", "bob", 0, 3, None)]
    applied = server.store.con.execute("SELECT applied FROM _terndb_sync_clients").fetchone()[0]
    assert applied == 3


def test_duplicate_is_reacked_gap_refused_nothing_partial(server):
    tok = token("alice")
    txn = {"seq": 1, "hlc": "0000000003e8.0000.c1", "ops": [
        {"op": "ins", "t": "item", "pk": "k", "cols": {"id": "k", "owner": "alice", "a": 1}}]}
    st, body = post(server, "/v1/push", {"v": 1, "client": "c1", "txns": [txn]}, tok)
    assert st == 200 and body["results"] == [{"seq": 1, "status": "ok"}]
    st, body = post(server, "/v1/push", {"v": 1, "client": "c1", "txns": [txn]}, tok)
    assert st == 200 and body["results"] == [{"seq": 1, "status": "dup"}]
    gap = dict(txn, seq=3)
    st, body = post(server, "/v1/push", {"v": 1, "client": "c1", "txns": [gap]}, tok)
    assert st == 409 and body["code"] == "gap" and body["expected"] == 2
    # A gap in the middle of a batch refuses the whole batch.
    t2 = {"seq": 2, "hlc": "0000000003e9.0000.c1", "ops": [
        {"op": "upd", "t": "item", "pk": "k", "cols": {"a": 2}}]}
    st, body = post(server, "/v1/push", {"v": 1, "client": "c1", "txns": [t2, dict(t2, seq=4)]}, tok)
    assert st == 409
    assert server_rows(server) == [("k", "alice", 0, 1, None)]
    assert server.store.hw == 1
    # Another user cannot use the same client id.
    st, body = post(server, "/v1/push", {"v": 1, "client": "c1", "txns": [t2]}, token("bob"))
    assert st == 403


def test_bad_input_refused_with_clear_status(server):
    tok = token("alice")
    hw = server.store.hw
    ok_txn = {"seq": 1, "hlc": "0000000003e8.0000.c1", "ops": []}
    cases = [
        (dict(path="/v1/push", body=None, raw=b"{not json"), 400, "malformed"),
        (dict(path="/v1/push", body=[1, 2]), 400, "malformed"),
        (dict(path="/v1/push", body={"v": 99, "client": "c", "txns": [ok_txn]}), 400, "version"),
        (dict(path="/v1/push", body={"v": 1, "client": "bad id!", "txns": [ok_txn]}), 400, "malformed"),
        (dict(path="/v1/push", body={"v": 1, "client": "c", "txns": [{"seq": "1"}]}), 400, "malformed"),
        (dict(path="/v1/push", body={"v": 1, "client": "c", "txns": [dict(ok_txn, hlc="nope")]}), 400, "malformed"),
        (dict(path="/v1/push", body={"v": 1, "client": "c", "txns": [dict(ok_txn, ops=[{"op": "drop"}])]}),
         400, "malformed"),
        (dict(path="/v1/push", body=None, raw=b"[" + b"1," * 3_000_000 + b"1]"), 413, "too_large"),
        (dict(path="/v1/pull", body={"v": 1, "client": "c", "subscriptions": ["nosuch"]}), 400, "subscriptions"),
        (dict(path="/v1/pull", body={"v": 1, "client": "c", "subscriptions": ["item"] * 17}), 429,
         "subscriptions"),
        (dict(path="/v1/pull", body={"v": 1, "client": "c", "subscriptions": [
            {"table": "item", "where": {"nosuch": 1}}]}), 400, "subscriptions"),
        (dict(path="/v1/pull", body={"v": 1, "client": "c", "subscriptions": [
            {"table": "item", "where": {"a": [[1]]}}]}), 400, "subscriptions"),
        (dict(path="/v1/sql", body={"sql": 5}), 400, "malformed"),
        (dict(path="/v1/sql", body={"sql": "SELECT ?", "params": [{"$x": 1}]}), 400, "malformed"),
    ]
    for kw, status, code in cases:
        st, body = post(server, kw["path"], kw["body"], tok, raw=kw.get("raw"))
        assert (st, body.get("code")) == (status, code), (kw.get("body"), body)
        assert body["error"]
    for tk, why in ((None, "missing"), (token("alice", ttl=-10), "expired"),
                    (token("alice", secret="wrong"), "signature"), ("a.b.c", "malformed")):
        st, body = post(server, "/v1/push", {"v": 1, "client": "c", "txns": [ok_txn]}, tk)
        assert st == 401 and why in body["error"]
    # A malformed cursor is not an error: it is not servable, so the answer is a reset.
    for cursor in ([{"x": 1}, 0, 1, "h"], ["e", True, 1, "h"], "junk", [1, 2]):
        st, body = post(server, "/v1/pull", {"v": 1, "client": "c", "cursor": cursor, "subscriptions": ["item"]},
                        tok)
        assert st == 200 and body["reset"] is True
    assert server.store.hw == hw and server_rows(server) == []


def test_writes_outside_rules_or_schema_are_rejected_not_applied(server):
    tok = token("bob")
    ops_list = [
        [{"op": "ins", "t": "item", "pk": "k", "cols": {"id": "k", "owner": "alice"}}],
        [{"op": "ins", "t": "acl", "pk": "bob", "cols": {"user_id": "bob", "banned": 0}}],
        [{"op": "ins", "t": "_terndb_sync_clients", "pk": "x", "cols": {"client": "x"}}],
        [{"op": "ins", "t": "item", "pk": "k", "cols": {"id": "k", "owner": "bob", "nosuch": 1}}],
        [{"op": "ins", "t": "item", "pk": "k", "cols": {"id": "k", "owner": None}}],
        [{"op": "ins", "t": "item", "pk": "ok", "cols": {"id": "ok", "owner": "bob"}},
         {"op": "upd", "t": "item", "pk": "nosuchrow", "cols": {"a": 1}}],
    ]
    txns = [{"seq": i + 1, "hlc": f"0000000003e8.{i:04x}.cb", "ops": ops} for i, ops in enumerate(ops_list)]
    st, body = post(server, "/v1/push", {"v": 1, "client": "cb", "txns": txns}, tok)
    assert st == 200
    assert [r["status"] for r in body["results"]] == ["rejected"] * len(ops_list)
    assert server_rows(server) == [] and server.store.hw == 0


def test_sql_over_http_obeys_rules(server, tmp_path):
    admin = token("root", admin=True)
    st, body = post(server, "/v1/sql", {"sql": "INSERT INTO item(id, owner, shared, a) VALUES "
                                        "('p', 'alice', 0, 1), ('q', 'alice', 1, 2), ('r', 'bob', 0, 3)"}, admin)
    assert st == 200
    bob = mk(tmp_path, "bob")
    sync(bob, server, "bob")
    assert [r[0] for r in rows(bob)] == ["q", "r"]      # admin writes reach clients, filtered
    st, body = post(server, "/v1/sql", {"sql": "SELECT id FROM item ORDER BY id"}, token("bob"))
    assert st == 200 and body["rows"] == [["q"], ["r"]]
    st, body = post(server, "/v1/sql", {"sql": "SELECT count(*) FROM item WHERE owner = ?", "params": ["alice"]},
                    token("bob"))
    assert body["rows"] == [[1]]
    for sql in ("SELECT * FROM main.item", "SELECT * FROM acl", "SELECT * FROM sqlite_master",
                "SELECT * FROM _terndb_sync_log", "DELETE FROM item", "UPDATE item SET a = 0",
                "SELECT 1; DELETE FROM item", "PRAGMA table_info(item)",
                "SELECT (SELECT count(*) FROM _terndb_sync_clock)"):
        st, body = post(server, "/v1/sql", {"sql": sql}, token("bob"))
        assert st == 403, sql
    st, body = post(server, "/v1/sql", {"sql": "SELEC nonsense"}, token("bob"))
    assert st == 400 and body["code"] == "sql"
    st, body = post(server, "/v1/sql", {"sql": "WITH x AS (SELECT id FROM item) SELECT * FROM x ORDER BY id"},
                    token("bob"))
    assert body["rows"] == [["q"], ["r"]]
    assert len(server_rows(server)) == 3


def test_subscription_filter_rows_move_in_and_out(server, tmp_path):
    alice, bob = mk(tmp_path, "alice"), mk(tmp_path, "bob")
    subs = [{"table": "item", "where": {"b": ["red", "blue"]}}]
    sync(alice, server, "alice")
    for i, (shared, color) in enumerate([(1, "red"), (0, "red"), (1, "green"), (1, "blue")]):
        alice.execute("INSERT INTO item(id, owner, shared, b) VALUES (?, 'alice', ?, ?)", (f"r{i}", shared, color))
    alice.commit()
    sync(alice, server, "alice")
    sync(bob, server, "bob", subs=subs)
    assert [r[0] for r in rows(bob)] == ["r0", "r3"]
    alice.execute("UPDATE item SET b = 'red' WHERE id = 'r2'")      # moves in
    alice.execute("UPDATE item SET shared = 0 WHERE id = 'r0'")     # moves out (read rule)
    alice.execute("UPDATE item SET b = 'green' WHERE id = 'r3'")    # moves out (filter)
    alice.execute("UPDATE item SET shared = 1 WHERE id = 'r1'")     # moves in
    alice.commit()
    sync(alice, server, "alice")
    r = sync(bob, server, "bob", subs=subs)
    assert not r.reset
    assert [r[0] for r in rows(bob)] == ["r1", "r2"]
    # Changing the subscriptions re-fetches.
    r = sync(bob, server, "bob", subs=[{"table": "item", "where": {"b": "green"}}])
    assert r.reset and [x[0] for x in rows(bob)] == ["r3"]


def test_long_poll_returns_when_a_change_arrives(server, tmp_path):
    alice, bob = mk(tmp_path, "alice"), mk(tmp_path, "bob")
    sync(alice, server, "alice")
    sync(bob, server, "alice")
    out = {}

    def waiter():
        c = terndb.connect(str(tmp_path / "bob.terndb"), check_same_thread=False)
        t0 = time.monotonic()
        out["r"] = c.sync(server.url, token=token("alice"), subscriptions=SUBS, wait=10)
        out["t"] = time.monotonic() - t0
        out["rows"] = rows(c)
        c.close()
    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0.5)
    alice.execute("INSERT INTO item(id, owner) VALUES ('n', 'alice')")
    alice.commit()
    sync(alice, server, "alice")
    th.join(15)
    assert out["r"].pulled == 1 and out["t"] < 5 and out["rows"] == [("n", "alice", 0, None, None)]


def test_reset_after_compaction_keeps_pending_writes(server, tmp_path):
    alice, bob = mk(tmp_path, "alice"), mk(tmp_path, "bob")
    sync(alice, server, "alice")
    sync(bob, server, "bob")
    bob.execute("INSERT INTO item(id, owner, a) VALUES ('b1', 'bob', 1)")
    bob.commit()
    for i in range(5):
        alice.execute("INSERT INTO item(id, owner, shared) VALUES (?, 'alice', 1)", (f"a{i}",))
        alice.commit()
        sync(alice, server, "alice")
    alice.execute("DELETE FROM item WHERE id = 'a0'")
    alice.commit()
    sync(alice, server, "alice")
    time.sleep(0.01)
    assert server.store.compact(keep=1, tombstone_ttl=0) == 5
    r = bob.sync(server.url, token=token("bob"), subscriptions=SUBS)
    assert r.reset and r.acked == 1
    assert [x[0] for x in rows(bob)] == ["a1", "a2", "a3", "a4", "b1"]
    assert [x[0] for x in server_rows(server)] == ["a1", "a2", "a3", "a4", "b1"]
    assert server.store.con.execute("SELECT count(*) FROM _terndb_sync_clock WHERE alive = 0").fetchone()[0] == 0


def test_server_restored_from_older_copy_gets_acked_writes_again(tmp_path):
    data = tmp_path / "server"
    srv = ThreadServer(str(data), config())
    alice = mk(tmp_path, "alice")
    bob = mk(tmp_path, "bob")
    sync(alice, srv, "alice")
    sync(bob, srv, "bob")
    alice.execute("INSERT INTO item(id, owner, shared) VALUES ('before', 'alice', 1)")
    alice.commit()
    sync(alice, srv, "alice")
    srv.stop()
    shutil.copytree(data, tmp_path / "backup")
    srv = ThreadServer(str(data), config())
    alice.execute("INSERT INTO item(id, owner, shared) VALUES ('after', 'alice', 1)")
    alice.commit()
    r = sync(alice, srv, "alice")
    assert r.acked == 1
    sync(bob, srv, "bob")
    assert [x[0] for x in rows(bob)] == ["after", "before"]
    srv.stop()
    shutil.rmtree(data)
    shutil.copytree(tmp_path / "backup", data)      # the disk is restored from the backup
    srv = ThreadServer(str(data), config())
    try:
        assert [x[0] for x in server_rows(srv)] == ["before"]
        r = sync(bob, srv, "bob")           # bob's cursor is from an epoch this data never saw
        assert r.reset and [x[0] for x in rows(bob)] == ["before"]
        r = sync(alice, srv, "alice")       # alice uploads what the server lost
        sync(alice, srv, "alice")
        assert [x[0] for x in server_rows(srv)] == ["after", "before"]
        sync(bob, srv, "bob")
        assert [x[0] for x in rows(bob)] == ["after", "before"]
        assert rows(alice) == rows(bob) == server_rows(srv)
    finally:
        srv.stop()


def test_column_added_while_client_offline(server, tmp_path):
    alice = mk(tmp_path, "alice")
    sync(alice, server, "alice")
    alice.execute("INSERT INTO item(id, owner, a) VALUES ('x', 'alice', 1)")
    alice.commit()
    sync(alice, server, "alice")
    alice.execute("UPDATE item SET a = 2 WHERE id = 'x'")      # pending while offline
    alice.commit()
    st, _ = post(server, "/v1/sql", {"sql": "ALTER TABLE item ADD COLUMN c TEXT DEFAULT 'new'"},
                 token("root", admin=True))
    assert st == 200
    r = sync(alice, server, "alice")
    assert r.reset and r.acked == 1
    cols = [d[0] for d in alice.execute("SELECT * FROM item").description]
    assert cols[-1] == "c"
    assert rows(alice) == server_rows(server) == [("x", "alice", 0, 2, None, "new")]
    alice.execute("UPDATE item SET c = 'mine' WHERE id = 'x'")
    alice.commit()
    sync(alice, server, "alice")
    assert server_rows(server) == [("x", "alice", 0, 2, None, "mine")]


def test_permission_revoked_removes_rows_and_refuses_writes(server, tmp_path):
    alice, bob = mk(tmp_path, "alice"), mk(tmp_path, "bob")
    sync(alice, server, "alice")
    alice.execute("INSERT INTO item(id, owner, shared) VALUES ('s', 'alice', 1)")
    alice.commit()
    sync(alice, server, "alice")
    sync(bob, server, "bob")
    bob.execute("INSERT INTO item(id, owner) VALUES ('b', 'bob')")
    bob.commit()
    st, _ = post(server, "/v1/sql", {"sql": "INSERT INTO acl VALUES ('bob', 1)"}, token("root", admin=True))
    assert st == 200
    r = sync(bob, server, "bob")
    assert r.reset and [x.seq for x in r.rejected] == [1]
    assert rows(bob) == []          # nothing outside bob's (new) read rule stays on his replica
    st, body = post(server, "/v1/sql", {"sql": "SELECT * FROM item"}, token("bob"))
    assert st == 200 and body["rows"] == []


def test_expired_token_keeps_pending_then_recovers(server, tmp_path):
    a = mk(tmp_path, "a")
    sync(a, server, "alice")
    a.execute("INSERT INTO item(id, owner) VALUES ('x', 'alice')")
    a.commit()
    with pytest.raises(AuthError, match="expired"):
        a.sync(server.url, token=token("alice", ttl=-1), subscriptions=SUBS)
    assert server_rows(server) == []
    assert a.execute("SELECT count(*) FROM _terndb_sync_outbox WHERE status = 'pending'").fetchone()[0] == 1
    calls = []

    def fresh():
        calls.append(1)
        return token("alice")
    r = a.sync(server.url, token=fresh, subscriptions=SUBS)
    assert r.acked == 1 and calls and server_rows(server) == [("x", "alice", 0, None, None)]


def test_health_and_metrics(server, tmp_path):
    with urllib.request.urlopen(server.url + "/health") as resp:
        h = json.loads(resp.read())
    assert h["status"] == "ok" and h["v"] == PROTOCOL_VERSION
    a = mk(tmp_path, "a")
    a.execute("CREATE TABLE IF NOT EXISTS item(id TEXT PRIMARY KEY, owner TEXT NOT NULL, shared INTEGER DEFAULT 0, "
              "a INTEGER, b TEXT)")
    client_for(a, SUBS)
    a.execute("INSERT INTO item(id, owner) VALUES ('x', 'alice')")
    a.commit()
    sync(a, server, "alice")
    with urllib.request.urlopen(server.url + "/metrics") as resp:
        text = resp.read().decode()
    assert "terndb_sync_txns_applied_total 1" in text
    assert 'terndb_sync_responses_total{status="200"}' in text
    assert "terndb_sync_log_high_water 1" in text


def test_background_loop_delivers_between_clients(server, tmp_path):
    a = terndb.connect(str(tmp_path / "a.terndb"))
    b = terndb.connect(str(tmp_path / "b.terndb"))
    sync(a, server, "alice")
    sync(b, server, "alice")
    errors = []
    la = SyncLoop(a, server.url, token=lambda: token("alice"), subscriptions=SUBS, on_error=errors.append).start()
    lb = SyncLoop(b, server.url, token=lambda: token("alice"), subscriptions=SUBS, on_error=errors.append).start()
    try:
        a.execute("INSERT INTO item(id, owner, a) VALUES ('live', 'alice', 7)")
        a.commit()
        deadline = time.time() + 10
        while time.time() < deadline and rows(b) != [("live", "alice", 0, 7, None)]:
            time.sleep(0.05)
        assert rows(b) == [("live", "alice", 0, 7, None)]
    finally:
        la.stop()
        lb.stop()
    assert not errors


def test_backoff_on_unreachable_server(tmp_path):
    a = terndb.connect(str(tmp_path / "a.terndb"))
    errors = []
    loop = SyncLoop(a, "http://127.0.0.1:9", token="t", subscriptions=SUBS, on_error=errors.append,
                    min_backoff=0.05, max_backoff=0.2).start()
    time.sleep(0.6)
    loop.stop()
    assert 1 <= len(errors) <= 12 and all("unreachable" in str(e) for e in errors)


def test_async_round_over_an_awaitable_transport(server, tmp_path):
    """The Pyodide path (run_round_async) with an async POST standing in for fetch."""
    a = mk(tmp_path, "a")
    a.execute("CREATE TABLE item(id TEXT PRIMARY KEY, owner TEXT NOT NULL, shared INTEGER DEFAULT 0, "
              "a INTEGER, b TEXT)")
    client = client_for(a, SUBS)
    a.execute("INSERT INTO item(id, owner) VALUES ('z', 'alice')")
    a.commit()
    blocking = urllib_post()

    async def apost(url, data, headers):
        return await asyncio.to_thread(blocking, url, data, headers)
    r = asyncio.run(run_round_async(client, server.url, token("alice"), fetch=apost))
    assert r.acked == 1 and r.reset
    assert server_rows(server) == rows(a) == [("z", "alice", 0, None, None)]


def test_static_directory_is_served(tmp_path):
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<h1>demo</h1>")
    srv = ThreadServer(str(tmp_path / "server"), config(), static_dir=str(web))
    try:
        with urllib.request.urlopen(srv.url + "/") as resp:
            assert resp.read() == b"<h1>demo</h1>"
        with urllib.request.urlopen(srv.url + "/health") as resp:
            assert json.loads(resp.read())["status"] == "ok"
        st, body = post(srv, "/v1/pull", {"v": 1, "client": "c", "subscriptions": SUBS}, token("alice"))
        assert st == 200 and body["reset"]
    finally:
        srv.stop()


def test_async_background_loop_without_threads(server, tmp_path):
    """The Pyodide background loop (an asyncio task) against the real server."""
    from terndb.sync import sync_loop_async
    a, b = mk(tmp_path, "a"), mk(tmp_path, "b")
    sync(a, server, "alice")
    sync(b, server, "alice")
    blocking = urllib_post()

    async def apost(url, data, headers):
        return await asyncio.to_thread(blocking, url, data, headers)

    async def main():
        stop = asyncio.Event()
        errors = []
        ta = asyncio.ensure_future(sync_loop_async(a, server.url, token=lambda: token("alice"), stop=stop,
                                                   fetch=apost, wait=0.2, on_error=errors.append))
        tb = asyncio.ensure_future(sync_loop_async(b, server.url, token=lambda: token("alice"), stop=stop,
                                                   fetch=apost, wait=0.2, on_error=errors.append))
        a.execute("INSERT INTO item(id, owner, a) VALUES ('async', 'alice', 1)")
        a.commit()
        for _ in range(200):
            if rows(b) == [("async", "alice", 0, 1, None)]:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(ta, tb)
        return errors
    assert asyncio.run(main()) == []
    assert rows(b) == [("async", "alice", 0, 1, None)]


def test_automatic_compaction_resets_a_lagging_client(tmp_path):
    srv = ThreadServer(str(tmp_path / "server"), config(log_keep=2))
    try:
        alice, bob = mk(tmp_path, "alice"), mk(tmp_path, "bob")
        sync(alice, srv, "alice")
        sync(bob, srv, "bob")
        bob.execute("INSERT INTO item(id, owner) VALUES ('bob-offline', 'bob')")
        bob.commit()
        for i in range(8):
            alice.execute("INSERT INTO item(id, owner, shared) VALUES (?, 'alice', 1)", (f"a{i}",))
            alice.commit()
            sync(alice, srv, "alice")
        assert srv.store.floor > 1          # compacted by the server on its own
        r = sync(bob, srv, "bob")
        assert r.reset and r.acked == 1
        assert [x[0] for x in rows(bob)] == [f"a{i}" for i in range(8)] + ["bob-offline"]
        sync(alice, srv, "alice")
        assert rows(bob) == server_rows(srv)
        assert rows(alice) == [r for r in server_rows(srv) if r[1] == "alice"]   # bob's row is private
    finally:
        srv.stop()
