"""Fixtures for the staff side: the people around one case, built through the real services."""

import pytest

from support.models import CaseStatus
from tests.support.factories import (
    administrator_user,
    analyst_user,
    coordinator_user,
    make_case,
    superuser_user,
    worker_user,
)


@pytest.fixture
def coordinator(db):
    return coordinator_user(username="cora", first_name="Cora")


@pytest.fixture
def worker(db):
    """The support worker assigned to `case`."""
    return worker_user(username="wren", first_name="Wren")


@pytest.fixture
def other_worker(db):
    """A support worker who is not assigned to `case`."""
    return worker_user(username="sam", first_name="Sam")


@pytest.fixture
def analyst(db):
    return analyst_user(username="ana")


@pytest.fixture
def administrator(db):
    return administrator_user(username="admin")


@pytest.fixture
def superuser(db):
    """A superuser without a case role."""
    return superuser_user(username="root")


@pytest.fixture
def case(reporter, coordinator, worker):
    """A triaged case of `reporter`'s report, assigned to `worker`."""
    return make_case(
        reporter, coordinator=coordinator, workers=(worker,), status=CaseStatus.TRIAGED
    )
