"""Power cut at every I/O step of every commit: the database must recover to
exactly the last committed state or the state of the commit in flight."""

from __future__ import annotations

import pytest

from . import workloads
from .harness import STATS, crash_run, reference_run, verify_image

#: Random post-crash images per crash point, besides "nothing pending landed"
#: and "everything pending landed".
SEEDS = (1, 2, 3, 4)


def _check_workload(w, tmp_path) -> None:
    ref = reference_run(w)
    # The reference run itself must reopen to its final state.
    err = verify_image(str(tmp_path / "final.db"), ref.image, {len(w.steps): "final"},
                       ref.states, "no crash")
    assert err is None, err
    points = ref.crash_points()
    failures = []
    images = 0
    for k in points:
        dev = crash_run(ref, k)
        allowed = ref.allowed(k)
        step = ref.step_of(k)
        for n, (label, image) in enumerate(dev.crash_images(SEEDS)):
            images += 1
            where = (f"{w.name}: power cut during op {k} {ref.log[k][:2]} "
                     f"(commit {step + 1}, ops {ref.bounds[step][0]}..{ref.bounds[step][2] - 1}, "
                     f"root slot at op {ref.bounds[step][1]}), image {label}")
            # Writing on the recovered database (which reuses its free pages) is the
            # slow part of a check: do it for one image per crash point, in rotation.
            post = n == k % 3
            err = verify_image(str(tmp_path / "crash.db"), image, allowed, ref.states, where,
                               post_write=post)
            if err:
                failures.append(err)
    STATS[w.name] = (len(points), ref.ops, images)
    assert not failures, f"{len(failures)} bad post-crash images; first ones:\n" + "\n".join(failures[:8])


@pytest.mark.parametrize("name", [n for n in workloads.ALL if n != "chained_free_list"])
def test_power_cut_at_every_io_step(name, tmp_path):
    _check_workload(workloads.ALL[name](), tmp_path)


def test_power_cut_with_chained_free_list(small_free_list, tmp_path):
    _check_workload(workloads.chained_free_list(), tmp_path)


# ------------------------------------------------ a second power cut after recovery

def _after_recovery_txn(conn) -> None:
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE again(id INTEGER PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO again VALUES (?, ?)",
                     [(i, f"again-{i}-" + "r" * (100 + 61 * i)) for i in range(40)])
    conn.commit()


@pytest.mark.parametrize("name", ["single_rows", "pinned_reader", "indexes"])
def test_power_cut_while_writing_after_recovery(name, tmp_path):
    """Recover from a power cut, write (reusing pages the interrupted commit left
    behind), and lose power again at every I/O step of that write."""
    from terndb.vfs import fault
    from .harness import dump, open_on, _is_slot_write
    ref = reference_run(workloads.ALL[name]())
    # Cut during the first page write of the first data commit and during the
    # root-slot write of the last commit.
    picks = [ref.bounds[1][0], ref.bounds[-1][1]]
    failures = []
    checked = 0
    for k in picks:
        crashed = crash_run(ref, k)
        for label, image in crashed.crash_images((1,))[:3]:
            base = fault.FaultyFile(image)
            conn, _ = open_on(base)
            try:
                recovered = dump(conn)
                _after_recovery_txn(conn)
                written = dump(conn)
            finally:
                conn.close()
            log = base.log
            slot = next(j for j, e in enumerate(log) if _is_slot_write(e))
            for j in range(len(log)):
                dev = fault.FaultyFile(image)
                dev.add_fault("op", j, "crash")
                conn, _ = open_on(dev)
                try:
                    with pytest.raises(fault.SimulatedCrash):
                        _after_recovery_txn(conn)
                finally:
                    conn.close()
                allowed = {0: "recovered state"} if j < slot else \
                    {0: "recovered state", 1: "recovered state + the new commit"}
                for label2, image2 in dev.crash_images((1,)):
                    checked += 1
                    err = verify_image(str(tmp_path / "again.db"), image2, allowed,
                                       [recovered, written],
                                       f"{name}: cut at op {k} ({label}), recovered, then cut "
                                       f"at op {j} of the next commit ({label2})",
                                       post_write=False)
                    if err:
                        failures.append(err)
    STATS[f"{name} (second power cut)"] = (len(picks), ref.ops, checked)
    assert not failures, f"{len(failures)} bad images:\n" + "\n".join(failures[:6])
