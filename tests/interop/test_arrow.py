"""Arrow / Parquet interop: fetch_arrow, fetch_record_batches, load_arrow, load_parquet."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import time

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import terndb  # noqa: E402
from terndb.exec.runtime import to_text  # noqa: E402
from terndb.interop import fetch_arrow, fetch_record_batches, load_arrow, load_parquet  # noqa: E402

MIN_INT = -(2 ** 63)
MAX_INT = 2 ** 63 - 1


@pytest.fixture
def con():
    c = terndb.connect(":memory:")
    yield c
    c.close()


def rows(con, sql, params=()):
    return con.execute(sql, params).fetchall()


def dump(con, table):
    return rows(con, f'SELECT * FROM "{table}" ORDER BY rowid')


def typed_dump(con, table, cols):
    sel = ", ".join(f'typeof("{c}"), "{c}"' for c in cols)
    return rows(con, f'SELECT {sel} FROM "{table}" ORDER BY rowid')


# ----------------------------------------------------------------------------------------
# fetch: type inference per column
# ----------------------------------------------------------------------------------------

INTS = [0, 1, -1, MAX_INT, MIN_INT, MAX_INT - 1, MIN_INT + 1, 2 ** 53 + 1, None]
FLOATS = [0.0, 1.5, -2.25, 1e308, -1e308, 5e-324, math.inf, -math.inf, 0.1, None]
TEXTS = ["", "a", "ünïcødé ✓ 😀", "a\x00b", "x" * 5000, "'quoted' \"double\"", None]
BLOBS = [b"", b"\x00", b"\xff\xfe\x00\x01", bytes(range(256)), b"x" * 10000, None]


@pytest.mark.parametrize("decl,values,arrow_type", [
    ("INTEGER", INTS, "int64"),
    ("REAL", FLOATS, "double"),
    ("TEXT", TEXTS, "string"),
    ("BLOB", BLOBS, "binary"),
    ("", [None, None, None], "null"),
])
@pytest.mark.parametrize("batch_size", [65536, 1, 3])
def test_fetch_single_type_columns(con, decl, values, arrow_type, batch_size):
    con.execute(f"CREATE TABLE t(x {decl})")
    con.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    t = fetch_arrow(con, "SELECT x FROM t ORDER BY rowid", batch_size=batch_size)
    assert t.schema.names == ["x"]
    assert str(t.schema.field("x").type) == arrow_type
    assert t.num_rows == len(values)
    assert t.column("x").to_pylist() == values
    assert t.column("x").null_count == values.count(None)


def test_round_trip_every_type(con):
    """table -> Arrow -> new table gives the same values and storage classes."""
    n = max(len(INTS), len(FLOATS), len(TEXTS), len(BLOBS))

    def col(vals, i):
        return vals[i] if i < len(vals) else None
    src = [(col(INTS, i), col(FLOATS, i), col(TEXTS, i), col(BLOBS, i), None) for i in range(n)]
    con.execute("CREATE TABLE src(i INTEGER, f REAL, s TEXT, b BLOB, z)")
    con.executemany("INSERT INTO src VALUES (?, ?, ?, ?, ?)", src)
    con.commit()
    t = fetch_arrow(con, "SELECT * FROM src ORDER BY rowid")
    assert [str(x) for x in t.schema.types] == ["int64", "double", "string", "binary", "null"]
    assert load_arrow(con, "dst", t) == n
    cols = ["i", "f", "s", "b", "z"]
    assert typed_dump(con, "dst", cols) == typed_dump(con, "src", cols)
    info = rows(con, "PRAGMA table_info(dst)")
    assert [(r[1], r[2]) for r in info] == [("i", "INTEGER"), ("f", "REAL"), ("s", "TEXT"),
                                            ("b", "BLOB"), ("z", "")]
    # And once more through Arrow: identical tables.
    assert fetch_arrow(con, "SELECT * FROM dst ORDER BY rowid").equals(t)


def test_int64_edges_exact(con):
    con.execute("CREATE TABLE t(x INTEGER)")
    edges = [MIN_INT, MIN_INT + 1, -(2 ** 53) - 1, 2 ** 53 + 1, MAX_INT - 1, MAX_INT]
    con.executemany("INSERT INTO t VALUES (?)", [(v,) for v in edges])
    t = fetch_arrow(con, "SELECT x FROM t ORDER BY rowid")
    assert t.column(0).type == pa.int64()
    assert t.column(0).to_pylist() == edges
    load_arrow(con, "u", t)
    assert [r[0] for r in dump(con, "u")] == edges
    load_arrow(con, "u8", pa.table({"x": pa.array([0, 255], pa.uint8()),
                                    "y": pa.array([MAX_INT, 0], pa.uint64()),
                                    "z": pa.array([-128, 127], pa.int8())}))
    assert dump(con, "u8") == [(0, MAX_INT, -128), (255, 0, 127)]


def test_mixed_int_and_real_is_float64(con):
    con.execute("CREATE TABLE t(x)")
    vals = [1, 2.5, None, 2 ** 60, -3]
    con.executemany("INSERT INTO t VALUES (?)", [(v,) for v in vals])
    t = fetch_arrow(con, "SELECT x FROM t ORDER BY rowid")
    assert t.column(0).type == pa.float64()
    assert t.column(0).to_pylist() == [1.0, 2.5, None, float(2 ** 60), -3.0]


def test_truly_mixed_column_becomes_text_like_cast(con):
    con.execute("CREATE TABLE t(x)")
    vals = [1, "two", 3.0, None, b"blob", b"\xff\xfeA", -7, 1e20, 0.1, "", MAX_INT]
    con.executemany("INSERT INTO t VALUES (?)", [(v,) for v in vals])
    t = fetch_arrow(con, "SELECT x FROM t ORDER BY rowid")
    assert t.column(0).type == pa.string()
    got = t.column(0).to_pylist()
    assert got == [to_text(v) for v in vals]
    assert got[:4] == ["1", "two", "3.0", None]
    assert got[7] == "1.0e+20"
    # The same text the engine's own CAST(x AS TEXT) produces.
    assert got == [r[0] for r in rows(con, "SELECT CAST(x AS TEXT) FROM t ORDER BY rowid")]


@pytest.mark.parametrize("vals,arrow_type", [
    (["a", b"b"], pa.string()),
    ([1, b"b"], pa.string()),
    ([1.5, "x"], pa.string()),
    ([None, 1], pa.int64()),
    ([None, b"x"], pa.binary()),
])
def test_mixed_pairs(con, vals, arrow_type):
    con.execute("CREATE TABLE t(x)")
    con.executemany("INSERT INTO t VALUES (?)", [(v,) for v in vals])
    t = fetch_arrow(con, "SELECT x FROM t ORDER BY rowid")
    assert t.column(0).type == arrow_type


def test_widening_across_batches(con):
    """Batches widen monotonically; fetch_arrow equals a one-batch fetch."""
    con.execute("CREATE TABLE t(a, b, c, d)")
    data = [(None, 1, b"x", 1), (None, 2, b"y", 2),
            (1, 2.5, b"z", 3), (2, 3, "text", 4),
            (3.5, None, None, "four"), (None, 4, b"\xff", 5)]
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", data)
    batches = list(fetch_record_batches(con, "SELECT * FROM t ORDER BY rowid", batch_size=2))
    assert [b.num_rows for b in batches] == [2, 2, 2]
    types = [[str(t) for t in b.schema.types] for b in batches]
    assert types == [["null", "int64", "binary", "int64"],
                     ["int64", "double", "string", "int64"],
                     ["double", "double", "string", "string"]]
    whole = fetch_arrow(con, "SELECT * FROM t ORDER BY rowid")
    chunked = fetch_arrow(con, "SELECT * FROM t ORDER BY rowid", batch_size=2)
    assert chunked.schema == whole.schema
    assert chunked.to_pydict() == whole.to_pydict()
    assert whole.column("d").to_pylist() == ["1", "2", "3", "4", "four", "5"]
    assert whole.column("c").to_pylist() == ["x", "y", "z", "text", None, "\ufffd"]
    assert whole.column("b").to_pylist() == [1.0, 2.0, 2.5, 3.0, None, 4.0]


def test_empty_result_keeps_description(con):
    con.execute("CREATE TABLE t(a INTEGER, b TEXT)")
    t = fetch_arrow(con, "SELECT a, b, a + 1 AS c FROM t")
    assert t.num_rows == 0
    assert t.schema.names == ["a", "b", "c"]
    assert all(ty == pa.null() for ty in t.schema.types)
    batches = list(fetch_record_batches(con, "SELECT a, b FROM t WHERE 0"))
    assert len(batches) == 1 and batches[0].num_rows == 0
    assert batches[0].schema.names == ["a", "b"]
    # With an explicit schema the empty table is typed.
    schema = pa.schema([("a", pa.int64()), ("b", pa.string())])
    t = fetch_arrow(con, "SELECT a, b FROM t", schema=schema)
    assert t.schema == schema and t.num_rows == 0


def test_duplicate_and_odd_column_names(con):
    t = fetch_arrow(con, "SELECT 1 AS x, 'a' AS x, 2.5 AS \"we\"\"ird name\", NULL")
    assert t.schema.names == ["x", "x", 'we"ird name', "NULL"]
    assert [c.to_pylist() for c in t.columns] == [[1], ["a"], [2.5], [None]]


def test_params_cursor_and_row_factory(con):
    con.execute("CREATE TABLE t(a, b)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(i, str(i)) for i in range(10)])
    t = fetch_arrow(con, "SELECT a, b FROM t WHERE a >= ? ORDER BY a", (7,))
    assert t.to_pydict() == {"a": [7, 8, 9], "b": ["7", "8", "9"]}
    t = fetch_arrow(con, "SELECT a FROM t WHERE a < :n ORDER BY a", {"n": 2})
    assert t.column(0).to_pylist() == [0, 1]
    # An executed cursor, partly consumed: the rest of its rows.
    cur = con.execute("SELECT a FROM t ORDER BY a")
    assert cur.fetchone() == (0,)
    assert fetch_arrow(cur).column(0).to_pylist() == list(range(1, 10))
    # A cursor plus SQL.
    cur = con.cursor()
    assert fetch_arrow(cur, "SELECT count(*) AS n FROM t").to_pydict() == {"n": [10]}
    # A row factory does not change the Arrow result, and is left in place.
    con.row_factory = terndb.Row
    cur = con.execute("SELECT a, b FROM t ORDER BY a LIMIT 2")
    assert fetch_arrow(cur).to_pydict() == {"a": [0, 1], "b": ["0", "1"]}
    assert cur.row_factory is terndb.Row
    assert fetch_arrow(con, "SELECT a FROM t ORDER BY a LIMIT 1").to_pydict() == {"a": [0]}


def test_fetch_errors(con):
    con.execute("CREATE TABLE t(a)")
    with pytest.raises(terndb.ProgrammingError):
        fetch_arrow(con)                                    # connection without SQL
    with pytest.raises(terndb.ProgrammingError):
        fetch_arrow(con, "INSERT INTO t VALUES (1)")        # no result set
    with pytest.raises(terndb.ProgrammingError):
        fetch_arrow(con, "SELECT * FROM no_such_table")
    with pytest.raises(terndb.ProgrammingError):
        fetch_record_batches(con, "SELECT * FROM no_such_table")  # raised eagerly
    with pytest.raises(terndb.ProgrammingError):
        fetch_arrow(con, "SELECT 1", batch_size=0)
    with pytest.raises(terndb.ProgrammingError):
        fetch_arrow(con, "SELECT 1, 2", schema=pa.schema([("a", pa.int64())]))
    with pytest.raises(terndb.ProgrammingError):
        fetch_arrow(42, "SELECT 1")


def test_explicit_schema(con):
    con.execute("CREATE TABLE t(a, b, c, d)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)",
                    [(1, 1, "x", 1.5), (2, 2.5, 3, "y"), (None, None, None, None)])
    schema = pa.schema([("a", pa.int32()), ("b", pa.float32()), ("c", pa.large_string()),
                        ("d", pa.binary())])
    for bs in (1, 100):
        batches = list(fetch_record_batches(con, "SELECT * FROM t ORDER BY rowid", batch_size=bs,
                                            schema=schema))
        assert all(b.schema == schema for b in batches)
        t = pa.Table.from_batches(batches)
        assert t.to_pydict() == {"a": [1, 2, None], "b": [1.0, 2.5, None], "c": ["x", "3", None],
                                 "d": [b"1.5", b"y", None]}
    with pytest.raises(terndb.DataError):
        fetch_arrow(con, "SELECT c FROM t", schema=pa.schema([("c", pa.int64())]))


def test_streaming_batches_are_bounded(con):
    con.execute("CREATE TABLE t(a INTEGER, b TEXT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", ((i, f"r{i}") for i in range(10_000)))
    con.commit()
    it = fetch_record_batches(con, "SELECT a, b FROM t ORDER BY a", batch_size=1000)
    sizes, total = [], 0
    for b in it:
        sizes.append(b.num_rows)
        total += sum(b.column(0).to_pylist())
    assert sizes == [1000] * 10
    assert total == sum(range(10_000))
    # Closing a half-read iterator releases its cursor; the connection keeps working.
    it = fetch_record_batches(con, "SELECT a FROM t", batch_size=10)
    next(it)
    it.close()
    con.execute("INSERT INTO t VALUES (-1, 'x')")
    con.commit()
    assert rows(con, "SELECT count(*) FROM t") == [(10_001,)]


# ----------------------------------------------------------------------------------------
# load: types
# ----------------------------------------------------------------------------------------

def decl_types(con, table):
    return {r[1]: r[2] for r in rows(con, f'PRAGMA table_info("{table}")')}


def test_load_type_mapping(con):
    utc = dt.timezone.utc
    plus2 = dt.timezone(dt.timedelta(hours=2))
    data = pa.table({
        "i8": pa.array([-128, None], pa.int8()),
        "u32": pa.array([4294967295, 0], pa.uint32()),
        "i64": pa.array([MIN_INT, MAX_INT], pa.int64()),
        "bo": pa.array([True, False], pa.bool_()),
        "f16": pa.array([1.5, None], pa.float16()),
        "f32": pa.array([0.25, -1.0], pa.float32()),
        "f64": pa.array([-0.5, 1e-300], pa.float64()),
        "s": pa.array(["x", None], pa.string()),
        "ls": pa.array(["large", "é"], pa.large_string()),
        "bi": pa.array([b"\x00\x01", None], pa.binary()),
        "lb": pa.array([b"L", b""], pa.large_binary()),
        "fb": pa.array([b"ab", b"cd"], pa.binary(2)),
        "d32": pa.array([dt.date(2024, 2, 29), dt.date(1, 1, 1)], pa.date32()),
        "d64": pa.array([dt.date(1969, 12, 31), None], pa.date64()),
        "ts_s": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5), None], pa.timestamp("s")),
        "ts_ms": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 120000),
                           dt.datetime(1960, 1, 1)], pa.timestamp("ms")),
        "ts_us_tz": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=plus2),
                              dt.datetime(2000, 1, 1, tzinfo=utc)], pa.timestamp("us", tz="UTC")),
        "ts_ns": pa.array([1_700_000_000_123_456_789, -1], pa.timestamp("ns")),
        "t32": pa.array([dt.time(13, 14, 15), None], pa.time32("s")),
        "t64": pa.array([dt.time(0, 0, 0, 500), dt.time(23, 59, 59, 999999)], pa.time64("us")),
        "dec": pa.array([decimal.Decimal("123.45"), decimal.Decimal("-0.10")], pa.decimal128(10, 2)),
        "dic": pa.array(["red", "blue"]).dictionary_encode(),
        "nul": pa.nulls(2),
    })
    assert load_arrow(con, "t", data) == 2
    assert decl_types(con, "t") == {
        "i8": "INTEGER", "u32": "INTEGER", "i64": "INTEGER", "bo": "INTEGER", "f16": "REAL",
        "f32": "REAL", "f64": "REAL", "s": "TEXT", "ls": "TEXT", "bi": "BLOB", "lb": "BLOB",
        "fb": "BLOB", "d32": "TEXT", "d64": "TEXT", "ts_s": "TEXT", "ts_ms": "TEXT",
        "ts_us_tz": "TEXT", "ts_ns": "TEXT", "t32": "TEXT", "t64": "TEXT", "dec": "REAL",
        "dic": "TEXT", "nul": ""}
    r1, r2 = [dict(zip(data.schema.names, r)) for r in dump(con, "t")]
    assert r1 == {
        "i8": -128, "u32": 4294967295, "i64": MIN_INT, "bo": 1, "f16": 1.5, "f32": 0.25,
        "f64": -0.5,
        "s": "x", "ls": "large", "bi": b"\x00\x01", "lb": b"L", "fb": b"ab",
        "d32": "2024-02-29", "d64": "1969-12-31", "ts_s": "2024-01-02 03:04:05",
        "ts_ms": "2024-01-02 03:04:05.120", "ts_us_tz": "2024-01-02 01:04:05.123456",
        "ts_ns": "2023-11-14 22:13:20.123456789", "t32": "13:14:15", "t64": "00:00:00.000500",
        "dec": 123.45, "dic": "red", "nul": None}
    assert r2 == {
        "i8": None, "u32": 0, "i64": MAX_INT, "bo": 0, "f16": None, "f32": -1.0, "f64": 1e-300,
        "s": None, "ls": "é", "bi": None, "lb": b"", "fb": b"cd", "d32": "0001-01-01", "d64": None,
        "ts_s": None, "ts_ms": "1960-01-01 00:00:00", "ts_us_tz": "2000-01-01 00:00:00",
        "ts_ns": "1969-12-31 23:59:59.999999999", "t32": None, "t64": "23:59:59.999999",
        "dec": -0.1, "dic": "blue", "nul": None}
    # The text is what SQLite's date/time functions read and write.
    assert rows(con, "SELECT datetime(ts_s), datetime(ts_ms), datetime(ts_us_tz), date(d32), "
                     "time(t32), datetime(ts_ns) FROM t ORDER BY rowid LIMIT 1") == [
        ("2024-01-02 03:04:05", "2024-01-02 03:04:05", "2024-01-02 01:04:05", "2024-02-29",
         "13:14:15", "2023-11-14 22:13:20")]
    assert rows(con, "SELECT strftime('%Y-%m-%d %H:%M:%f', ts_ms) FROM t ORDER BY rowid") == [
        ("2024-01-02 03:04:05.120",), ("1960-01-01 00:00:00.000",)]


def test_load_nan_is_stored_as_null(con):
    """SQLite stores a NaN parameter as NULL; so does a load (the engine's binding does it)."""
    data = pa.table({"f": pa.array([float("nan"), 1.0, None], pa.float64())})
    load_arrow(con, "t", data)
    assert rows(con, "SELECT typeof(f), f FROM t ORDER BY rowid") == [
        ("null", None), ("real", 1.0), ("null", None)]


def test_load_decimals_as_text(con):
    data = pa.table({"d": pa.array([decimal.Decimal("12345678901234567890.123456789"), None,
                                    decimal.Decimal("1E+2")], pa.decimal128(38, 9))})
    load_arrow(con, "t", data, decimals="text")
    assert decl_types(con, "t") == {"d": "TEXT"}
    assert dump(con, "t") == [("12345678901234567890.123456789",), (None,), ("100.000000000",)]
    with pytest.raises(terndb.ProgrammingError):
        load_arrow(con, "t", data, decimals="float")


def test_load_unsupported_type_writes_nothing(con):
    data = pa.table({"a": [1, 2], "l": pa.array([[1], [2, 3]])})
    with pytest.raises(terndb.NotSupportedError, match="'l'"):
        load_arrow(con, "t", data)
    assert rows(con, "SELECT name FROM sqlite_master") == []
    assert not con.in_transaction


def test_load_uint64_overflow_is_data_error(con):
    data = pa.table({"u": pa.array([1, 2 ** 64 - 1], pa.uint64())})
    with pytest.raises(terndb.DataError):
        load_arrow(con, "t", data)
    assert rows(con, "SELECT name FROM sqlite_master") == []


# ----------------------------------------------------------------------------------------
# load: inputs, modes, names
# ----------------------------------------------------------------------------------------

def sample(n=10, start=0):
    return pa.table({"id": pa.array(range(start, start + n), pa.int64()),
                     "name": pa.array([f"n{i}" for i in range(start, start + n)], pa.string())})


def test_load_inputs_table_batch_reader_and_stream(con):
    t = sample(25)
    assert load_arrow(con, "a", t, batch_size=7) == 25
    b = t.combine_chunks().to_batches()[0]
    assert load_arrow(con, "b", b, batch_size=4) == 25
    reader = pa.RecordBatchReader.from_batches(t.schema, t.to_batches(max_chunksize=10))
    assert load_arrow(con, "c", reader, batch_size=3) == 25

    class Stream:  # any object speaking the Arrow C stream protocol
        def __arrow_c_stream__(self, requested_schema=None):
            return t.__arrow_c_stream__(requested_schema)
    if hasattr(pa.RecordBatchReader, "from_stream"):
        assert load_arrow(con, "d", Stream()) == 25
        assert dump(con, "d") == dump(con, "a")
    expected = [(i, f"n{i}") for i in range(25)]
    assert dump(con, "a") == dump(con, "b") == dump(con, "c") == expected
    with pytest.raises(terndb.ProgrammingError):
        load_arrow(con, "e", [(1, 2)])
    assert load_arrow(con, "empty", sample(0)) == 0
    assert decl_types(con, "empty") == {"id": "INTEGER", "name": "TEXT"}


def test_load_append_existing_table(con):
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, extra TEXT DEFAULT 'dflt')")
    con.execute("INSERT INTO t(id, name) VALUES (100, 'old')")
    con.commit()
    assert load_arrow(con, "T", sample(3)) == 3            # table names are case-insensitive
    assert load_arrow(con, "t", sample(2, start=3), create=False) == 2
    # (id is the rowid, so dump() lists rows by id)
    assert dump(con, "t") == [(i, f"n{i}", "dflt") for i in range(5)] + [(100, "old", "dflt")]
    # Columns in a different order are matched by name.
    load_arrow(con, "t", pa.table({"name": ["z"], "id": [7]}))
    assert rows(con, "SELECT id, name FROM t WHERE id = 7") == [(7, "z")]
    # Columns the table lacks are an engine error, and nothing is inserted.
    with pytest.raises(terndb.Error):
        load_arrow(con, "t", pa.table({"id": [8], "nope": [1]}))
    assert rows(con, "SELECT count(*) FROM t") == [(7,)]


def test_load_replace(con):
    con.execute("CREATE TABLE t(id INTEGER, name TEXT, other REAL)")
    con.execute("CREATE INDEX t_name ON t(name)")
    con.execute("INSERT INTO t VALUES (1, 'a', 1.5)")
    con.commit()
    # create=False: rows deleted, definition and index kept.
    assert load_arrow(con, "t", sample(2), mode="replace", create=False) == 2
    assert dump(con, "t") == [(0, "n0", None), (1, "n1", None)]
    assert rows(con, "SELECT name FROM sqlite_master WHERE type = 'index'") == [("t_name",)]
    # create=True: dropped and recreated from the Arrow schema.
    new = pa.table({"x": pa.array([1.5, 2.5]), "y": pa.array([b"a", b"b"])})
    assert load_arrow(con, "t", new, mode="replace") == 2
    assert decl_types(con, "t") == {"x": "REAL", "y": "BLOB"}
    assert dump(con, "t") == [(1.5, b"a"), (2.5, b"b")]
    # replace on a missing table just creates it.
    assert load_arrow(con, "fresh", sample(1), mode="replace") == 1
    with pytest.raises(terndb.ProgrammingError):
        load_arrow(con, "t", new, mode="upsert")


def test_load_quotes_identifiers(con):
    weird_table = 'my "table"; DROP TABLE x; --'
    data = pa.table({"select": [1], 'we"ird': ["q"], "with space": [2.5], "ünï": [b"b"]})
    assert load_arrow(con, weird_table, data) == 1
    assert rows(con, 'SELECT "select", "we""ird", "with space", "ünï" FROM '
                     '"my ""table""; DROP TABLE x; --"') == [(1, "q", 2.5, b"b")]
    assert load_arrow(con, weird_table, data, create=False) == 1


def test_load_rejects_duplicate_columns(con):
    data = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "A"])
    with pytest.raises(terndb.ProgrammingError, match="duplicate"):
        load_arrow(con, "t", data)
    assert rows(con, "SELECT name FROM sqlite_master") == []


def test_unknown_table_without_create(con):
    with pytest.raises(terndb.ProgrammingError, match="no such table"):
        load_arrow(con, "missing", sample(3), create=False)
    with pytest.raises(terndb.ProgrammingError):
        load_arrow(con, "missing", sample(3), create=False, mode="replace")
    assert rows(con, "SELECT name FROM sqlite_master") == []
    assert not con.in_transaction


# ----------------------------------------------------------------------------------------
# load: atomicity
# ----------------------------------------------------------------------------------------

def failing_reader(good_batches, exc=RuntimeError("source failed")):
    schema = good_batches[0].schema

    def gen():
        yield from good_batches
        raise exc
    return pa.RecordBatchReader.from_batches(schema, gen())


def test_failing_load_leaves_table_unchanged(con):
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    con.execute("INSERT INTO t VALUES (5, 'five')")
    con.commit()
    before = dump(con, "t")
    # A constraint fails in a later batch: earlier batches are rolled back too.
    bad = pa.table({"id": [1, 2, 3, 5], "name": ["a", "b", "c", "dup"]})
    with pytest.raises(terndb.IntegrityError):
        load_arrow(con, "t", bad, batch_size=2)
    assert dump(con, "t") == before
    assert not con.in_transaction
    bad = pa.table({"id": [10, 11], "name": ["ok", None]})
    with pytest.raises(terndb.IntegrityError):
        load_arrow(con, "t", bad)
    assert dump(con, "t") == before
    # The source fails mid-stream.
    with pytest.raises(RuntimeError):
        load_arrow(con, "t", failing_reader(sample(3, start=20).to_batches()))
    assert dump(con, "t") == before
    # replace that fails keeps the old table, definition and rows.
    with pytest.raises(RuntimeError):
        load_arrow(con, "t", failing_reader(pa.table({"z": [1.5]}).to_batches()), mode="replace")
    assert dump(con, "t") == before
    assert decl_types(con, "t") == {"id": "INTEGER", "name": "TEXT"}
    # A create that fails leaves no table behind.
    with pytest.raises(RuntimeError):
        load_arrow(con, "newt", failing_reader(sample(3).to_batches()))
    assert rows(con, "SELECT name FROM sqlite_master") == [("t",)]
    # replace with create=False: the deleted rows come back.
    with pytest.raises(terndb.IntegrityError):
        load_arrow(con, "t", pa.table({"id": [1, 1], "name": ["a", "b"]}), mode="replace",
                   create=False)
    assert dump(con, "t") == before
    # ... and the connection still works.
    assert load_arrow(con, "t", sample(2)) == 2
    assert rows(con, "SELECT count(*) FROM t") == [(3,)]


def test_load_inside_open_transaction_uses_savepoint(con):
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
    con.commit()
    con.execute("INSERT INTO t VALUES (100, 'pending')")
    assert con.in_transaction
    with pytest.raises(terndb.IntegrityError):
        load_arrow(con, "t", pa.table({"id": [1, 100], "name": ["a", "b"]}))
    # Only the load was rolled back; the caller's pending row is still there, uncommitted.
    assert con.in_transaction
    assert dump(con, "t") == [(100, "pending")]
    assert load_arrow(con, "t", sample(2)) == 2
    assert con.in_transaction
    con.rollback()
    assert dump(con, "t") == []


def test_load_autocommit_connection_and_file_persistence(tmp_path):
    path = tmp_path / "db.tern"
    c = terndb.connect(str(path), isolation_level=None)
    try:
        assert load_arrow(c, "t", sample(50)) == 50
        assert not c.in_transaction
        with pytest.raises(RuntimeError):
            load_arrow(c, "t", failing_reader(sample(3, start=50).to_batches()))
        assert not c.in_transaction
    finally:
        c.close()
    c = terndb.connect(str(path))
    try:
        assert rows(c, "SELECT count(*), sum(id) FROM t") == [(50, sum(range(50)))]
    finally:
        c.close()


# ----------------------------------------------------------------------------------------
# Parquet
# ----------------------------------------------------------------------------------------

def test_parquet_round_trip(con, tmp_path):
    n = 2500
    src = pa.table({
        "id": pa.array(range(n), pa.int64()),
        "score": pa.array([i / 7 if i % 11 else None for i in range(n)], pa.float64()),
        "label": pa.array([f"row-{i}" if i % 13 else None for i in range(n)], pa.string()),
        "payload": pa.array([bytes([i % 256]) * (i % 5) for i in range(n)], pa.binary()),
        "flag": pa.array([i % 2 == 0 for i in range(n)], pa.bool_()),
        "day": pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)], pa.date32()),
    })
    path = tmp_path / "data.parquet"
    pq.write_table(src, path, row_group_size=300)
    assert pq.ParquetFile(path).metadata.num_row_groups > 1
    assert load_parquet(con, "p", path, batch_size=128) == n
    got = fetch_arrow(con, "SELECT * FROM p ORDER BY id")
    assert got.column("id").to_pylist() == src.column("id").to_pylist()
    assert got.column("score").to_pylist() == src.column("score").to_pylist()
    assert got.column("label").to_pylist() == src.column("label").to_pylist()
    assert got.column("payload").to_pylist() == src.column("payload").to_pylist()
    assert got.column("flag").to_pylist() == [int(v) for v in src.column("flag").to_pylist()]
    assert got.column("day").to_pylist() == [d.isoformat() for d in src.column("day").to_pylist()]

    # TernDB -> Arrow -> Parquet -> TernDB.
    out = tmp_path / "back.parquet"
    pq.write_table(got, out)
    assert load_parquet(con, "p2", str(out)) == n
    cols = ["id", "score", "label", "payload", "flag", "day"]
    assert typed_dump(con, "p2", cols) == typed_dump(con, "p", cols)

    # A subset of columns, in the order asked for; other keywords pass through.
    assert load_parquet(con, "p3", path, columns=["label", "id"], mode="replace") == n
    assert [r[1] for r in rows(con, "PRAGMA table_info(p3)")] == ["label", "id"]
    assert rows(con, "SELECT label, id FROM p3 WHERE id = 1") == [("row-1", 1)]
    with pytest.raises(terndb.ProgrammingError):
        load_parquet(con, "p4", path, columns=["nope"])
    with pytest.raises(terndb.ProgrammingError):
        load_parquet(con, "missing", path, create=False)


# ----------------------------------------------------------------------------------------
# Volume
# ----------------------------------------------------------------------------------------

def test_load_and_fetch_100k_rows(con):
    n = 100_000
    src = pa.table({
        "id": pa.array(range(n), pa.int64()),
        "x": pa.array([i * 0.5 for i in range(n)], pa.float64()),
        "s": pa.array([f"s{i}" for i in range(n)], pa.string()),
        "b": pa.array([i.to_bytes(4, "little") for i in range(n)], pa.binary()),
    })
    t0 = time.perf_counter()
    assert load_arrow(con, "big", src) == n
    t1 = time.perf_counter()
    assert rows(con, "SELECT count(*), sum(id), sum(x), min(s), max(id) FROM big") == [
        (n, n * (n - 1) // 2, sum(i * 0.5 for i in range(n)), "s0", n - 1)]
    got = fetch_arrow(con, "SELECT id, x, s, b FROM big ORDER BY id")
    t2 = time.perf_counter()
    assert got.equals(src)
    print(f"\n100k rows x 4 columns: load_arrow {t1 - t0:.2f}s, fetch_arrow {t2 - t1:.2f}s")
