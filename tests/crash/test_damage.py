"""Torn and foreign data in a committed file: damaged pages must be reported as
terndb.DatabaseError with a clear message (never another exception type), damage to
free pages must not matter, and a damaged root slot falls back to the other slot."""

from __future__ import annotations

import os
import random
import struct
import tempfile
import zlib

import pytest

import terndb
from terndb.store.format import PAGE_SIZE, SLOT_HEADER, SLOT_MAGIC

from . import workloads
from .harness import Workload, dump, integrity, page_map, reference_run, verify_image

_SLOT = struct.Struct("<8sQII")


def _extra_insert(ctx: dict) -> None:
    c = ctx["conn"]
    c.executemany("INSERT INTO f VALUES (?, ?, ?)",
                  [(9000 + r[0], r[1], r[2]) for r in workloads.FREE_B[:60]])
    c.commit()


_FIXTURES: dict[str, object] = {}


def _db(kind: str):
    """(reference, owners) of a database with two tables, three indexes and free pages:
    kind "chain": the free pages are in a spilled free-list chunk; "inline": in the root."""
    if kind not in _FIXTURES:
        steps = workloads.free_list().steps[:5] + workloads.indexes().steps[:3]
        if kind == "small":
            steps = workloads.indexes().steps[:3]
        if kind == "inline":
            steps.append(_extra_insert)
        ref = reference_run(Workload(f"damage-{kind}", steps))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.db")
            with open(path, "wb") as fh:
                fh.write(ref.image)
            owners, problems = page_map(path)
        assert not problems
        kinds = {o.split(" (")[0] for o in owners.values()}
        want = {"chain": {"free-list chunk"}, "inline": {"free"}, "small": set()}[kind]
        assert want <= kinds, kinds
        _FIXTURES[kind] = (ref, owners)
    return _FIXTURES[kind]


def _damage(image: bytes, pgno: int, mode: str, rng: random.Random) -> bytes:
    buf = bytearray(image)
    off = pgno * PAGE_SIZE
    if mode == "garbage":
        buf[off:off + PAGE_SIZE] = rng.randbytes(PAGE_SIZE)
    elif mode == "sector":
        s = rng.randrange(PAGE_SIZE // 512) * 512
        buf[off + s:off + s + 512] = rng.randbytes(512)
    elif mode == "zeros":
        buf[off:off + PAGE_SIZE] = bytes(PAGE_SIZE)
    elif mode == "bitflip":
        i = off + rng.randrange(PAGE_SIZE)
        buf[i] ^= 1 << rng.randrange(8)
    else:
        raise ValueError(mode)
    return bytes(buf)


def _read_everything(path: str):
    """(dump or None, integrity rows or None, exception or None)."""
    try:
        conn = terndb.connect(path)
    except Exception as e:  # noqa: BLE001
        return None, None, e
    try:
        try:
            got = dump(conn)
        except Exception as e:  # noqa: BLE001
            got = e
        try:
            ok = integrity(conn)
        except Exception as e:  # noqa: BLE001
            ok = e
    finally:
        conn.close()
    for v in (got, ok):
        if isinstance(v, Exception):
            return (None if isinstance(got, Exception) else got,
                    None if isinstance(ok, Exception) else ok, v)
    return got, ok, None


def _assert_corruption_error(e: BaseException, what: str) -> None:
    assert type(e) is terndb.DatabaseError, (
        f"{what}: corruption must raise terndb.DatabaseError, got {type(e).__name__}: {e}")
    msg = str(e)
    assert "malformed" in msg or "not a database" in msg, f"{what}: unclear message {msg!r}"


def _write(path, image: bytes) -> str:
    if os.path.exists(path):
        os.remove(path)
    with open(path, "wb") as fh:
        fh.write(image)
    return str(path)


def _used_page_cases():
    for kind in ("chain", "inline"):
        _ref, owners = _db(kind)
        groups: dict[str, list[int]] = {}
        for pg, who in sorted(owners.items()):
            if not who.startswith("free") or who == "free-list chunk":
                groups.setdefault(who, []).append(pg)
        rng = random.Random(kind)
        for who, pages in sorted(groups.items()):
            if who == "free-list chunk":
                continue                      # has its own test below
            for pg in rng.sample(pages, min(3, len(pages))):
                for mode in ("garbage", "sector", "zeros", "bitflip"):
                    yield pytest.param(kind, pg, mode, id=f"{kind}-{who.replace(' ', '')}-p{pg}-{mode}")


@pytest.mark.parametrize("kind,pgno,mode", list(_used_page_cases()))
def test_damaged_used_page_is_reported(kind, pgno, mode, tmp_path):
    ref, owners = _db(kind)
    image = _damage(ref.image, pgno, mode, random.Random(pgno))
    got, ok, err = _read_everything(_write(tmp_path / "d.db", image))
    what = f"page {pgno} ({owners[pgno]}) damaged ({mode})"
    if err is not None:
        _assert_corruption_error(err, what)
        return
    # Nothing raised: integrity_check must have found the damage.
    assert ok != [("ok",)], f"{what}: nothing noticed (dump equal: {got == ref.states[-1]})"


@pytest.mark.parametrize("kind", ["chain", "inline"])
@pytest.mark.parametrize("mode", ["garbage", "zeros"])
def test_damaged_free_pages_are_harmless(kind, mode, tmp_path):
    """Free pages hold nothing: garbage there changes nothing, and writes reuse them."""
    ref, owners = _db(kind)
    image = ref.image
    free = [pg for pg, who in owners.items() if who.startswith("free (") or who == "free"]
    rng = random.Random(7)
    for pg in free:
        image = _damage(image, pg, mode, rng)
    err = verify_image(str(tmp_path / "f.db"), image, {len(ref.states) - 1: "final"},
                       ref.states, f"{len(free)} free pages damaged ({mode})")
    assert err is None, err


@pytest.mark.parametrize("mode", ["garbage", "sector", "bitflip"])
def test_damaged_free_list_chunk(mode, tmp_path):
    """A damaged spilled free-list page: reads are unaffected; a write that needs a page
    from the chain fails with DatabaseError (here every write does: no page is free
    in the root record itself), the connection stays usable, and nothing changes."""
    ref, owners = _db("chain")
    (chunk,) = [pg for pg, who in owners.items() if who == "free-list chunk"]
    path = _write(tmp_path / "c.db", _damage(ref.image, chunk, mode, random.Random(1)))
    conn = terndb.connect(path)
    try:
        assert dump(conn) == ref.states[-1]
        conn.executemany("INSERT INTO f VALUES (?, ?, ?)",
                         [(20000 + r[0], r[1], r[2]) for r in workloads.FREE_B])
        with pytest.raises(terndb.Error) as ei:
            conn.commit()
        _assert_corruption_error(ei.value, f"free-list chunk {chunk} damaged ({mode})")
        assert not conn.in_transaction
        assert dump(conn) == ref.states[-1]
        conn.execute("INSERT INTO p(id, email, score, tag) VALUES (-1, 'new', 1, 'n')")
        with pytest.raises(terndb.Error) as ei:
            conn.commit()
        _assert_corruption_error(ei.value, f"free-list chunk {chunk} damaged ({mode}), small write")
        assert dump(conn) == ref.states[-1]
    finally:
        conn.close()
    conn = terndb.connect(path)
    try:
        assert dump(conn) == ref.states[-1]
    finally:
        conn.close()


# ------------------------------------------------------------------ root slots

def _slots(image: bytes) -> list[tuple[int, int]]:
    """(seq, slot) of the valid slots, newest first."""
    out = []
    for slot in (0, 1):
        raw = image[slot * PAGE_SIZE:(slot + 1) * PAGE_SIZE]
        magic, seq, length, crc = _SLOT.unpack_from(raw)
        body = raw[SLOT_HEADER:SLOT_HEADER + length]
        if magic == SLOT_MAGIC and zlib.crc32(body, seq & 0xFFFFFFFF) == crc:
            out.append((seq, slot))
    return sorted(out, reverse=True)


def _damage_slot(image: bytes, slot: int, mode: str) -> bytes:
    buf = bytearray(image)
    off = slot * PAGE_SIZE
    rng = random.Random(slot * 100 + len(mode))
    if mode == "garbage":
        buf[off:off + PAGE_SIZE] = rng.randbytes(PAGE_SIZE)
    elif mode == "zeros":
        buf[off:off + PAGE_SIZE] = bytes(PAGE_SIZE)
    elif mode == "body-bitflip":
        buf[off + SLOT_HEADER + 5] ^= 0x10
    elif mode == "seq-bitflip":
        buf[off + 8] ^= 0x01
    elif mode == "torn-first-sector":
        buf[off:off + 512] = rng.randbytes(512)
    elif mode == "header-only":      # the header of a longer record, body never written
        buf[off + SLOT_HEADER:off + PAGE_SIZE] = bytes(PAGE_SIZE - SLOT_HEADER)
    else:
        raise ValueError(mode)
    return bytes(buf)


SLOT_MODES = ["garbage", "zeros", "body-bitflip", "seq-bitflip", "torn-first-sector", "header-only"]


@pytest.mark.parametrize("mode", SLOT_MODES)
def test_damaged_newest_slot_falls_back_to_previous_commit(mode, tmp_path):
    """read_root picks the valid slot with the higher sequence number: when the newest
    slot is unreadable, the other slot -- the previous commit, whose pages the last
    commit did not overwrite -- is a complete, consistent database."""
    ref, _ = _db("chain")
    (new_seq, new_slot), (old_seq, _old_slot) = _slots(ref.image)
    assert new_seq == old_seq + 1
    image = _damage_slot(ref.image, new_slot, mode)
    n = len(ref.states) - 1
    err = verify_image(str(tmp_path / "s.db"), image, {n - 1: "the previous commit"},
                       ref.states, f"newest root slot damaged ({mode})")
    assert err is None, err


@pytest.mark.parametrize("mode", SLOT_MODES)
def test_damaged_older_slot_is_ignored(mode, tmp_path):
    ref, _ = _db("chain")
    (_new_seq, _new_slot), (_old_seq, old_slot) = _slots(ref.image)
    image = _damage_slot(ref.image, old_slot, mode)
    err = verify_image(str(tmp_path / "s.db"), image, {len(ref.states) - 1: "the last commit"},
                       ref.states, f"older root slot damaged ({mode})")
    assert err is None, err


@pytest.mark.parametrize("mode", ["garbage", "body-bitflip", "torn-first-sector"])
def test_both_slots_damaged(mode, tmp_path):
    ref, _ = _db("chain")
    image = _damage_slot(_damage_slot(ref.image, 0, mode), 1, mode)
    with pytest.raises(terndb.Error) as ei:
        terndb.connect(_write(tmp_path / "b.db", image))
    _assert_corruption_error(ei.value, f"both root slots damaged ({mode})")


def test_root_slot_from_another_database(tmp_path):
    """A valid root record of a different database (other salt, other pages) in the
    newest slot: every page fails its checksum -> DatabaseError, not garbage data."""
    ref, _ = _db("chain")
    other = reference_run(workloads.indexes())
    (seq, slot), _ = _slots(ref.image)
    raw = bytearray(other.image[:PAGE_SIZE] if _slots(other.image)[0][1] == 0
                    else other.image[PAGE_SIZE:2 * PAGE_SIZE])
    # Re-seal it with a sequence number that wins.
    magic, _, length, _ = _SLOT.unpack_from(raw)
    body = bytes(raw[SLOT_HEADER:SLOT_HEADER + length])
    raw[:SLOT_HEADER] = _SLOT.pack(SLOT_MAGIC, seq + 1, length, zlib.crc32(body, (seq + 1) & 0xFFFFFFFF))
    buf = bytearray(ref.image)
    buf[(1 - slot) * PAGE_SIZE:(2 - slot) * PAGE_SIZE] = raw
    got, ok, err = _read_everything(_write(tmp_path / "o.db", bytes(buf)))
    assert err is not None or ok != [("ok",)], "a foreign root record went unnoticed"
    if err is not None:
        _assert_corruption_error(err, "foreign root record")


# ------------------------------------------------ stale pages (lost writes)

@pytest.mark.parametrize("seed", range(16))
def test_stale_page_never_raises_a_non_database_error(seed, tmp_path):
    """A page silently replaced by an older version of itself (a lost or misdirected
    write): its checksum is valid, so the damage may go unnoticed -- but whatever the
    engine does, it must not fail with anything other than terndb.DatabaseError."""
    ref, owners = _db("chain")
    older = _older_image()
    rng = random.Random(seed)
    candidates = [pg for pg in sorted(owners)
                  if not owners[pg].startswith("free")
                  and (pg + 1) * PAGE_SIZE <= len(older)
                  and older[pg * PAGE_SIZE:(pg + 1) * PAGE_SIZE] != ref.image[pg * PAGE_SIZE:(pg + 1) * PAGE_SIZE]
                  and any(older[pg * PAGE_SIZE:(pg + 1) * PAGE_SIZE])]
    pages = rng.sample(candidates, min(len(candidates), 1 + seed % 3))
    buf = bytearray(ref.image)
    for pg in pages:
        buf[pg * PAGE_SIZE:(pg + 1) * PAGE_SIZE] = older[pg * PAGE_SIZE:(pg + 1) * PAGE_SIZE]
    path = _write(tmp_path / "stale.db", bytes(buf))
    got, ok, err = _read_everything(path)
    what = f"stale page(s) {[(p, owners[p]) for p in pages]}"
    if err is not None:
        _assert_corruption_error(err, what)
        return
    # Also exercise writes over the stale structure.
    conn = terndb.connect(path)
    try:
        conn.execute("UPDATE p SET score = score + 1")
        conn.execute("DELETE FROM f WHERE id % 2 = 1")
        conn.commit()
    except terndb.Error as e:
        _assert_corruption_error(e, what + " (while writing)")
    except Exception as e:  # noqa: BLE001
        raise AssertionError(f"{what}: writing raised {type(e).__name__}: {e}") from e
    finally:
        conn.close()


def _older_image() -> bytes:
    """The same file (same salt) as it was three commits before the end."""
    ref, _ = _db("chain")
    return ref.images[-4]


# ------------------------------------- foreign nodes with valid checksums

def _tree_nodes(path: str) -> tuple[int, dict[tuple[str, int], int]]:
    """(salt, {(tree id, node kind): a head page of such a node})."""
    from terndb.store import codec
    from terndb.store.format import NODE_INNER
    from terndb.store.pager import Store
    from terndb.vfs.file import FileBackend
    st = Store(FileBackend(path, readonly=True))
    try:
        roots = codec.decode(st.read_blob(st.meta["roots"]))["roots"]
        found: dict[tuple[str, int], int] = {}
        for tid, r in roots.items():
            stack = [r] if r else []
            while stack:
                ref = stack.pop()
                node = codec.decode(st.read_blob(ref))
                found.setdefault((tid, node[0]), ref)
                if node[0] == NODE_INNER:
                    stack.extend(node[2])
        return st.salt, found
    finally:
        st.close()


def _sealed_page(salt: int, pgno: int, data: bytes) -> bytes:
    """A one-page blob with a valid checksum, as the pager would write it."""
    from terndb.store import pager
    body = pager._BODY.pack(1, 1, 0, 0, len(data)) + data
    body += bytes(PAGE_SIZE - 4 - len(body))
    return pager._CRC.pack(zlib.crc32(body, (salt + pgno) & 0xFFFFFFFF)) + body


FOREIGN_NODES = {
    "index-leaf": [1, [[5, 1], [6, 2]]],
    "table-leaf": [0, [1, 2], [[1, "a"], [2, "b"]]],
    "inner-int-kids": [2, [10], [3, 4]],
    "inner-str-kids": [2, [10], ["x", "y"]],
    "leaf-str-keys": [0, ["a"], [[1]]],
    "rows-not-lists": [0, [1, 2], [1, 2]],
    "object": {"a": 1},
    "number": 5,
    "null": None,
    "empty": [],
    "inner-self-loop": "SELF",
}


def _foreign_node_outcome(path: str) -> str:
    """'' if the damage was reported properly, else what went wrong."""
    got, ok, err = _read_everything(path)
    if err is not None:
        return "" if type(err) is terndb.DatabaseError else f"{type(err).__name__}: {err}"
    return "went unnoticed" if ok == [("ok",)] else ""


_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (512 << 20, 512 << 20))
sys.path.insert(0, sys.argv[2])
from crash.test_damage import _foreign_node_outcome
print(repr(_foreign_node_outcome(sys.argv[1])))
"""


@pytest.mark.host_only
@pytest.mark.parametrize("payload", sorted(FOREIGN_NODES))
def test_foreign_node_with_valid_checksum(payload, tmp_path):
    """A page whose checksum is valid but whose node is of the wrong kind or shape
    (as a lost write or a page from another tree would leave): DatabaseError or an
    integrity_check problem, never another exception type, never silence, never a hang
    (each case runs in a child process with a time and memory limit)."""
    import json
    import subprocess
    import sys
    ref, _ = _db("small")
    salt, nodes = _tree_nodes(_write(tmp_path / "src.db", ref.image))
    bad = []
    for (tid, kind), pg in sorted(nodes.items()):
        pl = FOREIGN_NODES[payload]
        if pl == "SELF":
            if kind != 2 or tid != "1":     # the table tree (a healthy read takes < 0.5 s)
                continue
            pl = [2, [10], [pg, pg]]
        buf = bytearray(ref.image)
        buf[pg * PAGE_SIZE:(pg + 1) * PAGE_SIZE] = _sealed_page(salt, pg, json.dumps(pl).encode())
        path = _write(tmp_path / f"n{tid}-{kind}.db", bytes(buf))
        what = f"tree {tid} node kind {kind} at page {pg} replaced by {payload}"
        if payload.endswith("loop"):
            tests_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            try:
                res = subprocess.run([sys.executable, "-c", _CHILD, path, tests_dir],
                                     capture_output=True, text=True, timeout=4)
            except subprocess.TimeoutExpired:
                bad.append(f"{what}: reading the database hangs (no cycle detection)")
                continue
            if res.returncode != 0:
                bad.append(f"{what}: child failed: {res.stderr.strip().splitlines()[-1:]}")
                continue
            outcome = eval(res.stdout.strip().splitlines()[-1])
        else:
            outcome = _foreign_node_outcome(path)
        if outcome:
            bad.append(f"{what}: {outcome}")
    assert not bad, "\n".join(bad)
