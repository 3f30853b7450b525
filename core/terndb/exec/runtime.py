"""SQLite value semantics: affinity, conversions, comparison, arithmetic.

Every NULL rule and type-conversion rule of the engine lives here, so generated
code stays short and the rules are tested in one place.  SQL values are Python
``None``, ``int`` (64-bit range), ``float``, ``str`` and ``bytes``.

The rules follow SQLite 3 (datatype3.html): storage classes order as
NULL < INTEGER/REAL < TEXT < BLOB; text is converted to a number by its longest
numeric prefix in arithmetic; integer arithmetic overflows into REAL.
"""

from __future__ import annotations

import math
from decimal import Decimal
import re
from typing import Any, Callable, Optional

from ..errors import DataError, ProgrammingError

MIN_INT = -9223372036854775808
MAX_INT = 9223372036854775807
_EXACT_LIMIT = 2251799813685248  # 2**51: SQLite converts integral reals to INTEGER below this

# Affinity names.
A_INTEGER = "INTEGER"
A_REAL = "REAL"
A_NUMERIC = "NUMERIC"
A_TEXT = "TEXT"
A_BLOB = "BLOB"      # "none": values are stored as given
A_NONE = None        # expressions without affinity


def affinity_of(type_name: str) -> str:
    """The column affinity of a declared type, by SQLite's five rules (in order)."""
    t = type_name.upper()
    if "INT" in t:
        return A_INTEGER
    if "CHAR" in t or "CLOB" in t or "TEXT" in t:
        return A_TEXT
    if "BLOB" in t or not t:
        return A_BLOB
    if "REAL" in t or "FLOA" in t or "DOUB" in t:
        return A_REAL
    return A_NUMERIC


# ------------------------------------------------------------- text <-> number

_WELL_FORMED = re.compile(r"\s*([+-]?(?:\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)\s*\Z")
_REAL_PREFIX = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)")
_INT_PREFIX = re.compile(r"\s*([+-]?\d+)")


def _tie_at_15_digits(f: float) -> bool:
    """Is the exact binary value of ``f`` halfway between two 15-significant-digit decimals?"""
    digits = Decimal(f).as_tuple().digits
    return len(digits) > 15 and digits[15] == 5 and not any(digits[16:])


def float_to_text(f: float) -> str:
    """Render a REAL the way SQLite does ("%!.15g"): 1.0, 1.0e+20, 0.1."""
    if f != f:
        return "NaN"  # never stored, but keep it printable
    if f == math.inf:
        return "Inf"
    if f == -math.inf:
        return "-Inf"
    if f == 0.0:
        return "0.0"
    s = "%.15g" % f
    if len(repr(f).split("e")[0].replace("-", "").replace(".", "").strip("0")) > 15 and _tie_at_15_digits(f):
        # SQLite rounds an exact tie at the 15th digit away from zero; Python to even.
        s = "%.15g" % math.nextafter(f, math.copysign(math.inf, f))
    if "e" in s:
        mant, exp = s.split("e")
        if "." not in mant:
            mant += ".0"
        return mant + "e" + exp
    if "." not in s:
        s += ".0"
    return s


def to_text(v: Any) -> Any:
    """Text form of a value, for concatenation and text functions; NULL stays NULL."""
    t = type(v)
    if t is str or v is None:
        return v
    if t is int:
        return str(v)
    if t is float:
        return float_to_text(v)
    if t is bytes:
        return v.decode("utf-8", "replace")
    return str(v)


def _clamp_int(i: int) -> int:
    return MIN_INT if i < MIN_INT else MAX_INT if i > MAX_INT else i


def float_to_int(f: float) -> int:
    """CAST(real AS INTEGER): truncate toward zero, saturating at the 64-bit limits."""
    if f != f:
        return 0
    if f >= 9.223372036854775807e18:
        return MAX_INT
    if f <= -9.223372036854775808e18:
        return MIN_INT
    return int(f)


def text_to_number(s: str) -> int | float:
    """Numeric value of text by its longest numeric prefix ('12abc' -> 12, 'x' -> 0)."""
    m = _REAL_PREFIX.match(s)
    if m is None:
        return 0
    num = m.group(1)
    if "." in num or "e" in num or "E" in num:
        f = float(num)
        return f
    i = int(num)
    if MIN_INT <= i <= MAX_INT:
        return i
    return float(i)


def to_number(v: Any) -> Any:
    """Numeric value for arithmetic; NULL stays NULL."""
    t = type(v)
    if t is int or t is float or v is None:
        return v
    if t is str:
        return text_to_number(v)
    if t is bytes:
        return text_to_number(v.decode("utf-8", "replace"))
    return v


def text_to_int(s: str) -> int:
    """CAST(text AS INTEGER): the longest leading integer, saturating at 64 bits."""
    m = _INT_PREFIX.match(s)
    if m is None:
        return 0
    return _clamp_int(int(m.group(1)))


def numeric_text(s: str, try_int: bool = True) -> Any:
    """If ``s`` is a well-formed number, its INTEGER or REAL value; else None.

    Like SQLite's applyNumericAffinity: an integer literal is INTEGER; a real
    literal is INTEGER only when exactly integral and below 2**51, and only with
    ``try_int`` (aggregates read '1000.0' as REAL: sqlite3_value_numeric_type).
    """
    m = _WELL_FORMED.match(s)
    if m is None:
        return None
    num = m.group(1)
    if "." not in num and m.group(3) is None:
        i = int(num)
        if MIN_INT <= i <= MAX_INT:
            return i
        return float(i)
    f = float(num)
    if try_int and f.is_integer() and -_EXACT_LIMIT <= f < _EXACT_LIMIT:
        return int(f)
    return f


def _integral(f: float) -> Any:
    """sqlite3VdbeIntegerAffinity: a REAL that is a whole number inside the int64 range."""
    if f.is_integer() and -9.223372036854775808e18 < f < 9.223372036854775807e18:
        return int(f)
    return f


# -------------------------------------------------------------------- affinity


def apply_numeric(v: Any) -> Any:
    """NUMERIC/INTEGER column affinity: well-formed numeric text becomes a number, and a
    whole REAL within the 64-bit range becomes INTEGER."""
    t = type(v)
    if t is int or v is None:
        return v
    if t is float:
        return _integral(v)
    if t is str:
        n = numeric_text(v)
        if n is None:
            return v
        return _integral(n) if type(n) is float else n
    return v


def apply_real(v: Any) -> Any:
    """REAL column affinity: numbers and numeric text become REAL.  SQLite stores whole
    REALs as integers on disk, so -0.0 reads back as 0.0."""
    t = type(v)
    if t is float:
        return 0.0 if v == 0.0 else v
    if v is None:
        return v
    if t is int:
        return float(v)
    if t is str:
        n = numeric_text(v)
        return v if n is None else float(n)
    return v


def apply_text(v: Any) -> Any:
    """TEXT column affinity: numbers are stored as their text."""
    t = type(v)
    if t is int:
        return str(v)
    if t is float:
        return float_to_text(v)
    return v


def apply_none(v: Any) -> Any:
    return v


AFFINITY_FUNCS: dict[Optional[str], Callable[[Any], Any]] = {
    A_INTEGER: apply_numeric,
    A_NUMERIC: apply_numeric,
    A_REAL: apply_real,
    A_TEXT: apply_text,
    A_BLOB: apply_none,
    None: apply_none,
}


def cast(v: Any, type_name: str) -> Any:
    """CAST(v AS type_name) with SQLite's conversion rules."""
    if v is None:
        return None
    aff = affinity_of(type_name)
    t = type(v)
    if aff == A_INTEGER:
        if t is int:
            return v
        if t is float:
            return float_to_int(v)
        if t is bytes:
            v = v.decode("utf-8", "replace")
        return text_to_int(v)
    if aff == A_REAL:
        if t is float:
            return v
        if t is int:
            return float(v)
        if t is bytes:
            v = v.decode("utf-8", "replace")
        m = _REAL_PREFIX.match(v)
        if m:
            return float(m.group(1))
        return -0.0 if v.lstrip().startswith("-") else 0.0
    if aff == A_NUMERIC:
        if t is int or t is float:
            return v
        if t is bytes:
            v = v.decode("utf-8", "replace")
        n = text_to_number(v)
        if type(n) is float and n.is_integer() and -_EXACT_LIMIT <= n < _EXACT_LIMIT:
            return int(n)
        return n
    if aff == A_TEXT:
        return to_text(v)
    # BLOB
    if t is bytes:
        return v
    return to_text(v).encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------ comparison

# Storage-class rank used for ordering values of different types.
_RANK = {type(None): 0, int: 1, float: 1, bool: 1, str: 2, bytes: 3}


def rank(v: Any) -> int:
    return _RANK[type(v)]


def fold_nocase(s: str) -> str:
    """SQLite's NOCASE folds only the 26 ASCII letters."""
    return s.translate(_NOCASE_TABLE) if not s.isascii() else s.lower()


_NOCASE_TABLE = {c: c + 32 for c in range(65, 91)}


def _collate_key(coll: Optional[str]) -> Optional[Callable[[str], str]]:
    if coll is None or coll == "BINARY":
        return None
    if coll == "NOCASE":
        return fold_nocase
    if coll == "RTRIM":
        return lambda s: s.rstrip(" ")
    raise ProgrammingError(f"no such collation sequence: {coll}")


COLLATIONS = ("BINARY", "NOCASE", "RTRIM")


def check_collation(name: str) -> str:
    name = name.upper()
    if name not in COLLATIONS:
        raise ProgrammingError(f"no such collation sequence: {name}")
    return name


def sort_key(v: Any, coll: Optional[str] = None) -> tuple:
    """A key that orders values like SQLite: NULL < numbers < text < blob."""
    t = type(v)
    if t is int or t is float:
        return (1, v)
    if t is str:
        if coll is not None and coll != "BINARY":
            f = _collate_key(coll)
            return (2, f(v))  # type: ignore[misc]
        return (2, v)
    if v is None:
        return (0, 0)
    return (3, v)


def compare(a: Any, b: Any, coll: Optional[str] = None) -> int:
    """Three-way comparison of two non-NULL values in SQLite order."""
    ta, tb = type(a), type(b)
    if ta is tb or (ta in (int, float) and tb in (int, float)):
        if ta is str and coll is not None and coll != "BINARY":
            f = _collate_key(coll)
            a, b = f(a), f(b)  # type: ignore[misc]
        return -1 if a < b else (1 if a > b else 0)
    ra, rb = _RANK[ta], _RANK[tb]
    return -1 if ra < rb else (1 if ra > rb else 0)


def make_comparator(op: str, coll: Optional[str]) -> Callable[[Any, Any], Any]:
    """A function (a, b) -> 1/0/None for one comparison operator and collation."""
    if op == "=":
        test = lambda c: c == 0  # noqa: E731
    elif op == "!=":
        test = lambda c: c != 0  # noqa: E731
    elif op == "<":
        test = lambda c: c < 0  # noqa: E731
    elif op == "<=":
        test = lambda c: c <= 0  # noqa: E731
    elif op == ">":
        test = lambda c: c > 0  # noqa: E731
    else:
        test = lambda c: c >= 0  # noqa: E731
    if coll is None or coll == "BINARY":
        pyop = {"=": "__eq__", "!=": "__ne__", "<": "__lt__", "<=": "__le__",
                ">": "__gt__", ">=": "__ge__"}[op]
        import operator
        fast = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
                ">": operator.gt, ">=": operator.ge}[op]
        del pyop

        def cmp_binary(a: Any, b: Any) -> Any:
            if a is None or b is None:
                return None
            ta, tb = type(a), type(b)
            if ta is tb or (ta is int and tb is float) or (ta is float and tb is int):
                return 1 if fast(a, b) else 0
            return 1 if test(_RANK[ta] - _RANK[tb]) else 0
        return cmp_binary

    def cmp_coll(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        return 1 if test(compare(a, b, coll)) else 0
    return cmp_coll


def is_(a: Any, b: Any, coll: Optional[str] = None) -> int:
    """a IS b: equality where NULL IS NULL is true."""
    if a is None or b is None:
        return 1 if a is None and b is None else 0
    return 1 if compare(a, b, coll) == 0 else 0


# ------------------------------------------------------------------ arithmetic


def _real_operand(orig: Any, num: Any) -> float:
    """An operand of REAL arithmetic.  Text whose number is zero keeps its sign, as SQLite's
    text-to-real conversion does: '-0' and even '-x' are -0.0 there."""
    if num == 0 and type(orig) in (str, bytes):
        s = orig.decode("utf-8", "replace") if type(orig) is bytes else orig
        return -0.0 if s.lstrip(" \t\n\f\r\v").startswith("-") else 0.0
    return float(num)


def _num2(a: Any, b: Any) -> tuple[Any, Any]:
    ta = type(a)
    if ta is not int and ta is not float:
        a = to_number(a)
    tb = type(b)
    if tb is not int and tb is not float:
        b = to_number(b)
    return a, b


def add(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        r = a + b
        if MIN_INT <= r <= MAX_INT:
            return r
        return float(a) + float(b)
    if a is None or b is None:
        return None
    na, nb = _num2(a, b)
    if type(na) is int and type(nb) is int:
        return add(na, nb)
    return _real(_real_operand(a, na) + _real_operand(b, nb))


def sub(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        r = a - b
        if MIN_INT <= r <= MAX_INT:
            return r
        return float(a) - float(b)
    if a is None or b is None:
        return None
    na, nb = _num2(a, b)
    if type(na) is int and type(nb) is int:
        return sub(na, nb)
    return _real(_real_operand(a, na) - _real_operand(b, nb))


def mul(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        r = a * b
        if MIN_INT <= r <= MAX_INT:
            return r
        return float(a) * float(b)
    if a is None or b is None:
        return None
    na, nb = _num2(a, b)
    if type(na) is int and type(nb) is int:
        return mul(na, nb)
    return _real(_real_operand(a, na) * _real_operand(b, nb))


def div(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    na, nb = _num2(a, b)
    if type(na) is int and type(nb) is int:
        if nb == 0:
            return None
        if na == MIN_INT and nb == -1:
            return float(na) / -1.0
        q = abs(na) // abs(nb)
        return q if (na >= 0) == (nb >= 0) else -q
    fb = _real_operand(b, nb)
    if fb == 0.0:
        return None
    return _real(_real_operand(a, na) / fb)


def mod(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    ia, ib = _int_operand(a), _int_operand(b)
    a, b = _num2(a, b)
    if type(a) is not int or type(b) is not int:
        # A REAL remainder is taken of the operands' integer values, as SQLite does.
        if ib == 0:
            return None
        if ib == -1:
            return 0.0
        r = abs(ia) % abs(ib)
        return float(-r if ia < 0 else r)
    if b == 0:
        return None
    if b == -1:
        return 0
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def _real(f: float) -> Any:
    # SQLite turns NaN results (inf - inf) into NULL.
    return None if f != f else f


def neg(a: Any) -> Any:
    """-x computed as 0 - x, as SQLite does (so -(0.0) is 0.0)."""
    t = type(a)
    if t is int:
        return -a if a != MIN_INT else float(-a)
    if a is None:
        return None
    if t is float:
        return 0.0 - a
    return neg(to_number(a))


def pos(a: Any) -> Any:
    return a


def _int_operand(v: Any) -> int:
    """sqlite3VdbeIntValue: text gives its leading integer ('1e3' -> 1)."""
    t = type(v)
    if t is int:
        return v
    if t is float:
        return float_to_int(v)
    if t is str:
        return text_to_int(v)
    if t is bytes:
        return text_to_int(v.decode("utf-8", "replace"))
    return int(v)


def _int_of_number(n: Any) -> int:
    return n if type(n) is int else float_to_int(n)


def _wrap64(i: int) -> int:
    i &= 0xFFFFFFFFFFFFFFFF
    return i - (1 << 64) if i >= (1 << 63) else i


def bitand(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    return _int_operand(a) & _int_operand(b)


def bitor(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    return _int_operand(a) | _int_operand(b)


def bitnot(a: Any) -> Any:
    if a is None:
        return None
    return ~_int_operand(a)


def shl(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    x, n = _int_operand(a), _int_operand(b)
    if n < 0:
        return shr(x, -n)
    if n >= 64:
        return 0
    return _wrap64(x << n)


def shr(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    x, n = _int_operand(a), _int_operand(b)
    if n < 0:
        return shl(x, -n)
    if n >= 64:
        return -1 if x < 0 else 0
    return x >> n


def concat(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    ta, tb = type(a), type(b)
    return (a if ta is str else to_text(a)) + (b if tb is str else to_text(b))


# ------------------------------------------------------------------ truthiness


def truth(v: Any) -> Any:
    """SQL boolean value of v: True, False or None (unknown)."""
    t = type(v)
    if t is int or t is float:
        return v != 0
    if v is None:
        return None
    return to_number(v) != 0


def is_true(v: Any) -> bool:
    """True when v counts as true in WHERE/ON/HAVING/WHEN (NULL is not true)."""
    return truth(v) is True


def not_(v: Any) -> Any:
    if v is None:
        return None
    return 0 if truth(v) else 1


def and_(a: Any, b: Any) -> Any:
    ta = truth(a)
    if ta is False:
        return 0
    tb = truth(b)
    if tb is False:
        return 0
    if ta is None or tb is None:
        return None
    return 1


def or_(a: Any, b: Any) -> Any:
    ta = truth(a)
    if ta is True:
        return 1
    tb = truth(b)
    if tb is True:
        return 1
    if ta is None or tb is None:
        return None
    return 0


def b2i(b: Any) -> Any:
    """Python bool/None -> SQL 1/0/NULL."""
    if b is None:
        return None
    return 1 if b else 0


# ------------------------------------------------------------------ LIKE / GLOB

_like_cache: dict[tuple[str, Optional[str], bool], Any] = {}


def _like_regex(pattern: str, escape: Optional[str], case_sensitive: bool) -> Any:
    key = (pattern, escape, case_sensitive)
    rx = _like_cache.get(key)
    if rx is not None:
        return rx
    out = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if escape is not None and c == escape:
            i += 1
            if i < n:
                out.append(re.escape(pattern[i]))
            i += 1
            continue
        if c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        else:
            if not case_sensitive and c.isascii() and c.isalpha():
                out.append("[" + c.lower() + c.upper() + "]")
            else:
                out.append(re.escape(c))
        i += 1
    rx = re.compile("".join(out) + r"\Z", re.DOTALL)
    if len(_like_cache) > 2000:
        _like_cache.clear()
    _like_cache[key] = rx
    return rx


_NO_ESCAPE = object()


def like(value: Any, pattern: Any, escape: Any = _NO_ESCAPE, case_sensitive: bool = False) -> Any:
    """value LIKE pattern [ESCAPE escape] -> 1/0/NULL (ASCII case-insensitive).

    BLOBs never match, as in SQLite builds with LIKE_DOESNT_MATCH_BLOBS (Python's).
    """
    if type(value) is bytes or type(pattern) is bytes:
        return 0
    if value is None or pattern is None:
        return None
    if escape is _NO_ESCAPE:
        escape = None
    elif escape is None:
        return None
    if escape is not None:
        escape = to_text(escape)
        if len(escape) != 1:
            raise DataError("ESCAPE expression must be a single character")
    value = value if type(value) is str else to_text(value)
    pattern = pattern if type(pattern) is str else to_text(pattern)
    rx = _like_regex(pattern, escape, case_sensitive)
    return 1 if rx.match(value) else 0


_glob_cache: dict[str, Any] = {}


def _glob_regex(pattern: str) -> Any:
    rx = _glob_cache.get(pattern)
    if rx is not None:
        return rx
    out = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(r"\[")
            else:
                body = pattern[i + 1:j]
                neg = body.startswith("^")
                if neg:
                    body = body[1:]
                body = body.replace("\\", "\\\\")
                out.append("[" + ("^" if neg else "") + body + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    rx = re.compile("".join(out) + r"\Z", re.DOTALL)
    if len(_glob_cache) > 2000:
        _glob_cache.clear()
    _glob_cache[pattern] = rx
    return rx


def glob(value: Any, pattern: Any) -> Any:
    """value GLOB pattern -> 1/0/NULL (case-sensitive, * ? [...]); BLOBs never match."""
    if type(value) is bytes or type(pattern) is bytes:
        return 0
    if value is None or pattern is None:
        return None
    value = value if type(value) is str else to_text(value)
    pattern = pattern if type(pattern) is str else to_text(pattern)
    return 1 if _glob_regex(pattern).match(value) else 0


# -------------------------------------------------------------- parameter binding

_BINDABLE = (type(None), int, float, str, bytes)


def bind_value(v: Any, index: int) -> Any:
    """Convert one Python parameter to a SQL value, or raise a helpful error."""
    t = type(v)
    if t in _BINDABLE:
        if t is int and not (MIN_INT <= v <= MAX_INT):
            raise DataError(f"parameter {index + 1}: Python int {v} is too large for a 64-bit INTEGER")
        if t is float and v != v:
            return None
        return v
    if t is bool:
        return int(v)
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, int):
        return bind_value(int(v), index)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, str):
        return str(v)
    raise ProgrammingError(
        f"parameter {index + 1}: type {t.__name__!r} is not supported; "
        "use None, int, float, str or bytes (or convert it first)")


def typeof(v: Any) -> str:
    t = type(v)
    if t is int:
        return "integer"
    if t is float:
        return "real"
    if t is str:
        return "text"
    if v is None:
        return "null"
    return "blob"
