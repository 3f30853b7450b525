"""Joins of every kind."""

from .data import COMPANY
from .oracle import check, unordered


def test_inner_join_on():
    check(COMPANY, "SELECT e.name, d.name FROM emp e JOIN dept d ON e.dept_id = d.id ORDER BY e.id")


def test_inner_join_keyword_inner():
    check(COMPANY, "SELECT e.name, d.city FROM emp AS e INNER JOIN dept AS d ON d.id = e.dept_id "
                   "WHERE d.city = 'Oslo' ORDER BY e.name")


def test_left_join_keeps_unmatched_with_nulls():
    check(COMPANY, "SELECT d.name, e.name FROM dept d LEFT JOIN emp e ON e.dept_id = d.id "
                   "ORDER BY d.id, e.id")


def test_left_outer_join_where_is_null_anti_join():
    check(COMPANY, "SELECT d.name FROM dept d LEFT OUTER JOIN emp e ON e.dept_id = d.id "
                   "WHERE e.id IS NULL ORDER BY d.name")


def test_left_join_condition_in_on_vs_where():
    check(COMPANY,
          "SELECT d.name, e.name FROM dept d LEFT JOIN emp e ON e.dept_id = d.id AND e.salary > 3500 "
          "ORDER BY d.id, e.id",
          "SELECT d.name, e.name FROM dept d LEFT JOIN emp e ON e.dept_id = d.id WHERE e.salary > 3500 "
          "ORDER BY d.id, e.id")


def test_cross_join_count_and_rows():
    check(COMPANY, "SELECT count(*) FROM dept CROSS JOIN proj",
          "SELECT d.id, p.id FROM dept d CROSS JOIN proj p ORDER BY d.id, p.id")


def test_comma_join_with_where():
    check(COMPANY, "SELECT e.name, p.title FROM emp e, assign a, proj p "
                   "WHERE a.emp_id = e.id AND a.proj_id = p.id ORDER BY e.name, p.title")


def test_join_using():
    check("CREATE TABLE a(k, x)", "CREATE TABLE b(k, y)",
          "INSERT INTO a VALUES (1, 'a1'), (2, 'a2'), (NULL, 'an')",
          "INSERT INTO b VALUES (1, 'b1'), (3, 'b3'), (NULL, 'bn')",
          "SELECT * FROM a JOIN b USING (k)", "SELECT k, x, y FROM a LEFT JOIN b USING (k) ORDER BY x")


def test_join_using_multiple_columns_star_columns():
    check("CREATE TABLE a(k1, k2, x)", "CREATE TABLE b(k2, k1, y)",
          "INSERT INTO a VALUES (1, 1, 'p'), (1, 2, 'q')", "INSERT INTO b VALUES (1, 1, 'r'), (2, 2, 's')",
          "SELECT * FROM a JOIN b USING (k1, k2)", "SELECT a.*, b.* FROM a JOIN b USING (k1, k2)")


def test_join_using_unknown_column_fails():
    check("CREATE TABLE a(k)", "CREATE TABLE b(j)", "SELECT * FROM a JOIN b USING (k)")


def test_natural_join():
    check("CREATE TABLE a(id, x)", "CREATE TABLE b(id, y)",
          "INSERT INTO a VALUES (1, 'a'), (2, 'b')", "INSERT INTO b VALUES (2, 'B'), (3, 'C')",
          "SELECT * FROM a NATURAL JOIN b", "SELECT * FROM a NATURAL LEFT JOIN b ORDER BY id")


def test_natural_join_no_common_columns_is_cross():
    check("CREATE TABLE a(x)", "CREATE TABLE b(y)", "INSERT INTO a VALUES (1), (2)",
          "INSERT INTO b VALUES (3), (4)", "SELECT * FROM a NATURAL JOIN b ORDER BY x, y")


def test_self_join_with_aliases():
    check(COMPANY, "SELECT e.name, b.name AS boss FROM emp e JOIN emp b ON e.boss_id = b.id ORDER BY e.id",
          "SELECT e.name, b.name AS boss FROM emp e LEFT JOIN emp b ON e.boss_id = b.id ORDER BY e.id")


def test_self_join_pairs_same_department():
    check(COMPANY, "SELECT x.name, y.name FROM emp x JOIN emp y ON x.dept_id = y.dept_id AND x.id < y.id "
                   "ORDER BY x.id, y.id")


def test_three_table_join():
    check(COMPANY, "SELECT e.name, p.title, a.hours FROM emp e JOIN assign a ON a.emp_id = e.id "
                   "JOIN proj p ON p.id = a.proj_id ORDER BY e.id, p.id")


def test_four_table_join_with_left():
    check(COMPANY, "SELECT d.name, e.name, p.title FROM dept d "
                   "LEFT JOIN emp e ON e.dept_id = d.id "
                   "LEFT JOIN assign a ON a.emp_id = e.id "
                   "LEFT JOIN proj p ON p.id = a.proj_id ORDER BY d.id, e.id, p.id")


def test_four_table_join_aggregate():
    check(COMPANY, "SELECT d.name, sum(a.hours), count(DISTINCT p.id) FROM dept d "
                   "JOIN emp e ON e.dept_id = d.id JOIN assign a ON a.emp_id = e.id "
                   "JOIN proj p ON p.id = a.proj_id GROUP BY d.name ORDER BY d.name")


def test_ambiguous_column_fails():
    check(COMPANY, "SELECT name FROM emp JOIN dept ON emp.dept_id = dept.id",
          "SELECT id FROM emp, dept")


def test_unknown_qualifier_fails():
    check(COMPANY, "SELECT x.name FROM emp e", "SELECT emp.name FROM emp e")


def test_join_star_column_names():
    check(COMPANY, "SELECT * FROM dept d JOIN proj p ON p.dept_id = d.id ORDER BY p.id",
          "SELECT d.*, p.title FROM dept d JOIN proj p ON p.dept_id = d.id ORDER BY p.id")


def test_join_on_null_never_matches():
    check("CREATE TABLE a(k)", "CREATE TABLE b(k)", "INSERT INTO a VALUES (NULL), (1)",
          "INSERT INTO b VALUES (NULL), (1)", "SELECT count(*) FROM a JOIN b ON a.k = b.k",
          "SELECT count(*) FROM a JOIN b ON a.k IS b.k")


def test_join_with_type_affinity_comparison():
    check("CREATE TABLE a(k INTEGER)", "CREATE TABLE b(k TEXT)", "INSERT INTO a VALUES (1), (2)",
          "INSERT INTO b VALUES ('1'), ('02')", "SELECT a.k, b.k FROM a JOIN b ON a.k = b.k")


def test_join_subquery_in_from():
    check(COMPANY, "SELECT d.name, s.total FROM dept d JOIN "
                   "(SELECT dept_id, sum(salary) AS total FROM emp GROUP BY dept_id) s ON s.dept_id = d.id "
                   "ORDER BY d.id")


def test_left_join_then_inner_join():
    check(COMPANY, "SELECT d.name, e.name, a.hours FROM dept d LEFT JOIN emp e ON e.dept_id = d.id "
                   "JOIN assign a ON a.emp_id = e.id ORDER BY d.id, e.id, a.proj_id")


def test_left_join_coalesce_and_count():
    check(COMPANY, "SELECT d.name, count(e.id), coalesce(sum(e.salary), 0) FROM dept d "
                   "LEFT JOIN emp e ON e.dept_id = d.id GROUP BY d.id ORDER BY d.id")


def test_right_join():
    check(COMPANY, "SELECT e.name, d.name FROM emp e RIGHT JOIN dept d ON e.dept_id = d.id ORDER BY d.id, e.id")


def test_join_without_on_is_cross():
    check("CREATE TABLE a(x)", "CREATE TABLE b(y)", "INSERT INTO a VALUES (1), (2)",
          "INSERT INTO b VALUES (3)", "SELECT x, y FROM a JOIN b ORDER BY x")


def test_join_table_with_itself_without_alias_fails():
    check(COMPANY, "SELECT * FROM emp JOIN emp ON 1")


def test_join_with_collate_nocase_column():
    check("CREATE TABLE a(k TEXT COLLATE NOCASE)", "CREATE TABLE b(k TEXT)",
          "INSERT INTO a VALUES ('X')", "INSERT INTO b VALUES ('x'), ('X')",
          "SELECT a.k, b.k FROM a JOIN b ON a.k = b.k ORDER BY b.k",
          "SELECT a.k, b.k FROM a JOIN b ON b.k = a.k ORDER BY b.k")


LEFT_DATA = ["CREATE TABLE p(id INTEGER PRIMARY KEY, n TEXT)",
             "CREATE TABLE c(id INTEGER PRIMARY KEY, pid INTEGER, v INTEGER)",
             "INSERT INTO p VALUES (1, 'one'), (2, 'two'), (3, 'three')",
             "INSERT INTO c(pid, v) VALUES (1, 10), (1, 11), (1, 12), (2, 20), (2, 21), (9, 90)"]


def test_left_join_where_right_is_null_finds_only_childless():
    check(LEFT_DATA, "SELECT p.n FROM p LEFT JOIN c ON c.pid = p.id WHERE c.id IS NULL ORDER BY p.id",
          "SELECT p.n FROM p LEFT JOIN c ON c.pid = p.id WHERE c.v IS NULL ORDER BY p.id")


def test_left_join_where_on_right_column_filters_rows():
    check(LEFT_DATA, "SELECT p.n, c.v FROM p LEFT JOIN c ON c.pid = p.id WHERE c.v > 10 ORDER BY c.v",
          "SELECT p.n, c.v FROM p LEFT JOIN c ON c.pid = p.id WHERE coalesce(c.v, 0) < 11 ORDER BY p.id, c.v")


def test_left_join_where_is_not_null():
    check(LEFT_DATA, "SELECT p.n, count(*) FROM p LEFT JOIN c ON c.pid = p.id WHERE c.id IS NOT NULL "
                     "GROUP BY p.n ORDER BY p.n")


def test_left_join_on_condition_on_right_side_only():
    check(LEFT_DATA, "SELECT p.n, c.v FROM p LEFT JOIN c ON c.pid = p.id AND c.v % 2 = 0 ORDER BY p.id, c.v")


def test_left_join_with_or_in_where():
    check(LEFT_DATA, "SELECT p.n, c.v FROM p LEFT JOIN c ON c.pid = p.id WHERE c.v IS NULL OR c.v = 20 "
                     "ORDER BY p.id")


FULL = [
    "CREATE TABLE a(x, y)", "CREATE TABLE b(x, w)", "CREATE TABLE c(x INTEGER PRIMARY KEY, z)",
    "CREATE TABLE wr(k TEXT PRIMARY KEY, v) WITHOUT ROWID",
    "INSERT INTO a VALUES (1,'a1'),(2,'a2'),(2,'a2b'),(NULL,'an'),(5,'a5')",
    "INSERT INTO b VALUES (2,'b2'),(3,'b3'),(NULL,'bn'),(5,'b5'),(5,'b5b')",
    "INSERT INTO c VALUES (1,'c1'),(3,'c3'),(7,'c7')",
    "INSERT INTO wr VALUES ('1','w1'),('9','w9')",
    "CREATE INDEX bx ON b(x)",
]


def test_full_join():
    check(FULL,
          unordered("SELECT * FROM a FULL JOIN b ON a.x = b.x"),
          unordered("SELECT * FROM a FULL OUTER JOIN b ON a.x = b.x WHERE a.x IS NULL"),
          unordered("SELECT * FROM a FULL JOIN b ON a.x = b.x WHERE b.x > 2"),
          unordered("SELECT a.y, b.w, c.z FROM a FULL JOIN b ON a.x = b.x LEFT JOIN c ON c.x = coalesce(a.x, b.x)"),
          "SELECT count(*), count(a.x), count(b.x) FROM a FULL JOIN b ON a.x = b.x",
          unordered("SELECT * FROM c FULL JOIN b ON c.x = b.x"),
          unordered("SELECT * FROM (SELECT x, y FROM a WHERE x > 1) s FULL JOIN (SELECT x, w FROM b) t ON s.x = t.x"),
          unordered("SELECT * FROM a FULL JOIN b ON 0"),
          unordered("SELECT * FROM a FULL JOIN b ON a.x = b.x AND b.w LIKE '%b'"),
          unordered("SELECT * FROM wr FULL JOIN c ON wr.k = c.x"),
          unordered("SELECT * FROM a FULL JOIN b USING (x)"),
          unordered("SELECT x, y, w FROM a FULL JOIN b USING (x) WHERE x > 1"),
          unordered("SELECT * FROM a NATURAL FULL JOIN b"),
          unordered("SELECT * FROM a FULL JOIN b USING (x) JOIN c USING (x)"),
          "SELECT coalesce(a.x, b.x) AS k, group_concat(y), group_concat(w) FROM a FULL JOIN b ON a.x = b.x "
          "GROUP BY k ORDER BY k",
          unordered("SELECT * FROM (SELECT * FROM a WHERE 0) e FULL JOIN b ON e.x = b.x"),
          "SELECT (SELECT count(*) FROM a FULL JOIN b ON a.x = b.x AND a.x = c.x) FROM c ORDER BY x")
