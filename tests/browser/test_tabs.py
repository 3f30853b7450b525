"""Two tabs on one database: one leader (Web Locks), the other proxies to it
(BroadcastChannel); when the leader's tab closes the other takes over."""

from __future__ import annotations

import pytest

OPEN = """async (url) => {
  window.db = await TernDB.open(url);
  window.seen = [];
  await db.exec("CREATE TABLE IF NOT EXISTS msg(id INTEGER PRIMARY KEY, tab TEXT)");
  return db.leader;
}"""

LIVE = """async () => {
  await db.live.query("SELECT count(*) AS n FROM msg", [], (r) => seen.push(r.rows[0].n));
}"""

WRITE = """async ([tab, n]) => {
  for (let i = 0; i < n; i++) await db.query("INSERT INTO msg(tab) VALUES (?)", [tab]);
  await db.transaction(async (tx) => { await tx.query("INSERT INTO msg(tab) VALUES (?)", [tab + "-tx"]); });
  const r = await db.query("SELECT tab, count(*) AS n FROM msg GROUP BY tab ORDER BY tab");
  return r.rows.map((x) => x.tab + ":" + x.n).join(" ");
}"""


@pytest.mark.parametrize("url", ["idb://tabs", "opfs://tabs"])
def test_leader_follower_takeover(context, server, url):
    a = context.new_page()
    a.goto(f"{server}/pages/harness.html")
    a.wait_for_function("window.TernDB !== undefined")
    b = context.new_page()
    b.goto(f"{server}/pages/harness.html")
    b.wait_for_function("window.TernDB !== undefined")
    assert a.evaluate(OPEN, url) is True
    assert b.evaluate(OPEN, url) is False          # the second tab follows
    b.evaluate(LIVE)
    assert b.evaluate(WRITE, ["b", 3]) == "b:3 b-tx:1"
    assert a.evaluate(WRITE, ["a", 2]) == "a:2 a-tx:1 b:3 b-tx:1"
    # The follower's live query saw the leader's commits.
    b.wait_for_function("seen.length > 0 && seen[seen.length - 1] === 7")
    # A transaction from the follower runs on the leader, isolated from the leader's own requests.
    got = b.evaluate("""async () => {
      try {
        await db.transaction(async (tx) => {
          await tx.query("INSERT INTO msg(tab) VALUES ('lost')");
          throw new Error("undo");
        });
      } catch (e) {}
      return (await db.query("SELECT count(*) AS n FROM msg WHERE tab = 'lost'")).rows[0].n;
    }""")
    assert got == 0
    # A tab that dies inside its transaction does not block the others: the leader
    # rolls it back when that tab's lock is released.
    d = context.new_page()
    d.goto(f"{server}/pages/harness.html")
    d.wait_for_function("window.TernDB !== undefined")
    assert d.evaluate(OPEN, url) is False
    d.evaluate("""() => { window.began = false; db.transaction(async (tx) => {
      await tx.query("INSERT INTO msg(tab) VALUES ('dead')"); began = true; await new Promise(() => {}); }); }""")
    d.wait_for_function("began === true")
    d.close()
    assert a.evaluate("""async () => (await db.query("SELECT count(*) AS n FROM msg WHERE tab = 'dead'")).rows[0].n""") == 0
    a.close()                                       # the leader's tab goes away
    b.wait_for_function("db.leader === true", timeout=30000)
    assert b.evaluate(WRITE, ["b", 1]) == "a:2 a-tx:1 b:4 b-tx:2"
    # A third tab follows the new leader and sees every committed write.
    c = context.new_page()
    c.goto(f"{server}/pages/harness.html")
    c.wait_for_function("window.TernDB !== undefined")
    assert c.evaluate(OPEN, url) is False
    assert c.evaluate(WRITE, ["c", 0]) == "a:2 a-tx:1 b:4 b-tx:2 c-tx:1"
    b.evaluate("db.close()")
    c.evaluate("db.close()")
