"""Window functions: OVER, PARTITION BY, frames, named windows, and their errors."""

from __future__ import annotations

import terndb

from .data import COMPANY, MIXED
from .oracle import check, unordered

T = [
    "CREATE TABLE t(id INTEGER PRIMARY KEY, x, g, s TEXT)",
    "INSERT INTO t(x, g, s) VALUES (3, 1, 'a'), (1, 2, 'b'), (2, 1, 'c'), (NULL, 2, 'd'), (5, 1, 'e'),"
    " (2, 2, 'f'), ('abc', 1, 'g'), (2.5, 2, 'h'), ('abd', 1, 'i'), ('b', 2, 'j')",
]


def test_ranking_functions():
    check(COMPANY,
          "SELECT name, row_number() OVER (ORDER BY salary DESC, id), rank() OVER (ORDER BY salary DESC), "
          "dense_rank() OVER (ORDER BY salary DESC), percent_rank() OVER (ORDER BY salary DESC), "
          "cume_dist() OVER (ORDER BY salary DESC) FROM emp ORDER BY id",
          "SELECT name, dept_id, rank() OVER (PARTITION BY dept_id ORDER BY salary) FROM emp ORDER BY id",
          "SELECT name, ntile(3) OVER (ORDER BY id), ntile(2) OVER (PARTITION BY dept_id ORDER BY id), "
          "ntile(10) OVER (ORDER BY id) FROM emp ORDER BY id")


def test_value_functions():
    check(T,
          "SELECT id, lag(x) OVER (ORDER BY id), lead(x, 2) OVER (ORDER BY id), "
          "lag(x, 1, 'none') OVER (PARTITION BY g ORDER BY id), lead(s, -1) OVER (ORDER BY id) "
          "FROM t ORDER BY id",
          "SELECT id, lag(x, '1', 'D') OVER (ORDER BY id), lag(x, 1.5, 'D') OVER (ORDER BY id), "
          "lag(x, NULL, 'D') OVER (ORDER BY id), lead(x, id, 'D') OVER (ORDER BY id) FROM t ORDER BY id",
          "SELECT id, first_value(s) OVER w, last_value(s) OVER w, nth_value(s, 2) OVER w, "
          "nth_value(s, '3') OVER w FROM t WINDOW w AS (PARTITION BY g ORDER BY id) ORDER BY id")


def test_aggregates_over_default_frames():
    check(COMPANY,
          "SELECT name, sum(salary) OVER (), count(*) OVER (PARTITION BY dept_id), "
          "avg(salary) OVER (PARTITION BY dept_id), max(bonus) OVER (ORDER BY id), "
          "sum(bonus) OVER (ORDER BY dept_id), group_concat(name) OVER (PARTITION BY dept_id ORDER BY name) "
          "FROM emp ORDER BY id",
          # Running total: peers (equal salary) share their value under the default RANGE frame.
          "SELECT name, salary, sum(salary) OVER (ORDER BY salary), total(bonus) OVER (ORDER BY salary), "
          "count(bonus) OVER (ORDER BY salary) FROM emp ORDER BY salary, id")


def test_frames():
    check(T,
          "SELECT id, sum(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t ORDER BY id",
          "SELECT id, count(*) OVER (ORDER BY id ROWS 2 PRECEDING), "
          "group_concat(s, '') OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) "
          "FROM t ORDER BY id",
          "SELECT id, x, sum(x) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING), "
          "count(*) OVER (ORDER BY x DESC RANGE BETWEEN 1.5 PRECEDING AND 0 FOLLOWING), "
          "count(*) OVER (ORDER BY x NULLS LAST RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t ORDER BY id",
          "SELECT id, count(*) OVER (ORDER BY g GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW), "
          "group_concat(s) OVER (ORDER BY g, id GROUPS BETWEEN 1 FOLLOWING AND 2 FOLLOWING) FROM t ORDER BY id",
          "SELECT id, min(x) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), "
          "max(s) OVER (ORDER BY id ROWS BETWEEN 3 FOLLOWING AND 5 FOLLOWING) FROM t ORDER BY id")


def test_frame_exclusion():
    check(T,
          "SELECT id, group_concat(s) OVER (ORDER BY g, id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING "
          "EXCLUDE CURRENT ROW) FROM t ORDER BY id",
          "SELECT id, count(*) OVER (ORDER BY g GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING EXCLUDE GROUP), "
          "sum(id) OVER (ORDER BY g RANGE UNBOUNDED PRECEDING EXCLUDE TIES), "
          "first_value(s) OVER (ORDER BY g, id ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING EXCLUDE CURRENT ROW) "
          "FROM t ORDER BY id")


def test_sliding_sum_stays_real_once_a_real_was_seen():
    # SQLite's sum() window remembers that a REAL went through the frame.
    check("SELECT id, x, typeof(sum(x) OVER (ORDER BY id ROWS 1 PRECEDING)), "
          "sum(x) OVER (ORDER BY id ROWS 1 PRECEDING) FROM "
          "(SELECT 1 AS id, 1 AS x UNION ALL SELECT 2, 2.5 UNION ALL SELECT 3, 3 UNION ALL SELECT 4, 4) "
          "ORDER BY id")


def test_filter_clause():
    check(COMPANY,
          "SELECT name, count(*) FILTER (WHERE bonus > 0) OVER (ORDER BY id), "
          "sum(salary) FILTER (WHERE dept_id = 1) OVER (PARTITION BY boss_id) FROM emp ORDER BY id")


def test_named_windows():
    check(T,
          "SELECT id, count(*) OVER w, sum(id) OVER (w ROWS 1 PRECEDING) FROM t "
          "WINDOW w AS (ORDER BY x, id) ORDER BY id",
          "SELECT id, row_number() OVER (w ORDER BY id DESC) FROM t WINDOW w AS (PARTITION BY g) ORDER BY id",
          "SELECT id, rank() OVER b2 FROM t WINDOW b1 AS (PARTITION BY g), b2 AS (b1 ORDER BY x) ORDER BY id",
          # "window" and "over" stay usable as names.
          "SELECT sum(x) over FROM t",
          "SELECT sum(x) OVER over FROM t WINDOW over AS ()")


def test_window_over_aggregates_and_groups():
    check(COMPANY,
          "SELECT dept_id, sum(salary), rank() OVER (ORDER BY sum(salary) DESC) FROM emp "
          "GROUP BY dept_id ORDER BY dept_id",
          "SELECT dept_id, count(*), sum(count(*)) OVER (ORDER BY dept_id) FROM emp GROUP BY dept_id "
          "HAVING count(*) > 1 ORDER BY dept_id",
          "SELECT count(*), row_number() OVER () FROM emp",
          "SELECT count(*), row_number() OVER () FROM emp WHERE 0",
          "SELECT sum(sum(salary)) OVER () FROM emp GROUP BY dept_id")


def test_window_results_in_order_by_distinct_limit_and_subqueries():
    check(COMPANY,
          "SELECT name FROM emp ORDER BY row_number() OVER (ORDER BY salary DESC, id) LIMIT 3",
          "SELECT DISTINCT dept_id, count(*) OVER (PARTITION BY dept_id) FROM emp ORDER BY 1",
          "SELECT name, r FROM (SELECT name, rank() OVER (ORDER BY salary DESC) AS r FROM emp) "
          "WHERE r <= 2 ORDER BY r, name",
          "WITH ranked AS (SELECT dept_id, name, row_number() OVER (PARTITION BY dept_id ORDER BY salary DESC, id)"
          " AS n FROM emp) SELECT dept_id, name FROM ranked WHERE n = 1 ORDER BY dept_id",
          "SELECT name, (SELECT count(*) OVER () FROM dept LIMIT 1) FROM emp ORDER BY id",
          "SELECT row_number() OVER ()",
          unordered("SELECT id, rank() OVER (ORDER BY city) FROM dept UNION ALL SELECT id, 0 FROM proj"))


def test_windows_in_views_and_inserts():
    check(COMPANY,
          "CREATE VIEW ranks AS SELECT name, dense_rank() OVER (ORDER BY salary DESC) AS r FROM emp",
          "SELECT * FROM ranks ORDER BY r, name",
          "CREATE TABLE top(name, r)",
          "INSERT INTO top SELECT name, rank() OVER (ORDER BY salary DESC) FROM emp",
          "SELECT * FROM top ORDER BY r, name")


def test_mixed_types_in_partitions_and_order():
    check(MIXED,
          "SELECT id, rank() OVER (ORDER BY v), count(*) OVER (PARTITION BY typeof(v)), "
          "min(v) OVER (ORDER BY id ROWS 3 PRECEDING), max(v) OVER (PARTITION BY typeof(v) ORDER BY id) "
          "FROM m ORDER BY id")


def test_errors_match_sqlite():
    check(T,
          "SELECT row_number() FROM t",
          "SELECT abs(x) OVER () FROM t",
          "SELECT count(DISTINCT x) OVER () FROM t",
          "SELECT row_number() FILTER (WHERE x) OVER () FROM t",
          "SELECT x FROM t WHERE row_number() OVER () > 1",
          "SELECT g FROM t GROUP BY g HAVING row_number() OVER () > 1",
          "SELECT sum(row_number() OVER ()) FROM t",
          "SELECT lag(row_number() OVER ()) OVER () FROM t",
          "SELECT count(*) OVER (w ORDER BY id) FROM t WINDOW w AS (ORDER BY x)",
          "SELECT count(*) OVER (w PARTITION BY id) FROM t WINDOW w AS (PARTITION BY g)",
          "SELECT count(*) OVER (w) FROM t WINDOW w AS (ORDER BY x ROWS 1 PRECEDING)",
          "SELECT count(*) OVER z FROM t WINDOW w AS (ORDER BY x)",
          "SELECT count(*) OVER (ORDER BY x ROWS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM t",
          "SELECT count(*) OVER (ORDER BY x, id RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
          "SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM t",
          "SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN id PRECEDING AND CURRENT ROW) FROM t",
          "SELECT sum(x) OVER (ORDER BY id RANGE BETWEEN 'a' PRECEDING AND CURRENT ROW) FROM t",
          "SELECT ntile(0) OVER (ORDER BY id) FROM t",
          "SELECT nth_value(x, 0) OVER (ORDER BY id) FROM t",
          "SELECT lag() OVER () FROM t",
          "SELECT nosuch(x) OVER () FROM t",
          "CREATE TABLE bad(a CHECK (row_number() OVER () > 0))")


def test_error_messages_are_sqlites():
    con = terndb.connect(":memory:")
    con.execute("CREATE TABLE t(x)")
    for sql, msg in [
        ("SELECT x FROM t WHERE row_number() OVER () > 1", "misuse of window function row_number()"),
        ("SELECT count(*) OVER z FROM t", "no such window: z"),
        ("SELECT abs(x) OVER () FROM t", "abs() may not be used as a window function"),
        ("SELECT count(*) OVER (ORDER BY x ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM t",
         "unsupported frame specification"),
    ]:
        try:
            con.execute(sql)
        except terndb.ProgrammingError as e:
            assert msg in str(e), (sql, str(e))
        else:
            raise AssertionError(f"no error for {sql}")
    con.execute("INSERT INTO t VALUES (1)")
    try:
        con.execute("SELECT ntile(0) OVER () FROM t").fetchall()
    except terndb.DataError as e:
        assert "argument of ntile must be a positive integer" in str(e)
    else:
        raise AssertionError("ntile(0) did not fail")


def test_large_partition_sliding_frames_are_linear():
    # 20k rows through sliding and shrinking frames: fast only if frames are
    # updated incrementally rather than recomputed per row.
    import time
    con = terndb.connect(":memory:")
    con.execute("CREATE TABLE big(id INTEGER PRIMARY KEY, v INTEGER)")
    con.executemany("INSERT INTO big(v) VALUES (?)", [((i * 7919) % 1000,) for i in range(20000)])
    t0 = time.perf_counter()
    rows = con.execute("SELECT sum(v) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING), "
                       "max(v) OVER (ORDER BY id ROWS BETWEEN 100 PRECEDING AND 100 FOLLOWING) "
                       "FROM big").fetchall()
    elapsed = time.perf_counter() - t0
    total = sum((i * 7919) % 1000 for i in range(20000))
    assert rows[0][0] == total and len(rows) == 20000
    assert elapsed < 10, f"took {elapsed:.1f}s"
