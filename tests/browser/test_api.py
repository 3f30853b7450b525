"""The JS API in a real browser: transactions roll back on a thrown error, live queries follow commits."""

from __future__ import annotations


def test_transaction_rolls_back_on_throw(harness):
    got = harness.evaluate("""async () => {
      const db = await TernDB.open("memory://");
      await db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
      await db.query("INSERT INTO t(v) VALUES ('kept')");
      let error = null;
      try {
        await db.transaction(async (tx) => {
          await tx.query("INSERT INTO t(v) VALUES ('gone1')");
          await tx.query("UPDATE t SET v = 'changed' WHERE v = 'kept'");
          const inside = await tx.query("SELECT count(*) AS n FROM t");
          if (inside.rows[0].n !== 2) throw new Error("transaction does not see its own writes");
          throw new Error("boom");
        });
      } catch (e) { error = e.message; }
      const ok = await db.transaction(async (tx) => {
        await tx.query("INSERT INTO t(v) VALUES ('committed')");
        return 42;
      });
      let sqlError = null;
      try {
        await db.transaction(async (tx) => {
          await tx.query("INSERT INTO t(v) VALUES ('gone2')");
          await tx.query("INSERT INTO nosuchtable VALUES (1)");
        });
      } catch (e) { sqlError = e.name + ": " + e.message; }
      const rows = (await db.query("SELECT v FROM t ORDER BY id")).rows.map((r) => r.v);
      await db.close();
      return { error, ok, sqlError, rows };
    }""")
    assert got["error"] == "boom"
    assert got["ok"] == 42
    assert "Error: no such table: nosuchtable" in got["sqlError"]
    assert got["rows"] == ["kept", "committed"]


def test_live_query_follows_commits(harness):
    got = harness.evaluate("""async () => {
      const db = await TernDB.open("memory://");
      await db.exec(`CREATE TABLE item(id INTEGER PRIMARY KEY, done INTEGER);
                     CREATE TABLE other(x); CREATE VIEW open_items AS SELECT * FROM item WHERE done = 0`);
      const seen = [];
      const live = await db.live.query("SELECT count(*) AS n FROM open_items", [], (r) => seen.push(r.rows[0].n));
      const settle = async (n) => { for (let i = 0; i < 200 && seen.length < n; i++) await sleep(10); };
      await db.query("INSERT INTO item(done) VALUES (0)");
      await settle(2);
      await db.query("INSERT INTO other VALUES (1)");        // a table the query does not read
      await db.transaction(async (tx) => {
        await tx.query("INSERT INTO item(done) VALUES (0)");
        await tx.query("INSERT INTO item(done) VALUES (1)");
      });
      await settle(3);
      try { await db.transaction(async (tx) => { await tx.query("INSERT INTO item(done) VALUES (0)"); throw new Error("no"); }); } catch (e) {}
      await sleep(100);
      await live.unsubscribe();
      await db.query("INSERT INTO item(done) VALUES (0)");
      await sleep(100);
      await db.close();
      return seen;
    }""")
    # initial 0; after the first insert 1; the write to `other` and the rolled-back
    # transaction re-run nothing; the committed transaction gives 2; unsubscribed after.
    assert got == [0, 1, 2]
