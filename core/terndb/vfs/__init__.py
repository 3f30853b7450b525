"""Backends by URL: ``:memory:``, ``memory://name``, file paths; browser ones lazily.

Backends register a scheme and a module path; the module is imported only when
a URL uses the scheme, so CPython never imports Pyodide's ``js`` module.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Callable

from ..errors import OperationalError
from .base import Backend

# scheme -> "module:factory"; the factory takes (location, readonly) -> Backend
_SCHEMES: dict[str, str] = {
    "memory": "terndb.vfs.memory:open_named",
    "file": "terndb.vfs.file:FileBackend",
    "idb": "terndb.vfs.idb:IDBBackend",
    "opfs": "terndb.vfs.opfs:OPFSBackend",
    "node": "terndb.vfs.node:NodeBackend",
}


def register_scheme(scheme: str, target: str) -> None:
    """Make ``scheme://name`` open the backend built by ``module:factory``."""
    _SCHEMES[scheme] = target


def _factory(scheme: str) -> Callable[..., Backend]:
    target = _SCHEMES.get(scheme)
    if target is None:
        raise OperationalError(f"unknown database URL scheme {scheme!r}; known: "
                               f"{', '.join(sorted(_SCHEMES))}")
    mod, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(mod), name)
    except ImportError as e:
        raise OperationalError(f"the {scheme}:// backend is not available here: {e}") from e


def resolve(spec: str, readonly: bool = False) -> tuple[Any, Callable[[], Backend], str]:
    """(sharing key or None, backend factory, printable location) for a database spec."""
    if spec == ":memory:" or spec == "":
        from .memory import MemoryBackend
        return None, MemoryBackend, ":memory:"
    if "://" in spec:
        scheme, _, rest = spec.partition("://")
        scheme = scheme.lower()
        if scheme == "memory":
            from .memory import open_named
            return spec, lambda: open_named(rest), spec
        if scheme == "file":
            spec = rest
        else:
            factory = _factory(scheme)
            return spec, lambda: factory(rest, readonly), spec
    elif spec.startswith("file:"):
        spec = spec[5:].split("?", 1)[0]
    path = os.path.abspath(spec)
    from .file import FileBackend
    return "file://" + path, lambda: FileBackend(path, readonly=readonly), spec
