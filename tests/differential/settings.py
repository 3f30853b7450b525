"""The Hypothesis settings profiles used by the differential tests (see conftest.py)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

_COMMON = settings(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                           HealthCheck.large_base_example],
)

settings.register_profile(
    "terndb-differential-ci",
    derandomize=True,
    max_examples=100,
    # Shrinking a failure can take minutes; CI reports the (already readable,
    # self-contained) failing scenario instead.  The deep profile shrinks.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    parent=_COMMON,
)
settings.register_profile(
    "terndb-differential-deep",
    max_examples=3000,
    parent=_COMMON,
)

PROFILE_NAME = os.environ.get("TERNDB_HYPOTHESIS_PROFILE", "ci").strip().lower() or "ci"
if PROFILE_NAME not in ("ci", "deep"):
    raise ValueError(f"TERNDB_HYPOTHESIS_PROFILE must be 'ci' or 'deep', not {PROFILE_NAME!r}")
_BASE = settings.get_profile(f"terndb-differential-{PROFILE_NAME}")
PROFILE = _BASE


def examples(ci: int, deep: int | None = None) -> settings:
    """Settings for one test: the active profile with a per-test example count.

    ``ci`` is the count under the CI profile; the deep profile uses ``deep``
    (default: 30x ``ci``).  ``TERNDB_HYPOTHESIS_EXAMPLES`` overrides both.
    """
    override = os.environ.get("TERNDB_HYPOTHESIS_EXAMPLES")
    if override:
        n = int(override)
    elif PROFILE_NAME == "deep":
        n = deep if deep is not None else ci * 30
    else:
        n = ci
    return settings(_BASE, max_examples=n)
