"""Constraints: PRIMARY KEY, NOT NULL, UNIQUE, CHECK, conflict resolution,
AUTOINCREMENT and rowid assignment."""

from .oracle import check

# ----------------------------------------------------------------------------- PRIMARY KEY


def test_integer_primary_key_is_rowid_alias():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, v)",
          "INSERT INTO t(v) VALUES ('a'), ('b')", "INSERT INTO t VALUES (10, 'c')",
          "INSERT INTO t(v) VALUES ('d')",
          "SELECT id, rowid AS r, _rowid_ AS r2, oid AS r3, v FROM t ORDER BY id")


def test_integer_primary_key_duplicate_fails():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, v)",
          "INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (1, 'b')", "SELECT * FROM t")


def test_integer_primary_key_accepts_integer_text_and_real():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, v)",
          "INSERT INTO t VALUES ('5', 'text five')", "INSERT INTO t VALUES (6.0, 'real six')",
          "SELECT id, typeof(id), v FROM t ORDER BY id")


def test_integer_primary_key_rejects_non_integer():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, v)",
          "INSERT INTO t VALUES ('abc', 1)", "INSERT INTO t VALUES (1.5, 2)",
          "INSERT INTO t VALUES (x'01', 3)", "SELECT * FROM t")


def test_integer_primary_key_null_assigns_rowid():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, v)",
          "INSERT INTO t VALUES (NULL, 'a')", "INSERT INTO t VALUES (NULL, 'b')",
          "SELECT id, v FROM t ORDER BY id")


def test_int_primary_key_is_not_rowid_alias():
    check("CREATE TABLE t(id INT PRIMARY KEY, v)",
          "INSERT INTO t VALUES (NULL, 'a')", "INSERT INTO t VALUES (NULL, 'b')",
          "INSERT INTO t VALUES (5, 'c')", "INSERT INTO t VALUES (5, 'd')",
          "SELECT id, rowid AS r, v FROM t ORDER BY r")


def test_integer_primary_key_desc_is_not_rowid_alias():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY DESC, v)",
          "INSERT INTO t VALUES (7, 'a')", "SELECT id, v FROM t")


def test_text_primary_key():
    check("CREATE TABLE t(k TEXT PRIMARY KEY, v)",
          "INSERT INTO t VALUES ('a', 1)", "INSERT INTO t VALUES ('b', 2)",
          "INSERT INTO t VALUES ('a', 3)", "INSERT INTO t VALUES (NULL, 4)",
          "INSERT INTO t VALUES (NULL, 5)", "SELECT k, v FROM t ORDER BY v")


def test_text_primary_key_affinity_makes_1_and_text_1_equal():
    check("CREATE TABLE t(k TEXT PRIMARY KEY)", "INSERT INTO t VALUES (1)",
          "INSERT INTO t VALUES ('1')", "SELECT k, typeof(k) FROM t")


def test_composite_primary_key():
    check("CREATE TABLE t(a, b, v, PRIMARY KEY (a, b))",
          "INSERT INTO t VALUES (1, 1, 'x')", "INSERT INTO t VALUES (1, 2, 'y')",
          "INSERT INTO t VALUES (2, 1, 'z')", "INSERT INTO t VALUES (1, 1, 'dup')",
          "SELECT * FROM t ORDER BY a, b")


def test_composite_primary_key_update_into_conflict():
    check("CREATE TABLE t(a, b, PRIMARY KEY (a, b))",
          "INSERT INTO t VALUES (1, 1), (1, 2)", "UPDATE t SET b = 1 WHERE b = 2",
          "SELECT * FROM t ORDER BY a, b")


def test_two_primary_keys_fails():
    check("CREATE TABLE t(a PRIMARY KEY, b PRIMARY KEY)")


def test_primary_key_on_missing_column_fails():
    check("CREATE TABLE t(a, PRIMARY KEY (z))")


# ----------------------------------------------------------------------------- NOT NULL


def test_not_null_insert_null_fails():
    check("CREATE TABLE t(a NOT NULL, b)", "INSERT INTO t VALUES (NULL, 1)",
          "INSERT INTO t(b) VALUES (2)", "INSERT INTO t VALUES (0, 3)", "SELECT * FROM t")


def test_not_null_update_to_null_fails():
    check("CREATE TABLE t(a NOT NULL)", "INSERT INTO t VALUES (1), (2)",
          "UPDATE t SET a = NULL WHERE a = 2", "SELECT a FROM t ORDER BY a")


def test_not_null_with_default_used_when_omitted():
    check("CREATE TABLE t(a NOT NULL DEFAULT 'd', b)", "INSERT INTO t(b) VALUES (1)",
          "SELECT * FROM t")


def test_not_null_or_ignore_skips_row():
    check("CREATE TABLE t(a NOT NULL)", "INSERT OR IGNORE INTO t VALUES (1), (NULL), (3)",
          "SELECT a FROM t ORDER BY a")


def test_not_null_or_replace_uses_default():
    check("CREATE TABLE t(a NOT NULL DEFAULT 42, b)",
          "INSERT OR REPLACE INTO t VALUES (NULL, 1)", "SELECT * FROM t")


def test_not_null_or_replace_without_default_fails():
    check("CREATE TABLE t(a NOT NULL, b)",
          "INSERT OR REPLACE INTO t VALUES (NULL, 1)", "SELECT * FROM t")


def test_not_null_empty_string_and_zero_are_fine():
    check("CREATE TABLE t(a NOT NULL)", "INSERT INTO t VALUES (''), (0), (x'')",
          "SELECT typeof(a) FROM t ORDER BY rowid")


# ----------------------------------------------------------------------------- UNIQUE


def test_unique_rejects_duplicates():
    check("CREATE TABLE t(a UNIQUE)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)",
          "INSERT INTO t VALUES (2)", "SELECT a FROM t ORDER BY a")


def test_unique_allows_multiple_nulls():
    check("CREATE TABLE t(a UNIQUE, b)",
          "INSERT INTO t VALUES (NULL, 1), (NULL, 2), (NULL, 3)",
          "SELECT count(*) FROM t WHERE a IS NULL")


def test_unique_composite_with_nulls():
    check("CREATE TABLE t(a, b, UNIQUE (a, b))",
          "INSERT INTO t VALUES (1, NULL), (1, NULL)", "INSERT INTO t VALUES (1, 2)",
          "INSERT INTO t VALUES (1, 2)", "SELECT count(*) FROM t")


def test_unique_compares_with_affinity():
    check("CREATE TABLE t(a INTEGER UNIQUE)", "INSERT INTO t VALUES (1)",
          "INSERT INTO t VALUES ('1')", "INSERT INTO t VALUES (1.0)", "SELECT a, typeof(a) FROM t")


def test_unique_no_affinity_distinguishes_types():
    check("CREATE TABLE t(a UNIQUE)", "INSERT INTO t VALUES (1)",
          "INSERT INTO t VALUES ('1')", "INSERT INTO t VALUES (1.0)",
          "SELECT a, typeof(a) FROM t ORDER BY rowid")


def test_unique_update_conflict():
    check("CREATE TABLE t(a UNIQUE)", "INSERT INTO t VALUES (1), (2), (3)",
          "UPDATE t SET a = 2 WHERE a = 3", "SELECT a FROM t ORDER BY a")


def test_unique_update_shift_all_rows_conflicts_midway():
    # a = a + 1 over 1,2,3 collides with the not-yet-updated row: statement rolled back
    check("CREATE TABLE t(a UNIQUE)", "INSERT INTO t VALUES (1), (2), (3)",
          "UPDATE t SET a = a + 1", "SELECT a FROM t ORDER BY a")


def test_unique_collate_nocase_column():
    check("CREATE TABLE t(a TEXT UNIQUE COLLATE NOCASE)", "INSERT INTO t VALUES ('x')",
          "INSERT INTO t VALUES ('X')", "SELECT a FROM t")


# ----------------------------------------------------------------------------- CHECK


def test_check_column_constraint():
    check("CREATE TABLE t(a CHECK (a > 0))", "INSERT INTO t VALUES (1)",
          "INSERT INTO t VALUES (0)", "INSERT INTO t VALUES (-5)", "SELECT a FROM t")


def test_check_null_passes():
    check("CREATE TABLE t(a CHECK (a > 0))", "INSERT INTO t VALUES (NULL)", "SELECT a FROM t")


def test_check_table_constraint_multiple_columns():
    check("CREATE TABLE t(lo, hi, CHECK (lo <= hi))", "INSERT INTO t VALUES (1, 2)",
          "INSERT INTO t VALUES (3, 2)", "UPDATE t SET hi = 0", "SELECT * FROM t")


def test_named_check_constraint():
    check("CREATE TABLE t(a, CONSTRAINT positive CHECK (a > 0))",
          "INSERT INTO t VALUES (-1)", "INSERT INTO t VALUES (1)", "SELECT a FROM t")


def test_check_with_function_and_text():
    check("CREATE TABLE t(code TEXT CHECK (length(code) = 3 AND code = upper(code)))",
          "INSERT INTO t VALUES ('ABC')", "INSERT INTO t VALUES ('abc')",
          "INSERT INTO t VALUES ('ABCD')", "SELECT code FROM t")


def test_check_sees_value_after_affinity():
    check("CREATE TABLE t(a INTEGER CHECK (typeof(a) = 'integer'))",
          "INSERT INTO t VALUES ('12')", "INSERT INTO t VALUES ('x')", "SELECT a, typeof(a) FROM t")


def test_check_or_ignore_does_not_ignore_check():
    # OR IGNORE does not apply to CHECK constraints: the statement fails
    check("CREATE TABLE t(a CHECK (a > 0))", "INSERT OR IGNORE INTO t VALUES (1), (-1), (2)",
          "SELECT a FROM t ORDER BY a")


def test_check_with_subquery_fails():
    check("CREATE TABLE s(x)", "CREATE TABLE t(a CHECK (a IN (SELECT x FROM s)))")


# ----------------------------------------------------------------------------- conflict clauses


SETUP = ["CREATE TABLE t(id INTEGER PRIMARY KEY, u UNIQUE, v)",
         "INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30)"]
ALL = "SELECT id, u, v FROM t ORDER BY id"


def test_insert_or_replace_on_primary_key():
    check(SETUP, "INSERT OR REPLACE INTO t VALUES (2, 'z', 99)", ALL)


def test_insert_or_replace_on_unique_deletes_conflicting_row():
    check(SETUP, "INSERT OR REPLACE INTO t VALUES (4, 'a', 40)", ALL)


def test_insert_or_replace_conflicting_two_rows():
    check(SETUP, "INSERT OR REPLACE INTO t VALUES (1, 'b', 0)", ALL)


def test_replace_into_statement():
    check(SETUP, "REPLACE INTO t VALUES (3, 'c', 33)", ALL, "SELECT changes()")


def test_insert_or_ignore_skips_conflicts_keeps_others():
    check(SETUP, "INSERT OR IGNORE INTO t VALUES (2, 'x', 0), (4, 'd', 40), (5, 'a', 0)", ALL)


def test_insert_or_abort_rolls_back_statement():
    check(SETUP, "INSERT OR ABORT INTO t VALUES (4, 'd', 40), (5, 'a', 50)", ALL)


def test_insert_or_fail_keeps_earlier_rows_of_statement():
    check(SETUP, "INSERT OR FAIL INTO t VALUES (4, 'd', 40), (5, 'a', 50), (6, 'f', 60)", ALL)


def test_insert_or_rollback_ends_transaction():
    check(SETUP, "COMMIT", "BEGIN", "INSERT INTO t VALUES (7, 'g', 70)",
          "INSERT OR ROLLBACK INTO t VALUES (8, 'a', 0)", ALL, "COMMIT")


def test_insert_or_fail_from_select():
    check(SETUP, "CREATE TABLE s(id, u, v)",
          "INSERT INTO s VALUES (10, 'x', 1), (11, 'b', 2), (12, 'y', 3)",
          "INSERT OR FAIL INTO t SELECT * FROM s ORDER BY id", ALL)


def test_update_or_replace():
    check(SETUP, "UPDATE OR REPLACE t SET u = 'a' WHERE id = 3", ALL)


def test_update_or_ignore():
    check(SETUP, "UPDATE OR IGNORE t SET u = 'a' WHERE id >= 2", ALL)


def test_update_or_ignore_rowcount():
    check(SETUP, "UPDATE OR IGNORE t SET u = 'b' WHERE id IN (1, 3)", "SELECT changes()", ALL)


def test_update_or_fail_keeps_earlier_changes():
    check(SETUP, "UPDATE OR FAIL t SET v = v + 1, u = CASE id WHEN 2 THEN 'a' ELSE u END", ALL)


def test_update_or_abort_undoes_statement():
    check(SETUP, "UPDATE OR ABORT t SET v = v + 1, u = CASE id WHEN 2 THEN 'a' ELSE u END", ALL)


def test_update_primary_key_or_replace():
    check(SETUP, "UPDATE OR REPLACE t SET id = 1 WHERE id = 3", ALL)


def test_unique_on_conflict_replace_column_constraint():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, u UNIQUE ON CONFLICT REPLACE, v)",
          "INSERT INTO t VALUES (1, 'a', 1)", "INSERT INTO t VALUES (2, 'a', 2)",
          "SELECT * FROM t ORDER BY id")


def test_unique_on_conflict_ignore_column_constraint():
    check("CREATE TABLE t(u UNIQUE ON CONFLICT IGNORE, v)",
          "INSERT INTO t VALUES ('a', 1), ('a', 2), ('b', 3)", "SELECT * FROM t ORDER BY v")


def test_statement_conflict_clause_overrides_column_clause():
    check("CREATE TABLE t(u UNIQUE ON CONFLICT IGNORE, v)", "INSERT INTO t VALUES ('a', 1)",
          "INSERT OR ABORT INTO t VALUES ('a', 2)", "INSERT OR REPLACE INTO t VALUES ('a', 3)",
          "SELECT * FROM t")


def test_primary_key_on_conflict_replace():
    check("CREATE TABLE t(k TEXT PRIMARY KEY ON CONFLICT REPLACE, v)",
          "INSERT INTO t VALUES ('x', 1)", "INSERT INTO t VALUES ('x', 2)", "SELECT * FROM t")


def test_not_null_on_conflict_ignore():
    check("CREATE TABLE t(a NOT NULL ON CONFLICT IGNORE, b)",
          "INSERT INTO t VALUES (NULL, 1), (2, 2)", "SELECT * FROM t")


def test_on_conflict_fail_table_constraint():
    check("CREATE TABLE t(a, b, UNIQUE (a, b) ON CONFLICT FAIL)",
          "INSERT INTO t VALUES (1, 1)", "INSERT INTO t VALUES (2, 2), (1, 1), (3, 3)",
          "SELECT * FROM t ORDER BY a")


def test_replace_fires_no_delete_trigger_without_recursive_triggers():
    check(SETUP, "CREATE TABLE log(x)",
          "CREATE TRIGGER td AFTER DELETE ON t BEGIN INSERT INTO log VALUES (old.id); END",
          "INSERT OR REPLACE INTO t VALUES (2, 'q', 0)", "SELECT * FROM log", ALL)


# ----------------------------------------------------------------------------- rowids / AUTOINCREMENT


def test_rowid_is_max_plus_one():
    check("CREATE TABLE t(v)", "INSERT INTO t VALUES ('a'), ('b'), ('c')",
          "DELETE FROM t WHERE v = 'b'", "INSERT INTO t VALUES ('d')",
          "SELECT rowid, v FROM t ORDER BY rowid")


def test_rowid_reused_after_delete_of_max_without_autoincrement():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, v)", "INSERT INTO t(v) VALUES ('a'), ('b'), ('c')",
          "DELETE FROM t WHERE id = 3", "INSERT INTO t(v) VALUES ('d')",
          "SELECT id, v FROM t ORDER BY id")


def test_rowid_after_deleting_everything_starts_at_one():
    check("CREATE TABLE t(v)", "INSERT INTO t VALUES (1), (2)", "DELETE FROM t",
          "INSERT INTO t VALUES (3)", "SELECT rowid, v FROM t")


def test_rowid_after_explicit_large_rowid():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, v)", "INSERT INTO t VALUES (100, 'a')",
          "INSERT INTO t(v) VALUES ('b')", "INSERT INTO t VALUES (-5, 'c')",
          "INSERT INTO t(v) VALUES ('d')", "SELECT id, v FROM t ORDER BY id")


def test_explicit_rowid_insert_into_rowid_table():
    check("CREATE TABLE t(v)", "INSERT INTO t(rowid, v) VALUES (50, 'x')",
          "INSERT INTO t VALUES ('y')", "SELECT rowid, v FROM t ORDER BY rowid")


def test_autoincrement_never_reuses_deleted_max():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v)",
          "INSERT INTO t(v) VALUES ('a'), ('b'), ('c')", "DELETE FROM t WHERE id = 3",
          "INSERT INTO t(v) VALUES ('d')", "SELECT id, v FROM t ORDER BY id")


def test_autoincrement_after_delete_all():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v)",
          "INSERT INTO t(v) VALUES ('a'), ('b')", "DELETE FROM t",
          "INSERT INTO t(v) VALUES ('c')", "SELECT id, v FROM t ORDER BY id")


def test_autoincrement_after_explicit_id():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v)",
          "INSERT INTO t VALUES (10, 'a')", "DELETE FROM t", "INSERT INTO t(v) VALUES ('b')",
          "INSERT INTO t VALUES (5, 'c')", "INSERT INTO t(v) VALUES ('d')",
          "SELECT id, v FROM t ORDER BY id")


def test_autoincrement_sqlite_sequence_contents():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v)",
          "INSERT INTO t(v) VALUES ('a'), ('b')", "DELETE FROM t",
          "SELECT name, seq FROM sqlite_sequence")


def test_autoincrement_creates_sqlite_sequence_in_master():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v)",
          "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")


def test_autoincrement_on_non_integer_pk_fails():
    check("CREATE TABLE t(id INT PRIMARY KEY AUTOINCREMENT)",
          "CREATE TABLE u(id TEXT PRIMARY KEY AUTOINCREMENT)")


def test_autoincrement_rolled_back_insert_does_not_advance():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v)",
          "INSERT INTO t(v) VALUES ('a')", "COMMIT", "BEGIN",
          "INSERT INTO t(v) VALUES ('b')", "ROLLBACK", "INSERT INTO t(v) VALUES ('c')",
          "SELECT id, v FROM t ORDER BY id")


def test_autoincrement_replace_keeps_counting():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, u UNIQUE)",
          "INSERT INTO t(u) VALUES ('a'), ('b')", "INSERT OR REPLACE INTO t(u) VALUES ('b')",
          "INSERT INTO t(u) VALUES ('c')", "SELECT id, u FROM t ORDER BY id")


def test_max_rowid_reached_picks_unused_rowid_without_autoincrement():
    # the new rowid is random: compare only that the insert worked and where it went
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, v)",
          "INSERT INTO t VALUES (9223372036854775807, 'max')",
          "INSERT INTO t(v) VALUES ('next')",
          "SELECT count(*), count(DISTINCT id), max(id), min(id) > 0 FROM t")


def test_max_rowid_reached_with_autoincrement_is_full():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v)",
          "INSERT INTO t VALUES (9223372036854775807, 'max')",
          "INSERT INTO t(v) VALUES ('next')", "SELECT id, v FROM t ORDER BY id")


def test_rowid_out_of_range_text_fails():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY)",
          "INSERT INTO t VALUES ('9223372036854775808')", "SELECT * FROM t")


def test_rowid_column_name_follows_integer_primary_key_alias():
    # SQLite names a selected rowid after the INTEGER PRIMARY KEY column that aliases it
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, v)", "INSERT INTO t VALUES (3, 'x')",
          "SELECT rowid, v FROM t", "SELECT oid FROM t", "SELECT rowid, * FROM t")


def test_rowid_column_name_in_plain_rowid_table():
    check("CREATE TABLE t(v)", "INSERT INTO t VALUES ('x')", "SELECT rowid, _rowid_, oid, v FROM t")
