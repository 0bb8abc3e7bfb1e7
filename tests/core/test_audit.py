"""The audit log: append-only in the model and the database, hash-chained, verified end to end."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.audit import GENESIS, _digest, audit_record, audit_together, audit_verify
from core.errors import DomainError
from core.models import AuditEvent, AuditHead, KeyWrap, User
from incidents import services
from incidents.models import Report
from tests.factories import UserFactory, make_report, report_input

pytestmark = pytest.mark.django_db


def _events(count: int) -> list[AuditEvent]:
    return [
        audit_record(actor=None, action=f"test.step{n}", object_type="thing") for n in range(count)
    ]


def _verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def _tamper(*statements: str) -> None:
    """Raw SQL as an attacker with database access would run it, with the guard triggers gone.
    The test's transaction is rolled back afterwards, triggers included."""
    if connection.vendor != "sqlite":
        pytest.skip("tampering is simulated on SQLite")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER core_auditevent_no_update")
        cursor.execute("DROP TRIGGER core_auditevent_no_delete")
        for statement in statements:
            cursor.execute(statement)


def test_each_event_links_to_the_hash_of_the_one_before():
    events = _events(4)
    assert [event.seq for event in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == GENESIS
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
    assert len({event.hash for event in events}) == 4
    head = AuditHead.objects.get()
    assert (head.length, head.last_hash) == (4, events[-1].hash)


def test_an_event_names_the_actor_and_object_by_public_id():
    user = UserFactory()
    event = audit_record(actor=user, action="thing.touch", obj=user)
    assert event.actor == str(user.public_id)
    assert event.object_type == "core.user"
    assert event.object_id == str(user.public_id)


def test_verify_passes_on_an_intact_chain():
    _events(5)
    assert "5 events verified" in _verify()
    assert audit_verify().ok


def test_verify_passes_on_an_empty_chain():
    assert "0 events verified" in _verify()


def test_the_database_refuses_to_update_an_event():
    event = _events(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'forged' WHERE seq = %s", [event.seq])
    assert AuditEvent.objects.get(seq=event.seq).action == "test.step0"


def test_the_database_refuses_to_delete_an_event():
    event = _events(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE seq = %s", [event.seq])
    assert AuditEvent.objects.filter(seq=event.seq).exists()


def test_queryset_update_and_delete_are_refused_by_the_database():
    _events(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.step0", "test.step1"]


def test_saving_an_existing_event_is_refused():
    event = _events(1)[0]
    event.action = "forged"
    with pytest.raises(PermissionError):
        event.save()
    fresh = AuditEvent.objects.get(seq=event.seq)
    with pytest.raises(PermissionError):
        fresh.save()
    assert AuditEvent.objects.get(seq=event.seq).action == "test.step0"


def test_deleting_an_event_is_refused():
    event = _events(1)[0]
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(seq=event.seq).exists()


@pytest.mark.parametrize(
    "column_value",
    [
        "action = 'report.view'",
        "actor = 'someone-else'",
        "object_type = 'incidents.report'",
        "object_id = '00000000-0000-0000-0000-000000000000'",
        "at = '2020-01-01 00:00:00'",
        "hash = '" + "a" * 64 + "'",
    ],
)
def test_verify_names_an_edited_event(column_value):
    _events(5)
    _tamper(f"UPDATE core_auditevent SET {column_value} WHERE seq = 3")  # noqa: S608 (constants)
    with pytest.raises(CommandError, match=r"broken at event 3\b.*altered"):
        _verify()


def test_verify_names_the_next_event_when_an_edited_event_was_rehashed():
    events = _events(5)
    edited = events[1]
    forged = _digest(
        edited.prev_hash,
        seq=edited.seq,
        at=edited.at.isoformat(),
        actor=edited.actor,
        action="report.view",
        otype=edited.object_type,
        oid=edited.object_id,
    )
    _tamper(
        f"UPDATE core_auditevent SET action = 'report.view', hash = '{forged}' WHERE seq = 2"  # noqa: S608
    )
    with pytest.raises(CommandError, match=r"broken at event 3\b.*link"):
        _verify()


def test_verify_names_an_event_whose_link_was_rewritten():
    _events(5)
    _tamper(f"UPDATE core_auditevent SET prev_hash = '{GENESIS}' WHERE seq = 4")  # noqa: S608 (constants)
    with pytest.raises(CommandError, match=r"broken at event 4\b.*link"):
        _verify()


@pytest.mark.parametrize("deleted", [1, 3])
def test_verify_names_a_deleted_event(deleted):
    _events(5)
    _tamper(f"DELETE FROM core_auditevent WHERE seq = {deleted}")  # noqa: S608 (constants)
    with pytest.raises(CommandError, match=rf"broken at event {deleted}\b.*missing"):
        _verify()


def test_verify_names_a_deleted_last_event():
    _events(5)
    _tamper("DELETE FROM core_auditevent WHERE seq = 5")
    with pytest.raises(CommandError, match=r"broken at event 5\b.*missing"):
        _verify()


def test_verify_names_the_first_of_two_reordered_events():
    _events(5)
    _tamper(
        "UPDATE core_auditevent SET seq = -1 WHERE seq = 2",
        "UPDATE core_auditevent SET seq = 2 WHERE seq = 3",
        "UPDATE core_auditevent SET seq = 3 WHERE seq = -1",
    )
    with pytest.raises(CommandError, match=r"broken at event 2\b"):
        _verify()


def test_verify_names_the_first_of_two_events_whose_contents_were_swapped():
    _events(5)
    _tamper(
        "UPDATE core_auditevent SET action = 'test.step3' WHERE seq = 3",
        "UPDATE core_auditevent SET action = 'test.step2' WHERE seq = 4",
    )
    with pytest.raises(CommandError, match=r"broken at event 3\b"):
        _verify()


def test_verify_reports_how_many_events_held_before_the_break():
    _events(6)
    _tamper("UPDATE core_auditevent SET action = 'x' WHERE seq = 5")
    with pytest.raises(CommandError, match=r"4 events verified before it"):
        _verify()


def test_a_submitted_report_writes_one_submit_event_and_one_case_event_without_content():
    reporter = UserFactory()
    report = make_report(
        reporter,
        narrative="CANARY-narrative",
        municipality="CANARY-town",
        contact_details="CANARY-contact",
        perpetrator_identifiers=["@CANARY_handle"],
    )
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "report.submit",
        "case.open",
    ]
    event = AuditEvent.objects.get(action="report.submit")
    assert event.action == "report.submit"
    assert event.object_type == "incidents.report"
    assert event.object_id == str(report.public_id)
    assert event.actor == str(reporter.public_id)
    row = AuditEvent.objects.values_list().get(action="report.submit")
    assert not any("CANARY" in str(value).upper() for value in row)
    assert audit_verify().ok


def test_a_refused_submission_writes_no_audit_event_and_no_report():
    reporter = UserFactory()
    with pytest.raises(DomainError):
        services.report_submit(actor=reporter, data=report_input(narrative="   "))
    assert not AuditEvent.objects.exists()
    assert not Report.objects.exists()
    assert not KeyWrap.objects.exists()


def test_a_submission_that_fails_after_its_key_was_made_leaves_nothing(keyring_file):
    reporter = UserFactory()
    with pytest.raises(ValidationError, match="role"):
        services.report_submit(actor=reporter, data=report_input(role="not-a-role"))
    assert not AuditEvent.objects.exists()
    assert not Report.objects.exists()
    assert not KeyWrap.objects.exists()


def test_a_submission_that_fails_after_its_audit_event_rolls_the_event_back(monkeypatch):
    users_before = User.objects.count()

    def fail() -> str:
        raise RuntimeError("receipt generator down")

    monkeypatch.setattr(services.receipts, "receipt_generate", fail)
    with pytest.raises(RuntimeError):
        services.report_submit_anonymous(data=report_input())
    assert not AuditEvent.objects.exists()
    assert not AuditHead.objects.filter(length__gt=0).exists()
    assert not Report.objects.exists()
    assert not KeyWrap.objects.exists()
    assert User.objects.count() == users_before
    _events(1)
    assert audit_verify().ok


def _head_statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "core_audithead" in q["sql"]]


def test_events_recorded_together_are_chained_in_order_under_one_lock_of_the_head():
    _events(1)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, audit_together():
        recorded = _events(3)
        assert not AuditEvent.objects.filter(action__startswith="test.step").exclude(seq=1).exists()
    head_statements = _head_statements(queries)
    assert len(head_statements) == 2  # the head read for update, and written once
    assert "FOR UPDATE" in head_statements[0] or connection.vendor == "sqlite"
    stored = list(AuditEvent.objects.order_by("seq"))
    assert [event.seq for event in stored] == [1, 2, 3, 4]
    assert [event.action for event in stored[1:]] == ["test.step0", "test.step1", "test.step2"]
    assert [event.hash for event in recorded] == [event.hash for event in stored[1:]]
    assert AuditHead.objects.get().length == 4
    assert audit_verify().ok


def test_appending_under_the_lock_takes_two_statements_on_postgresql_and_three_on_sqlite():
    _events(1)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, audit_together():
        _events(2)
    statements = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "postgresql":  # the head read for update; events and head in one
        assert len(statements) == 2
        assert statements[1].startswith("WITH")
        assert "core_auditevent" in statements[1]
    else:  # the head read; the events inserted; the head written
        assert len(statements) == 3
    assert AuditHead.objects.get().length == 3
    assert [event.seq for event in AuditEvent.objects.order_by("seq")] == [1, 2, 3]
    assert audit_verify().ok


def test_a_block_that_fails_appends_none_of_its_events():
    _events(1)

    def failing_service() -> None:
        with transaction.atomic(), audit_together():
            _events(2)
            raise RuntimeError("the service failed after recording")

    with pytest.raises(RuntimeError, match="failed after recording"):
        failing_service()
    assert AuditEvent.objects.count() == 1
    assert AuditHead.objects.get().length == 1
    assert audit_verify().ok


def test_a_block_inside_another_leaves_the_appending_to_the_outer_one():
    with transaction.atomic(), audit_together():
        _events(1)
        with audit_together():
            _events(1)
        assert not AuditEvent.objects.exists()
        _events(1)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "test.step0",
        "test.step0",
        "test.step0",
    ]
    assert audit_verify().ok


def test_recording_together_outside_a_transaction_is_refused_and_stores_nothing(committed_db):
    with pytest.raises(RuntimeError, match="inside the service's transaction"):  # noqa: SIM117
        with audit_together():
            _events(1)
    assert not AuditEvent.objects.exists()


def test_a_filing_locks_the_chains_head_once_for_both_of_its_events():
    reporter = UserFactory()
    _events(1)  # the head exists, as on any system that has served once
    with CaptureQueriesContext(connection) as queries:
        make_report(reporter)
    assert len(_head_statements(queries)) == 2
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "test.step0",
        "report.submit",
        "case.open",
    ]
    assert audit_verify().ok
