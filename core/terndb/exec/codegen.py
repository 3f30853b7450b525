"""Building the Python source of a compiled statement.

A statement becomes one module-level function with nested functions for its
subqueries.  Nested functions are placed in their host's *prelude*, ahead of
the host's body, and read the host's loop variables through closures: that is
how correlated subqueries see the outer row without any interpretation.

Values that cannot be written as literals (helpers, schema objects, large
constants) are bound as globals of the generated module, never spliced into
the source text, so user data can never become code.
"""

from __future__ import annotations

import itertools
import warnings
from contextlib import contextmanager
from typing import Any, Iterator, Optional, Union


class Func:
    """One generated function: a prelude (nested defs, setup) and a body."""

    def __init__(self, name: str, params: str = "", parent: Optional["Func"] = None):
        self.name = name
        self.params = params
        self.parent = parent
        self.pre: list[Union[str, "Func"]] = []
        self.body: list[str] = []
        self.level = 0
        self.nonlocals: set[str] = set()

    def emit(self, line: str) -> None:
        self.body.append("    " * self.level + line)

    def setup(self, line: str) -> None:
        """A line run once when the function starts, before the body."""
        self.pre.append(line)

    @contextmanager
    def indent(self, n: int = 1) -> Iterator[None]:
        self.level += n
        try:
            yield
        finally:
            self.level -= n

    def nested(self, name: str, params: str = "") -> "Func":
        f = Func(name, params, self)
        self.pre.append(f)
        return f

    def render(self, out: list[str], depth: int = 0) -> None:
        pad = "    " * depth
        out.append(f"{pad}def {self.name}({self.params}):")
        if self.nonlocals:
            out.append(f"{pad}    nonlocal {', '.join(sorted(self.nonlocals))}")
        for p in self.pre:
            if isinstance(p, Func):
                p.render(out, depth + 1)
            else:
                out.append(f"{pad}    {p}")
        for line in self.body:
            out.append(f"{pad}    {line}")
        if not self.pre and not self.body:
            out.append(f"{pad}    pass")


class Module:
    """Names and constants shared by the functions of one compiled statement."""

    def __init__(self, base_env: dict[str, Any]):
        self.env: dict[str, Any] = dict(base_env)
        self._ids = itertools.count()
        self._consts: dict[tuple, str] = {}

    def fresh(self, prefix: str = "_t") -> str:
        return f"{prefix}{next(self._ids)}"

    def const(self, value: Any, prefix: str = "_c") -> str:
        """A global name bound to ``value`` in the generated module."""
        try:
            key = (type(value), value)
            hash(key)
        except TypeError:
            key = (int, id(value))
        name = self._consts.get(key)
        if name is None:
            name = self.fresh(prefix)
            self.env[name] = value
            self._consts[key] = name
        return name

    def compile(self, top: Func, filename: str = "<terndb>", *also: Func) -> tuple[Any, str]:
        """Compile ``top`` (and any further top-level functions); return top and the source."""
        lines: list[str] = []
        top.render(lines)
        for f in also:
            f.render(lines)
        source = "\n".join(lines) + "\n"
        with warnings.catch_warnings():
            # Generated code may test a folded constant with "is None".
            warnings.simplefilter("ignore", SyntaxWarning)
            code = compile(source, filename, "exec")
        env = self.env
        exec(code, env)
        return env[top.name], source


def literal(value: Any) -> Optional[str]:
    """Python source for a SQL literal value, or None when it needs a constant."""
    t = type(value)
    if value is None:
        return "None"
    if t is int:
        return repr(value)
    if t is float:
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return repr(value)
    if t is str:
        return repr(value) if len(value) < 200 else None
    if t is bytes:
        return repr(value) if len(value) < 200 else None
    return None
