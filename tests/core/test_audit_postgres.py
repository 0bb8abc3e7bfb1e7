"""On PostgreSQL the audit table refuses UPDATE, DELETE and TRUNCATE in the database itself,
whoever asks (the migration's triggers, recreated here as the migration makes them)."""

import importlib

import pytest
from django.db import DatabaseError, connection, transaction

from core.audit import audit_record
from core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's triggers"),
]
MIGRATION = importlib.import_module("core.migrations.0002_audit_append_only")


@pytest.fixture
def guarded():
    with connection.cursor() as cursor:
        for statement in [*MIGRATION.POSTGRES_REVERSE, *MIGRATION.POSTGRES]:
            cursor.execute(statement)
    audit_record(actor=UserFactory(), action="test.event")
    return AuditEvent.objects.get(action="test.event")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core_auditevent SET action = 'forged'",
        "DELETE FROM core_auditevent",
        "TRUNCATE core_auditevent",
    ],
)
def test_the_database_refuses_to_change_an_audit_event(guarded, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    guarded.refresh_from_db()
    assert guarded.action == "test.event"
