"""Hypothesis profiles for the sync property tests.

CI runs a modest, derandomized (seeded) example count; ``TERNDB_SYNC_EXAMPLES=500``
(or ``TERNDB_HYPOTHESIS_PROFILE=deep``) runs deeper, with shrinking.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

_COMMON = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture])


def sync_settings(ci: int) -> settings:
    deep = os.environ.get("TERNDB_HYPOTHESIS_PROFILE", "ci").strip().lower() == "deep"
    n = int(os.environ.get("TERNDB_SYNC_EXAMPLES") or (ci * 20 if deep else ci))
    if deep or os.environ.get("TERNDB_SYNC_EXAMPLES"):
        return settings(max_examples=n, **_COMMON)  # type: ignore[arg-type]
    return settings(max_examples=n, derandomize=True,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate], **_COMMON)  # type: ignore[arg-type]
