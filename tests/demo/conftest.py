"""Web demo tests: the built site under a real `terndb serve` subprocess, driven in Chromium.

The site and the server's data live in temporary directories; screenshots go to
$TERNDB_SCREENSHOTS (``./build.sh screenshots`` points it at docs/images) or to a
temporary directory.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = os.environ.get("TERNDB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BOOT_MS = 180_000           # Pyodide start-up on a busy 2-core machine
SYNC_MS = 60_000


def _load_demo() -> Any:
    spec = importlib.util.spec_from_file_location("terndb_web_demo", os.path.join(ROOT, "web-demo", "demo.py"))
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@dataclass
class DemoServer:
    url: str
    tokens: dict[str, str]
    proc: Any

    def post(self, path: str, body: dict, user: str) -> tuple[int, dict]:
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {self.tokens[user]}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    if not os.path.exists(os.path.join(ROOT, "wasm", "dist", "pyodide", "pyodide-lock.json")):
        pytest.fail("wasm/dist is not built: run ./build.sh wasm")
    demo = _load_demo()
    base = tmp_path_factory.mktemp("web-demo")
    site, data = str(base / "site"), str(base / "data")
    demo.build_site(site)
    secret = secrets.token_hex(16)
    tokens = demo.write_tokens(site, secret)
    proc, url = demo.start_server(site, data, secret, port=0)
    try:
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        yield DemoServer(url, tokens, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except Exception:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> str:
    d = os.environ.get("TERNDB_SCREENSHOTS") or str(tmp_path_factory.mktemp("screenshots"))
    os.makedirs(d, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: ./build.sh test installs Debian's chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


class Device:
    """One browser context (a device) with the app open."""

    def __init__(self, browser: Any, server: DemoServer, name: str):
        self.name = name
        self.server = server
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 820})
        self.page = self.ctx.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.sync_responses: list = []     # every /v1/ response this device's browser received
        self.ctx.on("response", lambda r: self.sync_responses.append(r) if "/v1/" in r.url else None)
        self.page.set_default_timeout(SYNC_MS)

    def sign_in(self, user: str) -> "Device":
        self.page.goto(self.server.url + "/")
        self.page.get_by_role("button", name=f"Sign in as {user.title()}").click()
        self.wait_ready()
        # The service worker has cached the app once it controls the page.
        self.page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=BOOT_MS)
        self.wait_synced()
        return self

    def wait_ready(self) -> None:
        self.page.wait_for_selector("body[data-ready='1']", state="attached", timeout=BOOT_MS)

    def wait_synced(self) -> None:
        self.page.wait_for_function("document.body.dataset.online === 'true' && document.body.dataset.pending === '0'",
                                    timeout=SYNC_MS)

    def offline(self, off: bool) -> None:
        # Chromium's offline emulation does not always reach the dedicated worker a page
        # starts after a reload; refusing the sync endpoints as well keeps the device cut off.
        self.ctx.set_offline(off)
        if off:
            self.ctx.route("**/v1/**", self._cut)
        else:
            self.ctx.unroute("**/v1/**", self._cut)

    @staticmethod
    def _cut(route: Any) -> None:
        route.abort("internetdisconnected")

    def item(self, text: str) -> Any:
        return self.page.locator("#items li", has_text=text)

    def add(self, title: str, tags: str = "", shared: bool = False) -> None:
        p = self.page
        p.get_by_label("New item").fill(title)
        p.get_by_label("Tags", exact=True).fill(tags)
        p.get_by_label("Shared with everyone").set_checked(shared)
        p.get_by_role("button", name="Add").click()
        self.item(title).wait_for()

    def edit_title(self, old: str, new: str) -> None:
        p = self.page
        p.get_by_role("button", name=f"Edit {old}", exact=True).click()
        box = p.get_by_label(f"Title of {old}", exact=True)
        box.fill(new)
        box.press("Enter")
        self.item(new).wait_for()

    def rows(self) -> list:
        return self.page.evaluate("async () => (await window.demo.db.query("
                                  "'SELECT id, owner, shared, title, tags, done FROM item ORDER BY id')).rows")

    def sql(self, text: str) -> str:
        p = self.page
        p.get_by_label("SQL", exact=True).fill(text)
        p.get_by_role("button", name="Run").click()
        res = p.locator("#sql-result")
        res.locator("table, p").first.wait_for()
        return res.inner_text()

    def sync_log(self, last: int = 8) -> str:
        """The last sync requests and responses (empty pulls left out), for failure messages."""
        out = []
        for r in self.sync_responses:
            try:
                if r.url.endswith("/pull") and b'"entries":[]' in r.body():
                    continue
                out.append(f"{r.url.rsplit('/', 1)[-1]} {r.request.post_data} => {r.status} {r.body()[:1500]!r}")
            except Exception as e:      # the page may be gone
                out.append(f"{r.url} ({e})")
        return "\n".join(out[-last:])

    def close(self) -> None:
        self.ctx.close()
