"""The demo's conflict reports on CPython: the browser's sync client class (wasm/src/sync_bridge.py)
against the real server store, with injected clocks so the order of the stamps is known."""

from __future__ import annotations

import importlib.util
import json
import os

import terndb
from terndb.server.config import from_dict
from terndb.server.store import ServerStore
from terndb.sync.client import run_round

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = "CREATE TABLE IF NOT EXISTS item(id TEXT PRIMARY KEY, owner TEXT, title TEXT, tags TEXT)"


def _bridge():
    spec = importlib.util.spec_from_file_location("terndb_sync_bridge", os.path.join(ROOT, "wasm", "src",
                                                                                      "sync_bridge.py"))
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _post(store, user):
    def post(url, data, headers):
        body = json.loads(data)
        if url.endswith("/v1/push"):
            out = store.push(user, body)
        else:
            out = store.pull(user, body) or store.empty_pull(body)
        return 200, json.dumps(out).encode()
    return post


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def _device(bridge, path, clock):
    con = terndb.connect(str(path), isolation_level=None)     # as in the browser worker
    con.execute(SCHEMA)
    return bridge.ReportingClient(con, [{"table": "item"}], clock=clock)


def test_the_device_that_syncs_second_reports_the_conflict_and_the_kept_value(tmp_path):
    bridge = _bridge()
    cfg = from_dict({"server": {"secret": "s", "schema": SCHEMA},
                     "tables": {"item": {"read": "owner = :user_id", "write": "owner = :user_id"}}})
    store = ServerStore(str(tmp_path / "server.terndb"), cfg)
    post = _post(store, "ann")
    ca, cb = Clock(1_700_000_000.0), Clock(1_700_000_000.0)
    a = _device(bridge, tmp_path / "a.terndb", ca)
    b = _device(bridge, tmp_path / "b.terndb", cb)
    a.con.execute("INSERT INTO item VALUES ('i1', 'ann', 'trip', 'travel')")
    run_round(a, "http://x", post=post)
    run_round(b, "http://x", post=post)
    assert b.con.execute("SELECT title FROM item").fetchall() == [("trip",)]

    # Offline on both: A edits title and tags, B edits the title later, then B syncs first.
    ca.t += 10
    a.con.execute("UPDATE item SET title = 'trip to Oslo', tags = 'travel,north' WHERE id = 'i1'")
    cb.t += 20
    b.con.execute("UPDATE item SET title = 'trip to Rome' WHERE id = 'i1'")
    run_round(b, "http://x", post=post)
    assert b.conflicts == []
    run_round(a, "http://x", post=post)
    [c] = a.conflicts
    assert (c.table, c.pk, c.column, c.mine, c.theirs, c.kept) == ("item", "i1", "title", "trip to Oslo",
                                                                   "trip to Rome", "theirs")
    assert c.mine_hlc < c.theirs_hlc and "last-writer-wins" in c.rule
    # The untouched column (tags) kept A's value; both replicas agree.
    run_round(b, "http://x", post=post)
    want = [("i1", "ann", "trip to Rome", "travel,north")]
    assert a.con.execute("SELECT * FROM item").fetchall() == want
    assert b.con.execute("SELECT * FROM item").fetchall() == want
    assert b.conflicts == []

    # Reverse the order of arrival: the later stamp still wins and A, now the winner, says so.
    ca.t += 30
    a.con.execute("UPDATE item SET title = 'trip to Oslo again' WHERE id = 'i1'")
    cb.t += 5           # B's wall clock: earlier than A's edit
    b.con.execute("UPDATE item SET title = 'trip to Rome again' WHERE id = 'i1'")
    run_round(b, "http://x", post=post)
    a.conflicts.clear()
    run_round(a, "http://x", post=post)
    [c] = a.conflicts
    assert (c.mine, c.theirs, c.kept) == ("trip to Oslo again", "trip to Rome again", "mine")
    run_round(b, "http://x", post=post)
    assert b.con.execute("SELECT title FROM item").fetchall() == [("trip to Oslo again",)]


def test_edits_of_different_columns_are_not_conflicts(tmp_path):
    bridge = _bridge()
    cfg = from_dict({"server": {"secret": "s", "schema": SCHEMA},
                     "tables": {"item": {"read": "1", "write": "1"}}})
    store = ServerStore(str(tmp_path / "server.terndb"), cfg)
    post = _post(store, "ann")
    a = _device(bridge, tmp_path / "a.terndb", Clock(1_700_000_000.0))
    b = _device(bridge, tmp_path / "b.terndb", Clock(1_700_000_001.0))
    a.con.execute("INSERT INTO item VALUES ('i1', 'ann', 'trip', 'travel')")
    run_round(a, "http://x", post=post)
    run_round(b, "http://x", post=post)
    a.con.execute("UPDATE item SET tags = 'travel,2027' WHERE id = 'i1'")
    b.con.execute("UPDATE item SET title = 'trip to Rome' WHERE id = 'i1'")
    run_round(b, "http://x", post=post)
    run_round(a, "http://x", post=post)
    run_round(b, "http://x", post=post)
    assert a.conflicts == [] and b.conflicts == []
    want = [("i1", "ann", "trip to Rome", "travel,2027")]
    assert a.con.execute("SELECT * FROM item").fetchall() == want == b.con.execute("SELECT * FROM item").fetchall()
