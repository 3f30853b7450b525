"""HLC, tokens, value encoding and subscription normalization."""

from __future__ import annotations

import time

import pytest

from .harness import defer_import

defer_import(globals(), "terndb.server", 'auth')
defer_import(globals(), "terndb.sync", 'hlc', 'protocol as P')



def test_hlc_orders_by_time_counter_node_and_survives_clock_steps():
    now = [1000.0]
    c = hlc.Clock("n1", lambda: now[0])
    a = c.tick()
    b = c.tick()
    assert a < b and hlc.parse(b)[1] == 1
    now[0] = 999.0          # the wall clock steps back: stamps still grow
    d = c.tick()
    assert d > b
    c.observe(hlc.make(5_000_000, 3, "other"))
    e = c.tick()
    assert e > hlc.make(5_000_000, 3, "other")
    assert hlc.parse(e)[:2] == (5_000_000, 4)
    # Restart from the persisted last stamp.
    c2 = hlc.Clock("n1", lambda: 0.0, c.last())
    assert c2.tick() > e
    with pytest.raises(ValueError):
        hlc.parse("garbage")


def test_hlc_ties_broken_by_node():
    assert hlc.make(5, 0, "a") < hlc.make(5, 0, "b") < hlc.make(5, 1, "a") < hlc.make(6, 0, "a")


def test_jwt_roundtrip_expiry_forgery_and_algorithm():
    tok = auth.sign({"sub": "u1", "exp": time.time() + 60}, "s3cret")
    assert auth.verify(tok, "s3cret")["sub"] == "u1"
    with pytest.raises(auth.TokenError, match="signature"):
        auth.verify(tok, "other")
    h, p, s = tok.split(".")
    forged = auth._b64e(b'{"sub":"admin","exp":9999999999}')
    with pytest.raises(auth.TokenError, match="signature"):
        auth.verify(f"{h}.{forged}.{s}", "s3cret")
    with pytest.raises(auth.TokenError, match="expired"):
        auth.verify(auth.sign({"sub": "u1", "exp": time.time() - 5}, "s3cret"), "s3cret")
    none_alg = auth._b64e(b'{"alg":"none","typ":"JWT"}')
    with pytest.raises(auth.TokenError, match="HS256"):
        auth.verify(f"{none_alg}.{p}.", "s3cret")
    for bad in ("", "a.b", "a.b.c", "x" * 9000):
        with pytest.raises(auth.TokenError):
            auth.verify(bad, "s3cret")


def test_values_roundtrip():
    for v in (None, 0, -2**63, 2**63 - 1, 1.5, "text", "", b"\x00\xff", float("inf"), float("-inf")):
        assert P.dec(P.enc(v)) == v
    assert P.dec(P.enc(float("nan"))) != P.dec(P.enc(float("nan")))
    with pytest.raises(ValueError):
        P.dec([1])
    with pytest.raises(ValueError):
        P.dec({"x": 1})


def test_subscriptions_normalized_and_limited():
    a = P.normalize_subscriptions([{"table": "Item", "where": {"b": ["y", "x"], "A": 1}}, "other"])
    b = P.normalize_subscriptions(["other", {"table": "item", "where": {"a": [1], "b": ["x", "y"]}},
                                   "OTHER"])
    assert a == b and P.subscriptions_hash(a) == P.subscriptions_hash(b)
    assert {"table": "item", "where": {"a": [1], "b": ["x", "y"]}} in a and len(a) == 2
    with pytest.raises(ValueError, match="too many"):
        P.normalize_subscriptions(["t"] * 3, limit=2)
    for bad in ([{"where": {}}], [{"table": "t", "where": "a = 1"}], [{"table": "t", "where": {"a": []}}], "t"):
        with pytest.raises(ValueError):
            P.normalize_subscriptions(bad)
