import importlib
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from core.crypto.keyring import clear_keyring_cache
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _clean_media():
    """Each test starts and ends with an empty media directory."""
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in French leaves French active in the thread; each test starts in English."""
    yield
    translation.deactivate()


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


@pytest.fixture(autouse=True)
def _force_login_with_second_factor(request, monkeypatch):
    """Tests sign staff in with `client.force_login` as if they had also given a code: each gets
    a confirmed authenticator device, and the session counts as verified. Tests of the second
    factor itself mark themselves `without_second_factor` and go through the real steps."""
    if request.node.get_closest_marker("without_second_factor"):
        return
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core import second_factor

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if second_factor.required_for(user):
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


_AUDIT_MIGRATION = importlib.import_module("core.migrations.0002_audit_append_only")


@pytest.fixture
def committed_db(transactional_db):
    """A database whose writes are committed (for raw scans of it, or a live server).

    The audit table refuses DELETE (and on PostgreSQL TRUNCATE) through triggers, which would
    also stop Django from flushing the database after a transactional test. So the audit rows
    are removed here with the triggers lifted only for that; the row triggers come back at once.
    PostgreSQL's flush is a TRUNCATE, so its statement trigger stays off for the rest of the run
    (tests/core/test_audit_postgres.py checks the whole set in a transaction of its own).
    """
    yield
    lift, restore = {
        "sqlite": (_AUDIT_MIGRATION.SQLITE_REVERSE, _AUDIT_MIGRATION.SQLITE),
        "postgresql": (_AUDIT_MIGRATION.POSTGRES_REVERSE, _AUDIT_MIGRATION.POSTGRES),
    }[connection.vendor]
    with connection.cursor() as cursor:
        for statement in lift:
            cursor.execute(statement)
        cursor.execute("DELETE FROM core_auditevent")
        for statement in restore:
            if "TRUNCATE" not in statement:
                cursor.execute(statement)


@pytest.fixture
def keyring_file(settings, tmp_path) -> Path:
    """A fresh, writable keyring file for this test only (created on first use)."""
    path = tmp_path / "keys" / "keyring.json"
    settings.RECOURSE_KEYRING = None
    settings.RECOURSE_KEYRING_FILE = str(path)
    settings.RECOURSE_CREATE_KEYRING = True
    yield path
    clear_keyring_cache()
