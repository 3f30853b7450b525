"""Shared machinery for the crash-safety tests.

* :func:`dump` -- the full logical content of a database (schema + every row);
* :func:`page_accounting` -- every page of a file is reachable exactly once
  or free exactly once (no page both used and free, none shared, none lost);
* :class:`Workload` -- a sequence of steps, each of which performs exactly one
  commit; :func:`reference_run` runs it once on a simulated device and records
  the expected state after every commit and the I/O operations of every commit;
* :func:`crash_run` replays it with a power cut at I/O operation ``k``;
* :func:`verify_image` opens a post-crash image with the normal file backend and
  checks it against the states the crash may legitimately leave.
"""

from __future__ import annotations

import itertools
import os
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import terndb
from terndb.store import codec
from terndb.store.format import FIRST_PAGE, NODE_INNER, PAGE_SIZE
from terndb.store.pager import Store
from terndb.vfs import fault
from terndb.vfs.file import FileBackend

fault.install()

_names = itertools.count(1)


def fresh_name(prefix: str = "dev") -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


# ------------------------------------------------------------------ content

Dump = tuple


def dump(conn: Any) -> Dump:
    """Schema objects and every row (with rowid) of every table, deterministically ordered."""
    objs = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    tables = []
    for typ, name, _tbl, _sql in objs:
        if typ == "table":
            rows = conn.execute(f'SELECT rowid, * FROM "{name}" ORDER BY rowid').fetchall()
            tables.append((name, tuple(rows)))
    return (tuple(objs), tuple(tables))


def describe(d: Dump) -> str:
    objs, tables = d
    return "; ".join([f"{len(objs)} schema objects"] +
                     [f"{n}: {len(rows)} rows" for n, rows in tables])


def integrity(conn: Any) -> list:
    return conn.execute("PRAGMA integrity_check").fetchall()


# ---------------------------------------------------------- page accounting

def page_map(path: str) -> tuple[dict[int, str], list[str]]:
    """(owner of every page in use or free, problems) for the database file at ``path``.

    Every page in [FIRST_PAGE, next) must be used by exactly one blob reachable
    from the root record (schema, tree roots, tree nodes, free-list chunks) or
    be listed exactly once as free.  A page both used and free is a corruption
    waiting to happen (the next commit overwrites live data); a page neither
    used nor free is leaked space.  Owners are "schema", "tree roots",
    "tree <id>", "free-list chunk", "free" and "free (chunk <ref>)".
    """
    be = FileBackend(path, readonly=True)
    problems: list[str] = []
    owner: dict[int, str] = {}
    try:
        st = Store(be)
        nxt = st.next_pgno

        def claim(pg: int, who: str) -> None:
            if not FIRST_PAGE <= pg < nxt:
                problems.append(f"{who}: page {pg} outside the database [2, {nxt})")
            elif pg in owner:
                problems.append(f"page {pg} claimed by {owner[pg]} and by {who}")
            else:
                owner[pg] = who

        def blob(ref: int, who: str) -> bytes:
            data = st.read_blob(ref)
            claim(ref, who)
            for p in st._chains.get(ref, []):
                claim(p, who)
            return data

        meta = st.meta
        if meta:
            blob(meta["schema"], "schema")
            roots = codec.decode(blob(meta["roots"], "tree roots"), "roots")
            for tid, ref in roots["roots"].items():
                stack = [int(ref)] if ref else []
                while stack:
                    r = stack.pop()
                    node = codec.decode(blob(r, f"tree {tid}"), "node")
                    if node[0] == NODE_INNER:
                        stack.extend(int(k) for k in node[2])
        for p in st.free:
            claim(p, "free")
        ref, seen = st.chain, set()
        while ref:
            if ref in seen:
                problems.append(f"free-list chain loops at page {ref}")
                break
            seen.add(ref)
            raw = blob(ref, "free-list chunk")
            n, *pages = struct.unpack(f"<{len(raw) // 4}I", raw)
            for p in pages:
                claim(p, f"free (chunk {ref})")
            ref = n
        lost = sorted(set(range(FIRST_PAGE, nxt)) - set(owner))
        if lost:
            problems.append(f"{len(lost)} page(s) neither used nor free (leaked): {lost[:20]}")
    finally:
        be.close()
    return owner, problems


def page_accounting(path: str) -> list[str]:
    """Problems with the page bookkeeping of the file at ``path`` (see :func:`page_map`)."""
    return page_map(path)[1]


# ------------------------------------------------------------------ workloads

Step = Callable[[dict], None]


@dataclass
class Workload:
    """Steps run in order on a context dict holding ``conn`` (and whatever the steps add).

    Every step must end with exactly one commit that writes something.
    """

    name: str
    steps: list[Step]
    #: A hook run before the steps (e.g. to monkeypatch constants); not a commit.
    prepare: Optional[Callable[[dict], None]] = None
    #: Index of a step whose every I/O operation is a crash point, whatever the sampling.
    full_step: int = -1
    #: Maximum number of crash points checked (None: all).
    budget: Optional[int] = None


@dataclass
class Reference:
    workload: Workload
    states: list[Dump]                      # states[i] = content after i commits
    bounds: list[tuple[int, int, int]]      # per step: (first op, root-slot write op, end op)
    log: list[tuple[str, int, int]]
    image: bytes                            # final current image
    images: list[bytes] = field(default_factory=list)   # images[i]: file after i commits

    @property
    def ops(self) -> int:
        return len(self.log)

    def step_of(self, k: int) -> int:
        for i, (start, _slot, end) in enumerate(self.bounds):
            if start <= k < end:
                return i
        raise AssertionError(f"op {k} is outside every commit")

    def allowed(self, k: int) -> dict[int, str]:
        """State indexes a power cut during op ``k`` may leave, with why."""
        i = self.step_of(k)
        _start, slot, _end = self.bounds[i]
        if k < slot:
            return {i: f"before commit {i + 1}'s root-slot write"}
        return {i: f"commit {i + 1} in flight (old state)",
                i + 1: f"commit {i + 1} in flight (new state)"}

    def commit_ops(self, i: int, sample: Optional[int] = None, seed: int = 0) -> list[int]:
        """The ops of commit ``i``; with ``sample``, at most about that many of them,
        always including the first two, the last two and both sides of the root write."""
        start, slot, end = self.bounds[i]
        ops = list(range(start, end))
        if sample is None or len(ops) <= sample:
            return ops
        must = {start, start + 1, slot - 1, slot, end - 2, end - 1}
        import random
        rest = sorted(set(ops) - must)
        return sorted(must | set(random.Random(seed).sample(rest, max(0, sample - len(must)))))

    def crash_points(self, seed: int = 0) -> list[int]:
        """Every op, or (with a budget) a deterministic sample that always holds the
        first and last ops, every op of ``full_step``, and each commit's boundaries."""
        n = self.ops
        w = self.workload
        if w.budget is None or n <= w.budget:
            return list(range(n))
        must = {0, n - 1}
        s0, _, e0 = self.bounds[w.full_step]
        must.update(range(s0, e0))
        for start, slot, end in self.bounds:
            must.update({start, slot - 1, slot, end - 1})
        rest = sorted(set(range(n)) - must)
        import random
        rng = random.Random(seed)
        extra = rng.sample(rest, max(0, min(len(rest), w.budget - len(must))))
        return sorted(must | set(extra))


def _is_slot_write(entry: tuple[str, int, int]) -> bool:
    kind, off, length = entry
    return kind == "write" and off in (0, PAGE_SIZE) and length <= PAGE_SIZE


def open_on(dev: fault.FaultyFile, name: Optional[str] = None) -> tuple[Any, str]:
    name = name or fresh_name()
    fault.attach(name, dev)
    return terndb.connect(f"fault://{name}"), name


def reference_run(w: Workload) -> Reference:
    dev = fault.FaultyFile()
    conn, name = open_on(dev)
    ctx: dict = {"conn": conn, "dev": dev, "url": f"fault://{name}"}
    try:
        if w.prepare:
            w.prepare(ctx)
        states = [dump(conn)]
        images = [dev.current()]
        bounds = []
        for i, step in enumerate(w.steps):
            start = dev.ops
            step(ctx)
            end = dev.ops
            slots = [j for j in range(start, end) if _is_slot_write(dev.log[j])]
            assert len(slots) == 1, (f"{w.name} step {i} must commit exactly once "
                                     f"(ops {dev.log[start:end]})")
            assert dev.log[end - 1][0] == "sync", "a commit must end with a sync"
            bounds.append((start, slots[0], end))
            states.append(dump(conn))
            images.append(dev.current())
            assert integrity(conn) == [("ok",)]
    finally:
        close_ctx(ctx)
    return Reference(w, states, bounds, list(dev.log), dev.current(), images)


def _shape(log: list) -> list:
    # Root records embed the random salt, so their length varies between runs.
    return [(kind, off, -1 if _is_slot_write((kind, off, n)) else n) for kind, off, n in log]


def close_ctx(ctx: dict) -> None:
    for key in ("reader", "conn"):
        c = ctx.get(key)
        if c is not None:
            c.close()


def crash_run(ref: Reference, k: int, **dev_kw: Any) -> fault.FaultyFile:
    """Replay the workload with a power cut during I/O operation ``k``; return the frozen device."""
    w = ref.workload
    dev = fault.FaultyFile(**dev_kw)
    dev.add_fault("op", k, "crash")
    conn, name = open_on(dev)
    ctx: dict = {"conn": conn, "dev": dev, "url": f"fault://{name}"}
    try:
        if w.prepare:
            w.prepare(ctx)
        try:
            for step in w.steps:
                step(ctx)
        except fault.SimulatedCrash:
            pass
        else:
            raise AssertionError(f"{w.name}: no crash happened at op {k}")
    finally:
        close_ctx(ctx)
    assert dev.crashed and dev.crash_op == k
    assert _shape(dev.log) == _shape(ref.log[:k + 1]), (
        f"{w.name}: the replay diverged from the reference run before op {k}; "
        "the workload is not deterministic")
    return dev


# ------------------------------------------------------------- verification

def open_image(path: str, image: bytes) -> Any:
    # A new inode every time, so that one failed open cannot affect the next image.
    if os.path.exists(path):
        os.remove(path)
    with open(path, "wb") as fh:
        fh.write(image)
    return terndb.connect(path)


POST_ROWS = [(i, f"post-{i}-" + "p" * (200 + 97 * (i % 25))) for i in range(80)]


def post_recovery_write(path: str, before: Dump) -> list[str]:
    """Write on the recovered database (reusing its free pages), reopen, and check that
    the recovered content is untouched and the new rows are all there."""
    problems = []
    conn = terndb.connect(path)
    try:
        conn.execute("CREATE TABLE post_check(id INTEGER PRIMARY KEY, v TEXT)")
        conn.executemany("INSERT INTO post_check VALUES (?, ?)", POST_ROWS)
        conn.commit()
        conn.execute("DELETE FROM post_check WHERE id % 3 = 0")
        conn.commit()
    finally:
        conn.close()
    conn = terndb.connect(path)
    try:
        got = dump(conn)
        ok = integrity(conn)
        conn.execute("DROP TABLE post_check")
        conn.commit()
        if dump(conn) != before:
            problems.append("writing after recovery changed the recovered content")
    finally:
        conn.close()
    want_rows = tuple((i, i, v) for i, v in POST_ROWS if i % 3)
    tables = dict(got[1])
    if tables.get("post_check") != want_rows:
        problems.append("rows written after recovery were not read back intact")
    if ok != [("ok",)]:
        problems.append(f"integrity_check after writing on the recovered database: {ok}")
    problems += [f"after post-recovery writes: {p}" for p in page_accounting(path)]
    return problems


def verify_image(path: str, image: bytes, allowed: dict[int, str], states: Sequence[Dump],
                 label: str, post_write: bool = True) -> Optional[str]:
    """None if the image opens as exactly one allowed state with a sound page structure,
    else a description of what went wrong."""
    try:
        conn = open_image(path, image)
    except Exception as e:  # noqa: BLE001 - we report every failure, whatever its type
        return f"{label}: opening the post-crash image raised {type(e).__name__}: {e}"
    try:
        try:
            got = dump(conn)
            ok = integrity(conn)
        except Exception as e:  # noqa: BLE001
            return f"{label}: reading the post-crash image raised {type(e).__name__}: {e}"
    finally:
        conn.close()
    match = [i for i in allowed if states[i] == got]
    if not match:
        other = [i for i, s in enumerate(states) if s == got]
        hint = (f"it equals the state after commit(s) {other}" if other
                else "it equals no committed state (a mix or a corruption)")
        return (f"{label}: the recovered database is not an allowed state "
                f"{ {i: allowed[i] for i in allowed} }; {hint}; got {describe(got)}")
    if ok != [("ok",)]:
        return f"{label}: integrity_check = {ok}"
    acct = page_accounting(path)
    if acct:
        return f"{label}: page accounting: {acct}"
    if post_write:
        post = post_recovery_write(path, got)
        if post:
            return f"{label}: {post}"
    return None


@dataclass
class CrashReport:
    points: int = 0
    images: int = 0
    failures: list[str] = field(default_factory=list)


#: name -> (crash points, total ops, images) for the terminal summary.
STATS: dict[str, tuple[int, int, int]] = {}
