"""Window functions: the pass over a SELECT's finished rows that computes them.

The compiled SELECT buffers one entry per result row (after WHERE, GROUP BY and
HAVING): the row's context for evaluating the result columns later, followed by
the inputs the window functions need (partition and sort keys, arguments,
FILTER results).  ``run`` then handles one window definition at a time: it sorts
the entries by partition and ORDER BY keys, splits the partitions, finds each
row's peers and frame, and writes every call's value per entry.  The SELECT then
produces its rows in the order of the first window, as SQLite does.

Frames follow SQLite: ROWS, RANGE and GROUPS units, offsets, EXCLUDE.  Aggregates
over a frame that only grows are computed incrementally; over a sliding frame
they add the rows entering and remove the rows leaving (the inverse step), so a
whole partition costs time proportional to its size.  Only EXCLUDE falls back to
recomputing each row's frame.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Callable, Optional

from ..errors import DataError
from . import json1 as J
from . import runtime as R
from .helpers import agg_number, minmax_better, sort_key, sort_key_coll

MIN_INT = -(1 << 63)
MAX_INT = (1 << 63) - 1


@dataclass(eq=False)
class WinCall:
    """One window function call: where its inputs are in an entry, where its result goes."""

    name: str
    args: tuple[int, ...]          # entry positions of the argument values
    filt: int = -1                 # entry position of the FILTER condition, or -1
    coll: Optional[str] = None     # collation for min()/max()
    out: int = 0                   # result slot
    star: bool = False             # count(*)


@dataclass(eq=False)
class WinSpec:
    """One window definition and the calls computed over it."""

    part: tuple[int, ...]          # entry positions of the PARTITION BY sort keys
    order: tuple[int, ...]         # entry positions of the ORDER BY sort keys
    dirs: tuple[bool, ...]         # DESC per ORDER BY term
    unit: str = "RANGE"            # ROWS, RANGE, GROUPS
    start: str = "UNBOUNDED PRECEDING"
    end: str = "CURRENT ROW"
    start_off: int = -1            # index into the offsets passed to run()
    end_off: int = -1
    exclude: Optional[str] = None  # None, NO OTHERS, CURRENT ROW, GROUP, TIES
    raw: int = -1                  # entry position of the raw ORDER BY value (RANGE offsets)
    raw_coll: Optional[str] = None # its collation
    calls: list[WinCall] = field(default_factory=list)


def frame_offset(v: Any, unit: str, which: str) -> Any:
    """Check a frame offset value: a non-negative integer (ROWS, GROUPS) or number (RANGE)."""
    if type(v) is str:
        v = R.apply_numeric(v)
    if unit == "RANGE":
        if type(v) in (int, float) and v >= 0:
            return v
        raise DataError(f"frame {which} offset must be a non-negative number")
    if type(v) is float and v.is_integer():
        v = int(v)
    if type(v) is int and v >= 0:
        return v
    raise DataError(f"frame {which} offset must be a non-negative integer")


def run(entries: list, specs: list[WinSpec], offsets: list, ncalls: int
        ) -> tuple[list[int], list[list]]:
    """Compute every call; return the output order and the results per call."""
    n = len(entries)
    order = list(range(n))
    results: list[list] = [[None] * n for _ in range(ncalls)]
    for spec in reversed(specs):
        idx = order[:]
        pkeys = _column(entries, spec.part)
        okeys = _column(entries, spec.order)
        if not any(spec.dirs):
            # One sort on (partition, order) keys; tuples compare left to right.
            if pkeys is not None and okeys is not None:
                both = [p + o for p, o in zip(pkeys, okeys)]
                idx.sort(key=both.__getitem__)
            else:
                keys = pkeys if pkeys is not None else okeys
                if keys is not None:
                    idx.sort(key=keys.__getitem__)
        else:
            # Mixed directions: stable sorts from the last key to the first.
            for pos, desc in reversed(list(zip(spec.order, spec.dirs))):
                col = [e[pos] for e in entries]
                idx.sort(key=col.__getitem__, reverse=desc)
            if pkeys is not None:
                idx.sort(key=pkeys.__getitem__)
        start = 0
        while start < n:
            end = n
            if pkeys is not None:
                pk = pkeys[idx[start]]
                end = start + 1
                while end < n and pkeys[idx[end]] == pk:
                    end += 1
            _partition(entries, idx[start:end], spec, offsets, results, okeys)
            start = end
        order = idx
    return order, results


def _column(entries: list, positions: tuple[int, ...]) -> Optional[list]:
    """The sort keys at ``positions`` of every entry joined into one flat tuple each, or
    None for no positions.  Every sort key is a 2-tuple (class, value), so joined keys
    still compare term by term."""
    if not positions:
        return None
    if len(positions) == 1:
        return list(map(itemgetter(positions[0]), entries))
    return [sum(keys, ()) for keys in map(itemgetter(*positions), entries)]


def _partition(E: list, rows: list[int], spec: WinSpec, offsets: list, results: list[list],
               okeys: Optional[list]) -> None:
    n = len(rows)
    # Peer groups: rows whose ORDER BY keys are all equal.
    grp = [0] * n
    gfirst = [0]
    glast: list[int] = []
    if okeys is not None:
        prev = okeys[rows[0]]
        g = 0
        for i in range(1, n):
            cur = okeys[rows[i]]
            if cur != prev:
                glast.append(i - 1)
                gfirst.append(i)
                g += 1
                prev = cur
            grp[i] = g
    glast.append(n - 1)
    frames: Optional[tuple[list[int], list[int]]] = None
    for call in spec.calls:
        name = call.name
        out = results[call.out]
        if name in _RANKING:
            _RANKING[name](E, rows, call, out, grp, gfirst, glast)
            continue
        if name in ("lag", "lead"):
            _lag_lead(E, rows, call, out, name == "lead")
            continue
        if frames is None:
            frames = _frames(E, rows, spec, offsets, grp, gfirst, glast)
        starts, ends = frames
        if name in ("first_value", "last_value", "nth_value"):
            _value_at(E, rows, call, out, starts, ends, spec.exclude, grp, gfirst, glast)
        elif spec.exclude is not None:
            _aggregate_recompute(E, rows, call, out, starts, ends, spec.exclude, grp, gfirst, glast)
        else:
            _aggregate_sliding(E, rows, call, out, starts, ends, spec.start == "UNBOUNDED PRECEDING")


# ------------------------------------------------------------------ ranking


def _row_number(E: list, rows: list[int], call: WinCall, out: list, grp: list[int],
                gfirst: list[int], glast: list[int]) -> None:
    for i, r in enumerate(rows):
        out[r] = i + 1


def _rank(E: list, rows: list[int], call: WinCall, out: list, grp: list[int],
          gfirst: list[int], glast: list[int]) -> None:
    for i, r in enumerate(rows):
        out[r] = gfirst[grp[i]] + 1


def _dense_rank(E: list, rows: list[int], call: WinCall, out: list, grp: list[int],
                gfirst: list[int], glast: list[int]) -> None:
    for i, r in enumerate(rows):
        out[r] = grp[i] + 1


def _percent_rank(E: list, rows: list[int], call: WinCall, out: list, grp: list[int],
                  gfirst: list[int], glast: list[int]) -> None:
    n = len(rows)
    for i, r in enumerate(rows):
        out[r] = gfirst[grp[i]] / (n - 1) if n > 1 else 0.0


def _cume_dist(E: list, rows: list[int], call: WinCall, out: list, grp: list[int],
               gfirst: list[int], glast: list[int]) -> None:
    n = len(rows)
    for i, r in enumerate(rows):
        out[r] = (glast[grp[i]] + 1) / n


def _ntile(E: list, rows: list[int], call: WinCall, out: list, grp: list[int],
           gfirst: list[int], glast: list[int]) -> None:
    # The bucket count is read from the partition's first row, as SQLite does.
    buckets = _int64(E[rows[0]][call.args[0]])
    if buckets is None or buckets <= 0:
        raise DataError("argument of ntile must be a positive integer")
    n = len(rows)
    size = n // buckets
    if size == 0:
        for i, r in enumerate(rows):
            out[r] = i + 1
        return
    large = n - buckets * size          # buckets that get one extra row
    small_from = large * (size + 1)
    for i, r in enumerate(rows):
        out[r] = i // (size + 1) + 1 if i < small_from else (i - small_from) // size + 1 + large


_RANKING: dict[str, Callable[..., None]] = {
    "row_number": _row_number, "rank": _rank, "dense_rank": _dense_rank,
    "percent_rank": _percent_rank, "cume_dist": _cume_dist, "ntile": _ntile,
}


def _int64(v: Any) -> Optional[int]:
    """sqlite3_value_int64: the integer a value converts to (NULL is 0)."""
    if v is None:
        return 0
    if type(v) is int:
        return v
    if type(v) is float:
        return R.float_to_int(v)
    if type(v) is bytes:
        v = v.decode("utf-8", "replace")
    return R.text_to_int(v)


def _lag_lead(E: list, rows: list[int], call: WinCall, out: list, lead: bool) -> None:
    a = call.args
    n = len(rows)
    for i, r in enumerate(rows):
        e = E[r]
        off: Any = 1
        if len(a) > 1:
            off = e[a[1]]
            if type(off) is str or type(off) is bytes:
                off = _int64(off)
            elif type(off) is float:
                off = int(off) if off.is_integer() else None
        j = -1
        if off is not None:
            j = i + off if lead else i - off
        if 0 <= j < n:
            out[r] = E[rows[j]][a[0]]
        else:
            out[r] = e[a[2]] if len(a) > 2 else None


# ------------------------------------------------------------------- frames


def _frames(E: list, rows: list[int], spec: WinSpec, offsets: list, grp: list[int],
            gfirst: list[int], glast: list[int]) -> tuple[list[int], list[int]]:
    """First and last row (inclusive, positions in the partition) of each row's frame."""
    n = len(rows)
    ngroups = len(gfirst)
    unit = spec.unit
    bounds = []
    for kind, off_idx, is_start in ((spec.start, spec.start_off, True), (spec.end, spec.end_off, False)):
        off = offsets[off_idx] if off_idx >= 0 else 0
        if kind == "UNBOUNDED PRECEDING":
            bounds.append([0] * n)
        elif kind == "UNBOUNDED FOLLOWING":
            bounds.append([n - 1] * n)
        elif unit == "ROWS":
            d = 0 if kind == "CURRENT ROW" else off if kind == "FOLLOWING" else -off
            if is_start:
                bounds.append([max(i + d, 0) for i in range(n)])
            else:
                bounds.append([min(i + d, n - 1) for i in range(n)])
        elif unit == "GROUPS" or kind == "CURRENT ROW":
            d = 0 if kind == "CURRENT ROW" else off if kind == "FOLLOWING" else -off
            out = []
            for i in range(n):
                g = grp[i] + d
                if is_start:
                    out.append(gfirst[g] if 0 <= g < ngroups else (0 if g < 0 else n))
                else:
                    out.append(glast[g] if 0 <= g < ngroups else (-1 if g < 0 else n - 1))
            bounds.append(out)
        else:
            bounds.append(_range_bound(E, rows, spec, kind, off, is_start, grp, gfirst, glast))
    return bounds[0], bounds[1]


def _range_bound(E: list, rows: list[int], spec: WinSpec, kind: str, off: Any, is_start: bool,
                 grp: list[int], gfirst: list[int], glast: list[int]) -> list[int]:
    """RANGE n PRECEDING/FOLLOWING: compare the single ORDER BY value with value -/+ n."""
    n = len(rows)
    raw = [E[r][spec.raw] for r in rows]
    desc = spec.dirs[0]
    # NULLs are peers of each other and sit together at one end; the rest is sorted.
    lo = 0
    while lo < n and raw[lo] is None:
        lo += 1
    hi = n
    while hi > lo and raw[hi - 1] is None:
        hi -= 1
    coll = spec.raw_coll
    keys = [sort_key_coll(v, coll) if coll else sort_key(v) for v in raw[lo:hi]]
    if desc:
        keys.reverse()               # ascending, for bisect
    m = len(keys)
    out = []
    for i in range(n):
        v = raw[i]
        if v is None:
            g = grp[i]
            out.append(gfirst[g] if is_start else glast[g])
            continue
        if type(v) is int or type(v) is float:
            # Toward the start of the partition is "less" when ascending.
            down = (kind == "PRECEDING") != desc
            target = R.sub(v, off) if down else R.add(v, off)
        else:
            target = v                   # text and blobs: the offset does not apply
        k = sort_key_coll(target, coll) if coll else sort_key(target)
        if not desc:
            out.append(lo + bisect_left(keys, k) if is_start else lo + bisect_right(keys, k) - 1)
        elif is_start:
            out.append(lo + m - bisect_right(keys, k))     # first value <= target
        else:
            out.append(lo + m - bisect_left(keys, k) - 1)  # last value >= target
    return out


def _segments(i: int, s: int, e: int, exclude: Optional[str], grp: list[int],
              gfirst: list[int], glast: list[int]) -> list[tuple[int, int]]:
    """The frame [s, e] of row i minus what EXCLUDE removes, as inclusive ranges."""
    if exclude is None or exclude == "NO OTHERS":
        return [(s, e)] if s <= e else []
    if exclude == "CURRENT ROW":
        cut = [(s, min(e, i - 1)), (max(s, i + 1), e)]
    else:
        g = grp[i]
        a, b = gfirst[g], glast[g]
        cut = [(s, min(e, a - 1))]
        if exclude == "TIES" and s <= i <= e:
            cut.append((i, i))
        cut.append((max(s, b + 1), e))
    return [(x, y) for x, y in cut if x <= y]


def _value_at(E: list, rows: list[int], call: WinCall, out: list, starts: list[int],
              ends: list[int], exclude: Optional[str], grp: list[int], gfirst: list[int],
              glast: list[int]) -> None:
    a = call.args
    name = call.name
    for i, r in enumerate(rows):
        segs = _segments(i, starts[i], ends[i], exclude, grp, gfirst, glast)
        if name == "nth_value":
            k = _nth(E[r][a[1]])
            pick = None
            for x, y in segs:
                if k <= y - x + 1:
                    pick = x + k - 1
                    break
                k -= y - x + 1
        elif not segs:
            pick = None
        else:
            pick = segs[0][0] if name == "first_value" else segs[-1][1]
        out[r] = E[rows[pick]][a[0]] if pick is not None else None


def _nth(v: Any) -> int:
    if type(v) is bytes:
        v = v.decode("utf-8", "replace")
    if type(v) is str:
        v = R.apply_numeric(v)
    if type(v) is float and v.is_integer():
        v = int(v)
    if type(v) is int and v > 0:
        return v
    raise DataError("second argument to nth_value must be a positive integer")


# --------------------------------------------------------------- aggregates


class _Agg:
    """An aggregate that can add a row and take back the oldest one."""

    def __init__(self, call: WinCall):
        self.call = call

    def add(self, e: tuple) -> None:
        raise NotImplementedError

    def remove(self, e: tuple) -> None:
        raise NotImplementedError

    def value(self) -> Any:
        raise NotImplementedError


class _Count(_Agg):
    def __init__(self, call: WinCall):
        super().__init__(call)
        self.n = 0
        self.pos = call.args[0] if call.args else -1

    def add(self, e: tuple) -> None:
        if self.pos < 0 or e[self.pos] is not None:
            self.n += 1

    def remove(self, e: tuple) -> None:
        if self.pos < 0 or e[self.pos] is not None:
            self.n -= 1

    def value(self) -> Any:
        return self.n


class _Sum(_Agg):
    """sum(), total() and avg(): an exact integer sum and a REAL sum side by side.

    Like SQLite, once a non-integer has been in the frame the result stays REAL."""

    def __init__(self, call: WinCall):
        super().__init__(call)
        self.pos = call.args[0]
        self.n = 0
        self.isum = 0
        self.rsum = 0.0
        self.approx = False

    def add(self, e: tuple) -> None:
        v = e[self.pos]
        if v is None:
            return
        self.n += 1
        v = agg_number(v)                # '3' counts as the integer 3
        if type(v) is int:
            self.isum += v
            self.rsum += v
        else:
            self.rsum += v
            self.approx = True

    def remove(self, e: tuple) -> None:
        v = e[self.pos]
        if v is None:
            return
        self.n -= 1
        v = agg_number(v)
        if type(v) is int:
            self.isum -= v
            self.rsum -= v
        else:
            self.rsum -= v

    def value(self) -> Any:
        name = self.call.name
        if name == "total":
            r = self.rsum if self.approx else float(self.isum)
            return None if r != r else r
        if not self.n:
            return None
        if name == "avg":
            r = (self.rsum if self.approx else self.isum) / self.n
            return None if r != r else r
        if self.approx:
            return None if self.rsum != self.rsum else self.rsum
        if not MIN_INT <= self.isum <= MAX_INT:
            raise DataError("integer overflow in sum(); use total() for a REAL result")
        return self.isum


class _MinMax(_Agg):
    """min()/max() over a sliding frame: a deque of candidates, best first."""

    def __init__(self, call: WinCall):
        super().__init__(call)
        self.pos = call.args[0]
        self.want = -1 if call.name == "min" else 1
        self.q: deque = deque()        # (sequence number, value)
        self.added = 0
        self.removed = 0

    def add(self, e: tuple) -> None:
        v = e[self.pos]
        seq = self.added
        self.added += 1
        if v is None:
            return
        q = self.q
        # Drop candidates the new value ties or beats: they leave the frame first.
        while q and not minmax_better(q[-1][1], v, self.want, self.call.coll):
            q.pop()
        q.append((seq, v))

    def remove(self, e: tuple) -> None:
        q = self.q
        if q and q[0][0] == self.removed:
            q.popleft()
        self.removed += 1

    def value(self) -> Any:
        return self.q[0][1] if self.q else None


class _Concat(_Agg):
    def __init__(self, call: WinCall):
        super().__init__(call)
        self.pos = call.args[0]
        self.sep = call.args[1] if len(call.args) > 1 else -1
        self.parts: deque = deque()    # (separator before it, text)

    def add(self, e: tuple) -> None:
        v = e[self.pos]
        if v is None:
            return
        if self.sep < 0:
            sep = ","
        else:
            s = e[self.sep]
            sep = "" if s is None else R.to_text(s)
        self.parts.append((sep, R.to_text(v)))

    def remove(self, e: tuple) -> None:
        if e[self.pos] is not None:
            self.parts.popleft()

    def value(self) -> Any:
        parts = self.parts
        if not parts:
            return None
        it = iter(parts)
        first = next(it)[1]
        # SQLite's window step reads its string buffer, which is NULL while empty.
        return first + "".join(s + t for s, t in it) or None


class _JsonGroup(_Agg):
    """json_group_array()/json_group_object(): NULLs are kept; no rows give [] or {}."""

    def __init__(self, call: WinCall):
        super().__init__(call)
        self.args = call.args
        self.parts: deque = deque()

    def add(self, e: tuple) -> None:
        args = self.args
        if len(args) == 1:
            self.parts.append(J.item(e[args[0]]))
        else:
            self.parts.append(J.member(e[args[0]], e[args[1]]))

    def remove(self, e: tuple) -> None:
        self.parts.popleft()

    def value(self) -> Any:
        final = J.final_array if len(self.args) == 1 else J.final_object
        return final(self.parts)


_AGGS: dict[str, type[_Agg]] = {
    "count": _Count, "sum": _Sum, "total": _Sum, "avg": _Sum, "min": _MinMax, "max": _MinMax,
    "group_concat": _Concat, "string_agg": _Concat,
    "json_group_array": _JsonGroup, "json_group_object": _JsonGroup,
}


class _Filtered(_Agg):
    """An aggregate seeing only the rows its FILTER (WHERE ...) accepts."""

    def __init__(self, inner: _Agg, pos: int):
        super().__init__(inner.call)
        self.inner = inner
        self.pos = pos

    def add(self, e: tuple) -> None:
        if e[self.pos]:
            self.inner.add(e)
        elif isinstance(self.inner, _MinMax):
            self.inner.added += 1

    def remove(self, e: tuple) -> None:
        if e[self.pos]:
            self.inner.remove(e)
        elif isinstance(self.inner, _MinMax):
            self.inner.removed += 1

    def value(self) -> Any:
        return self.inner.value()


def _new_agg(call: WinCall) -> _Agg:
    agg = _AGGS[call.name](call)
    return _Filtered(agg, call.filt) if call.filt >= 0 else agg


def _aggregate_sliding(E: list, rows: list[int], call: WinCall, out: list,
                       starts: list[int], ends: list[int], grows_only: bool) -> None:
    """Frames whose ends only move forward: add entering rows, remove leaving ones."""
    agg = _new_agg(call)
    if grows_only and call.name in ("min", "max"):
        # A frame that only grows keeps the first of equal values, like the plain aggregate;
        # a sliding one the last (as SQLite does: 1 and 1.0 are equal but print differently).
        _minmax_growing(E, rows, call, out, ends)
        return
    cs, ce = 0, -1                       # the frame the aggregate holds now
    for i, r in enumerate(rows):
        s, e = starts[i], ends[i]
        if s > ce + 1 or s < cs or e < ce:
            agg = _new_agg(call)
            cs, ce = s, s - 1
        # Rows leave before new ones enter, the order SQLite's inverse steps use.
        while cs < s:
            agg.remove(E[rows[cs]])
            cs += 1
        while ce < e:
            ce += 1
            agg.add(E[rows[ce]])
        out[r] = agg.value()


def _minmax_growing(E: list, rows: list[int], call: WinCall, out: list, ends: list[int]) -> None:
    pos = call.args[0]
    want = -1 if call.name == "min" else 1
    best = None
    ce = -1
    for i, r in enumerate(rows):
        e = ends[i]
        if e < ce:
            best, ce = None, -1
        while ce < e:
            ce += 1
            x = E[rows[ce]]
            v = x[pos]
            if v is not None and (call.filt < 0 or x[call.filt]) and \
                    minmax_better(v, best, want, call.coll):
                best = v
        out[r] = best


def _aggregate_recompute(E: list, rows: list[int], call: WinCall, out: list, starts: list[int],
                         ends: list[int], exclude: Optional[str], grp: list[int],
                         gfirst: list[int], glast: list[int]) -> None:
    """With an EXCLUDE clause (even EXCLUDE NO OTHERS) SQLite aggregates each row's frame
    from scratch, and so does this: same REAL/INTEGER outcome of sum(), and min()/max()
    keep the first of equal values."""
    minmax = call.name in ("min", "max")
    want = -1 if call.name == "min" else 1
    pos = call.args[0] if call.args else -1
    for i, r in enumerate(rows):
        segs = _segments(i, starts[i], ends[i], exclude, grp, gfirst, glast)
        if minmax:
            best = None
            for x, y in segs:
                for j in range(x, y + 1):
                    e = E[rows[j]]
                    v = e[pos]
                    if v is not None and (call.filt < 0 or e[call.filt]) and \
                            minmax_better(v, best, want, call.coll):
                        best = v
            out[r] = best
            continue
        agg = _new_agg(call)
        for x, y in segs:
            for j in range(x, y + 1):
                agg.add(E[rows[j]])
        out[r] = agg.value()
