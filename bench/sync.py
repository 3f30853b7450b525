"""Sync benchmark: many simulated clients on loopback against one `terndb serve`.

    ./build.sh bench-sync [--clients 50] [--seconds 15] [--rows 100000] [--json PATH]

Phases (the server is a real `terndb serve` subprocess on 127.0.0.1, file-backed):

0. push-only: every client commits one-row transactions and uploads them in a closed
   loop, downloading nothing: the server's merge capacity (group commit included).
1. saturation: every client, in a closed loop, commits a one-row transaction and runs
   a sync round (push, then pull to the end).  Reports merged changes per second at the
   server (from its /metrics counters) over the window.
2. latency: every client commits one row every ``--interval`` seconds and otherwise
   long-polls; for each row it receives from another client, the time from the write's
   commit to the pull response carrying it.  p50/p99 over all arrivals.
3. initial sync: a fresh file-backed client syncs a 100k-row table (reset snapshot),
   compared with loading the same rows through ``executemany`` into a fresh file.

Server peak memory is the server process's own max RSS (getrusage, from /metrics).
This is not a test; nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "core"))
import terndb  # noqa: E402
from terndb.server import auth  # noqa: E402
from terndb.sync import SyncError  # noqa: E402
from terndb.sync.client import SyncClient, run_round, urllib_post  # noqa: E402
from terndb.sync.protocol import dumps  # noqa: E402

SECRET = "bench-secret"
CONFIG = '''
[server]
secret_env = "TERNDB_BENCH_SECRET"
max_request_bytes = 67108864
schema = """
CREATE TABLE IF NOT EXISTS msg(id TEXT PRIMARY KEY, writer INTEGER, ts REAL, body TEXT);
CREATE TABLE IF NOT EXISTS big(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, amount REAL);
"""
[tables.msg]
read = "1"
write = "1"
[tables.big]
read = "1"
write = "1"
'''


def tok(user: str = "u") -> str:
    return auth.sign({"sub": user, "exp": time.time() + 86400}, SECRET)


def start_server(data: Path, cfg: Path) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, TERNDB_BENCH_SECRET=SECRET)
    env["PYTHONPATH"] = str(ROOT / "core") + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.Popen([sys.executable, "-m", "terndb", "serve", "--data", str(data), "--config", str(cfg),
                          "--port", "0"], stdout=subprocess.PIPE, env=env, text=True)
    line = p.stdout.readline()  # type: ignore[union-attr]
    if "listening on" not in line:
        raise RuntimeError(f"server did not start: {line!r}")
    return p, line.split("listening on ")[1].split()[0]


def metrics(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url + "/metrics") as r:
        out = {}
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#") and "{" not in line:
                k, v = line.split()
                out[k] = float(v)
        return out


class Client(threading.Thread):
    def __init__(self, i: int, url: str, mode: str, deadline: float, interval: float, barrier: Any):
        super().__init__(daemon=True)
        self.i, self.url, self.mode, self.deadline, self.interval = i, url, mode, deadline, interval
        self.barrier = barrier
        self.latencies: list[float] = []
        self.writes = 0
        self.errors = 0

    def post(self, url: str, data: bytes, headers: dict) -> tuple[int, bytes]:
        status, body = self.inner(url, data, headers)
        if url.endswith("/v1/pull") and status == 200:
            now = time.time()
            for e in json.loads(body).get("entries", []):
                for op in e.get("ops", []):
                    row = op.get("row")
                    if row and row.get("writer") != self.i and "ts" in row:
                        self.latencies.append(now - row["ts"])
        return status, body

    def run(self) -> None:
        self.inner = urllib_post(timeout=120)
        con = terndb.connect(f"memory://bench-{self.mode}-{self.i}-{id(self)}", check_same_thread=False)
        client = SyncClient(con, [{"table": "msg"}])
        t = tok()
        headers = {"Authorization": f"Bearer {t}", "Content-Type": "application/json"}
        run_round(client, self.url, t, urllib_post())
        self.barrier.wait()
        rnd = random.Random(self.i)
        next_write = time.time() + rnd.random() * self.interval
        n = 0
        while time.time() < self.deadline:
            try:
                if self.mode == "push-only":
                    # Server merge capacity: upload only, nothing to fan out to the clients.
                    con.execute("INSERT INTO msg VALUES (?, ?, ?, ?)", (f"{self.i}-{n}", self.i, time.time(), "x" * 40))
                    con.commit()
                    n += 1
                    self.writes += 1
                    while (req := client.push_request()) is not None:
                        status, data = self.inner(self.url + "/v1/push", dumps(req), headers)
                        client.handle_push(status, json.loads(data))
                elif self.mode == "saturate" or time.time() >= next_write:
                    con.execute("INSERT INTO msg VALUES (?, ?, ?, ?)", (f"{self.i}-{n}", self.i, time.time(), "x" * 40))
                    con.commit()
                    n += 1
                    self.writes += 1
                    next_write += self.interval
                    run_round(client, self.url, t, self.post)
                else:
                    wait = max(0.0, min(next_write - time.time(), self.deadline - time.time()))
                    run_round(client, self.url, t, self.post, wait=wait)
            except SyncError:
                self.errors += 1
                time.sleep(0.1)
        con.close()


def run_clients(url: str, n: int, mode: str, seconds: float, interval: float) -> dict[str, Any]:
    barrier = threading.Barrier(n + 1, timeout=300)
    warm = 2.0
    deadline = time.time() + 3600
    clients = [Client(i, url, mode, deadline, interval, barrier) for i in range(n)]
    for c in clients:
        c.start()
    barrier.wait()
    start = time.time()
    end = start + warm + seconds
    for c in clients:
        c.deadline = end
    time.sleep(warm)
    m0 = metrics(url)
    c0 = time.process_time()
    t0 = time.time()
    for c in clients:
        c.latencies.clear()
    time.sleep(max(0.0, end - time.time()))
    m1 = metrics(url)
    c1 = time.process_time()
    t1 = time.time()
    for c in clients:
        c.join(60)
    lat = sorted(x for c in clients for x in c.latencies)
    dt = t1 - t0
    return {
        "clients": n, "seconds": round(dt, 2),
        "merged_changes_per_s": round((m1["terndb_sync_ops_merged_total"] - m0["terndb_sync_ops_merged_total"]) / dt, 1),
        "txns_per_s": round((m1["terndb_sync_txns_applied_total"] - m0["terndb_sync_txns_applied_total"]) / dt, 1),
        "push_requests_per_commit": round((m1["terndb_sync_push_requests_total"] - m0["terndb_sync_push_requests_total"])
                                          / max(1.0, m1["terndb_sync_commits_total"] - m0["terndb_sync_commits_total"]), 2),
        "pulls_per_s": round((m1["terndb_sync_pull_requests_total"] - m0["terndb_sync_pull_requests_total"]) / dt, 1),
        "arrivals": len(lat),
        "latency_p50_ms": round(1000 * lat[len(lat) // 2], 1) if lat else None,
        "latency_p99_ms": round(1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1) if lat else None,
        "client_errors": sum(c.errors for c in clients),
        "server_max_rss_mib": round(m1["terndb_sync_max_rss_bytes"] / 2**20, 1),
        "server_cpu_share": round((m1["terndb_sync_cpu_seconds"] - m0["terndb_sync_cpu_seconds"]) / dt, 2),
        "clients_cpu_share": round((c1 - c0) / dt, 2),
    }


def big_rows(n: int) -> list[tuple]:
    rnd = random.Random(1)
    return [(i, rnd.randrange(100), f"name-{rnd.randrange(10**6):06d}", round(rnd.random() * 1000, 2))
            for i in range(1, n + 1)]


def initial_sync(tmp: Path, cfg: Path, n: int) -> dict[str, Any]:
    from terndb.server.config import load
    from terndb.server.store import ServerStore
    data = tmp / "big-server"
    data.mkdir()
    os.environ["TERNDB_BENCH_SECRET"] = SECRET
    store = ServerStore(str(data / "server.terndb"), load(str(cfg)))
    rows = big_rows(n)
    t = time.perf_counter()
    store.con.executemany("INSERT INTO big VALUES (?, ?, ?, ?)", rows)
    store.con.commit()
    preload = time.perf_counter() - t
    store.close()
    proc, url = start_server(data, cfg)
    try:
        out: dict[str, Any] = {"rows": n, "server_preload_s": round(preload, 2)}
        times = []
        for k in range(3):
            con = terndb.connect(str(tmp / f"fresh-{k}.terndb"))
            t = time.perf_counter()
            r = con.sync(url, token=tok(), subscriptions=[{"table": "big"}])
            times.append(time.perf_counter() - t)
            assert r.reset and con.execute("SELECT count(*) FROM big").fetchone()[0] == n
            con.close()
        out["initial_sync_s"] = round(statistics.median(times), 2)
        times = []
        for k in range(3):
            con = terndb.connect(str(tmp / f"load-{k}.terndb"))
            t = time.perf_counter()
            con.execute("CREATE TABLE big(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, amount REAL)")
            con.executemany("INSERT INTO big VALUES (?, ?, ?, ?)", rows)
            con.commit()
            times.append(time.perf_counter() - t)
            con.close()
        out["executemany_s"] = round(statistics.median(times), 2)
        out["ratio"] = round(out["initial_sync_s"] / out["executemany_s"], 2)
        # Where the time goes: the server's snapshot response alone.
        body = json.dumps({"v": 1, "client": "probe", "cursor": None, "subscriptions": [{"table": "big"}]}).encode()
        t = time.perf_counter()
        status, data_ = urllib_post()(url + "/v1/pull", body, {"Authorization": f"Bearer {tok()}",
                                                              "Content-Type": "application/json"})
        out["snapshot_response_s"] = round(time.perf_counter() - t, 2)
        out["snapshot_bytes"] = len(data_)
        out["server_max_rss_mib"] = round(metrics(url)["terndb_sync_max_rss_bytes"] / 2**20, 1)
        return out
    finally:
        proc.kill()
        proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between writes per client (latency phase)")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--only", choices=["push-only", "saturate", "latency", "initial"], action="append")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    results: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="terndb-bench-sync-") as d:
        tmp = Path(d)
        cfg = tmp / "terndb.toml"
        cfg.write_text(CONFIG)
        only = set(args.only or ["push-only", "saturate", "latency", "initial"])
        for mode in ("push-only", "saturate", "latency"):
            if mode not in only:
                continue
            proc, url = start_server(tmp / f"server-{mode}", cfg)
            try:
                results[mode] = run_clients(url, args.clients, mode, args.seconds, args.interval)
            finally:
                proc.kill()
                proc.wait()
            print(mode, json.dumps(results[mode]), flush=True)
        if "initial" in only:
            results["initial"] = initial_sync(tmp, cfg, args.rows)
            print("initial", json.dumps(results["initial"]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
