"""The SQL front end: tokens, precedence, statement shapes, error positions."""

from __future__ import annotations

import pytest

from terndb.errors import SQLError
from terndb.sql import ast as A
from terndb.sql.parser import parse, parse_expression, parse_one
from terndb.sql.tokens import tokenize


def test_tokens_literals_and_comments() -> None:
    toks = tokenize("SELECT 0x10, 1.5e3, 'it''s', x'00ff', \"q\"\"x\" -- c\n/* b */ ?3, :n")
    values = [t.value for t in toks if t.kind != "eof"]
    assert 16 in values and 1500.0 in values and "it's" in values and b"\x00\xff" in values
    assert 'q"x' in values and "?3" in values and ":n" in values


def test_sqlite_operator_precedence() -> None:
    e = parse_expression("NOT a = b AND c || d * - e")
    assert isinstance(e, A.Binary) and e.op == "AND"
    assert isinstance(e.left, A.Unary) and e.left.op == "NOT"
    assert isinstance(e.left.operand, A.Binary) and e.left.operand.op == "="
    right = e.right                           # || binds tighter than *
    assert right.op == "*" and right.left.op == "||"
    assert isinstance(right.right, A.Unary)
    e2 = parse_expression("a < b = c")      # < binds tighter than =
    assert e2.op == "=" and e2.left.op == "<"
    e3 = parse_expression("x NOT BETWEEN 1 AND 2 OR y IS NOT NULL")
    assert e3.op == "OR" and isinstance(e3.left, A.Between) and e3.left.negated


def test_min_int_literal_and_big_integers() -> None:
    assert parse_expression("-9223372036854775808") == A.Literal(-9223372036854775808)
    assert isinstance(parse_expression("9223372036854775808").value, float)


def test_parameters_slots_and_names() -> None:
    p = parse_one("SELECT ?, ?5, :a, :a, ?")
    assert p.param_count == 7
    assert p.param_names[5] == "a"        # after ?5, :a takes slot 6 (index 5)


def test_statements_parse() -> None:
    sqls = [
        "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY AUTOINCREMENT, n TEXT NOT NULL "
        "DEFAULT 'x' COLLATE NOCASE, c REAL CHECK (c > 0), UNIQUE(n, c) ON CONFLICT REPLACE)",
        "CREATE UNIQUE INDEX i ON t(n DESC, c)",
        "CREATE VIEW v(a, b) AS SELECT 1, 2",
        "CREATE TRIGGER tr AFTER UPDATE OF n ON t FOR EACH ROW WHEN new.c > 1 BEGIN "
        "INSERT INTO log VALUES (old.n); UPDATE t SET c = 0 WHERE id = new.id; END",
        "INSERT OR REPLACE INTO t(n) SELECT n FROM u ON CONFLICT(n) DO UPDATE SET c = excluded.c RETURNING *",
        "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 5) SELECT * FROM r",
        "SELECT a FROM t LEFT JOIN u USING (a) NATURAL JOIN w ORDER BY 1 DESC NULLS LAST LIMIT 2, 3",
        "ALTER TABLE t RENAME COLUMN a TO b", "ALTER TABLE t ADD COLUMN z INT DEFAULT 3",
        "SAVEPOINT s", "RELEASE SAVEPOINT s", "ROLLBACK TO s", "BEGIN IMMEDIATE", "END",
        "EXPLAIN QUERY PLAN SELECT 1", "PRAGMA table_info(t)", "VACUUM", "REINDEX",
    ]
    for sql in sqls:
        (parsed,) = parse(sql)
        assert parsed.statement is not None, sql


def test_script_with_several_statements() -> None:
    stmts = parse("CREATE TABLE t(x); ; INSERT INTO t VALUES (1);\n-- done\n")
    assert len(stmts) == 2


@pytest.mark.parametrize("sql, where", [
    ("SELECT * FORM t", 'near "FORM"'),
    ("SELECT 1 +", "incomplete input"),
    ("SELECT 'unterminated", "unterminated"),
    ("CREATE TABLE (x)", 'near "("'),
    ("SELECT x'0g'", "malformed blob"),
])
def test_syntax_errors_have_positions(sql: str, where: str) -> None:
    with pytest.raises(SQLError) as ei:
        parse(sql)
    assert where in str(ei.value)
    assert ei.value.line == 1 and ei.value.column >= 1
