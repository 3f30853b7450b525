"""The change feed: every committed transaction as an ordered change set."""

from __future__ import annotations

import terndb


def collect(con):
    got: list[terndb.ChangeSet] = []
    unsubscribe = con.subscribe(got.append)
    return got, unsubscribe


def test_insert_update_delete_are_reported_in_order(con) -> None:
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, a, b)")
    con.commit()
    got, _ = collect(con)
    con.execute("INSERT INTO t VALUES (1, 'x', 10)")
    con.execute("UPDATE t SET b = 11 WHERE id = 1")
    con.execute("DELETE FROM t WHERE id = 1")
    con.commit()
    assert len(got) == 1
    cs = got[0]
    assert [c.op for c in cs.changes] == ["insert", "update", "delete"]
    ins, upd, dele = cs.changes
    assert ins.table == "t" and ins.rowid == 1 and ins.new == (1, "x", 10)
    assert upd.columns == ("b",) and upd.old == (1, "x", 10) and upd.new == (1, "x", 11)
    assert dele.old == (1, "x", 11) and dele.new is None
    assert cs.tables == frozenset({"t"})


def test_rollback_and_failed_statements_publish_nothing(con) -> None:
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v NOT NULL)")
    con.commit()
    got, _ = collect(con)
    con.execute("INSERT INTO t VALUES (1, 1)")
    con.rollback()
    try:
        con.execute("INSERT INTO t VALUES (2, 2), (3, NULL)")
    except terndb.IntegrityError:
        pass
    con.execute("INSERT INTO t VALUES (4, 4)")
    con.commit()
    assert len(got) == 1
    assert [c.rowid for c in got[0].changes] == [4]


def test_txids_increase_and_other_connections_are_seen(db_url) -> None:
    a = terndb.connect(db_url)
    b = terndb.connect(db_url)
    a.execute("CREATE TABLE t(x)")
    a.commit()
    got, unsubscribe = collect(a)
    b.execute("INSERT INTO t VALUES (1)")
    b.commit()
    a.execute("INSERT INTO t VALUES (2)")
    a.commit()
    assert [cs.changes[0].new for cs in got] == [(1,), (2,)]
    assert got[0].txid < got[1].txid
    unsubscribe()
    a.execute("INSERT INTO t VALUES (3)")
    a.commit()
    assert len(got) == 2
    a.close()
    b.close()


def test_schema_changes_are_flagged(con) -> None:
    got, _ = collect(con)
    con.execute("CREATE TABLE t(x)")
    assert got and got[-1].schema_changed


def test_bulk_and_trigger_writes_are_included(con) -> None:
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v)")
    con.execute("CREATE TABLE log(msg)")
    con.execute("CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('added ' || new.id); END")
    con.commit()
    got, _ = collect(con)
    con.executemany("INSERT INTO t(v) VALUES (?)", [(i,) for i in range(3)])
    con.commit()
    tables = [c.table for c in got[0].changes]
    assert tables.count("t") == 3 and tables.count("log") == 3


def test_a_failing_subscriber_does_not_break_commits(con) -> None:
    con.execute("CREATE TABLE t(x)")
    con.commit()

    def bad(cs):
        raise RuntimeError("subscriber bug")
    con.subscribe(bad)
    import warnings
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        con.execute("INSERT INTO t VALUES (1)")
        con.commit()
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)
