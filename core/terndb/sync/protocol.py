"""Wire protocol v1 shared by the sync client and server (see docs/SYNC.md).

Pure standard library.  Values travel as JSON: integers, reals, text and NULL as
themselves, blobs as ``{"$b": base64}``, non-finite reals as ``{"$f": "inf"}``.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

PROTOCOL_VERSION = 1

# Defaults; the server's config can lower or raise them.
MAX_REQUEST_BYTES = 4 * 1024 * 1024
MAX_TXNS_PER_PUSH = 500
MAX_OPS_PER_TXN = 10_000
MAX_SUBSCRIPTIONS = 16
MAX_PULL_ENTRIES = 1000


class SyncError(Exception):
    """A sync round failed; ``status`` is the HTTP status (0 when the server was unreachable)."""

    def __init__(self, message: str, status: int = 0, code: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code


class AuthError(SyncError):
    """The server refused the token (expired, forged, or missing): get a new one."""


class ProtocolError(SyncError):
    """The peer spoke another protocol version or sent something malformed."""


def enc(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"$b": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, float) and not math.isfinite(v):
        return {"$f": "nan" if v != v else ("inf" if v > 0 else "-inf")}
    return v


def dec(v: Any) -> Any:
    if isinstance(v, dict):
        if "$b" in v:
            return base64.b64decode(v["$b"])
        if "$f" in v:
            return float(v["$f"])
        raise ValueError(f"unknown value encoding {v!r}")
    if isinstance(v, (list, bool)):
        raise ValueError(f"not an SQL value: {v!r}")
    return v


def enc_row(cols: dict[str, Any]) -> dict[str, Any]:
    return {k: enc(v) for k, v in cols.items()}


def dec_row(cols: dict[str, Any]) -> dict[str, Any]:
    return {k: dec(v) for k, v in cols.items()}


def key_text(pk: Any) -> str:
    """A primary-key value as the text the server's clock table is keyed by."""
    return json.dumps(enc(pk), separators=(",", ":"), sort_keys=True)


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()


def loads(data: bytes) -> Any:
    return json.loads(data)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def normalize_subscriptions(subs: Any, limit: int = MAX_SUBSCRIPTIONS) -> list[dict]:
    """Subscriptions in canonical form: ``[{"table": t, "where": {col: [values...]}}]``.

    A filter is a conjunction of column equalities (a list means IN); sorted, so equal
    subscriptions hash equal.  Raises ValueError with a readable message.
    """
    if not isinstance(subs, list):
        raise ValueError("subscriptions must be a list")
    if len(subs) > limit:
        raise ValueError(f"too many subscriptions ({len(subs)} > {limit})")
    out = []
    for s in subs:
        if isinstance(s, str):
            s = {"table": s}
        if not isinstance(s, dict) or not isinstance(s.get("table"), str) or not s["table"]:
            raise ValueError(f"a subscription needs a table name: {s!r}")
        where = s.get("where") or {}
        if not isinstance(where, dict):
            raise ValueError(f"a subscription filter is an object of column: value(s): {s!r}")
        norm: dict[str, list] = {}
        for col, val in where.items():
            if not isinstance(col, str) or not col:
                raise ValueError(f"bad filter column {col!r}")
            vals = val if isinstance(val, list) else [val]
            if not vals or len(vals) > 1000:
                raise ValueError(f"filter on {col!r} needs 1..1000 values")
            for v in vals:
                dec(v)
            norm[col.lower()] = sorted(vals, key=lambda v: json.dumps(v, sort_keys=True))
        out.append({"table": s["table"].lower(), "where": dict(sorted(norm.items()))})
    uniq = {json.dumps(s, sort_keys=True): s for s in out}
    return [uniq[k] for k in sorted(uniq)]


def subscriptions_hash(subs: list[dict]) -> str:
    import hashlib
    return hashlib.sha256(json.dumps(subs, sort_keys=True).encode()).hexdigest()[:16]
