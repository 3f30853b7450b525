"""db.sync outside the browser: the JS package under Node syncing with the demo's terndb serve."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def test_db_sync_from_node_pushes_pulls_and_reports_a_refused_write(demo_server, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (20+) is required")
    r = subprocess.run([node, os.path.join(HERE, "sync_node.mjs"), demo_server.url, demo_server.tokens["ann"],
                        str(tmp_path / "ann-node")], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["round"]["pending"] == 0
    assert len(out["rejected"]) == 1 and "not allowed" in out["rejected"][0]
    assert out["last"]["online"] is True and out["last"]["lastSync"]
    ids = {row["id"] for row in out["rows"]}
    assert "node-1" in ids and "node-forged" not in ids
    assert {"seed-1", "seed-2", "seed-3"} <= ids and "seed-4" not in ids     # Bob's private item stays
    st, snap = demo_server.post("/v1/pull", {"v": 1, "client": "probe-node", "cursor": None,
                                             "subscriptions": [{"table": "item"}]}, "ann")
    assert "Written from Node" in json.dumps(snap) and "node-forged" not in json.dumps(snap)
