"""Encoding of B-tree nodes and records into blob bytes (see docs/FORMAT.md).

Nodes are UTF-8 JSON arrays, chosen because CPython and Pyodide both ship a C
JSON codec: decoding a 4 KiB leaf costs tens of microseconds, far less than a
hand-written binary decoder in pure Python.  JSON already keeps INTEGER (``5``)
and REAL (``5.0``, ``1e+20``) apart; BLOBs, which JSON lacks, are encoded as
``{"$b": "<base64>"}``.  Infinities use JSON's common ``Infinity`` extension.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..errors import DatabaseError

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=True,
                            default=lambda b: {"$b": base64.b64encode(b).decode("ascii")}
                            if isinstance(b, bytes) else _unencodable(b))
_encode = _encoder.encode


def _unencodable(v: Any) -> Any:
    raise TypeError(f"cannot store a value of type {type(v).__name__}")


def _hook(d: dict) -> Any:
    # SQL values are never objects, so {"$b": "..."} inside a node is a BLOB;
    # records (schema, roots) are objects and pass through unchanged.
    if len(d) == 1:
        b = d.get("$b")
        if type(b) is str:
            return base64.b64decode(b)
    return d


_decoder = json.JSONDecoder(object_hook=_hook)
_decode = _decoder.decode


def encode(obj: Any) -> bytes:
    """Bytes for a node or record (lists of SQL values)."""
    return _encode(obj).encode("utf-8", "surrogatepass")


def decode(data: bytes, where: str = "node") -> Any:
    """Inverse of :func:`encode`; damaged data raises DatabaseError."""
    try:
        return _decode(data.decode("utf-8", "surrogatepass"))
    except (ValueError, UnicodeDecodeError) as e:
        raise DatabaseError(f"database disk image is malformed: cannot decode {where}") from e
