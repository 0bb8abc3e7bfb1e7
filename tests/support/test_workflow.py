"""The case workflow: status moves, severity, timestamps, and the one audit event each change
writes in its own transaction."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.errors import DomainError
from core.keys import data_key
from core.models import AuditEvent
from incidents import services as report_services
from incidents.models import Report
from incidents.sealing import open_field
from support import rules, services
from support.models import Case, CaseEvent, CaseEventKind, CaseStatus, Severity
from support.selectors import assignees
from tests.factories import incident_input, make_anonymous_report, make_report
from tests.security.support import report_payload, token_client
from tests.support.factories import case_state, make_case, web_client

pytestmark = pytest.mark.django_db

LEGAL = [
    (current, target)
    for current, targets in rules.TRANSITIONS.items()
    for target in sorted(targets)
]
ILLEGAL = [
    (current, target)
    for current in CaseStatus
    for target in CaseStatus
    if target not in rules.TRANSITIONS[current]
]


def _actions_since(seq: int) -> list[str]:
    return list(AuditEvent.objects.filter(seq__gt=seq).values_list("action", flat=True))


def _last_seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def _refusal(exc: pytest.ExceptionInfo) -> str:
    return " ".join(exc.value.messages)


@pytest.fixture
def at(coordinator, worker):
    """A case of its own moved to a status, assigned to `worker`."""

    def make(status: str) -> Case:
        return make_case(coordinator=coordinator, workers=(worker,), status=status)

    return make


def test_the_tables_cover_every_status():
    assert set(rules.TRANSITIONS) == set(CaseStatus)
    assert len(LEGAL) + len(ILLEGAL) == len(CaseStatus) ** 2


@pytest.mark.parametrize(("current", "target"), LEGAL, ids=str)
def test_a_coordinator_can_make_every_legal_move(at, coordinator, current, target):
    case = at(current)
    seq = _last_seq()

    moved = services.case_transition(actor=coordinator, case=case, status=target, reason="why")

    assert Case.objects.get(pk=case.pk).status == moved.status == target
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.kind, event.old_value, event.new_value) == (CaseEventKind.STATUS, current, target)
    assert event.actor == coordinator
    assert open_field(data_key(case.report), event, "reason") == "why"
    assert _actions_since(seq) == ["case.status"]


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=str)
def test_every_illegal_move_is_refused_naming_both_statuses(at, coordinator, current, target):
    case = at(current)
    before = case_state(case)

    with pytest.raises(DomainError) as refused:
        services.case_transition(actor=coordinator, case=case, status=target, reason="why")

    message = _refusal(refused)
    assert f"“{CaseStatus(current).label}”" in message
    assert f"“{CaseStatus(target).label}”" in message
    assert "cannot become" in message
    assert case_state(case) == before


def test_an_illegal_move_through_the_api_is_a_400_naming_both_statuses(at, coordinator):
    case = at(CaseStatus.NEW)
    before = case_state(case)

    response = token_client(coordinator).post(
        f"/api/v1/cases/{case.public_id}/transitions/", {"status": "resolved"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"status": ["A case that is “New” cannot become “Resolved”."]}
    assert case_state(case) == before


def test_an_illegal_move_on_the_page_goes_back_with_the_message(at, coordinator):
    case = at(CaseStatus.NEW)
    client = web_client(coordinator)

    response = client.post(
        reverse("support:case_transition", args=[case.public_id]), {"status": "resolved"}
    )
    page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert "A case that is “New” cannot become “Resolved”." in page
    assert Case.objects.get(pk=case.pk).status == CaseStatus.NEW


@pytest.mark.parametrize(
    "current", [s for s in CaseStatus if CaseStatus.CLOSED in rules.TRANSITIONS[s]], ids=str
)
def test_closing_needs_a_reason(at, coordinator, current):
    case = at(current)
    before = case_state(case)

    for blank in ("", "   "):
        with pytest.raises(DomainError) as refused:
            services.case_transition(actor=coordinator, case=case, status="closed", reason=blank)
        assert refused.value.message_dict == {"reason": ["Say why, for the case's history."]}

    assert case_state(case) == before
    services.case_transition(actor=coordinator, case=case, status="closed", reason="duplicate")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED


@pytest.mark.parametrize("current", [CaseStatus.RESOLVED, CaseStatus.CLOSED])
def test_reopening_needs_a_reason_and_a_coordinator(at, coordinator, worker, current):
    case = at(current)
    before = case_state(case)

    with pytest.raises(DomainError) as no_reason:
        services.case_transition(actor=coordinator, case=case, status="in_progress")
    with pytest.raises(DomainError) as by_worker:
        services.case_transition(
            actor=worker, case=case, status="in_progress", reason="they wrote again"
        )

    assert no_reason.value.message_dict == {"reason": ["Say why, for the case's history."]}
    assert by_worker.value.message_dict == {"status": ["Only a coordinator can make this change."]}
    assert case_state(case) == before
    services.case_transition(
        actor=coordinator, case=case, status="in_progress", reason="they wrote again"
    )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS


@pytest.mark.parametrize(("current", "target"), LEGAL, ids=str)
def test_an_assigned_worker_makes_only_the_everyday_moves(at, worker, current, target):
    case = at(current)
    before = case_state(case)
    allowed = target in rules.WORKER_TARGETS and current not in rules.REOPENED_FROM

    if allowed:
        services.case_transition(actor=worker, case=case, status=target, reason="why")
        assert Case.objects.get(pk=case.pk).status == target
    else:
        with pytest.raises(DomainError, match="Only a coordinator can make this change"):
            services.case_transition(actor=worker, case=case, status=target, reason="why")
        assert case_state(case) == before


def test_the_worker_targets_are_the_everyday_moves():
    assert {
        CaseStatus.IN_PROGRESS,
        CaseStatus.WAITING_ON_REPORTER,
        CaseStatus.RESOLVED,
    } == rules.WORKER_TARGETS


def test_a_worker_not_on_the_case_cannot_move_it(at, other_worker):
    case = at(CaseStatus.TRIAGED)
    before = case_state(case)

    with pytest.raises(DomainError, match="You do not work on this case"):
        services.case_transition(actor=other_worker, case=case, status="in_progress")

    assert case_state(case) == before


# Timestamps.


def test_the_first_staff_message_is_the_first_response_and_updates_the_case(coordinator, worker):
    case = make_case(coordinator=coordinator, workers=(worker,))
    assert (case.first_response_at, case.last_update_at) == (None, None)
    services.message_send_reporter(actor=case.report.reporter, report=case.report, body="Hi?")
    assert Case.objects.get(pk=case.pk).first_response_at is None

    services.message_send_staff(actor=worker, case=case, body="Hello, I am Wren.")
    first = Case.objects.get(pk=case.pk)
    services.message_send_staff(actor=worker, case=case, body="Following up.")
    second = Case.objects.get(pk=case.pk)

    assert first.first_response_at is not None
    assert first.last_update_at == first.first_response_at
    assert second.first_response_at == first.first_response_at
    assert second.last_update_at > first.last_update_at


def test_the_first_transition_is_the_first_response_and_each_one_updates_the_case(coordinator):
    case = make_case()

    services.case_transition(actor=coordinator, case=case, status="triaged")
    first = Case.objects.get(pk=case.pk)
    services.case_transition(actor=coordinator, case=case, status="in_progress")
    second = Case.objects.get(pk=case.pk)

    assert first.first_response_at is not None
    assert first.last_update_at == first.first_response_at
    assert second.first_response_at == first.first_response_at
    assert second.last_update_at > first.last_update_at


def test_a_reporter_reply_puts_a_case_waiting_on_them_back_in_progress(at):
    case = at(CaseStatus.WAITING_ON_REPORTER)
    seq = _last_seq()

    services.message_send_reporter(actor=case.report.reporter, report=case.report, body="Here.")

    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.kind, event.old_value, event.new_value, event.actor) == (
        CaseEventKind.STATUS,
        CaseStatus.WAITING_ON_REPORTER,
        CaseStatus.IN_PROGRESS,
        None,
    )
    assert _actions_since(seq) == ["report.message"]


@pytest.mark.parametrize(
    "status", [s for s in CaseStatus if s != CaseStatus.WAITING_ON_REPORTER], ids=str
)
def test_a_reporter_reply_leaves_any_other_status_alone(at, status):
    case = at(status)
    events = case.events.count()

    services.message_send_reporter(actor=case.report.reporter, report=case.report, body="Here.")

    assert Case.objects.get(pk=case.pk).status == status
    assert case.events.count() == events


# Severity.


@pytest.mark.parametrize(
    ("overrides", "severity"),
    [
        ({"risk_flags": ["imminent_danger"], "abuse_types": ["insults"]}, Severity.CRITICAL),
        (
            {"abuse_types": ["threat_of_violence"], "risk_flags": ["location_known"]},
            Severity.CRITICAL,
        ),
        (
            {"abuse_types": ["threat_of_violence"], "risk_flags": ["family_targeted"]},
            Severity.CRITICAL,
        ),
        ({"abuse_types": ["threat_of_violence"]}, Severity.HIGH),
        ({"abuse_types": ["stalking"]}, Severity.HIGH),
        ({"abuse_types": ["insults"], "risk_flags": ["escalating"]}, Severity.LOW),
        ({"abuse_types": ["identity_hate"]}, Severity.MEDIUM),
        ({"abuse_types": ["coordinated_campaign"]}, Severity.MEDIUM),
        ({"abuse_types": ["insults"]}, Severity.LOW),
    ],
    ids=[
        "imminent danger",
        "threat with location known",
        "threat with family targeted",
        "threat of violence",
        "stalking",
        "escalating insults",
        "identity hate",
        "coordinated campaign",
        "insults",
    ],
)
def test_a_new_case_takes_its_severity_and_deadline_from_the_report(overrides, severity):
    case = make_report(**overrides).case

    assert case.severity == severity
    assert case.status == CaseStatus.NEW
    late = case.response_due_at - case.created_at - rules.response_deadline(severity)
    assert abs(late.total_seconds()) < 1
    opened = case.events.get()
    assert (opened.kind, opened.new_value, opened.actor) == (CaseEventKind.OPENED, severity, None)


def _add_incident(report: Report, abuse_type: str) -> None:
    report_services.incident_add(
        actor=report.reporter,
        report=report,
        data=incident_input(abuse_types=[abuse_type], narrative="It happened again."),
    )


def test_a_more_serious_incident_raises_the_severity_and_its_deadline():
    report = make_report(abuse_types=["insults"])
    case = report.case
    assert case.severity == Severity.LOW
    seq = _last_seq()

    _add_incident(report, "threat_of_violence")

    raised = Case.objects.get(pk=case.pk)
    assert raised.severity == Severity.HIGH
    assert raised.response_due_at == raised.created_at + rules.response_deadline(Severity.HIGH)
    event = raised.events.last()
    assert (event.kind, event.old_value, event.new_value) == ("severity", "low", "high")
    assert _actions_since(seq) == ["incident.add", "case.severity"]


def test_a_less_serious_incident_never_lowers_the_severity():
    report = make_report(abuse_types=["threat_of_violence"])
    seq = _last_seq()

    _add_incident(report, "insults")

    assert Case.objects.get(report=report).severity == Severity.HIGH
    assert _actions_since(seq) == ["incident.add"]


def test_a_coordinators_higher_severity_stands_when_a_lesser_incident_arrives(coordinator):
    report = make_report(abuse_types=["insults"])
    services.case_set_severity(
        actor=coordinator, case=report.case, severity="critical", reason="They know where I live."
    )

    _add_incident(report, "threat_of_violence")

    assert Case.objects.get(report=report).severity == Severity.CRITICAL


def test_a_coordinator_changes_the_severity_with_a_sealed_reason(coordinator):
    case = make_report(abuse_types=["insults"]).case
    seq = _last_seq()

    services.case_set_severity(
        actor=coordinator, case=case, severity="critical", reason="The threat is specific."
    )

    changed = Case.objects.get(pk=case.pk)
    assert changed.severity == Severity.CRITICAL
    assert changed.response_due_at == changed.created_at + rules.response_deadline("critical")
    event = changed.events.last()
    assert (event.kind, event.old_value, event.new_value, event.actor) == (
        CaseEventKind.SEVERITY,
        "low",
        "critical",
        coordinator,
    )
    assert b"specific" not in bytes(event.reason_sealed)
    assert open_field(data_key(case.report), event, "reason") == "The threat is specific."
    assert _actions_since(seq) == ["case.severity"]


@pytest.mark.parametrize("reason", ["", "  \n "])
def test_a_severity_change_without_a_reason_is_refused(coordinator, reason):
    case = make_case()
    before = case_state(case)

    with pytest.raises(DomainError) as refused:
        services.case_set_severity(actor=coordinator, case=case, severity="low", reason=reason)

    assert refused.value.message_dict == {"reason": ["Write something first."]}
    assert case_state(case) == before


def test_a_severity_change_to_the_same_or_an_unknown_severity_is_refused(coordinator):
    case = make_case()  # doxxing: high
    before = case_state(case)

    with pytest.raises(DomainError, match="already has this severity"):
        services.case_set_severity(actor=coordinator, case=case, severity="high", reason="x")
    with pytest.raises(DomainError, match="Choose a severity"):
        services.case_set_severity(actor=coordinator, case=case, severity="urgent", reason="x")

    assert case_state(case) == before


def test_only_a_coordinator_changes_the_severity(worker, coordinator):
    case = make_case(coordinator=coordinator, workers=(worker,))
    before = case_state(case)

    with pytest.raises(DomainError, match="Only coordinators can do this"):
        services.case_set_severity(actor=worker, case=case, severity="low", reason="calmer now")

    assert case_state(case) == before


# One audit event for each change, in the change's own transaction.


def _changes(case: Case, coordinator, worker, other_worker) -> dict:
    """Each change: (the call, who makes it, the object its audit event names)."""
    reporter, report = case.report.reporter, case.report
    return {
        "case.assign": (
            lambda: services.case_assign(actor=coordinator, case=case, worker=other_worker),
            coordinator,
            case,
        ),
        "case.unassign": (
            lambda: services.case_unassign(actor=coordinator, case=case, worker=worker),
            coordinator,
            case,
        ),
        "case.status": (
            lambda: services.case_transition(actor=worker, case=case, status="in_progress"),
            worker,
            case,
        ),
        "case.severity": (
            lambda: services.case_set_severity(
                actor=coordinator, case=case, severity="low", reason="calmer now"
            ),
            coordinator,
            case,
        ),
        "case.note": (
            lambda: services.note_add(actor=worker, case=case, body="A staff note."),
            worker,
            case,
        ),
        "case.message": (
            lambda: services.message_send_staff(actor=worker, case=case, body="Hi."),
            worker,
            case,
        ),
        "report.message": (
            lambda: services.message_send_reporter(actor=reporter, report=report, body="Thanks."),
            reporter,
            report,
        ),
    }


CHANGES = [
    "case.assign",
    "case.unassign",
    "case.status",
    "case.severity",
    "case.note",
    "case.message",
    "report.message",
]


@pytest.mark.parametrize("action", CHANGES)
def test_each_change_writes_exactly_its_audit_event(at, coordinator, worker, other_worker, action):
    case = at(CaseStatus.TRIAGED)
    change, actor, obj = _changes(case, coordinator, worker, other_worker)[action]
    seq = _last_seq()
    before = case_state(case)

    change()

    after = case_state(case)
    assert _actions_since(seq) == [action]
    assert after["audit"] == before["audit"] + 1
    assert [name for name in after if after[name] != before[name] and name != "audit"] != []
    event = AuditEvent.objects.get(seq=seq + 1)
    assert (event.actor, event.object_id) == (str(actor.public_id), str(obj.public_id))


@pytest.mark.parametrize("action", CHANGES)
def test_a_change_whose_audit_event_fails_leaves_nothing_behind(
    at, coordinator, worker, other_worker, action, monkeypatch
):
    case = at(CaseStatus.TRIAGED)
    before = case_state(case)

    def broken(**kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError, match="audit log"):
        _changes(case, coordinator, worker, other_worker)[action][0]()

    assert case_state(case) == before
    assert sorted(user.username for user in assignees(case)) == ["wren"]


# One case per report.


def test_a_signed_in_report_opens_exactly_one_case():
    report = make_report()

    assert Case.objects.filter(report=report).count() == 1
    assert report.case.status == CaseStatus.NEW
    assert "case.open" in _actions_since(0)


def test_an_anonymous_report_opens_exactly_one_case():
    report, _ = make_anonymous_report()

    assert Case.objects.filter(report=report).count() == 1
    assert Case.objects.get(report=report).status == CaseStatus.NEW


def test_a_report_filed_through_the_api_opens_exactly_one_case(reporter):
    response = token_client(reporter).post("/api/v1/reports/", report_payload(), format="json")

    assert response.status_code == 201
    assert Case.objects.filter(report__public_id=response.json()["id"]).count() == 1


def test_a_second_case_for_the_same_report_is_impossible():
    report = make_report()

    with pytest.raises(IntegrityError), transaction.atomic():
        services.case_open(report=report)

    assert Case.objects.filter(report=report).count() == 1


def test_every_case_has_its_own_public_id_and_page():
    first, second = make_case(), make_case()

    assert first.public_id != second.public_id
    assert first.get_absolute_url() == f"/staff/cases/{first.public_id}/"
