"""Property-based differential tests of queries: TernDB must answer like sqlite3."""

from __future__ import annotations

from hypothesis import given

from .harness import Pair
from .settings import examples
from .strategies import Scenario, expression_batches, query_scenarios, typed_row_scenarios


def _run_scenario(scn: Scenario) -> None:
    with Pair() as p:
        for stmt in scn.setup:
            p.setup(stmt)
        for q in scn.queries:
            p.check_query(q)


@examples(ci=450)
@given(scn=query_scenarios())
def test_queries_match_sqlite(scn: Scenario) -> None:
    """Random schemas, data, indexes, views and queries (joins, aggregates, subqueries, compounds, CTEs)."""
    _run_scenario(scn)


@examples(ci=300)
@given(scn=typed_row_scenarios())
def test_affinity_expressions_match_sqlite(scn: Scenario) -> None:
    """Expressions over one column of each declared type (affinity conversions)."""
    _run_scenario(scn)


@examples(ci=1000)
@given(q=expression_batches())
def test_constant_expressions_match_sqlite(q) -> None:  # noqa: ANN001
    """Constant expressions: operators, CAST, CASE, LIKE/GLOB and the scalar functions."""
    with Pair() as p:
        p.check_query(q)
