"""The reporter's side. Triage fields are plaintext with fixed vocabularies; everything a person
wrote in their own words is sealed under the report's data key (see core.crypto)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from incidents.taxonomy import (
    VOCABULARIES,
    Language,
    PerpetratorType,
    Region,
    ReporterRole,
    codes,
)


@deconstructible
class CodesValidator:
    """Validate a JSON list of distinct codes from one named vocabulary (see taxonomy)."""

    def __init__(self, vocabulary: str) -> None:
        self.vocabulary = vocabulary

    def __call__(self, value: object) -> None:
        if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
            raise ValidationError(_("Choose from the list."), code="invalid")
        unknown = sorted(set(value) - codes(VOCABULARIES[self.vocabulary]))
        if unknown:
            raise ValidationError(
                _("Unknown choice: %(codes)s."),
                code="invalid_choice",
                params={"codes": ", ".join(unknown)},
            )
        if len(set(value)) != len(value):
            raise ValidationError(_("A choice is repeated."), code="duplicate")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodesValidator) and other.vocabulary == self.vocabulary


def _codes(vocabulary: str) -> models.JSONField:
    return models.JSONField(default=list, blank=True, validators=[CodesValidator(vocabulary)])


EVIDENCE_VAULT = "evidence"  # where evidence ciphertext lives (core.vault)


class ReportStatus(models.TextChoices):
    """The status a reporter sees, in plain words; it follows the staff side's case status."""

    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_REPORTER = "waiting_on_reporter", _("Waiting for your reply")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Report(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    role = models.CharField(max_length=32, choices=ReporterRole.choices)
    region = models.CharField(max_length=32, choices=Region.choices)
    channels = _codes("channels")
    abuse_types = _codes("abuse_types")
    bias_grounds = _codes("bias_grounds")
    perpetrator_type = models.CharField(
        max_length=32, choices=PerpetratorType.choices, default=PerpetratorType.UNKNOWN
    )
    risk_flags = _codes("risk_flags")
    needs = _codes("needs")
    preferred_language = models.CharField(
        max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    consent_statistics = models.BooleanField(default=False)
    consent_matching = models.BooleanField(default=False)

    municipality_sealed = models.BinaryField()
    contact_sealed = models.BinaryField()
    # Keyed hash of the filing form's submission key: a resent form is recognized, not refiled.
    submission_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["reporter", "-created_at"])]

    def __str__(self) -> str:
        return str(self.public_id)

    def get_absolute_url(self) -> str:
        return reverse("incidents:report_detail", args=[self.public_id])

    @property
    def status(self) -> str:
        """The reporter-facing status (select_related("case") to avoid a query per report)."""
        case = getattr(self, "case", None)
        return case.reporter_status if case is not None else ReportStatus.RECEIVED

    @property
    def status_label(self) -> str:
        return str(ReportStatus(self.status).label)


class Incident(models.Model):
    """One occurrence on a report's timeline."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="incidents")
    created_at = models.DateTimeField(auto_now_add=True)
    occurred_on = models.DateField(null=True, blank=True)
    channels = _codes("channels")
    abuse_types = _codes("abuse_types")
    narrative_sealed = models.BinaryField()
    identifiers_sealed = models.BinaryField()

    class Meta:
        ordering = ["occurred_on", "created_at"]

    def __str__(self) -> str:
        return str(self.public_id)


class Evidence(models.Model):
    """An encrypted file. Name, type, size, hash and description are sealed metadata."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence")
    created_at = models.DateTimeField(auto_now_add=True)
    meta_sealed = models.BinaryField()
    # The ciphertext's size on disk, which anyone who sees the media directory sees anyway: kept
    # in plaintext so that the per-report and per-account quotas are one SUM, not a decrypt each.
    stored_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return str(self.public_id)


class PerpetratorMark(models.Model):
    """A blind index of one named identifier, kept only when the reporter consented to matching."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="marks")
    digest = models.CharField(max_length=64, db_index=True)
    # The blind-index key's generation the digest was made under (0: the raw index key, before
    # keys were separated). Only marks of the keyring's current generation are compared.
    index_generation = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "digest"], name="mark_once_per_report")
        ]

    def __str__(self) -> str:
        return self.digest[:12]


class Receipt(models.Model):
    """How an anonymous reporter gets back in. Only a lookup prefix and a slow hash are stored."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="receipt")
    lookup = models.CharField(max_length=8, unique=True)
    secret_hash = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"receipt {self.lookup}"
