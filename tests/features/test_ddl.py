"""DDL: CREATE/DROP/ALTER of tables, indexes and views, and sqlite_master."""

from .oracle import check, unordered

MASTER = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"


# ----------------------------------------------------------------------------- CREATE TABLE


def test_create_table_basic_master_row():
    check("CREATE TABLE t(a INTEGER, b TEXT)", MASTER)


def test_create_table_lowercase_keywords_normalized_in_master():
    check("create table t (a int, b)", MASTER)


def test_create_table_if_not_exists_text_in_master():
    check("create table if not exists  t(a, b)", MASTER)


def test_create_table_if_not_exists_on_existing_is_noop():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1)",
          "CREATE TABLE IF NOT EXISTS t(x, y, z)", "SELECT * FROM t", MASTER)


def test_create_table_twice_fails():
    check("CREATE TABLE t(a)", "CREATE TABLE t(b)", MASTER)


def test_create_table_name_case_insensitive_clash():
    check("CREATE TABLE t(a)", "CREATE TABLE T(b)", MASTER)


def test_create_table_duplicate_column_fails():
    check("CREATE TABLE t(a, b, A)", MASTER)


def test_create_table_quoted_names():
    check('CREATE TABLE "my table"("a col" INTEGER, [b] TEXT, `c` REAL)',
          'INSERT INTO "my table" VALUES (1, 2, 3)',
          'SELECT * FROM "my table"', 'SELECT "a col", b, c FROM "my table"', MASTER)


def test_create_table_without_types():
    check("CREATE TABLE t(a, b, c)", "INSERT INTO t VALUES (1, '2', 3.0)",
          "SELECT a, typeof(a), b, typeof(b), c, typeof(c) FROM t")


def test_create_table_type_affinity_conversions():
    check("CREATE TABLE t(i INTEGER, r REAL, x TEXT, n NUMERIC, b BLOB, v VARCHAR(10), d DOUBLE)",
          "INSERT INTO t VALUES ('12', '3', 45, '6.0', '7', 8, '9')",
          "SELECT i, typeof(i), r, typeof(r), x, typeof(x), n, typeof(n), b, typeof(b),"
          " v, typeof(v), d, typeof(d) FROM t")


def test_create_table_all_column_constraints_master():
    sql = ("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
           " score REAL DEFAULT 0.5 CHECK (score >= 0), tag TEXT COLLATE NOCASE,"
           " ref INTEGER REFERENCES other(id))")
    check(sql, MASTER)


def test_create_table_table_constraints_master():
    check("CREATE TABLE t(a, b, c, PRIMARY KEY(a, b), UNIQUE(c), CHECK(a <> b))", MASTER)


def test_create_table_autoindexes_in_master():
    check("CREATE TABLE t(a TEXT PRIMARY KEY, b UNIQUE, c)",
          "SELECT type, name, tbl_name, sql IS NULL FROM sqlite_master ORDER BY name")


def test_create_table_without_rowid():
    check("CREATE TABLE t(k TEXT PRIMARY KEY, v) WITHOUT ROWID",
          "INSERT INTO t VALUES ('b', 2), ('a', 1)",
          "SELECT * FROM t ORDER BY k", "SELECT rowid FROM t", MASTER)


def test_default_literals():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, a DEFAULT 7, b DEFAULT -3, c DEFAULT 'x',"
          " d DEFAULT 2.5, e DEFAULT NULL, f DEFAULT x'ab', g DEFAULT +4, h TEXT DEFAULT 5)",
          "INSERT INTO t(id) VALUES (1)",
          "SELECT a, typeof(a), b, c, d, typeof(d), e, f, g, h, typeof(h) FROM t")


def test_default_expressions():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, a DEFAULT (1 + 2), b DEFAULT (abs(-5)),"
          " c DEFAULT (lower('ABC') || 'd'), d DEFAULT (10 / 4), e DEFAULT (10.0 / 4),"
          " f REAL DEFAULT (3))",
          "INSERT INTO t(id) VALUES (1)",
          "SELECT a, b, c, d, e, f, typeof(f) FROM t")


def test_default_true_false_keywords():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, a DEFAULT TRUE, b DEFAULT FALSE)",
          "INSERT INTO t(id) VALUES (1)", "SELECT a, typeof(a), b FROM t")


def test_default_non_constant_fails():
    check("CREATE TABLE s(x)", "CREATE TABLE t(a DEFAULT (SELECT 1))", MASTER)


def test_default_column_reference_fails():
    check("CREATE TABLE t(a, b DEFAULT (a + 1))", MASTER)


def test_default_used_when_column_omitted_but_not_when_null_given():
    check("CREATE TABLE t(a, b DEFAULT 9)",
          "INSERT INTO t(a) VALUES (1)", "INSERT INTO t VALUES (2, NULL)",
          "SELECT a, b FROM t ORDER BY a")


def test_column_collate_nocase_comparison():
    check("CREATE TABLE t(a TEXT COLLATE NOCASE, b TEXT)",
          "INSERT INTO t VALUES ('Abc', 'Abc'), ('abc', 'abc'), ('ABD', 'ABD')",
          "SELECT count(*) FROM t WHERE a = 'ABC'",
          "SELECT count(*) FROM t WHERE b = 'ABC'",
          "SELECT a FROM t ORDER BY a, b",
          "SELECT count(DISTINCT a), count(DISTINCT b) FROM t")


def test_column_collate_rtrim():
    check("CREATE TABLE t(a TEXT COLLATE RTRIM)",
          "INSERT INTO t VALUES ('x  '), ('x'), ('y')",
          "SELECT count(*) FROM t WHERE a = 'x'")


def test_create_table_unknown_collation_fails():
    check("CREATE TABLE t(a TEXT COLLATE nosuch)", MASTER)


def test_create_table_as_select_declared_types():
    check("CREATE TABLE s(i INTEGER, x TEXT, r REAL, n NUMERIC, b BLOB, u, v VARCHAR(5))",
          "INSERT INTO s VALUES (1, 'a', 1.5, 2, x'00', 'u', 'v')",
          "CREATE TABLE t AS SELECT i, x, r, n, b, u, v, i + 1 AS e, 'lit' AS l,"
          " CAST(i AS TEXT) AS c FROM s",
          MASTER,
          "SELECT * FROM t",
          "SELECT typeof(i), typeof(x), typeof(r), typeof(n), typeof(e), typeof(l), typeof(c) FROM t")


def test_create_table_as_select_pragma_table_info():
    check("CREATE TABLE s(i INTEGER NOT NULL PRIMARY KEY, x TEXT DEFAULT 'q')",
          "CREATE TABLE t AS SELECT i, x, i * 2 AS d FROM s",
          "PRAGMA table_info(t)")


def test_create_table_as_select_expression_column_names():
    check("CREATE TABLE t AS SELECT 1, 'a' || 'b', 2 AS two",
          MASTER, "SELECT * FROM t")


def test_create_table_as_select_copies_rows_not_constraints():
    check("CREATE TABLE s(a INTEGER PRIMARY KEY, b UNIQUE NOT NULL)",
          "INSERT INTO s VALUES (1, 'x'), (2, 'y')",
          "CREATE TABLE t AS SELECT * FROM s WHERE a > 1",
          "INSERT INTO t VALUES (2, NULL)",
          "INSERT INTO t VALUES (2, NULL)",
          "SELECT * FROM t ORDER BY a, b",
          "SELECT type, name, tbl_name FROM sqlite_master ORDER BY type, name")


def test_create_table_as_select_if_not_exists():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1)",
          "CREATE TABLE IF NOT EXISTS t AS SELECT 5 AS z",
          "SELECT * FROM t")


# ----------------------------------------------------------------------------- CREATE INDEX


def test_create_index_master_row():
    check("CREATE TABLE t(a, b, c)", "CREATE INDEX i ON t(a)",
          "create unique index  u on t (b desc, c collate nocase)", MASTER)


def test_create_index_if_not_exists():
    check("CREATE TABLE t(a, b)", "CREATE INDEX i ON t(a)",
          "CREATE INDEX IF NOT EXISTS i ON t(b)", "CREATE INDEX i ON t(b)", MASTER)


def test_create_index_on_missing_table_or_column_fails():
    check("CREATE TABLE t(a)", "CREATE INDEX i1 ON nosuch(a)", "CREATE INDEX i2 ON t(zz)", MASTER)


def test_index_name_clashes_with_table():
    check("CREATE TABLE t(a)", "CREATE INDEX t ON t(a)", MASTER)


def test_unique_index_multi_column_enforced():
    check("CREATE TABLE t(a, b)", "CREATE UNIQUE INDEX u ON t(a, b)",
          "INSERT INTO t VALUES (1, 1)", "INSERT INTO t VALUES (1, 2)",
          "INSERT INTO t VALUES (1, 1)", "INSERT INTO t VALUES (NULL, 1)",
          "INSERT INTO t VALUES (NULL, 1)", "SELECT * FROM t ORDER BY a, b")


def test_create_unique_index_on_duplicate_data_fails():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1), (1)",
          "CREATE UNIQUE INDEX u ON t(a)", MASTER)


def test_unique_index_collate_nocase():
    check("CREATE TABLE t(a TEXT)", "CREATE UNIQUE INDEX u ON t(a COLLATE NOCASE)",
          "INSERT INTO t VALUES ('abc')", "INSERT INTO t VALUES ('ABC')",
          "INSERT INTO t VALUES ('abd')", "SELECT a FROM t ORDER BY a")


def test_desc_index_does_not_change_results():
    check("CREATE TABLE t(a, b)", "CREATE INDEX i ON t(a DESC, b)",
          "INSERT INTO t VALUES (1, 'x'), (3, 'y'), (2, 'z'), (NULL, 'n')",
          "SELECT a, b FROM t WHERE a > 1 ORDER BY a",
          "SELECT a, b FROM t ORDER BY a DESC",
          "SELECT a FROM t WHERE a BETWEEN 1 AND 2 ORDER BY a")


def test_index_lookup_respects_affinity():
    check("CREATE TABLE t(a TEXT, b INTEGER)", "CREATE INDEX ia ON t(a)", "CREATE INDEX ib ON t(b)",
          "INSERT INTO t VALUES ('1', '1'), ('2', 2)",
          "SELECT a FROM t WHERE a = 1", "SELECT b FROM t WHERE b = '2'",
          "SELECT count(*) FROM t WHERE a > 1")


# ----------------------------------------------------------------------------- DROP


def test_drop_table():
    check("CREATE TABLE t(a)", "CREATE INDEX i ON t(a)", "DROP TABLE t", MASTER,
          "SELECT * FROM t")


def test_drop_table_missing_and_if_exists():
    check("DROP TABLE nosuch", "DROP TABLE IF EXISTS nosuch", MASTER)


def test_drop_index_missing_and_if_exists():
    check("CREATE TABLE t(a)", "CREATE INDEX i ON t(a)", "DROP INDEX i", "DROP INDEX i",
          "DROP INDEX IF EXISTS i", MASTER)


def test_drop_view_missing_and_if_exists():
    check("CREATE VIEW v AS SELECT 1", "DROP VIEW v", "DROP VIEW v", "DROP VIEW IF EXISTS v", MASTER)


def test_drop_trigger_missing_and_if_exists():
    check("CREATE TABLE t(a)",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
          "DROP TRIGGER tr", "DROP TRIGGER tr", "DROP TRIGGER IF EXISTS tr", MASTER)


def test_drop_wrong_kind_fails():
    check("CREATE TABLE t(a)", "CREATE VIEW v AS SELECT a FROM t", "CREATE INDEX i ON t(a)",
          "DROP VIEW t", "DROP TABLE v", "DROP INDEX t", "DROP TABLE i", MASTER)


def test_drop_autoindex_fails():
    check("CREATE TABLE t(a UNIQUE)", "DROP INDEX sqlite_autoindex_t_1",
          "SELECT count(*) FROM sqlite_master")


def test_drop_table_then_recreate_empty():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1)", "DROP TABLE t",
          "CREATE TABLE t(a, b)", "SELECT * FROM t", MASTER)


def test_drop_table_used_by_view_keeps_view():
    check("CREATE TABLE t(a)", "CREATE VIEW v AS SELECT a FROM t", "DROP TABLE t", MASTER,
          "SELECT * FROM v")


def test_drop_sqlite_master_fails():
    check("DROP TABLE sqlite_master")


# ----------------------------------------------------------------------------- VIEWS


def test_create_view_master_row_and_select():
    check("CREATE TABLE t(a, b)", "INSERT INTO t VALUES (1, 'x'), (2, 'y')",
          "create view  v as select a, b from t where a > 1", MASTER, "SELECT * FROM v")


def test_create_view_with_column_list():
    check("CREATE TABLE t(a, b)", "INSERT INTO t VALUES (1, 2), (3, 4)",
          "CREATE VIEW v(x, y) AS SELECT a, a + b FROM t",
          "SELECT * FROM v ORDER BY x", "SELECT y FROM v WHERE x = 3", MASTER)


def test_create_view_column_list_count_mismatch_fails():
    check("CREATE TABLE t(a, b)", "CREATE VIEW v(x) AS SELECT a, b FROM t", "SELECT * FROM v")


def test_view_expression_column_names():
    check("CREATE TABLE t(a, b)", "INSERT INTO t VALUES (1, 2)",
          "CREATE VIEW v AS SELECT a + b, a AS aa, b FROM t", "SELECT * FROM v")


def test_view_if_not_exists_and_duplicate():
    check("CREATE VIEW v AS SELECT 1 AS one", "CREATE VIEW IF NOT EXISTS v AS SELECT 2",
          "CREATE VIEW v AS SELECT 3", "SELECT * FROM v")


def test_view_over_join():
    check("CREATE TABLE a(id INTEGER PRIMARY KEY, name)",
          "CREATE TABLE b(aid, val)",
          "INSERT INTO a VALUES (1, 'x'), (2, 'y'), (3, 'z')",
          "INSERT INTO b VALUES (1, 10), (1, 11), (3, 30)",
          "CREATE VIEW v AS SELECT a.name, b.val FROM a JOIN b ON a.id = b.aid",
          "SELECT * FROM v ORDER BY val",
          "CREATE VIEW w AS SELECT a.name, b.val FROM a LEFT JOIN b ON a.id = b.aid",
          "SELECT * FROM w ORDER BY name, val")


def test_view_over_aggregate():
    check("CREATE TABLE t(g, x)",
          "INSERT INTO t VALUES ('a', 1), ('a', 2), ('b', 5), ('c', NULL)",
          "CREATE VIEW v AS SELECT g, count(x) AS n, sum(x) AS s, avg(x) AS m FROM t GROUP BY g",
          "SELECT * FROM v ORDER BY g", "SELECT g FROM v WHERE n = 0",
          "SELECT sum(s) FROM v")


def test_view_of_view_and_join_with_table():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1), (2), (3)",
          "CREATE VIEW v1 AS SELECT a, a * a AS sq FROM t",
          "CREATE VIEW v2 AS SELECT a, sq FROM v1 WHERE sq > 1",
          "SELECT t.a, v2.sq FROM t JOIN v2 USING (a) ORDER BY t.a")


def test_view_reflects_later_changes():
    check("CREATE TABLE t(a)", "CREATE VIEW v AS SELECT count(*) AS n FROM t",
          "SELECT * FROM v", "INSERT INTO t VALUES (1), (2)", "SELECT * FROM v")


def test_view_is_read_only():
    check("CREATE TABLE t(a)", "CREATE VIEW v AS SELECT a FROM t",
          "INSERT INTO v VALUES (1)", "UPDATE v SET a = 2", "DELETE FROM v", "SELECT * FROM t")


def test_view_with_order_by_and_limit():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (3), (1), (2)",
          "CREATE VIEW v AS SELECT a FROM t ORDER BY a DESC LIMIT 2",
          "SELECT * FROM v")


def test_view_on_missing_table():
    check("CREATE VIEW v AS SELECT * FROM nosuch", MASTER)


def test_view_star_columns_fixed_at_use_time():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1)", "CREATE VIEW v AS SELECT * FROM t",
          "ALTER TABLE t ADD COLUMN b DEFAULT 7", "SELECT * FROM v")


# ----------------------------------------------------------------------------- ALTER TABLE


def test_alter_rename_table_master():
    check("CREATE TABLE t(a, b)", "CREATE INDEX i ON t(a)", "INSERT INTO t VALUES (1, 2)",
          "ALTER TABLE t RENAME TO u", MASTER, "SELECT * FROM u", "SELECT * FROM t")


def test_alter_rename_table_to_existing_fails():
    check("CREATE TABLE t(a)", "CREATE TABLE u(b)", "ALTER TABLE t RENAME TO u", MASTER)


def test_alter_rename_missing_table_fails():
    check("ALTER TABLE nosuch RENAME TO x", MASTER)


def test_alter_rename_table_updates_view_and_trigger():
    check("CREATE TABLE t(a)", "CREATE TABLE log(x)",
          "CREATE VIEW v AS SELECT a FROM t",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.a); END",
          "ALTER TABLE t RENAME TO t2", MASTER,
          "INSERT INTO t2 VALUES (5)", "SELECT * FROM v", "SELECT * FROM log")


def test_alter_rename_table_with_quoted_new_name():
    check("CREATE TABLE t(a)", 'ALTER TABLE t RENAME TO "new name"', MASTER,
          'SELECT * FROM "new name"')


def test_alter_rename_column_master():
    check("CREATE TABLE t(a INTEGER, b TEXT)", "CREATE INDEX i ON t(b)",
          "INSERT INTO t VALUES (1, 'x')",
          "ALTER TABLE t RENAME COLUMN b TO c", MASTER, "SELECT * FROM t", "SELECT c FROM t",
          "SELECT b FROM t")


def test_alter_rename_column_without_column_keyword():
    check("CREATE TABLE t(a, b)", "ALTER TABLE t RENAME a TO z", MASTER, "SELECT z, b FROM t")


def test_alter_rename_column_updates_view_and_trigger():
    check("CREATE TABLE t(a, b)", "CREATE TABLE log(x)",
          "CREATE VIEW v AS SELECT a, b FROM t WHERE a > 0",
          "CREATE TRIGGER tr AFTER UPDATE OF a ON t BEGIN INSERT INTO log VALUES (new.a); END",
          "ALTER TABLE t RENAME COLUMN a TO aa", MASTER,
          "INSERT INTO t VALUES (1, 2)", "UPDATE t SET aa = 3",
          "SELECT * FROM v", "SELECT * FROM log")


def test_alter_rename_column_missing_or_clash_fails():
    check("CREATE TABLE t(a, b)", "ALTER TABLE t RENAME COLUMN zz TO y",
          "ALTER TABLE t RENAME COLUMN a TO b", MASTER)


def test_alter_rename_column_in_check_and_pk():
    check("CREATE TABLE t(a INTEGER PRIMARY KEY, b CHECK (b > 0))",
          "ALTER TABLE t RENAME COLUMN b TO c", "ALTER TABLE t RENAME COLUMN a TO id", MASTER,
          "INSERT INTO t VALUES (NULL, 1)", "INSERT INTO t VALUES (NULL, -1)",
          "SELECT id, c, rowid AS r FROM t")


def test_alter_add_column_with_default_old_rows():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1), (2)",
          "ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 42",
          "ALTER TABLE t ADD c TEXT",
          "ALTER TABLE t ADD COLUMN d DEFAULT 'zz'",
          "INSERT INTO t(a) VALUES (3)",
          "SELECT a, b, typeof(b), c, d FROM t ORDER BY a", MASTER)


def test_alter_add_column_default_with_affinity_on_old_rows():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1)",
          "ALTER TABLE t ADD COLUMN b TEXT DEFAULT 5",
          "ALTER TABLE t ADD COLUMN c REAL DEFAULT 1",
          "INSERT INTO t(a) VALUES (2)",
          "SELECT a, b, typeof(b), c, typeof(c) FROM t ORDER BY a")


def test_alter_add_column_then_where_on_new_column():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1), (2)",
          "ALTER TABLE t ADD COLUMN b DEFAULT 0",
          "UPDATE t SET b = 5 WHERE a = 2",
          "SELECT a FROM t WHERE b = 0", "SELECT count(*) FROM t WHERE b IS NULL")


def test_alter_add_column_not_null_without_default_on_empty_table():
    check("CREATE TABLE t(a)", "ALTER TABLE t ADD COLUMN b NOT NULL", MASTER,
          "INSERT INTO t(a) VALUES (1)", "INSERT INTO t VALUES (1, 2)", "SELECT * FROM t")


def test_alter_add_column_not_null_without_default_on_table_with_rows_fails():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1)",
          "ALTER TABLE t ADD COLUMN b NOT NULL", MASTER, "SELECT * FROM t")


def test_alter_add_column_not_null_with_default_ok():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1)",
          "ALTER TABLE t ADD COLUMN b NOT NULL DEFAULT 3", "SELECT * FROM t",
          "INSERT INTO t VALUES (2, NULL)")


def test_alter_add_column_primary_key_or_unique_fails():
    check("CREATE TABLE t(a)", "ALTER TABLE t ADD COLUMN b PRIMARY KEY",
          "ALTER TABLE t ADD COLUMN c UNIQUE", MASTER)


def test_alter_add_column_duplicate_name_fails():
    check("CREATE TABLE t(a)", "ALTER TABLE t ADD COLUMN A", MASTER)


def test_alter_add_column_expression_default():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1)",
          "ALTER TABLE t ADD COLUMN b DEFAULT (1 + 1)", "SELECT * FROM t", MASTER)


def test_alter_add_column_with_check():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1)",
          "ALTER TABLE t ADD COLUMN b DEFAULT 1 CHECK (b > 0)",
          "INSERT INTO t VALUES (2, 0)", "INSERT INTO t VALUES (3, 3)", "SELECT * FROM t ORDER BY a")


def test_alter_drop_column():
    check("CREATE TABLE t(a, b, c)", "INSERT INTO t VALUES (1, 2, 3), (4, 5, 6)",
          "ALTER TABLE t DROP COLUMN b", MASTER, "SELECT * FROM t ORDER BY a", "SELECT b FROM t",
          "INSERT INTO t VALUES (7, 8)", "SELECT * FROM t ORDER BY a")


def test_alter_drop_column_keyword_optional():
    check("CREATE TABLE t(a, b)", "ALTER TABLE t DROP b", MASTER)


def test_alter_drop_column_pk_unique_indexed_fail():
    check("CREATE TABLE t(a PRIMARY KEY, b UNIQUE, c, d)", "CREATE INDEX i ON t(c)",
          "ALTER TABLE t DROP COLUMN a", "ALTER TABLE t DROP COLUMN b",
          "ALTER TABLE t DROP COLUMN c", "ALTER TABLE t DROP COLUMN d", MASTER)


def test_alter_drop_last_column_fails():
    check("CREATE TABLE t(a)", "ALTER TABLE t DROP COLUMN a", MASTER)


def test_alter_drop_missing_column_fails():
    check("CREATE TABLE t(a, b)", "ALTER TABLE t DROP COLUMN z", MASTER)


def test_alter_drop_column_used_in_view_fails():
    check("CREATE TABLE t(a, b)", "CREATE VIEW v AS SELECT b FROM t",
          "ALTER TABLE t DROP COLUMN b", MASTER)


def test_alter_drop_column_then_add_back():
    check("CREATE TABLE t(a, b)", "INSERT INTO t VALUES (1, 2)",
          "ALTER TABLE t DROP COLUMN b", "ALTER TABLE t ADD COLUMN b DEFAULT 9",
          "SELECT * FROM t", MASTER)


def test_alter_drop_integer_primary_key_table_keeps_rowids():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, a, b)",
          "INSERT INTO t VALUES (10, 'x', 'y'), (20, 'z', 'w')",
          "ALTER TABLE t DROP COLUMN b", "SELECT rowid AS r, * FROM t ORDER BY id")


def test_master_is_queryable_with_where():
    check("CREATE TABLE t1(a)", "CREATE TABLE t2(b)", "CREATE INDEX i1 ON t1(a)",
          "CREATE VIEW v1 AS SELECT 1",
          unordered("SELECT name FROM sqlite_master WHERE type = 'table'"),
          "SELECT count(*) FROM sqlite_schema",
          "SELECT name FROM sqlite_master WHERE tbl_name = 't1' ORDER BY name")
