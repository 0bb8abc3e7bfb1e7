"""SECURITY 3: background work carries no secret. After a full life of reports (filed, triaged,
worked, matched, patterned, swept past every deadline) with canaries planted in every sealed field,
no canary, receipt or token appears in django-q's stored tasks, queue or schedules, in any e-mail,
in the logs, or in the plaintext columns the background side writes (notifications, case events,
match reasons, audit events)."""

import logging
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.signing import SignedPackage
from django_q.tasks import async_task
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.models import AuditEvent
from support.models import Case, CaseEvent, Match, Notification, PatternAlert
from support.resources import resources_load
from tests.factories import UserFactory
from tests.security.support import API, canary, incident_payload, report_payload
from tests.support.factories import administrator_user, coordinator_user, worker_user

pytestmark = pytest.mark.django_db(transaction=True)


class Secrets(dict):
    """label -> secret: canaries planted, receipts and tokens handed out."""

    def plant(self, label: str) -> str:
        self[label] = canary(label)
        return self[label]


def _client(user, secrets: Secrets, label: str) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    secrets[f"{label}-token"] = token
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _payload(secrets: Secrets, who: str, *, handle: str, **extra) -> dict:
    return report_payload(
        narrative=f"They wrote {secrets.plant(f'{who}-narrative')} on my sign.",
        municipality=secrets.plant(f"{who}-municipality"),
        contact_details=f"Call {secrets.plant(f'{who}-contact')} after six",
        perpetrator_identifiers=[
            handle,
            f"https://x.com/{secrets.plant(f'{who}-url')}",
            f"{secrets.plant(f'{who}-email')}@example.org",
            f"the man called {secrets.plant(f'{who}-text')}",
        ],
        consent_matching=True,
        needs=["legal", "digital_security", "peer_support"],
        **extra,
    )


def _ok(response, status: int = 201) -> dict:
    assert response.status_code == status, response.content
    return response.json() if response.content else {}


def _file_reports(secrets: Secrets) -> tuple[APIClient, dict, dict]:
    """Two reporters, one signed in and one anonymous, naming the same handle (a pattern)."""
    handle = f"@{secrets.plant('shared-handle')}"
    reporter = _client(UserFactory(), secrets, "reporter")
    signed = _ok(
        reporter.post(
            f"{API}/reports/",
            _payload(secrets, "signed", handle=handle, risk_flags=["imminent_danger"]),
            format="json",
        )
    )
    anonymous = _ok(
        APIClient().post(
            f"{API}/anonymous/reports/",
            _payload(secrets, "anon", handle=handle.upper(), abuse_types=["insults"]),
            format="json",
        )
    )
    secrets["receipt"] = anonymous["receipt"]
    login = _ok(
        APIClient().post(
            f"{API}/anonymous/login/", {"receipt": anonymous["receipt"]}, format="json"
        ),
        200,
    )
    secrets["receipt-token"] = login["token"]
    return reporter, signed, anonymous


def _staff(secrets: Secrets) -> tuple[APIClient, APIClient]:
    """A coordinator and a worker (signed in to the API), and an administrator."""
    administrator_user(username="admin", email="admin@example.org")
    coordinator = _client(coordinator_user(username="cora", email="cora@example.org"), secrets, "c")
    worker = _client(worker_user(username="wren", email="wren@example.org"), secrets, "w")
    return coordinator, worker


def _work_the_cases(
    secrets: Secrets, staff: tuple[APIClient, APIClient], reporter: APIClient, filed: tuple
) -> None:
    coordinator, worker = staff
    signed, anonymous = filed
    signed_case = Case.objects.get(report__public_id=signed["id"]).public_id
    anon_case = Case.objects.get(report__public_id=anonymous["id"]).public_id
    case_url = f"{API}/cases/{signed_case}"

    _ok(coordinator.post(f"{case_url}/assignments/", {"worker": "wren"}, format="json"))
    _ok(worker.post(f"{case_url}/notes/", {"body": secrets.plant("note")}, format="json"))
    _ok(worker.post(f"{case_url}/messages/", {"body": secrets.plant("message")}, format="json"))
    _ok(
        coordinator.post(
            f"{case_url}/transitions/",
            {"status": "triaged", "reason": secrets.plant("transition")},
            format="json",
        ),
        200,
    )
    _ok(
        coordinator.post(
            f"{API}/cases/{anon_case}/severity/",
            {"severity": "high", "reason": secrets.plant("severity")},
            format="json",
        ),
        200,
    )
    _ok(
        reporter.post(
            f"{API}/reports/{signed['id']}/incidents/",
            incident_payload(
                narrative=secrets.plant("incident"),
                abuse_types=["threat_of_violence"],
                perpetrator_identifiers=[f"@{secrets.plant('incident-handle')}"],
            ),
            format="json",
        )
    )
    _ok(
        reporter.post(
            f"{API}/reports/{signed['id']}/messages/",
            {"body": secrets.plant("reply")},
            format="json",
        )
    )
    matches = _ok(worker.get(f"{case_url}/matches/"), 200)
    assert len(matches) >= 3
    first, second = matches[0]["id"], matches[1]["id"]
    _ok(worker.post(f"{case_url}/matches/{first}/accept/", {}, format="json"), 200)
    _ok(
        worker.post(
            f"{case_url}/matches/{second}/dismiss/",
            {"reason": secrets.plant("dismissal")},
            format="json",
        ),
        200,
    )


def _sweep_past_every_deadline() -> None:
    """The scheduled sweep, through django-q, at a time past every deadline, until the ladder
    has nothing left to climb."""
    later = timezone.now() + timedelta(days=30)
    with mock.patch("django.utils.timezone.now", return_value=later):
        for _ in range(4):
            async_task("support.tasks.escalation_sweep")


def _queue_places() -> dict[str, str]:
    """django-q's stored tasks, its ORM queue (decoded) and its schedules."""
    places: dict[str, str] = {}
    for task in Task.objects.all():
        for field in ("id", "name", "func", "hook", "group", "args", "kwargs", "result"):
            places[f"task {task.name} {field}"] = repr(getattr(task, field))
    for row in OrmQ.objects.all():
        places[f"queue {row.pk}"] = f"{row.key} {SignedPackage.loads(row.payload)!r}"
    for schedule in Schedule.objects.all():
        places[f"schedule {schedule.name}"] = repr(
            [schedule.name, schedule.func, schedule.hook, schedule.args, schedule.kwargs]
        )
    return places


def _mail_places() -> dict[str, str]:
    return {
        f"mail {index}": repr(
            [
                message.subject,
                message.body,
                message.to,
                message.cc,
                message.bcc,
                message.extra_headers,
                message.alternatives,
                message.attachments,
            ]
        )
        for index, message in enumerate(mail.outbox)
    }


def _column_places() -> dict[str, str]:
    """The plaintext columns the background side writes."""
    places: dict[str, str] = {}
    for note in Notification.objects.all():
        places[f"notification {note.pk}"] = repr(
            [note.kind, note.key, note.email_status, note.email_error]
        )
    for event in CaseEvent.objects.all():
        places[f"case event {event.pk}"] = f"{event.kind} {event.old_value} {event.new_value}"
    for match in Match.objects.all():
        places[f"match {match.pk}"] = repr(match.reasons)
    for event in AuditEvent.objects.all():
        places[f"audit {event.seq}"] = f"{event.actor} {event.action} {event.object_id}"
    for alert in PatternAlert.objects.all():
        places[f"alert {alert.pk}"] = alert.digest
    return places


def _places() -> dict[str, str]:
    """Every text the background side stores or sends, by where it is."""
    return {**_queue_places(), **_mail_places(), **_column_places()}


def _log_text(caplog) -> str:
    return "\n".join(
        f"{record.name} {record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for record in caplog.records
    )


def _leaks(places: dict[str, str], secrets: dict[str, str]) -> list[str]:
    return [
        f"{label} in {where}"
        for label, secret in secrets.items()
        for where, text in places.items()
        if secret.lower() in text.lower()
    ]


def test_no_secret_reaches_tasks_schedules_mail_logs_or_background_columns(
    committed_db, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django-q")
    assert settings.Q_CLUSTER["sync"] is True
    resources_load()
    secrets = Secrets()
    staff = _staff(secrets)

    reporter, signed, anonymous = _file_reports(secrets)
    _work_the_cases(secrets, staff, reporter, (signed, anonymous))
    _sweep_past_every_deadline()
    call_command("setup_schedules", stdout=StringIO())

    # The scenario did what it says: every kind of background work ran and wrote something.
    ran = set(Task.objects.values_list("func", flat=True))
    assert ran == {
        "support.tasks.case_triage",
        "support.tasks.notification_email",
        "support.tasks.escalation_sweep",
    }
    assert Task.objects.filter(success=False).count() == 0
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"critical", "pattern", "reminder", "escalation", "administrators"} <= kinds
    assert PatternAlert.objects.count() == 1
    assert Match.objects.filter(status="dismissed").exists()
    assert len(mail.outbox) == Notification.objects.count()
    assert caplog.records
    assert len(secrets) > 20

    places = _places()
    places["logs"] = _log_text(caplog)

    assert _leaks(places, secrets) == []


def test_the_scan_finds_a_secret_passed_to_a_task_mailed_or_logged(db, caplog):
    """The scan itself works: a canary put where this test forbids it is found there."""
    caplog.set_level(logging.DEBUG)
    planted = canary("planted")

    # As django-q stores a task given it (the cluster runs no function off settings.RECOURSE_TASKS,
    # so the canary is planted in the task table directly).
    now = timezone.now()
    Task.objects.create(
        id="planted",
        name="planted",
        func="support.tasks.case_triage",
        args=(planted,),
        started=now,
        stopped=now,
        success=False,
    )
    mail.send_mail("subject", f"body {planted}", None, ["someone@example.org"])
    logging.getLogger("support").warning("leaked %s", planted.lower())
    places = _places()
    places["logs"] = _log_text(caplog)

    leaks = _leaks(places, {"planted": planted})
    assert any(where.startswith("planted in task") for where in leaks)
    assert any(where.startswith("planted in mail") for where in leaks)
    assert "planted in logs" in leaks
