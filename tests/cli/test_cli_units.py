"""In-process unit tests of the shell's building blocks (fast, no subprocess)."""

from __future__ import annotations

import io

import pytest

import terndb
from terndb.cli.complete import is_blank, is_complete, split_statements
from terndb.cli.main import main
from terndb.cli.render import Renderer, Settings, format_real, query_plan_tree, quote_ident, \
    sql_literal
from terndb.cli.shell import split_args


@pytest.mark.parametrize("sql, complete", [
    ("SELECT 1", False),
    ("SELECT 1;", True),
    ("SELECT 1;  -- done", True),
    ("SELECT ';'", False),
    ("SELECT 'a;b';", True),
    ('SELECT "a;b" FROM t;', True),
    ("SELECT [a;b];", True),
    ("SELECT 'it''s';", True),
    ("SELECT 'unterminated;", False),
    ("SELECT 1; /* open comment", False),
    ("SELECT 1; /* closed */", True),
    ("SELECT 1 -- comment;", False),
    ("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;", False),
    ("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;", True),
    ("CREATE TEMP TRIGGER t AFTER INSERT ON x BEGIN\n SELECT CASE WHEN 1 THEN 2 END;\nEND;", True),
    ("CREATE TABLE end(a);", True),
    ("", False),
])
def test_is_complete(sql, complete):
    assert is_complete(sql) is complete


def test_split_statements():
    text = "SELECT 1; ;\n-- note\nSELECT 2;CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END; SELECT 3"
    stmts, rest = split_statements(text)
    assert [s.text for s in stmts] == [
        "SELECT 1;", "SELECT 2;", "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;"]
    assert text[stmts[1].offset:].startswith("SELECT 2;")
    assert rest is not None and rest.text == "SELECT 3"
    assert split_statements("  -- only a comment\n")[1] is None
    assert is_blank(" -- x\n /* y */ ") and not is_blank("/* open") and not is_blank("x")


def test_split_args():
    assert split_args(r'''mode csv "a b" 'c\td' "e\tf" g''') == ["mode", "csv", "a b", r"c\td", "e\tf", "g"]


@pytest.mark.parametrize("value, text", [
    (1.0, "1.0"), (0.1 + 0.2, "0.3"), (1e20, "1.0e+20"), (1.5e-7, "1.5e-07"), (-2.5, "-2.5"),
    (float("inf"), "Inf"), (123456789.125, "123456789.125"),
])
def test_format_real(value, text):
    assert format_real(value) == text


def test_sql_literals_read_back_identically():
    con = terndb.connect(":memory:")
    values = [None, 0, -9223372036854775808, 0.1, -0.0, 1e300, float("inf"), "", "it's",
              "a\nb\r\nc", "has \\n already\n", b"", b"\x00\xff", "Zoë ✓"]
    for v in values:
        got = con.execute("SELECT " + sql_literal(v)).fetchone()[0]
        assert got == v and type(got) is type(v), (v, got)
    assert sql_literal(float("nan")) == "NULL"
    assert "\n" not in sql_literal("a\nb\rc")


def test_quote_ident():
    assert quote_ident("plain_name") == "plain_name"
    assert quote_ident("select") == '"select"'
    assert quote_ident('odd "name"') == '"odd ""name"""'


def test_query_plan_tree():
    rows = [(1, 0, 0, "SCAN a"), (2, 0, 0, "CORRELATED SUBQUERY 2"), (3, 2, 0, "SEARCH b"),
            (4, 2, 0, "SCAN c"), (5, 0, 0, "USE TEMP B-TREE FOR ORDER BY")]
    assert query_plan_tree(rows) == [
        "QUERY PLAN",
        "|--SCAN a",
        "|--CORRELATED SUBQUERY 2",
        "|  |--SEARCH b",
        "|  `--SCAN c",
        "`--USE TEMP B-TREE FOR ORDER BY",
    ]


def test_box_handles_wide_and_multiline_cells():
    s = Settings()
    s.set_mode("box")
    out = io.StringIO()
    Renderer(s).write(out, ["k", "v"], [(1, "漢字"), (22, "two\nlines"), (None, None)])
    lines = out.getvalue().splitlines()
    widths = set()
    for line in lines:
        widths.add(sum(2 if ch in "漢字" else 1 for ch in line))
    assert len(widths) == 1
    assert any("two" in line for line in lines) and any("lines" in line for line in lines)


def test_main_help_and_usage_errors(capsys):
    assert main(["--help"]) == 0
    assert "shell" in capsys.readouterr().out
    assert main(["shell", "--no-such-option"]) == 2
    assert "usage:" in capsys.readouterr().err


def test_main_in_process(tmp_path, capsys):
    db = str(tmp_path / "x.db")
    assert main([db, "-c", "CREATE TABLE t(a)", "-c", "INSERT INTO t VALUES (1)"]) == 0
    assert main(["shell", db, "--json", "-c", "SELECT a FROM t"]) == 0
    assert capsys.readouterr().out == '[{"a":1}]\n'
    assert main([db, "-c", "SELECT nope FROM t"]) == 1
    assert capsys.readouterr().err.startswith("Error: no such column: nope")
