"""Crash consistency in the browser: a worker killed mid-transaction or mid-commit
leaves the last committed state, on IndexedDB and on OPFS."""

from __future__ import annotations

import pytest

BULK = """INSERT INTO t(v) WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000)
          SELECT 'bulk-' || i FROM c"""

# 1. kill the worker inside an open transaction;
# 2. kill it while a 3000-row commit is in flight: at once, and half-way through
#    the time the same commit took when awaited;
# 3. kill it right after a commit's promise resolved (durable means durable).
# Each kill is followed by a reopen that checks the state and integrity.
KILL = """async ([url, bulk]) => {
  const out = {};
  let db = await TernDB.open(url);
  await db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  await db.query("INSERT INTO t(v) VALUES ('committed')");
  const t0 = performance.now();
  await db.query(bulk);
  const took = performance.now() - t0;
  await db.query("DELETE FROM t WHERE v <> 'committed'");
  out.inTxn = await db.transaction(async (tx) => {
    await tx.query("INSERT INTO t(v) VALUES ('uncommitted')");
    await tx.query("UPDATE t SET v = 'changed' WHERE v = 'committed'");
    db.terminate();
    await tx.query("SELECT 1");
  }).then(() => "no error", (e) => e.message);
  const state = async (db) => {
    const r = (await db.query("SELECT count(*) AS n, sum(v = 'committed') AS c, group_concat(DISTINCT substr(v, 1, 4)) AS k FROM t")).rows[0];
    const check = (await db.query("PRAGMA integrity_check")).rows.map((x) => Object.values(x)[0]).join();
    return [r.n, r.c, r.k, check];
  };
  out.kills = [];
  for (const delay of [0, took / 2, -1]) {
    db = await TernDB.open(url);
    const before = await state(db);
    const p = db.query(bulk).catch(() => {});
    if (delay < 0) await p; else await sleep(delay);
    db.terminate();
    out.kills.push([delay, before]);
  }
  db = await TernDB.open(url);
  out.final = await state(db);
  await db.close();
  out.took = took;
  return out;
}"""


@pytest.mark.parametrize("url", ["idb://crash", "opfs://crash"])
def test_killed_worker_keeps_last_commit(harness, url):
    got = harness.evaluate(KILL, [url, BULK])
    assert got["inTxn"] != "no error"
    states = [before for _, before in got["kills"]] + [got["final"]]
    # After the transaction's kill: only the committed row, unchanged.
    assert states[0] == [1, 1, "comm", "ok"], got
    for n, c, _, check in states:
        assert c == 1 and check == "ok", got
        assert (n - 1) % 3000 == 0, got          # whole commits only, never a part of one
    # The awaited commit survived its kill: durable when the promise resolved.
    assert states[3][0] == states[2][0] + 3000, got
