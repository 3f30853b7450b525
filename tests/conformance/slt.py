"""sqllogictest runner: parse .test files and run them against a DB-API 2.0 engine.

Library use::

    from tests.conformance.slt import run_file
    result = run_file("select1.test", lambda: sqlite3.connect(":memory:"))

Command line::

    python -m tests.conformance.slt --engine sqlite3 --jobs 2 /work/shared/sqllogictest

Values are formatted the way the reference sqllogictest SQLite driver prints them
(``sqlite3_column_text`` / ``_int64`` / ``_double`` followed by ``%s`` / ``%lld`` /
``%.3f``), so any engine returning SQLite-typed values can be checked against the corpus.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path
from typing import Any, TypeAlias

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_ROOT = Path(os.environ.get("TERNDB_SLT_DIR") or REPO_ROOT.parent / "shared" / "sqllogictest")
DEFAULT_ENGINE_NAME = "sqlite"
HEAD_VALUES = 12
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_SIGNIFICANT = 16

Connect: TypeAlias = Callable[[], Any]


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Statement:
    """A ``statement ok`` / ``statement error`` record."""

    line: int
    sql: str
    expect_error: bool
    conditions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Query:
    """A ``query <types> <sort> [label]`` record with its expected output."""

    line: int
    sql: str
    types: str
    sort: str
    label: str | None
    expected: tuple[str, ...] = ()
    expected_hash: tuple[int, str] | None = None
    conditions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HashThreshold:
    """A ``hash-threshold N`` record."""

    line: int
    threshold: int
    conditions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Halt:
    """A ``halt`` record: stop reading the file."""

    line: int
    conditions: tuple[tuple[str, str], ...] = ()


Record: TypeAlias = Statement | Query | HashThreshold | Halt


class SltParseError(ValueError):
    """Raised when a .test file holds a record the runner does not understand."""


# --------------------------------------------------------------------------- results


@dataclass
class Failure:
    """One failed record, with enough context to diagnose it."""

    line: int
    sql: str
    expected: str
    got: str


@dataclass
class FileResult:
    """Outcome of running one .test file."""

    path: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)
    elapsed: float = 0.0
    timed_out: bool = False

    @property
    def total(self) -> int:
        """Number of records counted (passed + failed + skipped)."""
        return self.passed + self.failed + self.skipped

    def add(self, failure: Failure | None) -> None:
        """Count one executed record as passed (None) or failed."""
        if failure is None:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(failure)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable view."""
        return asdict(self)


# --------------------------------------------------------------------------- parsing

_HASH_RE = re.compile(r"^(\d+) values hashing to ([0-9a-fA-F]{32})$")


def parse_file(path: str | os.PathLike[str]) -> list[Record]:
    """Parse a .test file into records (conditions attached, nothing filtered)."""
    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    return parse_text(text)


def parse_text(text: str) -> list[Record]:
    """Parse the text of a .test script into records."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    records: list[Record] = []
    conditions: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            conditions = []
            i += 1
            continue
        if line.lstrip().startswith("#"):
            i += 1
            continue
        tokens = line.split("#", 1)[0].split()
        keyword = tokens[0]
        if keyword in ("skipif", "onlyif"):
            conditions.append((keyword, tokens[1] if len(tokens) > 1 else ""))
            i += 1
            continue
        record, i = _parse_record(lines, i, tokens, tuple(conditions))
        records.append(record)
        conditions = []
    return records


def _parse_record(
    lines: list[str], i: int, tokens: list[str], conditions: tuple[tuple[str, str], ...]
) -> tuple[Record, int]:
    """Parse the record whose header is lines[i]; return it and the next line index."""
    keyword, lineno = tokens[0], i + 1
    if keyword == "statement":
        sql, i = _read_block(lines, i + 1)
        expect_error = len(tokens) > 1 and tokens[1] == "error"
        return Statement(lineno, "\n".join(sql), expect_error, conditions), i
    if keyword == "query":
        return _parse_query(lines, i, tokens, conditions)
    if keyword == "hash-threshold":
        return HashThreshold(lineno, int(tokens[1]), conditions), i + 1
    if keyword == "halt":
        return Halt(lineno, conditions), i + 1
    raise SltParseError(f"line {lineno}: unknown record {lines[i]!r}")


def _read_block(lines: list[str], i: int, stop: str | None = None) -> tuple[list[str], int]:
    """Collect lines from i until a blank line (or the stop line); return them and the index."""
    block: list[str] = []
    while i < len(lines) and lines[i].strip() and lines[i] != stop:
        block.append(lines[i])
        i += 1
    return block, i


def _parse_query(
    lines: list[str], i: int, tokens: list[str], conditions: tuple[tuple[str, str], ...]
) -> tuple[Query, int]:
    """Parse a query record starting at its header line."""
    lineno = i + 1
    types = tokens[1] if len(tokens) > 1 else ""
    sort = tokens[2] if len(tokens) > 2 else "nosort"
    label = tokens[3] if len(tokens) > 3 else None
    sql, i = _read_block(lines, i + 1, stop="----")
    expected: list[str] = []
    if i < len(lines) and lines[i] == "----":
        expected, i = _read_block(lines, i + 1)
    expected_hash = None
    if len(expected) == 1 and (m := _HASH_RE.match(expected[0].strip())):
        expected_hash = (int(m.group(1)), m.group(2).lower())
        expected = []
    query = Query(lineno, "\n".join(sql), types, sort, label, tuple(expected), expected_hash, conditions)
    return query, i


def applies(record: Record, engine: str = DEFAULT_ENGINE_NAME) -> bool:
    """Tell whether a record's skipif/onlyif conditions let it run on the engine."""
    for kind, name in record.conditions:
        if kind == "skipif" and name == engine:
            return False
        if kind == "onlyif" and name != engine:
            return False
    return True


def applicable_records(records: Iterable[Record], engine: str = DEFAULT_ENGINE_NAME) -> Iterator[Record]:
    """Yield the records that run on the engine, stopping at an applicable halt."""
    for record in records:
        if not applies(record, engine):
            continue
        if isinstance(record, Halt):
            return
        yield record


# --------------------------------------------------------------------------- values

_INT_PREFIX_RE = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")
_REAL_PREFIX_RE = re.compile(r"[ \t\n\v\f\r]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_THOUSANDTH = Decimal("0.001")
_DECIMAL_CONTEXT = Context(prec=400, rounding=ROUND_HALF_UP)


def _clamp_int64(value: int) -> int:
    """Clamp an integer to the signed 64-bit range."""
    return INT64_MIN if value < INT64_MIN else INT64_MAX if value > INT64_MAX else value


def _as_text_source(value: bytes | bytearray | memoryview) -> str:
    """Decode a blob for numeric conversion (bytes map 1:1 to code points)."""
    return bytes(value).decode("latin-1")


def _parse_int_prefix(digits: str) -> int:
    """Convert a signed digit string to int64, saturating on overflow."""
    if len(digits.lstrip("+-").lstrip("0")) > 19:
        return INT64_MIN if digits.startswith("-") else INT64_MAX
    return _clamp_int64(int(digits))


def to_int64(value: Any) -> int:
    """Convert a value like sqlite3_column_int64 (CAST AS INTEGER semantics)."""
    if isinstance(value, int):
        return _clamp_int64(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return 0
        if math.isinf(value):
            return INT64_MAX if value > 0 else INT64_MIN
        return _clamp_int64(int(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = _as_text_source(value)
    if isinstance(value, str):
        m = _INT_PREFIX_RE.match(value)
        return _parse_int_prefix(m.group(1)) if m else 0
    return to_int64(_numeric_fallback(value))


def to_double(value: Any) -> float:
    """Convert a value like sqlite3_column_double (CAST AS REAL semantics)."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = _as_text_source(value)
    if isinstance(value, str):
        m = _REAL_PREFIX_RE.match(value)
        return float(m.group(1)) if m else 0.0
    return float(_numeric_fallback(value))


def _numeric_fallback(value: Any) -> int | float | str:
    """Map an unexpected Python type (Decimal, ...) to int, float or str."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def sqlite_real_text(value: float) -> str:
    """Render a float as SQLite's text conversion does (printf "%!.15g")."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0.0"
    text = "%.15g" % value
    mantissa, sep, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + sep + exponent


def format_real(value: float) -> str:
    """Render a float with SQLite's printf "%.3f" (half-up rounding, at most 16 significant digits)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0.000"
    sign = "-" if value < 0 else ""
    exact = Decimal(abs(value))
    places = min(3, MAX_SIGNIFICANT - 1 - exact.adjusted())
    rounded = exact.quantize(Decimal(1).scaleb(-places), context=_DECIMAL_CONTEXT)
    return sign + f"{rounded.quantize(_THOUSANDTH, context=_DECIMAL_CONTEXT):f}"


def _printable(raw: bytes) -> str:
    """Replace bytes outside printable ASCII with '@', as the reference driver does."""
    return "".join(chr(b) if 0x20 <= b <= 0x7E else "@" for b in raw)


def text_value(value: Any) -> str:
    """Render a value like sqlite3_column_text printed by the reference driver."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return sqlite_real_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value).split(b"\x00", 1)[0]
        return _printable(raw) if raw else "(empty)"
    text = value if isinstance(value, str) else str(value)
    text = text.split("\x00", 1)[0]
    if not text:
        return "(empty)"
    if text.isascii() and text.isprintable():
        return text
    return _printable(text.encode("utf-8", errors="surrogatepass"))


def format_value(value: Any, type_char: str) -> str:
    """Format one fetched value for a column of type 'T', 'I' or 'R'."""
    if value is None:
        return "NULL"
    if type_char == "I":
        return "%d" % to_int64(value)
    if type_char == "R":
        return format_real(to_double(value))
    return text_value(value)


def format_rows(rows: Sequence[Sequence[Any]], types: str) -> list[list[str]]:
    """Format fetched rows column by column according to the type letters."""
    return [[format_value(v, types[c] if c < len(types) else "T") for c, v in enumerate(row)] for row in rows]


def sort_values(rows: list[list[str]], sort: str) -> list[str]:
    """Apply the record's sort mode and flatten the rows into a value list."""
    if sort == "rowsort":
        rows = sorted(rows)
    values = [v for row in rows for v in row]
    if sort == "valuesort":
        values.sort()
    return values


def hash_values(values: Iterable[str]) -> str:
    """MD5 of the values, each followed by a newline."""
    md5 = hashlib.md5()
    for value in values:
        md5.update(value.encode("utf-8", errors="surrogateescape"))
        md5.update(b"\n")
    return md5.hexdigest()


# --------------------------------------------------------------------------- running


def _head(values: Sequence[str]) -> str:
    """Short display of a value list."""
    shown = "\n".join(values[:HEAD_VALUES])
    return shown + (f"\n... ({len(values)} values)" if len(values) > HEAD_VALUES else "")


def _error_text(exc: BaseException) -> str:
    """Describe an exception in one line."""
    return f"{type(exc).__name__}: {exc}"


def _close_quietly(obj: Any) -> None:
    """Call obj.close(), ignoring any error."""
    try:
        obj.close()
    except Exception:
        pass


def _execute_statement(cursor: Any, sql: str) -> None:
    """Run a statement record like the reference harness's sqlite3_exec: several statements allowed."""
    try:
        cursor.execute(sql)
    except Exception as exc:
        if "one statement at a time" not in str(exc) or not hasattr(cursor, "executescript"):
            raise
        cursor.executescript(sql)


def run_statement(conn: Any, record: Statement) -> Failure | None:
    """Execute a statement record; return a Failure or None when it passed."""
    expected = "error" if record.expect_error else "ok"
    cursor = None
    try:
        cursor = conn.cursor()
        _execute_statement(cursor, record.sql)
    except Exception as exc:
        if record.expect_error:
            return None
        return Failure(record.line, record.sql, expected, _error_text(exc))
    finally:
        if cursor is not None:
            _close_quietly(cursor)
    try:
        conn.commit()
    except Exception as exc:
        if not record.expect_error:
            return Failure(record.line, record.sql, expected, "commit failed: " + _error_text(exc))
    if record.expect_error:
        return Failure(record.line, record.sql, expected, "statement succeeded")
    return None


def _fetch(conn: Any, sql: str) -> tuple[list[Sequence[Any]], int | None]:
    """Execute a query and return all rows plus the column count when known."""
    cursor = conn.cursor()
    try:
        cursor.execute(sql)
        rows = list(cursor.fetchall())
        ncols = len(cursor.description) if cursor.description else None
    finally:
        _close_quietly(cursor)
    return rows, ncols


def check_query(record: Query, rows: Sequence[Sequence[Any]], ncols: int | None, threshold: int) -> Failure | None:
    """Compare fetched rows with the record's expected output."""
    width = ncols if ncols is not None else (len(rows[0]) if rows else len(record.types))
    if width != len(record.types):
        got = f"{width} columns for types {record.types!r}"
        return Failure(record.line, record.sql, _expected_text(record), got)
    values = sort_values(format_rows(rows, record.types), record.sort)
    if record.expected_hash is not None:
        count, digest = record.expected_hash
        if count == len(values) and digest == hash_values(values):
            return None
    elif list(record.expected) == values:
        return None
    hashed = record.expected_hash is not None or 0 < threshold < len(values)
    return Failure(record.line, record.sql, _expected_text(record), _got_text(values, hashed))


def _expected_text(record: Query) -> str:
    """Display form of a query's expected output."""
    if record.expected_hash is not None:
        return "%d values hashing to %s" % record.expected_hash
    return _head(record.expected)


def _got_text(values: list[str], hashed: bool) -> str:
    """Display form of a query's actual output (preceded by its hash line when hashed)."""
    if hashed:
        return f"{len(values)} values hashing to {hash_values(values)}\n{_head(values)}"
    return _head(values)


def run_query(conn: Any, record: Query, threshold: int) -> Failure | None:
    """Execute a query record; return a Failure or None when it passed."""
    try:
        rows, ncols = _fetch(conn, record.sql)
    except Exception as exc:
        return Failure(record.line, record.sql, _expected_text(record), _error_text(exc))
    return check_query(record, rows, ncols, threshold)


def sample_indices(n_queries: int, sample: int | None) -> set[int] | None:
    """Indices of the queries to run for a sample of about `sample` (None: run all)."""
    if sample is None or sample >= n_queries:
        return None
    if sample <= 0:
        return set()
    return {(j * n_queries) // sample for j in range(sample)}


@dataclass
class RunPlan:
    """The records of one file to run, with the query sample applied."""

    records: list[Record]
    chosen: set[int] | None
    n_run: int
    n_skip: int


def plan_file(
    path: str | os.PathLike[str],
    *,
    sample: int | None = None,
    stop_after: int | None = None,
    engine: str = DEFAULT_ENGINE_NAME,
) -> RunPlan:
    """Parse a file and decide which records will run."""
    records = list(applicable_records(parse_file(path), engine))
    if stop_after is not None:
        records = records[:stop_after]
    n_queries = sum(isinstance(r, Query) for r in records)
    chosen = sample_indices(n_queries, sample)
    n_skip = 0 if chosen is None else n_queries - len(chosen)
    n_run = sum(not isinstance(r, HashThreshold) for r in records) - n_skip
    return RunPlan(records, chosen, n_run, n_skip)


def run_file(
    path: str | os.PathLike[str],
    connect: Connect,
    *,
    sample: int | None = None,
    stop_after: int | None = None,
    engine: str = DEFAULT_ENGINE_NAME,
    progress: Callable[[FileResult], None] | None = None,
    on_plan: Callable[[RunPlan], None] | None = None,
) -> FileResult:
    """Run one .test file on a fresh connection and count passed/failed/skipped records.

    `sample` runs every statement but only about that many queries spread over the file;
    `stop_after` limits the run to the first N applicable records; `progress` is called
    after every counted record; `on_plan` receives the plan before anything runs.
    """
    result = FileResult(str(path))
    start = time.perf_counter()
    try:
        plan = plan_file(path, sample=sample, stop_after=stop_after, engine=engine)
    except Exception as exc:
        result.add(Failure(0, "", "parsable file", _error_text(exc)))
        return result
    if on_plan is not None:
        on_plan(plan)
    try:
        conn = connect()
    except Exception as exc:
        result.failed = plan.n_run
        result.skipped = plan.n_skip
        result.failures.append(Failure(0, "", "connection", _error_text(exc)))
        return result
    try:
        _run_records(conn, plan, result, progress)
    finally:
        _close_quietly(conn)
        result.elapsed = time.perf_counter() - start
    return result


def _run_records(
    conn: Any, plan: RunPlan, result: FileResult, progress: Callable[[FileResult], None] | None
) -> None:
    """Execute the planned records in order, updating result."""
    threshold = 0
    query_index = -1
    for record in plan.records:
        if isinstance(record, HashThreshold):
            threshold = record.threshold
            continue
        if isinstance(record, Query):
            query_index += 1
            if plan.chosen is not None and query_index not in plan.chosen:
                result.skipped += 1
                continue
        result.add(_run_record(conn, record, threshold))
        if progress is not None:
            progress(result)


def _run_record(conn: Any, record: Record, threshold: int) -> Failure | None:
    """Run one statement or query record, converting any stray error into a Failure."""
    try:
        if isinstance(record, Statement):
            return run_statement(conn, record)
        assert isinstance(record, Query)
        return run_query(conn, record, threshold)
    except Exception as exc:
        return Failure(record.line, getattr(record, "sql", ""), "no runner error", _error_text(exc))


# --------------------------------------------------------------------------- engines


def _sqlite3_connect() -> Any:
    """Open an in-memory database with Python's sqlite3 module."""
    import sqlite3

    return sqlite3.connect(":memory:")


def _terndb_connect() -> Any:
    """Open an in-memory TernDB database."""
    core = str(REPO_ROOT / "core")
    if core not in sys.path:
        sys.path.insert(0, core)
    terndb = importlib.import_module("terndb")
    return terndb.connect(":memory:")


ENGINES: dict[str, Connect] = {"sqlite3": _sqlite3_connect, "terndb": _terndb_connect}


def get_connect(engine: str) -> Connect:
    """Resolve an engine name, or a "module:function" spec, to a connect factory."""
    if engine in ENGINES:
        return ENGINES[engine]
    if ":" in engine:
        module_name, func_name = engine.split(":", 1)
        func = getattr(importlib.import_module(module_name), func_name)
        return lambda: func(":memory:")
    raise ValueError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)}, or module:function)")


# --------------------------------------------------------------------------- CLI


def find_test_files(paths: Iterable[str]) -> list[Path]:
    """Expand files and directories (recursively) into a sorted list of .test files."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(sorted(path.rglob("*.test")))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(name)
    return found


def display_path(path: str | Path) -> str:
    """Path relative to the corpus root when under it, else as given."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(CORPUS_ROOT.resolve()))
    except ValueError:
        return str(path)


def _trim_failures(result: FileResult, max_failures: int | None) -> FileResult:
    """Keep at most max_failures failure details (counts are untouched)."""
    if max_failures is not None and len(result.failures) > max_failures:
        result.failures = result.failures[:max_failures]
    return result


def _run_one(path: str, engine: str, sample: int | None, max_failures: int | None) -> FileResult:
    """Run one file in this process with the named engine."""
    return _trim_failures(run_file(path, get_connect(engine), sample=sample), max_failures)


def _worker(path: str, engine: str, sample: int | None, max_failures: int | None, counters: Any, conn: Any) -> None:
    """Child-process body: run a file, keep shared counters current, send the result."""

    def on_plan(plan: RunPlan) -> None:
        counters[0], counters[1] = plan.n_run, plan.n_skip

    def progress(result: FileResult) -> None:
        counters[2], counters[3] = result.passed, result.failed

    try:
        result = run_file(path, get_connect(engine), sample=sample, progress=progress, on_plan=on_plan)
        conn.send(_trim_failures(result, max_failures))
    finally:
        conn.close()


@dataclass
class _Job:
    """A file running in a child process."""

    path: str
    process: multiprocessing.Process
    reader: Any
    counters: Any
    started: float


def _abandoned_result(job: _Job, reason: str, sample: int | None) -> FileResult:
    """Result for a file whose process timed out or died: remaining records count as failed."""
    n_run, n_skip, passed, failed = list(job.counters)
    if n_run == 0 and n_skip == 0:
        try:
            plan = plan_file(job.path, sample=sample)
            n_run, n_skip = plan.n_run, plan.n_skip
        except Exception:
            pass
    remaining = max(n_run - passed - failed, 0)
    result = FileResult(job.path, passed, failed + remaining, n_skip, elapsed=time.perf_counter() - job.started)
    result.timed_out = reason == "timeout"
    message = f"{reason}: {remaining} remaining records counted as failed"
    result.failures.append(Failure(0, "", "file to finish", message))
    return result


def _start_job(path: str, engine: str, sample: int | None, max_failures: int | None) -> _Job:
    """Start a child process running one file."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    counters = multiprocessing.Array("q", 4, lock=False)
    process = multiprocessing.Process(
        target=_worker, args=(path, engine, sample, max_failures, counters, writer), daemon=True
    )
    process.start()
    writer.close()
    return _Job(path, process, reader, counters, time.perf_counter())


def _finish_job(job: _Job, sample: int | None) -> FileResult:
    """Collect a finished child's result (or describe its crash)."""
    try:
        result = job.reader.recv()
    except (EOFError, OSError):
        job.process.join()
        result = _abandoned_result(job, f"worker died (exit code {job.process.exitcode})", sample)
    job.reader.close()
    job.process.join()
    return result


def run_parallel(
    paths: Sequence[str],
    engine: str,
    *,
    sample: int | None,
    jobs: int,
    timeout: float | None,
    max_failures: int | None,
) -> Iterator[FileResult]:
    """Run files in child processes (at most `jobs` at once), yielding results as they end."""
    pending = list(paths)
    running: list[_Job] = []
    while pending or running:
        while pending and len(running) < jobs:
            running.append(_start_job(pending.pop(0), engine, sample, max_failures))
        wait_for = _next_deadline(running, timeout)
        ready = multiprocessing.connection.wait([job.reader for job in running], timeout=wait_for)
        for job in [j for j in running if j.reader in ready]:
            running.remove(job)
            yield _finish_job(job, sample)
        for job in _expired(running, timeout):
            running.remove(job)
            job.process.kill()
            job.process.join()
            job.reader.close()
            yield _abandoned_result(job, "timeout", sample)


def _next_deadline(running: list[_Job], timeout: float | None) -> float | None:
    """Seconds until the earliest running job times out (None without a timeout)."""
    if timeout is None or not running:
        return None
    now = time.perf_counter()
    return max(0.0, min(job.started + timeout - now for job in running))


def _expired(running: list[_Job], timeout: float | None) -> list[_Job]:
    """Running jobs that exceeded the timeout."""
    if timeout is None:
        return []
    now = time.perf_counter()
    return [job for job in running if now - job.started >= timeout]


def _percent(passed: int, failed: int) -> str:
    """Pass rate of executed records, rounded down so that any failure shows below 100%."""
    executed = passed + failed
    if not executed:
        return "n/a"
    return f"{math.floor(10000.0 * passed / executed) / 100:.2f}%"


def _summary_line(name: str, passed: int, failed: int, skipped: int) -> str:
    """One summary line."""
    skip = f", {skipped} skipped" if skipped else ""
    return f"{name}: {passed} passed, {failed} failed{skip} ({_percent(passed, failed)})"


def _print_file(result: FileResult, verbose: bool) -> None:
    """Print one line for a finished file, plus its failures when verbose."""
    status = "TIMEOUT" if result.timed_out else ("FAIL" if result.failed else "ok")
    line = _summary_line(display_path(result.path), result.passed, result.failed, result.skipped)
    print(f"{status:7} {line} [{result.elapsed:.1f}s]", flush=True)
    if verbose:
        for failure in result.failures:
            print(_describe_failure(failure), flush=True)


def _indent(text: str) -> str:
    """Indent every line of text for the failure listing."""
    return "\n".join("      " + line for line in text.splitlines())


def _describe_failure(failure: Failure) -> str:
    """Multi-line description of one failure."""
    return (
        f"  line {failure.line}:\n{_indent(failure.sql)}\n    expected:\n{_indent(failure.expected)}"
        f"\n    got:\n{_indent(failure.got)}"
    )


def summarize(results: Iterable[FileResult]) -> dict[str, dict[str, int]]:
    """Passed/failed/skipped totals per directory (relative to the corpus root)."""
    totals: dict[str, dict[str, int]] = {}
    for result in results:
        directory = str(Path(display_path(result.path)).parent)
        entry = totals.setdefault(directory, {"passed": 0, "failed": 0, "skipped": 0, "files": 0})
        entry["passed"] += result.passed
        entry["failed"] += result.failed
        entry["skipped"] += result.skipped
        entry["files"] += 1
    return dict(sorted(totals.items()))


def _print_summary(summary: dict[str, dict[str, int]], elapsed: float) -> dict[str, int]:
    """Print per-directory lines and the total; return the total."""
    total = {"passed": 0, "failed": 0, "skipped": 0, "files": 0}
    print()
    for directory, entry in summary.items():
        print(_summary_line(directory, entry["passed"], entry["failed"], entry["skipped"]))
        for key in total:
            total[key] += entry[key]
    name = f"TOTAL ({total['files']} files, {elapsed:.1f}s)"
    print(_summary_line(name, total["passed"], total["failed"], total["skipped"]))
    return total


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m tests.conformance.slt", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help=".test files or directories (searched recursively)")
    parser.add_argument("--engine", default="sqlite3", help="sqlite3, terndb, or module:function (default sqlite3)")
    parser.add_argument("--sample", type=int, default=None, help="run only about K queries per file")
    parser.add_argument("--jobs", type=int, default=1, help="files run in parallel processes")
    parser.add_argument("--timeout", type=float, default=None, help="per-file time limit in seconds")
    parser.add_argument("--max-failures", type=int, default=100, help="failure details kept per file")
    parser.add_argument("--verbose", action="store_true", help="print every failure")
    parser.add_argument("--out", default=None, help="write a JSON report here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; exit status 1 when any record failed."""
    args = _parse_args(argv)
    get_connect(args.engine)  # fail fast on an unknown engine name
    files = [str(p) for p in find_test_files(args.paths)]
    start = time.perf_counter()
    if args.jobs > 1 or args.timeout is not None:
        stream = run_parallel(
            files,
            args.engine,
            sample=args.sample,
            jobs=max(args.jobs, 1),
            timeout=args.timeout,
            max_failures=args.max_failures,
        )
    else:
        stream = (_run_one(path, args.engine, args.sample, args.max_failures) for path in files)
    results: list[FileResult] = []
    for result in stream:
        _print_file(result, args.verbose)
        results.append(result)
    results.sort(key=lambda r: r.path)
    elapsed = time.perf_counter() - start
    summary = summarize(results)
    total = _print_summary(summary, elapsed)
    if args.out:
        _write_report(args, results, summary, total, elapsed)
    return 1 if total["failed"] else 0


def _write_report(
    args: argparse.Namespace,
    results: list[FileResult],
    summary: dict[str, dict[str, int]],
    total: dict[str, int],
    elapsed: float,
) -> None:
    """Write the JSON report."""
    report = {
        "engine": args.engine,
        "sample": args.sample,
        "elapsed": elapsed,
        "total": total,
        "directories": summary,
        "files": [dict(r.to_dict(), path=display_path(r.path)) for r in results],
    }
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
