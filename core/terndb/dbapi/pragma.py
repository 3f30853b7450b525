"""PRAGMA statements: schema introspection and a few settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors as E
from ..exec.helpers import scan
from ..sql import ast as A

if TYPE_CHECKING:
    from .connection import Connection


def run_pragma(conn: "Connection", st: A.Pragma) -> tuple[list[tuple], list[str]]:
    name = st.name
    cat = conn._catalog()
    if name == "table_info" or name == "table_xinfo":
        t = cat.tables.get(str(st.value).lower()) if st.value is not None else None
        if t is None:
            v = cat.views.get(str(st.value).lower()) if st.value is not None else None
            if v is None:
                return [], ["cid", "name", "type", "notnull", "dflt_value", "pk"]
            p = conn._compile(A.Parsed(A.Select(v.select.body), "", 0, []), cat)
            return ([(i, n, "", 0, None, 0) for i, n in enumerate(p.names)],
                    ["cid", "name", "type", "notnull", "dflt_value", "pk"])
        rows: list[tuple] = []
        for i, c in enumerate(t.columns):
            pk = (t.pk.index(i) + 1) if i in t.pk else 0
            rows.append((i, c.name, c.type, int(c.not_null), _default_text(t.sql, c), pk))
        return rows, ["cid", "name", "type", "notnull", "dflt_value", "pk"]
    if name == "index_list":
        tbl = cat.tables.get(str(st.value).lower()) if st.value is not None else None
        listing: list[tuple] = []
        if tbl is not None:
            for i, ix in enumerate(reversed(tbl.indexes)):
                listing.append((i, ix.name, int(ix.unique), ix.origin, 0))
        return listing, ["seq", "name", "unique", "origin", "partial"]
    if name == "index_info":
        index = cat.indexes.get(str(st.value).lower()) if st.value is not None else None
        info: list[tuple] = []
        if index is not None:
            table = cat.tables[index.table.lower()]
            for i, pos in enumerate(index.columns):
                info.append((i, pos, table.columns[pos].name if pos >= 0 else None))
        return info, ["seqno", "cid", "name"]
    if name == "user_version":
        if st.value is None:
            return [(int(conn.db.store.meta.get("user_version", 0)),)], ["user_version"]
        txn = conn._ensure_write()
        conn.db.store.meta["user_version"] = int(st.value)
        txn.touched.add("")
        conn._autocommit_after() if conn.isolation_level is None else None
        if not conn._explicit and conn.isolation_level is not None:
            conn.commit()
        return [], []
    if name == "schema_version":
        return [(cat.version,)], ["schema_version"]
    if name == "cache_size":
        cache = conn.db.cache
        if st.value is None:
            return [(cache.leaf_capacity,)], ["cache_size"]
        n = int(st.value)
        cache.leaf_capacity = max(16, abs(n) if n > 0 else abs(n) // 4)
        return [], []
    if name in ("page_size",):
        from ..store.format import PAGE_SIZE
        return [(PAGE_SIZE,)], ["page_size"]
    if name == "page_count":
        return [(conn.db.store.next_pgno,)], ["page_count"]
    if name == "freelist_count":
        return [(len(conn.db.store.free),)], ["freelist_count"]
    if name == "journal_mode":
        return [("terndb",)], ["journal_mode"]
    if name in ("foreign_keys", "synchronous", "recursive_triggers", "case_sensitive_like",
                "temp_store", "busy_timeout", "automatic_index", "count_changes", "legacy_file_format",
                "locking_mode", "mmap_size", "cache_spill", "secure_delete", "encoding"):
        # Accepted for compatibility; TernDB's behaviour is fixed.
        return [], []
    if name == "database_list":
        return [(0, "main", conn.location)], ["seq", "name", "file"]
    if name in ("integrity_check", "quick_check"):
        return [(r,) for r in integrity_check(conn)], [name]
    raise E.NotSupportedError(f"PRAGMA {name} is not supported")


def _default_text(sql: str, c: Any) -> Any:
    d = c.default
    if d is None:
        return None
    if isinstance(d, A.Literal):
        v = d.value
        if isinstance(v, str):
            return "'" + v.replace("'", "''") + "'"
        if v is None:
            return "NULL"
        return str(v)
    return "expr"


def integrity_check(conn: "Connection") -> list[str]:
    """Read every node of every tree, verify checksums, order and index contents."""
    from ..btree.tree import Trees
    from ..exec.helpers import index_key
    problems: list[str] = []
    state, _ = conn._read_state()
    trees = Trees(conn.db.cache)
    for t in state.catalog.tables.values():
        try:
            rows = list(scan(trees, state.roots.get(t.tree, 0)))
        except E.Error as e:
            problems.append(f"table {t.name}: {e}")
            continue
        keys = [k for k, _ in rows]
        if keys != sorted(keys) or len(set(keys)) != len(keys):
            problems.append(f"table {t.name}: rowids out of order")
        width = len(t.columns)
        bad = next((k for k, r in rows if type(r) is not list or len(r) != width), None)
        if bad is not None:
            problems.append(f"table {t.name}: row {bad} does not have {width} columns")
            continue
        for ix in t.indexes:
            try:
                got = [leaf_key for leaf in trees.leaves(state.roots.get(ix.tree, 0)) for leaf_key in leaf.keys]
            except E.Error as e:
                problems.append(f"index {ix.name}: {e}")
                continue
            want = sorted(index_key([k if c < 0 else r[c] for c in ix.columns], ix.collations, k)
                          for k, r in rows)
            if got != want:
                problems.append(f"index {ix.name} does not match table {t.name}")
    return problems or ["ok"]
