"""Transactions: statement atomicity, savepoints, snapshots between connections, locking."""

from __future__ import annotations

import threading
import time

import pytest

import terndb


def count(con, table: str = "t") -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_failed_statement_leaves_no_partial_writes(con) -> None:
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    con.execute("INSERT INTO t VALUES (1, 'a')")
    with pytest.raises(terndb.IntegrityError):
        con.execute("INSERT INTO t VALUES (2, 'b'), (3, NULL), (4, 'd')")
    assert con.in_transaction  # the transaction stays open
    assert [r[0] for r in con.execute("SELECT id FROM t ORDER BY id")] == [1]
    con.commit()
    assert count(con) == 1


def test_failed_update_is_undone_whole(con) -> None:
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER UNIQUE)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(i, i) for i in range(1, 6)])
    con.commit()
    with pytest.raises(terndb.IntegrityError):
        con.execute("UPDATE t SET v = v + 1")   # collides partway through
    assert [r[0] for r in con.execute("SELECT v FROM t ORDER BY id")] == [1, 2, 3, 4, 5]


def test_rollback_discards_and_commit_persists(db_url) -> None:
    a = terndb.connect(db_url)
    a.execute("CREATE TABLE t(x)")
    a.execute("INSERT INTO t VALUES (1)")
    a.rollback()
    a.execute("INSERT INTO t VALUES (2)")
    a.commit()
    a.close()
    b = terndb.connect(db_url)
    assert b.execute("SELECT x FROM t").fetchall() == [(2,)]
    b.close()


def test_savepoints_nest_and_roll_back_partially(con) -> None:
    con.isolation_level = None
    con.execute("CREATE TABLE t(x)")
    con.execute("BEGIN")
    con.execute("INSERT INTO t VALUES (1)")
    con.execute("SAVEPOINT a")
    con.execute("INSERT INTO t VALUES (2)")
    con.execute("SAVEPOINT b")
    con.execute("INSERT INTO t VALUES (3)")
    con.execute("ROLLBACK TO a")
    con.execute("INSERT INTO t VALUES (4)")
    con.execute("RELEASE a")
    con.execute("COMMIT")
    assert [r[0] for r in con.execute("SELECT x FROM t ORDER BY x")] == [1, 4]


def test_savepoint_outside_transaction_starts_one(con) -> None:
    con.isolation_level = None
    con.execute("CREATE TABLE t(x)")
    con.execute("SAVEPOINT s")
    con.execute("INSERT INTO t VALUES (1)")
    assert con.in_transaction
    con.execute("RELEASE s")
    assert not con.in_transaction
    assert count(con) == 1


def test_autocommit_mode_commits_each_statement(db_url) -> None:
    a = terndb.connect(db_url, isolation_level=None)
    b = terndb.connect(db_url)
    a.execute("CREATE TABLE t(x)")
    a.execute("INSERT INTO t VALUES (1)")
    assert not a.in_transaction
    assert b.execute("SELECT count(*) FROM t").fetchone() == (1,)
    a.close()
    b.close()


def test_readers_see_last_committed_state(db_url) -> None:
    w = terndb.connect(db_url)
    r = terndb.connect(db_url)
    w.execute("CREATE TABLE t(x)")
    w.execute("INSERT INTO t VALUES (1)")
    w.commit()
    w.execute("INSERT INTO t VALUES (2)")  # not committed
    assert r.execute("SELECT count(*) FROM t").fetchone() == (1,)
    w.commit()
    assert r.execute("SELECT count(*) FROM t").fetchone() == (2,)
    w.close()
    r.close()


def test_explicit_read_transaction_keeps_its_snapshot(db_url) -> None:
    w = terndb.connect(db_url)
    r = terndb.connect(db_url, isolation_level=None)
    w.execute("CREATE TABLE t(x)")
    w.commit()
    r.execute("BEGIN")
    assert r.execute("SELECT count(*) FROM t").fetchone() == (0,)
    w.execute("INSERT INTO t VALUES (1)")
    w.commit()
    assert r.execute("SELECT count(*) FROM t").fetchone() == (0,)
    # Writing from a stale snapshot would lose the other commit: refused.
    with pytest.raises(terndb.OperationalError, match="retry"):
        r.execute("INSERT INTO t VALUES (2)")
    r.execute("ROLLBACK")
    assert r.execute("SELECT count(*) FROM t").fetchone() == (1,)
    w.close()
    r.close()


def test_open_cursor_keeps_its_snapshot_across_commits(db_url) -> None:
    w = terndb.connect(db_url)
    w.execute("CREATE TABLE t(x)")
    w.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(5000)])
    w.commit()
    r = terndb.connect(db_url)
    cur = r.execute("SELECT x FROM t ORDER BY rowid")
    first = cur.fetchmany(10)
    w.execute("DELETE FROM t")
    w.executemany("INSERT INTO t VALUES (?)", [(-i,) for i in range(5000)])
    w.commit()
    rest = cur.fetchall()
    assert [x for (x,) in first + rest] == list(range(5000))
    w.close()
    r.close()


def test_cursor_in_write_transaction_is_not_disturbed_by_later_writes(con) -> None:
    con.execute("CREATE TABLE t(x)")
    con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(1000)])
    cur = con.execute("SELECT x FROM t")
    head = cur.fetchmany(5)
    con.execute("DELETE FROM t WHERE x % 2 = 0")
    tail = cur.fetchall()
    assert len(head) + len(tail) == 1000


def test_second_writer_waits_then_times_out(db_url) -> None:
    a = terndb.connect(db_url, check_same_thread=False)
    b = terndb.connect(db_url, timeout=0.2)
    a.execute("CREATE TABLE t(x)")
    a.commit()
    a.execute("INSERT INTO t VALUES (1)")   # a holds the write lock
    t0 = time.monotonic()
    with pytest.raises(terndb.OperationalError, match="locked"):
        b.execute("INSERT INTO t VALUES (2)")
    assert time.monotonic() - t0 >= 0.15
    a.commit()
    b.execute("INSERT INTO t VALUES (2)")
    b.commit()
    assert count(b) == 2
    a.close()
    b.close()


@pytest.mark.host_only
def test_writer_lock_is_handed_over_between_threads(db_url) -> None:
    setup = terndb.connect(db_url)
    setup.execute("CREATE TABLE t(x)")
    setup.commit()
    setup.close()
    errors = []

    def work(n: int) -> None:
        try:
            c = terndb.connect(db_url, timeout=10)
            for i in range(50):
                c.execute("INSERT INTO t VALUES (?)", (n * 1000 + i,))
                c.commit()
            c.close()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    c = terndb.connect(db_url)
    assert count(c) == 200
    c.close()


def test_context_manager_commits_or_rolls_back(con) -> None:
    con.execute("CREATE TABLE t(x)")
    with con:
        con.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(ZeroDivisionError):
        with con:
            con.execute("INSERT INTO t VALUES (2)")
            1 / 0
    assert con.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_transaction_control_errors(con) -> None:
    con.isolation_level = None
    with pytest.raises(terndb.OperationalError):
        con.execute("COMMIT")
    con.execute("BEGIN")
    with pytest.raises(terndb.OperationalError):
        con.execute("BEGIN")
    with pytest.raises(terndb.OperationalError, match="no such savepoint"):
        con.execute("RELEASE nope")
    con.execute("ROLLBACK")


def test_ddl_is_transactional(con) -> None:
    con.isolation_level = None
    con.execute("BEGIN")
    con.execute("CREATE TABLE t(x)")
    con.execute("INSERT INTO t VALUES (1)")
    con.execute("ROLLBACK")
    with pytest.raises(terndb.ProgrammingError, match="no such table"):
        con.execute("SELECT * FROM t")
