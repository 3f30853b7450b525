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
        for label, image in dev.crash_images(SEEDS):
            images += 1
            where = (f"{w.name}: power cut during op {k} {ref.log[k][:2]} "
                     f"(commit {step + 1}, ops {ref.bounds[step][0]}..{ref.bounds[step][2] - 1}, "
                     f"root slot at op {ref.bounds[step][1]}), image {label}")
            err = verify_image(str(tmp_path / "crash.db"), image, allowed, ref.states, where)
            if err:
                failures.append(err)
    STATS[w.name] = (len(points), ref.ops, images)
    assert not failures, f"{len(failures)} bad post-crash images; first ones:\n" + "\n".join(failures[:8])


@pytest.mark.parametrize("name", [n for n in workloads.ALL if n != "chained_free_list"])
def test_power_cut_at_every_io_step(name, tmp_path):
    _check_workload(workloads.ALL[name](), tmp_path)


def test_power_cut_with_chained_free_list(small_free_list, tmp_path):
    _check_workload(workloads.chained_free_list(), tmp_path)
