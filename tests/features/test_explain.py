"""EXPLAIN QUERY PLAN: TernDB-specific output (no oracle); it must run, return rows,
and mention the tables the query reads."""

import pytest
import terndb

SCHEMA = [
    "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL)",
    "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)",
    "CREATE INDEX orders_customer ON orders(customer_id)",
    "INSERT INTO customers VALUES (1, 'a'), (2, 'b')",
    "INSERT INTO orders VALUES (1, 1, 9.5), (2, 2, 3.0), (3, 1, 1.0)",
]


@pytest.fixture
def conn():
    c = terndb.connect(":memory:")
    for s in SCHEMA:
        c.execute(s)
    yield c
    c.close()


def plan_text(conn, sql):
    rows = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
    assert rows, "EXPLAIN QUERY PLAN returned no rows"
    return " ".join(" ".join(str(v) for v in tuple(r)) for r in rows)


@pytest.mark.parametrize("sql, tables", [
    ("SELECT * FROM orders", ["orders"]),
    ("SELECT * FROM orders WHERE id = 2", ["orders"]),
    ("SELECT * FROM orders WHERE customer_id = 1", ["orders"]),
    ("SELECT c.name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id", ["customers", "orders"]),
    ("SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders)", ["customers", "orders"]),
    ("SELECT customer_id, sum(total) FROM orders GROUP BY customer_id ORDER BY 2", ["orders"]),
    ("SELECT * FROM customers LEFT JOIN orders ON orders.customer_id = customers.id", ["customers", "orders"]),
])
def test_explain_query_plan_mentions_tables(conn, sql, tables):
    text = plan_text(conn, sql)
    for t in tables:
        assert t in text, f"plan for {sql!r} does not mention {t!r}: {text!r}"


def test_explain_query_plan_row_shape(conn):
    cur = conn.execute("EXPLAIN QUERY PLAN SELECT * FROM orders WHERE customer_id = 2")
    rows = cur.fetchall()
    assert rows
    assert cur.description is not None
    assert all(len(tuple(r)) == len(cur.description) for r in rows)


def test_explain_query_plan_with_parameters(conn):
    rows = conn.execute("EXPLAIN QUERY PLAN SELECT * FROM orders WHERE customer_id = ?", (1,)).fetchall()
    assert rows


def test_explain_query_plan_does_not_execute_dml(conn):
    text = plan_text(conn, "DELETE FROM orders WHERE total < 5")
    assert "orders" in text
    assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 3


def test_explain_query_plan_unknown_table_fails(conn):
    with pytest.raises(terndb.Error):
        conn.execute("EXPLAIN QUERY PLAN SELECT * FROM nosuch").fetchall()
