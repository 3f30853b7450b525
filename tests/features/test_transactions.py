"""Transactions: BEGIN/COMMIT/ROLLBACK, savepoints, statement atomicity, and the
Python-level transaction control (isolation_level, ``with conn:``, in_transaction)."""

from .oracle import check

T = ["CREATE TABLE t(id INTEGER PRIMARY KEY, v UNIQUE)"]
ALL = "SELECT id, v FROM t ORDER BY id"


# ----------------------------------------------------------------------------- SQL level


def test_begin_commit():
    check(T, "BEGIN", "INSERT INTO t VALUES (1, 'a')", "COMMIT", ALL, isolation_level=None)


def test_begin_rollback():
    check(T, "INSERT INTO t VALUES (1, 'keep')", "BEGIN", "INSERT INTO t VALUES (2, 'gone')",
          "UPDATE t SET v = 'changed' WHERE id = 1", "ROLLBACK", ALL, isolation_level=None)


def test_begin_variants_and_end():
    check(T, "BEGIN DEFERRED", "INSERT INTO t VALUES (1, 'a')", "END TRANSACTION",
          "BEGIN IMMEDIATE TRANSACTION", "INSERT INTO t VALUES (2, 'b')", "COMMIT TRANSACTION",
          "BEGIN EXCLUSIVE", "ROLLBACK TRANSACTION", ALL, isolation_level=None)


def test_nested_begin_fails():
    check(T, "BEGIN", "BEGIN", "INSERT INTO t VALUES (1, 'a')", "COMMIT", ALL, isolation_level=None)


def test_commit_or_rollback_without_transaction_fails():
    check("COMMIT", "ROLLBACK", "END", isolation_level=None)


def test_rollback_undoes_ddl():
    check("BEGIN", "CREATE TABLE t(a)", "INSERT INTO t VALUES (1)", "ROLLBACK",
          "SELECT name FROM sqlite_master", "SELECT * FROM t", isolation_level=None)


def test_rollback_undoes_drop_table():
    check(T, "INSERT INTO t VALUES (1, 'a')", "BEGIN", "DROP TABLE t", "ROLLBACK", ALL,
          isolation_level=None)


def test_rollback_undoes_alter_table():
    check(T, "INSERT INTO t VALUES (1, 'a')", "BEGIN", "ALTER TABLE t ADD COLUMN w DEFAULT 5",
          "ALTER TABLE t RENAME TO u", "ROLLBACK", "SELECT * FROM t", "SELECT sql FROM sqlite_master",
          isolation_level=None)


def test_savepoint_rollback_to_and_release():
    check(T, "BEGIN", "INSERT INTO t VALUES (1, 'a')", "SAVEPOINT sp1",
          "INSERT INTO t VALUES (2, 'b')", "ROLLBACK TO sp1", "INSERT INTO t VALUES (3, 'c')",
          "RELEASE sp1", "COMMIT", ALL, isolation_level=None)


def test_nested_savepoints():
    check(T, "SAVEPOINT outer", "INSERT INTO t VALUES (1, 'a')", "SAVEPOINT inner",
          "INSERT INTO t VALUES (2, 'b')", "SAVEPOINT innermost", "INSERT INTO t VALUES (3, 'c')",
          "ROLLBACK TO inner", ALL, "INSERT INTO t VALUES (4, 'd')", "RELEASE outer", ALL,
          isolation_level=None)


def test_rollback_to_keeps_savepoint_active():
    check(T, "SAVEPOINT sp", "INSERT INTO t VALUES (1, 'a')", "ROLLBACK TO sp",
          "INSERT INTO t VALUES (2, 'b')", "ROLLBACK TO SAVEPOINT sp", "INSERT INTO t VALUES (3, 'c')",
          "RELEASE SAVEPOINT sp", ALL, isolation_level=None)


def test_release_inner_then_rollback_outer():
    check(T, "SAVEPOINT a", "INSERT INTO t VALUES (1, 'x')", "SAVEPOINT b",
          "INSERT INTO t VALUES (2, 'y')", "RELEASE b", "ROLLBACK TO a", "RELEASE a", ALL,
          isolation_level=None)


def test_savepoint_outside_transaction_starts_one_and_release_commits():
    check(T, "SAVEPOINT s", "INSERT INTO t VALUES (1, 'a')", "RELEASE s", "ROLLBACK", ALL,
          isolation_level=None)


def test_release_unknown_savepoint_fails():
    check(T, "BEGIN", "SAVEPOINT a", "RELEASE nosuch", "ROLLBACK TO nosuch", "COMMIT",
          isolation_level=None)


def test_savepoint_same_name_twice_uses_latest():
    check(T, "SAVEPOINT s", "INSERT INTO t VALUES (1, 'a')", "SAVEPOINT s",
          "INSERT INTO t VALUES (2, 'b')", "ROLLBACK TO s", "RELEASE s", ALL, "RELEASE s", ALL,
          isolation_level=None)


def test_rollback_inside_savepoint_ends_everything():
    check(T, "BEGIN", "INSERT INTO t VALUES (1, 'a')", "SAVEPOINT s", "INSERT INTO t VALUES (2, 'b')",
          "ROLLBACK", ALL, "RELEASE s", isolation_level=None)


def test_savepoint_rollback_undoes_ddl():
    check("BEGIN", "CREATE TABLE a(x)", "SAVEPOINT s", "CREATE TABLE b(y)", "INSERT INTO a VALUES (1)",
          "ROLLBACK TO s", "COMMIT", "SELECT name FROM sqlite_master ORDER BY name", "SELECT * FROM a",
          isolation_level=None)


def test_failing_multirow_insert_keeps_earlier_statements():
    check(T, "BEGIN", "INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (2, 'b')",
          "INSERT INTO t VALUES (3, 'c'), (4, 'd'), (5, 'a'), (6, 'f')", ALL, "COMMIT", ALL,
          isolation_level=None)


def test_failing_statement_in_implicit_transaction_keeps_it_open():
    check(T, "INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (2, 'b'), (3, 'a')",
          ALL, "ROLLBACK", ALL)


def test_failing_update_midway_undoes_only_itself():
    check(T, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')", "COMMIT",
          "UPDATE t SET v = 'z' WHERE id = 9",
          "UPDATE t SET v = CASE id WHEN 3 THEN 'a' ELSE v || '!' END", ALL)


def test_failing_delete_trigger_undoes_only_that_statement():
    check(T, "CREATE TABLE log(x)",
          "CREATE TRIGGER tr BEFORE DELETE ON t WHEN old.id = 3 BEGIN SELECT RAISE(ABORT, 'no'); END",
          "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')", "BEGIN", "DELETE FROM t WHERE id = 1",
          "DELETE FROM t", ALL, "COMMIT", ALL, isolation_level=None)


def test_error_inside_savepoint_then_rollback_to():
    check(T, "BEGIN", "SAVEPOINT s", "INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (2, 'a')",
          "ROLLBACK TO s", "INSERT INTO t VALUES (3, 'c')", "COMMIT", ALL, isolation_level=None)


def test_autoincrement_counter_rolled_back_with_transaction():
    check("CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, v)", "INSERT INTO a(v) VALUES ('x')",
          "BEGIN", "INSERT INTO a(v) VALUES ('y')", "INSERT INTO a(v) VALUES ('z')", "ROLLBACK",
          "INSERT INTO a(v) VALUES ('w')", "SELECT id, v FROM a ORDER BY id", isolation_level=None)


def test_changes_after_rollback():
    check(T, "BEGIN", "INSERT INTO t VALUES (1, 'a'), (2, 'b')", "ROLLBACK", "SELECT changes()",
          "SELECT total_changes()", isolation_level=None)


# ----------------------------------------------------------------------------- Python API


def test_in_transaction_tracks_implicit_transaction(pair):
    pair.sql("CREATE TABLE t(a)")
    assert pair.in_tx() is False
    pair.sql("INSERT INTO t VALUES (1)")
    assert pair.in_tx() is True
    pair.do("commit()", lambda c, m: c.commit())
    assert pair.in_tx() is False
    pair.sql("SELECT * FROM t")
    assert pair.in_tx() is False


def test_select_does_not_open_transaction(pair):
    pair.sql("CREATE TABLE t(a)")
    pair.sql("SELECT * FROM t")
    pair.in_tx()


def test_rollback_discards_implicit_transaction(pair):
    pair.sql("CREATE TABLE t(a)")
    pair.sql("INSERT INTO t VALUES (1)")
    pair.do("commit()", lambda c, m: c.commit())
    pair.sql("INSERT INTO t VALUES (2)")
    pair.sql("UPDATE t SET a = a * 10")
    pair.do("rollback()", lambda c, m: c.rollback())
    pair.in_tx()
    pair.sql("SELECT a FROM t ORDER BY a")


def test_commit_and_rollback_without_transaction_are_noops(pair):
    pair.do("commit()", lambda c, m: c.commit())
    pair.do("rollback()", lambda c, m: c.rollback())
    pair.in_tx()


def test_ddl_does_not_open_implicit_transaction(pair):
    pair.sql("CREATE TABLE t(a)")
    pair.in_tx()
    pair.do("rollback()", lambda c, m: c.rollback())
    pair.sql("SELECT name FROM sqlite_master")


def test_ddl_inside_implicit_transaction_is_rolled_back(pair):
    pair.sql("CREATE TABLE t(a)")
    pair.sql("INSERT INTO t VALUES (1)")
    pair.sql("CREATE TABLE u(b)")
    pair.in_tx()
    pair.do("rollback()", lambda c, m: c.rollback())
    pair.sql("SELECT name FROM sqlite_master ORDER BY name")
    pair.sql("SELECT * FROM t")


def test_isolation_level_none_autocommits(autocommit_pair):
    p = autocommit_pair
    p.do("isolation_level", lambda c, m: c.isolation_level)
    p.sql("CREATE TABLE t(a)")
    p.sql("INSERT INTO t VALUES (1)")
    p.in_tx()
    p.do("rollback()", lambda c, m: c.rollback())
    p.sql("SELECT * FROM t")


def test_isolation_level_none_explicit_begin(autocommit_pair):
    p = autocommit_pair
    p.sql("CREATE TABLE t(a)")
    p.sql("BEGIN")
    p.in_tx()
    p.sql("INSERT INTO t VALUES (1)")
    p.do("rollback()", lambda c, m: c.rollback())
    p.in_tx()
    p.sql("SELECT * FROM t")


def test_switch_isolation_level_to_none_commits_open_transaction(pair):
    pair.sql("CREATE TABLE t(a)")
    pair.sql("INSERT INTO t VALUES (1)")

    def switch(c, m):
        c.isolation_level = None
        return c.in_transaction
    pair.do("isolation_level = None", switch)
    pair.do("rollback()", lambda c, m: c.rollback())
    pair.sql("SELECT * FROM t")


def test_explicit_begin_with_default_isolation_level(pair):
    pair.sql("CREATE TABLE t(a)")
    pair.sql("BEGIN")
    pair.in_tx()
    pair.sql("INSERT INTO t VALUES (1)")
    pair.do("commit()", lambda c, m: c.commit())
    pair.in_tx()
    pair.sql("SELECT * FROM t")


def test_with_connection_commits_on_success(pair):
    pair.sql("CREATE TABLE t(a)")

    def body(c, m):
        with c:
            c.execute("INSERT INTO t VALUES (1)")
        return c.in_transaction
    pair.do("with conn: insert", body)
    pair.do("rollback()", lambda c, m: c.rollback())
    pair.sql("SELECT * FROM t")


def test_with_connection_rolls_back_on_exception(pair):
    pair.sql("CREATE TABLE t(a)")
    pair.sql("INSERT INTO t VALUES (0)")
    pair.do("commit()", lambda c, m: c.commit())

    def body(c, m):
        try:
            with c:
                c.execute("INSERT INTO t VALUES (1)")
                raise KeyError("boom")
        except KeyError:
            pass
        return c.in_transaction
    pair.do("with conn: insert; raise", body)
    pair.sql("SELECT * FROM t")


def test_with_connection_rolls_back_on_database_error_and_reraises(pair):
    pair.sql("CREATE TABLE t(a UNIQUE)")

    def body(c, m):
        try:
            with c:
                c.execute("INSERT INTO t VALUES (1)")
                c.execute("INSERT INTO t VALUES (1)")
        except m.IntegrityError:
            return "integrity error raised"
        return "no error"
    pair.do("with conn: duplicate insert", body)
    pair.in_tx()
    pair.sql("SELECT * FROM t")


def test_with_connection_nested_does_not_commit_early(pair):
    pair.sql("CREATE TABLE t(a)")

    def body(c, m):
        with c:
            c.execute("INSERT INTO t VALUES (1)")
            with c:
                c.execute("INSERT INTO t VALUES (2)")
            inner_done = c.in_transaction
        return inner_done
    pair.do("nested with conn", body)
    pair.sql("SELECT a FROM t ORDER BY a")


def test_executemany_rowcount_and_atomicity(pair):
    pair.sql("CREATE TABLE t(a UNIQUE)")
    pair.do("executemany ok", lambda c, m: c.executemany("INSERT INTO t VALUES (?)", [(1,), (2,), (3,)]).rowcount)

    def failing(c, m):
        try:
            c.executemany("INSERT INTO t VALUES (?)", [(4,), (5,), (1,), (6,)])
        except m.IntegrityError:
            return "failed"
        return "ok"
    pair.do("executemany with duplicate", failing)
    pair.sql("SELECT a FROM t ORDER BY a")


def test_executescript_commits_pending_transaction(pair):
    pair.sql("CREATE TABLE t(a)")
    pair.sql("INSERT INTO t VALUES (1)")
    pair.do("executescript", lambda c, m: c.executescript("INSERT INTO t VALUES (2);") and c.in_transaction)
    pair.do("rollback()", lambda c, m: c.rollback())
    pair.sql("SELECT a FROM t ORDER BY a")


def test_executescript_with_explicit_transaction_and_error(autocommit_pair):
    p = autocommit_pair
    p.sql("CREATE TABLE t(a UNIQUE)")

    def run(c, m):
        try:
            c.executescript("BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (1); COMMIT;")
        except m.IntegrityError:
            return "error"
        return "ok"
    p.do("executescript failing midway", run)
    p.in_tx()
    p.sql("SELECT a FROM t")


def test_cursor_rowcount_values(pair):
    pair.sql("CREATE TABLE t(a)")
    pair.do("insert rowcount", lambda c, m: c.execute("INSERT INTO t VALUES (1), (2), (3)").rowcount)
    pair.do("update rowcount", lambda c, m: c.execute("UPDATE t SET a = a + 1 WHERE a > 1").rowcount)
    pair.do("delete rowcount", lambda c, m: c.execute("DELETE FROM t WHERE a = 99").rowcount)
    pair.do("select rowcount", lambda c, m: c.execute("SELECT * FROM t").rowcount)
    pair.do("ddl rowcount", lambda c, m: c.execute("CREATE TABLE u(x)").rowcount)


def test_total_changes_attribute(pair):
    pair.sql("CREATE TABLE t(a)")
    pair.sql("INSERT INTO t VALUES (1), (2)")
    pair.sql("DELETE FROM t")
    pair.do("total_changes", lambda c, m: c.total_changes)


def test_row_factory_row(pair):
    pair.sql("CREATE TABLE t(a, b)")
    pair.sql("INSERT INTO t VALUES (1, 'x')")

    def rows(c, m):
        c.row_factory = m.Row
        r = c.execute("SELECT a, b AS bee FROM t").fetchone()
        return [tuple(r.keys()), r["a"], r["BEE"], r[1], tuple(r), len(r)]
    pair.do("row_factory = Row", rows)


def test_description_for_empty_result_and_dml(pair):
    pair.sql("CREATE TABLE t(a, b)")
    pair.do("description of empty select",
            lambda c, m: [d[0] for d in c.execute("SELECT a, b AS x FROM t").description])
    pair.do("description of insert", lambda c, m: c.execute("INSERT INTO t VALUES (1, 2)").description)
