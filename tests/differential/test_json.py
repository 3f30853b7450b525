"""Differential tests of the JSON functions: random documents, paths and edits.

Documents are random JSON values written with random spacing and escapes (and now and then
damaged), paths mostly lead somewhere in the document; every function must give sqlite3's
answer, errors included.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from .harness import Pair, Query
from .settings import examples

KEYS = st.sampled_from(["a", "b", "c", "a b", "x.y", "", "é", "k1", "1k", "A"])
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(-10, 10), st.integers(-2 ** 70, 2 ** 70),
    st.sampled_from([0.5, -1.25, 1e20, 2.5e-8, 100.0]),
    st.sampled_from(["", "a", "x y", 'q"uote', "back\\slash", "tab\there", "é", "\u0001", "line\nbreak"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.lists(st.tuples(KEYS, inner), max_size=4)), max_leaves=12)

SPACES = st.sampled_from(["", "", "", " ", "\n ", "\t"])


@st.composite
def documents(draw: Any, value: Any = None) -> tuple[str, Any]:
    """(text, the value) with random spacing, number spellings and string escapes."""
    value = draw(VALUES) if value is None else value

    def write(v: Any) -> str:
        sp = draw(SPACES)
        if isinstance(v, list) and v and isinstance(v[0], tuple):
            body = ",".join(f"{sp}{write(k)}{sp}:{sp}{write(x)}" for k, x in v)
            return "{" + body + sp + "}"
        if isinstance(v, list):
            return "[" + ",".join(sp + write(x) for x in v) + sp + "]"
        if isinstance(v, float):
            return draw(st.sampled_from([repr(v), f"{v:e}", f"{v:E}"]))
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=draw(st.booleans()))
        return json.dumps(v)

    text = write(value)
    if draw(st.integers(0, 15)) == 0:
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(["", ",", "]", "{", '"', "x", "01", "1."])) + text[i + 1:]
    return text, value


@st.composite
def paths(draw: Any, value: Any) -> str:
    """A path that mostly follows the document's structure."""
    out = "$"
    v = value
    for _ in range(draw(st.integers(0, 4))):
        if isinstance(v, list) and v and isinstance(v[0], tuple) and draw(st.integers(0, 5)):
            k, v = draw(st.sampled_from(v))
            out += f".{k}" if k.isalnum() and k.isascii() and k[:1].isalpha() else f'."{k}"'
        elif isinstance(v, list) and v and draw(st.integers(0, 5)):
            i = draw(st.integers(0, len(v)))
            out += draw(st.sampled_from([f"[{i}]", f"[#-{len(v) - i}]" if i < len(v) else "[#]"]))
            v = v[i] if i < len(v) else None
        else:
            out += draw(st.sampled_from([".a", "[0]", "[#]", ".zz", "[#-1]", "[", ".", "x", '."a']))
            v = None
    return out


def unique_keys(v: Any) -> Any:
    """The value with duplicate object keys dropped (SQLite 3.40 merges patches with
    duplicate keys inconsistently; RFC 7396 patches have none)."""
    if isinstance(v, list) and v and isinstance(v[0], tuple):
        seen: dict[str, Any] = {}
        for k, x in v:
            seen.setdefault(k, unique_keys(x))
        return list(seen.items())
    if isinstance(v, list):
        return [unique_keys(x) for x in v]
    return v


NEW_VALUES = ["1", "'txt'", "NULL", "2.5", "json('[1,{\"z\":2}]')", "json_object('n', 1)", "'[1]'"]


@st.composite
def scenarios(draw: Any) -> list[Query]:
    text, value = draw(documents())
    ps = [draw(paths(value)) for _ in range(3)]
    p1, p2, p3 = ps
    nv = draw(st.sampled_from(NEW_VALUES))
    qs = [
        ("SELECT json(?), json_valid(?), json_type(?), json_array_length(?)", (text,) * 4),
        ("SELECT json_extract(?, ?), json_type(?, ?), json_array_length(?, ?)", (text, p1) * 3),
        ("SELECT json_extract(?, ?, ?)", (text, p1, p2)),
        ("SELECT ? -> ?, ? ->> ?, typeof(? ->> ?)", (text, p1) * 3),
        ("SELECT ? -> ?, ? ->> ?", (text, p1.lstrip("$.") or "0") * 2),
        (f"SELECT json_set(?, ?, {nv}), json_insert(?, ?, {nv}), json_replace(?, ?, {nv})", (text, p2) * 3),
        # Several edits in one call: SQLite 3.40 mislocates array elements after an append
        # in the same call (see docs/DESIGN-NOTES.md), so the second edit is a replacement.
        (f"SELECT json_set(?, ?, {nv}), json_replace(json_set(?, ?, 1), ?, 7)", (text, p1, text, p3, p1)),
        ("SELECT json_remove(?, ?), json_remove(?, ?, ?)", (text, p1, text, p2, p3)),
        ("SELECT json_patch(?, ?)", (text, draw(documents(unique_keys(draw(VALUES))))[0])),
        ("SELECT json_array(?, json(?)), json_object('k', json(?), 'v', ?), json_quote(?)", (text,) * 5),
        ("SELECT * FROM json_each(?) ORDER BY id", (text,)),
        ("SELECT * FROM json_each(?, ?) ORDER BY id", (text, p1)),
        ("SELECT * FROM json_tree(?) ORDER BY id", (text,)),
        ("SELECT json_group_array(value), json_group_object(fullkey, atom) FROM json_tree(?)", (text,)),
    ]
    return [Query(sql, params, order=((4, "BINARY"),) if "ORDER BY id" in sql else None)
            for sql, params in qs]


@examples(ci=150)
@given(queries=scenarios())
def test_json_functions_match_sqlite(queries: list[Query]) -> None:
    with Pair() as p:
        for q in queries:
            p.check_query(q)
