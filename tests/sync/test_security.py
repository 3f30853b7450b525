"""Security regressions of the sync server: SQL over HTTP, crafted stamps, write rules on
deletes and tombstones, malformed values, and what refusals reveal."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

from .harness import SCHEMA, SECRET, ThreadServer, defer_import, token

defer_import(globals(), "terndb.sync", "hlc")
defer_import(globals(), "terndb.sync.client", "urllib_post")
defer_import(globals(), "terndb.sync.protocol", "dumps")


def post(srv, path, body, tok=None):
    h = {"Content-Type": "application/json"}
    if tok:
        h["Authorization"] = f"Bearer {tok}"
    status, data = urllib_post()(srv.url + path, dumps(body), h)
    return status, json.loads(data), data


def server_rows(srv, sql="SELECT id, owner FROM item ORDER BY id"):
    return srv.store.con.execute(sql).fetchall()


_seqs: dict = {}
_counter = itertools.count()


def stamp(client: str, ahead_s: float = 0.0) -> str:
    return hlc.make(int((time.time() + ahead_s) * 1000), next(_counter) % 0xFFFF, client)


def push(srv, user, client, ops, hlc_stamp=None, ahead_s=0.0):
    """One transaction of ``client``; returns (status, result of the transaction, body)."""
    seq = _seqs.get((srv.url, client), 0) + 1
    txn = {"seq": seq, "hlc": hlc_stamp or stamp(client, ahead_s), "ops": ops}
    st, body, _ = post(srv, "/v1/push", {"v": 1, "client": client, "txns": [txn]}, token(user))
    if st == 200:
        _seqs[(srv.url, client)] = seq
        return st, body["results"][0], body
    return st, None, body


def ins(pk, owner, **cols):
    return {"op": "ins", "t": "item", "pk": pk, "cols": {"id": pk, "owner": owner, **cols}}


def dele(pk):
    return {"op": "del", "t": "item", "pk": pk}


def upd(pk, **cols):
    return {"op": "upd", "t": "item", "pk": pk, "cols": cols}


# ------------------------------------------------------------------ 1. SQL over HTTP

def test_cte_named_after_a_real_table_cannot_bypass_the_sql_rules(server):
    admin = token("root", admin=True)
    st, _, _ = post(server, "/v1/sql", {"sql": "INSERT INTO acl(user_id, banned) VALUES ('carol-secret', 1)"}, admin)
    assert st == 200
    st, _, _ = post(server, "/v1/sql", {"sql": "INSERT INTO item(id, owner, b) VALUES ('p', 'alice', 'alice-private')"},
                    admin)
    assert st == 200
    bob = token("bob")
    for sql in ("WITH acl AS (SELECT * FROM acl) SELECT * FROM acl",
                "WITH ACL AS (SELECT * FROM acl) SELECT * FROM acl",
                'WITH "acl" AS (SELECT * FROM "acl") SELECT * FROM acl',
                "WITH x AS (SELECT 1), acl AS (SELECT * FROM acl) SELECT * FROM acl",
                "SELECT * FROM (WITH acl AS (SELECT * FROM acl) SELECT * FROM acl)",
                "WITH sqlite_master AS (SELECT * FROM sqlite_master) SELECT * FROM sqlite_master",
                "WITH _terndb_sync_log AS (SELECT * FROM _terndb_sync_log) SELECT * FROM _terndb_sync_log",
                "WITH _terndb_sync_clock AS (SELECT * FROM _terndb_sync_clock) SELECT * FROM _terndb_sync_clock",
                "WITH item AS (SELECT * FROM item) SELECT * FROM item"):
        st, body, raw = post(server, "/v1/sql", {"sql": sql}, bob)
        assert st == 403 and body["code"] == "forbidden", (sql, body)
        assert b"carol-secret" not in raw and b"alice-private" not in raw and "rows" not in body
        assert "WITH" in body["error"]
    # CTEs with fresh names still work, filtered by the read rule.
    st, body, _ = post(server, "/v1/sql", {"sql": "WITH mine AS (SELECT id FROM item) SELECT count(*) FROM mine"}, bob)
    assert st == 200 and body["rows"] == [[0]]


# --------------------------------------------------------- 2a. crafted HLC stamps

def test_malformed_stamps_are_refused_not_parsed_leniently(server):
    for bad in ("0_0000000001.0000.evil", "+00000000001.0000.evil", " 00000000001.0000.evil",
                "-00000000001.0000.evil", "0000000003E8.0000.evil", "0000000003e8.+001.evil",
                "0000000003e8.0_01.evil", "0000000003e8.0000.", "0000000003e8.0000.ev il",
                "0000000003e8.0000.evil\n", "0000000003e8.0000." + "x" * 65, "0000000003e8.0000.év"):
        with pytest.raises(ValueError):
            hlc.parse(bad)
        st, res, body = push(server, "mallory", "cm", [ins("m1", "mallory")], hlc_stamp=bad)
        assert st == 400 and body["code"] == "malformed", (bad, body)
    assert server_rows(server) == [] and server.store.hw == 0
    assert hlc.parse("0000000003e8.00ff.~server") == (1000, 255, "~server")
    assert hlc.parse(hlc.make(1, 2, "A-z_9")) == (1, 2, "A-z_9")


def test_underscore_stamp_cannot_win_every_conflict(server):
    # With int(x, 16), "0_0000000001" parsed as 1 ms (no skew re-stamp) but sorted after
    # every real stamp as text: Mallory's write would have been permanent.
    assert push(server, "mallory", "cm", [ins("k", "mallory", a=1)])[1]["status"] == "ok"
    st, _, body = push(server, "mallory", "cm", [upd("k", a=666)], hlc_stamp="0_0000000001.0000.cm")
    assert st == 400
    assert push(server, "mallory", "cm", [upd("k", a=2)])[1]["status"] == "ok"
    assert server_rows(server, "SELECT a FROM item") == [(2,)]


# ----------------------------------------------- 2b. write rules on deletes and ghosts

def test_delete_of_a_row_that_never_existed_cannot_tombstone_the_key(server):
    # Mallory pre-deletes Alice's future row with a stamp ahead (within the skew bound).
    st, res, _ = push(server, "mallory", "cm", [dele("alice-note")], ahead_s=50)
    assert st == 200 and res["status"] == "rejected"
    st, res, _ = push(server, "mallory", "cm", [upd("alice-note", a=1)], ahead_s=50)
    assert st == 200 and res["status"] == "rejected"
    assert server.store.con.execute("SELECT count(*) FROM _terndb_sync_clock").fetchone()[0] == 0
    st, res, _ = push(server, "alice", "ca", [ins("alice-note", "alice", b="hello")])
    assert res["status"] == "ok"
    assert server_rows(server) == [("alice-note", "alice")]


def test_deleted_row_keeps_its_write_rule_through_the_ghost(server):
    assert push(server, "alice", "ca", [ins("n", "alice", b="secret text")])[1]["status"] == "ok"
    assert push(server, "alice", "ca", [dele("n")])[1]["status"] == "ok"
    assert server_rows(server) == []
    # Mallory cannot delete (a later tombstone), update or re-create Alice's deleted row:
    # re-creating it would hand her the ghost's columns (Alice's text).
    for op in (dele("n"), upd("n", a=5), upd("n", owner="mallory"), ins("n", "mallory")):
        st, res, _ = push(server, "mallory", "cm", [op], ahead_s=50)
        assert st == 200 and res["status"] == "rejected", op
        assert "not allowed" in res["reason"]
    assert server_rows(server) == []
    # Alice re-creates her row: it takes effect and is acknowledged.
    assert push(server, "alice", "ca", [ins("n", "alice", b="again")])[1]["status"] == "ok"
    assert server_rows(server, "SELECT id, owner, b FROM item") == [("n", "alice", "again")]


def test_insert_losing_to_a_later_delete_is_reported_rejected(server):
    assert push(server, "alice", "ca", [ins("r", "alice")])[1]["status"] == "ok"
    late = stamp("ca", ahead_s=30)
    assert push(server, "alice", "ca", [dele("r")], hlc_stamp=late)[1]["status"] == "ok"
    st, res, _ = push(server, "alice", "cb", [ins("r", "alice", b="lost")])     # stamped before the delete
    assert st == 200 and res["status"] == "rejected" and "deleted by a later change" in res["reason"]
    assert server_rows(server) == []
    # The rejection is stored: a retransmission gets the same verdict.
    seq = _seqs[(server.url, "cb")]
    txn = {"seq": seq, "hlc": stamp("cb"), "ops": [ins("r", "alice", b="lost")]}
    st, body, _ = post(server, "/v1/push", {"v": 1, "client": "cb", "txns": [txn]}, token("alice"))
    assert body["results"][0]["status"] == "rejected"


def test_mallory_own_key_tombstone_does_not_ack_alices_insert(server):
    # Mallory legitimately owns and deletes a key far ahead; Alice's later insert of the same
    # key must not be acknowledged as "ok" while it never takes effect.
    assert push(server, "mallory", "cm", [ins("shared-key", "mallory")], ahead_s=50)[1]["status"] == "ok"
    assert push(server, "mallory", "cm", [dele("shared-key")], ahead_s=55)[1]["status"] == "ok"
    st, res, _ = push(server, "alice", "ca", [ins("shared-key", "alice")])
    assert st == 200 and res["status"] == "rejected"
    assert server_rows(server) == []


# ---------------------------------------------------------- 3. malformed input

def test_table_name_case_is_normalized(server):
    st, res, body = push(server, "alice", "ca", [{"op": "ins", "t": "ITEM", "pk": "k", "cols": {"id": "k", "owner": "alice"}}])
    assert st == 200 and res["status"] == "ok", body
    st, res, body = push(server, "alice", "ca", [{"op": "upd", "t": "Item", "pk": "k", "cols": {"a": 3}}])
    assert st == 200 and res["status"] == "ok", body
    assert server_rows(server, "SELECT id, a FROM item") == [("k", 3)]
    assert server.store.con.execute("SELECT t FROM _terndb_sync_clock").fetchall() == [("item",)]
    ops = [json.loads(r[0]) for r in server.store.con.execute("SELECT ops FROM _terndb_sync_log")]
    assert {op["t"] for entry in ops for op in entry} == {"item"}


def test_malformed_values_get_400_and_nothing_is_applied(server):
    tok = token("alice")
    good = {"seq": 1, "hlc": stamp("cv"), "ops": [ins("good", "alice")]}
    bads = [
        {"op": "ins", "t": "item", "pk": 10**30, "cols": {"owner": "alice"}},
        {"op": "del", "t": "item", "pk": -(10**30)},
        {"op": "ins", "t": "item", "pk": "k", "cols": {"id": "k", "owner": "alice", "a": 10**30}},
        {"op": "ins", "t": "item", "pk": "k", "cols": {"id": "k", "owner": "alice", "b": {"$b": "!!!"}}},
        {"op": "ins", "t": "item", "pk": {"$b": "!!!"}, "cols": {"owner": "alice"}},
        {"op": "ins", "t": "item", "pk": {"$b": 5}, "cols": {"owner": "alice"}},
        {"op": "ins", "t": "item", "pk": "k", "cols": {"id": "k", "owner": "alice", "b": {"$b": 5}}},
        {"op": "ins", "t": "item", "pk": "k", "cols": {"id": "k", "owner": "alice", "a": {"$f": "1e999x"}}},
        {"op": "ins", "t": "item", "pk": "k", "cols": {"id": "k", "owner": "alice", "a": [1]}},
        {"op": "ins", "t": "item", "pk": None, "cols": {"owner": "alice"}},
    ]
    for bad in bads:
        txns = [good, {"seq": 2, "hlc": stamp("cv"), "ops": [bad]}]
        st, body, raw = post(server, "/v1/push", {"v": 1, "client": "cv", "txns": txns}, tok)
        assert st == 400 and body["code"] == "malformed" and body["error"], (bad, body)
    assert server_rows(server) == [] and server.store.hw == 0
    assert server.store.con.execute("SELECT count(*) FROM _terndb_sync_clients").fetchone()[0] == 0
    st, body, _ = post(server, "/v1/sql", {"sql": "SELECT ?", "params": [{"$b": "!!!"}]}, tok)
    assert st == 400 and body["code"] == "malformed"
    st, body, _ = post(server, "/v1/sql", {"sql": "SELECT ?", "params": [10**30]}, tok)
    assert st == 400 and body["code"] == "malformed"
    st, body, _ = post(server, "/v1/sql", {"sql": "SELECT length(?)", "params": [{"$b": "AAEC"}]}, tok)
    assert st == 200 and body["rows"] == [[3]]
    # Valid blobs still round-trip through push.
    st, res, _ = push(server, "alice", "cw", [ins("blob", "alice", b={"$b": "AAEC"})])
    assert res["status"] == "ok"
    assert server_rows(server, "SELECT b FROM item") == [(b"\x00\x01\x02",)]


# ------------------------------------------------------------ 5. what refusals say

def test_rejections_do_not_reveal_rows_or_rule_sql(server, tmp_path: Path):
    assert push(server, "alice", "ca", [ins("alice-row", "alice")])[1]["status"] == "ok"
    reasons = {}
    for pk in ("alice-row", "no-such-row"):
        for op in (dele(pk), upd(pk, a=1)):
            st, res, _ = push(server, "bob", "cb", [op])
            assert res["status"] == "rejected"
            reasons.setdefault(op["op"], set()).add(res["reason"].replace(repr(pk), "<pk>"))
    assert all(len(r) == 1 for r in reasons.values()), reasons
    assert not any("existing" in r or "rule" in r for rs in reasons.values() for r in rs)

    rules = {"item": {"read": "1", "write": "owner = :user_id AND EXISTS (SELECT 1 FROM hidden_policy_tbl)"}}
    from terndb.server.config import from_dict
    srv = ThreadServer(str(tmp_path / "srv2"), from_dict({"server": {"secret": SECRET, "schema": SCHEMA},
                                                          "tables": rules}))
    try:
        st, res, _ = push(srv, "alice", "cr", [ins("x", "alice")])
        assert st == 200 and res["status"] == "rejected"
        assert "hidden_policy_tbl" not in res["reason"] and ":user_id" not in res["reason"]
        assert "could not be evaluated" in res["reason"]
    finally:
        srv.stop()


# ------------------------------------------------------- 4. endless SQL over HTTP

def test_endless_query_is_stopped_and_the_server_keeps_serving(server):
    server.store.sql_time_limit = 1.0
    admin = token("root", admin=True)
    st, _, _ = post(server, "/v1/sql", {"sql": "INSERT INTO item(id, owner, shared) VALUES ('p', 'bob', 0), "
                                               "('q', 'bob', 0), ('r', 'bob', 0)"}, admin)
    assert st == 200
    bob = token("bob")
    for sql in ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT max(x) FROM c, item",
                "SELECT count(*) FROM item a, item b, item c, item d, item e, item f, item g, item h, item i, "
                "item j, item k, item l, item m, item n, item o, item p, item q, item r, item s, item t"):
        t0 = time.monotonic()
        st, body, _ = post(server, "/v1/sql", {"sql": sql}, bob)
        assert st == 503 and body["code"] == "timeout" and "time" in body["error"], (sql, body)
        assert time.monotonic() - t0 < 10
    # The same user's reader connection, pulls and pushes all still work.
    st, body, _ = post(server, "/v1/sql", {"sql": "SELECT id FROM item ORDER BY id"}, bob)
    assert st == 200 and body["rows"] == [["p"], ["q"], ["r"]]
    assert push(server, "bob", "cz", [ins("z", "bob")])[1]["status"] == "ok"
    st, body, _ = post(server, "/v1/pull", {"v": 1, "client": "cz", "subscriptions": ["item"]}, bob)
    assert st == 200 and len(body["tables"]["item"]["rows"]) == 4
