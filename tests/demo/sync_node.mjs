// db.sync from Node: the JS package in a worker_thread syncing a file database with the
// demo's terndb serve.  Arguments: server URL, token, database path.  Prints one JSON line.
import { TernDB } from "../../wasm/src/index.mjs";

const [url, token, path] = process.argv.slice(2);
const db = await TernDB.open(path);
await db.exec(`CREATE TABLE IF NOT EXISTS item(id TEXT PRIMARY KEY, owner TEXT NOT NULL,
  shared INTEGER NOT NULL DEFAULT 0, title TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '',
  done INTEGER NOT NULL DEFAULT 0, updated TEXT)`);
const statuses = [];
const rejected = [];
await db.sync.start({ url, token, subscriptions: [{ table: "item" }], interval: 60_000,
  onStatus: (s) => statuses.push(s), onReject: (r) => rejected.push(r.reason) });
await db.query("INSERT INTO item(id, owner, title, tags) VALUES ('node-1', 'ann', 'Written from Node', 'node')");
await db.query("INSERT INTO item(id, owner, title) VALUES ('node-forged', 'bob', 'Not Ann''s to write')");
// The outbox's live query starts a round at once; now() joins it or runs the next one.
let round;
for (let i = 0; i < 10 && (i === 0 || round.pending > 0 || rejected.length === 0); i++) round = await db.sync.now();
const { rows } = await db.query("SELECT id, owner, shared, title FROM item ORDER BY id");
await db.sync.stop();
await db.close();
console.log(JSON.stringify({ round, rows, rejected, last: statuses.at(-1) }));
