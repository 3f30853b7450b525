"""SQLite's built-in scalar functions.

Each function takes and returns SQL values.  ``SCALARS`` maps a lower-case name
to ``(callable, min_args, max_args)``; ``max_args`` of -1 means variadic.
Functions needing the connection (``changes()``) or lazy argument evaluation
(``coalesce``) are compiled specially by the expression compiler.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import random as _random
import re
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any, Callable

from ..errors import DataError, ProgrammingError
from . import json1
from .runtime import (MAX_INT, MIN_INT, compare, float_to_int, float_to_text, glob, like,
                      text_to_int, text_to_number, to_number, to_text, typeof)

SQLITE_VERSION = "3.40.1"   # the SQLite behaviour TernDB follows


def _text_or_none(v: Any) -> Any:
    return v if v is None or type(v) is str else to_text(v)


def f_abs(x: Any) -> Any:
    t = type(x)
    if t is int:
        if x == MIN_INT:
            raise DataError("integer overflow in abs()")
        return -x if x < 0 else x
    if x is None:
        return None
    if t is float:
        return -x if x < 0 else x          # abs(-0.0) stays -0.0, as in SQLite
    text = x.decode("utf-8", "replace") if t is bytes else x
    v = float(to_number(text))
    if v == 0.0 and text.lstrip().startswith("-"):
        v = -0.0
    return -v if v < 0 else v


def f_char(*args: Any) -> str:
    out = []
    for a in args:
        if a is None:
            out.append("\x00")       # SQLite reads NULL as code point 0
            continue
        n = to_number(a)
        n = n if type(n) is int else float_to_int(n)
        out.append(chr(n) if 0 <= n <= 0x10FFFF else "\ufffd")
    return "".join(out)


def f_hex(x: Any) -> Any:
    if x is None:
        return ""
    if type(x) is bytes:
        return x.hex().upper()
    return to_text(x).encode("utf-8", "surrogatepass").hex().upper()


def f_instr(x: Any, y: Any) -> Any:
    if x is None or y is None:
        return None
    if type(x) is bytes and type(y) is bytes:
        return x.find(y) + 1
    return to_text(x).find(to_text(y)) + 1  # type: ignore[union-attr]


def f_length(x: Any) -> Any:
    if x is None:
        return None
    if type(x) is bytes:
        return len(x)
    s = to_text(x)
    i = s.find("\x00")
    return len(s) if i < 0 else i


def f_octet_length(x: Any) -> Any:
    if x is None:
        return None
    if type(x) is bytes:
        return len(x)
    return len(to_text(x).encode("utf-8", "surrogatepass"))


_LOWER = {c: c + 32 for c in range(65, 91)}
_UPPER = {c: c - 32 for c in range(97, 123)}


def f_lower(x: Any) -> Any:
    if x is None:
        return None
    return to_text(x).translate(_LOWER)


def f_upper(x: Any) -> Any:
    if x is None:
        return None
    return to_text(x).translate(_UPPER)


def _trim_chars(y: Any) -> Any:
    return " " if y is _NOARG else (None if y is None else to_text(y))


_NOARG = object()


def f_trim(x: Any, y: Any = _NOARG) -> Any:
    chars = _trim_chars(y)
    if x is None or chars is None:
        return None
    return to_text(x).strip(chars)


def f_ltrim(x: Any, y: Any = _NOARG) -> Any:
    chars = _trim_chars(y)
    if x is None or chars is None:
        return None
    return to_text(x).lstrip(chars)


def f_rtrim(x: Any, y: Any = _NOARG) -> Any:
    chars = _trim_chars(y)
    if x is None or chars is None:
        return None
    return to_text(x).rstrip(chars)


def f_max(*args: Any) -> Any:
    best = None
    for a in args:
        if a is None:
            return None
        if best is None or compare(a, best) > 0:
            best = a
    return best


def f_min(*args: Any) -> Any:
    best = None
    for a in args:
        if a is None:
            return None
        if best is None or compare(a, best) <= 0:   # ties go to the later argument
            best = a
    return best


def f_nullif(x: Any, y: Any) -> Any:
    if x is not None and y is not None and compare(x, y) == 0:
        return None
    return x


def f_quote(x: Any) -> Any:
    t = type(x)
    if x is None:
        return "NULL"
    if t is int:
        return str(x)
    if t is float:
        return float_to_text(x)
    if t is bytes:
        return "X'" + x.hex().upper() + "'"
    return "'" + str(x).replace("'", "''") + "'"


def f_random() -> int:
    return _random.randint(MIN_INT, MAX_INT)


def f_randomblob(n: Any) -> bytes:
    n = 1 if n is None else _as_int(n)
    return os.urandom(max(1, n))


def f_replace(x: Any, y: Any, z: Any) -> Any:
    if x is None or y is None:
        return None
    y = to_text(y)
    if y == "" or y[0] == "\x00":
        # The first argument, unchanged (SQLite reads the pattern as a C string); a BLOB
        # comes back as text, having been read as text.
        return to_text(x) if type(x) is bytes else x
    if z is None:
        return None
    return to_text(x).replace(y, to_text(z))


def _as_int(v: Any) -> int:
    """sqlite3_value_int64(): text gives its leading integer ('1.5e3' -> 1)."""
    t = type(v)
    if t is int:
        return v
    if t is float:
        return float_to_int(v)
    if t is bytes:
        v = v.decode("utf-8", "replace")
    return text_to_int(v) if isinstance(v, str) else 0


def _as_int32(v: Any) -> int:
    """sqlite3_value_int(): the 64-bit value truncated to 32 bits, as C does."""
    n = _as_int(v) & 0xFFFFFFFF
    return n - (1 << 32) if n >= (1 << 31) else n


_ROUND_CONTEXT = Context(prec=80)


def f_round(x: Any, n: Any = 0) -> Any:
    if x is None or n is None:
        return None
    r = float(to_number(x))
    digits = _as_int32(n)
    if digits < 0:
        digits = 0
    if digits > 30:
        digits = 30
    if digits == 0:
        if -9.223372036854775e18 < r < 9.223372036854775e18:
            # (+ 0.0: a negative value that rounds to zero gives 0.0, as in SQLite)
            return float(int(r + 0.5)) if r >= 0 else -float(int(-r + 0.5)) + 0.0
        return r
    if math.isinf(r) or math.isnan(r) or abs(r) >= 1e15:
        return r
    # SQLite rounds the 15-significant-digit decimal form, half away from zero.
    d = Decimal(format(r, ".15e")).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP,
                                            context=_ROUND_CONTEXT)
    return float(d)


def f_sign(x: Any) -> Any:
    if x is None:
        return None
    n = to_number(x) if type(x) is not str else None
    if type(x) is str:
        from .runtime import numeric_text
        n = numeric_text(x)
        if n is None:
            return None
    if type(x) is bytes:
        return None
    return 1 if n > 0 else (-1 if n < 0 else 0)  # type: ignore[operator]


def f_substr(x: Any, y: Any, z: Any = _NOARG) -> Any:
    if x is None or y is None or (z is not _NOARG and z is None):
        return None
    is_blob = type(x) is bytes
    if is_blob and not x:
        return None          # SQLite reads an empty blob as a NULL pointer here
    s = x if is_blob else to_text(x)
    p1 = _as_int32(y)
    length = len(s)
    if z is _NOARG:
        p2 = 1_000_000_000
    else:
        p2 = _as_int32(z)
    neg = False
    if p2 < 0:
        p2 = -p2
        neg = True
    if p1 < 0:
        p1 += length
        if p1 < 0:
            p2 += p1
            if p2 < 0:
                p2 = 0
            p1 = 0
    elif p1 > 0:
        p1 -= 1
    elif p2 > 0:
        p2 -= 1
    if neg:
        p1 -= p2
        if p1 < 0:
            p2 += p1
            p1 = 0
    if p2 < 0:
        p2 = 0
    return s[p1:p1 + p2]


def f_unicode(x: Any) -> Any:
    if x is None:
        return None
    s = to_text(x)
    if not s or s[0] == "\x00":
        return None          # SQLite reads the text as a C string
    c = ord(s[0])
    # An invalid UTF-8 byte kept from a blob reads as the byte's value.
    return c - 0xDC00 if 0xDC80 <= c <= 0xDCFF else c


def f_zeroblob(n: Any) -> bytes:
    return bytes(max(0, _as_int(n) if n is not None else 0))


def f_typeof(x: Any) -> str:
    return typeof(x)


def f_identity(x: Any, *_: Any) -> Any:
    return x


def f_glob(pattern: Any, value: Any) -> Any:
    return glob(value, pattern)


def f_like(pattern: Any, value: Any, *escape: Any) -> Any:
    return like(value, pattern, *escape)


# ----------------------------------------------------------------- printf

_FMT = re.compile(r"%([-+ 0#,!]*)(\*|\d+)?(?:\.(\*|\d+))?(l{0,2})([a-zA-Z%])")


def f_printf(fmt: Any = None, *args: Any) -> Any:
    if fmt is None:
        return None
    fmt = to_text(fmt)
    it = iter(args)

    def nxt() -> Any:
        return next(it, None)

    def sub(m: re.Match) -> str:
        flags, width, prec, _, conv = m.groups()
        if conv == "%":
            return "%"
        if width == "*":
            width = str(_as_int(nxt() or 0))
        if prec == "*":
            prec = str(_as_int(nxt() or 0))
        flags = flags.replace("!", "").replace(",", "")
        spec = "%" + flags + (width or "") + ("." + prec if prec is not None else "")
        v = nxt()
        if conv in "di":
            return (spec + "d") % (_as_int(v) if v is not None else 0)
        if conv in "uxXo":
            n = _as_int(v) if v is not None else 0
            if n < 0:
                n += 1 << 64
            return (spec + ("d" if conv == "u" else conv)) % n
        if conv in "feEgG":
            f = float(to_number(v)) if v is not None else 0.0
            if f in (math.inf, -math.inf):
                # SQLite writes Inf / -Inf (with the sign flags), padded with spaces only.
                text = ("-" if f < 0 else "+" if "+" in flags else " " if " " in flags else "") + "Inf"
                w = int(width or 0)
                return text.ljust(w) if "-" in flags else text.rjust(w)
            return (spec + conv) % f
        if conv == "c":
            s = to_text(v) if v is not None else ""
            return (spec + "s") % (s[:1] or "\x00")
        if conv in "sz":
            text = "" if v is None else to_text(v)
            if prec is not None:
                text = text[:int(prec)]
            # Width counts bytes; a U+FFFD stands for one invalid byte of the original.
            pad = int(width or 0) - len(text.encode("utf-8", "surrogatepass")) + 2 * text.count("\ufffd")
            if pad <= 0:
                return text
            return text + " " * pad if "-" in flags else " " * pad + text
        if conv == "q":
            return "(NULL)" if v is None else to_text(v).replace("'", "''")
        if conv == "Q":
            return "NULL" if v is None else "'" + to_text(v).replace("'", "''") + "'"
        if conv == "w":
            return "" if v is None else to_text(v).replace('"', '""')
        return m.group(0)

    return _FMT.sub(sub, fmt)


# -------------------------------------------------------------- date & time

_EPOCH_JD = 2440587.5


def _now_jd() -> float:
    import time
    return time.time() / 86400.0 + _EPOCH_JD


_DATE_RE = re.compile(
    r"\s*(-?\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d(?:\.\d+)?))?)?\s*(Z|[+-]\d\d:\d\d)?\s*$")
_TIME_RE = re.compile(r"\s*(\d\d):(\d\d)(?::(\d\d(?:\.\d+)?))?\s*$")


def _cdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero), as SQLite's date code uses."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _ymd_to_jd(y: int, m: int, d: int) -> float:
    # A port of SQLite's computeJD().
    if m <= 2:
        y -= 1
        m += 12
    a = _cdiv(y, 100)
    b = 2 - a + _cdiv(a, 4)
    x1 = _cdiv(36525 * (y + 4716), 100)
    x2 = _cdiv(306001 * (m + 1), 10000)
    return x1 + x2 + d + b - 1524.5


def _jd_to_parts(jd: float) -> tuple[int, int, int, int, int, float]:
    # A port of SQLite's computeYMD() and computeHMS().
    ijd = int(jd * 86400000 + 0.5)
    z = _cdiv(ijd + 43200000, 86400000)
    alpha = int((z - 1867216.25) / 36524.25)
    a = z + 1 + alpha - _cdiv(alpha, 4)
    b = a + 1524
    c = int((b - 122.1) / 365.25)
    d = _cdiv(36525 * (c & 32767), 100)
    e = int((b - d) / 30.6001)
    x1 = int(30.6001 * e)
    day = b - d - x1
    month = e - 1 if e < 14 else e - 13
    year = c - 4716 if month > 2 else c - 4715
    ms = (ijd + 43200000) % 86400000
    hour = ms // 3600000
    minute = (ms // 60000) % 60
    sec = (ms % 60000) / 1000.0
    return year, month, day, hour, minute, sec


def _parse_time_value(v: Any) -> Any:
    if v is None:
        return None
    if type(v) in (int, float):
        return float(v)
    s = to_text(v)
    if s.strip().lower() == "now":
        return _now_jd()
    m = _DATE_RE.match(s)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return None
        if m.group(4) and (int(m.group(4)) > 24 or int(m.group(5)) > 59 or float(m.group(6) or 0) >= 60):
            return None
        jd = _ymd_to_jd(y, mo, d)
        if m.group(4):
            sec = float(m.group(6) or 0)
            jd += (int(m.group(4)) * 3600 + int(m.group(5)) * 60 + sec) / 86400.0
        tz = m.group(7)
        if tz and tz != "Z":
            sign = -1 if tz[0] == "+" else 1
            jd += sign * (int(tz[1:3]) * 60 + int(tz[4:6])) / 1440.0
        return jd
    m = _TIME_RE.match(s)
    if m:
        sec = float(m.group(3) or 0)
        if int(m.group(1)) > 24 or int(m.group(2)) > 59 or sec >= 60:
            return None
        return 2451544.5 + (int(m.group(1)) * 3600 + int(m.group(2)) * 60 + sec) / 86400.0
    n = text_to_number(s)
    if re.fullmatch(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*", s):
        return float(n)
    return None


_MOD_RE = re.compile(r"\s*([+-]?\d+(?:\.\d*)?)\s+(day|hour|minute|second|month|year)s?\s*$", re.I)


def _apply_modifier(jd: float, mod: str, first: bool, raw: Any) -> Any:
    m = mod.strip().lower()
    if m == "unixepoch":
        if not first or type(raw) not in (int, float):
            return None
        return raw / 86400.0 + _EPOCH_JD
    if m in ("utc", "localtime", "auto", "julianday", "subsec", "subsecond"):
        return jd
    if m == "start of day":
        return math.floor(jd - 0.5) + 0.5
    if m == "start of month":
        y, mo, _, _, _, _ = _jd_to_parts(jd)
        return _ymd_to_jd(y, mo, 1)
    if m == "start of year":
        y, _, _, _, _, _ = _jd_to_parts(jd)
        return _ymd_to_jd(y, 1, 1)
    if m.startswith("weekday "):
        try:
            n = int(m[8:])
        except ValueError:
            return None
        dow = int(jd + 1.5) % 7
        delta = (n - dow) % 7
        return jd + delta
    mm = _MOD_RE.match(m)
    if not mm:
        return None
    amount = float(mm.group(1))
    unit = mm.group(2)
    if unit == "day":
        return jd + amount
    if unit == "hour":
        return jd + amount / 24.0
    if unit == "minute":
        return jd + amount / 1440.0
    if unit == "second":
        return jd + amount / 86400.0
    y, mo, d, h, mi, s = _jd_to_parts(jd)
    frac = jd - _ymd_to_jd(y, mo, d)
    if unit == "month":
        mo += int(amount)
    else:
        y += int(amount)
    y += (mo - 1) // 12
    mo = (mo - 1) % 12 + 1
    return _ymd_to_jd(y, mo, d) + frac


def _julian(args: tuple) -> Any:
    if not args:
        return _now_jd()
    raw = args[0]
    jd = _parse_time_value(raw)
    if jd is None:
        return None
    for i, mod in enumerate(args[1:]):
        if mod is None:
            return None
        jd = _apply_modifier(jd, to_text(mod), i == 0, raw)
        if jd is None:
            return None
    return jd if _valid_jd(jd) else None


def _valid_jd(jd: float) -> bool:
    """SQLite's range: julian day 0 (-4713-11-24) to the end of year 9999."""
    return 0 <= jd * 86400000 <= 464269060799999


def _parts(args: tuple) -> Any:
    """(y, m, d, h, mi, s) of the arguments; like SQLite, a date given as text with no
    modifiers is echoed as written (2024-02-30 stays 2024-02-30)."""
    if len(args) == 1 and isinstance(args[0], str):
        m = _DATE_RE.match(args[0])
        if m and not m.group(7):
            if _parse_time_value(args[0]) is None:
                return None
            return (int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4) or 0),
                    int(m.group(5) or 0), float(m.group(6) or 0))
    jd = _julian(args)
    if jd is None:
        return None
    return _jd_to_parts(jd)


def f_julianday(*args: Any) -> Any:
    return _julian(args)


def f_date(*args: Any) -> Any:
    p = _parts(args)
    if p is None:
        return None
    y, m, d, _, _, _ = p
    return f"{y:04d}-{m:02d}-{d:02d}"


def f_time(*args: Any) -> Any:
    p = _parts(args)
    if p is None:
        return None
    _, _, _, h, mi, s = p
    return f"{h:02d}:{mi:02d}:{int(s):02d}"


def f_datetime(*args: Any) -> Any:
    p = _parts(args)
    if p is None:
        return None
    y, m, d, h, mi, s = p
    return f"{y:04d}-{m:02d}-{d:02d} {h:02d}:{mi:02d}:{int(s):02d}"


def f_unixepoch(*args: Any) -> Any:
    jd = _julian(args)
    if jd is None:
        return None
    return int(math.floor((jd - _EPOCH_JD) * 86400.0 + 1e-6))


def f_strftime(fmt: Any, *args: Any) -> Any:
    if fmt is None:
        return None
    jd = _julian(args)
    if jd is None:
        return None
    y, m, d, h, mi, s = _jd_to_parts(jd)
    fmt = to_text(fmt)
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%" or i + 1 >= len(fmt):
            out.append(c)
            i += 1
            continue
        k = fmt[i + 1]
        i += 2
        if k == "d":
            out.append(f"{d:02d}")
        elif k == "f":
            out.append(f"{s:06.3f}")
        elif k == "H":
            out.append(f"{h:02d}")
        elif k == "j":
            out.append(f"{int(jd - _ymd_to_jd(y, 1, 1)) + 1:03d}")
        elif k == "J":
            out.append(float_to_text(jd))
        elif k == "m":
            out.append(f"{m:02d}")
        elif k == "M":
            out.append(f"{mi:02d}")
        elif k == "s":
            out.append(str(int((jd - _EPOCH_JD) * 86400.0)))
        elif k == "S":
            out.append(f"{int(s):02d}")
        elif k == "w":
            out.append(str(int(jd + 1.5) % 7))
        elif k == "W":
            wd = (int(jd + 1.5) + 6) % 7
            yday = int(jd - _ymd_to_jd(y, 1, 1))
            out.append(f"{(yday + 7 - wd) // 7:02d}")
        elif k == "Y":
            out.append(f"{y:04d}")
        elif k == "%":
            out.append("%")
        else:
            return None
    return "".join(out)


# ------------------------------------------------------------------- math

def _numeric_value(x: Any) -> Any:
    """sqlite3_value_numeric_type(): a number, or None when the value is not numeric."""
    t = type(x)
    if t is int or t is float:
        return x
    if t is str:
        from .runtime import numeric_text
        return numeric_text(x)
    return None


def _math1(fn: Callable[[float], float]) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        x = _numeric_value(x)
        if x is None:
            return None
        try:
            r = fn(float(x))
        except OverflowError:
            return math.inf          # C's libm returns HUGE_VAL on overflow
        except ValueError:
            return None
        return None if r != r else r
    return f


_LN10 = 2.302585092994045684017991454684364208
_LN2 = 0.693147180559945309417232121458176568


def _log10(x: float) -> float:
    return math.log(x) / _LN10      # as SQLite computes it (not libm's log10)


def _log2(x: float) -> float:
    return math.log(x) / _LN2


def f_log(x: Any, y: Any = _NOARG) -> Any:
    if y is _NOARG:
        return _math1(_log10)(x)
    x, y = _numeric_value(x), _numeric_value(y)
    if x is None or y is None:
        return None
    try:
        return math.log(float(y)) / math.log(float(x))
    except (ValueError, ZeroDivisionError):
        return None


def f_pow(x: Any, y: Any) -> Any:
    x, y = _numeric_value(x), _numeric_value(y)
    if x is None or y is None:
        return None
    try:
        r = math.pow(float(x), float(y))
    except OverflowError:
        return math.inf
    except ValueError:
        return None
    return r


def _math2(fn: Callable[[float, float], float], x: Any, y: Any) -> Any:
    x, y = _numeric_value(x), _numeric_value(y)
    if x is None or y is None:
        return None
    try:
        r = fn(float(x), float(y))
    except OverflowError:
        return math.inf
    except ValueError:
        return None
    return None if r != r else r


def f_ceil(x: Any) -> Any:
    x = _numeric_value(x)
    if x is None or type(x) is int or not math.isfinite(x):
        return x
    r = float(math.ceil(x))
    return math.copysign(0.0, x) if r == 0 else r     # ceil(-0.5) is -0.0, as in C


def f_floor(x: Any) -> Any:
    x = _numeric_value(x)
    if x is None or type(x) is int or not math.isfinite(x):
        return x
    r = float(math.floor(x))
    return math.copysign(0.0, x) if r == 0 else r


def f_mod(x: Any, y: Any) -> Any:
    x, y = _numeric_value(x), _numeric_value(y)
    if x is None or y is None:
        return None
    fy = float(y)
    if fy == 0:
        return None
    return math.fmod(float(x), fy)


SCALARS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "abs": (f_abs, 1, 1),
    "char": (f_char, 0, -1),
    "glob": (f_glob, 2, 2),
    "hex": (f_hex, 1, 1),
    "instr": (f_instr, 2, 2),
    "length": (f_length, 1, 1),
    "like": (f_like, 2, 3),
    "likelihood": (f_identity, 2, 2),
    "likely": (f_identity, 1, 1),
    "unlikely": (f_identity, 1, 1),
    "lower": (f_lower, 1, 1),
    "upper": (f_upper, 1, 1),
    "ltrim": (f_ltrim, 1, 2),
    "rtrim": (f_rtrim, 1, 2),
    "trim": (f_trim, 1, 2),
    "nullif": (f_nullif, 2, 2),
    "printf": (f_printf, 0, -1),
    "format": (f_printf, 0, -1),
    "quote": (f_quote, 1, 1),
    "random": (f_random, 0, 0),
    "randomblob": (f_randomblob, 1, 1),
    "replace": (f_replace, 3, 3),
    "round": (f_round, 1, 2),
    "sign": (f_sign, 1, 1),
    "substr": (f_substr, 2, 3),
    "substring": (f_substr, 2, 3),
    "typeof": (f_typeof, 1, 1),
    "unicode": (f_unicode, 1, 1),
    "zeroblob": (f_zeroblob, 1, 1),
    "sqlite_version": (lambda: SQLITE_VERSION, 0, 0),
    "date": (f_date, 0, -1),
    "time": (f_time, 0, -1),
    "datetime": (f_datetime, 0, -1),
    "julianday": (f_julianday, 0, -1),
    "unixepoch": (f_unixepoch, 0, -1),
    "strftime": (f_strftime, 1, -1),
    "current_date": (lambda: f_date("now"), 0, 0),
    "current_time": (lambda: f_time("now"), 0, 0),
    "current_timestamp": (lambda: f_datetime("now"), 0, 0),
    "sqrt": (_math1(math.sqrt), 1, 1),
    "exp": (_math1(math.exp), 1, 1),
    "ln": (_math1(math.log), 1, 1),
    "log10": (_math1(_log10), 1, 1),
    "log2": (_math1(_log2), 1, 1),
    "log": (f_log, 1, 2),
    "pow": (f_pow, 2, 2),
    "power": (f_pow, 2, 2),
    "ceil": (f_ceil, 1, 1),
    "ceiling": (f_ceil, 1, 1),
    "floor": (f_floor, 1, 1),
    "trunc": (lambda x: x if x is None or type(x) is int else float(math.trunc(float(to_number(x)))), 1, 1),
    "mod": (f_mod, 2, 2),
    "pi": (lambda: math.pi, 0, 0),
    "sin": (_math1(math.sin), 1, 1),
    "cos": (_math1(math.cos), 1, 1),
    "tan": (_math1(math.tan), 1, 1),
    "asin": (_math1(math.asin), 1, 1),
    "acos": (_math1(math.acos), 1, 1),
    "atan": (_math1(math.atan), 1, 1),
    "atan2": (lambda y, x: _math2(math.atan2, y, x), 2, 2),
    "degrees": (_math1(math.degrees), 1, 1),
    "radians": (_math1(math.radians), 1, 1),
}

SCALARS.update(json1.SCALARS)

# Scalar min()/max() take two or more arguments; with one they are aggregates.
VARIADIC_MINMAX = {"min": f_min, "max": f_max}

# Functions whose value may differ between calls with the same arguments.
NONDETERMINISTIC = {"random", "randomblob", "changes", "total_changes", "last_insert_rowid",
                    "current_date", "current_time", "current_timestamp"}


def check_arity(name: str, nargs: int) -> None:
    fn = SCALARS.get(name)
    if fn is None:
        raise ProgrammingError(f"no such function: {name}")
    lo, hi = fn[1], fn[2]
    if nargs < lo or (hi >= 0 and nargs > hi):
        raise ProgrammingError(f"wrong number of arguments to function {name}()")
