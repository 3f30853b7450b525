"""Copy-on-write B+trees: tables (integer rowid -> row) and indexes (key lists).

Nodes are plain Python objects.  A *clean* node (``ref != 0``) is the decoded
image of a blob in the store and is never modified: it may be shared by the
committed state, open snapshots and the node cache.  A write copies each node
on its way down (``_mut``), so readers holding an old root keep a consistent
view, and a statement can be undone by restoring the roots it started from.

The *epoch* makes copying cheap: a node created in the current epoch belongs
to the writer and is changed in place.  The transaction layer starts a new
epoch at every statement, savepoint and open read cursor, so anything those
may still look at is copied, never mutated.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any, Iterator, Optional, Union

from ..errors import DatabaseError
from ..store import codec
from ..store.format import NODE_INDEX_LEAF, NODE_INNER, NODE_TABLE_LEAF, PAGE_PAYLOAD

# In-memory node sizes.  Stored nodes are cut to fit one page when written
# (see persist), so these only shape the tree while a transaction builds it.
LEAF_MAX = 384
INNER_MAX = 192
from ..store.pager import Store


class Leaf:
    __slots__ = ("keys", "vals", "ref", "epoch")
    is_leaf = True

    def __init__(self, keys: list, vals: Optional[list], ref: int = 0, epoch: int = 0):
        self.keys = keys
        self.vals = vals          # None for index leaves
        self.ref = ref
        self.epoch = epoch


class Inner:
    __slots__ = ("keys", "kids", "ref", "epoch")
    is_leaf = False

    def __init__(self, keys: list, kids: list, ref: int = 0, epoch: int = 0):
        self.keys = keys          # keys[i] == smallest key under kids[i + 1]
        self.kids = kids          # child refs (int) or in-memory Node objects
        self.ref = ref
        self.epoch = epoch


Node = Union[Leaf, Inner]
Root = Union[int, Node]           # 0 is the empty tree


class NodeCache:
    """Decoded clean nodes by ref.  Inner nodes stay; leaves are evicted oldest first."""

    def __init__(self, store: Store, leaf_capacity: int = 4096):
        self.store = store
        self.nodes: dict[int, Node] = {}        # every cached node, for one-lookup access
        self.leaf_refs: dict[int, None] = {}    # cached leaves in insertion order
        self.leaf_capacity = leaf_capacity

    def load(self, ref: int) -> Node:
        node = self.nodes.get(ref)
        if node is not None:
            return node
        return self._load(ref)

    def _load(self, ref: int) -> Node:
        raw = codec.decode(self.store.read_blob(ref), f"b-tree node at page {ref}")
        node = _validated(raw, ref, self.store.next_pgno)
        if node is None:
            raise DatabaseError(f"database disk image is malformed: bad b-tree node at page {ref}")
        self.put(node)
        return node

    def put(self, node: Node) -> None:
        ref = node.ref
        if node.is_leaf:
            refs = self.leaf_refs
            if len(refs) >= self.leaf_capacity:
                # Drop the older half (dict order is insertion order).
                nodes = self.nodes
                for k in list(refs)[: len(refs) // 2]:
                    del refs[k]
                    nodes.pop(k, None)
            refs[ref] = None
        self.nodes[ref] = node

    def forget(self, ref: int) -> None:
        self.nodes.pop(ref, None)
        self.leaf_refs.pop(ref, None)

    def clear(self) -> None:
        self.nodes.clear()
        self.leaf_refs.clear()

    @property
    def inner(self) -> dict[int, Node]:
        return {r: n for r, n in self.nodes.items() if not n.is_leaf}


def _validated(raw: Any, ref: int, npages: int) -> Optional[Node]:
    """A node built from decoded JSON, or None when its shape is wrong.

    Checksums catch torn and foreign pages; this catches pages that are intact
    but not what the tree expects (a lost write leaving an older page behind).
    """
    if type(raw) is not list or not raw:
        return None
    kind = raw[0]
    try:
        if kind == NODE_TABLE_LEAF and len(raw) == 3:
            keys, vals = raw[1], raw[2]
            if (type(keys) is not list or type(vals) is not list or len(keys) != len(vals)
                    or any(type(k) is not int for k in keys) or any(type(v) is not list for v in vals)
                    or any(a >= b for a, b in zip(keys, keys[1:]))):
                return None
            return Leaf(keys, vals, ref)
        if kind == NODE_INDEX_LEAF and len(raw) == 2:
            keys = raw[1]
            if type(keys) is not list or any(type(k) is not list or not k for k in keys):
                return None
            return Leaf(keys, None, ref)
        if kind == NODE_INNER and len(raw) == 3:
            keys, kids = raw[1], raw[2]
            if (type(keys) is not list or type(kids) is not list or len(kids) != len(keys) + 1
                    or any(type(k) is not int or k < 2 or k >= npages or k == ref for k in kids)):
                return None
            return Inner(keys, kids, ref)
    except TypeError:
        return None
    return None


_MAX_DEPTH = 48     # far beyond any real tree: deeper means a damaged cycle


def _too_deep() -> DatabaseError:
    return DatabaseError("database disk image is malformed: b-tree deeper than any valid tree "
                         "(a damaged page points back into its own tree)")


def _wrong_kind(what: str) -> DatabaseError:
    return DatabaseError(f"database disk image is malformed: {what}")


def encode_node(node: Node, index: bool) -> bytes:
    if node.is_leaf:
        if index:
            return codec.encode([NODE_INDEX_LEAF, node.keys])
        return codec.encode([NODE_TABLE_LEAF, node.keys, node.vals])  # type: ignore[union-attr]
    return codec.encode([NODE_INNER, node.keys, node.kids])  # type: ignore[union-attr]


class Trees:
    """B-tree operations within one snapshot or write transaction.

    ``freed`` collects refs of clean nodes replaced by copies; the transaction
    frees them in the store when (and only if) it commits.
    """

    def __init__(self, cache: NodeCache, epoch: int = 0):
        self.cache = cache
        self.epoch = epoch
        self.freed: list[int] = []
        # id(root) -> (root, rightmost leaf, epoch): appends in key order skip the descent.
        self._tail: dict[int, tuple[Node, Leaf, int]] = {}

    # ------------------------------------------------------------------ reads

    def node(self, r: Root) -> Node:
        if type(r) is int:
            n = self.cache.nodes.get(r)  # type: ignore[call-overload]
            return n if n is not None else self.cache._load(r)  # type: ignore[arg-type]
        return r  # type: ignore[return-value]

    def get(self, root: Root, key: Any) -> Any:
        """The value stored under ``key`` in a table tree, or None."""
        if not root:
            return None
        nodes = self.cache.nodes
        node: Any = nodes.get(root) if type(root) is int else root  # type: ignore[call-overload]
        if node is None:
            node = self.cache._load(root)  # type: ignore[arg-type]
        depth = 0
        while not node.is_leaf:
            kid = node.kids[bisect_right(node.keys, key)]  # type: ignore[union-attr]
            if type(kid) is int:
                n = nodes.get(kid)
                node = n if n is not None else self.cache._load(kid)
            else:
                node = kid
            depth += 1
            if depth > _MAX_DEPTH:
                raise _too_deep()
        keys = node.keys
        i = bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            vals = node.vals
            if vals is None:
                raise _wrong_kind("an index page sits in a table's b-tree")
            return vals[i]
        return None

    def contains(self, root: Root, key: Any) -> bool:
        if not root:
            return False
        node = self.node(root)
        while not node.is_leaf:
            node = self.node(node.kids[bisect_right(node.keys, key)])  # type: ignore[union-attr]
        keys = node.keys
        i = bisect_left(keys, key)
        return i < len(keys) and keys[i] == key

    def leaves(self, root: Root) -> Iterator[Leaf]:
        """Every leaf, in key order."""
        if not root:
            return
        node = self.node(root)
        if node.is_leaf:
            yield node  # type: ignore[misc]
            return
        load = self.node
        stack: list[tuple[Inner, int]] = [(node, 0)]  # type: ignore[list-item]
        while stack:
            inner, i = stack[-1]
            if i >= len(inner.kids):
                stack.pop()
                continue
            stack[-1] = (inner, i + 1)
            child = load(inner.kids[i])
            if child.is_leaf:
                yield child  # type: ignore[misc]
            else:
                stack.append((child, 0))  # type: ignore[arg-type]
                if len(stack) > _MAX_DEPTH:
                    raise _too_deep()

    def leaves_reverse(self, root: Root) -> Iterator[Leaf]:
        """Every leaf, in descending key order."""
        if not root:
            return
        node = self.node(root)
        if node.is_leaf:
            yield node  # type: ignore[misc]
            return
        load = self.node
        stack: list[tuple[Inner, int]] = [(node, len(node.kids) - 1)]  # type: ignore[union-attr,list-item]
        while stack:
            inner, i = stack[-1]
            if i < 0:
                stack.pop()
                continue
            stack[-1] = (inner, i - 1)
            child = load(inner.kids[i])
            if child.is_leaf:
                yield child  # type: ignore[misc]
            else:
                stack.append((child, len(child.kids) - 1))  # type: ignore[union-attr,arg-type]

    def seek(self, root: Root, key: Any) -> Iterator[tuple[Leaf, int]]:
        """(leaf, index of the first key >= key), then each following leaf with index 0."""
        if not root:
            return
        load = self.node
        node = load(root)
        stack: list[tuple[Inner, int]] = []
        while not node.is_leaf:
            i = bisect_right(node.keys, key)  # type: ignore[union-attr]
            stack.append((node, i + 1))  # type: ignore[arg-type]
            node = load(node.kids[i])  # type: ignore[union-attr]
            if len(stack) > _MAX_DEPTH:
                raise _too_deep()
        yield node, bisect_left(node.keys, key)  # type: ignore[misc]
        while stack:
            inner, i = stack[-1]
            if i >= len(inner.kids):
                stack.pop()
                continue
            stack[-1] = (inner, i + 1)
            child = load(inner.kids[i])
            while not child.is_leaf:
                stack.append((child, 1))  # type: ignore[arg-type]
                child = load(child.kids[0])  # type: ignore[union-attr]
                if len(stack) > _MAX_DEPTH:
                    raise _too_deep()
            yield child, 0  # type: ignore[misc]

    def seek_reverse(self, root: Root, key: Any) -> Iterator[tuple[Leaf, int]]:
        """(leaf, index of the last key < key), then each preceding leaf with its last index."""
        if not root:
            return
        load = self.node
        node = load(root)
        stack: list[tuple[Inner, int]] = []
        while not node.is_leaf:
            i = bisect_left(node.keys, key)  # type: ignore[union-attr]
            stack.append((node, i - 1))  # type: ignore[arg-type]
            node = load(node.kids[i])  # type: ignore[union-attr]
        yield node, bisect_left(node.keys, key) - 1  # type: ignore[misc]
        while stack:
            inner, i = stack[-1]
            if i < 0:
                stack.pop()
                continue
            stack[-1] = (inner, i - 1)
            child = load(inner.kids[i])
            while not child.is_leaf:
                stack.append((child, len(child.kids) - 2))  # type: ignore[union-attr,arg-type]
                child = load(child.kids[-1])  # type: ignore[union-attr]
            yield child, len(child.keys) - 1  # type: ignore[misc]

    def max_key(self, root: Root) -> Any:
        if not root:
            return None
        node = self.node(root)
        while not node.is_leaf:
            node = self.node(node.kids[-1])  # type: ignore[union-attr]
        return node.keys[-1] if node.keys else None

    def min_key(self, root: Root) -> Any:
        if not root:
            return None
        node = self.node(root)
        while not node.is_leaf:
            node = self.node(node.kids[0])  # type: ignore[union-attr]
        return node.keys[0] if node.keys else None

    def count(self, root: Root) -> int:
        return sum(len(leaf.keys) for leaf in self.leaves(root))

    # ----------------------------------------------------------------- writes

    def _mut(self, node: Node) -> Node:
        """``node`` itself if this epoch owns it, else a private copy."""
        if node.ref == 0 and node.epoch == self.epoch:
            return node
        if node.ref:
            self.freed.append(node.ref)
        if node.is_leaf:
            vals = node.vals  # type: ignore[union-attr]
            return Leaf(node.keys[:], None if vals is None else vals[:], 0, self.epoch)
        return Inner(node.keys[:], node.kids[:], 0, self.epoch)  # type: ignore[union-attr]

    def _descend_mut(self, root: Root, key: Any, present: Optional[bool] = None
                     ) -> tuple[Node, list[tuple[Inner, int]], Leaf, int]:
        """Copy the path to ``key``'s leaf for writing; return (root, path, leaf, position).

        ``present`` (True/False) is checked before anything is copied, so a
        failed insert/delete leaves the tree and the free list untouched.
        """
        if self._tail:
            self._tail.pop(id(root), None)
        nodes = self.cache.nodes
        node: Any = root if type(root) is not int else (nodes.get(root) or self.cache._load(root))  # type: ignore[arg-type]
        steps: list[int] = []
        chain: list[Any] = [node]
        while not node.is_leaf:
            i = bisect_right(node.keys, key)  # type: ignore[union-attr]
            steps.append(i)
            kid = node.kids[i]  # type: ignore[union-attr]
            if type(kid) is int:
                kid = nodes.get(kid) or self.cache._load(kid)
            node = kid
            chain.append(node)
            if len(steps) > _MAX_DEPTH:
                raise _too_deep()
        keys = node.keys
        j = bisect_left(keys, key)
        if present is not None:
            found = j < len(keys) and keys[j] == key
            if found != present:
                raise KeyError(key)
        new_root = parent = self._mut(chain[0])
        path: list[tuple[Inner, int]] = []
        for depth, i in enumerate(steps):
            child = self._mut(chain[depth + 1])
            parent.kids[i] = child  # type: ignore[union-attr]
            path.append((parent, i))  # type: ignore[arg-type]
            parent = child
        return new_root, path, parent, j  # type: ignore[return-value]

    def insert(self, root: Root, key: Any, val: Any = None, index: bool = False) -> Node:
        """Add ``key`` (KeyError if present) and return the new root."""
        if not root:
            return Leaf([key], None if index else [val], 0, self.epoch)
        tail = self._tail.get(id(root))
        if tail is not None and tail[0] is root and tail[2] == self.epoch:
            leaf = tail[1]
            keys = leaf.keys
            if key > keys[-1] and len(keys) < LEAF_MAX:
                keys.append(key)
                if leaf.vals is not None:
                    leaf.vals.append(val)
                return root  # type: ignore[return-value]
        new_root, path, leaf, j = self._descend_mut(root, key, False)
        keys = leaf.keys
        keys.insert(j, key)
        if leaf.vals is not None:
            leaf.vals.insert(j, val)
        if len(keys) > LEAF_MAX:
            return self._split(new_root, path, leaf, j == len(keys) - 1)
        if j == len(keys) - 1 and all(i == len(p.kids) - 1 for p, i in path):
            self._tail[id(new_root)] = (new_root, leaf, self.epoch)
        return new_root

    def replace(self, root: Root, key: Any, val: Any) -> Node:
        """Replace the value of an existing key in a table tree."""
        new_root, path, leaf, j = self._descend_mut(root, key, True)
        leaf.vals[j] = val  # type: ignore[index]
        return new_root

    def _split(self, root: Node, path: list[tuple[Inner, int]], leaf: Leaf, at_end: bool) -> Node:
        keys = leaf.keys
        # Appending in key order (rowids) leaves full nodes behind, like SQLite's quick balance.
        mid = len(keys) - 1 if at_end else len(keys) // 2
        right: Node = Leaf(keys[mid:], None if leaf.vals is None else leaf.vals[mid:], 0, self.epoch)
        del keys[mid:]
        if leaf.vals is not None:
            del leaf.vals[mid:]
        sep = right.keys[0]
        left: Node = leaf
        while path:
            parent, i = path.pop()
            parent.keys.insert(i, sep)
            parent.kids.insert(i + 1, right)
            if len(parent.kids) <= INNER_MAX:
                return root
            at_end = i + 1 == len(parent.kids) - 1
            m = len(parent.kids) - 1 if at_end else len(parent.kids) // 2
            sep = parent.keys[m - 1]
            right = Inner(parent.keys[m:], parent.kids[m:], 0, self.epoch)
            del parent.keys[m - 1:]
            del parent.kids[m:]
            left = parent
        return Inner([sep], [left, right], 0, self.epoch)

    def delete(self, root: Root, key: Any) -> Root:
        """Remove an existing key; return the new root (0 when the tree empties)."""
        new_root, path, leaf, j = self._descend_mut(root, key, True)
        keys = leaf.keys
        del keys[j]
        if leaf.vals is not None:
            del leaf.vals[j]
        if keys:
            if path and len(keys) < 16:
                self._merge_leaf(path[-1][0], path[-1][1])
            return new_root
        # Remove empty nodes upward.
        while path:
            parent, i = path.pop()
            del parent.kids[i]
            if parent.keys:
                del parent.keys[i - 1 if i > 0 else 0]
            if parent.kids:
                break
        return self._collapse(new_root)

    def _merge_leaf(self, parent: Inner, i: int) -> None:
        """Merge small leaf ``parent.kids[i]`` with a neighbour when both fit in one node."""
        leaf = parent.kids[i]
        for j in (i + 1, i - 1):
            if 0 <= j < len(parent.kids):
                other = self.node(parent.kids[j])
                if len(other.keys) + len(leaf.keys) <= 64:
                    other = self._mut(other)
                    lo, hi = (leaf, other) if j > i else (other, leaf)
                    lo.keys.extend(hi.keys)  # type: ignore[union-attr]
                    if lo.vals is not None:  # type: ignore[union-attr]
                        lo.vals.extend(hi.vals)  # type: ignore[union-attr,arg-type]
                    keep, drop = (i, j) if j > i else (j, i)
                    parent.kids[keep] = lo
                    del parent.kids[drop]
                    del parent.keys[drop - 1]
                    return

    def _collapse(self, root: Node) -> Root:
        while not root.is_leaf:
            if len(root.kids) == 0:  # type: ignore[union-attr]
                return 0
            if len(root.kids) > 1:  # type: ignore[union-attr]
                return root
            child = root.kids[0]  # type: ignore[union-attr]
            root = self._mut(self.node(child))
        return root if root.keys else 0

    def drop(self, root: Root) -> None:
        """Free every clean node of a tree (DROP TABLE / DROP INDEX)."""
        if not root:
            return
        stack = [root]
        while stack:
            r = stack.pop()
            node = self.node(r)
            if node.ref:
                self.freed.append(node.ref)
            if not node.is_leaf:
                stack.extend(node.kids)  # type: ignore[union-attr]

    # ------------------------------------------------------------------ commit

    def persist(self, root: Root, index: bool, store: Store) -> int:
        """Write the dirty nodes of a tree (children first); return the root's ref.

        A node whose encoding would not fit in one page is split into pieces
        that do (a single oversized entry keeps a multi-page blob of its own),
        so stored nodes match the page size whatever the row widths are.
        """
        if type(root) is int:
            return root  # type: ignore[return-value]
        if root.ref:  # type: ignore[union-attr]
            return root.ref  # type: ignore[union-attr]
        pieces = self._persist_node(root, index, store)  # type: ignore[arg-type]
        while len(pieces) > 1:
            # The root split: add levels until one node holds everything.
            keys = [k for k, _ in pieces[1:]]
            kids = [r for _, r in pieces]
            pieces = self._write_inner(keys, kids, store, index, pieces[0][0])
        return pieces[0][1]

    def _persist_node(self, node: Node, index: bool, store: Store) -> list[tuple[Any, int]]:
        """[(first key, ref), ...]: the node as written, possibly in several pieces."""
        if node.is_leaf:
            return self._write_leaf(node, index, store)  # type: ignore[arg-type]
        keys: list = []
        kids: list = []
        for i, k in enumerate(node.kids):  # type: ignore[union-attr]
            if i:
                keys.append(node.keys[i - 1])  # type: ignore[union-attr]
            if type(k) is int:
                kids.append(k)
                continue
            if k.ref:
                kids.append(k.ref)
                continue
            pieces = self._persist_node(k, index, store)
            kids.append(pieces[0][1])
            for sep, ref in pieces[1:]:
                keys.append(sep)
                kids.append(ref)
        first = node.keys[0] if node.keys else None  # type: ignore[union-attr]
        return self._write_inner(keys, kids, store, index, first)

    def _write_leaf(self, leaf: Leaf, index: bool, store: Store) -> list[tuple[Any, int]]:
        n = len(leaf.keys)
        if n > 48:
            # Estimate the entry size from a sample and cut page-sized pieces,
            # rather than encoding a big leaf only to find it does not fit.
            sample = Leaf(leaf.keys[:8] + leaf.keys[-8:],
                          None if leaf.vals is None else leaf.vals[:8] + leaf.vals[-8:])
            per_entry = len(encode_node(sample, index)) / 16.0
            per = max(1, int(PAGE_PAYLOAD * 0.94 / per_entry))
            if per < n:
                out: list[tuple[Any, int]] = []
                for lo in range(0, n, per):
                    piece = Leaf(leaf.keys[lo:lo + per],
                                 None if leaf.vals is None else leaf.vals[lo:lo + per], 0, self.epoch)
                    out.extend(self._write_leaf(piece, index, store))
                return out
        data = encode_node(leaf, index)
        if len(data) <= PAGE_PAYLOAD or n <= 1:
            leaf.ref = store.write_blob(data)
            leaf.epoch = -1
            self.cache.put(leaf)
            return [(leaf.keys[0] if n else None, leaf.ref)]
        half = n // 2
        vals = leaf.vals
        return (self._write_leaf(Leaf(leaf.keys[:half], None if vals is None else vals[:half], 0, self.epoch),
                                 index, store)
                + self._write_leaf(Leaf(leaf.keys[half:], None if vals is None else vals[half:], 0, self.epoch),
                                   index, store))

    def _write_inner(self, keys: list, kids: list, store: Store, index: bool,
                     first: Any) -> list[tuple[Any, int]]:
        node = Inner(keys, kids, 0, -1)
        data = encode_node(node, index)
        n = len(kids)
        if (len(data) <= PAGE_PAYLOAD and n <= INNER_MAX) or n <= 2:
            node.ref = store.write_blob(data)
            self.cache.put(node)
            return [(first, node.ref)]
        parts = max(2, min(n // 2, -(-len(data) * 21 // (PAGE_PAYLOAD * 20)), ), -(-n // INNER_MAX))
        step = -(-n // parts)
        out: list[tuple[Any, int]] = []
        for lo in range(0, n, step):
            # Kids lo..lo+step-1 and the keys between them; keys[lo-1] moves up.
            sub_kids = kids[lo:lo + step]
            sub_keys = keys[lo:lo + len(sub_kids) - 1]
            sep = first if lo == 0 else keys[lo - 1]
            out.extend(self._write_inner(sub_keys, sub_kids, store, index, sep))
        return out
