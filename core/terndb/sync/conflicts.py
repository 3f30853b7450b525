"""Explaining conflicts: which concurrent edits of the same column the server's merge decided.

The server merges column by column, last writer wins on hybrid logical clock stamps
(see ``server/store.py``).  A replica notices a conflict when a pull brings another
writer's change to a column that one of its own not-yet-seen transactions also wrote:
both edits were made without seeing each other.  :func:`detect` finds those in a pull
body before it is applied; :func:`settle` reads, after it was applied, which value the
replica now holds.  Pure functions over the outbox and the wire format: nothing here
changes what is merged or stored, it only reports it (the demo app shows these).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Optional

from .protocol import dec, enc, key_text, quote_ident

RULE = "column-level last-writer-wins on hybrid logical clocks (the later stamp wins)"


@dataclass
class Conflict:
    """Two concurrent writes of one column (``column`` None: the row was deleted elsewhere)."""

    table: str
    pk: Any
    column: Optional[str]
    mine: Any               # the value this replica wrote (wire encoding)
    theirs: Any             # the other writer's value (wire encoding; None for a delete)
    mine_hlc: str
    theirs_hlc: str
    seq: int                # the local transaction that wrote ``mine``
    kept: str = ""          # "mine" or "theirs", filled in by settle()
    rule: str = RULE

    def as_dict(self) -> dict:
        return asdict(self)


def detect(top: list, entries: list) -> list[Conflict]:
    """Conflicts between the pending local transactions ``top`` (outbox rows with ``seq``,
    ``hlc``, ``ops``, ``before``) and the pulled ``entries``, in server order.

    A foreign entry conflicts with a pending transaction when it changes a column that
    the transaction updated, compared with the server state the transaction was written
    on (its before-image, refreshed at every pull).  A transaction stops being pending
    once the stream shows it (``mine``): later foreign edits were merged after it.
    """
    pending = {p.seq: p for p in top if p.ops}
    base: dict[tuple, Optional[dict]] = {}
    for p in sorted(top, key=lambda p: p.seq):
        for t, pk, img in p.before:
            base.setdefault((t, key_text(pk)), img)
    found: dict[tuple, Conflict] = {}
    for e in entries:
        mine = e.get("mine")
        for op in e.get("ops", []) or []:
            k = (op["t"], key_text(op["pk"]))
            row = op.get("row")
            old = base.get(k)
            if mine is None and k in base:
                for p in sorted(pending.values(), key=lambda p: p.seq):
                    for o in p.ops:
                        if (o["t"], key_text(o["pk"])) != k or o["op"] != "upd":
                            continue
                        if row is None:
                            if old is not None:
                                found[(k, None, p.seq)] = Conflict(op["t"], dec(op["pk"]), None, o.get("cols"),
                                                                   None, p.hlc, e.get("hlc", ""), p.seq)
                            continue
                        for c, v in (o.get("cols") or {}).items():
                            if c in row and (old is None or row[c] != old.get(c)):
                                found[(k, c, p.seq)] = Conflict(op["t"], dec(op["pk"]), c, v, row[c], p.hlc,
                                                                e.get("hlc", ""), p.seq)
            base[k] = row
        if mine is not None:
            pending.pop(int(mine), None)
    return list(found.values())


def settle(con: Any, conflicts: list[Conflict]) -> list[Conflict]:
    """Fill in ``kept`` from what the replica holds now that the pull was applied."""
    for c in conflicts:
        cat = con._catalog()
        t = cat.tables.get(c.table.lower())
        if t is None:
            continue
        pkc = t.columns[t.pk[0]].name
        if c.column is None:
            cur = con.execute(f"SELECT 1 FROM {quote_ident(t.name)} WHERE {quote_ident(pkc)} = ?", (c.pk,))
            c.kept = "mine" if cur.fetchone() is not None else "theirs"
            continue
        row = con.execute(f"SELECT {quote_ident(c.column)} FROM {quote_ident(t.name)} "
                          f"WHERE {quote_ident(pkc)} = ?", (c.pk,)).fetchone()
        now = enc(row[0]) if row is not None else None
        if now == c.mine and now != c.theirs:
            c.kept = "mine"
        elif now == c.theirs and now != c.mine:
            c.kept = "theirs"
        else:                                   # equal values, or a later edit on top
            c.kept = "mine" if c.mine_hlc > c.theirs_hlc else "theirs"
    return conflicts


def dumps(conflicts: list[Conflict]) -> str:
    return json.dumps([c.as_dict() for c in conflicts])
