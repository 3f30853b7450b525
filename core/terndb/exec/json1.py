"""SQLite's JSON functions, as SQLite 3.40 has them: json(), json_extract(), ->, ->> and friends.

A document is parsed into a small tree that keeps the source text of numbers and strings, so
``json()`` minifies without changing them (``1.50`` stays ``1.50``, ``"\\u0041"`` stays
escaped), as SQLite does.  Paths follow SQLite's grammar: ``$``, ``.key``, ``."quoted key"``,
``[N]``, ``[#]`` and ``[#-N]``.

SQLite marks the results of JSON functions with a "JSON subtype" so that
``json_array(json('[1]'))`` nests an array instead of quoting a string.  The subtype lives
only from one function call to the next; here the compiler asks for a :class:`Json` wrapper
when a JSON function's result feeds another JSON function's value argument directly, and the
wrapper never reaches a table or a result row.
"""

from __future__ import annotations

import json as _json
import re
from typing import Any, Callable, Iterator, Optional

from ..errors import OperationalError
from .runtime import float_to_text

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


class Json:
    """A JSON text carrying SQLite's JSON subtype, passed between JSON functions."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class Num:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class Str:
    """A JSON string; ``raw`` is the text between the quotes, escapes as written."""

    __slots__ = ("raw",)

    def __init__(self, raw: str):
        self.raw = raw

    def value(self) -> str:
        if "\\" not in self.raw:
            return self.raw
        return _json.loads('"' + self.raw + '"')


class Obj:
    """A JSON object: (key, value) pairs in order, duplicates kept as written."""

    __slots__ = ("items",)

    def __init__(self, items: list):
        self.items = items


# ------------------------------------------------------------------ parsing

_WS = re.compile(r"[ \t\n\r]*")
_NUM = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_STR = re.compile(r'"((?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*)"')
_LIT = re.compile(r"(null|true|false)(?![0-9A-Za-z])")
_LITERALS = {"null": None, "true": True, "false": False}
_MAX_DEPTH = 2000


class _Malformed(Exception):
    pass


def _ws_end(text: str, pos: int) -> int:
    """Where the JSON whitespace starting at ``pos`` ends."""
    return _WS.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty string


def _parse(text: str) -> Any:
    """The tree of ``text``; raises _Malformed for anything SQLite 3.40 rejects."""
    num, string, lit = _NUM.match, _STR.match, _LIT.match
    pos = _ws_end(text, 0)
    n = len(text)
    # Each open container is [node, pending key or None]; values attach to the top one.
    stack: list[list] = []
    while True:
        if pos >= n:
            raise _Malformed
        c = text[pos]
        value: Any
        opened = False
        if c == "{":
            value, opened = Obj([]), True
            pos += 1
        elif c == "[":
            value, opened = [], True
            pos += 1
        elif c == '"':
            m = string(text, pos)
            if m is None:
                raise _Malformed
            value, pos = Str(m.group(1)), m.end()
        elif c == "-" or "0" <= c <= "9":
            m = num(text, pos)
            if m is None:
                raise _Malformed
            value, pos = Num(m.group()), m.end()
            if pos < n and text[pos] in ".eE0123456789":
                raise _Malformed   # "01", "1.", "1e" and the like
        else:
            m = lit(text, pos)
            if m is None:
                raise _Malformed
            value, pos = _LITERALS[m.group(1)], m.end()
        if stack:
            top = stack[-1]
            if type(top[0]) is list:
                top[0].append(value)
            else:
                top[0].items.append((top[1], value))
        if opened:
            if len(stack) >= _MAX_DEPTH:
                raise _Malformed
            stack.append([value, None])
            pos = _ws_end(text, pos)
            closer = "]" if type(value) is list else "}"
            if pos < n and text[pos] == closer:
                pos += 1
                stack.pop()
            elif type(value) is Obj:
                pos = _object_key(text, pos, stack[-1])
                continue
            else:
                continue
        elif not stack:
            return _finish(text, pos, value)
        # After a value: a comma, or close containers.
        while True:
            pos = _ws_end(text, pos)
            if not stack:
                return _finish(text, pos, value)
            top = stack[-1]
            is_list = type(top[0]) is list
            if pos < n and text[pos] == ",":
                pos += 1
                if not is_list:
                    pos = _object_key(text, _ws_end(text, pos), top)
                break
            if pos < n and text[pos] == ("]" if is_list else "}"):
                pos += 1
                value = stack.pop()[0]
                continue
            raise _Malformed
        pos = _ws_end(text, pos)


def _object_key(text: str, pos: int, top: list) -> int:
    m = _STR.match(text, pos)
    if m is None:
        raise _Malformed
    top[1] = Str(m.group(1))
    pos = _ws_end(text, m.end())
    if pos >= len(text) or text[pos] != ":":
        raise _Malformed
    return _ws_end(text, pos + 1)


def _finish(text: str, pos: int, value: Any) -> Any:
    if _ws_end(text, pos) != len(text):
        raise _Malformed
    return value


def _text_of(v: Any) -> Optional[str]:
    """The JSON text an SQL argument holds (sqlite3_value_text), or None for NULL."""
    if v is None:
        return None
    if type(v) is Json:
        return v.text
    if type(v) is str:
        return v
    if type(v) is bytes:
        return v.decode("utf-8", "replace")
    if type(v) is float:
        return float_to_text(v)
    return str(v)


_CACHE: dict[str, Any] = {}


def parse(v: Any) -> Any:
    """The tree of an SQL argument; ``_MISSING`` for NULL; OperationalError when malformed.

    Trees handed out are shared through a small cache, so callers that edit one copy it first.
    """
    text = _text_of(v)
    if text is None:
        return _MISSING
    tree = _CACHE.get(text, _MISSING)
    if tree is _MISSING:
        try:
            tree = _parse(text)
        except _Malformed:
            raise OperationalError("malformed JSON") from None
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[text] = tree
    return tree


_MISSING: Any = object()


def _copy(node: Any) -> Any:
    if type(node) is list:
        return [_copy(x) for x in node]
    if type(node) is Obj:
        return Obj([(k, _copy(x)) for k, x in node.items])
    return node


# ------------------------------------------------------------------ rendering

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _quote(s: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _ESCAPES.get(m.group(), "\\u%04x" % ord(m.group())), s) + '"'


def render(node: Any) -> str:
    """Minified JSON text of a tree, numbers and strings as written."""
    out: list[str] = []
    todo: list[Any] = [node]
    append, push, pop = out.append, todo.append, todo.pop
    while todo:
        x = pop()
        t = type(x)
        if t is str:        # punctuation queued below
            append(x)
        elif t is Num:
            append(x.text)
        elif t is Str:
            append('"' + x.raw + '"')
        elif x is None:
            append("null")
        elif x is True:
            append("true")
        elif x is False:
            append("false")
        elif t is list:
            append("[")
            push("]")
            for i in range(len(x) - 1, -1, -1):
                push(x[i])
                if i:
                    push(",")
        else:
            append("{")
            push("}")
            items = x.items
            for i in range(len(items) - 1, -1, -1):
                push(items[i][1])
                push('"' + items[i][0].raw + '":')
                if i:
                    push(",")
    return "".join(out)


def sql_value(node: Any) -> Any:
    """The SQL value json_extract() and ->> return for a node."""
    t = type(node)
    if t is Num:
        s = node.text
        if "." in s or "e" in s or "E" in s:
            return float(s)
        i = int(s)
        return i if _INT64_MIN <= i <= _INT64_MAX else float(s)
    if t is Str:
        return node.value()
    if node is None:
        return None
    if node is True:
        return 1
    if node is False:
        return 0
    return Json(render(node))


def from_sql(v: Any) -> Any:
    """The tree for an SQL value given to json_array(), json_set() and the like."""
    t = type(v)
    if t is Json:
        return parse(v)
    if v is None:
        return None
    if t is int:
        return Num(str(v))
    if t is float:
        return Num(float_to_text(v))
    if t is str:
        return Str(_quote(v)[1:-1])
    raise OperationalError("JSON cannot hold BLOB values")


# ------------------------------------------------------------------ paths

class _PathError(Exception):
    def __init__(self, rest: str):
        self.rest = rest


_KEY = re.compile(r"[^.\[]*")
_INDEX = re.compile(r"\[(?:([0-9]+)|#(?:-([0-9]+))?)\]")


def _steps(node: Any, path: str, create: bool, trail: Optional[list] = None,
           opaque: Optional[set] = None) -> tuple[Any, Any, Any]:
    """Follow ``path`` (after the ``$``) from ``node``.

    Returns (parent, slot, found): ``found`` is the node or _MISSING; ``parent``/``slot``
    say where it is (list index or object item index), or where ``create`` may add it
    (slot None for an object key to append, len(list) for an array append).  As SQLite
    does, the rest of the path is checked only as far as the walk gets.  ``trail``, when
    given, receives each (container, slot) stepped into.  Nodes in ``opaque`` (by id(),
    values this json_set() call already wrote) are not looked into, as in SQLite.
    """
    parent: Any = None
    slot: Any = None
    pos = 0
    n = len(path)
    while pos < n:
        if opaque and id(node) in opaque:
            return None, None, _MISSING
        c = path[pos]
        if c == ".":
            if type(node) is not Obj:
                return None, None, _MISSING
            pos += 1
            if pos < n and path[pos] == '"':
                end = path.find('"', pos + 1)
                if end < 0:
                    raise _PathError(path[pos:])
                key, pos = path[pos + 1:end], end + 1
            else:
                m: Any = _KEY.match(path, pos)
                key = m.group()
                if not key:
                    raise _PathError(path[pos:])
                pos = m.end()
            for i, (k, v) in enumerate(node.items):
                if k.raw == key:
                    parent, slot, node = node, i, v
                    if trail is not None:
                        trail.append((parent, slot))
                    break
            else:
                if create:
                    return node, key, _Create(path[pos:])
                return None, None, _MISSING
        elif c == "[":
            m = _INDEX.match(path, pos)
            if m is None:
                raise _PathError(path[pos:])
            if type(node) is not list:
                return None, None, _MISSING
            pos = m.end()
            if m.group(1) is not None:
                i = int(m.group(1))
            else:
                i = len(node) - int(m.group(2) or 0)
                if i < 0:
                    return None, None, _MISSING
            if i < len(node):
                parent, slot, node = node, i, node[i]
                if trail is not None:
                    trail.append((parent, slot))
            elif i == len(node) and create:
                return node, i, _Create(path[pos:])
            else:
                return None, None, _MISSING
        else:
            raise _PathError(path[pos:])
    return parent, slot, node


class _Create:
    """A missing target that json_set()/json_insert() may create: the path still to build."""

    __slots__ = ("rest",)

    def __init__(self, rest: str):
        self.rest = rest


def _build(rest: str, value: Any) -> Any:
    """The nodes a json_set() creates for the unmatched ``rest`` of a path, or _MISSING."""
    if not rest:
        return value
    if rest[0] != "." and not rest.startswith("[0]"):
        return _MISSING       # SQLite creates a missing array only for [0]
    tree: Any = Obj([]) if rest[0] == "." else []
    parent, slot, found = _steps(tree, rest, True)
    if type(found) is not _Create:
        return _MISSING
    inner = _build(found.rest, value)
    if inner is _MISSING:
        return _MISSING
    _attach(parent, slot, inner)
    return tree


def _attach(parent: Any, slot: Any, value: Any) -> None:
    if type(parent) is list:
        parent.append(value)
    else:
        parent.items.append((Str(slot), value))


def _check_path(path: Any) -> Optional[str]:
    if path is None:
        return None
    p = _text_of(path)
    assert p is not None
    if not p.startswith("$"):
        raise OperationalError(f"JSON path error near '{p}'")
    return p[1:]


def lookup(tree: Any, path: Any) -> Any:
    """The node at ``path`` (an SQL value), _MISSING when absent or the path is NULL."""
    p = _check_path(path)
    if p is None:
        return _MISSING
    try:
        found = _steps(tree, p, False)[2]
    except _PathError as e:
        raise OperationalError(f"JSON path error near '{e.rest}'") from None
    return found


# ------------------------------------------------------------------ functions

def plain(v: Any) -> Any:
    """A JSON function's result as an SQL value (the subtype dropped)."""
    return v.text if type(v) is Json else v


def f_json(x: Any) -> Any:
    tree = parse(x)
    return None if tree is _MISSING else Json(render(tree))


def f_json_valid(x: Any) -> int:
    try:
        return 0 if parse(x) is _MISSING else 1
    except OperationalError:
        return 0


def f_json_quote(x: Any) -> Any:
    if type(x) is Json:
        return x
    return Json(render(from_sql(x)))


def f_json_array(*args: Any) -> Json:
    return Json(render([from_sql(a) for a in args]))


def f_json_object(*args: Any) -> Json:
    if len(args) % 2:
        raise OperationalError("json_object() requires an even number of arguments")
    items = []
    for i in range(0, len(args), 2):
        if type(args[i]) is not str:
            raise OperationalError("json_object() labels must be TEXT")
        items.append((Str(_quote(args[i])[1:-1]), from_sql(args[i + 1])))
    return Json(render(Obj(items)))


def f_json_extract(x: Any, *paths: Any) -> Any:
    tree = parse(x)
    if tree is _MISSING:
        return None
    if len(paths) == 1:
        node = lookup(tree, paths[0])
        return None if node is _MISSING else sql_value(node)
    out = []
    for p in paths:
        node = lookup(tree, p)
        out.append(None if node is _MISSING else node)
    return Json(render(out))


def _arrow_path(p: Any) -> Any:
    """The -> and ->> operators accept 'key' for '$.key' and 1 for '$[1]'."""
    if p is None:
        return None
    s = _text_of(p)
    assert s is not None
    if s.startswith("$"):
        return s
    if s[:1].isdigit():
        return "$[" + s + "]"
    return ("$" if s.startswith("[") else "$.") + s


def f_arrow(x: Any, p: Any) -> Any:
    tree = parse(x)
    if tree is _MISSING:
        return None
    node = lookup(tree, _arrow_path(p))
    return None if node is _MISSING else Json(render(node))


def f_arrow2(x: Any, p: Any) -> Any:
    tree = parse(x)
    if tree is _MISSING:
        return None
    node = lookup(tree, _arrow_path(p))
    if node is _MISSING:
        return None
    v = sql_value(node)
    return v.text if type(v) is Json else v


_TYPE_NAMES = {Num: None, Str: "text", list: "array", Obj: "object"}


def f_json_type(x: Any, path: Any = _MISSING) -> Any:
    tree = parse(x)
    if tree is _MISSING:
        return None
    node = tree if path is _MISSING else lookup(tree, path)
    return None if node is _MISSING else _type_name(node)


def f_json_array_length(x: Any, path: Any = _MISSING) -> Any:
    tree = parse(x)
    if tree is _MISSING:
        return None
    node = tree if path is _MISSING else lookup(tree, path)
    if node is _MISSING:
        return None
    return len(node) if type(node) is list else 0


def f_json_remove(x: Any, *paths: Any) -> Any:
    tree = parse(x)
    if tree is _MISSING:
        return None
    tree = _copy(tree)
    root_removed = False
    # SQLite marks removed members and still finds them by key (array indexes skip them):
    # object members go at the end, array elements at once.
    gone: list[tuple[Any, Any]] = []
    for path in paths:
        p = _check_path(path)
        if p is None:
            return None
        try:
            parent, slot, found = _steps(tree, p, False)
        except _PathError as e:
            raise OperationalError(f"JSON path error near '{e.rest}'") from None
        if found is _MISSING:
            continue
        if parent is None:
            root_removed = True   # the later paths are still checked, as in SQLite
        elif type(parent) is list:
            del parent[slot]
        else:
            gone.append((parent, parent.items[slot]))
    for obj, member in gone:
        obj.items = [m for m in obj.items if m is not member]
    return None if root_removed else Json(render(tree))


def _editor(name: str, replace: bool, create: bool) -> Callable[..., Any]:
    def edit(x: Any, *pairs: Any) -> Any:
        if len(pairs) % 2:
            raise OperationalError(f"{name}() needs an odd number of arguments")
        tree = parse(x)
        if tree is _MISSING:
            return None
        tree = _copy(tree)
        # Replacing the whole document makes the result that SQL value itself, as in SQLite.
        whole: Any = _MISSING
        written: set[int] = set()
        for i in range(0, len(pairs), 2):
            p = _check_path(pairs[i])
            if p is None or (p and whole is not _MISSING):
                continue        # nothing is looked up inside a value this call wrote
            try:
                parent, slot, found = _steps(tree, p, create, None, written)
            except _PathError as e:
                raise OperationalError(f"JSON path error near '{e.rest}'") from None
            if type(found) is _Create:
                leaf = _copy(from_sql(pairs[i + 1]))
                built = _build(found.rest, leaf)
                if built is not _MISSING:
                    _attach(parent, slot, built)
                    if leaf is not None and type(leaf) is not bool:
                        written.add(id(leaf))
            elif found is not _MISSING and replace:
                if parent is None:
                    whole = pairs[i + 1]
                    continue
                value = _copy(from_sql(pairs[i + 1]))
                if value is not None and type(value) is not bool:
                    written.add(id(value))
                if type(parent) is list:
                    parent[slot] = value
                else:
                    parent.items[slot] = (parent.items[slot][0], value)
        return Json(render(tree)) if whole is _MISSING else whole
    return edit


def _strip_nulls(node: Any) -> Any:
    """A patch value with null object members dropped, in nested objects too (not in arrays)."""
    if type(node) is not Obj:
        return node
    return Obj([(k, _strip_nulls(v)) for k, v in node.items if v is not None])


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 merge patch, with SQLite 3.40's handling of duplicate keys: a patch key
    matches the first target member with that key (even one it already removed), and
    members it adds are not matched by later patch keys."""
    if type(patch) is not Obj:
        return patch
    if type(target) is not Obj:
        return _strip_nulls(patch)
    items = list(target.items)
    original = len(items)
    removed: set[int] = set()
    for key, value in patch.items:
        for i in range(original):
            if items[i][0].raw == key.raw:
                if value is None:
                    removed.add(i)
                else:
                    items[i] = (items[i][0], _merge_patch(items[i][1], value))
                break
        else:
            if value is not None:
                items.append((key, _strip_nulls(value)))
    return Obj([m for i, m in enumerate(items) if i not in removed])


def f_json_patch(x: Any, patch: Any) -> Any:
    tree, ptree = parse(x), parse(patch)
    if tree is _MISSING or ptree is _MISSING:
        return None
    return Json(render(_merge_patch(tree, ptree)))


# ------------------------------------------------------------------ aggregates

#: Aggregate name -> number of arguments.  They keep NULLs (as null) and give [] / {} over
#: no rows; the generated code collects ``item``/``member`` texts and calls ``final``.
AGGREGATES = {"json_group_array": 1, "json_group_object": 2}


def item(v: Any) -> str:
    return render(from_sql(v))


def member(k: Any, v: Any) -> str:
    # SQLite writes a NULL label as nothing at all (not even quotes); so does this.
    key = _text_of(k)
    return ("" if key is None else _quote(key)) + ":" + item(v)


def final_array(parts: Any) -> str:
    return "[" + ",".join(parts or ()) + "]"


def final_object(parts: Any) -> str:
    return "{" + ",".join(parts or ()) + "}"


# ------------------------------------------------------------------ json_each / json_tree

EACH_COLUMNS = ("key", "value", "type", "atom", "id", "parent", "fullkey", "path", "json", "root")
TABLE_FUNCTIONS = ("json_each", "json_tree")


def container(value: Any, type_name: Any) -> Any:
    """json_each()'s value column as a JSON function argument: arrays and objects keep the subtype."""
    return Json(value) if type_name in ("array", "object") and type(value) is str else value


def _sizes(root: Any) -> dict[int, int]:
    """Node slots per container (by id()), counted as SQLite numbers nodes: one per value,
    one per object label; json_each()'s ``id`` column is a node's position in that order."""
    sizes: dict[int, int] = {}
    todo: list[tuple[Any, bool]] = [(root, False)]
    while todo:
        node, done = todo.pop()
        t = type(node)
        if t is not list and t is not Obj:
            continue
        kids = node if t is list else [v for _, v in node.items]
        if done:
            sizes[id(node)] = 1 + sum(sizes.get(id(k), 1) for k in kids) + (0 if t is list else len(kids))
        else:
            todo.append((node, True))
            todo.extend((k, False) for k in kids)
    return sizes


def _path_element(node: Any, slot: int) -> str:
    """How json_each() writes the step to a child in ``fullkey``: [2], .name or ."odd key"."""
    if type(node) is list:
        return f"[{slot}]"
    raw = node.items[slot][0].raw
    if raw[:1].isalpha() and raw.isascii() and raw.isalnum():
        return "." + raw
    return '."' + raw + '"'


def _children(node: Any, node_id: int, sizes: dict[int, int]) -> Iterator[tuple[Any, Any, int, str]]:
    """(key, child, child id, path element) for each child of a container."""
    nxt = node_id + 1
    if type(node) is list:
        for i, child in enumerate(node):
            yield i, child, nxt, f"[{i}]"
            nxt += sizes.get(id(child), 1)
    else:
        for i, (label, child) in enumerate(node.items):
            yield label.value(), child, nxt + 1, _path_element(node, i)
            nxt += 1 + sizes.get(id(child), 1)


def _type_name(node: Any) -> str:
    if node is None:
        return "null"
    if node is True:
        return "true"
    if node is False:
        return "false"
    if type(node) is Num:
        s = node.text
        return "real" if ("." in s or "e" in s or "E" in s) else "integer"
    return _TYPE_NAMES[type(node)]  # type: ignore[return-value]


def _row(key: Any, node: Any, node_id: int, parent: Any, fullkey: str, path: str,
         doc: Any, root: str) -> tuple:
    value = sql_value(node)
    if type(value) is Json:
        return (key, value.text, _type_name(node), None, node_id, parent, fullkey, path, doc, root)
    return (key, value, _type_name(node), value, node_id, parent, fullkey, path, doc, root)


def _each_start(doc: Any, path: Any) -> Any:
    """(node, its id, root path text, trail, sizes) for json_each/json_tree, or None for no rows."""
    tree = parse(doc)
    if tree is _MISSING:
        return None
    root = "$" if path is _MISSING else _text_of(path)
    if root is None:
        return None
    trail: list = []
    node = tree
    if root != "$":
        p = _check_path(root)
        assert p is not None
        try:
            node = _steps(tree, p, False, trail)[2]
        except _PathError as e:
            raise OperationalError(f"JSON path error near '{e.rest}'") from None
        if node is _MISSING:
            return None
    sizes = _sizes(tree)
    node_id = 0
    for parent, slot in trail:
        for i, (_, _, cid, _) in enumerate(_children(parent, node_id, sizes)):
            if i == slot:
                node_id = cid
                break
    return node, node_id, root, trail, sizes


def each_rows(doc: Any = None, path: Any = _MISSING) -> list:
    """The rows of json_each(doc [, path]): the children of the addressed container."""
    start = _each_start(doc, path)
    if start is None:
        return []
    node, node_id, root, _, sizes = start
    if type(node) is not list and type(node) is not Obj:
        return [_row(None, node, node_id, None, root, root, doc, root)]
    return [_row(key, child, cid, None, root + elem, root, doc, root)
            for key, child, cid, elem in _children(node, node_id, sizes)]


def tree_rows(doc: Any = None, path: Any = _MISSING) -> list:
    """The rows of json_tree(doc [, path]): the addressed node and all below it, depth first."""
    start = _each_start(doc, path)
    if start is None:
        return []
    node, node_id, root, trail, sizes = start
    key: Any = None
    up = root
    if trail:
        parent, slot = trail[-1]
        key = slot if type(parent) is list else parent.items[slot][0].value()
        elem = _path_element(parent, slot)
        if root.endswith(elem):
            up = root[:-len(elem)]
    rows = []
    todo: list[tuple] = [(key, node, node_id, None, root, up)]
    while todo:
        key, n, nid, parent_id, fullkey, path_text = todo.pop()
        rows.append(_row(key, n, nid, parent_id, fullkey, path_text, doc, root))
        if type(n) is list or type(n) is Obj:
            kids = [(k, c, cid, nid, fullkey + e, fullkey) for k, c, cid, e in _children(n, nid, sizes)]
            todo.extend(reversed(kids))
    return rows


SCALARS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "json": (f_json, 1, 1),
    "json_valid": (f_json_valid, 1, 1),
    "json_quote": (f_json_quote, 1, 1),
    "json_array": (f_json_array, 0, -1),
    "json_object": (f_json_object, 0, -1),
    "json_extract": (f_json_extract, 2, -1),
    "json_type": (f_json_type, 1, 2),
    "json_array_length": (f_json_array_length, 1, 2),
    "json_remove": (f_json_remove, 1, -1),
    "json_insert": (_editor("json_insert", False, True), 1, -1),
    "json_replace": (_editor("json_replace", True, False), 1, -1),
    "json_set": (_editor("json_set", True, True), 1, -1),
    "json_patch": (f_json_patch, 2, 2),
}

#: Functions whose arguments (all, or from the second on) read the JSON subtype.
SUBTYPE_READERS = {"json_array": 0, "json_object": 0, "json_quote": 0,
                   "json_insert": 1, "json_replace": 1, "json_set": 1}
