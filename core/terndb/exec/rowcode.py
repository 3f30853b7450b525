"""Generated per-table row inserters for the common INSERT case.

For a table without triggers or UNIQUE indexes (other than its INTEGER PRIMARY
KEY), inserting a row needs: column affinities, the rowid, NOT NULL and CHECK
tests, the B-tree insert and non-unique index entries.  Generating that code
per table removes the per-column loops and lookups of the generic
:class:`TableWriter` path, which matters for bulk loads.  Every test still
runs before anything is written, so a failing row leaves nothing behind.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..catalog.schema import TableInfo
from ..engine import Change
from ..errors import DataError, IntegrityError, OperationalError
from . import runtime as R
from .codegen import Func, Module
from .helpers import index_key, rowid_key

_EXPECTED = {R.A_INTEGER: "int", R.A_NUMERIC: "int", R.A_REAL: "float", R.A_TEXT: "str"}
_CONVERT = {R.A_INTEGER: "_apply_numeric", R.A_NUMERIC: "_apply_numeric", R.A_REAL: "_apply_real",
            R.A_TEXT: "_apply_text"}


def eligible(table: TableInfo, has_triggers: bool) -> bool:
    return not has_triggers and not any(ix.unique for ix in table.indexes)


def compile_inserter(table: TableInfo, checks: list[tuple[Callable[..., Any], str]]
                     ) -> Callable[[Any], Callable[[list], int]]:
    """A factory: ``make(writer)`` returns ``put(row) -> rowid`` for this table."""
    mod = Module({
        "_apply_numeric": R.apply_numeric, "_apply_real": R.apply_real, "_apply_text": R.apply_text,
        "_rowid_key": rowid_key, "_DataError": DataError, "_IntegrityError": IntegrityError,
        "_Change": Change, "_index_key": index_key, "_is_true": R.is_true,
        "_OperationalError": OperationalError,
    })
    top = Func("_make", "_w")
    top.setup("_txn = _w.txn")
    top.setup("_trees = _w.trees")
    top.setup("_roots = _txn.roots")
    top.setup("_seqs = _txn.seqs")
    top.setup("_ins = _trees.insert")
    top.setup("_changes = _txn.changes")
    top.setup("_hint = [None]")
    tree = table.tree
    name = table.name
    put = top.nested("_put", "_row")
    ncols = len(table.columns)
    put.emit(f"if len(_row) != {ncols}: raise _DataError('internal: row width')")
    for i, col in enumerate(table.columns):
        if i == table.ipk:
            continue
        exp = _EXPECTED.get(col.affinity)
        if exp is None:
            continue
        put.emit(f"_v = _row[{i}]")
        if col.affinity == R.A_REAL:
            # -0.0 reads back as 0.0 from SQLite (whole REALs are stored as integers).
            put.emit(f"if _v is not None and (type(_v) is not float or _v == 0.0): "
                     f"_row[{i}] = _apply_real(_v)")
        else:
            put.emit(f"if _v is not None and type(_v) is not {exp}: _row[{i}] = {_CONVERT[col.affinity]}(_v)")
    # Rowid.
    root = f"_roots.get({tree}, 0)"
    if table.ipk is not None:
        ipk = table.ipk
        put.emit(f"_rid = _row[{ipk}]")
        put.emit("if _rid is None:")
        with put.indent():
            _emit_new_rowid(put, root, tree, table.autoincrement)
            put.emit(f"_row[{ipk}] = _rid")
        put.emit("elif type(_rid) is not int:")
        with put.indent():
            put.emit("_k = _rowid_key(_rid) if _rid.__class__ is not bytes else None")
            put.emit("if _k is None:")
            msg = (f"datatype mismatch: INTEGER PRIMARY KEY {name}.{table.columns[ipk].name} "
                   "must be an integer, not ")
            put.emit(f"    raise _DataError({msg!r} + repr(_rid))")
            put.emit(f"_rid = _row[{ipk}] = _k")
    else:
        _emit_new_rowid(put, root, tree, table.autoincrement)
    for i in (i for i, c in enumerate(table.columns) if c.not_null):
        msg = f"NOT NULL constraint failed: {name}.{table.columns[i].name}"
        put.emit(f"if _row[{i}] is None: raise _IntegrityError({msg!r})")
    for j, (fn, text) in enumerate(checks):
        cname = mod.const(fn, "_chk")
        put.emit(f"_c = {cname}(_row, _rid)")
        put.emit(f"if _c is not None and not _is_true(_c): "
                 f"raise _IntegrityError({('CHECK constraint failed: ' + text)!r})")
    key_col = table.columns[table.ipk].name if table.ipk is not None else "rowid"
    put.emit("try:")
    put.emit(f"    _roots[{tree}] = _ins({root}, _rid, _row)")
    put.emit("except KeyError:")
    put.emit(f"    raise _IntegrityError({('UNIQUE constraint failed: ' + name + '.' + key_col)!r}) from None")
    put.emit("if _hint[0] is None or _rid > _hint[0]: _hint[0] = _rid")
    for ix in table.indexes:
        cols = ", ".join("_rid" if c < 0 else f"_row[{c}]" for c in ix.columns)
        colls = mod.const(list(ix.collations), "_colls")
        put.emit(f"_roots[{ix.tree}] = _ins(_roots.get({ix.tree}, 0), "
                 f"_index_key(({cols},), {colls}, _rid), None, True)")
    if table.autoincrement:
        put.emit(f"if _rid > _seqs.get({tree}, 0): _seqs[{tree}] = _rid")
    names = mod.const(tuple(c.name for c in table.columns), "_names")
    put.emit("if _txn.record:")
    put.emit(f"    _changes.append(_Change({name!r}, 'insert', _rid, {names}, tuple(_row), None))")
    put.emit("return _rid")
    top.emit(f"_txn.touched.add({name!r})")
    top.emit("return _put")
    fn, _ = mod.compile(top, f"<terndb insert {name}>")
    return fn


def _emit_new_rowid(put: Func, root: str, tree: int, autoinc: bool = False) -> None:
    put.emit("_h = _hint[0]")
    put.emit("if _h is None:")
    put.emit(f"    _h = _hint[0] = _trees.max_key({root}) or 0")
    if autoinc:
        put.emit(f"_s = _seqs.get({tree}, 0)")
        put.emit("if _s > _h: _h = _s")
    put.emit("if _h >= 9223372036854775807:")
    if autoinc:
        put.emit("    raise _w.full_error()")
    put.emit(f"    _rid = _w.random_rowid()")
    put.emit("else:")
    put.emit("    _rid = _h + 1")
