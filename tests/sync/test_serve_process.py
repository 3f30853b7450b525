"""`terndb serve` as a real subprocess: clients sync over HTTP, the server is killed with
SIGKILL in the middle of uploads and restarted on the same data directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import terndb

from .harness import SECRET, token, defer_import

defer_import(globals(), "terndb.sync", 'SyncError')
defer_import(globals(), "terndb.sync.client", 'SyncClient', 'run_round', 'urllib_post')

ROOT = Path(__file__).resolve().parents[2]
SUBS = [{"table": "item"}]

CONFIG = '''
[server]
secret_env = "TERNDB_TEST_SECRET"
schema = """
CREATE TABLE IF NOT EXISTS item(id TEXT PRIMARY KEY, owner TEXT NOT NULL, shared INTEGER DEFAULT 0,
                                a INTEGER, b TEXT);
"""

[tables.item]
read = "owner = :user_id OR shared = 1"
write = "owner = :user_id"
'''


def _env() -> dict:
    env = dict(os.environ)
    env["TERNDB_TEST_SECRET"] = SECRET
    env["PYTHONPATH"] = str(ROOT / "core") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start(data: Path, cfg: Path) -> tuple[subprocess.Popen, str]:
    p = subprocess.Popen([sys.executable, "-m", "terndb", "serve", "--data", str(data), "--config", str(cfg),
                          "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), text=True)
    line = p.stdout.readline()
    assert "listening on" in line, (line, p.stderr.read() if p.poll() is not None else "")
    url = line.split("listening on ")[1].split()[0]
    deadline = time.time() + 10
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if json.loads(r.read())["status"] == "ok":
                    return p, url
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def test_serve_subprocess_survives_sigkill_without_losing_acknowledged_writes(tmp_path):
    cfg = tmp_path / "terndb.toml"
    cfg.write_text(CONFIG)
    data = tmp_path / "data"
    proc, url = start(data, cfg)
    acked: set[int] = set()
    state = {"url": url, "stop": False, "written": 0}
    try:
        bob = terndb.connect(str(tmp_path / "bob.terndb"))
        bob.sync(url, token=token("bob"), subscriptions=SUBS)

        def writer():
            con = terndb.connect(str(tmp_path / "alice.terndb"))
            client = SyncClient(con, SUBS)

            def post(u, d, h):
                status, body = urllib_post(timeout=5)(u, d, h)
                if u.endswith("/v1/push") and status == 200:
                    acked.update(r["seq"] for r in json.loads(body)["results"] if r["status"] in ("ok", "dup"))
                return status, body
            try:
                run_round(client, state["url"], token("alice"), post)
            except SyncError:
                pass
            i = 0
            while not state["stop"]:
                con.execute("INSERT INTO item(id, owner, shared, a) VALUES (?, 'alice', 1, ?)", (f"w{i}", i))
                con.commit()
                i += 1
                state["written"] = i
                try:
                    run_round(client, state["url"], token("alice"), post)
                except SyncError:
                    time.sleep(0.02)     # server down: keep writing offline
            # Back online: drain.
            for _ in range(200):
                try:
                    run_round(client, state["url"], token("alice"), post)
                    if client.pending_count() == 0:
                        break
                except SyncError:
                    time.sleep(0.05)
            state["alice_rows"] = con.execute("SELECT * FROM item ORDER BY id").fetchall()
            state["pending"] = client.pending_count()
            con.close()

        th = threading.Thread(target=writer)
        th.start()
        for _ in range(2):
            time.sleep(0.6)
            before = len(acked)
            os.kill(proc.pid, signal.SIGKILL)    # in the middle of uploads
            proc.wait(10)
            assert proc.returncode == -signal.SIGKILL
            time.sleep(0.2)
            proc, url = start(data, cfg)
            state["url"] = url
            assert before > 0
        time.sleep(0.5)
        state["stop"] = True
        th.join(60)
        assert not th.is_alive()
        assert state["pending"] == 0
        n = state["written"]
        # Every write (in particular every acknowledged one) is on the server exactly once.
        with urllib.request.urlopen(urllib.request.Request(
                url + "/v1/sql", data=json.dumps({"sql": "SELECT count(*), count(DISTINCT id) FROM item"}).encode(),
                headers={"Authorization": f"Bearer {token('root', admin=True)}",
                         "Content-Type": "application/json"})) as r:
            assert json.loads(r.read())["rows"] == [[n, n]]
        assert max(acked) <= n
        bob.sync(url, token=token("bob"), subscriptions=SUBS)
        assert bob.execute("SELECT * FROM item ORDER BY id").fetchall() == state["alice_rows"]
        assert len(state["alice_rows"]) == n
        bob.close()
    finally:
        proc.kill()
        proc.wait(10)


def test_serve_refuses_to_start_without_secret_or_with_bad_config(tmp_path):
    cfg = tmp_path / "terndb.toml"
    cfg.write_text(CONFIG)
    env = _env()
    del env["TERNDB_TEST_SECRET"]
    r = subprocess.run([sys.executable, "-m", "terndb", "serve", "--data", str(tmp_path / "d"), "--config", str(cfg),
                        "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "TERNDB_TEST_SECRET" in r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nno_such_setting = 1\n")
    r = subprocess.run([sys.executable, "-m", "terndb", "serve", "--data", str(tmp_path / "d"), "--config", str(bad),
                        "--port", "0"], env=_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "no_such_setting" in r.stderr
