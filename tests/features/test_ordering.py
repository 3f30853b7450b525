"""ORDER BY (NULLS FIRST/LAST, collations, mixed types), LIMIT/OFFSET, compound selects."""

from .data import COMPANY, MIXED
from .oracle import check, unordered

NAMES = ["CREATE TABLE n(id INTEGER PRIMARY KEY, s TEXT, k)",
         "INSERT INTO n(s, k) VALUES ('b', 2), ('B', NULL), ('a', 1), ('A', NULL), ('c', 3), ('_', 0)"]


def test_order_by_asc_desc_multiple_keys():
    check(COMPANY, "SELECT name, dept_id, salary FROM emp ORDER BY dept_id DESC, salary ASC, id")


def test_nulls_sort_first_ascending_by_default():
    check(NAMES, "SELECT id, k FROM n ORDER BY k, id", "SELECT id, k FROM n ORDER BY k DESC, id")


def test_nulls_first_and_last():
    check(NAMES, "SELECT id, k FROM n ORDER BY k NULLS LAST, id",
          "SELECT id, k FROM n ORDER BY k DESC NULLS FIRST, id",
          "SELECT id, k FROM n ORDER BY k ASC NULLS FIRST, id",
          "SELECT id, k FROM n ORDER BY k DESC NULLS LAST, id")


def test_order_by_binary_vs_nocase():
    check(NAMES, "SELECT s FROM n ORDER BY s", "SELECT s FROM n ORDER BY s COLLATE NOCASE, s",
          "SELECT s FROM n ORDER BY s COLLATE NOCASE DESC, s DESC")


def test_order_by_column_declared_nocase():
    check("CREATE TABLE t(s TEXT COLLATE NOCASE, id)",
          "INSERT INTO t VALUES ('b', 1), ('A', 2), ('a', 3), ('B', 4)",
          "SELECT s, id FROM t ORDER BY s, id", "SELECT s, id FROM t ORDER BY s COLLATE BINARY, id")


def test_order_by_mixed_storage_classes():
    check(MIXED, "SELECT v, typeof(v) FROM m ORDER BY v, id",
          "SELECT v, typeof(v) FROM m ORDER BY v DESC, id")


def test_order_by_position_and_alias():
    check(COMPANY, "SELECT name, salary AS s FROM emp ORDER BY 2 DESC, 1",
          "SELECT name, salary AS s FROM emp ORDER BY s, name")


def test_order_by_position_out_of_range_fails():
    check(COMPANY, "SELECT name FROM emp ORDER BY 2", "SELECT name FROM emp ORDER BY 0")


def test_order_by_expression_not_in_select():
    check(COMPANY, "SELECT name FROM emp ORDER BY length(name) DESC, salary * -1, id")


def test_order_by_case_expression():
    check(COMPANY, "SELECT name FROM emp ORDER BY CASE WHEN dept_id IS NULL THEN 0 ELSE 1 END, name")


def test_limit_and_offset():
    check(COMPANY, "SELECT id FROM emp ORDER BY id LIMIT 3", "SELECT id FROM emp ORDER BY id LIMIT 3 OFFSET 2",
          "SELECT id FROM emp ORDER BY id LIMIT 2, 3", "SELECT id FROM emp ORDER BY id LIMIT 0",
          "SELECT id FROM emp ORDER BY id LIMIT 100 OFFSET 6", "SELECT id FROM emp ORDER BY id LIMIT 5 OFFSET 100")


def test_negative_limit_means_no_limit():
    check(COMPANY, "SELECT id FROM emp ORDER BY id LIMIT -1", "SELECT id FROM emp ORDER BY id LIMIT -1 OFFSET 5",
          "SELECT id FROM emp ORDER BY id LIMIT 2 OFFSET -3")


def test_limit_expressions():
    check(COMPANY, "SELECT id FROM emp ORDER BY id LIMIT 1 + 1 OFFSET (SELECT count(*) FROM dept) - 2",
          "SELECT id FROM emp ORDER BY id LIMIT '2'", "SELECT id FROM emp ORDER BY id LIMIT 2.0")


def test_limit_non_integer_fails():
    check(COMPANY, "SELECT id FROM emp LIMIT 'x'", "SELECT id FROM emp LIMIT 1.5", "SELECT id FROM emp LIMIT NULL")


def test_limit_with_parameter():
    check(COMPANY, ("SELECT id FROM emp ORDER BY id LIMIT ? OFFSET ?", (2, 1)))


def test_union_removes_duplicates_union_all_keeps():
    check("SELECT 1 UNION SELECT 1 UNION SELECT 2 ORDER BY 1", "SELECT 1 UNION ALL SELECT 1 UNION ALL SELECT 2 ORDER BY 1")


def test_intersect_and_except():
    check(COMPANY, "SELECT dept_id FROM emp INTERSECT SELECT id FROM dept ORDER BY 1",
          "SELECT id FROM dept EXCEPT SELECT dept_id FROM emp ORDER BY 1",
          "SELECT dept_id FROM emp EXCEPT SELECT id FROM dept")


def test_compound_with_order_by_and_limit():
    check(COMPANY, "SELECT name FROM emp UNION SELECT name FROM dept ORDER BY name DESC LIMIT 4",
          "SELECT name, 'e' FROM emp UNION ALL SELECT name, 'd' FROM dept ORDER BY 2, 1 LIMIT 3 OFFSET 2")


def test_compound_order_by_uses_first_select_names():
    check(COMPANY, "SELECT name AS n FROM dept UNION SELECT title FROM proj ORDER BY n")


def test_compound_order_by_name_from_later_member():
    # SQLite also matches ORDER BY names against the columns of later SELECTs
    check(COMPANY, "SELECT name FROM dept UNION SELECT title FROM proj ORDER BY title")


def test_compound_order_by_unknown_column_fails():
    check(COMPANY, "SELECT name FROM dept UNION SELECT title FROM proj ORDER BY nosuch")


def test_compound_column_count_mismatch_fails():
    check("SELECT 1, 2 UNION SELECT 3")


def test_compound_column_names_from_first_select():
    check("SELECT 1 AS a, 2 AS b UNION ALL SELECT 3, 4 ORDER BY a")


def test_compound_mixed_types_union_distinct():
    # 1 and 1.0 are equal (which one survives is not specified); '1' and x'31' are not
    check("SELECT count(*) FROM (SELECT 1 UNION SELECT 1.0 UNION SELECT '1' UNION SELECT x'31')",
          unordered("SELECT typeof(x) FROM (SELECT 1 AS x UNION SELECT '1' UNION SELECT x'31')"))


def test_union_of_three_with_nulls():
    check("SELECT NULL UNION SELECT NULL UNION SELECT 1 ORDER BY 1")


def test_compound_in_subquery_with_limit_inside():
    check(COMPANY, "SELECT * FROM (SELECT id FROM emp ORDER BY id LIMIT 2) UNION ALL "
                   "SELECT * FROM (SELECT id FROM dept ORDER BY id DESC LIMIT 1) ORDER BY 1")


def test_order_by_in_first_compound_member_fails():
    check("SELECT 1 ORDER BY 1 UNION SELECT 2")


def test_values_as_select():
    check("VALUES (1, 'a'), (2, 'b')", "SELECT * FROM (VALUES (3, 'c'), (1, 'a')) ORDER BY 1",
          "VALUES (1) UNION ALL VALUES (2)")


def test_order_by_rowid_after_updates():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES ('x'), ('y'), ('z')",
          "UPDATE t SET a = a || '!' WHERE rowid = 2", "SELECT rowid, a FROM t ORDER BY rowid DESC")


def test_order_by_real_and_integer_interleaved():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (2), (1.5), (1), (2.0), (-0.5), (3)",
          "SELECT a, typeof(a) FROM t ORDER BY a, typeof(a)")


def test_order_by_text_numbers_lexicographic():
    check("CREATE TABLE t(a TEXT)", "INSERT INTO t VALUES (10), (9), (100), ('9a')",
          "SELECT a FROM t ORDER BY a", "SELECT a FROM t ORDER BY CAST(a AS INTEGER), a")


def test_order_by_blob_bytewise():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (x'ff'), (x'00'), (x'0001'), (x'')",
          "SELECT hex(a) FROM t ORDER BY a")
