"""Property-based differential tests of data changes: contents, rowcount and constraint errors."""

from __future__ import annotations

from hypothesis import given

from .harness import Pair
from .settings import examples
from .strategies import DmlScenario, dml_scenarios


@examples(ci=350)
@given(scn=dml_scenarios())
def test_dml_sequences_match_sqlite(scn: DmlScenario) -> None:
    """INSERT (OR REPLACE/IGNORE/..., upserts), UPDATE, DELETE, transactions: same contents and changes."""
    with Pair() as p:
        for stmt in scn.setup:
            p.setup(stmt)
        for name in scn.tables:
            p.check_table(name)
        for step in scn.steps:
            p.dml(step.stmt, scn.tables, returning=step.returning, check_lastrowid=step.is_insert)
