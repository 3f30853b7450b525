"""The oracle: the merge rule as plain Python, applied in HLC order.

The server applies uploaded transactions in arrival order inside SQL; this model
applies the same accepted transactions sorted by stamp, with each row's existence
and each column as an independent last-writer-wins register.  Equal results mean
the server's merge is order-independent and loses nothing.
"""

from __future__ import annotations

from typing import Any



class Oracle:
    def __init__(self) -> None:
        self.rows: dict[Any, dict] = {}      # pk -> {"alive": (stamp, bool), "cols": {c: (stamp, v)}}

    def apply(self, stamp: str, ops: list[dict]) -> None:
        from terndb.sync.protocol import dec
        for op in ops:
            pk = dec(op["pk"])
            r = self.rows.setdefault(pk, {"alive": ("", False), "cols": {}})
            if op["op"] in ("ins", "del"):
                if stamp >= r["alive"][0]:
                    r["alive"] = (stamp, op["op"] == "ins")
            cols = {k: dec(v) for k, v in (op.get("cols") or {}).items()}
            for c, v in cols.items():
                if r["cols"].get(c, ("",))[0] <= stamp:
                    r["cols"][c] = (stamp, v)

    def state(self, columns: list[str]) -> list[tuple]:
        out = []
        for pk, r in self.rows.items():
            if r["alive"][1]:
                out.append(tuple(r["cols"].get(c, ("", None))[1] for c in columns))
        return sorted(out, key=repr)
