"""Copy-on-write B+trees against a dict/sorted-list oracle."""

from __future__ import annotations

import random

from terndb.btree.tree import NodeCache, Trees
from terndb.btree.tree import LEAF_MAX
from terndb.store.pager import Store
from terndb.vfs.memory import MemoryBackend


def make() -> tuple[Store, Trees]:
    store = Store(MemoryBackend())
    return store, Trees(NodeCache(store), epoch=1)


def items(t: Trees, root) -> list:
    return [(k, v) for leaf in t.leaves(root) for k, v in zip(leaf.keys, leaf.vals)]


def test_random_inserts_deletes_match_oracle() -> None:
    rnd = random.Random(1)
    _, t = make()
    root = 0
    oracle: dict[int, list] = {}
    for step in range(20000):
        k = rnd.randrange(5000)
        if k in oracle and rnd.random() < 0.5:
            root = t.delete(root, k)
            del oracle[k]
        elif k in oracle:
            root = t.replace(root, k, [step])
            oracle[k] = [step]
        else:
            root = t.insert(root, k, [k])
            oracle[k] = [k]
    assert items(t, root) == sorted(oracle.items())
    for k in range(0, 5000, 7):
        assert t.get(root, k) == oracle.get(k)


def test_sequential_appends_fill_leaves() -> None:
    _, t = make()
    root = 0
    for k in range(10 * LEAF_MAX):
        root = t.insert(root, k, [k])
    leaves = list(t.leaves(root))
    assert sum(len(leaf.keys) for leaf in leaves) == 10 * LEAF_MAX
    assert max(len(leaf.keys) for leaf in leaves) == LEAF_MAX
    assert len(leaves) <= 11


def test_old_root_is_an_unchanged_snapshot() -> None:
    store, t = make()
    root = 0
    for k in range(1000):
        root = t.insert(root, k, [k])
    store.begin()
    ref = t.persist(root, False, store)
    store.commit()
    w = Trees(t.cache, epoch=2)
    new = ref
    for k in range(1000, 1500):
        new = w.insert(new, k, [k])
    for k in range(0, 1000, 3):
        new = w.delete(new, k)
    assert [k for k, _ in items(t, ref)] == list(range(1000))
    assert len(items(w, new)) == 1500 - len(range(0, 1000, 3))


def test_same_epoch_mutates_in_place_new_epoch_copies() -> None:
    _, t = make()
    root = t.insert(0, 1, [1])
    root2 = t.insert(root, 2, [2])
    assert root2 is root
    t.epoch = 99
    root3 = t.insert(root2, 3, [3])
    assert root3 is not root2
    assert root2.keys == [1, 2]


def test_failed_insert_or_delete_leaves_tree_and_free_list_untouched() -> None:
    store, t = make()
    root = 0
    for k in range(500):
        root = t.insert(root, k, [k])
    store.begin()
    ref = t.persist(root, False, store)
    store.commit()
    w = Trees(t.cache, epoch=5)
    try:
        w.insert(ref, 10, [0])
    except KeyError:
        pass
    try:
        w.delete(ref, 100000)
    except KeyError:
        pass
    assert w.freed == []


def test_index_keys_and_seek() -> None:
    _, t = make()
    root = 0
    keys = sorted([[1, v, rid] for rid, v in enumerate(random.Random(3).sample(range(10000), 3000))])
    for key in random.Random(4).sample(keys, len(keys)):
        root = t.insert(root, key, None, True)
    got = [k for leaf in t.leaves(root) for k in leaf.keys]
    assert got == keys
    start = keys[1234][:2]
    leaf, i = next(t.seek(root, start))
    assert leaf.keys[i] == keys[1234]


def test_delete_everything_empties_the_tree() -> None:
    _, t = make()
    root = 0
    ks = list(range(3000))
    for k in ks:
        root = t.insert(root, k, [k])
    random.Random(5).shuffle(ks)
    for k in ks:
        root = t.delete(root, k)
    assert root == 0


def test_persisted_nodes_fit_pages_and_read_back() -> None:
    store, t = make()
    root = 0
    rows = {k: [k, "x" * (k % 300), k * 1.5] for k in range(20000)}
    for k, v in rows.items():
        root = t.insert(root, k, v)
    store.begin()
    ref = t.persist(root, False, store)
    store.commit()
    fresh = Trees(NodeCache(store), epoch=7)
    got = dict((k, v) for leaf in fresh.leaves(ref) for k, v in zip(leaf.keys, leaf.vals))
    assert got == rows
    # Every stored node fits one page (rows are far smaller than a page).
    assert store.next_pgno < 20000 * 180 / 4080 * 1.6
    for leaf in fresh.leaves(ref):
        from terndb.btree.tree import encode_node
        from terndb.store.format import PAGE_PAYLOAD
        assert len(encode_node(leaf, False)) <= PAGE_PAYLOAD


def test_persist_splits_big_index_inner_nodes() -> None:
    store, t = make()
    root = 0
    keys = [[2, "k" * 200 + str(i), i] for i in range(5000)]
    for key in keys:
        root = t.insert(root, key, None, True)
    store.begin()
    ref = t.persist(root, True, store)
    store.commit()
    fresh = Trees(NodeCache(store), epoch=7)
    assert [k for leaf in fresh.leaves(ref) for k in leaf.keys] == sorted(keys)
    leaf, i = next(fresh.seek(ref, keys[3000][:2]))
    assert leaf.keys[i] == keys[3000]
