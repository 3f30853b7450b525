"""The Node backend (Pyodide under Node): the file backend on a NODEFS mount, with real syncs.

``node:///mnt/dir/notes.terndb`` is a path inside Pyodide's file system that a
NODEFS mount maps to a directory on the host.  Reads and writes go through
NODEFS to the host file as usual, but Emscripten's ``fsync``/``fdatasync``
return success without doing anything (NODEFS has no ``fsync`` stream
operation), which would make "committed" mean "in the OS cache".  So the two
syncs of each commit call Node's ``fs.fsyncSync`` on the host descriptor that
NODEFS keeps for the open file.

Only imported in Pyodide under Node: ``js``/``pyodide_js`` are imported lazily.
"""

from __future__ import annotations

from typing import Any

from ..errors import OperationalError
from .file import FileBackend


def _node_fs() -> Any:
    import js  # type: ignore[import-not-found]
    get = getattr(js.process, "getBuiltinModule", None)
    if get is None:
        raise OperationalError("the node:// backend needs Node 20.16 or later "
                               "(process.getBuiltinModule)")
    return get("fs")


class NodeBackend(FileBackend):
    """A TernDB file on the host's disk, reached through NODEFS, synced with fs.fsyncSync."""

    def __init__(self, location: str, readonly: bool = False):
        path = "/" + location.lstrip("/")
        self._fs = _node_fs()
        import pyodide_js  # type: ignore[import-not-found]
        self._FS = pyodide_js.FS
        super().__init__(path, readonly=readonly)

    def _host_fd(self, fd: int) -> int:
        stream = self._FS.getStream(fd)
        nfd = getattr(stream, "nfd", None) if stream is not None else None
        if nfd is None:
            raise OperationalError(f"{self.path!r} is not on a NODEFS mount: its commits "
                                   "could not be made durable")
        return int(nfd)

    def _sync_file(self) -> None:
        try:
            self._fs.fsyncSync(self._host_fd(self.fd))
        except OperationalError:
            raise
        except Exception as e:
            raise OSError(5, f"fsync failed: {e}") from e

    def _sync_dir(self, parent: str) -> None:
        try:
            real = self._FS.filesystems.NODEFS.realPath(self._FS.lookupPath(parent).node)
            dfd = self._fs.openSync(real, "r")
        except Exception:
            return
        try:
            self._fs.fsyncSync(dfd)
        except Exception:
            pass
        finally:
            self._fs.closeSync(dfd)
