"""A row factory like :class:`sqlite3.Row`: access by index or by column name."""

from __future__ import annotations

from typing import Any, Iterator


class Row:
    """A result row: ``row[0]``, ``row["name"]`` (case-insensitive), ``keys()``."""

    __slots__ = ("_values", "_names")

    def __init__(self, cursor: Any, values: tuple):
        self._values = values
        desc = cursor.description or ()
        self._names = tuple(d[0] for d in desc)

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            low = key.lower()
            for i, n in enumerate(self._names):
                if n.lower() == low:
                    return self._values[i]
            raise IndexError(f"No item with that key: {key!r}")
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self._names == other._names and self._values == other._values
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._names, self._values))

    def __repr__(self) -> str:
        return f"<Row {dict(zip(self._names, self._values))!r}>"
