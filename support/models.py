"""The staff side: one Case per report, its assignments (object permissions), notes and messages."""

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.models import Role
from incidents.models import Report, ReportStatus

WORK_PERMISSION = "work_case"


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_REPORTER = "waiting_on_reporter", _("Waiting on reporter")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = frozenset(set(CaseStatus) - {CaseStatus.RESOLVED, CaseStatus.CLOSED})
REPORTER_STATUS = {
    CaseStatus.NEW: ReportStatus.RECEIVED,
    CaseStatus.TRIAGED: ReportStatus.RECEIVED,
    CaseStatus.IN_PROGRESS: ReportStatus.IN_PROGRESS,
    CaseStatus.WAITING_ON_REPORTER: ReportStatus.WAITING_ON_REPORTER,
    CaseStatus.RESOLVED: ReportStatus.RESOLVED,
    CaseStatus.CLOSED: ReportStatus.CLOSED,
}


class Case(models.Model):
    """The staff side of one report. Who may work it is held in CaseUserObjectPermission."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="case")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(max_length=24, choices=CaseStatus.choices, default=CaseStatus.NEW)
    created_at = models.DateTimeField(auto_now_add=True)
    response_due_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_update_at = models.DateTimeField(null=True, blank=True)
    # After the first response, the next update is due by this time.
    update_due_at = models.DateTimeField(null=True, blank=True)
    # Escalation ladder: the time its next step falls due (null when there is none), and how
    # far it has climbed for the current deadline (see support.escalation).
    next_step_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    # A coordinator chose the severity; the rules no longer change it.
    severity_locked = models.BooleanField(default=False)

    class Meta:
        permissions = [(WORK_PERMISSION, "Work on the case")]
        indexes = [
            models.Index(fields=["status", "severity", "created_at"]),
            models.Index(fields=["response_due_at"]),
            # The sweep reads only cases whose next step is due: cost follows the overdue count.
            models.Index(
                fields=["next_step_at"],
                name="case_next_step_due",
                condition=models.Q(next_step_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return str(self.public_id)

    def get_absolute_url(self) -> str:
        return reverse("support:case_detail", args=[self.public_id])

    @property
    def reporter_status(self) -> str:
        return REPORTER_STATUS[CaseStatus(self.status)]

    @property
    def severity_rank(self) -> int:
        return SEVERITY_RANK[Severity(self.severity)]


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key object permissions: one indexed row per (worker, permission, case)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["content_object", "permission"])]


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass


class CaseEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    ESCALATION = "escalation", _("Escalation step")
    STATUS = "status", _("Status changed")
    SEVERITY = "severity", _("Severity changed")
    ASSIGNED = "assigned", _("Worker assigned")
    UNASSIGNED = "unassigned", _("Worker unassigned")


# What an escalation step names: the deadline that passed, and the rung taken (support.escalation).
ESCALATION_WORDS = {
    "response": _("first response due"),
    "update": _("update due"),
    "remind": _("reminder to the assigned workers"),
    "escalate": _("escalated to the coordinators"),
    "administrators": _("escalated to the administrators"),
}


def case_event_value_label(kind: str, value: str) -> str:
    """A case event's old or new value as a person reads it, in their language: statuses,
    severities and escalation words by their labels, usernames as they are."""
    vocabulary: dict[str, Any] = {
        CaseEventKind.STATUS: dict(CaseStatus.choices),
        CaseEventKind.SEVERITY: dict(Severity.choices),
        CaseEventKind.OPENED: dict(Severity.choices),
        CaseEventKind.ESCALATION: ESCALATION_WORDS,
    }
    return str(vocabulary.get(kind, {}).get(value, value))


class SystemReason(models.TextChoices):
    """The reasons the system itself gives on a timeline: stored as these words (sealed, like
    every reason) and shown by their labels, in the reader's language (support.selectors)."""

    TRIAGE = "triage", _("triage")
    NEW_INCIDENT = "new incident", _("new incident")
    REPORTER_REPLIED = "reporter replied", _("reporter replied")


class CaseEvent(models.Model):
    """The case's own timeline (status, severity, assignment). The reason is sealed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=CaseEventKind.choices)
    old_value = models.CharField(max_length=64, blank=True)
    new_value = models.CharField(max_length=64, blank=True)
    reason_sealed = models.BinaryField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.old_value} → {self.new_value}"


class CaseNote(models.Model):
    """A staff-only note. Never shown to the reporter."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    body_sealed = models.BinaryField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return str(self.public_id)


class Message(models.Model):
    """A message between the reporter and the staff working the case."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_reporter = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)
    body_sealed = models.BinaryField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return str(self.public_id)


class EscalationStep(models.Model):
    """One rung of the ladder taken for one deadline. Unique, so a step happens once however
    often the sweep runs."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalation_steps")
    deadline = models.DateTimeField()
    level = models.PositiveSmallIntegerField()
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "deadline", "level"], name="escalation_step_once_per_deadline"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} level {self.level}"


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NONE = "none", _("No e-mail address")


class NotificationKind(models.TextChoices):
    CRITICAL = "critical", _("Critical case")
    REMINDER = "reminder", _("Reminder")
    ESCALATION = "escalation", _("Escalation")
    ADMINISTRATORS = "administrators", _("Escalation to administrators")
    PATTERN = "pattern", _("Pattern alert")
    ROLE_REQUESTED = "role_requested", _("Role request")
    ROLE_DECIDED = "role_decided", _("Role decision")


class Notification(models.Model):
    """Tells one person *that* something needs attention, never what. Unique per recipient and
    key, so a task that runs twice notifies once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE)
    key = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key")
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class ResourceKind(models.TextChoices):
    PATHWAY = "pathway", _("Recourse pathway")
    ORGANIZATION = "organization", _("Organization")
    PROGRAM = "program", _("Program")
    CRISIS_LINE = "crisis_line", _("Crisis line")


class Resource(models.Model):
    """An organization, program or recourse pathway that can help. Public information only."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    # The French text of each text field; blank: the English is shown (see shown_name).
    name_fr = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=ResourceKind.choices)
    description = models.TextField()
    description_fr = models.TextField(blank=True)
    services = models.JSONField(default=list, blank=True)
    grounds_served = models.JSONField(default=list, blank=True)
    audience = models.CharField(max_length=200, blank=True)
    audience_fr = models.CharField(max_length=200, blank=True)
    regions = models.JSONField(default=list, blank=True, help_text=_("Empty: all of Ontario."))
    languages = models.JSONField(default=list, blank=True)
    roles_served = models.JSONField(default=list, blank=True, help_text=_("Empty: everyone."))
    cost = models.CharField(max_length=16, blank=True)
    hours = models.CharField(max_length=64, blank=True)
    hours_fr = models.CharField(max_length=64, blank=True)
    phone = models.CharField(max_length=64, blank=True)
    website = models.URLField(blank=True, validators=[URLValidator(schemes=["http", "https"])])
    email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def web_link(self) -> str:
        """The website, only if it is a web address (a row saved without validation may not be)."""
        return self.website if self.website.lower().startswith(("https://", "http://")) else ""

    def _in_active_language(self, field: str) -> str:
        """The French text under French (any "fr…" language) when it is not blank; otherwise,
        and under any other language, the English."""
        english: str = getattr(self, field)
        if not (get_language() or "").startswith("fr"):
            return english
        french: str = getattr(self, f"{field}_fr")
        return french if french.strip() else english

    @property
    def shown_name(self) -> str:
        return self._in_active_language("name")

    @property
    def shown_description(self) -> str:
        return self._in_active_language("description")

    @property
    def shown_audience(self) -> str:
        return self._in_active_language("audience")

    @property
    def shown_hours(self) -> str:
        return self._in_active_language("hours")


class MatchStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")
    REFERRED = "referred", _("Referred")


class Match(models.Model):
    """A resource suggested for a case, with the reasons, and what the worker decided."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="matches")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    score = models.IntegerField()
    reasons = models.JSONField(default=list)
    status = models.CharField(
        max_length=16, choices=MatchStatus.choices, default=MatchStatus.SUGGESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason_sealed = models.BinaryField(blank=True, default=b"")

    class Meta:
        ordering = ["-score", "resource__name"]
        constraints = [
            models.UniqueConstraint(fields=["case", "resource"], name="match_once_per_resource")
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} for {self.case_id}"


class PatternAlert(models.Model):
    """Several consenting reporters named the same identifier (by its blind index alone)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cases = models.ManyToManyField(Case, through="PatternLink", related_name="pattern_alerts")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.public_id)


class PatternLink(models.Model):
    alert = models.ForeignKey(PatternAlert, on_delete=models.CASCADE)
    case = models.ForeignKey(Case, on_delete=models.CASCADE)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "case"], name="pattern_link_once")]

    def __str__(self) -> str:
        return f"{self.alert_id}:{self.case_id}"


class RoleRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a coordinator")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RoleRequest(models.Model):
    """An administrator asked for a role that reads cases; it takes effect only when an active
    coordinator other than the person confirms it (support.roles)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_requests"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=16, choices=RoleRequestStatus.choices, default=RoleRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="role_request_one_pending_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} for {self.user_id} ({self.status})"
