"""Open, write, reload: the data survives in IndexedDB and in OPFS."""

from __future__ import annotations

import pytest

WRITE = """async (url) => {
  const db = await TernDB.open(url);
  await db.exec("CREATE TABLE IF NOT EXISTS note(id INTEGER PRIMARY KEY, body TEXT, data BLOB)");
  await db.query("INSERT INTO note(body, data) VALUES (?, ?)", ["first", new Uint8Array([1, 2, 255])]);
  await db.transaction(async (tx) => {
    for (let i = 0; i < 300; i++) await tx.query("INSERT INTO note(body) VALUES (?)", ["n" + i]);
  });
  const r = await db.query("SELECT count(*) AS n FROM note");
  await db.close();
  return r.rows[0].n;
}"""

READ = """async (url) => {
  const db = await TernDB.open(url);
  const r = await db.query("SELECT body, data FROM note ORDER BY id LIMIT 1");
  const n = await db.query("SELECT count(*) AS n, max(body) AS m FROM note");
  await db.close();
  return {body: r.rows[0].body, data: Array.from(r.rows[0].data), n: n.rows[0].n, m: n.rows[0].m};
}"""


@pytest.mark.parametrize("url", ["idb://persist", "opfs://persist"])
def test_write_reload_read(harness, url):
    assert harness.evaluate(WRITE, url) == 301
    harness.reload()
    harness.wait_for_function("window.TernDB !== undefined")
    got = harness.evaluate(READ, url)
    assert got == {"body": "first", "data": [1, 2, 255], "n": 301, "m": "n99"}
    assert harness.errors == []


def test_memory_does_not_persist(harness):
    assert harness.evaluate(WRITE, "memory://") == 301
    harness.reload()
    harness.wait_for_function("window.TernDB !== undefined")
    got = harness.evaluate("""async () => {
      const db = await TernDB.open("memory://");
      const r = await db.query("SELECT count(*) AS n FROM sqlite_master");
      await db.close();
      return r.rows[0].n;
    }""")
    assert got == 0
