"""SQL that SQLite accepts but TernDB does not implement yet: each must fail with a
NotSupportedError that names the feature, never with a wrong result or a crash.

When one of these gets implemented, move its case to the parity tests.
"""

from __future__ import annotations

import pytest

import terndb

SETUP = [
    "CREATE TABLE a(x, y)", "CREATE TABLE b(x, w)", "CREATE TABLE c(z)",
    "INSERT INTO a VALUES (1, 'a'), (3, 'c')", "INSERT INTO b VALUES (1, 'one'), (5, 'five')",
    "CREATE VIEW v AS SELECT x FROM a",
]

CASES = [
    ("SELECT * FROM a JOIN c FULL JOIN b ON a.x = b.x", "FULL JOIN"),
    ("UPDATE a SET y = 1 FROM b ORDER BY a.x LIMIT 1", "ORDER BY or LIMIT"),
    ("CREATE INDEX ip ON a(x) WHERE x > 1", "partial indexes"),
    ("CREATE INDEX ie ON a(lower(y))", "indexes on expressions"),
    ("CREATE TABLE g(p, q AS (p * 2))", "generated columns"),
    ("CREATE TRIGGER tv INSTEAD OF INSERT ON v BEGIN SELECT 1; END", "INSTEAD OF triggers"),
    ("CREATE TEMP TABLE tt(x)", "TEMP"),
    ("CREATE TEMP TRIGGER tt2 AFTER INSERT ON a BEGIN SELECT 1; END", "TEMP"),
    ("SELECT * FROM a JOIN c RIGHT JOIN b ON a.x = b.x", "RIGHT JOIN"),
    ("UPDATE a SET (x, y) = (SELECT x, w FROM b)", "assignments"),
    ("ATTACH 'other.db' AS o", "ATTACH"),
]


@pytest.mark.parametrize("sql, feature", CASES, ids=[f for _, f in CASES])
def test_unsupported_sql_fails_clearly(sql: str, feature: str) -> None:
    con = terndb.connect(":memory:")
    for s in SETUP:
        con.execute(s)
    con.commit()
    before = con.execute("SELECT * FROM a ORDER BY x").fetchall()
    with pytest.raises((terndb.NotSupportedError, terndb.ProgrammingError)) as ei:
        con.execute(sql)
    assert "support" in str(ei.value)
    # Nothing changed and the connection is still usable.
    assert con.execute("SELECT * FROM a ORDER BY x").fetchall() == before
    con.close()
