import importlib

import pytest
from django.db import connection

_AUDIT_MIGRATION = importlib.import_module("core.migrations.0002_audit_append_only")


@pytest.fixture
def committed_db(transactional_db):
    """A database whose writes are committed to the file (for raw scans of it).

    The audit table refuses DELETE (a trigger), which also stops Django from flushing the database
    after a transactional test; so the audit rows are removed here first, with the trigger lifted
    only for that and put back at once.
    """
    yield
    with connection.cursor() as cursor:
        for statement in _AUDIT_MIGRATION.SQLITE_REVERSE:
            cursor.execute(statement)
        cursor.execute("DELETE FROM core_auditevent")
        for statement in _AUDIT_MIGRATION.SQLITE:
            cursor.execute(statement)
