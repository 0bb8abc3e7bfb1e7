"""Rows inserted together (core.inserts): as save() would store them, all or none, and on
PostgreSQL in one statement; a filing stores its report and wrapped data key that way."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import signals
from django.test.utils import CaptureQueriesContext

from core.audit import audit_record
from core.inserts import insert_together
from core.keys import data_key, data_key_new
from core.models import AuditEvent, KeyWrap, User
from incidents.models import Report
from incidents.sealing import open_field
from tests.factories import UserFactory, make_report

pytestmark = pytest.mark.django_db


def _report(reporter: User, **overrides) -> Report:
    values = {
        "reporter": reporter,
        "role": "candidate",
        "region": "eastern",
        "channels": ["email"],
        "municipality_sealed": b"\x01sealed municipality",
        "contact_sealed": b"\x00\xffsealed contact",
    }
    values.update(overrides)
    return Report(**values)


def _wrap(owner: Report, **overrides) -> KeyWrap:
    values = {
        "owner_type": "incidents.report",
        "owner_id": owner.public_id,
        "recipient_kind": "keyring",
        "recipient": "system",
        "kek_id": "k1",
        "wrapped": b"\x01wrapped key bytes",
    }
    values.update(overrides)
    return KeyWrap(**values)


def _stored(instance) -> dict:
    """The row as the database holds it, bytes as bytes."""
    row = type(instance).objects.values().get(pk=instance.pk)
    return {k: bytes(v) if isinstance(v, memoryview) else v for k, v in row.items()}


def _columns(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_rows_inserted_together_hold_what_save_would_have_stored():
    reporter = UserFactory()
    saved, together = _report(reporter), _report(reporter)
    saved.save()
    insert_together(together, _wrap(together))
    for instance in (saved, together):
        assert _stored(instance) == _columns(instance)
    ignored = {"id", "public_id", "created_at", "updated_at"}
    assert {k: v for k, v in _stored(together).items() if k not in ignored} == {
        k: v for k, v in _stored(saved).items() if k not in ignored
    }
    assert together.created_at is not None
    assert together.updated_at is not None


def test_the_first_row_gets_its_primary_key_and_every_row_is_marked_stored():
    report = _report(UserFactory())
    wrap = _wrap(report)
    insert_together(report, wrap)
    assert report.pk == Report.objects.get(public_id=report.public_id).pk
    assert KeyWrap.objects.filter(owner_id=report.public_id).count() == 1
    for instance in (report, wrap):
        assert not instance._state.adding
        assert instance._state.db == "default"


def test_on_postgresql_the_rows_go_in_one_statement_and_on_sqlite_one_each():
    report = _report(UserFactory())
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        insert_together(report, _wrap(report), _wrap(report, recipient="second"))
    statements = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert len(statements) == 1
        assert statements[0].startswith("WITH")
        assert statements[0].count("INSERT INTO") == 3
    else:
        assert len(statements) == 3
    assert KeyWrap.objects.filter(owner_id=report.public_id).count() == 2


def test_values_are_bound_never_written_into_the_statement():
    report = _report(UserFactory())
    hostile = "x'); DELETE FROM core_keywrap; --"
    insert_together(report, _wrap(report, recipient=hostile))
    assert KeyWrap.objects.get(owner_id=report.public_id).recipient == hostile


def test_when_one_row_is_refused_none_of_them_is_stored():
    first = _report(UserFactory(), submission_digest="d" * 64)
    first.save()
    # The report is refused (its digest is taken): on SQLite its insert runs after the wrap's.
    duplicate = _report(UserFactory(), submission_digest="d" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together(duplicate, _wrap(duplicate))
    assert not KeyWrap.objects.filter(owner_id=duplicate.public_id).exists()
    assert Report.objects.count() == 1


def test_called_outside_a_transaction_a_refused_row_still_leaves_nothing_stored(committed_db):
    reporter = UserFactory()
    first = _report(reporter)
    insert_together(first, _wrap(first))
    second = _report(reporter)
    with pytest.raises(IntegrityError):
        insert_together(second, _wrap(second), _wrap(first))  # the first's wrap again
    assert not Report.objects.filter(public_id=second.public_id).exists()
    assert KeyWrap.objects.count() == 1


def test_an_instance_already_stored_is_refused_and_nothing_is_added():
    report = _report(UserFactory())
    report.save()
    with pytest.raises(ValueError, match="stored already"):
        insert_together(report, _wrap(report))
    assert not KeyWrap.objects.exists()
    assert Report.objects.count() == 1


@pytest.mark.parametrize("signal", [signals.pre_save, signals.post_save])
def test_a_model_with_save_signal_receivers_is_refused(signal):
    report = _report(UserFactory())

    def receiver(**kwargs) -> None:
        raise AssertionError("not reached: the insert is refused before it")

    signal.connect(receiver, sender=KeyWrap)
    try:
        with pytest.raises(TypeError, match="signal receivers"):
            insert_together(report, _wrap(report))
    finally:
        signal.disconnect(receiver, sender=KeyWrap)
    assert not Report.objects.exists()
    assert not KeyWrap.objects.exists()


def test_a_model_with_its_own_save_is_refused():
    with pytest.raises(TypeError, match="its own way"):  # User, and AuditEvent's append-only save
        insert_together(User(username="nobody"))
    event = AuditEvent(seq=1, action="test", prev_hash="0" * 64, hash="1" * 64)
    with pytest.raises(TypeError, match="its own way"):
        insert_together(event)
    assert not User.objects.filter(username="nobody").exists()
    assert not AuditEvent.objects.exists()


def test_a_new_data_key_is_stored_only_with_its_owner():
    report = _report(UserFactory())
    dek, wrap = data_key_new(report)
    assert not KeyWrap.objects.exists()
    insert_together(report, wrap)
    assert data_key(Report.objects.get(pk=report.pk)) == dek  # read back and unwrapped
    assert dek not in _stored(wrap := KeyWrap.objects.get())["wrapped"]
    assert wrap.owner_id == report.public_id


def test_a_filing_writes_its_wrapped_key_in_the_reports_own_insert_on_postgresql():
    reporter = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        report = make_report(reporter, narrative="They followed me home from the meeting.")
    statements = [q["sql"] for q in queries.captured_queries]
    wrap_inserts = [s for s in statements if 'INSERT INTO "core_keywrap"' in s]
    assert len(wrap_inserts) == 1
    if connection.vendor == "postgresql":
        assert wrap_inserts[0].startswith("WITH")
        assert 'INSERT INTO "incidents_report"' in wrap_inserts[0]
    else:
        assert wrap_inserts[0].startswith('INSERT INTO "core_keywrap"')
    stored = Report.objects.get(pk=report.pk)
    incident = stored.incidents.get()
    assert open_field(data_key(stored), incident, "narrative") == (
        "They followed me home from the meeting."
    )


def test_a_refused_filing_stores_neither_report_nor_key():
    reporter = UserFactory()
    before = KeyWrap.objects.count()

    def failing_request() -> None:
        with transaction.atomic():
            report = make_report(reporter)
            audit_record(actor=reporter, action="test.after", obj=report)
            raise RuntimeError("the request failed after filing")

    with pytest.raises(RuntimeError, match="failed after filing"):
        failing_request()
    assert KeyWrap.objects.count() == before
    assert not Report.objects.filter(reporter=reporter).exists()


def test_on_a_database_that_returns_no_columns_the_first_rows_new_id_is_read_back(monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite before 3.35 returns no columns from an insert; PostgreSQL always does")
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    report = _report(UserFactory())
    with CaptureQueriesContext(connection) as queries:
        insert_together(report, _wrap(report))
    assert all("RETURNING" not in q["sql"] for q in queries.captured_queries)
    assert report.pk == Report.objects.get(public_id=report.public_id).pk
