"""Triggers: timing, events, WHEN, UPDATE OF, NEW/OLD, RAISE, chains, DROP."""

from .oracle import check

BASE = ["CREATE TABLE t(id INTEGER PRIMARY KEY, a, b)",
        "CREATE TABLE log(n INTEGER PRIMARY KEY, ev TEXT, x, y)"]
LOG = "SELECT ev, x, y FROM log ORDER BY n"
ALL = "SELECT * FROM t ORDER BY id"


def test_after_insert_trigger_logs_new_values():
    check(BASE, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN "
                "INSERT INTO log(ev, x, y) VALUES ('ins', new.id, new.a); END",
          "INSERT INTO t(a, b) VALUES ('p', 1), ('q', 2)", LOG)


def test_before_insert_trigger_sees_new_values():
    # NEW.rowid of an auto-assigned rowid is undefined in a BEFORE INSERT trigger: not logged
    check(BASE, "CREATE TRIGGER tr BEFORE INSERT ON t BEGIN "
                "INSERT INTO log(ev, x, y) VALUES ('before', new.b, new.a); END",
          "INSERT INTO t(a) VALUES ('p')", "INSERT INTO t VALUES (10, 'q', 0)", LOG)


def test_after_update_trigger_old_and_new():
    check(BASE, "INSERT INTO t VALUES (1, 'x', 10), (2, 'y', 20)",
          "CREATE TRIGGER tr AFTER UPDATE ON t BEGIN "
          "INSERT INTO log(ev, x, y) VALUES ('upd', old.b, new.b); END",
          "UPDATE t SET b = b * 2", LOG)


def test_before_update_trigger():
    check(BASE, "INSERT INTO t VALUES (1, 'x', 10)",
          "CREATE TRIGGER tr BEFORE UPDATE ON t BEGIN "
          "INSERT INTO log(ev, x, y) VALUES ('bu', old.a, new.a); END",
          "UPDATE t SET a = 'z'", LOG, ALL)


def test_after_delete_trigger_old_values():
    check(BASE, "INSERT INTO t VALUES (1, 'x', 10), (2, 'y', 20)",
          "CREATE TRIGGER tr AFTER DELETE ON t BEGIN "
          "INSERT INTO log(ev, x, y) VALUES ('del', old.id, old.a); END",
          "DELETE FROM t WHERE id = 2", LOG, ALL)


def test_before_delete_trigger():
    check(BASE, "INSERT INTO t VALUES (1, 'x', 10)",
          "CREATE TRIGGER tr BEFORE DELETE ON t FOR EACH ROW BEGIN "
          "INSERT INTO log(ev, x) VALUES ('bd', old.b); END",
          "DELETE FROM t", LOG, ALL)


def test_trigger_when_clause():
    check(BASE, "CREATE TRIGGER tr AFTER INSERT ON t WHEN new.b > 5 BEGIN "
                "INSERT INTO log(ev, x) VALUES ('big', new.b); END",
          "INSERT INTO t(a, b) VALUES ('s', 1), ('l', 10), ('n', NULL), ('m', 6)", LOG)


def test_trigger_update_of_column_fires_only_for_that_column():
    check(BASE, "INSERT INTO t VALUES (1, 'x', 10)",
          "CREATE TRIGGER tr AFTER UPDATE OF b ON t BEGIN "
          "INSERT INTO log(ev, x, y) VALUES ('b changed', old.b, new.b); END",
          "UPDATE t SET a = 'y'", "UPDATE t SET b = 11", "UPDATE t SET a = 'z', b = b",
          "UPDATE t SET b = b", LOG)


def test_trigger_update_of_multiple_columns():
    check(BASE, "INSERT INTO t VALUES (1, 'x', 10)",
          "CREATE TRIGGER tr AFTER UPDATE OF a, b ON t BEGIN "
          "INSERT INTO log(ev) VALUES ('fired'); END",
          "UPDATE t SET id = 5", "UPDATE t SET a = 'q'", "UPDATE t SET b = 0", LOG)


def test_audit_log_pattern_all_events():
    check(BASE,
          "CREATE TRIGGER ai AFTER INSERT ON t BEGIN INSERT INTO log(ev, x, y) VALUES ('I', new.id, new.a); END",
          "CREATE TRIGGER au AFTER UPDATE ON t BEGIN INSERT INTO log(ev, x, y) VALUES ('U', old.a, new.a); END",
          "CREATE TRIGGER ad AFTER DELETE ON t BEGIN INSERT INTO log(ev, x, y) VALUES ('D', old.id, old.a); END",
          "INSERT INTO t(a) VALUES ('one'), ('two')", "UPDATE t SET a = upper(a) WHERE id = 1",
          "DELETE FROM t WHERE id = 2", "INSERT INTO t(a) VALUES ('three')", LOG, ALL)


def test_trigger_multiple_statements_in_body():
    check(BASE, "CREATE TABLE counts(k PRIMARY KEY, c)", "INSERT INTO counts VALUES ('t', 0)",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN "
          "UPDATE counts SET c = c + 1 WHERE k = 't'; "
          "INSERT INTO log(ev, x) VALUES ('ins', new.a); "
          "DELETE FROM log WHERE x = 'drop me'; END",
          "INSERT INTO t(a) VALUES ('keep'), ('drop me'), ('keep2')",
          "SELECT * FROM counts", LOG)


def test_before_trigger_modifying_same_row_via_update():
    # AFTER INSERT trigger updating the inserted row
    check(BASE, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN "
                "UPDATE t SET b = coalesce(new.b, 0) + 100 WHERE id = new.id; END",
          "INSERT INTO t(a, b) VALUES ('x', 1), ('y', NULL)", ALL)


def test_multiple_triggers_same_event_all_fire():
    # the firing order of triggers on the same event is not specified: compare as a set
    check(BASE,
          "CREATE TRIGGER t1 AFTER INSERT ON t BEGIN INSERT INTO log(ev) VALUES ('first'); END",
          "CREATE TRIGGER t2 AFTER INSERT ON t BEGIN INSERT INTO log(ev) VALUES ('second'); END",
          "INSERT INTO t(a) VALUES (1)", "SELECT ev FROM log ORDER BY ev")


def test_before_and_after_order():
    check(BASE,
          "CREATE TRIGGER ta AFTER INSERT ON t BEGIN INSERT INTO log(ev, x) VALUES ('after', (SELECT count(*) FROM t)); END",
          "CREATE TRIGGER tb BEFORE INSERT ON t BEGIN INSERT INTO log(ev, x) VALUES ('before', (SELECT count(*) FROM t)); END",
          "INSERT INTO t(a) VALUES (1), (2)", LOG)


def test_raise_ignore_skips_row():
    check(BASE, "CREATE TRIGGER tr BEFORE INSERT ON t WHEN new.b < 0 BEGIN SELECT RAISE(IGNORE); END",
          "INSERT INTO t(a, b) VALUES ('ok', 1), ('bad', -1), ('ok2', 2)", ALL, "SELECT changes()")


def test_raise_ignore_in_before_delete_keeps_row():
    check(BASE, "INSERT INTO t VALUES (1, 'keep', 0), (2, 'go', 0)",
          "CREATE TRIGGER tr BEFORE DELETE ON t WHEN old.a = 'keep' BEGIN SELECT RAISE(IGNORE); END",
          "DELETE FROM t", ALL)


def test_raise_ignore_in_before_update_keeps_old_value():
    check(BASE, "INSERT INTO t VALUES (1, 'x', 5), (2, 'y', 6)",
          "CREATE TRIGGER tr BEFORE UPDATE ON t WHEN old.id = 1 BEGIN SELECT RAISE(IGNORE); END",
          "UPDATE t SET b = 0", ALL)


def test_raise_ignore_stops_rest_of_trigger_body():
    check(BASE, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN "
                "INSERT INTO log(ev) VALUES ('one'); SELECT RAISE(IGNORE); "
                "INSERT INTO log(ev) VALUES ('two'); END",
          "INSERT INTO t(a) VALUES ('x')", LOG, ALL)


def test_raise_abort_rolls_back_statement():
    check(BASE, "INSERT INTO t VALUES (1, 'pre', 0)",
          "CREATE TRIGGER tr BEFORE INSERT ON t WHEN new.b < 0 BEGIN SELECT RAISE(ABORT, 'negative'); END",
          "INSERT INTO t(a, b) VALUES ('ok', 1), ('bad', -1)", ALL)


def test_raise_abort_keeps_transaction_open_and_earlier_statements():
    check(BASE, "CREATE TRIGGER tr BEFORE INSERT ON t WHEN new.b < 0 BEGIN SELECT RAISE(ABORT, 'neg'); END",
          "INSERT INTO t VALUES (1, 'a', 1)", "INSERT INTO t VALUES (2, 'b', -1)", ALL,
          "COMMIT", ALL)


def test_raise_abort_in_after_trigger_undoes_trigger_writes():
    check(BASE, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN "
                "INSERT INTO log(ev) VALUES ('wrote'); "
                "SELECT RAISE(ABORT, 'no') WHERE new.b = 0; END",
          "INSERT INTO t(a, b) VALUES ('x', 1)", "INSERT INTO t(a, b) VALUES ('y', 0)", LOG, ALL)


def test_raise_fail_keeps_earlier_rows():
    check(BASE, "CREATE TRIGGER tr BEFORE INSERT ON t WHEN new.b < 0 BEGIN SELECT RAISE(FAIL, 'neg'); END",
          "INSERT INTO t(a, b) VALUES ('one', 1), ('two', -1), ('three', 3)", ALL)


def test_raise_rollback_ends_transaction():
    check(BASE, "INSERT INTO t VALUES (1, 'committed', 0)", "COMMIT", "BEGIN",
          "INSERT INTO t VALUES (2, 'pending', 0)",
          "CREATE TRIGGER tr BEFORE INSERT ON t WHEN new.b < 0 BEGIN SELECT RAISE(ROLLBACK, 'rb'); END",
          "INSERT INTO t VALUES (3, 'bad', -1)", ALL, "COMMIT")


def test_raise_outside_trigger_fails():
    check("SELECT RAISE(ABORT, 'x')", "SELECT RAISE(IGNORE)")


def test_raise_abort_message_reaches_caller_as_error():
    check(BASE, "CREATE TRIGGER tr BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'protected'); END",
          "INSERT INTO t VALUES (1, 'x', 0)", "DELETE FROM t", ALL)


def test_trigger_chain():
    check("CREATE TABLE a(x)", "CREATE TABLE b(x)", "CREATE TABLE c(x)",
          "CREATE TRIGGER ta AFTER INSERT ON a BEGIN INSERT INTO b VALUES (new.x * 10); END",
          "CREATE TRIGGER tb AFTER INSERT ON b BEGIN INSERT INTO c VALUES (new.x + 1); END",
          "INSERT INTO a VALUES (1), (2)",
          "SELECT x FROM b ORDER BY x", "SELECT x FROM c ORDER BY x")


def test_trigger_chain_abort_deep_rolls_back_all():
    check("CREATE TABLE a(x)", "CREATE TABLE b(x)", "CREATE TABLE c(x CHECK (x < 100))",
          "CREATE TRIGGER ta AFTER INSERT ON a BEGIN INSERT INTO b VALUES (new.x * 10); END",
          "CREATE TRIGGER tb AFTER INSERT ON b BEGIN INSERT INTO c VALUES (new.x); END",
          "INSERT INTO a VALUES (1)", "INSERT INTO a VALUES (50)",
          "SELECT x FROM a", "SELECT x FROM b", "SELECT x FROM c")


def test_trigger_not_recursive_by_default():
    check("CREATE TABLE t(x)",
          "CREATE TRIGGER tr AFTER INSERT ON t WHEN new.x < 5 BEGIN INSERT INTO t VALUES (new.x + 1); END",
          "INSERT INTO t VALUES (1)", "SELECT x FROM t ORDER BY x")


def test_trigger_constraint_violation_in_body_fails_statement():
    check(BASE, "CREATE TABLE u(v UNIQUE)", "INSERT INTO u VALUES ('dup')",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (new.a); END",
          "INSERT INTO t(a) VALUES ('fresh')", "INSERT INTO t(a) VALUES ('dup')", ALL,
          "SELECT v FROM u ORDER BY v")


def test_trigger_or_ignore_inside_body():
    check(BASE, "CREATE TABLE u(v UNIQUE)",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT OR IGNORE INTO u VALUES (new.a); END",
          "INSERT INTO t(a) VALUES ('x'), ('x'), ('y')", "SELECT v FROM u ORDER BY v", ALL)


def test_drop_trigger_stops_it():
    check(BASE, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log(ev) VALUES ('x'); END",
          "INSERT INTO t(a) VALUES (1)", "DROP TRIGGER tr", "INSERT INTO t(a) VALUES (2)", LOG)


def test_drop_table_drops_its_triggers():
    check(BASE, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log(ev) VALUES ('x'); END",
          "DROP TABLE t", "SELECT name FROM sqlite_master WHERE type = 'trigger'",
          "CREATE TABLE t(id INTEGER PRIMARY KEY, a, b)", "INSERT INTO t(a) VALUES (1)", LOG,
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END")


def test_trigger_master_row():
    check(BASE, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log(ev) VALUES ('x'); END",
          "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")


def test_trigger_master_row_lowercase_normalized():
    check(BASE, "create trigger  tr after insert on t begin select 1; end",
          "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")


def test_trigger_duplicate_name_fails_and_if_not_exists():
    check(BASE, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
          "CREATE TRIGGER tr AFTER DELETE ON t BEGIN SELECT 1; END",
          "CREATE TRIGGER IF NOT EXISTS tr AFTER DELETE ON t BEGIN SELECT 1; END",
          "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")


def test_trigger_on_missing_table_fails():
    check("CREATE TRIGGER tr AFTER INSERT ON nosuch BEGIN SELECT 1; END")


def test_trigger_referencing_new_in_delete_fails():
    check(BASE, "CREATE TRIGGER tr AFTER DELETE ON t BEGIN INSERT INTO log(ev) VALUES (new.a); END",
          "INSERT INTO t VALUES (1, 2, 3)", "DELETE FROM t", LOG)


def test_before_trigger_on_view_fails():
    check(BASE, "CREATE VIEW v AS SELECT id FROM t",
          "CREATE TRIGGER tr BEFORE INSERT ON v BEGIN SELECT 1; END")


def test_trigger_updates_other_table_with_aggregate():
    check("CREATE TABLE items(order_id, amount)",
          "CREATE TABLE orders(id INTEGER PRIMARY KEY, total DEFAULT 0)",
          "INSERT INTO orders(id) VALUES (1), (2)",
          "CREATE TRIGGER ti AFTER INSERT ON items BEGIN "
          "UPDATE orders SET total = (SELECT sum(amount) FROM items WHERE order_id = new.order_id) "
          "WHERE id = new.order_id; END",
          "INSERT INTO items VALUES (1, 5), (1, 7.5), (2, 1)",
          "SELECT id, total, typeof(total) FROM orders ORDER BY id")


def test_trigger_sees_effects_of_earlier_rows_in_same_statement():
    check("CREATE TABLE t(x)", "CREATE TABLE log(c)",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log SELECT count(*) FROM t; END",
          "INSERT INTO t VALUES (1), (2), (3)", "SELECT c FROM log ORDER BY rowid")


def test_update_trigger_new_reflects_affinity():
    check("CREATE TABLE t(x INTEGER)", "CREATE TABLE log(v, ty)", "INSERT INTO t VALUES (1)",
          "CREATE TRIGGER tr AFTER UPDATE ON t BEGIN INSERT INTO log VALUES (new.x, typeof(new.x)); END",
          "UPDATE t SET x = '42'", "SELECT * FROM log")


def test_cascading_delete_trigger():
    check("CREATE TABLE parent(id INTEGER PRIMARY KEY)", "CREATE TABLE child(pid, v)",
          "INSERT INTO parent VALUES (1), (2)", "INSERT INTO child VALUES (1, 'a'), (1, 'b'), (2, 'c')",
          "CREATE TRIGGER cascade AFTER DELETE ON parent BEGIN DELETE FROM child WHERE pid = old.id; END",
          "DELETE FROM parent WHERE id = 1", "SELECT changes()", "SELECT * FROM child ORDER BY v")


def test_upsert_do_update_fires_update_trigger():
    check("CREATE TABLE kv(k PRIMARY KEY, v)", "CREATE TABLE log(ev, o, n)",
          "CREATE TRIGGER ti AFTER INSERT ON kv BEGIN INSERT INTO log VALUES ('I', NULL, new.v); END",
          "CREATE TRIGGER tu AFTER UPDATE OF v ON kv BEGIN INSERT INTO log VALUES ('U', old.v, new.v); END",
          "INSERT INTO kv VALUES ('a', 1)",
          "INSERT INTO kv VALUES ('a', 2) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
          "SELECT * FROM log ORDER BY rowid")


def test_replace_conflict_fires_insert_trigger_only():
    check("CREATE TABLE t(k PRIMARY KEY, v)", "CREATE TABLE log(ev)",
          "CREATE TRIGGER ti AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('I'); END",
          "CREATE TRIGGER tu AFTER UPDATE ON t BEGIN INSERT INTO log VALUES ('U'); END",
          "INSERT INTO t VALUES (1, 'a')", "REPLACE INTO t VALUES (1, 'b')", "SELECT ev FROM log ORDER BY rowid")


def test_trigger_when_uses_old_and_new():
    check(BASE, "INSERT INTO t VALUES (1, 'x', 1), (2, 'y', 5)",
          "CREATE TRIGGER tr AFTER UPDATE ON t WHEN new.b < old.b BEGIN "
          "INSERT INTO log(ev, x, y) VALUES ('decrease', old.b, new.b); END",
          "UPDATE t SET b = 3", LOG)


def test_trigger_on_column_added_later():
    check(BASE, "ALTER TABLE t ADD COLUMN c DEFAULT 'cc'",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log(ev, x) VALUES ('c', new.c); END",
          "INSERT INTO t(a) VALUES (1)", LOG)


def test_trigger_uses_rowid_of_new_row():
    check("CREATE TABLE t(v)", "CREATE TABLE log(r, v)",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.rowid, new.v); END",
          "INSERT INTO t VALUES ('a'), ('b')", "SELECT * FROM log ORDER BY r")


def test_delete_trigger_fires_per_row_with_count():
    check(BASE, "INSERT INTO t VALUES (1, 'a', 0), (2, 'b', 0), (3, 'c', 0)",
          "CREATE TRIGGER tr BEFORE DELETE ON t BEGIN INSERT INTO log(ev, x) VALUES ('d', (SELECT count(*) FROM t)); END",
          "DELETE FROM t WHERE id < 3", LOG, "SELECT changes()")
