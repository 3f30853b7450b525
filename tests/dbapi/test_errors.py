"""Bad input: the right exception class and a message a person can act on."""

from __future__ import annotations

import os

import pytest

import terndb


def test_syntax_error_points_at_the_token(con) -> None:
    with pytest.raises(terndb.ProgrammingError) as ei:
        con.execute("SELECT a,\n  b FORM t")
    e = ei.value
    assert 'near "t"' in str(e) or 'near "FORM"' in str(e)
    assert e.line == 2 and e.column is not None
    assert "^" in str(e)


def test_incomplete_input(con) -> None:
    with pytest.raises(terndb.ProgrammingError, match="incomplete input"):
        con.execute("SELECT (1 + ")


def test_unknown_names(con) -> None:
    con.execute("CREATE TABLE t(a)")
    with pytest.raises(terndb.ProgrammingError, match="no such table: nope"):
        con.execute("SELECT * FROM nope")
    with pytest.raises(terndb.ProgrammingError, match="no such column: b") as ei:
        con.execute("SELECT a, b FROM t")
    assert ei.value.column == 11
    with pytest.raises(terndb.ProgrammingError, match="no such function: nofn"):
        con.execute("SELECT nofn(1)")
    with pytest.raises(terndb.ProgrammingError, match="wrong number of arguments"):
        con.execute("SELECT substr()")


def test_ambiguous_and_misused(con) -> None:
    con.execute("CREATE TABLE t(a)")
    con.execute("CREATE TABLE u(a)")
    with pytest.raises(terndb.ProgrammingError, match="ambiguous column name: a"):
        con.execute("SELECT a FROM t, u")
    with pytest.raises(terndb.ProgrammingError, match="misuse of aggregate"):
        con.execute("SELECT a FROM t WHERE count(*) > 1")
    with pytest.raises(terndb.ProgrammingError, match="already exists"):
        con.execute("CREATE TABLE t(b)")


def test_constraint_messages_name_the_column(con) -> None:
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, age CHECK (age >= 0))")
    con.execute("INSERT INTO t VALUES (1, 'a@x', 1)")
    with pytest.raises(terndb.IntegrityError, match=r"UNIQUE constraint failed: t\.id"):
        con.execute("INSERT INTO t VALUES (1, 'b@x', 1)")
    with pytest.raises(terndb.IntegrityError, match=r"UNIQUE constraint failed: t\.email"):
        con.execute("INSERT INTO t VALUES (2, 'a@x', 1)")
    with pytest.raises(terndb.IntegrityError, match=r"NOT NULL constraint failed: t\.email"):
        con.execute("INSERT INTO t VALUES (3, NULL, 1)")
    with pytest.raises(terndb.IntegrityError, match=r"CHECK constraint failed: age >= 0"):
        con.execute("INSERT INTO t VALUES (4, 'c@x', -1)")
    with pytest.raises(terndb.DataError, match="datatype mismatch"):
        con.execute("INSERT INTO t VALUES ('abc', 'd@x', 1)")
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_data_errors(con) -> None:
    with pytest.raises(terndb.DataError, match="integer overflow"):
        con.execute("SELECT abs(-9223372036854775808)")
    with pytest.raises(terndb.DataError, match="LIMIT"):
        con.execute("SELECT 1 LIMIT 'x'")


def test_missing_foreign_and_corrupt_files(tmp_path) -> None:
    with pytest.raises(terndb.OperationalError, match="does not exist"):
        terndb.connect(str(tmp_path / "missing.db"), readonly=True)
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a database\n" * 400)
    with pytest.raises(terndb.DatabaseError, match="not a database"):
        terndb.connect(str(text))
    import sqlite3
    sq = tmp_path / "real.sqlite"
    sqlite3.connect(str(sq)).execute("CREATE TABLE t(x)").connection.commit()
    with pytest.raises(terndb.DatabaseError, match="SQLite database"):
        terndb.connect(str(sq))
    with pytest.raises(terndb.OperationalError, match="directory"):
        terndb.connect(str(tmp_path))


def test_read_only_database(tmp_path) -> None:
    path = str(tmp_path / "ro.db")
    c = terndb.connect(path)
    c.execute("CREATE TABLE t(x)")
    c.execute("INSERT INTO t VALUES (1)")
    c.commit()
    c.close()
    r = terndb.connect(path, readonly=True)
    assert r.execute("SELECT x FROM t").fetchall() == [(1,)]
    with pytest.raises(terndb.OperationalError, match="readonly"):
        r.execute("INSERT INTO t VALUES (2)")
    r.close()
    os.chmod(path, 0o444)
    try:
        if os.access(path, os.W_OK):
            pytest.skip("running as a user that ignores file permissions")
        r2 = terndb.connect(path)
        with pytest.raises(terndb.OperationalError, match="readonly"):
            r2.execute("INSERT INTO t VALUES (2)")
        r2.close()
    finally:
        os.chmod(path, 0o644)


def test_committed_data_survives_errors(tmp_path) -> None:
    path = str(tmp_path / "db")
    c = terndb.connect(path)
    c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v NOT NULL)")
    c.executemany("INSERT INTO t VALUES (?, ?)", [(i, i) for i in range(100)])
    c.commit()
    for bad in ("INSERT INTO t VALUES (1, 1)", "INSERT INTO t VALUES (1000, NULL)",
                "UPDATE t SET id = 5 WHERE id = 6", "SELEC 1", "DROP TABLE nope"):
        with pytest.raises(terndb.Error):
            c.execute(bad)
    c.commit()
    c.close()
    c = terndb.connect(path)
    assert c.execute("SELECT count(*), sum(v) FROM t").fetchone() == (100, 4950)
    assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    c.close()


@pytest.mark.host_only
def test_second_process_is_refused(tmp_path) -> None:
    import subprocess
    import sys
    path = str(tmp_path / "locked.db")
    c = terndb.connect(path)
    c.execute("CREATE TABLE t(x)")
    c.commit()
    code = ("import sys, terndb\n"
            "try:\n    terndb.connect(sys.argv[1])\nexcept terndb.OperationalError as e:\n"
            "    print('refused:', e)\n")
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert "refused: database is locked" in out.stdout
    c.close()
