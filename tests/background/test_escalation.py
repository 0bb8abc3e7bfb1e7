"""Issue 4, escalation: severity and deadlines from the rules, and the ladder the sweep climbs
(remind → escalate → administrators), each rung once per deadline, on a clock the tests set."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from incidents import services as report_services
from support import escalation, rules, selectors, services
from support.models import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    EscalationStep,
    Notification,
    Severity,
)
from tests.factories import incident_input, make_report
from tests.support.factories import make_case, walk_to, web_client

pytestmark = pytest.mark.django_db

# The severity rules, one line each: (the report's facts, the severity they call for).
SEVERITY_TABLE = [
    ({"abuse_types": ["insults"], "risk_flags": ["imminent_danger"]}, Severity.CRITICAL),
    ({"abuse_types": ["threat_of_violence"], "risk_flags": ["location_known"]}, Severity.CRITICAL),
    ({"abuse_types": ["threat_of_violence"], "risk_flags": ["family_targeted"]}, Severity.CRITICAL),
    ({"abuse_types": ["threat_of_violence"]}, Severity.HIGH),
    ({"abuse_types": ["threat_of_violence"], "risk_flags": ["escalating"]}, Severity.HIGH),
    ({"abuse_types": ["intimate_images"]}, Severity.HIGH),
    ({"abuse_types": ["doxxing"]}, Severity.HIGH),
    ({"abuse_types": ["stalking"]}, Severity.HIGH),
    ({"abuse_types": ["offline_intimidation"]}, Severity.HIGH),
    # Knowing where someone lives is critical only together with a threat of violence.
    ({"abuse_types": ["doxxing"], "risk_flags": ["location_known", "family_targeted"]}, "high"),
    ({"abuse_types": ["identity_hate"]}, Severity.MEDIUM),
    ({"abuse_types": ["sexual_harassment"]}, Severity.MEDIUM),
    ({"abuse_types": ["impersonation"]}, Severity.MEDIUM),
    ({"abuse_types": ["coordinated_campaign"]}, Severity.MEDIUM),
    ({"abuse_types": ["identity_hate", "stalking"]}, Severity.HIGH),  # the most severe rule wins
    ({"abuse_types": ["insults"]}, Severity.LOW),
    ({"abuse_types": ["hacking"]}, Severity.LOW),
    ({"abuse_types": ["disinformation"]}, Severity.LOW),
    ({"abuse_types": ["insults"], "risk_flags": ["escalating", "location_known"]}, Severity.LOW),
]
# (severity, first response in hours, each next update in hours)
DEADLINES = [
    (Severity.CRITICAL, 1, 24),
    (Severity.HIGH, 4, 48),
    (Severity.MEDIUM, 24, 120),
    (Severity.LOW, 72, 240),
]
STOPPING = [CaseStatus.CLOSED, CaseStatus.RESOLVED, CaseStatus.WAITING_ON_REPORTER]


def _fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def _close_to(actual, expected, *, slack: timedelta = timedelta(seconds=30)) -> bool:
    return abs(actual - expected) <= slack


def _notified(case: Case, kind: str) -> list[str]:
    found = Notification.objects.filter(case=case, kind=kind).select_related("recipient")
    return sorted(note.recipient.username for note in found)


def _ladder_events(case: Case) -> list[tuple[str, str]]:
    events = CaseEvent.objects.filter(case=case, kind=CaseEventKind.ESCALATION)
    return [(event.old_value, event.new_value) for event in events]


def _ladder_audit(case: Case) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type="support.case",
            object_id=str(case.public_id),
            action__startswith="case.escalation.",
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )


def _snapshot(case: Case) -> dict:
    case = _fresh(case)
    return {
        "notifications": Notification.objects.count(),
        "steps": EscalationStep.objects.count(),
        "events": CaseEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "level": case.escalation_level,
        "escalated_at": case.escalated_at,
        "next_step_at": case.next_step_at,
    }


def _window(case: Case) -> timedelta:
    return rules.response_deadline(case.severity)


def _escalated_section(coordinator) -> str:
    page = web_client(coordinator).get(reverse("support:intake")).content.decode()
    if 'id="escalated-heading"' not in page:
        return ""
    return page.split('id="escalated-heading"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def staff(coordinator, second_coordinator, worker, administrator):
    """Two coordinators, the worker, an administrator: everyone the ladder may call on."""
    return {"coordinators": ["cole", "cora"], "worker": worker, "administrator": administrator}


@pytest.fixture
def assigned(staff, coordinator, worker):
    """A new, high-severity case (doxxing) assigned to the worker, not yet answered."""
    return make_case(coordinator=coordinator, workers=(worker,))


@pytest.fixture
def unassigned(staff):
    return make_case()


# Severity and deadlines.


@pytest.mark.parametrize(("facts", "severity"), SEVERITY_TABLE, ids=str)
def test_each_severity_rule_sets_the_cases_severity_and_first_response_deadline(facts, severity):
    case = make_report(**facts).case

    assert case.severity == severity
    assert rules.severity_for(case.report) == severity
    hours = settings.RECOURSE_RESPONSE_HOURS[severity]
    assert _close_to(case.response_due_at, case.created_at + timedelta(hours=hours))
    assert case.next_step_at == case.response_due_at


@pytest.mark.parametrize(("severity", "response", "update"), DEADLINES, ids=str)
def test_the_deadlines_come_from_the_settings(severity, response, update):
    assert settings.RECOURSE_RESPONSE_HOURS[severity] == response
    assert settings.RECOURSE_UPDATE_HOURS[severity] == update
    assert rules.response_deadline(severity) == timedelta(hours=response)
    assert rules.update_deadline(severity) == timedelta(hours=update)


def test_changing_the_settings_changes_the_deadlines_of_new_cases(settings, worker, coordinator):
    settings.RECOURSE_RESPONSE_HOURS = {**settings.RECOURSE_RESPONSE_HOURS, "high": 2}
    settings.RECOURSE_UPDATE_HOURS = {**settings.RECOURSE_UPDATE_HOURS, "high": 10}
    case = make_case(coordinator=coordinator, workers=(worker,))
    assert _close_to(case.response_due_at, case.created_at + timedelta(hours=2))

    services.message_send_staff(actor=worker, case=case, body="I have read your report.")

    case = _fresh(case)
    assert case.update_due_at == case.last_update_at + timedelta(hours=10)
    assert case.next_step_at == case.update_due_at


def test_triage_sets_the_deadline_from_when_the_case_was_opened(assigned):
    services.case_triage(case_id=assigned.pk)

    case = _fresh(assigned)
    assert case.response_due_at == case.created_at + timedelta(hours=4)
    assert case.next_step_at == case.response_due_at
    assert case.triaged_at is not None


# The ladder, on a clock the test sets.


def test_before_the_deadline_the_sweep_does_nothing(assigned):
    before = _snapshot(assigned)

    assert escalation.sweep(now=assigned.response_due_at - timedelta(seconds=1)) == 0
    early = assigned.response_due_at - timedelta(seconds=1)
    assert escalation.climb(case_id=assigned.pk, now=early) is None

    assert _snapshot(assigned) == before


def test_at_the_deadline_the_assignees_are_reminded(assigned, coordinator):
    due = assigned.response_due_at

    assert escalation.sweep(now=due) == 1

    case = _fresh(assigned)
    assert _notified(case, "reminder") == ["wren"]
    assert Notification.objects.filter(case=case).count() == 1
    assert _ladder_events(case) == [("response", "remind")]
    assert _ladder_audit(case) == ["case.escalation.remind"]
    assert list(EscalationStep.objects.filter(case=case).values_list("deadline", "level")) == [
        (due, 1)
    ]
    assert (case.escalation_level, case.escalated_at) == (1, None)
    assert case.next_step_at == due + _window(case) / 2
    assert list(selectors.case_escalated(actor=coordinator)) == []


def test_at_the_deadline_of_an_unassigned_case_the_coordinators_are_reminded(unassigned, staff):
    escalation.sweep(now=unassigned.response_due_at)

    assert _notified(unassigned, "reminder") == staff["coordinators"]
    assert _ladder_audit(unassigned) == ["case.escalation.remind"]


def test_a_deactivated_assignee_is_not_reminded_the_coordinators_are(assigned, worker, staff):
    worker.is_active = False
    worker.save()

    escalation.sweep(now=assigned.response_due_at)

    assert _notified(assigned, "reminder") == staff["coordinators"]


def test_half_a_window_after_the_deadline_the_case_is_escalated_to_the_coordinators(
    assigned, coordinator, staff
):
    due, window = assigned.response_due_at, _window(assigned)
    escalation.sweep(now=due)
    assert _escalated_section(coordinator) == ""

    escalation.sweep(now=due + window / 2 - timedelta(seconds=1))
    assert _fresh(assigned).escalation_level == 1
    escalation.sweep(now=due + window / 2)

    case = _fresh(assigned)
    assert case.escalation_level == 2
    assert case.escalated_at == due + window / 2
    assert _notified(case, "escalation") == staff["coordinators"]
    assert _notified(case, "reminder") == ["wren"]  # the worker is not told twice
    assert _ladder_events(case) == [("response", "remind"), ("response", "escalate")]
    assert _ladder_audit(case) == ["case.escalation.remind", "case.escalation.escalate"]
    assert list(selectors.case_escalated(actor=coordinator)) == [case]
    assert case.get_absolute_url() in _escalated_section(coordinator)
    assert case.next_step_at == due + window


def test_the_escalated_queue_is_for_coordinators_only(assigned, worker):
    due, window = assigned.response_due_at, _window(assigned)
    for moment in (due, due + window / 2):
        escalation.sweep(now=moment)

    assert list(selectors.case_escalated(actor=worker)) == []
    assert web_client(worker).get(reverse("support:intake")).status_code == 403


def test_a_full_window_after_the_deadline_the_administrators_are_notified(assigned, staff):
    due, window = assigned.response_due_at, _window(assigned)
    for moment in (due, due + window / 2, due + window):
        escalation.sweep(now=moment)

    case = _fresh(assigned)
    assert case.escalation_level == 3
    assert _notified(case, "administrators") == ["admin"]
    assert _ladder_events(case) == [
        ("response", "remind"),
        ("response", "escalate"),
        ("response", "administrators"),
    ]
    assert _ladder_audit(case) == [
        "case.escalation.remind",
        "case.escalation.escalate",
        "case.escalation.administrators",
    ]
    assert case.next_step_at is None  # the top of the ladder: nothing more is due


def test_every_step_shows_on_the_case_timeline(assigned, coordinator):
    due, window = assigned.response_due_at, _window(assigned)
    for moment in (due, due + window / 2, due + window):
        escalation.sweep(now=moment)

    view = selectors.case_open_content(actor=coordinator, case=assigned)
    steps = [(e.kind, e.old_value, e.new_value) for e in view.events if e.kind == "escalation"]
    assert steps == [
        ("escalation", "response", "remind"),
        ("escalation", "response", "escalate"),
        ("escalation", "response", "administrators"),
    ]
    page = web_client(coordinator).get(assigned.get_absolute_url()).content.decode()
    assert "Escalation step: first response due → reminder to the assigned workers" in page
    assert "Escalation step: first response due → escalated to the administrators" in page


def test_each_step_happens_once_however_often_the_sweep_runs(assigned, staff):
    due, window = assigned.response_due_at, _window(assigned)
    moments = [
        due,
        due,
        due + timedelta(minutes=1),
        due + window / 2,
        due + window / 2 + timedelta(minutes=1),
        due + window,
        due + window,
        due + window * 3,
        due + timedelta(days=30),
    ]
    for moment in moments:
        for _ in range(3):
            escalation.sweep(now=moment)

    case = _fresh(assigned)
    assert EscalationStep.objects.filter(case=case).count() == 3
    assert _notified(case, "reminder") == ["wren"]
    assert _notified(case, "escalation") == staff["coordinators"]
    assert _notified(case, "administrators") == ["admin"]
    assert len(_ladder_events(case)) == 3
    assert len(_ladder_audit(case)) == 3

    after = _snapshot(case)
    for moment in (due, due + window, due + timedelta(days=365)):
        assert escalation.sweep(now=moment) == 0
        assert escalation.climb(case_id=case.pk, now=moment) is None
    assert _snapshot(case) == after


def test_repeating_a_sweep_at_the_same_moment_changes_nothing(assigned):
    due = assigned.response_due_at
    escalation.sweep(now=due)
    after = _snapshot(assigned)

    for _ in range(5):
        assert escalation.sweep(now=due) == 0

    assert _snapshot(assigned) == after


def test_a_rung_already_taken_is_not_taken_again_even_from_a_replayed_state(assigned):
    """The unique step row, not only the level counter, keeps a rung to once per deadline (a task
    delivered twice may start from the state before the first delivery)."""
    due = assigned.response_due_at
    escalation.sweep(now=due)
    before = _snapshot(assigned)

    Case.objects.filter(pk=assigned.pk).update(escalation_level=0, next_step_at=due)
    escalation.sweep(now=due)

    after = _snapshot(assigned)
    assert after == before
    assert _notified(assigned, "reminder") == ["wren"]


def test_a_sweep_long_after_the_deadline_takes_every_due_rung_in_order_and_once(assigned, staff):
    late = assigned.response_due_at + timedelta(days=2)

    assert escalation.sweep(now=late) == 1
    assert escalation.sweep(now=late) == 0

    assert _ladder_audit(assigned) == [
        "case.escalation.remind",
        "case.escalation.escalate",
        "case.escalation.administrators",
    ]


# A response or update by staff starts a new deadline and clears the pending rungs.


def _respond(kind: str, case: Case, *, worker, coordinator) -> None:
    if kind == "message":
        services.message_send_staff(actor=worker, case=case, body="I read it; can we talk?")
    else:
        services.case_transition(actor=coordinator, case=case, status=CaseStatus.TRIAGED)


@pytest.mark.parametrize("response", ["message", "transition"])
def test_a_response_by_staff_clears_the_pending_steps(
    assigned, worker, coordinator, staff, response
):
    due, window = assigned.response_due_at, _window(assigned)
    for moment in (due, due + window / 2):
        escalation.sweep(now=moment)
    assert _escalated_section(coordinator) != ""

    before = timezone.now()
    _respond(response, assigned, worker=worker, coordinator=coordinator)

    case = _fresh(assigned)
    assert (case.escalation_level, case.escalated_at) == (0, None)
    assert case.first_response_at is not None
    assert case.first_response_at >= before
    assert case.update_due_at == case.last_update_at + rules.update_deadline(case.severity)
    assert case.next_step_at == case.update_due_at
    assert list(selectors.case_escalated(actor=coordinator)) == []
    assert _escalated_section(coordinator) == ""

    # The third rung of the answered deadline never comes.
    escalation.sweep(now=due + window)
    assert _notified(case, "administrators") == []
    assert EscalationStep.objects.filter(case=case).count() == 2


@pytest.mark.parametrize("response", ["message", "transition"])
def test_the_update_deadline_then_starts_a_ladder_of_its_own(
    assigned, worker, coordinator, staff, response
):
    escalation.sweep(now=assigned.response_due_at)
    _respond(response, assigned, worker=worker, coordinator=coordinator)
    update_due = _fresh(assigned).update_due_at

    assert escalation.sweep(now=update_due - timedelta(seconds=1)) == 0
    assert escalation.sweep(now=update_due) == 1

    case = _fresh(assigned)
    assert _ladder_events(case) == [("response", "remind"), ("update", "remind")]
    assert _notified(case, "reminder") == ["wren", "wren"]  # once per deadline
    assert EscalationStep.objects.filter(case=case, deadline=update_due, level=1).exists()
    window = rules.update_deadline(case.severity)
    escalation.sweep(now=update_due + window / 2)
    assert _fresh(case).escalated_at == update_due + window / 2
    assert _notified(case, "escalation") == staff["coordinators"]


@pytest.mark.parametrize("status", STOPPING)
def test_closing_resolving_or_waiting_on_the_reporter_stops_the_ladder(
    assigned, coordinator, staff, status
):
    due = assigned.response_due_at
    escalation.sweep(now=due)

    case = walk_to(_fresh(assigned), status, coordinator=coordinator)

    case = _fresh(case)
    assert case.next_step_at is None
    before = _snapshot(case)
    for moment in (due + timedelta(hours=2), due + timedelta(days=30)):
        assert escalation.sweep(now=moment) == 0
    assert _snapshot(case) == before
    assert EscalationStep.objects.filter(case=case).count() == 1


def test_a_stopped_case_left_due_by_a_stale_row_is_not_climbed(assigned, coordinator):
    """Even if a stopped case still had a rung scheduled, climbing checks its status first."""
    case = walk_to(assigned, CaseStatus.CLOSED, coordinator=coordinator)
    Case.objects.filter(pk=case.pk).update(next_step_at=assigned.response_due_at)
    before = EscalationStep.objects.count(), Notification.objects.count()

    assert escalation.sweep(now=assigned.response_due_at + timedelta(days=1)) == 0

    assert _fresh(case).next_step_at is None
    assert (EscalationStep.objects.count(), Notification.objects.count()) == before


def test_the_reporters_answer_to_a_waiting_case_starts_the_ladder_again(assigned, coordinator):
    case = walk_to(assigned, CaseStatus.WAITING_ON_REPORTER, coordinator=coordinator)
    assert _fresh(case).next_step_at is None

    services.message_send_reporter(actor=case.report.reporter, report=case.report, body="Here.")

    case = _fresh(case)
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.next_step_at == case.update_due_at is not None


def test_a_coordinators_new_severity_starts_the_ladder_over_at_the_new_deadline(
    assigned, coordinator
):
    due = assigned.response_due_at
    escalation.sweep(now=due)

    services.case_set_severity(
        actor=coordinator, case=assigned, severity=Severity.LOW, reason="It was a one-off."
    )

    case = _fresh(assigned)
    assert case.escalation_level == 0
    assert case.response_due_at == case.created_at + timedelta(hours=72)
    assert case.next_step_at == case.response_due_at


# Critical reports.


def test_a_critical_report_notifies_the_coordinators_at_once(staff):
    case = make_report(risk_flags=["imminent_danger"]).case

    assert case.severity == Severity.CRITICAL
    assert _notified(case, "critical") == staff["coordinators"]
    assert Notification.objects.filter(case=case).count() == 2  # nobody else


def test_a_critical_report_notifies_once_even_when_triage_runs_again(
    staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = make_report(risk_flags=["imminent_danger"]).case
    with django_capture_on_commit_callbacks(execute=True):
        services.case_triage(case_id=case.pk)
        services.case_triage(case_id=case.pk)

    assert _notified(case, "critical") == staff["coordinators"]
    assert sorted(m.to[0] for m in mail.outbox) == ["cole@example.org", "cora@example.org"]


def test_a_non_critical_report_notifies_nobody_at_submission(staff):
    case = make_report(abuse_types=["threat_of_violence"]).case

    assert case.severity == Severity.HIGH
    assert Notification.objects.count() == 0


def test_a_report_that_becomes_critical_notifies_the_coordinators_once(staff):
    report = make_report(abuse_types=["doxxing"], risk_flags=["location_known"])
    assert report.case.severity == Severity.HIGH

    for _ in range(2):
        report_services.incident_add(
            actor=report.reporter,
            report=report,
            data=incident_input(abuse_types=["threat_of_violence"]),
        )

    case = _fresh(report.case)
    assert case.severity == Severity.CRITICAL
    assert case.response_due_at == case.created_at + timedelta(hours=1)
    assert case.next_step_at == case.response_due_at
    assert _notified(case, "critical") == staff["coordinators"]


def test_a_case_that_becomes_critical_after_its_first_response_gets_the_critical_update_deadline(
    staff, coordinator, worker
):
    """The next update of a critical case is due within 24 hours, not the 48 of a high one."""
    case = make_case(coordinator=coordinator, workers=(worker,), risk_flags=["location_known"])
    services.message_send_staff(actor=worker, case=case, body="We are on it.")
    assert _fresh(case).severity == Severity.HIGH

    report_services.incident_add(
        actor=case.report.reporter,
        report=case.report,
        data=incident_input(abuse_types=["threat_of_violence"]),
    )

    case = _fresh(case)
    assert case.severity == Severity.CRITICAL
    assert case.update_due_at == case.last_update_at + timedelta(hours=24)
    assert case.next_step_at == case.update_due_at


# The sweep reads only overdue rows.


def _overdue_cases(count: int, *, now) -> None:
    for _ in range(count):
        case = make_case()
        Case.objects.filter(pk=case.pk).update(
            response_due_at=now - timedelta(hours=1), next_step_at=now - timedelta(hours=1)
        )


def _quiet_cases(count: int, *, now) -> None:
    for index in range(count):
        case = make_case()
        later = now + timedelta(hours=1 + index)
        Case.objects.filter(pk=case.pk).update(response_due_at=later, next_step_at=later)


class _Rollback(Exception):
    pass


def _sweep_queries(*, quiet: int, overdue: int, now) -> int:
    """The number of SQL statements of one sweep over `quiet` + `overdue` cases, made afresh and
    rolled back afterwards."""
    try:
        with transaction.atomic():
            _quiet_cases(quiet, now=now)
            _overdue_cases(overdue, now=now)
            with CaptureQueriesContext(connection) as captured:
                climbed = escalation.sweep(now=now)
            assert climbed == overdue
            raise _Rollback
    except _Rollback:
        pass
    return len(captured.captured_queries)


def test_the_sweeps_cost_follows_the_overdue_cases_not_all_cases(staff):
    now = timezone.now() + timedelta(days=10)

    alone = _sweep_queries(quiet=0, overdue=3, now=now)
    among_many = _sweep_queries(quiet=30, overdue=3, now=now)

    assert among_many == alone
    assert _sweep_queries(quiet=30, overdue=0, now=now) == 1  # the index lookup, nothing else


def test_the_overdue_query_uses_the_partial_index(staff):
    now = timezone.now()
    _quiet_cases(3, now=now)
    _overdue_cases(2, now=now)

    with CaptureQueriesContext(connection) as captured:
        found = escalation.overdue_ids(now=now)
    assert len(found) == 2
    assert len(captured.captured_queries) == 1
    sql = captured.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A handful of rows: make the planner show what it would do on a large table.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = " ".join(str(row[0]) for row in cursor.fetchall())
            assert "case_next_step_due" in plan
            assert "Index Cond: (next_step_at <=" in plan
            return
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())

    assert "case_next_step_due" in plan
    assert "next_step_at<?" in plan  # a range over the index, not a walk through it
    assert "SCAN support_case" not in plan
    assert "TEMP B-TREE" not in plan  # the index also gives the order


def test_the_partial_index_is_declared_on_the_next_step_time():
    index = next(i for i in Case._meta.indexes if i.name == "case_next_step_due")

    assert index.fields == ["next_step_at"]
    assert str(index.condition) == "(AND: ('next_step_at__isnull', False))"
