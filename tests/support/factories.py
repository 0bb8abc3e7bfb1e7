"""People and cases for the staff-side tests. Cases are opened, assigned and moved through the real
services, so permission rows, events and audit records are as in life."""

from dataclasses import dataclass
from functools import cached_property

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.models import AuditEvent, Role, User
from incidents import services as report_services
from incidents.models import Report
from support import services
from support.models import Case, CaseNote, CaseStatus, Message
from support.selectors import assignees
from tests.factories import UserFactory, make_anonymous_report, make_report

# The coordinator moves that lead from a new case to each status.
PATHS: dict[str, list[str]] = {
    CaseStatus.NEW: [],
    CaseStatus.TRIAGED: [CaseStatus.TRIAGED],
    CaseStatus.IN_PROGRESS: [CaseStatus.TRIAGED, CaseStatus.IN_PROGRESS],
    CaseStatus.WAITING_ON_REPORTER: [
        CaseStatus.TRIAGED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.WAITING_ON_REPORTER,
    ],
    CaseStatus.RESOLVED: [CaseStatus.TRIAGED, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED],
    CaseStatus.CLOSED: [CaseStatus.CLOSED],
}


def coordinator_user(**fields) -> User:
    return UserFactory(role=Role.COORDINATOR, **fields)


def worker_user(**fields) -> User:
    return UserFactory(role=Role.SUPPORT_WORKER, **fields)


def analyst_user(**fields) -> User:
    return UserFactory(role=Role.ANALYST, **fields)


def administrator_user(**fields) -> User:
    return UserFactory(role=Role.ADMINISTRATOR, is_staff=True, **fields)


def superuser_user(role: str = Role.ADMINISTRATOR, **fields) -> User:
    """A superuser without a case role: every Django permission, no case grant."""
    return UserFactory(role=role, is_staff=True, is_superuser=True, **fields)


def pdf(body: bytes = b"%PDF-1.4\nsome evidence\n", name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def add_evidence(report: Report) -> str:
    """Attach a small PDF through the reporter's service; returns its public id."""
    evidence = report_services.evidence_add(
        actor=report.reporter, report=report, upload=pdf(), description="a screenshot"
    )
    return str(evidence.public_id)


def walk_to(case: Case, status: str, *, coordinator: User) -> Case:
    """Move a case along the workflow to `status`, as the coordinator, with a reason each time."""
    for step in PATHS[status]:
        case = services.case_transition(
            actor=coordinator, case=case, status=step, reason="moving along"
        )
    return case


def make_case(
    reporter: User | None = None,
    *,
    coordinator: User | None = None,
    workers: tuple[User, ...] = (),
    status: str = CaseStatus.NEW,
    **report_overrides,
) -> Case:
    """The case of a freshly filed report, assigned to `workers` and moved to `status`."""
    report = make_report(reporter, **report_overrides)
    case = report.case
    if workers or status != CaseStatus.NEW:
        coordinator = coordinator or coordinator_user()
    for worker in workers:
        services.case_assign(actor=coordinator, case=case, worker=worker)
    return Case.objects.get(pk=walk_to(case, status, coordinator=coordinator).pk)


def web_client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@dataclass
class Cast:
    """Everyone around one case: its reporter, the staff, and people who must not see it. The
    people a test may not need are made on first use."""

    coordinator: User
    worker: User  # assigned to the case
    other_worker: User  # a support worker, not assigned to it
    reporter: User  # owns the case's report
    case: Case

    @property
    def report(self) -> Report:
        return self.case.report

    @cached_property
    def analyst(self) -> User:
        return analyst_user(username="ana")

    @cached_property
    def administrator(self) -> User:
        return administrator_user(username="admin")

    @cached_property
    def superuser(self) -> User:
        """A superuser without a case role."""
        return superuser_user(username="root")

    @cached_property
    def _anonymous(self) -> tuple[Report, str]:
        return make_anonymous_report()

    @property
    def receipt_report(self) -> Report:
        """Another report, filed anonymously."""
        return self._anonymous[0]

    @property
    def receipt(self) -> str:
        return self._anonymous[1]

    @property
    def receipt_holder(self) -> User:
        return self.receipt_report.reporter


def make_cast(status: str = CaseStatus.TRIAGED) -> Cast:
    coordinator = coordinator_user(username="cora", first_name="Cora")
    worker = worker_user(username="wren", first_name="Wren")
    reporter = UserFactory(username="riley")
    return Cast(
        coordinator=coordinator,
        worker=worker,
        other_worker=worker_user(username="sam", first_name="Sam"),
        reporter=reporter,
        case=make_case(reporter, coordinator=coordinator, workers=(worker,), status=status),
    )


def case_state(case: Case) -> dict:
    """What a refused request must leave as it was."""
    case = Case.objects.get(pk=case.pk)
    return {
        "status": case.status,
        "severity": case.severity,
        "response_due_at": case.response_due_at,
        "first_response_at": case.first_response_at,
        "last_update_at": case.last_update_at,
        "assignees": sorted(user.username for user in assignees(case)),
        "events": case.events.count(),
        "notes": CaseNote.objects.filter(case=case).count(),
        "messages": Message.objects.filter(case=case).count(),
        "audit": AuditEvent.objects.count(),
    }
