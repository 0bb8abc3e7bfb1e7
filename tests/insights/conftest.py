"""The people around the statistics: the analyst and every role that must not see them."""

import pytest

from tests.support.factories import (
    administrator_user,
    analyst_user,
    coordinator_user,
    worker_user,
)


@pytest.fixture
def analyst(db):
    return analyst_user(username="ana")


@pytest.fixture
def coordinator(db):
    return coordinator_user(username="cora", first_name="Cora")


@pytest.fixture
def worker(db):
    return worker_user(username="wren", first_name="Wren")


@pytest.fixture
def administrator(db):
    return administrator_user(username="admin")
