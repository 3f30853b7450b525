"""Build the web demo and run it under `terndb serve` (what `./build.sh demo` runs).

    python web-demo/demo.py [--port 8787] [--data build/demo-data] [--site build/demo-site]
    python web-demo/demo.py build --site DIR        # only assemble the static site

The site is plain ES modules (no bundler): the app (``web-demo/app``), the TernDB JS
package (``wasm/src``) and the Pyodide runtime with the terndb wheel (``wasm/dist``,
built by ``./build.sh wasm``), all served from the one origin, plus a service worker
whose cache list and version are written here so the app starts with the network off.

Demo sign-in: the tokens of the demo users are minted here at start-up (HS256, with a
secret kept in the data directory or taken from $TERNDB_SECRET) and published as
``/demo-tokens.json``.  That is only acceptable for a demo: a real app gets its token
from its own login.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
APP = os.path.join(HERE, "app")
WASM_SRC = os.path.join(ROOT, "wasm", "src")
PYODIDE = os.path.join(ROOT, "wasm", "dist", "pyodide")
CONFIG = os.path.join(HERE, "terndb.toml")
USERS = ["ann", "bob"]
PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]


def _copy(src: str, dst: str) -> None:
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)


def build_site(site: str) -> list[str]:
    """Assemble the static site in ``site``; returns the URLs the service worker caches."""
    if not os.path.exists(os.path.join(PYODIDE, "pyodide-lock.json")):
        raise SystemExit("wasm/dist is not built: run ./build.sh wasm")
    os.makedirs(site, exist_ok=True)
    files: list[str] = []
    for name in sorted(os.listdir(APP)):
        if name == "sw.js":
            continue
        _copy(os.path.join(APP, name), os.path.join(site, name))
        files.append(name)
    for name in sorted(os.listdir(WASM_SRC)):
        if name.endswith((".mjs", ".py")):
            _copy(os.path.join(WASM_SRC, name), os.path.join(site, "terndb", "src", name))
            files.append(f"terndb/src/{name}")
    lock = json.load(open(os.path.join(PYODIDE, "pyodide-lock.json"), encoding="utf-8"))
    wheel = lock["packages"]["terndb"]["file_name"]
    for name in PYODIDE_FILES + [wheel]:
        _copy(os.path.join(PYODIDE, name), os.path.join(site, "terndb", "dist", "pyodide", name))
        files.append(f"terndb/dist/pyodide/{name}")
    h = hashlib.sha256()
    for f in files:
        h.update(f.encode())
        with open(os.path.join(site, f), "rb") as fh:
            h.update(hashlib.sha256(fh.read()).digest())
    version = h.hexdigest()[:12]
    sw = open(os.path.join(APP, "sw.js"), encoding="utf-8").read()
    sw = sw.replace('"__VERSION__"', json.dumps(version)).replace("[/*__ASSETS__*/]", json.dumps(["./"] + files))
    with open(os.path.join(site, "sw.js"), "w", encoding="utf-8") as f:
        f.write(sw)
    return files


def secret_for(data: str) -> str:
    """$TERNDB_SECRET, or a random secret kept in the data directory (tokens survive restarts)."""
    s = os.environ.get("TERNDB_SECRET")
    if s:
        return s
    os.makedirs(data, exist_ok=True)
    path = os.path.join(data, "demo-secret")
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return open(path, encoding="utf-8").read().strip()


def write_tokens(site: str, secret: str, days: float = 30) -> dict[str, str]:
    """Mint the demo users' tokens and publish them as /demo-tokens.json (demo only)."""
    sys.path.insert(0, os.path.join(ROOT, "core"))
    from terndb.server.auth import sign
    exp = int(time.time() + days * 86400)
    tokens = {u: sign({"sub": u, "exp": exp}, secret) for u in USERS}
    with open(os.path.join(site, "demo-tokens.json"), "w", encoding="utf-8") as f:
        json.dump({"note": "demo only: tokens minted by web-demo/demo.py at start-up", "tokens": tokens}, f)
    return tokens


def start_server(site: str, data: str, secret: str, host: str = "127.0.0.1",
                 port: int = 8787) -> tuple[subprocess.Popen, str]:
    """`terndb serve` with the demo config as a child process; returns it and its URL."""
    env = {**os.environ, "TERNDB_SECRET": secret, "PYTHONUNBUFFERED": "1"}
    p = subprocess.Popen([sys.executable, "-m", "terndb", "serve", "--data", data, "--config", CONFIG,
                          "--host", host, "--port", str(port), "--static", site],
                         stdout=subprocess.PIPE, text=True, env=env)
    assert p.stdout is not None
    line = p.stdout.readline()
    if "listening on " not in line:
        p.kill()
        raise SystemExit(f"terndb serve did not start: {line.strip() or 'no output'}")
    url = line.split("listening on ", 1)[1].split()[0]
    return p, url


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="./build.sh demo", description=__doc__.split("\n\n")[0])
    ap.add_argument("command", nargs="?", default="run", choices=["run", "build"])
    ap.add_argument("--site", default=os.path.join(ROOT, "build", "demo-site"))
    ap.add_argument("--data", default=os.path.join(ROOT, "build", "demo-data"))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8787)
    a = ap.parse_args(argv)
    build_site(a.site)
    if a.command == "build":
        print(f"web demo built in {a.site}")
        return 0
    secret = secret_for(a.data)
    write_tokens(a.site, secret)
    proc, url = start_server(a.site, a.data, secret, a.host, a.port)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    print(f"\nTernDB web demo: open {url}/ in a browser (Ctrl-C stops the server)\n"
          f"  data: {a.data}  (delete it to start over)\n"
          f"  sign in as ann or bob; open a second window (or another browser profile) to see sync\n",
          flush=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
