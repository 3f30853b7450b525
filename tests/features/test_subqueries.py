"""Subqueries in FROM, the SELECT list, WHERE (correlated), EXISTS and IN."""

from .data import COMPANY
from .oracle import check, unordered

NULLS = ["CREATE TABLE a(x)", "CREATE TABLE b(y)",
         "INSERT INTO a VALUES (1), (2), (3), (NULL)", "INSERT INTO b VALUES (2), (NULL)"]


def test_subquery_in_from_with_alias():
    check(COMPANY, "SELECT s.n, s.total FROM (SELECT name AS n, salary + coalesce(bonus, 0) AS total "
                   "FROM emp) AS s WHERE s.total > 3000 ORDER BY s.n")


def test_subquery_in_from_without_alias():
    check(COMPANY, "SELECT * FROM (SELECT id, name FROM dept WHERE city = 'Oslo') ORDER BY id")


def test_subquery_in_from_aggregate_of_aggregate():
    check(COMPANY, "SELECT max(c), min(c), avg(c) FROM (SELECT dept_id, count(*) AS c FROM emp GROUP BY dept_id)")


def test_nested_from_subqueries():
    check(COMPANY, "SELECT x FROM (SELECT x FROM (SELECT id * 2 AS x FROM emp) WHERE x > 4) ORDER BY x DESC")


def test_from_subquery_column_names():
    check(COMPANY, "SELECT * FROM (SELECT id + 1, name AS nm, upper(name) FROM dept) ORDER BY 1")


def test_scalar_subquery_in_select_list():
    check(COMPANY, "SELECT name, (SELECT count(*) FROM emp WHERE emp.dept_id = dept.id) AS n "
                   "FROM dept ORDER BY id")


def test_scalar_subquery_returning_no_rows_is_null():
    check(COMPANY, "SELECT (SELECT name FROM emp WHERE id = 99)",
          "SELECT (SELECT name FROM emp WHERE id = 99) IS NULL")


def test_scalar_subquery_multiple_rows_uses_first():
    check(COMPANY, "SELECT (SELECT name FROM emp ORDER BY id)",
          "SELECT (SELECT name FROM emp ORDER BY id DESC LIMIT 1)")


def test_scalar_subquery_with_multiple_columns_fails():
    check(COMPANY, "SELECT (SELECT id, name FROM emp)")


def test_correlated_subquery_in_where():
    check(COMPANY, "SELECT e.name FROM emp e WHERE e.salary > "
                   "(SELECT avg(salary) FROM emp x WHERE x.dept_id = e.dept_id) ORDER BY e.name")


def test_correlated_subquery_referencing_outer_in_select():
    check(COMPANY, "SELECT e.name, (SELECT b.name FROM emp b WHERE b.id = e.boss_id) FROM emp e ORDER BY e.id")


def test_exists():
    check(COMPANY, "SELECT d.name FROM dept d WHERE EXISTS (SELECT 1 FROM emp e WHERE e.dept_id = d.id) "
                   "ORDER BY d.name")


def test_not_exists():
    check(COMPANY, "SELECT d.name FROM dept d WHERE NOT EXISTS (SELECT * FROM proj p WHERE p.dept_id = d.id) "
                   "ORDER BY d.name")


def test_exists_as_value():
    check(COMPANY, "SELECT EXISTS (SELECT 1 FROM emp WHERE salary > 4500), "
                   "EXISTS (SELECT 1 FROM emp WHERE salary > 9999), NOT EXISTS (SELECT 1 FROM emp WHERE 0)")


def test_in_subquery():
    check(COMPANY, "SELECT name FROM emp WHERE dept_id IN (SELECT id FROM dept WHERE city = 'Oslo') ORDER BY name")


def test_not_in_subquery_without_nulls():
    check(COMPANY, "SELECT name FROM emp WHERE id NOT IN (SELECT emp_id FROM assign) ORDER BY name")


def test_in_with_null_in_list():
    check(NULLS, "SELECT x, x IN (SELECT y FROM b), x NOT IN (SELECT y FROM b) FROM a ORDER BY x")


def test_not_in_with_null_filters_everything():
    check(NULLS, "SELECT x FROM a WHERE x NOT IN (SELECT y FROM b)",
          "SELECT x FROM a WHERE x NOT IN (SELECT y FROM b WHERE y IS NOT NULL) ORDER BY x")


def test_in_literal_list_with_null():
    check("SELECT 1 IN (1, NULL), 2 IN (1, NULL), 2 NOT IN (1, NULL), NULL IN (1, 2), NULL IN ()",
          "SELECT 1 IN (), 1 NOT IN ()")


def test_in_empty_subquery():
    check(NULLS, "SELECT x, x IN (SELECT y FROM b WHERE 0), x NOT IN (SELECT y FROM b WHERE 0) FROM a ORDER BY x")


def test_in_subquery_affinity():
    check("CREATE TABLE t(a TEXT)", "CREATE TABLE u(b INTEGER)",
          "INSERT INTO t VALUES ('1'), ('2'), ('x')", "INSERT INTO u VALUES (1), (3)",
          "SELECT a FROM t WHERE a IN (SELECT b FROM u)",
          "SELECT b FROM u WHERE b IN (SELECT a FROM t)",
          "SELECT a FROM t WHERE a IN (1, 2) ORDER BY a")


def test_in_with_multi_column_subquery_fails():
    check(COMPANY, "SELECT 1 WHERE 1 IN (SELECT id, name FROM emp)")


def test_row_value_in_subquery():
    check(COMPANY, "SELECT name FROM emp WHERE (dept_id, salary) IN (SELECT dept_id, max(salary) FROM emp "
                   "GROUP BY dept_id) ORDER BY name")


def test_subquery_comparison_operators():
    check(COMPANY, "SELECT name FROM emp WHERE salary = (SELECT max(salary) FROM emp)",
          "SELECT name FROM emp WHERE salary < (SELECT min(salary) FROM emp WHERE dept_id = 1) ORDER BY name")


def test_subquery_in_order_by():
    check(COMPANY, "SELECT name FROM dept ORDER BY (SELECT count(*) FROM emp WHERE dept_id = dept.id) DESC, name")


def test_subquery_in_having():
    check(COMPANY, "SELECT dept_id, count(*) FROM emp GROUP BY dept_id "
                   "HAVING count(*) > (SELECT count(*) FROM proj WHERE proj.dept_id = emp.dept_id) ORDER BY dept_id")


def test_correlated_subquery_with_limit():
    check(COMPANY, "SELECT d.name, (SELECT e.name FROM emp e WHERE e.dept_id = d.id ORDER BY e.salary DESC, e.id "
                   "LIMIT 1) FROM dept d ORDER BY d.id")


def test_subquery_in_case():
    check(COMPANY, "SELECT name, CASE WHEN id IN (SELECT emp_id FROM assign) THEN 'busy' ELSE 'free' END "
                   "FROM emp ORDER BY id")


def test_exists_with_aggregate_always_one_row():
    check(COMPANY, "SELECT EXISTS (SELECT count(*) FROM emp WHERE 0)")


def test_derived_table_with_join_and_filter():
    check(COMPANY, unordered("SELECT t.name, t.h FROM (SELECT e.name, sum(a.hours) AS h FROM emp e "
                             "JOIN assign a ON a.emp_id = e.id GROUP BY e.id) t WHERE t.h > 5"))
