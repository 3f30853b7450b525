"""DML: INSERT forms, UPSERT, RETURNING, UPDATE, DELETE, change counters."""

from .oracle import check, unordered

T = ["CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, price REAL)",
     "INSERT INTO t VALUES (1, 'apple', 3, 1.5), (2, 'pear', 0, 2.0), (3, 'fig', 7, NULL)"]
ALL = "SELECT * FROM t ORDER BY id"

# ----------------------------------------------------------------------------- INSERT


def test_insert_multi_row_values_rowcount():
    check("CREATE TABLE t(a, b)", "INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z')",
          "SELECT * FROM t ORDER BY a")


def test_insert_values_count_mismatch_fails():
    check("CREATE TABLE t(a, b)", "INSERT INTO t VALUES (1)", "INSERT INTO t(a) VALUES (1, 2)",
          "INSERT INTO t VALUES (1, 2), (3)", "SELECT count(*) FROM t")


def test_insert_unknown_column_fails():
    check("CREATE TABLE t(a)", "INSERT INTO t(zz) VALUES (1)", "INSERT INTO nosuch VALUES (1)")


def test_insert_column_list_reordered():
    check("CREATE TABLE t(a, b, c DEFAULT 'c')", "INSERT INTO t(b, a) VALUES ('B', 'A')",
          "SELECT * FROM t")


def test_insert_default_values():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, a DEFAULT 1, b, c TEXT DEFAULT 'x')",
          "INSERT INTO t DEFAULT VALUES", "INSERT INTO t DEFAULT VALUES", ALL.replace("t ORDER", "t ORDER"))


def test_insert_default_values_not_null_fails():
    check("CREATE TABLE t(a NOT NULL)", "INSERT INTO t DEFAULT VALUES", "SELECT count(*) FROM t")


def test_insert_select():
    check(T, "CREATE TABLE u(n, q)",
          "INSERT INTO u SELECT name, qty * 2 FROM t WHERE qty > 0",
          "SELECT * FROM u ORDER BY n")


def test_insert_select_with_order_limit():
    check(T, "CREATE TABLE u(n)",
          "INSERT INTO u SELECT name FROM t ORDER BY name DESC LIMIT 2",
          "SELECT rowid AS r, n FROM u ORDER BY r")


def test_insert_select_from_same_table():
    check(T, "INSERT INTO t(name, qty) SELECT name || '2', qty + 1 FROM t", ALL)


def test_insert_select_column_count_mismatch_fails():
    check(T, "CREATE TABLE u(a, b)", "INSERT INTO u SELECT id FROM t", "SELECT count(*) FROM u")


def test_insert_select_with_union_and_aggregates():
    check(T, "CREATE TABLE u(k, v)",
          "INSERT INTO u SELECT 'n', count(*) FROM t UNION ALL SELECT 's', sum(qty) FROM t",
          "SELECT * FROM u ORDER BY k")


def test_insert_with_cte():
    check("CREATE TABLE t(n)",
          "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) "
          "INSERT INTO t SELECT x * x FROM c",
          "SELECT n FROM t ORDER BY n")


def test_insert_applies_affinity():
    check("CREATE TABLE t(i INTEGER, r REAL, s TEXT, n NUMERIC)",
          "INSERT INTO t VALUES ('3', '2', 4.0, '1e2'), ('x', 'y', 5, '0x10'), (2.5, 7, x'41', ' 12 ')",
          "SELECT i, typeof(i), r, typeof(r), s, typeof(s), n, typeof(n) FROM t ORDER BY rowid")


def test_insert_parameters():
    check("CREATE TABLE t(a, b, c)",
          ("INSERT INTO t VALUES (?, ?, ?)", (1, "two", 3.5)),
          ("INSERT INTO t VALUES (?, ?, ?)", (None, b"\x00\x01", -7)),
          "SELECT a, typeof(a), b, typeof(b), c, typeof(c) FROM t ORDER BY rowid")


# ----------------------------------------------------------------------------- UPSERT


U = ["CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER, n INTEGER DEFAULT 0)",
     "INSERT INTO kv VALUES ('a', 1, 0), ('b', 2, 0)"]
KV = "SELECT * FROM kv ORDER BY k"


def test_upsert_do_nothing():
    check(U, "INSERT INTO kv VALUES ('a', 100, 0) ON CONFLICT(k) DO NOTHING",
          "INSERT INTO kv VALUES ('c', 3, 0) ON CONFLICT DO NOTHING", KV)


def test_upsert_do_update_with_excluded():
    check(U, "INSERT INTO kv(k, v) VALUES ('a', 10) ON CONFLICT(k) DO UPDATE SET v = excluded.v, n = n + 1",
          KV)


def test_upsert_do_update_uses_old_and_new_values():
    check(U, "INSERT INTO kv(k, v) VALUES ('b', 5) ON CONFLICT(k) DO UPDATE SET v = v + excluded.v",
          KV)


def test_upsert_do_update_with_where_false_skips():
    check(U, "INSERT INTO kv(k, v) VALUES ('a', 0) ON CONFLICT(k) DO UPDATE SET v = excluded.v "
             "WHERE excluded.v > kv.v", KV)


def test_upsert_do_update_with_where_true_updates():
    check(U, "INSERT INTO kv(k, v) VALUES ('a', 50) ON CONFLICT(k) DO UPDATE SET v = excluded.v "
             "WHERE excluded.v > kv.v", KV)


def test_upsert_multi_row_mixed_insert_and_update():
    check(U, "INSERT INTO kv(k, v) VALUES ('a', 1), ('c', 3), ('a', 1) "
             "ON CONFLICT(k) DO UPDATE SET n = n + 1", KV, "SELECT changes()")


def test_upsert_rowcount():
    check(U, "INSERT INTO kv(k, v) VALUES ('a', 7), ('z', 26) ON CONFLICT(k) DO UPDATE SET v = excluded.v")


def test_upsert_conflict_target_not_unique_fails():
    check(U, "INSERT INTO kv(k, v) VALUES ('a', 1) ON CONFLICT(v) DO NOTHING", KV)


def test_upsert_on_other_constraint_still_fails():
    check("CREATE TABLE t(a UNIQUE, b UNIQUE)", "INSERT INTO t VALUES (1, 1)",
          "INSERT INTO t VALUES (2, 1) ON CONFLICT(a) DO NOTHING", "SELECT * FROM t")


def test_upsert_multiple_clauses():
    check("CREATE TABLE t(a UNIQUE, b UNIQUE, c)", "INSERT INTO t VALUES (1, 1, 'x')",
          "INSERT INTO t VALUES (2, 1, 'y') ON CONFLICT(a) DO UPDATE SET c = 'by a' "
          "ON CONFLICT(b) DO UPDATE SET c = 'by b'", "SELECT * FROM t")


def test_upsert_from_select_needs_where():
    check(U, "CREATE TABLE src(k, v)", "INSERT INTO src VALUES ('a', 9), ('d', 4)",
          "INSERT INTO kv(k, v) SELECT k, v FROM src WHERE true ON CONFLICT(k) DO UPDATE SET v = excluded.v",
          KV)


def test_upsert_on_integer_primary_key():
    check(T, "INSERT INTO t(id, name, qty) VALUES (2, 'PEAR', 5) "
             "ON CONFLICT(id) DO UPDATE SET qty = qty + excluded.qty, name = excluded.name", ALL)


def test_upsert_do_update_causing_other_conflict_fails():
    check("CREATE TABLE t(a UNIQUE, b UNIQUE)", "INSERT INTO t VALUES (1, 1), (2, 2)",
          "INSERT INTO t VALUES (1, 5) ON CONFLICT(a) DO UPDATE SET b = 2", "SELECT * FROM t ORDER BY a")


# ----------------------------------------------------------------------------- RETURNING


def test_insert_returning_columns_and_expressions():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, a, b DEFAULT 'dflt')",
          "INSERT INTO t(a) VALUES (10), (20) RETURNING id, a * 2 AS dbl, b, upper(b)")


def test_insert_returning_star():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, a)", "INSERT INTO t(a) VALUES ('x') RETURNING *")


def test_insert_returning_rowid():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES ('x'), ('y') RETURNING rowid, a")


def test_update_returning_new_values():
    check(T, "UPDATE t SET qty = qty + 1 WHERE qty > 0 RETURNING id, qty, qty * price",
          )


def test_update_returning_rowcount():
    check(T, unordered("UPDATE t SET qty = 0 RETURNING id"), ALL)


def test_delete_returning_deleted_rows():
    check(T, unordered("DELETE FROM t WHERE qty < 5 RETURNING name, qty"), ALL)


def test_upsert_returning():
    check(U, "INSERT INTO kv(k, v) VALUES ('a', 11) ON CONFLICT(k) DO UPDATE SET v = excluded.v "
             "RETURNING k, v, n")


def test_upsert_do_nothing_returning_nothing():
    check(U, "INSERT INTO kv(k, v) VALUES ('a', 11) ON CONFLICT(k) DO NOTHING RETURNING k")


def test_returning_with_subquery_and_case():
    check(T, "INSERT INTO t(name, qty) VALUES ('kiwi', 1) RETURNING id, "
             "(SELECT count(*) FROM t) AS cnt, CASE WHEN qty > 0 THEN 'in' ELSE 'out' END AS st")


def test_returning_column_names():
    check("CREATE TABLE t(a, b)", "INSERT INTO t VALUES (1, 2) RETURNING a+b, a AS x, \"b\"")


# ----------------------------------------------------------------------------- UPDATE


def test_update_uses_old_values_on_right_side():
    check("CREATE TABLE t(a, b)", "INSERT INTO t VALUES (1, 2), (3, 4)",
          "UPDATE t SET a = b, b = a", "SELECT a, b FROM t ORDER BY a")


def test_update_expression_referencing_other_columns():
    check(T, "UPDATE t SET price = coalesce(price, 0) * qty + id", ALL)


def test_update_rowcount_counts_matched_rows_even_if_unchanged():
    check(T, "UPDATE t SET qty = qty", "UPDATE t SET qty = 0 WHERE id > 100", ALL)


def test_update_integer_primary_key():
    check(T, "UPDATE t SET id = id + 10 WHERE id >= 2", ALL, "SELECT rowid AS r FROM t ORDER BY r")


def test_update_integer_primary_key_shift_collides_with_next_row():
    # constraints are checked row by row: 1 -> 2 collides with the not-yet-moved row 2
    check(T, "UPDATE t SET id = id + 1", ALL)


def test_update_integer_primary_key_collision_fails():
    check(T, "UPDATE t SET id = 1 WHERE id = 2", ALL)


def test_update_rowid_directly():
    check("CREATE TABLE t(v)", "INSERT INTO t VALUES ('a'), ('b')",
          "UPDATE t SET rowid = rowid * 10", "SELECT rowid, v FROM t ORDER BY rowid")


def test_update_with_subquery_in_set_and_where():
    check(T, "CREATE TABLE p(name, bonus)", "INSERT INTO p VALUES ('apple', 100), ('fig', 200)",
          "UPDATE t SET qty = qty + (SELECT bonus FROM p WHERE p.name = t.name) "
          "WHERE name IN (SELECT name FROM p)", ALL)


def test_update_correlated_subquery_null_when_missing():
    check(T, "CREATE TABLE p(name, bonus)", "INSERT INTO p VALUES ('apple', 100)",
          "UPDATE t SET qty = (SELECT bonus FROM p WHERE p.name = t.name)", ALL)


def test_update_unknown_column_fails():
    check(T, "UPDATE t SET nosuch = 1", "UPDATE t SET qty = nosuch", ALL)


def test_update_set_column_twice_last_wins():
    check(T, "UPDATE t SET qty = 1, qty = 2 WHERE id = 1", ALL)


def test_update_multi_column_row_value_assignment():
    check(T, "UPDATE t SET (qty, price) = (qty * 10, 9.5) WHERE id = 3", ALL)


def test_update_affinity_applied():
    check(T, "UPDATE t SET qty = '42', price = '3' WHERE id = 1",
          "SELECT qty, typeof(qty), price, typeof(price) FROM t WHERE id = 1")


# ----------------------------------------------------------------------------- DELETE


def test_delete_with_subquery_in_where():
    check(T, "CREATE TABLE gone(name)", "INSERT INTO gone VALUES ('pear'), ('nope')",
          "DELETE FROM t WHERE name IN (SELECT name FROM gone)", ALL)


def test_delete_with_correlated_exists():
    check(T, "CREATE TABLE o(tid, n)", "INSERT INTO o VALUES (1, 5), (3, 1)",
          "DELETE FROM t WHERE NOT EXISTS (SELECT 1 FROM o WHERE o.tid = t.id)", ALL)


def test_delete_with_scalar_subquery_comparison():
    check(T, "DELETE FROM t WHERE qty < (SELECT avg(qty) FROM t)", ALL)


def test_delete_all_rowcount():
    check(T, "DELETE FROM t", ALL, "SELECT changes()")


def test_delete_nothing_rowcount():
    check(T, "DELETE FROM t WHERE id = 99", "SELECT changes()")


def test_delete_where_null_comparison_deletes_nothing():
    check(T, "DELETE FROM t WHERE price = NULL", ALL, "DELETE FROM t WHERE price IS NULL", ALL)


# ----------------------------------------------------------------------------- counters


def test_changes_after_each_statement():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1), (2), (3)", "SELECT changes()",
          "UPDATE t SET a = a + 1 WHERE a > 1", "SELECT changes()",
          "DELETE FROM t", "SELECT changes()", "SELECT changes()")


def test_total_changes_accumulates():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1), (2)", "UPDATE t SET a = 5",
          "DELETE FROM t WHERE a = 5", "SELECT total_changes()")


def test_changes_not_reset_by_select_or_ddl():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1), (2)", "SELECT * FROM t ORDER BY a",
          "CREATE TABLE u(b)", "SELECT changes()")


def test_changes_excludes_trigger_changes():
    check("CREATE TABLE t(a)", "CREATE TABLE log(x)",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); INSERT INTO log VALUES (2); END",
          "INSERT INTO t VALUES (1)", "SELECT changes()", "SELECT total_changes()")


def test_last_insert_rowid():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, a)", "SELECT last_insert_rowid()",
          "INSERT INTO t(a) VALUES ('x')", "SELECT last_insert_rowid()",
          "INSERT INTO t VALUES (40, 'y'), (30, 'z')", "SELECT last_insert_rowid()",
          "UPDATE t SET a = 'q'", "DELETE FROM t WHERE id = 30", "SELECT last_insert_rowid()")


def test_last_insert_rowid_unchanged_by_failed_or_ignored_insert():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, a UNIQUE)", "INSERT INTO t(a) VALUES ('x')",
          "INSERT INTO t(a) VALUES ('x')", "SELECT last_insert_rowid()",
          "INSERT OR IGNORE INTO t(a) VALUES ('x')", "SELECT last_insert_rowid()")


def test_last_insert_rowid_inside_trigger_restored_after():
    check("CREATE TABLE t(a)", "CREATE TABLE log(id INTEGER PRIMARY KEY, x)",
          "INSERT INTO log VALUES (100, 'seed')",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log(x) VALUES (new.a); END",
          "INSERT INTO t VALUES ('a')", "SELECT last_insert_rowid()", "SELECT * FROM log ORDER BY id")


def test_cursor_lastrowid_after_inserts():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, a)",
          "INSERT INTO t(a) VALUES ('x')", "INSERT INTO t VALUES (7, 'y')",
          "INSERT INTO t(a) VALUES ('p'), ('q')", "REPLACE INTO t VALUES (7, 'z')",
          "INSERT INTO t(a) SELECT a FROM t WHERE id = 1",
          lastrowid=True)


def test_cursor_lastrowid_rowid_table():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)", lastrowid=True)


def test_cursor_lastrowid_after_or_ignore_conflict():
    check("CREATE TABLE t(a UNIQUE)", "INSERT INTO t VALUES (1)",
          "INSERT OR IGNORE INTO t VALUES (1)", lastrowid=True)


def test_insert_or_replace_returning():
    check(T, "INSERT OR REPLACE INTO t(id, name, qty) VALUES (1, 'APPLE', 9) RETURNING id, name, qty, price", ALL)


def test_replace_counts_one_change_per_row():
    check(T, "REPLACE INTO t(id, name) VALUES (1, 'x'), (2, 'y'), (4, 'z')", "SELECT changes()",
          "SELECT total_changes()")


def test_delete_returning_no_match():
    check(T, "DELETE FROM t WHERE id > 100 RETURNING *")


def test_returning_sees_values_after_before_trigger_and_defaults():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, a, b DEFAULT 'd')", "CREATE TABLE log(x)",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.id); END",
          "INSERT INTO t(a) VALUES (1), (2) RETURNING id, b, (SELECT count(*) FROM log) AS logged",
          "SELECT * FROM log ORDER BY x")


def test_update_where_on_updated_column():
    check(T, "UPDATE t SET qty = qty + 10 WHERE qty < 5", ALL, "UPDATE t SET qty = qty + 10 WHERE qty < 5", ALL)


def test_upsert_excluded_column_not_in_insert_list_is_default():
    check("CREATE TABLE t(k PRIMARY KEY, v DEFAULT 'dv', w)", "INSERT INTO t VALUES ('a', 'old', 'oldw')",
          "INSERT INTO t(k, w) VALUES ('a', 'neww') ON CONFLICT(k) DO UPDATE SET v = excluded.v, w = excluded.w",
          "SELECT * FROM t")


def test_upsert_qualified_target_table_columns():
    check(U, "INSERT INTO kv(k, v) VALUES ('a', 5) ON CONFLICT(k) DO UPDATE SET v = kv.v + excluded.v, "
             "n = kv.n + 1", KV)


def test_upsert_unqualified_column_in_set_expression():
    # unqualified names in DO UPDATE refer to the target table's row
    check(U, "INSERT INTO kv(k, v) VALUES ('b', 1) ON CONFLICT(k) DO UPDATE SET n = n + 1", KV)


def test_insert_into_rowid_alias_via_rowid_name():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, v)", "INSERT INTO t(rowid, v) VALUES (42, 'x')",
          "SELECT id, v FROM t")


def test_update_set_rowid_alias_updates_rowid():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY, v)", "INSERT INTO t VALUES (1, 'a')",
          "UPDATE t SET id = 100", "SELECT rowid AS r, id, v FROM t")


def test_insert_default_values_with_rowid_alias_and_autoincrement():
    check("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v DEFAULT 'x')",
          "INSERT INTO t DEFAULT VALUES", "INSERT INTO t DEFAULT VALUES", "SELECT * FROM t ORDER BY id")


UPDATE_FROM = [
    "CREATE TABLE inv(id INTEGER PRIMARY KEY, sku TEXT, qty INT, note TEXT)",
    "CREATE TABLE delta(sku TEXT, n INT)",
    "CREATE TABLE t2(id INTEGER PRIMARY KEY, x)",
    "CREATE TABLE log(id, qty)",
    "CREATE TRIGGER inv_upd AFTER UPDATE ON inv BEGIN INSERT INTO log VALUES (new.id, new.qty); END",
    "INSERT INTO inv(sku, qty) VALUES ('a', 1), ('b', 2), ('c', 3), ('a', 10)",
    "INSERT INTO delta VALUES ('a', 5), ('b', -1), ('z', 9), ('a', 7)",
    "INSERT INTO t2 VALUES (1, 'one'), (2, 'two')",
]


def test_update_from():
    check(UPDATE_FROM,
          "UPDATE inv SET qty = qty + delta.n, note = 'from ' || delta.sku FROM delta WHERE inv.sku = delta.sku",
          "SELECT changes()",
          "SELECT * FROM inv ORDER BY id",
          "UPDATE inv SET qty = d.total FROM (SELECT sku, sum(n) AS total FROM delta GROUP BY sku) AS d "
          "WHERE d.sku = inv.sku AND inv.id > 1",
          "UPDATE inv AS i SET note = t2.x FROM t2 WHERE t2.id = i.id RETURNING id, note",
          "UPDATE inv SET (qty, note) = (t2.id * 100, t2.x || '!') FROM t2 WHERE t2.id = inv.id",
          "UPDATE inv SET qty = n FROM (SELECT n FROM delta ORDER BY n DESC)",
          "UPDATE inv SET qty = t2.x FROM t2, delta WHERE t2.id = inv.id AND delta.sku = inv.sku",
          "WITH big AS (SELECT sku FROM delta WHERE n > 6) UPDATE inv SET note = 'big' FROM big "
          "WHERE big.sku = inv.sku",
          "UPDATE inv SET qty = sku FROM delta WHERE delta.sku = inv.sku",
          "UPDATE inv SET qty = 1 FROM nosuch",
          "UPDATE inv SET qty = delta.nosuch FROM delta",
          "SELECT * FROM inv ORDER BY id",
          "SELECT * FROM log ORDER BY rowid")
