"""PEP 249 surface: module globals, cursors, parameters, errors, Row."""

from __future__ import annotations

import pytest

import terndb


def test_module_globals() -> None:
    assert terndb.apilevel == "2.0"
    assert terndb.paramstyle == "qmark"
    assert terndb.threadsafety in (0, 1, 2, 3)
    for name in ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
                 "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError"):
        assert issubclass(getattr(terndb, name), Exception)
    assert issubclass(terndb.IntegrityError, terndb.DatabaseError)
    assert issubclass(terndb.DatabaseError, terndb.Error)


def test_description_rowcount_lastrowid(con) -> None:
    cur = con.cursor()
    cur.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
    cur.execute("INSERT INTO t(name) VALUES ('a'), ('b')")
    assert cur.rowcount == 2
    assert cur.lastrowid == 2
    cur.execute("UPDATE t SET name = 'z'")
    assert cur.rowcount == 2
    cur.execute("SELECT id, name AS label, 1 + 1 FROM t")
    assert [d[0] for d in cur.description] == ["id", "label", "1 + 1"]
    assert all(len(d) == 7 for d in cur.description)
    assert cur.rowcount == -1
    assert cur.fetchone() == (1, "z", 2)
    assert cur.fetchmany(5) == [(2, "z", 2)]
    assert cur.fetchone() is None


def test_qmark_numbered_and_named_parameters(con) -> None:
    assert con.execute("SELECT ?, ?", (1, "a")).fetchone() == (1, "a")
    assert con.execute("SELECT ?2, ?1", (1, 2)).fetchone() == (2, 1)
    assert con.execute("SELECT :a + :b, :a", {"a": 1, "b": 2}).fetchone() == (3, 1)
    assert con.execute("SELECT $x, @y", {"x": "X", "y": "Y"}).fetchone() == ("X", "Y")


def test_parameter_types_and_errors(con) -> None:
    assert con.execute("SELECT ?, ?, ?, ?, ?", (None, 1, 1.5, "s", b"\x00")).fetchone() == \
        (None, 1, 1.5, "s", b"\x00")
    assert con.execute("SELECT ?", (True,)).fetchone() == (1,)
    assert con.execute("SELECT ?", (bytearray(b"ab"),)).fetchone() == (b"ab",)
    with pytest.raises(terndb.ProgrammingError, match="Incorrect number of bindings"):
        con.execute("SELECT ?, ?", (1,))
    with pytest.raises(terndb.ProgrammingError, match="not supported"):
        con.execute("SELECT ?", (object(),))
    with pytest.raises(terndb.DataError, match="too large"):
        con.execute("SELECT ?", (2 ** 70,))
    with pytest.raises(terndb.ProgrammingError, match=":b"):
        con.execute("SELECT :a, :b", {"a": 1})


def test_executemany_and_executescript(con) -> None:
    con.execute("CREATE TABLE t(a, b)")
    cur = con.executemany("INSERT INTO t VALUES (?, ?)", [(i, str(i)) for i in range(10)])
    assert cur.rowcount == 10
    con.executescript("""
        CREATE TABLE u(x);
        INSERT INTO u VALUES (1);
        INSERT INTO u VALUES (2);
    """)
    assert con.execute("SELECT sum(x) FROM u").fetchone() == (3,)
    with pytest.raises(terndb.ProgrammingError, match="one statement"):
        con.execute("SELECT 1; SELECT 2")
    with pytest.raises(terndb.ProgrammingError, match="DML"):
        con.executemany("SELECT ?", [(1,)])


def test_executemany_keeps_rows_before_a_failure(con) -> None:
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY)")
    with pytest.raises(terndb.IntegrityError):
        con.executemany("INSERT INTO t VALUES (?)", [(1,), (2,), (2,), (3,)])
    assert [r[0] for r in con.execute("SELECT id FROM t")] == [1, 2]


def test_row_factory(con) -> None:
    con.row_factory = terndb.Row
    row = con.execute("SELECT 1 AS one, 'x' AS Two").fetchone()
    assert row["one"] == 1 and row["two"] == "x" and row[1] == "x"
    assert row.keys() == ["one", "Two"]
    assert tuple(row) == (1, "x")


def test_closed_objects_raise(con) -> None:
    cur = con.cursor()
    cur.close()
    with pytest.raises(terndb.ProgrammingError, match="closed cursor"):
        cur.execute("SELECT 1")
    c2 = terndb.connect(":memory:")
    c2.close()
    with pytest.raises(terndb.ProgrammingError, match="closed database"):
        c2.execute("SELECT 1")
    c2.close()  # closing twice is fine


def test_iteration_and_fetchall(con) -> None:
    con.execute("CREATE TABLE t(x)")
    con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    assert [r[0] for r in con.execute("SELECT x FROM t")] == list(range(100))
    cur = con.execute("SELECT x FROM t")
    cur.fetchone()
    assert len(cur.fetchall()) == 99


def test_create_function(con) -> None:
    con.create_function("double", 1, lambda x: x * 2, deterministic=True)
    assert con.execute("SELECT double(21)").fetchone() == (42,)
    con.create_function("boom", 0, lambda: 1 / 0)
    with pytest.raises(terndb.OperationalError, match="boom"):
        con.execute("SELECT boom()")
    con.create_function("double", 1, None)
    with pytest.raises(terndb.ProgrammingError, match="no such function"):
        con.execute("SELECT double(1)")


@pytest.mark.host_only
def test_thread_check() -> None:
    import threading
    c = terndb.connect(":memory:")
    err = []

    def use() -> None:
        try:
            c.execute("SELECT 1")
        except terndb.ProgrammingError as e:
            err.append(e)
    t = threading.Thread(target=use)
    t.start()
    t.join()
    assert err and "thread" in str(err[0])
    c.close()
