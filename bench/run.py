"""TernDB benchmarks against sqlite3 (C) in the same process and the same run.

    ./build.sh bench [--quick] [--only NAME] [--json PATH]

Every figure is a median over repeats, reported with the ratio to sqlite3
measured right next to it, because this machine is shared and noisy: absolute
times drift, ratios much less.  This is not a test; nothing here asserts.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "core"))
import terndb  # noqa: E402

N_ROWS = 100_000
N_LOOKUPS = 20_000
N_DIM = 1_000
N_OPEN = 1_000_000

ENGINES: dict[str, Callable[[str], Any]] = {
    "terndb": lambda path: terndb.connect(path),
    "sqlite3": lambda path: sqlite3.connect(path),
}


def rows(n: int, seed: int = 1) -> list[tuple]:
    rnd = random.Random(seed)
    return [(i, rnd.randrange(100), f"name-{rnd.randrange(10**6):06d}", round(rnd.random() * 1000, 2))
            for i in range(1, n + 1)]


def timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def median_of(fn: Callable[[], float], repeats: int) -> float:
    return statistics.median(fn() for _ in range(repeats))


# ----------------------------------------------------------------- workloads


def bench_bulk_insert(engine: str, repeats: int) -> float:
    data = rows(N_ROWS)

    def once() -> float:
        con = ENGINES[engine](":memory:")
        con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, amount REAL)")
        con.commit()

        def work() -> None:
            con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", data)
            con.commit()
        dt = timed(work)
        con.close()
        return dt
    return median_of(once, repeats)


def _loaded(engine: str, path: str = ":memory:") -> Any:
    con = ENGINES[engine](path)
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, amount REAL)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows(N_ROWS))
    con.commit()
    return con


def bench_lookups(engine: str, repeats: int) -> float:
    con = _loaded(engine)
    keys = [random.Random(2).randrange(1, N_ROWS + 1) for _ in range(N_LOOKUPS)]

    def work() -> None:
        ex = con.execute
        for k in keys:
            ex("SELECT * FROM t WHERE id = ?", (k,)).fetchone()
    work()  # warm the statement cache, as any real application would
    dt = median_of(lambda: timed(work), repeats)
    con.close()
    return dt


def bench_groupby(engine: str, repeats: int) -> float:
    con = _loaded(engine)
    sql = "SELECT grp, count(*), sum(amount), avg(amount) FROM t WHERE amount > ? GROUP BY grp"

    def work() -> None:
        con.execute(sql, (100.0,)).fetchall()
    work()
    dt = median_of(lambda: timed(work), repeats)
    con.close()
    return dt


def bench_join(engine: str, repeats: int) -> float:
    con = _loaded(engine)
    con.execute("CREATE TABLE d(id INTEGER PRIMARY KEY, label TEXT, weight REAL)")
    rnd = random.Random(3)
    con.executemany("INSERT INTO d VALUES (?, ?, ?)",
                    [(i, f"dim-{i}", rnd.random()) for i in range(N_DIM)])
    con.commit()
    sql = "SELECT count(*), sum(t.amount * d.weight) FROM t JOIN d ON d.id = t.grp * 10"

    def work() -> None:
        con.execute(sql).fetchall()
    work()
    dt = median_of(lambda: timed(work), repeats)
    con.close()
    return dt


def bench_window(engine: str, repeats: int) -> float:
    con = _loaded(engine)
    sql = ("SELECT id, row_number() OVER (PARTITION BY grp ORDER BY amount), "
           "sum(amount) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) FROM t")

    def work() -> None:
        for _ in con.execute(sql):
            pass
    work()
    dt = median_of(lambda: timed(work), repeats)
    con.close()
    return dt


def bench_durable_commit(engine: str, repeats: int) -> float:
    d = tempfile.mkdtemp(prefix="ternbench")
    try:
        con = ENGINES[engine](os.path.join(d, "db"))
        if engine == "sqlite3":
            con.execute("PRAGMA synchronous=FULL")
        con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, amount REAL)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows(10_000))
        con.commit()
        i = [10_000]

        def one() -> float:
            i[0] += 1
            t = time.perf_counter()
            con.execute("INSERT INTO t VALUES (?, ?, ?, ?)", (i[0], 1, "x", 1.0))
            con.commit()
            return time.perf_counter() - t
        for _ in range(20):
            one()
        dt = statistics.median(one() for _ in range(max(50, repeats * 50)))
        con.close()
        return dt
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _build_big_file(engine: str, path: str) -> None:
    con = ENGINES[engine](path)
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, amount REAL)")
    batch = []
    rnd = random.Random(5)
    for i in range(1, N_OPEN + 1):
        batch.append((i, rnd.randrange(100), f"name-{i:07d}", i * 0.5))
        if len(batch) == 100_000:
            con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", batch)
            batch.clear()
    con.commit()
    con.close()


def bench_open(engine: str, repeats: int, workdir: str) -> float:
    path = os.path.join(workdir, f"big-{engine}.db")
    if not os.path.exists(path):
        _build_big_file(engine, path)

    def once() -> float:
        code = (f"import sys, time; sys.path.insert(0, {str(ROOT / 'core')!r}); import {engine}; "
                f"t = time.perf_counter(); c = {engine}.connect({path!r}); "
                f"c.execute('SELECT * FROM t WHERE id = 500000').fetchall(); "
                f"print(time.perf_counter() - t)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return float(out.stdout.strip())
    return median_of(once, repeats)


def bench_memory(engine: str, workdir: str) -> float:
    """Peak RSS growth (MiB) of a process loading (in 100k-row commits) and scanning a 1M-row in-memory table."""
    code = f"""
import resource, sys, random
def peak_kib():
    # VmHWM belongs to this process image; ru_maxrss survives exec from the parent.
    try:
        for line in open('/proc/self/status'):
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.path.insert(0, {str(ROOT / 'core')!r})
import {engine}
base = peak_kib()
c = {engine}.connect(':memory:')
c.execute('CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, amount REAL)')
rnd = random.Random(5)
for start in range(0, {N_OPEN}, 100000):
    c.executemany('INSERT INTO t VALUES (?, ?, ?, ?)',
                  [(i, rnd.randrange(100), 'name-%07d' % i, i * 0.5) for i in range(start + 1, start + 100001)])
    c.commit()
c.execute('SELECT count(*), sum(amount) FROM t').fetchall()
print((peak_kib() - base) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


BENCHES = {
    "bulk_insert": ("bulk insert 100k rows, one transaction", bench_bulk_insert, 3.0, "s"),
    "lookups": ("20k primary-key lookups via execute(?)", bench_lookups, 2.0, "s"),
    "groupby": ("filtered GROUP BY over 100k rows", bench_groupby, 3.0, "s"),
    "join": ("100k x 1k join with aggregate", bench_join, 3.0, "s"),
    "window": ("two window functions over 100k rows", bench_window, None, "s"),
    "durable_commit": ("durable one-row commit (file)", bench_durable_commit, 2.0, "s"),
    "open": ("open a 1M-row database + one lookup", None, None, "s"),
    "memory": ("peak memory, 1M-row in-memory table", None, None, "MiB"),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--only", action="append", help="run only these benchmarks")
    ap.add_argument("--json", help="write results as JSON here")
    args = ap.parse_args(argv)
    repeats = 3 if args.quick else 7
    workdir = os.environ.get("TERNDB_BENCH_DIR") or str(ROOT / "build" / "bench")
    os.makedirs(workdir, exist_ok=True)
    results: dict[str, dict[str, float]] = {}
    for name, (title, fn, target, unit) in BENCHES.items():
        if args.only and name not in args.only:
            continue
        res = {}
        for engine in ("sqlite3", "terndb"):
            if name == "open":
                res[engine] = bench_open(engine, repeats, workdir)
            elif name == "memory":
                res[engine] = bench_memory(engine, workdir)
            else:
                res[engine] = fn(engine, repeats)  # type: ignore[misc]
        results[name] = res
        ratio = res["terndb"] / res["sqlite3"] if res["sqlite3"] else float("inf")
        tgt = f"target <= {target}x" if target else ""
        if unit == "s":
            print(f"{title:48s} sqlite3 {res['sqlite3'] * 1000:9.2f} ms  terndb {res['terndb'] * 1000:9.2f} ms"
                  f"  ratio {ratio:6.2f}x  {tgt}", flush=True)
        else:
            print(f"{title:48s} sqlite3 {res['sqlite3']:9.1f} {unit} terndb {res['terndb']:9.1f} {unit}"
                  f"  ratio {ratio:6.2f}x", flush=True)
    meta = {"python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version,
            "machine": platform.machine(), "cpus": os.cpu_count(), "repeats": repeats,
            "date": time.strftime("%Y-%m-%d")}
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
