"""Runtime helpers called by generated code: scans, lookups, sets, sorting.

Generated functions receive these as module globals (``BASE_ENV``); keeping
them here means the generated text stays short and the helpers are ordinary,
testable Python.
"""

from __future__ import annotations

from itertools import chain, islice, repeat
from operator import itemgetter
from typing import Any, Callable, Iterable, Iterator, Optional

from ..btree.tree import Root, Trees
from ..errors import DatabaseError, DataError, IntegrityError, OperationalError, ProgrammingError
from . import functions as F
from . import runtime as R
from .runtime import MAX_INT, MIN_INT, fold_nocase

_chain_from = chain.from_iterable


def _kv(leaf: Any) -> Any:
    vals = leaf.vals
    if vals is None:
        raise DatabaseError("database disk image is malformed: an index page sits in a table's b-tree")
    return zip(leaf.keys, vals)


def scan(trees: Trees, root: Root) -> Iterator[tuple[int, list]]:
    """(rowid, row) for every row of a table tree, in rowid order."""
    if not root:
        return iter(())
    return _chain_from(map(_kv, trees.leaves(root)))


def _kv_rev(leaf: Any) -> Any:
    vals = leaf.vals
    if vals is None:
        raise DatabaseError("database disk image is malformed: an index page sits in a table's b-tree")
    return zip(reversed(leaf.keys), reversed(vals))


def scan_reverse(trees: Trees, root: Root) -> Iterator[tuple[int, list]]:
    if not root:
        return iter(())
    return _chain_from(map(_kv_rev, trees.leaves_reverse(root)))


def rowid_key(v: Any) -> Optional[int]:
    """The integer rowid a value compares equal to, or None when none can."""
    t = type(v)
    if t is int:
        return v
    if t is float:
        # Exclusive at the ends, as sqlite3VdbeIntegerAffinity: -2**63 as a REAL is refused.
        if v.is_integer() and -9.223372036854775808e18 < v < 9.223372036854775807e18:
            return int(v)
        return None
    if t is str:
        n = R.numeric_text(v)
        if n is None:
            return None
        return rowid_key(n)
    return None


def rowid_eq(trees: Trees, root: Root, v: Any) -> tuple:
    k = rowid_key(v)
    if k is None:
        return ()
    row = trees.get(root, k)
    return ((k, row),) if row is not None else ()


def rowid_in(trees: Trees, root: Root, values: Iterable[Any]) -> list:
    out = []
    seen = set()
    for v in values:
        k = rowid_key(v)
        if k is None or k in seen:
            continue
        seen.add(k)
        row = trees.get(root, k)
        if row is not None:
            out.append((k, row))
    out.sort(key=itemgetter(0))
    return out


def _num_bound(v: Any) -> Any:
    """A rowid range bound: numbers as they are, numeric text converted, else None."""
    t = type(v)
    if t is int or t is float:
        return v
    if t is str:
        return R.numeric_text(v)
    return None


_HIGH = float("inf")


def rowid_range(trees: Trees, root: Root, lo: Any, lo_incl: bool, hi: Any, hi_incl: bool,
                has_lo: bool, has_hi: bool) -> Iterator[tuple[int, list]]:
    """Rows with lo </<= rowid </<= hi (bounds already in comparison form)."""
    if has_lo:
        if lo is None:
            return
        t = type(lo)
        if t is str or t is bytes:
            # A text bound is greater than every integer rowid.
            return
        if t is float:
            if lo != lo or lo == _HIGH:
                return
            if lo < -9.3e18:
                lo, lo_incl = MIN_INT, True
            else:
                import math
                lo = math.floor(lo) + 1 if (not lo_incl or not lo.is_integer()) else int(lo)
                lo_incl = True
        start = lo if lo_incl else lo + 1
    else:
        start = MIN_INT
    if has_hi:
        if hi is None:
            return
        t = type(hi)
        if t is str or t is bytes:
            hi, hi_incl = MAX_INT, True
        elif t is float:
            if hi != hi or hi == -_HIGH:
                return
            if hi > 9.3e18:
                hi, hi_incl = MAX_INT, True
            else:
                import math
                hi = math.ceil(hi) - 1 if (not hi_incl or not hi.is_integer()) else int(hi)
                hi_incl = True
        stop = hi if hi_incl else hi - 1
    else:
        stop = MAX_INT
    if start > stop:
        return
    for leaf, i in trees.seek(root, start):
        keys = leaf.keys
        vals: Any = leaf.vals
        n = len(keys)
        while i < n:
            k = keys[i]
            if k > stop:
                return
            yield k, vals[i]
            i += 1


# ------------------------------------------------------------------- indexes


def key_part(v: Any, coll: Optional[str]) -> list:
    """The two list items an index key holds for one value: storage rank, compared form."""
    t = type(v)
    if t is int or t is float:
        return [1, v]
    if t is str:
        if coll is None or coll == "BINARY":
            return [2, v]
        if coll == "NOCASE":
            return [2, fold_nocase(v)]
        return [2, v.rstrip(" ")]
    if v is None:
        return [0, 0]
    return [3, v]


def index_key(values: Iterable[Any], colls: list, rowid: int) -> list:
    out: list = []
    for v, c in zip(values, colls):
        out.extend(key_part(v, c))
    out.append(rowid)
    return out


def index_scan(trees: Trees, iroot: Root, troot: Root, lo: Optional[list], lo_incl: bool,
               hi: Optional[list], hi_incl: bool) -> Iterator[tuple[int, list]]:
    """(rowid, row) of index entries between two key prefixes, in index order."""
    if not iroot:
        return
    start = lo if lo is not None else []
    if lo is not None and not lo_incl:
        start = lo + [_HIGH]
    stop = None
    if hi is not None:
        stop = hi + [_HIGH] if hi_incl else hi
    get = trees.get
    for leaf, i in trees.seek(iroot, start):
        keys = leaf.keys
        n = len(keys)
        while i < n:
            key = keys[i]
            if type(key) is not list:
                raise DatabaseError("database disk image is malformed: a table page sits in an index")
            if stop is not None and key >= stop:
                return
            rowid = key[-1]
            row = get(troot, rowid)
            if row is None:
                raise DatabaseError(f"database disk image is malformed: index entry for missing rowid {rowid}")
            yield rowid, row
            i += 1


def index_scan_reverse(trees: Trees, iroot: Root, troot: Root, lo: Optional[list], lo_incl: bool,
                       hi: Optional[list], hi_incl: bool) -> Iterator[tuple[int, list]]:
    if not iroot:
        return
    stop = lo if lo is not None else None
    if lo is not None and not lo_incl:
        stop = lo + [_HIGH]
    if hi is None:
        start: list = [_HIGH]
    else:
        start = hi + [_HIGH] if hi_incl else hi
    get = trees.get
    for leaf, i in trees.seek_reverse(iroot, start):
        keys = leaf.keys
        while i >= 0:
            key = keys[i]
            if stop is not None and key < stop:
                return
            rowid = key[-1]
            yield rowid, get(troot, rowid)
            i -= 1


def index_eq_multi(trees: Trees, iroot: Root, troot: Root, prefixes: Iterable[list]) -> list:
    """Rows matching any of several key prefixes (col IN (...)), deduplicated."""
    out = []
    seen = set()
    for p in prefixes:
        for k, r in index_scan(trees, iroot, troot, p, True, p, True):
            if k not in seen:
                seen.add(k)
                out.append((k, r))
    return out


# ------------------------------------------------------------- subqueries

_END = object()


def scalar(gen: Iterator[tuple]) -> Any:
    for row in gen:
        return row[0]
    return None


def exists(gen: Iterator[tuple]) -> int:
    for _ in gen:
        return 1
    return 0


class ValueSet:
    """The right side of ``x IN (...)``: membership plus SQL's NULL rule."""

    __slots__ = ("values", "has_null", "empty")

    def __init__(self, values: Iterable[Any], conv: Optional[Callable[[Any], Any]] = None,
                 fold: Optional[Callable[[Any], Any]] = None):
        vals = set()
        has_null = False
        empty = True
        for v in values:
            empty = False
            if v is None:
                has_null = True
                continue
            if conv is not None:
                v = conv(v)
            if fold is not None and type(v) is str:
                v = fold(v)
            vals.add(_hashable(v))
        self.values = vals
        self.has_null = has_null
        self.empty = empty

    def test(self, x: Any) -> Any:
        if self.empty:
            return 0
        if x is None:
            return None
        if _hashable(x) in self.values:
            return 1
        return None if self.has_null else 0


def _hashable(v: Any) -> Any:
    # Text and blob must stay distinct from each other and from numbers: they are.
    return v


class RowSet:
    """The right side of ``(a, b) IN (SELECT x, y ...)``."""

    __slots__ = ("rows", "partial")

    def __init__(self, rows: Iterable[tuple], convs: tuple):
        self.rows = set()
        self.partial: list[tuple] = []   # rows holding a NULL: they can only make the result NULL
        for r in rows:
            r = tuple(c(v) if c is not None and v is not None else v for v, c in zip(r, convs))
            if None in r:
                self.partial.append(r)
            else:
                self.rows.add(r)

    def test(self, x: tuple) -> Any:
        if not self.rows and not self.partial:
            return 0
        if None not in x and x in self.rows:
            return 1
        # No certain match: NULL if some row could still be equal.
        for r in list(self.rows) + self.partial:
            if all(a is None or b is None or a == b for a, b in zip(x, r)):
                return None
        return 0


def row_compare(op: str, ls: tuple, rs: tuple, eqs: tuple, ops: tuple) -> Any:
    """(l1, l2, ...) OP (r1, r2, ...) with SQL's NULL rules; eqs/ops are per-element comparators."""
    if op == "IS" or op == "ISNOT":
        same = all(f(a, b) for a, b, f in zip(ls, rs, ops))
        return int(same) if op == "IS" else int(not same)
    if op == "=" or op == "!=":
        res: Any = 1
        for a, b, eq in zip(ls, rs, eqs):
            v = eq(a, b)
            if v == 0:
                res = 0
                break
            if v is None:
                res = None
        if op == "!=":
            return None if res is None else 1 - res
        return res
    n = len(ls)
    for i in range(n):
        a, b = ls[i], rs[i]
        if i == n - 1:
            return ops[i](a, b)
        e = eqs[i](a, b)
        if e is None:
            return None
        if e == 0:
            strict = {"<=": "<", ">=": ">"}.get(op, op)
            return make_strict(strict)(a, b)
    return None


_strict_cache: dict[str, Callable[[Any, Any], Any]] = {}


def make_strict(op: str) -> Callable[[Any, Any], Any]:
    f = _strict_cache.get(op)
    if f is None:
        f = _strict_cache[op] = R.make_comparator(op, None)
    return f


def first_column(gen: Iterator[tuple]) -> Iterator[Any]:
    for row in gen:
        yield row[0]


def in_results(x: Any, results: tuple) -> Any:
    """x IN (...) from the per-item comparison results (1, 0 or NULL)."""
    if x is None:
        return None
    if 1 in results:
        return 1
    return None if None in results else 0


def in_values(x: Any, values: tuple, cmp_eq: Callable[[Any, Any], Any]) -> Any:
    """x IN (v1, v2, ...) for non-constant lists."""
    if not values:
        return 0
    if x is None:
        return None
    saw_null = False
    for v in values:
        r = cmp_eq(x, v)
        if r == 1:
            return 1
        if r is None:
            saw_null = True
    return None if saw_null else 0


# ------------------------------------------------------------------ sorting


def sort_key(v: Any) -> tuple:
    t = type(v)
    if t is int or t is float:
        return (1, v)
    if t is str:
        return (2, v)
    if v is None:
        return (0, 0)
    return (3, v)


def sort_key_nulls_last(v: Any) -> tuple:
    if v is None:
        return (4, 0)
    return sort_key(v)


def sort_key_coll(v: Any, coll: str) -> tuple:
    if type(v) is str:
        return (2, fold_nocase(v) if coll == "NOCASE" else v.rstrip(" ") if coll == "RTRIM" else v)
    return sort_key(v)


def sort_rows(buf: list, directions: list[bool]) -> None:
    """Sort buffer entries (row, key1, key2, ...) by the keys, each ASC or DESC."""
    for j in range(len(directions) - 1, -1, -1):
        buf.sort(key=itemgetter(j + 1), reverse=directions[j])


def row_sort_key(row: tuple) -> tuple:
    return tuple(sort_key(v) for v in row)


def limit_value(v: Any, what: str = "LIMIT") -> int:
    """The integer value of a LIMIT/OFFSET expression (SQLite: must be an integer)."""
    if type(v) is int:
        return v
    if v is None:
        raise DataError(f"datatype mismatch: {what} must be an integer, not NULL")
    if type(v) is float and v.is_integer():
        return int(v)
    if type(v) is str:
        n = R.numeric_text(v)
        if type(n) is int:
            return n
    raise DataError(f"datatype mismatch: {what} must be an integer, not {v!r}")


def group_fold(v: Any, coll: str) -> Any:
    if type(v) is str:
        return fold_nocase(v) if coll == "NOCASE" else v.rstrip(" ") if coll == "RTRIM" else v
    return v


# --------------------------------------------------------------- aggregates


def agg_number(v: Any) -> Any:
    """A value as sum()/avg() see it: well-formed numeric text counts as its number,
    other text and blobs as the REAL of their numeric prefix (sqlite3_value_numeric_type)."""
    t = type(v)
    if t is int or t is float:
        return v
    if t is bytes:
        v = v.decode("utf-8", "replace")
    n = R.numeric_text(v, try_int=False)
    if n is not None:
        return n
    return float(R.text_to_number(v))


def sum_slow(acc: Any, v: Any) -> Any:
    """sum() step for anything but INTEGER + INTEGER: REAL from then on, like SQLite."""
    v = agg_number(v)
    if acc is None:
        return v
    if type(acc) is int:
        if type(v) is int:
            return acc + v
        if not MIN_INT <= acc <= MAX_INT:
            # SQLite remembers an integer overflow even when a REAL comes later.
            raise DataError("integer overflow in sum(); use total() for a REAL result")
    return float(acc) + float(v)


def sum_final(acc: Any) -> Any:
    if type(acc) is int and not (MIN_INT <= acc <= MAX_INT):
        raise DataError("integer overflow in sum(); use total() for a REAL result")
    if acc != acc:
        return None           # inf + -inf: SQLite returns NULL for NaN
    return acc


def total_final(acc: Any) -> Any:
    return None if acc != acc else float(acc)


def total_step(acc: Any, v: Any) -> Any:
    t = type(v)
    if t is int or t is float:
        return acc + v
    return acc + agg_number(v)


def avg_final(total: Any, count: int) -> Any:
    if not count:
        return None
    r = float(total) / count
    return None if r != r else r


def minmax_better(v: Any, cur: Any, want: int, coll: Optional[str]) -> bool:
    """True when v should replace cur for min (want=-1) or max (want=1)."""
    if cur is None:
        return True
    tv, tc = type(v), type(cur)
    if coll is None and (tv is tc or (tv in (int, float) and tc in (int, float))):
        return v < cur if want < 0 else v > cur
    c = R.compare(v, cur, coll)
    return c < 0 if want < 0 else c > 0


def concat_final(parts: Optional[list]) -> Any:
    if parts is None:
        return None
    return "".join(parts)


def raise_constraint(msg: str) -> None:
    raise IntegrityError(msg)


def _upsert_set(clauses: list) -> Any:
    from .dml import UpsertSet
    return UpsertSet(clauses)


BASE_ENV: dict[str, Any] = {
    "_UpsertSet": _upsert_set,
    "_PLAIN": frozenset((type(None), int, float, str, bytes)),
    "_scan": scan,
    "_scan_rev": scan_reverse,
    "_rowid_eq": rowid_eq,
    "_rowid_in": rowid_in,
    "_rowid_range": rowid_range,
    "_index_scan": index_scan,
    "_index_scan_rev": index_scan_reverse,
    "_index_eq_multi": index_eq_multi,
    "_key_part": key_part,
    "_scalar": scalar,
    "_exists": exists,
    "_ValueSet": ValueSet,
    "_first_col": first_column,
    "_in_values": in_values,
    "_in_results": in_results,
    "_RowSet": RowSet,
    "_row_compare": row_compare,
    "_sk": sort_key,
    "_sk_nl": sort_key_nulls_last,
    "_sk_coll": sort_key_coll,
    "_sort_rows": sort_rows,
    "_row_sk": row_sort_key,
    "_limit": limit_value,
    "_gfold": group_fold,
    "_sum_slow": sum_slow,
    "_sum_final": sum_final,
    "_total_step": total_step,
    "_avg_final": avg_final,
    "_total_final": total_final,
    "_better": minmax_better,
    "_concat_final": concat_final,
    "_islice": islice,
    "_repeat": repeat,
    "_chain": chain,
    "_itemgetter": itemgetter,
    "_END": _END,
    "_LJ": object(),
    "_UNSET": object(),
    "_to_text": R.to_text,
    "_truth": R.truth,
    "_is_true": R.is_true,
    "_not": R.not_,
    "_and": R.and_,
    "_or": R.or_,
    "_add": R.add,
    "_sub": R.sub,
    "_mul": R.mul,
    "_div": R.div,
    "_mod": R.mod,
    "_neg": R.neg,
    "_bitand": R.bitand,
    "_bitor": R.bitor,
    "_bitnot": R.bitnot,
    "_shl": R.shl,
    "_shr": R.shr,
    "_concat": R.concat,
    "_like": R.like,
    "_glob": R.glob,
    "_is": R.is_,
    "_cast": R.cast,
    "_apply_numeric": R.apply_numeric,
    "_apply_real": R.apply_real,
    "_apply_text": R.apply_text,
    "_compare": R.compare,
    "_typeof": R.typeof,
    "_f_min": F.f_min,
    "_f_max": F.f_max,
    "_DataError": DataError,
    "_IntegrityError": IntegrityError,
    "_ProgrammingError": ProgrammingError,
    "_OperationalError": OperationalError,
    "_raise_constraint": raise_constraint,
}
