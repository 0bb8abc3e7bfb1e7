"""Fixtures for the background side: the staff around cases (with e-mail addresses, so that
notifications go out by mail too), and the resource directory loaded from its data file."""

import pytest

from support.resources import resources_load
from tests.support.factories import administrator_user, coordinator_user, worker_user


@pytest.fixture
def coordinator(db):
    return coordinator_user(username="cora", first_name="Cora", email="cora@example.org")


@pytest.fixture
def second_coordinator(db):
    return coordinator_user(username="cole", first_name="Cole", email="cole@example.org")


@pytest.fixture
def worker(db):
    return worker_user(username="wren", first_name="Wren", email="wren@example.org")


@pytest.fixture
def other_worker(db):
    """A support worker assigned to nothing."""
    return worker_user(username="sam", first_name="Sam", email="sam@example.org")


@pytest.fixture
def administrator(db):
    return administrator_user(username="admin", email="admin@example.org")


@pytest.fixture
def resources(db):
    """The directory, loaded from support/data/resources.json as `manage.py load_resources` does."""
    resources_load()
