"""The staff side: one Case per report, its assignments (object permissions), notes and messages."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

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

    class Meta:
        permissions = [(WORK_PERMISSION, "Work on the case")]
        indexes = [
            models.Index(fields=["status", "severity", "created_at"]),
            models.Index(fields=["response_due_at"]),
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
    STATUS = "status", _("Status changed")
    SEVERITY = "severity", _("Severity changed")
    ASSIGNED = "assigned", _("Worker assigned")
    UNASSIGNED = "unassigned", _("Worker unassigned")


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
