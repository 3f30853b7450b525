"""The harness must catch broken commit protocols: run the crash enumeration against
deliberately wrong variants of the file backend's commit and expect failures."""

from __future__ import annotations

import struct
import zlib

import pytest

from terndb.store.format import PAGE_SIZE, SLOT_MAGIC
from terndb.vfs import fault

from . import workloads
from .harness import reference_run, crash_run, verify_image

_SLOT = struct.Struct("<8sQII")


def _mutant(barrier: bool, alternate: bool):
    def commit(self, pages, root):
        dev = self.device
        self._write_pages(pages)
        if pages and barrier:
            dev.sync()
        seq = self.seq + 1
        if alternate:
            slot = 1 - self.slot if self.seq else 0
        else:
            slot = self.slot                      # overwrite the live root in place
        header = _SLOT.pack(SLOT_MAGIC, seq, len(root), zlib.crc32(root, seq & 0xFFFFFFFF))
        dev.pwrite(header + root, slot * PAGE_SIZE)
        dev.sync()
        self.seq, self.slot = seq, slot
    return commit


def _count_failures(w, tmp_path) -> int:
    ref = reference_run(w)
    bad = 0
    for k in ref.crash_points():
        dev = crash_run(ref, k)
        for label, image in dev.crash_images((1, 2, 3, 4)):
            if verify_image(str(tmp_path / "m.db"), image, ref.allowed(k), ref.states, label,
                            post_write=False):
                bad += 1
    return bad


@pytest.mark.parametrize("wname,barrier,alternate", [
    ("single_rows", False, True),        # no sync between the pages and the root
    ("pinned_reader", True, False),      # root records > 512 bytes rewritten in place
])
def test_harness_detects_broken_commit(wname, barrier, alternate, monkeypatch, tmp_path):
    monkeypatch.setattr(fault.FaultyBackend, "commit", _mutant(barrier, alternate))
    assert _count_failures(workloads.ALL[wname](), tmp_path) > 0, \
        "a broken commit protocol went unnoticed: the crash harness is too weak"


def test_harness_accepts_the_correct_protocol_written_out(monkeypatch, tmp_path):
    """The same hand-written commit, with the barrier and slot alternation, passes."""
    monkeypatch.setattr(fault.FaultyBackend, "commit", _mutant(True, True))
    assert _count_failures(workloads.single_rows(), tmp_path) == 0
