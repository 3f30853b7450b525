"""Browser tests: real headless Chromium (Debian's), pages served from 127.0.0.1.

The server maps ``/wasm/`` to the JS package (``wasm/src`` and the built
``wasm/dist``) and ``/pages/`` to this directory's test pages.  127.0.0.1 is a
secure context, which OPFS, Web Locks and module workers need.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WASM = os.path.join(ROOT, "wasm")
PAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pages")
CHROMIUM = os.environ.get("TERNDB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript",
                      ".wasm": "application/wasm", ".json": "application/json",
                      ".py": "text/plain", ".whl": "application/zip", ".zip": "application/zip"}

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, base in (("/wasm/", WASM), ("/pages/", PAGES)):
            if path.startswith(prefix):
                rel = os.path.normpath(path[len(prefix):]).lstrip("/")
                if rel.startswith(".."):
                    break
                return os.path.join(base, rel)
        return os.path.join(PAGES, "missing")

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=3600")
        super().end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def server():
    if not os.path.exists(os.path.join(WASM, "dist", "pyodide", "pyodide-lock.json")):
        pytest.fail("wasm/dist is not built: run ./build.sh wasm")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: ./build.sh test installs Debian's chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True,
            "args": CHROMIUM_ARGS}


@pytest.fixture
def harness(server, page):
    """A page with ``window.TernDB`` loaded; console errors are collected in ``page.errors``."""
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(f"{server}/pages/harness.html")
    page.wait_for_function("window.TernDB !== undefined")
    return page


@pytest.fixture
def persistent_page(browser_type, tmp_path):
    """A page in a browser with an on-disk profile (a normal, not incognito, context)."""
    ctx = browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield ctx.pages[0] if ctx.pages else ctx.new_page()
    finally:
        ctx.close()
