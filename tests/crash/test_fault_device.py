"""The simulated device itself: pending vs durable writes, torn sectors, faults."""

from __future__ import annotations

import errno

import pytest

from terndb.vfs.fault import SECTOR, FaultyFile, SimulatedCrash


def test_writes_are_pending_until_sync():
    d = FaultyFile(b"A" * 1024)
    d.pwrite(b"B" * 1024, 0)
    assert d.pread(1024, 0) == b"B" * 1024          # the page cache sees it
    assert d.durable_image() == b"A" * 1024         # the disk does not, yet
    assert d.full_image() == b"B" * 1024
    d.sync()
    assert d.durable_image() == b"B" * 1024 and not d.pending


def test_crash_images_are_made_of_whole_sectors_of_pending_writes():
    d = FaultyFile(b"\0" * 8 * SECTOR)
    d.pwrite(b"\1" * 8 * SECTOR, 0)
    seen = set()
    for seed in range(200):
        img = d.crash_image(seed)
        assert len(img) == 8 * SECTOR
        sectors = [img[i:i + SECTOR] for i in range(0, len(img), SECTOR)]
        assert all(s in (b"\0" * SECTOR, b"\1" * SECTOR) for s in sectors)
        seen.add(tuple(s[0] for s in sectors))
    assert (0,) * 8 in seen and (1,) * 8 in seen
    assert any(0 < sum(s) < 8 and list(s) != sorted(s, reverse=True) for s in seen), \
        "non-prefix tears must occur"


def test_crash_image_is_deterministic_per_seed():
    d = FaultyFile()
    d.pwrite(bytes(range(256)) * 40, 100)
    d.pwrite(b"x" * 3000, 5000)
    assert d.crash_image(7) == d.crash_image(7)


def test_crash_freezes_the_device():
    d = FaultyFile()
    d.add_fault("op", 1, "crash")
    d.pwrite(b"a", 0)
    with pytest.raises(SimulatedCrash):
        d.sync()
    assert d.crashed and d.crash_op == 1
    with pytest.raises(SimulatedCrash):
        d.pwrite(b"b", 0)
    with pytest.raises(SimulatedCrash):
        d.pread(1, 0)
    assert d.pending == [(0, b"a")]                 # the sync never completed


def test_errno_faults_and_short_writes():
    d = FaultyFile(capacity=10)
    d.add_fault("write", 0, errno.EIO)
    with pytest.raises(OSError) as ei:
        d.pwrite(b"abc", 0)
    assert ei.value.errno == errno.EIO and d.current() == b""
    assert d.pwrite(b"0123456789ABC", 0) == 10       # short write on a full disk
    with pytest.raises(OSError) as ei:
        d.pwrite(b"x", 10)
    assert ei.value.errno == errno.ENOSPC


def test_failed_sync_keeps_or_forgets_pending_writes():
    for drops in (False, True):
        d = FaultyFile(sync_error_drops=drops)
        d.pwrite(b"abc", 0)
        d.add_fault("sync", 0, errno.EIO)
        with pytest.raises(OSError):
            d.sync()
        assert d.current() == b"abc"
        d.sync()
        assert d.durable_image() == (b"" if drops else b"abc")
