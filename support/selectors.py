"""Reads on the staff side. Every case query starts from what the actor may see: coordinators see
every case; a support worker sees the cases whose permission row names them; nobody else sees
any. Not visible and not existing are the same 404. Reading case content writes an audit event."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Case as When_
from django.db.models import Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record
from core.errors import DomainError
from core.keys import data_key
from core.models import AuditEvent, Role, User
from incidents.models import Evidence, Report
from incidents.sealing import open_field
from incidents.selectors import ReportView, report_open
from support.matching import Reason, reason_text
from support.models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    WORK_PERMISSION,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    CaseStatus,
    CaseUserObjectPermission,
    Match,
    MatchStatus,
    Message,
    Notification,
    PatternAlert,
    Resource,
    SystemReason,
    case_event_value_label,
)


def _work_rows() -> QuerySet[CaseUserObjectPermission]:
    return CaseUserObjectPermission.objects.filter(permission__codename=WORK_PERMISSION)


def is_assigned(user: User, case: Case) -> bool:
    return _work_rows().filter(user=user, content_object=case).exists()


def _assignees_prefetch() -> Prefetch:
    return Prefetch(
        "caseuserobjectpermission_set",
        queryset=_work_rows().select_related("user").order_by("user__username"),
        to_attr="work_rows",
    )


def case_visible(*, actor: User) -> QuerySet[Case]:
    """Every case the actor may see, with its report and assignees at hand."""
    base = Case.objects.select_related("report").prefetch_related(_assignees_prefetch())
    return _visible(base, actor)


def _visible(cases: QuerySet[Case], actor: User) -> QuerySet[Case]:
    """`cases` limited to what the actor may see. Workers: their rows of the indexed permission
    table, so the cost follows what they may see, not the number of cases."""
    if not (actor.is_authenticated and actor.is_active):
        return cases.none()
    if actor.role == Role.COORDINATOR:
        return cases
    if actor.role == Role.SUPPORT_WORKER:
        # An IN over the worker's own rows (one index range), then case lookups by primary key.
        # A correlated EXISTS would probe once per case: SQLite then scans every case.
        return cases.filter(pk__in=_work_rows().filter(user=actor).values("content_object_id"))
    return cases.none()


def case_get(*, actor: User, public_id: UUID | str) -> Case:
    """One case the actor may see, or 404."""
    try:
        return case_visible(actor=actor).get(public_id=public_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _severity_rank() -> When_:
    return When_(
        *[When(severity=code, then=Value(rank)) for code, rank in SEVERITY_RANK.items()],
        output_field=IntegerField(),
    )


def _assigned_any() -> Exists:
    return Exists(_work_rows().filter(content_object=OuterRef("pk")))


def case_worker_list(*, actor: User) -> QuerySet[Case]:
    """A support worker's own cases: open ones first, most severe and oldest first."""
    return (
        case_visible(actor=actor)
        .annotate(rank=_severity_rank(), is_open=Q(status__in=OPEN_STATUSES))
        .order_by("-is_open", "rank", "created_at")
    )


def case_intake_queue(*, actor: User) -> QuerySet[Case]:
    """Coordinators' intake: open cases that are new or have nobody on them; new and unassigned
    first, then by severity, then oldest first."""
    if actor.role != Role.COORDINATOR:
        return Case.objects.none()
    return (
        case_visible(actor=actor)
        .annotate(assigned=_assigned_any(), rank=_severity_rank())
        .filter(Q(status=CaseStatus.NEW) | Q(assigned=False), status__in=OPEN_STATUSES)
        .annotate(fresh=Q(status=CaseStatus.NEW) & Q(assigned=False))
        .order_by("-fresh", "rank", "created_at")
    )


def case_escalated(*, actor: User) -> QuerySet[Case]:
    """Coordinators: open cases the ladder escalated to them, oldest escalation first."""
    if actor.role != Role.COORDINATOR:
        return Case.objects.none()
    return (
        case_visible(actor=actor)
        .filter(escalated_at__isnull=False, status__in=OPEN_STATUSES)
        .order_by("escalated_at")
    )


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    severity: str = ""
    region: str = ""
    assignee: str = ""  # a username, or "none" for unassigned
    overdue: bool = False


def case_all(*, actor: User, filters: CaseFilters) -> QuerySet[Case]:
    """Coordinators' view of every case, filtered; workers get their own cases filtered."""
    return _filtered(case_visible(actor=actor), filters)


def case_all_rows(*, actor: User, filters: CaseFilters) -> QuerySet[Case, dict[str, Any]]:
    """case_all's cases in its order, as plain values to count and slice (no instances, no
    related rows); case_rows_page turns a slice of them into CaseRows."""
    return _filtered(_visible(Case.objects.all(), actor), filters).values(*_ROW_FIELDS)


def _filtered(cases: QuerySet[Case], filters: CaseFilters) -> QuerySet[Case]:
    cases = cases.annotate(rank=_severity_rank())
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.severity:
        cases = cases.filter(severity=filters.severity)
    if filters.region:
        cases = cases.filter(report__region=filters.region)
    if filters.assignee == "none":
        cases = cases.filter(~_assigned_any())
    elif filters.assignee:
        named = _work_rows().filter(user__username=filters.assignee)
        cases = cases.filter(pk__in=named.values("content_object_id"))
    if filters.overdue:
        cases = cases.filter(
            status__in=OPEN_STATUSES,
            first_response_at__isnull=True,
            response_due_at__lt=timezone.now(),
        )
    return cases.order_by("rank", "created_at")


@dataclass(frozen=True)
class ReportRef:
    public_id: UUID
    region: str


@dataclass(frozen=True)
class CaseRow:
    """A case as a list shows it, read as plain values: no model instances, no content."""

    public_id: UUID
    report: ReportRef
    status: str
    severity: str
    created_at: datetime
    response_due_at: datetime
    first_response_at: datetime | None
    last_update_at: datetime | None
    assignees: list[str]  # usernames, in order


_ROW_FIELDS = (
    "pk",
    "public_id",
    "report__public_id",
    "report__region",
    "status",
    "severity",
    "created_at",
    "response_due_at",
    "first_response_at",
    "last_update_at",
)


def case_rows_page(values: Iterable[dict[str, Any]]) -> list[CaseRow]:
    """One page of case_all_rows, with every case's assignees read in one query."""
    page = list(values)
    names: dict[int, list[str]] = defaultdict(list)
    work = _work_rows().filter(content_object_id__in=[row["pk"] for row in page])
    for case_id, username in work.values_list("content_object_id", "user__username"):
        names[case_id].append(username)
    return [
        CaseRow(
            public_id=row["public_id"],
            report=ReportRef(public_id=row["report__public_id"], region=row["report__region"]),
            status=row["status"],
            severity=row["severity"],
            created_at=row["created_at"],
            response_due_at=row["response_due_at"],
            first_response_at=row["first_response_at"],
            last_update_at=row["last_update_at"],
            assignees=sorted(names[row["pk"]]),
        )
        for row in page
    ]


def case_row(case: Case) -> CaseRow:
    """One case the actor already got through case_get, read again as a CaseRow."""
    return case_rows_page(Case.objects.filter(pk=case.pk).values(*_ROW_FIELDS))[0]


def assignees(case: Case) -> list[User]:
    rows = getattr(case, "work_rows", None)
    if rows is None:
        rows = list(_work_rows().filter(content_object=case).select_related("user"))
    return [row.user for row in rows]


def assignee_named(case: Case, username: str) -> User:
    """One of the case's assignees (active or not), by username; a DomainError otherwise."""
    for user in assignees(case):
        if user.username == username:
            return user
    raise DomainError({"worker": [_("%(name)s does not work on this case.") % {"name": username}]})


def support_workers() -> QuerySet[User]:
    return User.objects.filter(role=Role.SUPPORT_WORKER, is_active=True).order_by("username")


@dataclass(frozen=True)
class EntryView:
    """A note, a message or a case event with its sealed text opened."""

    public_id: UUID
    at: datetime
    author: str
    text: str
    from_reporter: bool = False
    kind: str = ""
    old_value: str = ""
    new_value: str = ""

    @property
    def kind_label(self) -> str:
        return str(dict(CaseEventKind.choices).get(self.kind, self.kind))

    @property
    def old_label(self) -> str:
        return case_event_value_label(self.kind, self.old_value)

    @property
    def new_label(self) -> str:
        return case_event_value_label(self.kind, self.new_value)


def _author(user: User | None, *, from_reporter: bool = False) -> str:
    if from_reporter:
        return gettext("reporter")
    return user.username if user is not None else gettext("system")


def _public_name(user: User | None) -> str:
    """How a reporter sees a staff member: first name, or the role."""
    if user is None:
        return str(_("Your support team"))
    return user.first_name or str(Role(user.role).label)


def _notes(key: bytes, case: Case) -> list[EntryView]:
    return [
        EntryView(
            note.public_id, note.created_at, _author(note.author), open_field(key, note, "body")
        )
        for note in CaseNote.objects.filter(case=case).select_related("author")
    ]


def _staff_author(msg: Message) -> str:
    return _author(msg.author, from_reporter=msg.from_reporter)


def _messages(
    key: bytes, case: Case, *, author: Callable[[Message], str] = _staff_author
) -> list[EntryView]:
    return [
        EntryView(
            msg.public_id,
            msg.created_at,
            author(msg),
            open_field(key, msg, "body"),
            from_reporter=msg.from_reporter,
        )
        for msg in Message.objects.filter(case=case).select_related("author")
    ]


def _reason_shown(actor: User | None, reason: str) -> str:
    """A reason the system gave, in the reader's language; a person's words as they wrote them."""
    if actor is None and reason in SystemReason.values:
        return str(SystemReason(reason).label)
    return reason


def _events(key: bytes, case: Case) -> list[EntryView]:
    return [
        EntryView(
            event.public_id,
            event.at,
            _author(event.actor),
            _reason_shown(event.actor, open_field(key, event, "reason")),
            kind=event.kind,
            old_value=event.old_value,
            new_value=event.new_value,
        )
        for event in CaseEvent.objects.filter(case=case).select_related("actor")
    ]


@dataclass(frozen=True)
class CaseView:
    case: Case
    report: ReportView
    assignees: list[User]
    events: list[EntryView]
    notes: list[EntryView]
    messages: list[EntryView]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.case, name)


@transaction.atomic
def case_open_content(*, actor: User, case: Case) -> CaseView:
    """Decrypt a case obtained through case_get, for staff on it. Audits case.view."""
    key = data_key(case.report)
    view = CaseView(
        case=case,
        report=report_open(report=case.report),
        assignees=assignees(case),
        events=_events(key, case),
        notes=_notes(key, case),
        messages=_messages(key, case),
    )
    audit_record(actor=actor, action="case.view", obj=case)
    return view


@transaction.atomic
def case_notes(*, actor: User, case: Case) -> list[EntryView]:
    """The case's notes, for staff on it. Audits case.notes.view."""
    notes = _notes(data_key(case.report), case)
    audit_record(actor=actor, action="case.notes.view", obj=case)
    return notes


@transaction.atomic
def case_messages(*, actor: User, case: Case) -> list[EntryView]:
    """The case's messages, for staff on it. Audits case.messages.view."""
    messages = _messages(data_key(case.report), case)
    audit_record(actor=actor, action="case.messages.view", obj=case)
    return messages


def report_messages(*, report: Report) -> list[EntryView]:
    """The messages of a report the caller obtained through incidents' report_get (its owner).
    Staff appear by first name or role, never by username."""
    case = Case.objects.filter(report=report).first()
    if case is None:
        return []
    return _messages(
        data_key(report),
        case,
        author=lambda msg: gettext("you") if msg.from_reporter else _public_name(msg.author),
    )


def report_helpers(*, report: Report) -> list[str]:
    """Who is helping, as the reporter sees it: first names, or the role when none is set."""
    case = Case.objects.filter(report=report).first()
    if case is None:
        return []
    return [_public_name(user) for user in assignees(case) if user.is_active]


def case_audit_trail(*, actor: User, case: Case) -> list[AuditEvent]:
    """The audit events about a case and its report, for coordinators, each with the actor's
    username as `actor_name`. Audits case.audit.view."""
    if actor.role != Role.COORDINATOR:
        raise Http404
    audit_record(actor=actor, action="case.audit.view", obj=case)
    events = list(
        AuditEvent.objects.filter(
            Q(object_type="support.case", object_id=str(case.public_id))
            | Q(object_type="incidents.report", object_id=str(case.report.public_id))
        ).order_by("seq")
    )
    names = dict(
        User.objects.filter(public_id__in={e.actor for e in events if e.actor}).values_list(
            "public_id", "username"
        )
    )
    for event in events:
        event.actor_name = names.get(UUID(event.actor), "—") if event.actor else gettext("system")  # type: ignore[attr-defined]
    return events


@transaction.atomic
def case_evidence_get(*, actor: User, case: Case, public_id: UUID | str) -> Evidence:
    """An evidence file of a case the actor may see (404 otherwise). Audits evidence.download."""
    try:
        evidence = Evidence.objects.select_related("report").get(
            report=case.report, public_id=public_id
        )
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    audit_record(actor=actor, action="evidence.download", obj=evidence)
    return evidence


def notification_list(*, actor: User) -> QuerySet[Notification]:
    """The actor's own notifications, newest first."""
    if not actor.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=actor).select_related("case")


def notification_get(*, actor: User, public_id: UUID | str) -> Notification:
    try:
        return notification_list(actor=actor).get(public_id=public_id)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass(frozen=True)
class MatchView:
    public_id: UUID
    resource: Resource
    score: int
    reasons: list[Reason]
    status: str
    reason: str

    @property
    def status_label(self) -> str:
        return str(MatchStatus(self.status).label)

    @property
    def reasons_shown(self) -> list[str]:
        """The reasons in the reader's language."""
        return [reason_text(reason) for reason in self.reasons]


def case_matches(*, case: Case) -> list[MatchView]:
    """A case's suggestions (the caller got the case through case_get), best first."""
    key = data_key(case.report)
    return [
        MatchView(
            match.public_id,
            match.resource,
            match.score,
            match.reasons,
            match.status,
            open_field(key, match, "reason") if match.reason_sealed else "",
        )
        for match in Match.objects.filter(case=case).select_related("resource")
    ]


def match_get(*, case: Case, public_id: UUID | str) -> Match:
    try:
        return Match.objects.select_related("case__report").get(case=case, public_id=public_id)
    except (Match.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def report_resources(*, report: Report) -> list[Resource]:
    """What the reporter sees: the suggestions a worker accepted or referred them to."""
    return [
        match.resource
        for match in Match.objects.filter(
            case__report=report, status__in=[MatchStatus.ACCEPTED, MatchStatus.REFERRED]
        ).select_related("resource")
    ]


def pattern_alerts(*, actor: User) -> QuerySet[PatternAlert]:
    """Coordinators only: groups of cases whose reporters named the same identifier."""
    if actor.role != Role.COORDINATOR:
        return PatternAlert.objects.none()
    return PatternAlert.objects.prefetch_related("cases__report")


def linked_cases(*, actor: User, case: Case) -> list[Case]:
    """Other cases sharing a pattern alert with this one (coordinators only)."""
    if actor.role != Role.COORDINATOR:
        return []
    return list(Case.objects.filter(pattern_alerts__cases=case).exclude(pk=case.pk).distinct())
