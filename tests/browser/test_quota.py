"""A full disk: the browser's storage quota runs out in the middle of a commit.

The quota is made small with Chromium's own override (DevTools protocol
``Storage.overrideQuotaForOrigin``), so the failure is the browser's real
``QuotaExceededError`` from IndexedDB / OPFS, not a simulated one.
"""

from __future__ import annotations

import pytest

FILL = """async (url) => {
  const db = await TernDB.open(url);
  await db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  await db.query("INSERT INTO t(v) VALUES ('first')");
  let committed = 1, error = null;
  for (let i = 0; i < 200 && !error; i++) {
    try {
      await db.query(`INSERT INTO t(v) WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200)
                      SELECT printf('%0500d', i) FROM c`);
      committed += 200;
    } catch (e) { error = { name: e.name, message: e.message }; }
  }
  const after = (await db.query("SELECT count(*) AS n FROM t")).rows[0].n;
  await db.close();
  return { committed, error, after };
}"""

REOPEN = """async (url) => {
  const db = await TernDB.open(url);
  const n = (await db.query("SELECT count(*) AS n FROM t")).rows[0].n;
  const check = (await db.query("PRAGMA integrity_check")).rows.map((x) => Object.values(x)[0]).join();
  await db.query("INSERT INTO t(v) VALUES ('after')");
  const m = (await db.query("SELECT count(*) AS n FROM t")).rows[0].n;
  await db.close();
  return { n, check, m };
}"""


@pytest.mark.parametrize("url", ["idb://quota", "opfs://quota"])
def test_quota_exceeded_aborts_commit_and_keeps_earlier_ones(server, persistent_page, url):
    page = persistent_page
    page.goto(f"{server}/pages/harness.html")
    page.wait_for_function("window.TernDB !== undefined")
    cdp = page.context.new_cdp_session(page)   # (quota overrides need an on-disk profile)
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": server + "/", "quotaSize": 3 * 1024 * 1024})
    got = page.evaluate(FILL, url)
    assert got["error"] is not None, got
    assert got["error"]["name"] == "OperationalError", got
    assert "database or disk is full" in got["error"]["message"], got
    assert "QuotaExceededError" in got["error"]["message"], got
    # The failed commit is gone, every earlier one is there.
    assert got["after"] == got["committed"], got
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": server + "/"})
    page.reload()
    page.wait_for_function("window.TernDB !== undefined")
    again = page.evaluate(REOPEN, url)
    assert again == {"n": got["committed"], "check": "ok", "m": got["committed"] + 1}
