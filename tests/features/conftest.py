import pytest

from .oracle import Pair


@pytest.fixture
def pair():
    p = Pair()
    yield p
    p.close()


@pytest.fixture
def autocommit_pair():
    p = Pair(isolation_level=None)
    yield p
    p.close()
