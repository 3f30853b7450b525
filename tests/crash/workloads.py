"""Deterministic workloads for the crash tests; every step ends with exactly one commit."""

from __future__ import annotations

import random

import terndb

from .harness import Workload


def _text(rng: random.Random, lo: int, hi: int, tag: str = "") -> str:
    n = rng.randrange(lo, hi)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 "
    head = tag + ":" if tag else ""
    # A random head and a repeated body keep generation cheap but rows distinct.
    seed = "".join(rng.choice(alphabet) for _ in range(24))
    return (head + seed * (n // 24 + 1))[:n]


def _rows(seed: int, n: int, lo: int, hi: int, start: int = 0) -> list[tuple]:
    rng = random.Random(seed)
    return [(start + i, rng.randrange(1000), _text(rng, lo, hi, str(start + i))) for i in range(n)]


def _script(*sql: str, params: tuple = ()):
    """A step running ``sql`` statements in one explicit transaction."""
    def step(ctx: dict) -> None:
        c = ctx["conn"]
        c.execute("BEGIN")
        for s in sql:
            c.execute(s)
        c.commit()
    return step


# ------------------------------------------------------------- single rows

def single_rows() -> Workload:
    def insert(i: int):
        def step(ctx: dict) -> None:
            c = ctx["conn"]
            c.execute("INSERT INTO t(v) VALUES (?)", (f"row {i} " + "x" * (i * 13),))
            c.commit()
        return step
    steps = [_script("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")]
    steps += [insert(i) for i in range(8)]
    return Workload("single_rows", steps, full_step=3)


# ------------------------------------------------------- a large commit

BIG = _rows(11, 2000, 300, 1500)


def big_commit() -> Workload:
    def load(ctx: dict) -> None:
        c = ctx["conn"]
        c.executemany("INSERT INTO big VALUES (?, ?, ?)", BIG)
        c.commit()

    def touch(ctx: dict) -> None:
        c = ctx["conn"]
        c.execute("UPDATE big SET v = v || '!', k = k + 1 WHERE id % 7 = 0")
        c.commit()
    steps = [_script("CREATE TABLE big(id INTEGER PRIMARY KEY, k INTEGER, v TEXT)",
                     "CREATE INDEX big_k ON big(k)"),
             load, touch]
    return Workload("big_commit", steps, full_step=1)


# ---------------------------------------------- free pages, free-list spill

FREE_A = _rows(21, 700, 1500, 2500)
FREE_B = _rows(22, 300, 800, 3000, start=1000)


def free_list() -> Workload:
    def load(rows):
        def step(ctx: dict) -> None:
            c = ctx["conn"]
            c.executemany("INSERT INTO f VALUES (?, ?, ?)", rows)
            c.commit()
        return step

    def delete_most(ctx: dict) -> None:
        c = ctx["conn"]
        c.execute("DELETE FROM f WHERE id % 3 != 0")
        c.commit()
        st = c.stats()
        # The freed pages outgrow the root record: they must spill into the chain.
        assert st["free_chain"] == 1, st

    def update(ctx: dict) -> None:
        c = ctx["conn"]
        c.execute("UPDATE f SET v = upper(v), k = k * 2 WHERE id % 2 = 0")
        c.commit()

    def delete_tail(ctx: dict) -> None:
        c = ctx["conn"]
        c.execute("DELETE FROM f WHERE id > 1150 OR id < 100")
        c.commit()
    steps = [_script("CREATE TABLE f(id INTEGER PRIMARY KEY, k INTEGER, v TEXT)"),
             load(FREE_A), delete_most, load(FREE_B), update, delete_tail,
             load([(r[0] + 5000, r[1], r[2]) for r in FREE_A[:150]])]
    return Workload("free_list", steps, full_step=2, budget=45)


def chained_free_list() -> Workload:
    """Many small free-list chunks: run with MAX_INLINE_FREE and FREE_CHUNK patched small."""
    rows = _rows(31, 240, 300, 900)

    def load(rs):
        def step(ctx: dict) -> None:
            c = ctx["conn"]
            c.executemany("INSERT INTO g VALUES (?, ?, ?)", rs)
            c.commit()
        return step

    def sql(s: str):
        def step(ctx: dict) -> None:
            c = ctx["conn"]
            c.execute(s)
            c.commit()
        return step
    steps = [_script("CREATE TABLE g(id INTEGER PRIMARY KEY, k INTEGER, v TEXT)",
                     "CREATE INDEX g_k ON g(k)"),
             load(rows), sql("DELETE FROM g WHERE id % 2 = 0"),
             load([(r[0] + 1000, r[1], r[2]) for r in rows[:60]]),
             sql("UPDATE g SET v = v || v WHERE id % 3 = 0"),
             sql("DELETE FROM g WHERE id < 1000"),
             load([(r[0] + 2000, r[1], r[2]) for r in rows[60:200]])]
    return Workload("chained_free_list", steps, full_step=2, budget=70)


# ------------------------------------------------------------------- DDL

DDL_A = [(i, f"a{i}-" + "q" * (i * 7 % 400), i % 10) for i in range(60)]
DDL_B = [(f"k{i:04d}", f"v{i}-" + "w" * (i * 11 % 700)) for i in range(150)]


def ddl() -> Workload:
    def fill_a(ctx: dict) -> None:
        c = ctx["conn"]
        c.execute("BEGIN")
        c.execute("CREATE TABLE a(id INTEGER PRIMARY KEY, x TEXT, y INT)")
        c.executemany("INSERT INTO a VALUES (?, ?, ?)", DDL_A)
        c.commit()

    def fill_b(ctx: dict) -> None:
        c = ctx["conn"]
        c.executemany("INSERT INTO b VALUES (?, ?)", DDL_B)
        c.commit()

    def recreate_a(ctx: dict) -> None:
        c = ctx["conn"]
        c.execute("BEGIN")
        c.execute("CREATE TABLE a(id, x)")
        c.executemany("INSERT INTO a VALUES (?, ?)", [(i, str(i) * 50) for i in range(40)])
        c.execute("DROP INDEX b_v")
        c.commit()
    steps = [fill_a,
             _script("CREATE INDEX a_y ON a(y)", "CREATE TABLE b(k TEXT PRIMARY KEY, v)"),
             fill_b,
             _script("DROP TABLE a", "CREATE UNIQUE INDEX b_v ON b(v)"),
             _script("ALTER TABLE b ADD COLUMN z DEFAULT 5",
                     "CREATE VIEW bv AS SELECT k, z FROM b WHERE z > 3"),
             recreate_a,
             _script("DROP VIEW bv", "CREATE INDEX a_x ON a(x)",
                     "UPDATE b SET z = length(v) WHERE k < 'k0050'"),
             _script("DROP TABLE b")]
    return Workload("ddl", steps, full_step=3)


# ------------------------------------------------------- index maintenance

PEOPLE = [(i, f"user{i}@example.com", (i * 37) % 101, f"tag{i % 7}" + "t" * (i % 90))
          for i in range(400)]


def indexes() -> Workload:
    def load(ctx: dict) -> None:
        c = ctx["conn"]
        c.executemany("INSERT INTO p VALUES (?, ?, ?, ?)", PEOPLE)
        c.commit()

    def sql(*ss: str):
        def step(ctx: dict) -> None:
            c = ctx["conn"]
            for s in ss:
                c.execute(s)
            c.commit()
        return step

    def replace(ctx: dict) -> None:
        c = ctx["conn"]
        c.executemany("INSERT OR REPLACE INTO p VALUES (?, ?, ?, ?)",
                      [(10000 + i, f"user{i * 5}@example.com", i, "rep") for i in range(40)])
        c.commit()
    steps = [_script("CREATE TABLE p(id INTEGER PRIMARY KEY, email TEXT UNIQUE, score INT, tag TEXT)",
                     "CREATE INDEX p_score ON p(score, tag)"),
             load,
             sql("UPDATE p SET score = score + 1000 WHERE id % 4 = 0"),
             sql("UPDATE p SET email = 'x' || email WHERE id % 9 = 0"),
             sql("DELETE FROM p WHERE score BETWEEN 20 AND 60"),
             replace,
             _script("CREATE INDEX p_tag ON p(tag)", "UPDATE p SET tag = upper(tag) WHERE id % 5 = 1")]
    return Workload("indexes", steps, full_step=2)


# ------------------------------------- open snapshots pin freed pages

READER_ROWS = _rows(41, 500, 1200, 2000)


def pinned_reader() -> Workload:
    def load(ctx: dict) -> None:
        c = ctx["conn"]
        c.executemany("INSERT INTO r VALUES (?, ?, ?)", READER_ROWS)
        c.commit()

    def delete_under_reader(ctx: dict) -> None:
        reader = terndb.connect(ctx["url"])
        ctx["reader"] = reader
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM r").fetchone() == (500,)
        c = ctx["conn"]
        c.execute("DELETE FROM r WHERE id % 4 != 0")
        c.commit()

    def insert_under_reader(ctx: dict) -> None:
        c = ctx["conn"]
        c.executemany("INSERT INTO r VALUES (?, ?, ?)",
                      [(r[0] + 1000, r[1], r[2]) for r in READER_ROWS[:200]])
        c.commit()
        # The snapshot still sees the original rows.
        assert ctx["reader"].execute("SELECT count(*) FROM r").fetchone() == (500,)

    def after_reader(ctx: dict) -> None:
        ctx["reader"].commit()          # ends the snapshot (no I/O)
        c = ctx["conn"]
        c.execute("UPDATE r SET v = substr(v, 1, 700) WHERE id % 8 = 0")
        c.commit()

    def reuse(ctx: dict) -> None:
        c = ctx["conn"]
        c.executemany("INSERT INTO r VALUES (?, ?, ?)",
                      [(r[0] + 3000, r[1], r[2]) for r in READER_ROWS[200:400]])
        c.commit()
    steps = [_script("CREATE TABLE r(id INTEGER PRIMARY KEY, k INTEGER, v TEXT)"),
             load, delete_under_reader, insert_under_reader, after_reader, reuse]
    return Workload("pinned_reader", steps, full_step=2, budget=60)


ALL = {w().name: w for w in (single_rows, big_commit, free_list, chained_free_list, ddl,
                               indexes, pinned_reader)}
