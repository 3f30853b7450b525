// The TernDB board: plain ES modules, no framework.  The data lives in a TernDB
// database in this tab (IndexedDB), every change is captured for sync, and
// db.sync pushes and pulls through `terndb serve` whenever the server is reachable.
import { TernDB } from "./terndb/src/index.mjs";

const SCHEMA = `CREATE TABLE IF NOT EXISTS item(
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  shared INTEGER NOT NULL DEFAULT 0,
  title TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '',
  done INTEGER NOT NULL DEFAULT 0,
  updated TEXT
);
CREATE INDEX IF NOT EXISTS item_owner ON item(owner);`;

const LIST_SQL = `SELECT id, owner, shared, title, tags, done, updated FROM item
WHERE (:q = '' OR title LIKE '%' || :q || '%' OR tags LIKE '%' || :q || '%')
  AND (:tag = '' OR ',' || replace(tags, ' ', '') || ',' LIKE '%,' || :tag || ',%')
  AND (CASE :scope WHEN 'mine' THEN owner = :me WHEN 'shared' THEN shared = 1
                   WHEN 'open' THEN done = 0 ELSE 1 END)
ORDER BY done, updated DESC, id`;

// Columns a person edits; `updated` changes with every edit and is not worth a notice.
const VISIBLE = new Set(["title", "tags", "done", "shared"]);

const $ = (id) => document.getElementById(id);
const state = { user: null, token: null, db: null, status: {}, live: null, paused: false };
window.demo = state;          // for a look from the browser console

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k in e && typeof v !== "string") e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function show(id, on) { $(id).hidden = !on; }

// ------------------------------------------------------------------- sign-in

async function tokenFor(user) {
  const res = await fetch("demo-tokens.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`the server has no demo tokens (HTTP ${res.status})`);
  const t = (await res.json()).tokens?.[user];
  if (!t) throw new Error(`no demo token for ${user}`);
  return t;
}

async function signIn(user) {
  $("signin-error").textContent = "";
  try {
    const token = await tokenFor(user);
    localStorage.setItem("terndb-demo", JSON.stringify({ user, token }));
    await start(user, token);
  } catch (e) {
    show("loading", false);
    show("signin", true);
    $("signin-error").textContent = `Sign-in failed: ${e.message}`;
  }
}

let refreshingToken = false;
async function refreshToken() {
  if (refreshingToken || !state.user) return;
  refreshingToken = true;
  try {
    state.token = await tokenFor(state.user);
    localStorage.setItem("terndb-demo", JSON.stringify({ user: state.user, token: state.token }));
  } catch (e) {
    console.warn("could not refresh the demo token:", e.message);
  } finally {
    setTimeout(() => { refreshingToken = false; }, 5000);
  }
}

async function signOut() {
  const db = state.db;
  state.db = null;
  localStorage.removeItem("terndb-demo");
  if (db) await db.close();
  show("app", false); show("who", false); show("sync-status", false);
  show("signin", true);
  $("notices").replaceChildren();
}

// ------------------------------------------------------------------- start-up

async function start(user, token) {
  state.user = user;
  state.token = token;
  show("signin", false);
  show("loading", true);
  $("loading").textContent = `Opening ${user}'s database…`;
  const db = await TernDB.open(`idb://terndb-demo-${user}`);
  state.db = db;
  await db.exec(SCHEMA);
  $("user-name").textContent = user[0].toUpperCase() + user.slice(1);
  show("who", true); show("sync-status", true);
  await db.live.query("SELECT count(*) AS n, max(updated) AS u, sum(done) AS d FROM item", [], () => refresh());
  await startSync();
  show("loading", false);
  show("app", true);
  await runSQL();
  document.body.dataset.ready = "1";
}

async function startSync() {
  await state.db.sync.start({
    url: location.origin,
    token: () => state.token,
    subscriptions: [{ table: "item" }],
    interval: 1500,
    onStatus: renderStatus,
    onConflict: showConflict,
    onReject: showReject,
  });
}

// --------------------------------------------------------------- sync status

function renderStatus(s) {
  state.status = s;
  const net = $("net");
  let text, cls;
  if (state.paused) { text = "sync paused"; cls = "paused"; }
  else if (s.online === false || navigator.onLine === false) { text = "offline"; cls = "offline"; }
  else if (s.lastError) { text = "sync error"; cls = "offline"; }
  else if (s.online) { text = s.syncing ? "online · syncing" : "online"; cls = "online"; }
  else { text = "connecting…"; cls = ""; }
  net.textContent = text;
  net.className = `pill ${cls}`;
  net.title = s.lastError || "";
  // A token the server no longer accepts (its secret changed): fetch the demo token again.
  if (s.lastError && /token|signature|expired/i.test(s.lastError)) refreshToken();
  $("pending").textContent = String(s.pending ?? 0);
  const t = $("last-sync");
  const key = `terndb-demo-last-sync-${state.user}`;
  if (s.lastSync) localStorage.setItem(key, String(s.lastSync));
  const last = s.lastSync ?? Number(localStorage.getItem(key) || 0);
  if (last) {
    const d = new Date(last);
    t.dateTime = d.toISOString();
    t.textContent = d.toLocaleTimeString();
  }
  document.body.dataset.online = String(s.online);
  document.body.dataset.pending = String(s.pending ?? 0);
}

function hlcTime(stamp) {
  if (!stamp || stamp.length < 12) return "?";
  const d = new Date(parseInt(stamp.slice(0, 12), 16));
  return d.toISOString().replace("T", " ").replace("Z", " UTC");
}

function show_value(v) { return v === null || v === undefined ? "(empty)" : `“${v}”`; }

async function showConflict(c) {
  if (c.column !== null && !VISIBLE.has(c.column)) return;
  const row = await state.db.query("SELECT title FROM item WHERE id = ?", [c.pk]).catch(() => null);
  const title = row?.rows?.[0]?.title ?? c.pk;
  const lost = c.kept === "mine" ? c.theirs : c.mine;
  const kept = c.kept === "mine" ? c.mine : c.theirs;
  const msg = c.column === null
    ? [`Conflict: “${title}” was deleted on another device while this one edited it; `,
       c.kept === "mine" ? "your edit brought it back." : "the delete won."]
    : [`Conflict on `, el("code", {}, c.column), ` of “${title}”: this device and another changed it while apart. `,
       el("strong", {}, `Kept ${show_value(kept)}`), ` (${c.kept === "mine" ? "this device" : "the other device"}), `,
       el("strong", {}, `lost ${show_value(lost)}`), ` (${c.kept === "mine" ? "the other device" : "this device"}). `,
       `Decided by column-level last-writer-wins on hybrid logical clocks: stamp ${hlcTime(c.kept === "mine" ? c.mine_hlc : c.theirs_hlc)} `,
       `beats ${hlcTime(c.kept === "mine" ? c.theirs_hlc : c.mine_hlc)}.`];
  addNotice("conflict", msg);
}

function showReject(r) {
  addNotice("reject", [`The server refused a change and it was rolled back here: ${r.reason}`]);
}

function addNotice(kind, parts) {
  const n = el("p", { class: `notice ${kind}` }, ...parts);
  n.append(el("button", { type: "button", "aria-label": "Dismiss notice", onclick: () => n.remove() }, "Dismiss"));
  $("notices").prepend(n);
}

// ---------------------------------------------------------------------- items

let refreshing = null, again = false;
async function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    do {
      again = false;
      await renderItems().catch((e) => console.error(e));
    } while (again);
  })().finally(() => { refreshing = null; });
  return refreshing;
}

async function renderItems() {
  const db = state.db;
  if (!db) return;
  const params = { q: $("search").value.trim(), tag: $("tag-filter").value, scope: $("scope").value, me: state.user };
  const [{ rows }, all] = await Promise.all([db.query(LIST_SQL, params),
    db.query("SELECT tags FROM item")]);
  const tags = new Set();
  for (const r of all.rows) for (const t of r.tags.split(",")) if (t.trim()) tags.add(t.trim());
  const sel = $("tag-filter"), cur = sel.value;
  sel.replaceChildren(el("option", { value: "" }, "all tags"),
    ...[...tags].sort().map((t) => el("option", { value: t }, t)));
  sel.value = tags.has(cur) ? cur : "";
  const list = $("items");
  // Re-rendering would move the row being edited and take the focus from it; saving
  // or cancelling the edit renders again.
  if (list.querySelector("li.editing")) return;
  // Keep the keyboard focus on the same control across re-renders (every sync round may
  // bring one).
  const focused = list.contains(document.activeElement) ? document.activeElement.dataset.key : null;
  list.replaceChildren(...rows.map(itemRow));
  if (focused) list.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  $("count").textContent = `${rows.length} of ${all.rows.length} items in this tab's database`;
}

function itemRow(r) {
  const li = el("li", { dataset: { id: r.id, owner: r.owner }, class: r.done ? "done" : "" });
  const check = el("input", { type: "checkbox", checked: !!r.done, "aria-label": `Done: ${r.title}`,
    dataset: { key: `${r.id}:done` },
    onchange: () => write("UPDATE item SET done = ?, updated = ? WHERE id = ?", [check.checked ? 1 : 0, now(), r.id]) });
  const badge = r.shared ? el("span", { class: "badge shared" }, "shared") : el("span", { class: "badge private" }, "private");
  const meta = el("div", { class: "meta" }, `by ${r.owner} `, badge, " ",
    ...r.tags.split(",").filter((t) => t.trim()).map((t) => el("span", { class: "tag" }, t.trim())));
  const actions = el("div", { class: "actions" },
    el("button", { type: "button", "aria-label": `Edit ${r.title}`, dataset: { key: `${r.id}:edit` },
      onclick: () => startEdit(li, r) }, "Edit"),
    el("button", { type: "button", "aria-label": `Delete ${r.title}`, dataset: { key: `${r.id}:delete` },
      onclick: () => write("DELETE FROM item WHERE id = ?", [r.id]) }, "Delete"));
  li.append(check, el("span", { class: "title" }, r.title), actions, meta);
  return li;
}

function startEdit(li, r) {
  li.classList.add("editing");
  const title = el("input", { value: r.title, "aria-label": `Title of ${r.title}` });
  const tags = el("input", { value: r.tags, "aria-label": `Tags of ${r.title}` });
  const shared = el("input", { type: "checkbox", checked: !!r.shared, "aria-label": `Shared: ${r.title}`,
    disabled: r.owner !== state.user });
  const back = async () => {       // the focus returns to the row's Edit button
    await refresh();
    $("items").querySelector(`[data-key="${CSS.escape(`${r.id}:edit`)}"]`)?.focus();
  };
  const done = () => { li.classList.remove("editing"); back(); };
  const save = async () => {
    li.classList.remove("editing");
    await write("UPDATE item SET title = ?, tags = ?, shared = ?, updated = ? WHERE id = ?",
      [title.value.trim() || r.title, normTags(tags.value), shared.checked ? 1 : 0, now(), r.id]);
    await back();
  };
  const form = el("form", { class: "edit", onsubmit: (e) => { e.preventDefault(); save(); } },
    title, tags, el("label", { class: "toggle" }, shared, " shared"),
    el("button", { type: "submit" }, "Save"),
    el("button", { type: "button", onclick: done }, "Cancel"));
  form.addEventListener("keydown", (e) => { if (e.key === "Escape") done(); });
  li.replaceChildren(form);
  title.focus();
  title.select();
}

const now = () => new Date().toISOString();
const normTags = (s) => s.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean).join(",");

async function write(sql, params) {
  try {
    await state.db.query(sql, params);
  } catch (e) {
    addNotice("reject", [`Could not save: ${e.message}`]);
  }
}

async function addItem(e) {
  e.preventDefault();
  const title = $("new-title").value.trim();
  if (!title) return;
  await write("INSERT INTO item(id, owner, shared, title, tags, done, updated) VALUES (?, ?, ?, ?, ?, 0, ?)",
    [crypto.randomUUID(), state.user, $("new-shared").checked ? 1 : 0, title, normTags($("new-tags").value), now()]);
  $("new-title").value = "";
  $("new-tags").value = "";
  $("new-title").focus();
}

// ---------------------------------------------------------------- SQL console

function table(res) {
  if (!res || !res.fields) return el("p", {}, "OK");
  if (!res.fields.length) return el("p", {}, `OK, ${res.rowsAffected} row(s) changed`);
  const names = res.fields.map((f) => f.name);
  return el("table", {},
    el("thead", {}, el("tr", {}, ...names.map((n) => el("th", { scope: "col" }, n)))),
    el("tbody", {}, ...res.rows.map((row) => el("tr", {}, ...names.map((n) => el("td", {}, String(row[n] ?? "NULL")))))),
    el("caption", { class: "fine" }, `${res.rows.length} row(s)`));
}

function planText(rows) {
  const depth = new Map([[0, -1]]);
  return rows.map((r) => {
    const d = (depth.get(r.parent) ?? -1) + 1;
    depth.set(r.id, d);
    return `${"  ".repeat(d)}${d ? "`--" : ""}${r.detail}`;
  }).join("\n") || "(no plan)";
}

async function runSQL(e) {
  e?.preventDefault();
  const sql = $("sql").value.trim();
  const out = $("sql-result"), plan = $("plan");
  out.replaceChildren();
  plan.textContent = "";
  if (!sql) return;
  try {
    if (/^\s*(select|with|values)\b/i.test(sql)) {
      const p = await state.db.query(`EXPLAIN QUERY PLAN ${sql}`);
      plan.textContent = "QUERY PLAN\n" + planText(p.rows);
    } else {
      plan.textContent = "(plans are shown for queries)";
    }
    out.append(table(await state.db.query(sql)));
  } catch (err) {
    out.append(el("p", { class: "error", role: "alert" }, `${err.name}: ${err.message}`));
  }
}

// --------------------------------------------------------------------- wiring

function wire() {
  for (const b of document.querySelectorAll("button.user")) b.addEventListener("click", () => signIn(b.dataset.user));
  $("sign-out").addEventListener("click", signOut);
  $("new-item").addEventListener("submit", addItem);
  for (const id of ["search", "tag-filter", "scope"]) $(id).addEventListener("input", () => refresh());
  $("sql-form").addEventListener("submit", runSQL);
  $("sql").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) runSQL(e); });
  $("sync-now").addEventListener("click", () => state.db?.sync.now().catch(() => {}));
  $("pause-sync").addEventListener("change", async (e) => {
    state.paused = e.target.checked;
    if (state.paused) await state.db.sync.stop();
    else await startSync();
    renderStatus(state.db.sync.status);
  });
  addEventListener("offline", () => renderStatus({ ...state.status, online: false }));
}

async function main() {
  wire();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js").catch((e) => console.warn("service worker:", e));
  }
  const saved = JSON.parse(localStorage.getItem("terndb-demo") || "null");
  if (saved?.user && saved?.token) {
    try {
      await start(saved.user, saved.token);
      return;
    } catch (e) {
      $("signin-error").textContent = `Could not open the saved session: ${e.message}`;
    }
  }
  show("loading", false);
  show("signin", true);
}

main();
