"""GROUP BY, HAVING, aggregates, bare columns, DISTINCT."""

from .data import COMPANY
from .oracle import check, unordered


def test_group_by_count_sum_avg():
    check(COMPANY, "SELECT dept_id, count(*), count(bonus), sum(salary), avg(salary), "
                   "min(salary), max(salary), total(bonus) FROM emp GROUP BY dept_id ORDER BY dept_id")


def test_group_by_having():
    check(COMPANY, "SELECT dept_id, count(*) AS n FROM emp GROUP BY dept_id HAVING n > 1 ORDER BY dept_id",
          "SELECT dept_id FROM emp GROUP BY dept_id HAVING sum(salary) > 6000 ORDER BY dept_id")


def test_having_without_group_by():
    check(COMPANY, "SELECT count(*) FROM emp HAVING count(*) > 3",
          "SELECT count(*) FROM emp HAVING count(*) > 30")


def test_group_by_expression():
    check(COMPANY, "SELECT salary >= 3500 AS rich, count(*) FROM emp GROUP BY salary >= 3500 ORDER BY rich",
          "SELECT length(name), group_concat(name, '|') FROM (SELECT name FROM emp ORDER BY name) "
          "GROUP BY length(name) ORDER BY 1")


def test_aggregates_over_expressions():
    check(COMPANY, "SELECT sum(salary * 2 + coalesce(bonus, 0)), max(length(name) * 10), "
                   "avg(CASE WHEN bonus IS NULL THEN 0 ELSE 1 END), count(DISTINCT dept_id) FROM emp")


def test_group_by_column_position_and_alias():
    check(COMPANY, "SELECT dept_id AS d, count(*) FROM emp GROUP BY 1 ORDER BY 1",
          "SELECT dept_id AS d, count(*) FROM emp GROUP BY d ORDER BY d")


def test_group_by_position_out_of_range_fails():
    check(COMPANY, "SELECT dept_id FROM emp GROUP BY 2")


def test_aggregate_on_empty_table():
    check("CREATE TABLE t(a)", "SELECT count(*), count(a), sum(a), total(a), avg(a), min(a), max(a), "
                               "group_concat(a) FROM t",
          "SELECT count(*) FROM t GROUP BY a")


def test_sum_types():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1), (2)", "SELECT sum(a), typeof(sum(a)), total(a) FROM t",
          "INSERT INTO t VALUES (0.5)", "SELECT sum(a), typeof(sum(a)), avg(a) FROM t",
          "INSERT INTO t VALUES ('3')", "SELECT sum(a) FROM t", "INSERT INTO t VALUES ('x')",
          "SELECT sum(a), count(a) FROM t")


def test_sum_integer_overflow_fails_total_does_not():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (9223372036854775807), (1)",
          "SELECT sum(a) FROM t", "SELECT total(a) FROM t")


def test_min_max_mixed_types():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (3), ('abc'), (2.5), (x'01'), (NULL)",
          "SELECT min(a), max(a), typeof(min(a)), typeof(max(a)) FROM t")


def test_count_distinct_and_sum_distinct():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1), (1), (2), (NULL), ('1')",
          "SELECT count(DISTINCT a), sum(DISTINCT a), count(a), count(*) FROM t")


def test_bare_column_with_max_comes_from_max_row():
    check(COMPANY, "SELECT name, max(salary) FROM emp WHERE dept_id IS NOT NULL AND salary < 4500")


def test_bare_column_with_min_per_group():
    check(COMPANY, "SELECT dept_id, name, min(salary) FROM emp GROUP BY dept_id ORDER BY dept_id")


def test_bare_column_with_max_per_group():
    check(COMPANY, "SELECT dept_id, name, max(salary + coalesce(bonus, 0)) FROM emp "
                   "WHERE dept_id IS NOT NULL GROUP BY dept_id ORDER BY dept_id")


def test_bare_column_without_min_max_reads_the_first_row():
    # SQLite leaves it unspecified; 3.40 returns the group's first row, and so do we.
    check(COMPANY, "SELECT dept_id, name, count(*) FROM emp GROUP BY dept_id ORDER BY dept_id",
          "SELECT name, count(*) FROM emp",
          "SELECT name, sum(salary) FROM (SELECT * FROM emp ORDER BY id DESC) GROUP BY dept_id ORDER BY 1")


def test_group_by_null_forms_one_group():
    check("CREATE TABLE t(g, v)", "INSERT INTO t VALUES (NULL, 1), (NULL, 2), (1, 3)",
          "SELECT g, sum(v) FROM t GROUP BY g ORDER BY g")


def test_group_by_text_case_sensitive_vs_nocase():
    check("CREATE TABLE t(g TEXT, h TEXT COLLATE NOCASE)",
          "INSERT INTO t VALUES ('a', 'a'), ('A', 'A'), ('b', 'b')",
          "SELECT count(*) FROM (SELECT g FROM t GROUP BY g)",
          "SELECT count(*) FROM (SELECT h FROM t GROUP BY h)",
          # which member of the group a bare g comes from is unspecified: output lower(g)
          "SELECT lower(g), count(*) FROM t GROUP BY g COLLATE NOCASE ORDER BY 1")


def test_group_by_mixed_numeric_types_same_group():
    check("CREATE TABLE t(g, v)", "INSERT INTO t VALUES (1, 'int'), (1.0, 'real'), ('1', 'text')",
          "SELECT count(*) FROM t GROUP BY g ORDER BY 1")


def test_aggregate_in_where_fails():
    check(COMPANY, "SELECT name FROM emp WHERE count(*) > 1")


def test_nested_aggregate_fails():
    check(COMPANY, "SELECT sum(max(salary)) FROM emp")


def test_non_aggregate_having_reference():
    check(COMPANY, "SELECT dept_id, count(*) FROM emp GROUP BY dept_id HAVING dept_id > 1 ORDER BY dept_id")


def test_distinct():
    check(COMPANY, "SELECT DISTINCT dept_id FROM emp ORDER BY dept_id",
          "SELECT DISTINCT city FROM dept ORDER BY city",
          "SELECT count(*) FROM (SELECT DISTINCT salary, dept_id FROM emp)")


def test_distinct_treats_nulls_equal():
    check("CREATE TABLE t(a, b)", "INSERT INTO t VALUES (NULL, 1), (NULL, 1), (NULL, NULL), (NULL, NULL)",
          "SELECT DISTINCT a, b FROM t ORDER BY b")


def test_distinct_distinguishes_types():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1), ('1'), (1.0), (x'31')",
          "SELECT DISTINCT a, typeof(a) FROM t ORDER BY typeof(a)")


def test_group_concat_with_separator_ordered_input():
    check(COMPANY, "SELECT group_concat(name, ', ') FROM (SELECT name FROM emp ORDER BY name)",
          "SELECT group_concat(id) FROM (SELECT id FROM emp ORDER BY id DESC)")


def test_aggregate_with_filter_clause():
    check(COMPANY, "SELECT count(*) FILTER (WHERE salary > 3000), sum(bonus) FILTER (WHERE dept_id = 1) FROM emp")


def test_group_by_with_join_and_having_on_joined_column():
    check(COMPANY, "SELECT d.city, count(e.id) FROM dept d LEFT JOIN emp e ON e.dept_id = d.id "
                   "GROUP BY d.city HAVING count(e.id) > 0 ORDER BY d.city")


def test_avg_of_integers_is_real():
    check("CREATE TABLE t(a INTEGER)", "INSERT INTO t VALUES (1), (2)", "SELECT avg(a), typeof(avg(a)) FROM t")


def test_count_star_vs_count_column_names():
    check(COMPANY, "SELECT count(*), COUNT(*), count(1), Count(bonus) FROM emp")


def test_aggregate_without_group_on_empty_filter_returns_one_row():
    check(COMPANY, "SELECT count(*), max(salary), name FROM emp WHERE id > 100")


def test_group_by_all_rows_unordered():
    check(COMPANY, unordered("SELECT boss_id, count(*) FROM emp GROUP BY boss_id"))
