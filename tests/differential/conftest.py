"""Hypothesis profiles for the differential tests.

* ``ci`` (default): deterministic (``derandomize=True``), a fixed, small number
  of examples per test so the whole differential suite stays well under ~90 s
  on a 2-core machine.
* ``deep``: many more examples, random seeds, for bug hunting::

      TERNDB_HYPOTHESIS_PROFILE=deep .venv/bin/pytest tests/differential

``TERNDB_HYPOTHESIS_EXAMPLES=N`` overrides the example count of either profile.
The profiles are applied per test (see :data:`PROFILE`), never loaded
globally, so other Hypothesis tests in the repository are unaffected.
"""

from __future__ import annotations

from .settings import PROFILE, PROFILE_NAME  # noqa: F401  (registers the profiles; re-exported)
