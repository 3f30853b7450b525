"""Browser benchmarks: TernDB (memory, idb, opfs) vs PGlite (memory, idb) vs sqlite3 in Pyodide.

    ./build.sh bench-browser            (or: python -m bench.browser.run [--engines a,b])

Same headless Chromium (Debian's), same run, pages served from 127.0.0.1 with
HTTP caching on.  For each engine, in a fresh on-disk browser profile: one cold
page load (bytes downloaded), three warm loads (page load -> first query
result), then the per-operation benchmark (bench.mjs).  Writes
bench/results/browser.json and prints a Markdown table.  Not part of the tests.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import statistics
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Handler, WASM  # noqa: E402

ENGINES = ["terndb-memory", "terndb-idb", "terndb-idb-relaxed", "terndb-opfs", "pglite-memory", "pglite-idb", "sqlite3-pyodide"]


SERVED = [0]   # bytes of response bodies sent (counted on the server: workers' fetches too)


class BenchHandler(Handler):
    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "content-length":
            SERVED[0] += int(value)
        super().send_header(keyword, value)

    def translate_path(self, path: str) -> str:
        p = path.split("?", 1)[0]
        if p.startswith("/bench/"):
            rel = os.path.normpath(p[len("/bench/"):]).lstrip("/")
            if not rel.startswith(".."):
                return os.path.join(HERE, rel)
        return super().translate_path(path)


def run_engine(pw, base: str, engine: str) -> dict:
    prof = tempfile.mkdtemp(prefix="terndb-bench-")
    ctx = pw.chromium.launch_persistent_context(prof, executable_path=CHROMIUM, headless=True,
                                                args=CHROMIUM_ARGS)
    got: dict = {"engine": engine}
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    try:
        def load(step: str, timeout: float) -> dict:
            page.goto(f"{base}/bench/bench.html?engine={engine}&step={step}")
            page.wait_for_function("window.result !== undefined", timeout=timeout)
            r = page.evaluate("window.result")
            if "error" in r:
                raise RuntimeError(f"{engine}: {r['error']}")
            return r
        SERVED[0] = 0
        cold = load("startup", 120_000)
        got["bytes"] = SERVED[0]
        got["cold_ms"] = cold["firstResultMs"]
        warm = [load("startup", 120_000) for _ in range(3)]
        got["warm_ms"] = statistics.median(w["firstResultMs"] for w in warm)
        got["info"] = warm[-1].get("info")
        r = load("ops", 600_000)
        for k in ("insert", "select", "update", "delete", "insert25k", "insert25kParams", "pkLookup"):
            got[k] = r[k]
    finally:
        ctx.close()
    return got


def table(results: list[dict]) -> str:
    cols = [("warm start → first result, ms", "warm_ms", 0), ("downloaded, MB", "bytes", -1),
            ("insert, ms/op", "insert", 2), ("select", "select", 2), ("update", "update", 2),
            ("delete", "delete", 2), ("25k INSERTs, 1 script, ms", "insert25k", 0),
            ("25k parameterized INSERTs in 1 txn, ms", "insert25kParams", 0),
            ("PK lookup, ms/op", "pkLookup", 2)]
    out = ["| engine | " + " | ".join(c[0] for c in cols) + " |",
           "|---|" + "---:|" * len(cols)]
    for r in results:
        cells = []
        for _, k, nd in cols:
            v = r.get(k)
            if v is None:
                cells.append("—")
            elif nd < 0:
                cells.append(f"{v / 1e6:.1f}")
            else:
                cells.append(f"{v:.{nd}f}")
        out.append(f"| {r['engine']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engines", default=",".join(ENGINES))
    args = ap.parse_args()
    if not os.path.exists(os.path.join(WASM, "dist", "pyodide", "pyodide-lock.json")):
        sys.exit("wasm/dist is not built: run ./build.sh wasm")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BenchHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    from playwright.sync_api import sync_playwright
    results = []
    with sync_playwright() as pw:
        for engine in args.engines.split(","):
            try:
                r = run_engine(pw, base, engine)
            except Exception as e:  # a failing peer must not hide the others
                r = {"engine": engine, "error": str(e)[:500]}
            print(json.dumps(r), flush=True)
            results.append(r)
    httpd.shutdown()
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "browser.json"), "w") as f:
        json.dump(results, f, indent=1)
    print()
    print(table([r for r in results if "error" not in r]))
    info = json.load(open(os.path.join(WASM, "dist", "build-info.json")))
    print(f"\nterndb wheel: {info['wheel_bytes']} bytes")


if __name__ == "__main__":
    main()
