"""Apache Arrow and Parquet interop: query results as Arrow data, Arrow data into tables.

pyarrow is optional.  This module imports it only when one of its functions is
called; without it they raise :class:`ArrowNotInstalledError`, which is both an
``ImportError`` and a :class:`terndb.NotSupportedError`.

Reading (:func:`fetch_arrow`, :func:`fetch_record_batches`)
------------------------------------------------------------

SQLite columns have no fixed type: each *value* has a storage class, and one
column may mix them.  The Arrow type of a result column is therefore inferred
from its values (the cursor's ``description`` carries only names):

==============================  =====================================================
values in the column            Arrow type
==============================  =====================================================
only NULL (or no rows at all)   ``null``
INTEGER (and NULL)              ``int64``
INTEGER and REAL (and NULL)     ``float64`` (integers converted; beyond 2**53 they
                                round, as SQLite's own int -> real conversion does)
TEXT (and NULL)                 ``string``
BLOB (and NULL)                 ``binary``
any other mix                   ``string``: every value converted as SQLite's
                                ``CAST(x AS TEXT)`` does (``1`` -> ``'1'``,
                                ``1.0`` -> ``'1.0'``, a BLOB -> its bytes decoded
                                as UTF-8, invalid bytes replaced by U+FFFD)
==============================  =====================================================

Column names are the cursor's ``description`` names, duplicates included.
Pass ``schema=`` (a ``pyarrow.Schema`` with one field per column) to skip the
inference and convert every value to the given types instead.

**Streaming and widening.**  :func:`fetch_record_batches` decides the types of
each batch from the values seen *so far*: a column's type is the widening (the
rule above) of its type in the previous batch and the values of this batch.
Types therefore only ever widen, along ``null -> int64 -> float64 -> string``
and ``null -> binary -> string`` (any step may be skipped; ``string`` is the
widest); batches already yielded are not revisited, so the *last* batch has
the widest schema.  Pass ``schema=`` when every batch must have the same
schema (say, for a ``ParquetWriter``).
:func:`fetch_arrow` collects the batches and re-converts the earlier ones to
the final (widest) types, so its table has one schema whose values are exactly
what a single pass over all rows would give.

Writing (:func:`load_arrow`, :func:`load_parquet`)
--------------------------------------------------

A table created by a load gets these declared types (values are converted to
the SQLite value shown):

================================  ==========  ======================================
Arrow type                        declared    value
================================  ==========  ======================================
int8..int64, uint8..uint64        INTEGER     int (a uint64 above 2**63-1 is a
                                              :class:`terndb.DataError`)
bool                              INTEGER     1 / 0
float16/32/64                     REAL        float (NaN is stored as NULL, as in
                                              SQLite)
string, large_string, view        TEXT        str
binary, large_binary, fixed,      BLOB        bytes
view
date32, date64                    TEXT        ``'YYYY-MM-DD'``
timestamp (any unit)              TEXT        ``'YYYY-MM-DD HH:MM:SS'`` plus
                                              ``.fff`` / ``.ffffff`` / ``.fffffffff``
                                              (by unit) when the fraction is not
                                              zero, the format SQLite's date and
                                              time functions read and ``datetime()``
                                              writes.  Timestamps with a time zone
                                              are written in UTC (no offset suffix);
                                              naive ones as they are.
time32, time64                    TEXT        ``'HH:MM:SS'`` (+ fraction as above)
decimal128/256                    REAL        float, correctly rounded (the way
                                              SQLite stores a DECIMAL column);
                                              ``decimals="text"`` keeps the exact
                                              digits as TEXT (declared TEXT)
dictionary<values>                as values   decoded to its values
null                              (none)      NULL; the column gets no declared type
extension types                   as storage  their storage values
================================  ==========  ======================================

Other types (lists, structs, maps, unions, durations, intervals) raise
:class:`terndb.NotSupportedError` before anything is written.  Arrow's
``nullable=False`` is not turned into ``NOT NULL``.

A load runs in one transaction: ``BEGIN`` ... ``COMMIT``, rolled back on any
error, so a failed load leaves the database as it was (including a table it
created or, with ``mode="replace"``, dropped).  If the connection is already
inside a transaction, the load runs in a savepoint in it instead and is *not*
committed: a failure rolls back only the load, and the caller's ``commit()``
or ``rollback()`` decides about the rest.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Optional

from .. import errors as E
from ..exec.runtime import MAX_INT, to_text

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow

__all__ = [
    "ArrowNotInstalledError", "fetch_arrow", "fetch_record_batches", "load_arrow", "load_parquet",
]

DEFAULT_BATCH_SIZE = 65536
DEFAULT_LOAD_BATCH_SIZE = 10000
_SAVEPOINT = "terndb_interop_load"


class ArrowNotInstalledError(E.NotSupportedError, ImportError):
    """pyarrow is needed for this function but is not installed."""


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as e:
        raise ArrowNotInstalledError(
            "this TernDB function needs pyarrow, which is not installed; "
            "install it with: pip install pyarrow  (or: pip install 'terndb[arrow]')") from e
    return pyarrow


def _pyarrow_parquet() -> Any:
    _pyarrow()
    try:
        import pyarrow.parquet as pq
    except ImportError as e:
        raise ArrowNotInstalledError(
            "reading Parquet needs pyarrow built with Parquet support: pip install pyarrow") from e
    return pq


def _quote(name: str) -> str:
    """An SQL identifier: double-quoted, embedded quotes doubled."""
    if not isinstance(name, str):
        raise E.ProgrammingError(f"identifier must be a str, not {type(name).__name__}")
    if "\x00" in name:
        raise E.ProgrammingError(f"identifier contains a NUL character: {name!r}")
    return '"' + name.replace('"', '""') + '"'


# =====================================================================================
# Reading: rows -> Arrow
# =====================================================================================

# Column kinds, in the order they widen.
K_NULL, K_INT, K_FLOAT, K_STR, K_BLOB, K_TEXT = range(6)
_KIND_OF_PYTYPE = {int: K_INT, float: K_FLOAT, str: K_STR, bytes: K_BLOB}
_NONE_TYPE = type(None)


def _join(a: int, b: int) -> int:
    """The narrowest kind that holds values of kinds a and b."""
    if a == b or b == K_NULL:
        return a
    if a == K_NULL:
        return b
    if (a == K_INT and b == K_FLOAT) or (a == K_FLOAT and b == K_INT):
        return K_FLOAT
    return K_TEXT


def _values_kind(values: Any) -> int:
    types = set(map(type, values))
    types.discard(_NONE_TYPE)
    k = K_NULL
    for t in types:
        k = _join(k, _KIND_OF_PYTYPE.get(t, K_TEXT))
    return k


def _kind_of_arrow_type(pa: Any, t: Any) -> int:
    if t == pa.null():
        return K_NULL
    if t == pa.int64():
        return K_INT
    if t == pa.float64():
        return K_FLOAT
    if t == pa.binary():
        return K_BLOB
    return K_TEXT


def _build(pa: Any, values: Any, kind: int, vkind: int, name: str) -> Any:
    """An Arrow array of the given kind from a column's values (of kind vkind <= kind)."""
    try:
        if kind == K_NULL:
            return pa.nulls(len(values))
        if kind == K_INT:
            return pa.array(values, pa.int64())
        if kind == K_FLOAT:
            try:
                return pa.array(values, pa.float64())
            except pa.ArrowInvalid:
                # pyarrow refuses integers beyond 2**53 (not exact as doubles); SQLite rounds them.
                return pa.array([float(v) if type(v) is int else v for v in values], pa.float64())
        if kind == K_BLOB:
            return pa.array(values, pa.binary())
        if vkind not in (K_STR, K_NULL):
            values = [to_text(v) for v in values]
        return pa.array(values, pa.string())
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as e:
        raise E.DataError(f"column {name!r}: cannot convert to Arrow: {e}") from e


def _build_typed(pa: Any, values: Any, vkind: int, field: Any) -> Any:
    """An Arrow array of a caller-chosen type; values converted as SQLite CAST would."""
    t = field.type
    types = pa.types
    try:
        if types.is_string(t) or types.is_large_string(t):
            if vkind not in (K_STR, K_NULL):
                values = [to_text(v) for v in values]
        elif types.is_binary(t) or types.is_large_binary(t):
            if vkind not in (K_BLOB, K_NULL):
                values = [v if v is None or type(v) is bytes else to_text(v).encode("utf-8", "surrogatepass")
                          for v in values]
        elif types.is_floating(t):
            if vkind != K_FLOAT:
                values = [v if v is None or type(v) is not int else float(v) for v in values]
        elif types.is_null(t):
            if vkind != K_NULL:
                raise E.DataError(f"column {field.name!r}: non-NULL value for an Arrow null column")
            return pa.nulls(len(values))
        return pa.array(values, t)
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as e:
        raise E.DataError(f"column {field.name!r}: cannot convert to Arrow type {t}: {e}") from e


def _fetch(cur: Any, n: int) -> list:
    """fetchmany(n) as plain tuples, bypassing the cursor's row factory."""
    rf = getattr(cur, "row_factory", None)
    if rf is None:
        rows = cur.fetchmany(n)
    else:
        cur.row_factory = None
        try:
            rows = cur.fetchmany(n)
        finally:
            cur.row_factory = rf
    if rows and type(rows[0]) is not tuple:
        rows = [tuple(r) for r in rows]
    return rows


def _open(obj: Any, sql: Optional[str], params: Any) -> tuple[Any, bool]:
    """The cursor to read from, and whether this module opened it (and must close it)."""
    is_cursor = hasattr(obj, "fetchmany")
    if sql is None:
        if not is_cursor:
            raise E.ProgrammingError(
                "pass the SQL to run (sql=...) with a connection, or pass an executed cursor")
        cur, own = obj, False
    elif is_cursor:
        cur, own = obj, False
        cur.execute(sql, params)
    elif hasattr(obj, "cursor"):
        cur, own = obj.cursor(), True
        try:
            cur.execute(sql, params)
        except BaseException:
            cur.close()
            raise
    else:
        raise E.ProgrammingError(f"expected a TernDB connection or cursor, not {type(obj).__name__}")
    if cur.description is None:
        if own:
            cur.close()
        raise E.ProgrammingError(
            "the statement returns no result set (cursor.description is None); "
            "fetch_arrow needs a query such as SELECT")
    return cur, own


def _check_schema(pa: Any, schema: Any, names: list[str]) -> None:
    if not isinstance(schema, pa.Schema):
        raise E.ProgrammingError(f"schema must be a pyarrow.Schema, not {type(schema).__name__}")
    if len(schema) != len(names):
        raise E.ProgrammingError(
            f"schema has {len(schema)} fields but the result has {len(names)} columns")


def _batches(pa: Any, cur: Any, own: bool, batch_size: int, schema: Any) -> Iterator[Any]:
    names = [d[0] for d in cur.description]
    kinds = [K_NULL] * len(names)
    fields = list(schema) if schema is not None else None
    produced = False
    try:
        while True:
            rows = _fetch(cur, batch_size)
            if not rows:
                break
            arrays = []
            for i, values in enumerate(zip(*rows)):
                vkind = _values_kind(values)
                if fields is not None:
                    arrays.append(_build_typed(pa, values, vkind, fields[i]))
                else:
                    kinds[i] = k = _join(kinds[i], vkind)
                    arrays.append(_build(pa, values, k, vkind, names[i]))
            if schema is not None:
                yield pa.RecordBatch.from_arrays(arrays, schema=schema)
            else:
                yield pa.RecordBatch.from_arrays(arrays, names=names)
            produced = True
        if not produced:
            # An empty result still yields one batch, so its columns are known.
            if schema is not None:
                yield pa.RecordBatch.from_arrays([pa.array([], f.type) for f in schema], schema=schema)
            else:
                yield pa.RecordBatch.from_arrays([pa.nulls(0) for _ in names], names=names)
    finally:
        if own:
            cur.close()


def _check_batch_size(batch_size: Any) -> int:
    if type(batch_size) is not int or batch_size < 1:
        raise E.ProgrammingError(f"batch_size must be a positive int, not {batch_size!r}")
    return batch_size


def fetch_record_batches(cursor_or_connection: Any, sql: Optional[str] = None, params: Any = (),
                         batch_size: int = DEFAULT_BATCH_SIZE, *,
                         schema: Optional["pyarrow.Schema"] = None) -> Iterator["pyarrow.RecordBatch"]:
    """Stream a query result as ``pyarrow.RecordBatch`` objects of up to ``batch_size`` rows.

    ``cursor_or_connection`` is a connection (then ``sql`` is required) or a
    cursor: with ``sql`` it is executed first, without it the rows still to be
    fetched from the already executed cursor are read.  Only one batch of rows
    is held in memory at a time.  The query runs (and its errors are raised)
    when this function is called; the rows are read as the iterator advances.

    Types are inferred per batch and only widen (see the module documentation),
    unless ``schema`` fixes them.  An empty result yields one zero-row batch.
    A cursor opened here is closed when the iterator is exhausted or closed.
    """
    pa = _pyarrow()
    _check_batch_size(batch_size)
    cur, own = _open(cursor_or_connection, sql, params)
    try:
        if schema is not None:
            _check_schema(pa, schema, [d[0] for d in cur.description])
    except BaseException:
        if own:
            cur.close()
        raise
    return _batches(pa, cur, own, batch_size, schema)


def fetch_arrow(cursor_or_connection: Any, sql: Optional[str] = None, params: Any = (),
                batch_size: int = DEFAULT_BATCH_SIZE, *,
                schema: Optional["pyarrow.Schema"] = None) -> "pyarrow.Table":
    """The result of a query (or the rest of an executed cursor) as a ``pyarrow.Table``.

    Arguments as for :func:`fetch_record_batches`; rows are fetched
    ``batch_size`` at a time.  Each column gets one type inferred from all of
    its values (see the module documentation), or the type given in ``schema``.
    A query with no rows gives a zero-row table whose columns (named from
    ``cursor.description``) have the ``null`` type.
    """
    pa = _pyarrow()
    batches = list(fetch_record_batches(cursor_or_connection, sql, params, batch_size, schema=schema))
    if schema is not None:
        return pa.Table.from_batches(batches, schema=schema)
    final = batches[-1].schema
    for j, batch in enumerate(batches[:-1]):
        if batch.schema.equals(final):
            continue
        arrays = []
        for i, field in enumerate(final):
            arr = batch.column(i)
            if arr.type != field.type:
                values = arr.to_pylist()
                arr = _build(pa, values, _kind_of_arrow_type(pa, field.type), _values_kind(values),
                             field.name)
            arrays.append(arr)
        batches[j] = pa.RecordBatch.from_arrays(arrays, schema=final)
    return pa.Table.from_batches(batches, schema=final)


# =====================================================================================
# Writing: Arrow -> rows
# =====================================================================================

_EPOCH = _dt.datetime(1970, 1, 1)
_UNIT = {"s": (1, 0), "ms": (1000, 3), "us": (1000000, 6), "ns": (1000000000, 9)}

Converter = Callable[[Any], list]


def _ticks_formatter(unit: str, with_date: bool) -> Callable[[Any], Any]:
    per_sec, digits = _UNIT[unit]

    def fmt(ticks: Any) -> Any:
        if ticks is None:
            return None
        secs, frac = divmod(ticks, per_sec)
        if with_date:
            text = (_EPOCH + _dt.timedelta(seconds=secs)).isoformat(sep=" ")
        else:
            h, rem = divmod(secs, 3600)
            m, s = divmod(rem, 60)
            text = f"{h:02d}:{m:02d}:{s:02d}"
        if frac:
            text += "." + str(frac).zfill(digits)
        return text
    return fmt


def _converter(pa: Any, name: str, t: Any, decimals: str) -> tuple[str, Converter]:
    """The declared type for an Arrow type, and a function Arrow array -> list of SQL values."""
    types = pa.types
    if isinstance(t, pa.ExtensionType):
        decl, conv = _converter(pa, name, t.storage_type, decimals)
        return decl, lambda arr: conv(arr.storage)
    if types.is_dictionary(t):
        decl, conv = _converter(pa, name, t.value_type, decimals)
        return decl, lambda arr: conv(arr.dictionary_decode())
    if types.is_null(t):
        return "", lambda arr: [None] * len(arr)
    if types.is_boolean(t):
        return "INTEGER", lambda arr: arr.cast(pa.int8()).to_pylist()
    if types.is_integer(t):
        if t == pa.uint64():
            def conv_u64(arr: Any) -> list:
                import pyarrow.compute as pc
                top = pc.max(arr).as_py()
                if top is not None and top > MAX_INT:
                    raise E.DataError(f"column {name!r}: uint64 value {top} is too large for a "
                                      "64-bit INTEGER")
                return arr.to_pylist()
            return "INTEGER", conv_u64
        return "INTEGER", lambda arr: arr.to_pylist()
    if types.is_floating(t):
        if t == pa.float16():
            return "REAL", lambda arr: arr.cast(pa.float32()).to_pylist()
        return "REAL", lambda arr: arr.to_pylist()
    if types.is_string(t) or types.is_large_string(t) or \
            (hasattr(types, "is_string_view") and types.is_string_view(t)):
        return "TEXT", lambda arr: arr.to_pylist()
    if types.is_binary(t) or types.is_large_binary(t) or types.is_fixed_size_binary(t) or \
            (hasattr(types, "is_binary_view") and types.is_binary_view(t)):
        return "BLOB", lambda arr: arr.to_pylist()
    if types.is_date(t):
        return "TEXT", lambda arr: [None if d is None else d.isoformat() for d in arr.to_pylist()]
    if types.is_timestamp(t) or types.is_time(t):
        fmt = _ticks_formatter(t.unit, types.is_timestamp(t))
        raw = pa.int32() if t.bit_width == 32 else pa.int64()
        return "TEXT", lambda arr: [fmt(v) for v in arr.cast(raw).to_pylist()]
    if types.is_decimal(t):
        if decimals == "text":
            return "TEXT", lambda arr: [None if d is None else format(d, "f") for d in arr.to_pylist()]
        return "REAL", lambda arr: [None if d is None else float(d) for d in arr.to_pylist()]
    raise E.NotSupportedError(
        f"column {name!r}: Arrow type {t} cannot be loaded into TernDB; "
        "cast it first (e.g. to string or int64)")


def _slices(batch: Any, n: int) -> Iterator[Any]:
    if batch.num_rows <= n:
        yield batch
        return
    for off in range(0, batch.num_rows, n):
        yield batch.slice(off, n)


def _as_batches(pa: Any, data: Any, batch_size: int) -> tuple[Any, Iterable[Any]]:
    if isinstance(data, pa.Table):
        return data.schema, data.to_batches(max_chunksize=batch_size)
    if isinstance(data, pa.RecordBatch):
        return data.schema, _slices(data, batch_size)
    if not isinstance(data, pa.RecordBatchReader) and hasattr(data, "__arrow_c_stream__") \
            and hasattr(pa.RecordBatchReader, "from_stream"):
        data = pa.RecordBatchReader.from_stream(data)
    if isinstance(data, pa.RecordBatchReader):
        reader = data
        return reader.schema, (s for b in reader for s in _slices(b, batch_size))
    raise E.ProgrammingError(
        "data must be a pyarrow.Table, RecordBatch or RecordBatchReader "
        f"(or expose __arrow_c_stream__), not {type(data).__name__}")


def _table_exists(con: Any, table: str) -> bool:
    return bool(con.execute(f"PRAGMA table_info({_quote(table)})").fetchall())


def _load(con: Any, table_name: str, schema: Any, batches: Iterable[Any], *, create: bool,
          mode: str, decimals: str, pa: Any) -> int:
    if mode not in ("append", "replace"):
        raise E.ProgrammingError(f"mode must be 'append' or 'replace', not {mode!r}")
    if decimals not in ("real", "text"):
        raise E.ProgrammingError(f"decimals must be 'real' or 'text', not {decimals!r}")
    names = list(schema.names)
    if not names:
        raise E.ProgrammingError("the Arrow data has no columns")
    seen: dict[str, str] = {}
    for n in names:
        low = n.lower()
        if low in seen:
            raise E.ProgrammingError(
                f"duplicate column name {n!r} in the Arrow data (SQL column names are "
                f"case-insensitive: {seen[low]!r})")
        seen[low] = n
    plan = [_converter(pa, f.name, f.type, decimals) for f in schema]  # may raise NotSupportedError
    table = _quote(table_name)
    cols = ", ".join(_quote(n) for n in names)
    insert = f"INSERT INTO {table}({cols}) VALUES ({', '.join('?' * len(names))})"

    own = not con.in_transaction
    con.execute("BEGIN" if own else f"SAVEPOINT {_SAVEPOINT}")
    try:
        exists = _table_exists(con, table_name)
        if exists and mode == "replace":
            if create:
                con.execute(f"DROP TABLE {table}")
                exists = False
            else:
                con.execute(f"DELETE FROM {table}")
        if not exists:
            if not create:
                raise E.ProgrammingError(f"no such table: {table_name} (pass create=True to create it)")
            defs = ", ".join(f"{_quote(n)} {decl}".rstrip() for n, (decl, _) in zip(names, plan))
            con.execute(f"CREATE TABLE {table}({defs})")
        cur = con.cursor()
        total = 0
        convs = [conv for _, conv in plan]
        try:
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                if batch.num_columns != len(convs):
                    raise E.DataError(f"a batch has {batch.num_columns} columns, the schema {len(convs)}")
                try:
                    columns = [conv(batch.column(i)) for i, conv in enumerate(convs)]
                except E.Error:
                    raise
                except (pa.ArrowException, ValueError, TypeError, OverflowError) as e:
                    raise E.DataError(f"cannot convert Arrow data for {table_name!r}: {e}") from e
                cur.executemany(insert, zip(*columns))
                total += batch.num_rows
        finally:
            cur.close()
    except BaseException as exc:
        try:
            if own:
                con.rollback()
            else:
                con.execute(f"ROLLBACK TO {_SAVEPOINT}")
                con.execute(f"RELEASE {_SAVEPOINT}")
        except Exception as e2:  # keep the original error; mention the failed rollback
            exc.add_note(f"rolling back the load failed too: {type(e2).__name__}: {e2}")
        raise
    if own:
        con.commit()
    else:
        con.execute(f"RELEASE {_SAVEPOINT}")
    return total


def load_arrow(connection: Any, table_name: str, data: Any, *, create: bool = True,
               mode: str = "append", batch_size: int = DEFAULT_LOAD_BATCH_SIZE,
               decimals: str = "real") -> int:
    """Insert Arrow data into ``table_name``; return the number of rows inserted.

    ``data`` is a ``pyarrow.Table``, ``RecordBatch`` or ``RecordBatchReader`` (or
    any object with ``__arrow_c_stream__``).  Its columns are inserted by name
    (``INSERT INTO t(cols...) VALUES (?, ...)`` through ``executemany``, at most
    ``batch_size`` rows converted at a time); table columns it lacks get their
    defaults.  ``table_name`` is one identifier (it is quoted, not parsed).

    * ``create=True``: a missing table is created with declared types mapped
      from the Arrow types (see the module documentation); ``create=False``: a
      missing table is a :class:`terndb.ProgrammingError`.
    * ``mode="append"`` adds to the existing rows.  ``mode="replace"`` drops
      and recreates the table from the Arrow schema when ``create=True``, or
      deletes its rows (keeping its definition, indexes and triggers) when
      ``create=False``.
    * ``decimals="real"`` (default) stores Arrow decimals as REAL, ``"text"``
      as exact TEXT.

    Everything happens in one transaction (or a savepoint, when a transaction
    is already open), committed at the end and rolled back on any error.
    """
    pa = _pyarrow()
    _check_batch_size(batch_size)
    schema, batches = _as_batches(pa, data, batch_size)
    return _load(connection, table_name, schema, batches, create=create, mode=mode,
                 decimals=decimals, pa=pa)


def load_parquet(connection: Any, table_name: str, path: Any, *, columns: Optional[list[str]] = None,
                 create: bool = True, mode: str = "append", batch_size: int = DEFAULT_LOAD_BATCH_SIZE,
                 decimals: str = "real") -> int:
    """Load a Parquet file into ``table_name``; return the number of rows inserted.

    The file is streamed with ``pyarrow.parquet.ParquetFile.iter_batches``, so
    memory stays bounded by about one row group plus ``batch_size`` rows.
    ``columns`` selects (and orders) the columns to read; the other keywords are
    those of :func:`load_arrow`.
    """
    pa = _pyarrow()
    pq = _pyarrow_parquet()
    _check_batch_size(batch_size)
    with pq.ParquetFile(path) as pf:
        schema = pf.schema_arrow
        if columns is not None:
            columns = list(columns)
            try:
                schema = pa.schema([schema.field(c) for c in columns])
            except KeyError as e:
                raise E.ProgrammingError(f"no such column in {path}: {e}") from None
        batches = pf.iter_batches(batch_size=batch_size, columns=columns)
        return _load(connection, table_name, schema, batches, create=create, mode=mode,
                     decimals=decimals, pa=pa)
