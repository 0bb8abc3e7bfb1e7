import shutil

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _clean_media():
    """Each test starts and ends with an empty media directory."""
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def reporter(db):
    return UserFactory(username="riley")


@pytest.fixture
def outsider(db):
    """Another reporter, who must never see the first one's reports."""
    return UserFactory(username="olive")


@pytest.fixture
def reporter_client(client, reporter):
    client.force_login(reporter)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.fixture
def api_client():
    return APIClient()


def api_login(client: APIClient, user) -> APIClient:
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client
