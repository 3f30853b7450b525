// The JS package under Node's own test runner, with the database in real files.
//   node --test tests/node/         (TERNDB_TMP names a scratch directory)
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TernDB } from "../../wasm/src/index.mjs";

const tmp = fs.mkdtempSync(path.join(process.env.TERNDB_TMP || os.tmpdir(), "terndb-node-"));

test("file persistence, transactions, live queries", async () => {
  const file = path.join(tmp, "data", "notes");
  let db = await TernDB.open(file);
  await db.exec("CREATE TABLE note(id INTEGER PRIMARY KEY, body TEXT, data BLOB)");
  const ins = await db.query("INSERT INTO note(body, data) VALUES (?, ?)", ["hello", new Uint8Array([0, 1, 2])]);
  assert.equal(ins.rowsAffected, 1);
  assert.equal(ins.lastInsertRowid, 1);
  await assert.rejects(db.transaction(async (tx) => {
    await tx.query("INSERT INTO note(body) VALUES ('gone')");
    throw new Error("boom");
  }), /boom/);
  const seen = [];
  const live = await db.live.query("SELECT count(*) AS n FROM note", [], (r) => seen.push(r.rows[0].n));
  await db.transaction(async (tx) => {
    await tx.query("INSERT INTO note(body) VALUES (?)", ["a"]);
    await tx.query("INSERT INTO note(body) VALUES (:b)", { b: "b" });
  });
  for (let i = 0; i < 100 && seen.at(-1) !== 3; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seen, [1, 3]);
  await live.unsubscribe();
  await assert.rejects(db.query("SELEC 1"), (e) => e.name === "ProgrammingError" || e.name === "OperationalError");
  const big = await db.query("SELECT 9007199254740993 AS big, 1.5 AS r, NULL AS z");
  assert.deepEqual(big.rows[0], { big: 9007199254740993n, r: 1.5, z: null });
  await db.close();

  assert.ok(fs.statSync(file).size >= 4 * 4096, "the database is a real file");
  db = await TernDB.open(file);
  const r = await db.query("SELECT id, body, data FROM note ORDER BY id", [], { rowMode: "array" });
  assert.deepEqual(r.fields.map((f) => f.name), ["id", "body", "data"]);
  assert.deepEqual(r.rows.map((x) => x[1]), ["hello", "a", "b"]);
  assert.deepEqual(Array.from(r.rows[0][2]), [0, 1, 2]);
  await db.close();
});

test("a worker killed after a commit resolved keeps the commit; the file is the file backend's format", async () => {
  const file = path.join(tmp, "killed.terndb");
  const db = await TernDB.open(file);
  await db.exec("CREATE TABLE t(x)");
  await db.query("INSERT INTO t VALUES (1)");
  db.query("INSERT INTO t VALUES (2)").catch(() => {});
  db.terminate();
  const again = await TernDB.open(file);
  const n = (await again.query("SELECT count(*) AS n, min(x) AS lo FROM t")).rows[0];
  assert.equal(n.lo, 1);
  assert.ok(n.n === 1 || n.n === 2);
  await again.close();
  // The same bytes open with CPython's file backend (the test driver checks that too).
  const head = Buffer.alloc(8);
  const fd = fs.openSync(file, "r");
  fs.readSync(fd, head, 0, 8, 0);
  fs.closeSync(fd);
  assert.deepEqual([...head], [0x54, 0x65, 0x72, 0x6e, 0x44, 0x42, 0x00, 0x01]);
});
