"""WITH and WITH RECURSIVE."""

from .data import COMPANY
from .oracle import check


def test_with_simple():
    check("WITH x(a) AS (SELECT 1 UNION ALL SELECT 2) SELECT a * 10 FROM x ORDER BY a")


def test_with_multiple_ctes_referencing_each_other():
    check(COMPANY, "WITH d AS (SELECT id, name FROM dept WHERE city = 'Oslo'), "
                   "e AS (SELECT emp.name, d.name AS dn FROM emp JOIN d ON emp.dept_id = d.id) "
                   "SELECT * FROM e ORDER BY name")


def test_with_column_list_names():
    check("WITH c(x, y) AS (SELECT 1, 2) SELECT * FROM c")


def test_with_column_list_count_mismatch_fails():
    check("WITH c(x) AS (SELECT 1, 2) SELECT * FROM c")


def test_cte_used_twice():
    check("WITH c AS (SELECT 1 AS v UNION ALL SELECT 2) SELECT a.v, b.v FROM c a, c b ORDER BY 1, 2")


def test_cte_shadows_table():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES ('table')",
          "WITH t(a) AS (SELECT 'cte') SELECT a FROM t", "SELECT a FROM t")


def test_recursive_counting():
    check("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 10) SELECT n FROM c")


def test_recursive_sum_of_sequence():
    check("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100) "
          "SELECT sum(n), count(*), max(n) FROM c")


def test_recursive_with_limit_stops_infinite_recursion():
    check("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT n FROM c LIMIT 5")


def test_recursive_limit_inside_cte():
    check("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n * 2 FROM c LIMIT 8) SELECT n FROM c")


def test_recursive_fibonacci_with_limit():
    check("WITH RECURSIVE fib(a, b) AS (SELECT 0, 1 UNION ALL SELECT b, a + b FROM fib) "
          "SELECT a FROM fib LIMIT 15")


def test_recursive_fibonacci_overflows_to_real():
    check("WITH RECURSIVE fib(i, a, b) AS (SELECT 1, 0, 1 UNION ALL SELECT i + 1, b, a + b FROM fib WHERE i < 95) "
          "SELECT i, a, typeof(a) FROM fib WHERE i > 90")


def test_recursive_tree_walk_from_root():
    check(COMPANY, "WITH RECURSIVE chain(id, name, depth) AS ("
                   " SELECT id, name, 0 FROM emp WHERE boss_id IS NULL"
                   " UNION ALL SELECT e.id, e.name, c.depth + 1 FROM emp e JOIN chain c ON e.boss_id = c.id) "
                   "SELECT name, depth FROM chain ORDER BY depth, name")


def test_recursive_path_to_root():
    check(COMPANY, "WITH RECURSIVE up(id, boss_id, path) AS ("
                   " SELECT id, boss_id, name FROM emp WHERE name = 'Dee'"
                   " UNION ALL SELECT e.id, e.boss_id, up.path || ' > ' || e.name FROM emp e JOIN up ON e.id = up.boss_id) "
                   "SELECT path FROM up WHERE boss_id IS NULL")


def test_recursive_union_distinct_terminates_on_cycle():
    check("CREATE TABLE edge(a, b)", "INSERT INTO edge VALUES (1, 2), (2, 3), (3, 1), (3, 4)",
          "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT b FROM edge JOIN r ON edge.a = r.n) "
          "SELECT n FROM r ORDER BY n")


def test_recursive_string_building():
    check("WITH RECURSIVE s(i, str) AS (SELECT 1, 'a' UNION ALL SELECT i + 1, str || char(97 + i) FROM s WHERE i < 5) "
          "SELECT str FROM s ORDER BY i")


def test_recursive_dates_series():
    check("WITH RECURSIVE d(day) AS (SELECT date('2024-02-27') UNION ALL "
          "SELECT date(day, '+1 day') FROM d WHERE day < '2024-03-02') SELECT day FROM d")


def test_recursive_reference_twice_fails():
    # LIMIT keeps an engine that wrongly accepts it from recursing without end
    check("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT c1.n FROM c c1, c c2) SELECT * FROM c LIMIT 5")


def test_recursive_with_order_by_in_cte_breadth_first():
    check(COMPANY, "WITH RECURSIVE t(id, lvl) AS (SELECT 1, 0 UNION ALL "
                   "SELECT e.id, t.lvl + 1 FROM emp e JOIN t ON e.boss_id = t.id ORDER BY 2) "
                   "SELECT id, lvl FROM t")


def test_cte_in_subquery_and_in_expression():
    check(COMPANY, "SELECT name FROM emp WHERE id IN (WITH b AS (SELECT boss_id FROM emp) SELECT boss_id FROM b) "
                   "ORDER BY name")


def test_cte_with_aggregate_then_join():
    check(COMPANY, "WITH tot AS (SELECT dept_id, sum(salary) AS s FROM emp GROUP BY dept_id) "
                   "SELECT d.name, tot.s FROM dept d LEFT JOIN tot ON tot.dept_id = d.id ORDER BY d.id")


def test_cte_materialized_hints():
    check("WITH c AS MATERIALIZED (SELECT 1 AS x) SELECT x FROM c",
          "WITH c AS NOT MATERIALIZED (SELECT 2 AS x) SELECT x FROM c")


def test_recursive_cte_in_update():
    check("CREATE TABLE t(n, sq)", "INSERT INTO t(n) VALUES (1), (2), (3)",
          "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2) "
          "UPDATE t SET sq = n * n WHERE n IN (SELECT x FROM c)", "SELECT * FROM t ORDER BY n")
