"""Fault injection for crash-safety tests: a simulated disk and a FileBackend on it.

:class:`FaultyFile` models what a real disk (plus the OS page cache) promises:

* ``pwrite`` lands in the page cache at once -- later reads see it -- but is
  only *pending*: a power cut may lose it, apply it, or tear it;
* ``sync`` (fsync/fdatasync) makes every pending write *durable*;
* :meth:`FaultyFile.crash_image` builds one possible post-power-cut image:
  the durable bytes plus an arbitrary subset of the pending writes, each
  applied whole, dropped, or torn at sector granularity (a prefix of its
  sectors, or any subset of them -- disks do not promise to write the sectors
  of one request in order), chosen by a seeded random generator.

Faults are planned per operation: the k-th write, sync, read or mutating
operation ("op": a write or a sync) can raise ``OSError(errno)`` (EIO,
ENOSPC, ...) or *crash*: the operation is left in flight (a write becomes
pending, a sync does not complete), the device freezes, and
:class:`SimulatedCrash` -- a ``BaseException``, so no ``except Exception`` in
the engine can swallow it -- propagates to the test.

:class:`FaultyBackend` is the real :class:`~terndb.vfs.file.FileBackend` with
only its I/O seam (``_read_at``, ``_write_at``, ``_sync_file``, ``_size``)
routed to a ``FaultyFile``, so the on-disk layout and the commit protocol are
exactly the file backend's, and a crash image can be written to a real file
and opened with ``terndb.connect(path)``.

Use from tests::

    from terndb.vfs import fault
    fault.install()                       # registers the fault:// URL scheme
    dev = fault.new_device("t1")          # or fault.FaultyFile() + fault.attach(name, dev)
    con = terndb.connect("fault://t1")
"""

from __future__ import annotations

import errno as _errno
import itertools
import os as _real_os
import random
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Union

from .file import FileBackend

SECTOR = 512

__all__ = ["SECTOR", "SimulatedCrash", "Fault", "FaultyFile", "FaultyBackend", "install",
           "new_device", "attach", "device", "open_fault", "EIO", "ENOSPC"]

EIO = _errno.EIO
ENOSPC = _errno.ENOSPC


class SimulatedCrash(BaseException):
    """The simulated machine lost power: the device is frozen, nothing more happens."""


@dataclass
class Fault:
    """One planned fault.

    ``kind`` is "write", "sync", "read" or "op" (the k-th mutating operation,
    write or sync, counted together); ``at`` is the 0-based index among
    operations of that kind; ``action`` is "crash" or an errno number.  A
    ``sticky`` fault fires at ``at`` and at every later operation of its kind.
    """

    kind: str
    at: int
    action: Union[str, int] = "crash"
    sticky: bool = False
    #: For an errno fault on a write: the data still reaches the page cache
    #: (and is pending) although the call reports the error.
    lands: bool = False
    fired: int = 0

    def matches(self, kind: str, index: int) -> bool:
        if self.kind != kind:
            return False
        return index == self.at or (self.sticky and index >= self.at)


def _oserror(code: int, what: str) -> OSError:
    return OSError(code, f"{_real_os.strerror(code)} (injected at {what})")


class FaultyFile:
    """A simulated storage device: durable bytes, pending writes, planned faults."""

    def __init__(self, data: bytes = b"", faults: Iterable[Fault] = (), *,
                 capacity: Optional[int] = None, sync_error_drops: bool = False):
        self.durable = bytearray(data)     # what survives a power cut
        self.cache = bytearray(data)       # what reads see (page cache)
        self.pending: list[tuple[int, bytes]] = []
        self.faults: list[Fault] = list(faults)
        #: Maximum file size in bytes; writes past it are short (like a full
        #: disk: write(2) writes what fits and returns the count) or raise ENOSPC.
        self.capacity = capacity
        #: After a failed sync, forget the pending writes (Linux marks the dirty
        #: pages clean: they stay visible in the cache but never reach the disk).
        #: When False they stay pending, so a later successful sync persists them.
        self.sync_error_drops = sync_error_drops
        self.counts = {"write": 0, "sync": 0, "read": 0, "op": 0}
        #: Every mutating operation: (kind, offset, length) -- length is the
        #: number of bytes requested; offset and length are -1 for a sync.
        self.log: list[tuple[str, int, int]] = []
        self.crashed = False
        self.crash_op: Optional[int] = None
        self.lock = threading.RLock()

    # ---------------------------------------------------------------- faults

    def add_fault(self, kind: str, at: int, action: Union[str, int] = "crash",
                  sticky: bool = False, lands: bool = False) -> Fault:
        f = Fault(kind, at, action, sticky, lands)
        self.faults.append(f)
        return f

    def clear_faults(self) -> None:
        self.faults.clear()

    def _check(self, kinds: tuple[str, ...]) -> Optional[Fault]:
        if self.crashed:
            raise SimulatedCrash("the device has crashed (power cut); no further I/O happens")
        hit = None
        for kind in kinds:
            idx = self.counts[kind]
            for f in self.faults:
                if hit is None and f.matches(kind, idx):
                    hit = f
        for kind in kinds:
            self.counts[kind] += 1
        if hit is not None:
            hit.fired += 1
        return hit

    def _freeze(self, what: str) -> SimulatedCrash:
        self.crashed = True
        self.crash_op = len(self.log) - 1
        return SimulatedCrash(f"simulated power cut during {what}")

    # ------------------------------------------------------------------- I/O

    @property
    def ops(self) -> int:
        """Mutating operations (writes + syncs) so far."""
        return self.counts["op"]

    def size(self) -> int:
        with self.lock:
            if self.crashed:
                raise SimulatedCrash("the device has crashed (power cut); no further I/O happens")
            return len(self.cache)

    def pread(self, n: int, offset: int) -> bytes:
        with self.lock:
            f = self._check(("read",))
            if f is not None:
                if f.action == "crash":
                    raise self._freeze(f"read #{self.counts['read'] - 1}")
                raise _oserror(int(f.action), f"read #{self.counts['read'] - 1}")
            return bytes(self.cache[offset:offset + n])

    def pwrite(self, data: bytes, offset: int) -> int:
        with self.lock:
            data = bytes(data)
            f = self._check(("write", "op"))
            what = f"write #{self.counts['write'] - 1} (op {self.counts['op'] - 1})"
            self.log.append(("write", offset, len(data)))
            if f is not None:
                if f.action == "crash":
                    # The write was issued: it may land whole, torn, or not at all.
                    self.pending.append((offset, data))
                    raise self._freeze(what)
                if f.lands:
                    self.pending.append((offset, data))
                    _apply(self.cache, offset, data)
                raise _oserror(int(f.action), what)
            if self.capacity is not None and offset + len(data) > max(self.capacity, len(self.cache)):
                room = max(self.capacity, len(self.cache)) - offset
                if room <= 0:
                    raise _oserror(ENOSPC, what)
                data = data[:room]          # short write, as write(2) does on a full disk
            self.pending.append((offset, data))
            _apply(self.cache, offset, data)
            return len(data)

    def sync(self) -> None:
        with self.lock:
            f = self._check(("sync", "op"))
            what = f"sync #{self.counts['sync'] - 1} (op {self.counts['op'] - 1})"
            self.log.append(("sync", -1, -1))
            if f is not None:
                if f.action == "crash":
                    raise self._freeze(what)
                if self.sync_error_drops:
                    self.pending.clear()
                raise _oserror(int(f.action), what)
            for off, data in self.pending:
                _apply(self.durable, off, data)
            self.pending.clear()

    # ---------------------------------------------------------------- images

    def current(self) -> bytes:
        """What a process that opened the file now would read (no power cut)."""
        return bytes(self.cache)

    def durable_image(self) -> bytes:
        """The post-crash image in which no pending write landed."""
        return bytes(self.durable)

    def full_image(self) -> bytes:
        """The post-crash image in which every pending write landed whole."""
        img = bytearray(self.durable)
        for off, data in self.pending:
            _apply(img, off, data)
        return bytes(img)

    def crash_image(self, rng: Union[random.Random, int]) -> bytes:
        """One possible image after a power cut now, chosen by ``rng``.

        Each pending write is dropped, applied whole, applied as a prefix of
        its sectors, or applied as a random subset of its sectors.  Writes
        are applied in issue order, so of two overlapping writes that both
        land, the later one wins (the disk may also have reordered them: that
        case is the image in which only the earlier one landed).
        """
        if not isinstance(rng, random.Random):
            rng = random.Random(rng)
        img = bytearray(self.durable)
        for off, data in self.pending:
            mode = rng.random()
            if mode < 0.25:
                continue                                    # lost
            if mode < 0.5:
                _apply(img, off, data)                      # landed whole
                continue
            pieces = _sectors(off, data)
            if mode < 0.75:
                keep = pieces[:rng.randrange(len(pieces) + 1)]   # torn: a prefix
            else:
                keep = [p for p in pieces if rng.random() < 0.5]  # torn: any sectors
            for poff, pdata in keep:
                _apply(img, poff, pdata)
        return bytes(img)

    def crash_images(self, seeds: Iterable[int]) -> list[tuple[str, bytes]]:
        """(label, image) for the extreme images, the torn-last-write images and one
        image per seed, duplicates removed.

        The extremes are "durable-only" (no pending write landed) and "all-pending"
        (all landed whole).  When the last pending write -- the one in flight at a
        crash -- spans several sectors, "last-torn-head" keeps only its first sector
        and "last-torn-tail" everything but its first sector (all earlier pending
        writes landed): the tears most likely to defeat a checksum-and-fallback
        scheme, which random seeds would only hit by chance.
        """
        out: list[tuple[str, bytes]] = []
        seen: set[bytes] = set()
        cands: list[tuple[str, bytes]] = [("durable-only", self.durable_image()),
                                          ("all-pending", self.full_image())]
        if self.pending and len(_sectors(*self.pending[-1])) > 1:
            base = bytearray(self.durable)
            for off, data in self.pending[:-1]:
                _apply(base, off, data)
            pieces = _sectors(*self.pending[-1])
            for name, keep in (("last-torn-head", pieces[:1]), ("last-torn-tail", pieces[1:])):
                torn = bytearray(base)
                for poff, pdata in keep:
                    _apply(torn, poff, pdata)
                cands.append((name, bytes(torn)))
        cands += [(f"seed={s}", self.crash_image(s)) for s in seeds]
        for label, image in cands:
            if image not in seen:
                seen.add(image)
                out.append((label, image))
        return out

    def write_to(self, path: str, image: Optional[bytes] = None) -> str:
        with open(path, "wb") as fh:
            fh.write(self.current() if image is None else image)
        return path


def _apply(buf: bytearray, off: int, data: bytes) -> None:
    end = off + len(data)
    if end > len(buf):
        buf.extend(bytes(end - len(buf)))
    buf[off:end] = data


def _sectors(off: int, data: bytes) -> list[tuple[int, bytes]]:
    """Split a write at absolute sector boundaries."""
    out = []
    pos = off
    end = off + len(data)
    while pos < end:
        nxt = min(end, (pos // SECTOR + 1) * SECTOR)
        out.append((pos, data[pos - off:nxt - off]))
        pos = nxt
    return out or [(off, b"")]


# --------------------------------------------------------------- the os shim

_fd_numbers = itertools.count(1 << 24)     # far from real descriptors


class FaultyBackend(FileBackend):
    """FileBackend's layout and commit protocol on a :class:`FaultyFile`.

    Only the I/O seam of FileBackend is replaced; everything else (slots,
    sequence numbers, commit ordering, recovery) is the real code.
    """

    def __init__(self, dev: FaultyFile, readonly: bool = False, name: str = "fault://?"):
        self.name = name
        self.path = name
        self.readonly = readonly
        self.device = dev
        self.seq = 0
        self.slot = 0
        self.broken = False
        self.fd = next(_fd_numbers)

    def _read_at(self, n: int, offset: int) -> bytes:
        return self.device.pread(n, offset)

    def _write_at(self, data: bytes, offset: int) -> int:
        return self.device.pwrite(data, offset)

    def _sync_file(self) -> None:
        self.device.sync()

    def _size(self) -> int:
        return self.device.size()

    def close(self) -> None:
        self.fd = -1


# ------------------------------------------------------------ URL scheme

_devices: dict[str, FaultyFile] = {}


def attach(name: str, dev: FaultyFile) -> FaultyFile:
    """Make ``fault://name`` open ``dev``."""
    _devices[name] = dev
    return dev


def new_device(name: str, data: bytes = b"", **kw: Any) -> FaultyFile:
    return attach(name, FaultyFile(data, **kw))


def device(name: str) -> FaultyFile:
    return _devices[name]


def open_fault(location: str, readonly: bool = False) -> FaultyBackend:
    """The ``fault://`` factory: ``location`` names a device made by new_device/attach."""
    from ..errors import OperationalError
    dev = _devices.get(location)
    if dev is None:
        raise OperationalError(f"unable to open database 'fault://{location}': no such simulated device")
    return FaultyBackend(dev, readonly=readonly, name=f"fault://{location}")


def install() -> None:
    """Register the ``fault://`` URL scheme."""
    from . import register_scheme
    register_scheme("fault", "terndb.vfs.fault:open_fault")
