"""Issue 4, tasks: each takes ids, is idempotent (a second run changes nothing), is queued after
commit (or in the same transaction, when the queue is in the database) with the ids
alone, and the schedule and cluster settings are as the design says."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule, Task
from django_q.signing import SignedPackage
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.tasks import enqueue
from incidents import services as report_services
from support import tasks
from support.models import (
    Case,
    CaseEvent,
    EmailStatus,
    EscalationStep,
    Match,
    Notification,
    PatternAlert,
    PatternLink,
)
from support.notifications import notify
from tests.factories import UserFactory, incident_input, make_report
from tests.security.support import report_payload, token_client
from tests.support.factories import make_case

pytestmark = pytest.mark.django_db


def _state() -> dict:
    """Everything a task may write, as counts and values a second run must leave as they are."""
    return {
        "notifications": sorted(
            Notification.objects.values_list(
                "recipient_id", "key", "kind", "email_status", "email_attempts"
            )
        ),
        "steps": EscalationStep.objects.count(),
        "events": CaseEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "matches": sorted(
            Match.objects.values_list("pk", "case_id", "resource_id", "score", "status")
        ),
        "alerts": PatternAlert.objects.count(),
        "links": PatternLink.objects.count(),
        "cases": sorted(
            Case.objects.values_list(
                "pk",
                "severity",
                "response_due_at",
                "next_step_at",
                "escalation_level",
                "triaged_at",
            )
        ),
        "outbox": [(m.subject, m.body, tuple(m.to)) for m in mail.outbox],
    }


@pytest.fixture
def reports(resources, coordinator, worker):
    """Two consenting reporters naming the same account, one of them in danger: triage has
    severity, a critical alert, matches and a pattern to work out. Triage has not run yet."""
    first = make_report(
        consent_matching=True,
        perpetrator_identifiers=["@Same_Handle"],
        risk_flags=["imminent_danger"],
    )
    second = make_report(consent_matching=True, perpetrator_identifiers=["@same_handle"])
    return first, second


def test_triage_run_twice_changes_nothing_the_second_time(
    reports, django_capture_on_commit_callbacks
):
    before = _state()
    with django_capture_on_commit_callbacks(execute=True):
        assert [tasks.case_triage(report.case.pk) for report in reports] == [True, True]
    after_first = _state()
    assert after_first != before
    assert after_first["matches"]
    assert after_first["links"] == 2
    assert after_first["outbox"]

    with django_capture_on_commit_callbacks(execute=True):
        assert [tasks.case_triage(report.case.pk) for report in reports] == [True, True]

    assert _state() == after_first


def test_triage_of_a_case_that_is_gone_does_nothing(db):
    before = _state()

    assert tasks.case_triage(987654) is False

    assert _state() == before


def test_the_sweep_task_run_twice_changes_nothing_the_second_time(
    coordinator, worker, django_capture_on_commit_callbacks
):
    case = make_case(coordinator=coordinator, workers=(worker,))
    past = timezone.now() - timedelta(minutes=1)
    Case.objects.filter(pk=case.pk).update(response_due_at=past, next_step_at=past)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.escalation_sweep() == 1
    after_first = _state()
    assert after_first["steps"] == 1
    assert [m.to for m in mail.outbox] == [["wren@example.org"]]

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.escalation_sweep() == 0

    assert _state() == after_first


def test_the_sweep_task_retries_failed_emails_once_each(
    coordinator, django_capture_on_commit_callbacks
):
    notify(recipients=[coordinator], kind="reminder", case=None, key="k1")
    note = Notification.objects.get()
    Notification.objects.filter(pk=note.pk).update(
        email_status=EmailStatus.FAILED, email_attempts=1, email_error="SMTPException"
    )

    with django_capture_on_commit_callbacks(execute=True):
        tasks.escalation_sweep()
    after_first = _state()
    note.refresh_from_db()
    assert (note.email_status, note.email_attempts, note.email_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        tasks.escalation_sweep()

    assert _state() == after_first


def test_the_email_task_run_twice_sends_once(coordinator):
    notify(recipients=[coordinator], kind="reminder", case=None, key="k1")  # not yet committed
    note = Notification.objects.get()
    assert mail.outbox == []

    assert tasks.notification_email(note.pk) == "sent"
    after_first = _state()
    assert tasks.notification_email(note.pk) == "skipped"

    assert _state() == after_first
    assert len(mail.outbox) == 1
    assert tasks.notification_email(987654) == "skipped"


def test_the_tasks_open_no_sealed_field(reports, django_capture_on_commit_callbacks):
    """They work from ids and plaintext triage fields only: opening a sealed value fails here."""
    past = timezone.now() - timedelta(minutes=1)
    Case.objects.update(response_due_at=past, next_step_at=past)
    refuse = mock.patch(
        "core.crypto.sealed.open_bytes", side_effect=AssertionError("a task opened a sealed field")
    )

    with refuse as opened, django_capture_on_commit_callbacks(execute=True):
        for report in reports:
            tasks.case_triage(report.case.pk)
        tasks.escalation_sweep()
        for pk in Notification.objects.values_list("pk", flat=True):
            tasks.notification_email(pk)

    assert opened.call_count == 0
    assert Match.objects.exists()
    assert PatternLink.objects.exists()
    assert mail.outbox


# Queued after commit, by id only.


@pytest.mark.parametrize("bad", ["1", 1.0, None, b"1", [1]], ids=repr)
def test_enqueue_refuses_anything_but_integer_ids(bad, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(TypeError):
        enqueue("support.tasks.case_triage", bad)

    assert callbacks == []


def test_enqueue_refuses_a_model_instance(coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(TypeError):
        enqueue("support.tasks.notification_email", coordinator)

    assert callbacks == []


def test_submission_queues_triage_after_commit_with_the_case_id_alone(
    db, django_capture_on_commit_callbacks
):
    with mock.patch("core.tasks.async_task") as queued:
        with django_capture_on_commit_callbacks() as callbacks:
            report = make_report()
            assert queued.call_count == 0  # nothing before the commit
        assert len(callbacks) == 1

        callbacks[0]()

    queued.assert_called_once_with("support.tasks.case_triage", report.case.pk)


@pytest.fixture
def queue_in_the_database():
    """django-q2 as deployed without Redis: the ORM broker on this database, a cluster running
    the tasks (not inline, as the test settings have it)."""
    with mock.patch.object(Conf, "ORM", "default"), mock.patch.object(Conf, "SYNC", False):
        yield


def _queued() -> list:
    return list(OrmQ.objects.values_list("payload", flat=True))


def test_with_the_queue_in_the_database_filing_stores_its_task_in_its_own_transaction(
    queue_in_the_database, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        report = make_report()
        assert len(_queued()) == 1  # written before the commit, in the same transaction

    assert callbacks == []  # nothing left to do after the commit
    task = SignedPackage.loads(_queued()[0])
    assert (task["func"], task["args"]) == ("support.tasks.case_triage", (report.case.pk,))


def test_with_the_queue_in_the_database_a_rolled_back_filing_leaves_no_task(
    queue_in_the_database,
):
    def file_then_fail() -> None:
        with transaction.atomic():
            make_report()
            raise RuntimeError("the request failed after filing")

    with pytest.raises(RuntimeError):
        file_then_fail()

    assert _queued() == []
    assert not Case.objects.exists()


def test_with_redis_the_task_waits_for_the_commit(django_capture_on_commit_callbacks):
    with (
        mock.patch.object(Conf, "ORM", None),
        mock.patch.object(Conf, "SYNC", False),
        mock.patch("core.tasks.async_task") as queued,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        make_report()
        assert queued.call_count == 0

    assert len(callbacks) == 1


def test_a_new_incident_queues_triage_again_after_commit(db, django_capture_on_commit_callbacks):
    report = make_report()
    with (
        mock.patch("core.tasks.async_task") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        report_services.incident_add(
            actor=report.reporter, report=report, data=incident_input(abuse_types=["stalking"])
        )

    queued.assert_called_once_with("support.tasks.case_triage", report.case.pk)


def test_django_q_stores_only_the_id_and_a_plain_result_of_each_task(
    coordinator, django_capture_on_commit_callbacks
):
    reporter = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(reporter).post(
            "/api/v1/reports/", report_payload(risk_flags=["imminent_danger"]), format="json"
        )
    assert response.status_code == 201
    case = Case.objects.get(report__public_id=response.json()["id"])

    stored = {task.func: task for task in Task.objects.all()}
    assert set(stored) == {"support.tasks.case_triage", "support.tasks.notification_email"}
    triage = stored["support.tasks.case_triage"]
    assert (triage.args, triage.kwargs, triage.result, triage.success) == (
        (case.pk,),
        {},
        True,
        True,
    )
    email = stored["support.tasks.notification_email"]
    note = Notification.objects.get(recipient=coordinator)
    assert (email.args, email.kwargs, email.result) == ((note.pk,), {}, "sent")


def test_an_anonymous_submission_queues_triage_with_the_case_id(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post("/api/v1/anonymous/reports/", report_payload(), format="json")
    assert response.status_code == 201
    case = Case.objects.get(report__public_id=response.json()["id"])

    triage = Task.objects.get(func="support.tasks.case_triage")
    assert triage.args == (case.pk,)
    assert Case.objects.get(pk=case.pk).triaged_at is not None


# Schedules and cluster settings.


def test_setup_schedules_twice_leaves_one_sweep_every_minute(db):
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    call_command("setup_schedules", stdout=out)

    schedule = Schedule.objects.get(name="escalation sweep")
    assert Schedule.objects.filter(name="escalation sweep").count() == 1
    assert Schedule.objects.count() == 2  # and the hourly statistics refresh
    assert schedule.func == "support.tasks.escalation_sweep"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)
    assert "Created schedule" in out.getvalue()
    assert "Kept schedule" in out.getvalue()


def test_setup_schedules_repairs_a_changed_sweep_schedule(db):
    Schedule.objects.create(
        name="escalation sweep",
        func="support.tasks.escalation_sweep",
        schedule_type=Schedule.HOURLY,
        repeats=0,
    )

    call_command("setup_schedules", stdout=StringIO())

    schedule = Schedule.objects.get(name="escalation sweep")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)


def test_a_task_is_retried_only_after_it_could_have_timed_out():
    assert settings.Q_CLUSTER["retry"] > settings.Q_CLUSTER["timeout"]
    assert Conf.RETRY > Conf.TIMEOUT


def test_tests_run_tasks_inline():
    assert settings.Q_CLUSTER["sync"] is True
