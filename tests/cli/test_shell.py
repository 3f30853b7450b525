"""The terndb shell, run as a real subprocess on databases in tmp_path."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

import terndb

SETUP = [
    "-c", "CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT, score REAL, note TEXT)",
    "-c", "INSERT INTO people VALUES (1, 'Ada', 9.5, 'likes, commas'), "
          "(2, 'Bob \"B\"', 7.0, NULL), (3, 'Zoë', 10.25, '')",
    "-c", "CREATE INDEX people_name ON people(name)",
    "-c", "CREATE VIEW top AS SELECT name FROM people WHERE score > 8",
]


def make_people_db(path: Path) -> None:
    """Create the sample database in-process (setup only; the shell is what is tested)."""
    con = terndb.connect(str(path), isolation_level=None)
    try:
        for sql in SETUP[1::2]:
            con.execute(sql)
    finally:
        con.close()


@pytest.fixture
def db(tmp_path: Path) -> str:
    make_people_db(tmp_path / "people.db")
    return "people.db"


def test_setup_through_the_shell(run):
    proc = run.shell("people.db", *SETUP, "-c", "SELECT count(*) FROM people")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "3\n", "")


# ------------------------------------------------------------ running SQL

def test_version(run):
    proc = run("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == terndb.__version__


def test_command_option_runs_sql_and_exits(run, db):
    proc = run.shell(db, "-c", "SELECT id, name FROM people ORDER BY id",
                     "--command", "SELECT count(*) FROM people")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == '1|Ada\n2|Bob "B"\n3|Zoë\n3\n'
    assert proc.stderr == ""


def test_without_subcommand_means_shell(run, db):
    proc = run(db, "-c", "SELECT name FROM people WHERE id = 1")
    assert (proc.returncode, proc.stdout) == (0, "Ada\n")
    # SQL given as extra arguments runs too, as with sqlite3.
    proc = run(db, "SELECT 1 + 1;", "SELECT 'x'")
    assert (proc.returncode, proc.stdout) == (0, "2\nx\n")


def test_statements_are_durable_across_processes(run, tmp_path):
    proc = run.shell("d.db", "-c", "CREATE TABLE t(x)", "-c", "INSERT INTO t VALUES (1), (2)")
    assert proc.returncode == 0, proc.stderr
    # Explicit transactions still work: a rolled-back insert leaves nothing behind.
    proc = run.shell("d.db", input="BEGIN;\nINSERT INTO t VALUES (3);\nROLLBACK;\n"
                                    "BEGIN;\nINSERT INTO t VALUES (4);\nCOMMIT;\n")
    assert proc.returncode == 0, proc.stderr
    proc = run.shell("d.db", "-c", "SELECT group_concat(x) FROM (SELECT x FROM t ORDER BY x)")
    assert proc.stdout == "1,2,4\n"


def test_piped_script(run, db):
    script = """
-- a comment line is skipped
SELECT name
  FROM people   -- trailing comment; with a semicolon inside
 WHERE id = 1;
SELECT ';' AS semi; SELECT 'two
lines';
/* block
   comment */ SELECT 2;
CREATE TABLE log(msg TEXT);
CREATE TRIGGER people_log AFTER INSERT ON people BEGIN
  INSERT INTO log VALUES ('added ' || new.name);
  INSERT INTO log VALUES ('done');
END;
INSERT INTO people(name) VALUES ('Eve');
.headers on
SELECT msg FROM log ORDER BY rowid;
SELECT 42
"""
    proc = run.shell(db, input=script)
    assert proc.returncode == 0, proc.stderr
    # The last statement has no semicolon: it runs at end of input (header 42, value 42).
    assert proc.stdout == "Ada\n;\ntwo\nlines\n2\nmsg\nadded Eve\ndone\n42\n42\n"


def test_interactive_prompts(run, db):
    proc = run.shell(db, "-i", input="SELECT\n  1;\n.quit\n")
    assert proc.returncode == 0, proc.stderr
    assert "terndb> " in proc.stdout
    assert "   ...> " in proc.stdout
    assert "1\n" in proc.stdout
    assert 'Enter ".help"' in proc.stdout


# ----------------------------------------------------------------- modes

MODE_SQL = "SELECT id, name, score, note FROM people ORDER BY id"


@pytest.fixture(scope="module")
def modes_output(tmp_path_factory) -> dict[str, str]:
    """One shell run printing the query in every mode, split by marker lines."""
    from .conftest import Runner
    run = Runner(tmp_path_factory.mktemp("modes"))
    db = "people.db"
    make_people_db(run.cwd / db)
    lines = [".headers on"]
    for mode in ("list", "csv", "column", "box", "markdown", "json", "line", "table", "tabs",
                 "insert", "quote", "html"):
        lines += [f".print @@{mode}", f".mode {mode}", MODE_SQL + ";"]
    proc = run.shell(db, "-nullvalue", "∅", input="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    parts = re.split(r"^@@(\w+)\n", proc.stdout, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_mode_list(modes_output):
    assert modes_output["list"] == (
        "id|name|score|note\n1|Ada|9.5|likes, commas\n2|Bob \"B\"|7.0|∅\n3|Zoë|10.25|\n")


def test_mode_csv(modes_output):
    out = modes_output["csv"]
    assert out.startswith("id,name,score,note\r\n")
    assert '"likes, commas"' in out and '"Bob ""B"""' in out
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows == [["id", "name", "score", "note"], ["1", "Ada", "9.5", "likes, commas"],
                    ["2", 'Bob "B"', "7.0", "∅"], ["3", "Zoë", "10.25", ""]]


def test_mode_tabs(modes_output):
    assert modes_output["tabs"].splitlines()[1] == "1\tAda\t9.5\tlikes, commas"


def test_mode_column_aligns(modes_output):
    lines = modes_output["column"].splitlines()
    assert lines[0].split() == ["id", "name", "score", "note"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    # Every column starts at the same offset on every line.
    starts = [m.start() for m in re.finditer(r"-+", lines[1])]
    assert lines[2][starts[1]:].startswith("Ada")
    assert lines[3][starts[1]:].startswith('Bob "B"')
    assert lines[4][starts[1]:].startswith("Zoë")
    # Numbers are right-aligned: they end where the dashes end.
    score_end = starts[2] + len(re.findall(r"-+", lines[1])[2])
    assert lines[2][:score_end].endswith("9.5") and lines[4][:score_end].endswith("10.25")
    assert "∅" in lines[3]


def test_mode_box(modes_output):
    lines = modes_output["box"].splitlines()
    assert lines[0].startswith("┌") and lines[0].endswith("┐")
    assert lines[2].startswith("├") and lines[-1].startswith("└")
    assert lines[3].startswith("│ ") and "Ada" in lines[3]
    assert len({len(line) for line in lines}) == 1      # a rectangle
    assert [c.strip() for c in lines[1].strip("│").split("│")] == ["id", "name", "score", "note"]


def test_mode_table(modes_output):
    lines = modes_output["table"].splitlines()
    assert lines[0] == lines[2] == lines[-1]
    assert re.fullmatch(r"(\+-+)+\+", lines[0])
    assert lines[3].startswith("|  1 | Ada ")


def test_mode_markdown(modes_output):
    lines = modes_output["markdown"].splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")] == ["id", "name", "score", "note"]
    assert re.fullmatch(r"\|[-:|]+\|", lines[1])
    assert lines[2].startswith("|  1 | Ada")
    assert len(lines) == 5


def test_mode_json(modes_output):
    data = json.loads(modes_output["json"])
    assert data == [
        {"id": 1, "name": "Ada", "score": 9.5, "note": "likes, commas"},
        {"id": 2, "name": 'Bob "B"', "score": 7.0, "note": None},
        {"id": 3, "name": "Zoë", "score": 10.25, "note": ""},
    ]


def test_mode_line(modes_output):
    records = modes_output["line"].strip("\n").split("\n\n")
    assert len(records) == 3
    assert records[0].splitlines() == ["   id = 1", " name = Ada", "score = 9.5", " note = likes, commas"]


def test_mode_insert_and_quote(modes_output, run, tmp_path):
    ins = modes_output["insert"].splitlines()
    assert ins[0] == "INSERT INTO \"table\"(id,name,score,note) VALUES(1,'Ada',9.5,'likes, commas');"
    assert ins[1] == "INSERT INTO \"table\"(id,name,score,note) VALUES(2,'Bob \"B\"',7.0,NULL);"
    assert modes_output["quote"].splitlines()[3] == "3,'Zoë',10.25,''"


def test_mode_html(modes_output):
    assert "<TR><TH>id</TH>" in modes_output["html"]
    assert "<TD>Bob &quot;B&quot;</TD>" in modes_output["html"]


def test_mode_options_and_empty_results(run, db):
    proc = run.shell(db, "--json", "-c", "SELECT * FROM people WHERE 0")
    assert proc.stdout == "[]\n"
    proc = run.shell(db, "-csv", "-header", "-c", "SELECT id FROM people WHERE id < 3")
    assert proc.stdout == "id\r\n1\r\n2\r\n"
    proc = run.shell(db, "-c", ".mode nonsense")
    assert proc.returncode == 1 and "Error: unknown mode" in proc.stderr


# ------------------------------------------------------------ dot commands

def test_tables_schema_indexes(run, db):
    proc = run.shell(db, "-c", "CREATE TABLE zeta(a)", "-c", ".tables", "-c", ".tables p%",
                     "-c", ".schema people", "-c", ".indexes", "-c", ".schema")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0].split() == ["people", "top", "zeta"]
    assert out[1] == "people"
    assert out[2] == "CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT, score REAL, note TEXT);"
    assert out[3] == "CREATE INDEX people_name ON people(name);"
    assert out[4] == "people_name"
    assert "CREATE VIEW top AS SELECT name FROM people WHERE score > 8;" in out[5:]
    assert "CREATE TABLE zeta(a);" in out[5:]


def test_import_csv_creates_table(run, tmp_path):
    (tmp_path / "in.csv").write_text(
        'name,city,"quote, ""q"""\n'
        '"Smith, John",Oslo,"He said ""hi"""\n'
        'Ann,"New\nYork",\n'
        'Bo,Lima,x\n', encoding="utf-8")
    proc = run.shell("imp.db", "-c", ".import in.csv folks", "-c", ".mode json",
                     "-c", "SELECT * FROM folks ORDER BY rowid")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Imported 3 rows into folks\n")
    rows = json.loads(proc.stdout.split("\n", 1)[1])
    assert rows == [
        {"name": "Smith, John", "city": "Oslo", 'quote, "q"': 'He said "hi"'},
        {"name": "Ann", "city": "New\nYork", 'quote, "q"': ""},
        {"name": "Bo", "city": "Lima", 'quote, "q"': "x"},
    ]
    proc = run.shell("imp.db", "-c", "PRAGMA table_info(folks)")
    assert [line.split("|")[2] for line in proc.stdout.splitlines()] == ["TEXT"] * 3


def test_import_into_existing_table(run, tmp_path):
    (tmp_path / "nums.csv").write_text("n,label\n1,one\n2,two\n3\n", encoding="utf-8")
    proc = run.shell("n.db", "-c", "CREATE TABLE nums(n INTEGER, label TEXT)",
                     "-c", ".import --skip 1 nums.csv nums",
                     "-c", "SELECT n, typeof(n), quote(label) FROM nums")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Imported 3 rows into nums\n1|integer|'one'\n2|integer|'two'\n3|integer|NULL\n"
    assert "expected 2 columns but found 1" in proc.stderr
    # A failing row rolls the whole import back.
    (tmp_path / "bad.csv").write_text("7,seven\n8,eight\n", encoding="utf-8")
    proc = run.shell("n.db", "-c", "CREATE UNIQUE INDEX nums_n ON nums(n)",
                     "-c", "INSERT INTO nums VALUES (8, 'dup')",
                     "-c", ".import bad.csv nums")
    assert proc.returncode == 1
    assert "Error: bad.csv:2:" in proc.stderr and "UNIQUE" in proc.stderr
    run.no_traceback(proc)
    proc = run.shell("n.db", "-c", "SELECT count(*) FROM nums")
    assert proc.stdout == "4\n"


def test_dump_round_trip(run, tmp_path):
    setup = [
        "-c", "CREATE TABLE t(id INTEGER PRIMARY KEY, txt TEXT, r REAL, b BLOB, any)",
        "-c", "INSERT INTO t VALUES (1, 'it''s', 0.1, x'00ff', NULL), "
              "(2, 'line1' || char(10) || 'line2' || char(13), -1.5e300, NULL, 7), "
              "(3, 'back\\n slash', 1e999, x'', 'txt'), (4, '', 3.0, NULL, 2.5)",
        "-c", "CREATE TABLE \"odd name\"(\"select\" TEXT, v)",
        "-c", "INSERT INTO \"odd name\" VALUES ('x', 1), (NULL, NULL)",
        "-c", "CREATE INDEX t_txt ON t(txt)",
        "-c", "CREATE VIEW v AS SELECT id, txt FROM t WHERE id > 1",
        "-c", "CREATE TABLE audit(msg)",
        "-c", "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO audit VALUES (new.id); END",
    ]
    proc = run.shell("a.db", *setup, "-c", ".dump")
    assert proc.returncode == 0, proc.stderr
    dump = proc.stdout
    assert dump.startswith("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n")
    assert dump.endswith("COMMIT;\n")
    assert "INSERT INTO \"odd name\" VALUES('x',1);" in dump
    (tmp_path / "a.sql").write_text(dump, encoding="utf-8")
    # Load the dump into new databases through the shell (stdin and .read).
    load = run.shell("b.db", input=dump)
    assert load.returncode == 0, load.stderr
    load = run.shell("c.db", "-c", ".read a.sql")
    assert load.returncode == 0, load.stderr
    check = ["-c", ".mode quote", "-c", "SELECT * FROM t ORDER BY id",
             "-c", "SELECT *, typeof(v) FROM \"odd name\" ORDER BY rowid",
             "-c", "SELECT * FROM v", "-c", "SELECT count(*) FROM audit",
             "-c", "SELECT typeof(r), typeof(b), length(txt) FROM t ORDER BY id",
             "-c", "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name",
             "-c", ".dump"]
    want = run.shell("a.db", *check)
    assert want.returncode == 0, want.stderr
    # The values keep their types; the trigger did not fire while loading.
    assert "'real','blob',4\n'real','null',12\n'real','blob',12\n'real','null',0\n" in want.stdout
    assert "\n0\n" in want.stdout
    assert want.stdout.endswith(dump)
    for other in ("b.db", "c.db"):
        got = run.shell(other, *check)
        assert got.returncode == 0, got.stderr
        assert got.stdout == want.stdout


def test_output_once_and_read(run, tmp_path):
    (tmp_path / "script.sql").write_text(".mode csv\nSELECT 1, 'a';\n", encoding="utf-8")
    proc = run.shell(":memory:", input=(
        ".output out.txt\nSELECT 'to file';\n.output\nSELECT 'to stdout';\n"
        ".once once.txt\nSELECT 'once';\nSELECT 'after once';\n"
        ".read script.sql\n"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "to stdout\nafter once\n1,a\r\n"
    assert (tmp_path / "out.txt").read_text() == "to file\n"
    assert (tmp_path / "once.txt").read_text() == "once\n"


def test_timer_and_changes(run, db):
    proc = run.shell(db, input=".timer on\n.changes on\nUPDATE people SET score = score + 1;\n"
                               "SELECT count(*) FROM people;\n.timer off\nSELECT 1;\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "changes: 3   total_changes: 3"
    assert re.fullmatch(r"Run Time: real \d+\.\d{3} sec", lines[1])
    assert lines[2] == "3"
    assert re.fullmatch(r"Run Time: real \d+\.\d{3} sec", lines[3])
    assert lines[4:] == ["1"]


def test_explain_query_plan_tree(run, db):
    proc = run.shell(db, "-c", "EXPLAIN QUERY PLAN SELECT * FROM people WHERE name = 'Ada'")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "QUERY PLAN"
    assert lines[1].startswith("`--") and "people" in lines[1]
    proc = run.shell(db, "-c", ".explain off", "-c",
                     "EXPLAIN QUERY PLAN SELECT * FROM people WHERE name = 'Ada'")
    assert proc.stdout.startswith("1|0|0|")


def test_open_and_misc_commands(run, tmp_path):
    proc = run.shell(":memory:", input=(
        "CREATE TABLE m(x);\n.open other.db\nCREATE TABLE o(y);\n.tables\n"
        ".print hello \"quoted\\tword\"\n.show\n.databases\n.help tables\n"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0] == "o"
    assert out[1] == "hello quoted\tword"
    assert any(line.strip().startswith("mode: list") for line in out)
    assert any(line.startswith("main: ") and line.endswith("other.db r/w") for line in out)
    assert out[-1].startswith(".tables")
    assert (tmp_path / "other.db").exists()


# ------------------------------------------------------------------ errors

def test_error_in_command_exit_status(run, db):
    proc = run.shell(db, "-c", "SELECT * FROM missing", "-c", "SELECT 'not reached'")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("Error: no such table: missing")
    run.no_traceback(proc)


def test_error_in_script_continues_but_fails(run, db):
    script = "SELECT 1;\nSELEKT 2;\nSELECT 3;\n"
    proc = run.shell(db, input=script)
    assert proc.returncode == 1
    assert proc.stdout == "1\n3\n"
    assert proc.stderr.startswith("Error: near line 2: ")
    assert 'near "SELEKT": syntax error' in proc.stderr
    assert "^" in proc.stderr                   # the caret line is printed as is
    run.no_traceback(proc)
    proc = run.shell(db, "-bail", input=script)
    assert (proc.returncode, proc.stdout) == (1, "1\n")
    proc = run.shell(db, input="SELECT 1;\n.exit 3\nSELECT 2;\n")
    assert (proc.returncode, proc.stdout) == (3, "1\n")


def test_constraint_error_and_bad_dot_commands(run, db):
    proc = run.shell(db, input=(
        "INSERT INTO people(id, name) VALUES (1, 'again');\n"
        ".nosuchcommand\n.import\n.read missing.sql\n.headers maybe\nSELECT 'still running';\n"))
    assert proc.returncode == 1
    assert proc.stdout == "still running\n"
    err = proc.stderr
    assert "Error: near line 1: UNIQUE constraint failed" in err or "Error: near line 1:" in err
    assert 'Error: unknown command or invalid arguments: "nosuchcommand"' in err
    assert "Error: usage: .import" in err
    assert 'Error: cannot open "missing.sql"' in err
    assert "Error: not a boolean value" in err
    run.no_traceback(proc)


def test_unopenable_database(run, tmp_path):
    (tmp_path / "junk.db").write_bytes(b"this is not a database" * 500)
    proc = run.shell("junk.db", "-c", "SELECT 1")
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: ")
    run.no_traceback(proc)


# -------------------------------------------------------------------- demo

def test_demo_runs_examples_and_exits(run, tmp_path):
    proc = run(module="terndb.cli.demo")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "build" / "demo.terndb").exists()
    out = proc.stdout
    assert "Best sellers" in out and "Revenue by genre" in out
    assert "┌" in out and "QUERY PLAN" in out
    assert proc.stderr == ""
    # The second run reuses the database and prints the same results.
    again = run(module="terndb.cli.demo")
    assert again.returncode == 0
    assert again.stdout.replace(" (freshly built)", "") == out.replace(" (freshly built)", "")
    proc = run.shell("build/demo.terndb", "-c", "SELECT count(*) FROM authors",
                     "-c", "SELECT count(*) FROM books", "-c", "SELECT count(*) FROM sales")
    assert proc.stdout == "30\n120\n450\n"
