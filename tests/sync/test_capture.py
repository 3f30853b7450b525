"""Local capture: the outbox row is written in the same transaction as the data."""

from __future__ import annotations

import json

import pytest

import terndb

DDL = "CREATE TABLE item(id TEXT PRIMARY KEY, owner TEXT NOT NULL, shared INTEGER DEFAULT 0, a INTEGER, b TEXT)"

from .harness import defer_import

defer_import(globals(), "terndb.sync.capture", 'OUTBOX')
defer_import(globals(), "terndb.sync.client", 'SyncClient')


def outbox(con):
    return [(r[0], json.loads(r[1]), r[2]) for r in con.execute(f"SELECT seq, ops, status FROM {OUTBOX} ORDER BY seq")]


def test_commit_writes_one_outbox_row_per_transaction(db_url):
    con = terndb.connect(db_url)
    con.execute(DDL)
    con.execute("CREATE TABLE local_only(x)")
    SyncClient(con, [{"table": "item"}])
    con.execute("INSERT INTO item VALUES ('k', 'me', 0, 1, 'x')")
    con.execute("INSERT INTO local_only VALUES (1)")
    con.execute("UPDATE item SET a = 2 WHERE id = 'k'")
    con.commit()
    con.execute("DELETE FROM item")
    con.commit()
    con.execute("INSERT INTO local_only VALUES (2)")   # not synced: no outbox row
    con.commit()
    rows = outbox(con)
    assert [r[0] for r in rows] == [1, 2]
    assert [op["op"] for op in rows[0][1]] == ["ins", "upd"]
    assert rows[0][1][1]["cols"] == {"a": 2}
    assert rows[1][1] == [{"op": "del", "t": "item", "pk": "k"}]
    con.close()


def test_rollback_leaves_no_outbox_row(db_url):
    con = terndb.connect(db_url)
    con.execute(DDL)
    SyncClient(con, [{"table": "item"}])
    con.execute("INSERT INTO item VALUES ('k', 'me', 0, 1, 'x')")
    con.rollback()
    with pytest.raises(terndb.IntegrityError):
        with con:
            con.execute("INSERT INTO item VALUES ('j', 'me', 0, 1, 'x')")
            con.execute("INSERT INTO item VALUES ('j', 'me', 0, 1, 'x')")
    assert outbox(con) == []
    assert con.execute("SELECT count(*) FROM item").fetchone()[0] == 0


def test_failing_hook_rolls_back_the_data(db_url):
    con = terndb.connect(db_url)
    con.execute(DDL)
    SyncClient(con, [{"table": "item"}])

    def boom(c, txn):
        raise RuntimeError("disk full while queueing")
    con.db.precommit.append(boom)
    con.execute("INSERT INTO item VALUES ('k', 'me', 0, 1, 'x')")
    with pytest.raises(RuntimeError):
        con.commit()
    con.db.precommit.remove(boom)
    assert con.execute("SELECT count(*) FROM item").fetchone()[0] == 0
    assert outbox(con) == []


def test_capture_is_on_after_reopen_before_any_sync(tmp_path):
    path = str(tmp_path / "c.terndb")
    con = terndb.connect(path)
    con.execute(DDL)
    SyncClient(con, [{"table": "item"}])
    con.close()
    con = terndb.connect(path)      # a new process would start here
    con.execute("INSERT INTO item VALUES ('k', 'me', 0, 1, 'x')")
    con.commit()
    assert [r[0] for r in outbox(con)] == [1]
    con.close()


def test_autocommit_and_primary_key_change(db_url):
    con = terndb.connect(db_url, isolation_level=None)
    con.execute(DDL)
    SyncClient(con, [{"table": "item"}])
    con.execute("INSERT INTO item VALUES ('k', 'me', 0, 1, 'x')")
    con.execute("UPDATE item SET id = 'k2' WHERE id = 'k'")
    rows = outbox(con)
    assert len(rows) == 2
    assert [op["op"] for op in rows[1][1]] == ["del", "ins"]
    assert rows[1][1][1]["pk"] == "k2"


def test_blob_and_real_values_roundtrip_through_outbox(db_url):
    con = terndb.connect(db_url)
    con.execute("CREATE TABLE v(id INTEGER PRIMARY KEY, x)")
    SyncClient(con, [{"table": "v"}])
    con.execute("INSERT INTO v VALUES (1, ?)", (b"\x00\x01",))
    con.execute("INSERT INTO v VALUES (2, ?)", (float("inf"),))
    con.commit()
    ops = outbox(con)[0][1]
    assert ops[0]["cols"]["x"] == {"$b": "AAE="} and ops[1]["cols"]["x"] == {"$f": "inf"}


def test_capture_is_suspended_only_for_the_connection_applying_server_data(tmp_path):
    """A commit on another connection while the sync client applies server data is captured."""
    path = str(tmp_path / "replica.terndb")
    con = terndb.connect(path)
    con.execute(DDL)
    client = SyncClient(con, [{"table": "item"}])
    other = terndb.connect(path)
    client.capture.suspended = con          # what the client does while it applies a pull
    try:
        other.execute("INSERT INTO item VALUES ('k', 'me', 0, 1, 'x')")
        other.commit()
        con.execute("INSERT INTO item VALUES ('s', 'server', 0, 1, 'x')")
        con.commit()
    finally:
        client.capture.suspended = None
    assert [(r[0], [op.get("pk") for op in r[1]]) for r in outbox(con)] == [(1, ["k"])]
    other.close()
    con.close()


def test_sync_refuses_to_run_inside_the_callers_transaction(tmp_path):
    """Syncing commits on its connection: with the caller's work uncommitted it is refused."""
    con = terndb.connect(str(tmp_path / "replica.terndb"))
    con.execute(DDL)
    SyncClient(con, [{"table": "item"}])
    con.execute("INSERT INTO item VALUES ('k', 'me', 0, 1, 'x')")
    with pytest.raises(terndb.ProgrammingError, match="commit or roll back"):
        con.sync("http://127.0.0.1:9/", token="t")
    assert con.in_transaction
    con.rollback()
    assert outbox(con) == []


def test_connect_async_installs_capture_on_a_sync_enabled_database(tmp_path):
    from .harness import run_async
    path = str(tmp_path / "replica.terndb")
    con = terndb.connect(path)
    con.execute(DDL)
    SyncClient(con, [{"table": "item"}])
    con.close()

    async def write() -> list:
        c = await terndb.connect_async(path)
        c.execute("INSERT INTO item VALUES ('k', 'me', 0, 1, 'x')")
        await c.commit_async()
        rows = outbox(c)
        c.close()
        return rows
    import gc
    gc.collect()      # the database object is shared while a connection holds it
    assert [r[0] for r in run_async(write())] == [1]
