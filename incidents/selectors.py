"""Reads on the reporter's side. Every query starts from what the actor may see: their own reports.
Another person's report and a report that does not exist are the same 404."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.crypto.files import open_stream
from core.keys import data_key
from core.models import User
from core.vault import vault_open
from incidents.models import EVIDENCE_VAULT, Evidence, Incident, Report
from incidents.sealing import open_field


def report_list(*, actor: User) -> QuerySet[Report]:
    """The actor's own reports, newest first. Any signed-in person; no audit (their own data)."""
    if not actor.is_authenticated:
        return Report.objects.none()
    return Report.objects.filter(reporter=actor).select_related("case")


def report_get(*, actor: User, public_id: UUID | str) -> Report:
    """One of the actor's own reports, or 404."""
    try:
        return get_object_or_404(report_list(actor=actor), public_id=public_id)
    except (ValueError, TypeError):  # not a UUID at all
        raise Http404 from None


def evidence_get(*, actor: User, report: Report, public_id: UUID | str) -> Evidence:
    """One evidence file of a report the actor may see, or 404."""
    report_get(actor=actor, public_id=report.public_id)
    try:
        return get_object_or_404(Evidence, report=report, public_id=public_id)
    except (ValueError, TypeError):
        raise Http404 from None


@dataclass(frozen=True)
class IncidentView:
    public_id: UUID
    occurred_on: date | None
    created_at: datetime
    channels: list[str]
    abuse_types: list[str]
    narrative: str
    perpetrator_identifiers: list[str]


@dataclass(frozen=True)
class EvidenceView:
    public_id: UUID
    created_at: datetime
    name: str
    content_type: str
    size: int
    sha256: str
    description: str


@dataclass(frozen=True)
class ReportView:
    """A report with its sealed fields opened, for the owner's eyes."""

    report: Report
    municipality: str
    contact_details: str
    incidents: list[IncidentView]
    evidence: list[EvidenceView]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.report, name)


def _incident_view(key: bytes, incident: Incident) -> IncidentView:
    return IncidentView(
        public_id=incident.public_id,
        occurred_on=incident.occurred_on,
        created_at=incident.created_at,
        channels=incident.channels,
        abuse_types=incident.abuse_types,
        narrative=open_field(key, incident, "narrative"),
        perpetrator_identifiers=open_field(key, incident, "identifiers"),
    )


def _evidence_view(key: bytes, evidence: Evidence) -> EvidenceView:
    meta = open_field(key, evidence, "meta")
    return EvidenceView(
        public_id=evidence.public_id,
        created_at=evidence.created_at,
        name=meta["name"],
        content_type=meta["content_type"],
        size=meta["size"],
        sha256=meta["sha256"],
        description=meta["description"],
    )


def report_open(*, report: Report) -> ReportView:
    """Decrypt a report the caller already obtained through report_get (or a staff selector)."""
    key = data_key(report)
    return ReportView(
        report=report,
        municipality=open_field(key, report, "municipality"),
        contact_details=open_field(key, report, "contact"),
        incidents=[_incident_view(key, incident) for incident in report.incidents.all()],
        evidence=[_evidence_view(key, item) for item in report.evidence.all()],
    )


@dataclass(frozen=True)
class EvidenceContent:
    meta: EvidenceView
    chunks: Any  # iterator of plaintext bytes


def evidence_open(*, evidence: Evidence) -> EvidenceContent:
    """Stream a file obtained through evidence_get, decrypting as it goes."""
    key = data_key(evidence.report)
    meta = _evidence_view(key, evidence)

    def chunks() -> Any:
        with vault_open(EVIDENCE_VAULT, evidence.public_id) as source:
            yield from open_stream(key, source, context=f"evidence:{evidence.public_id}")

    return EvidenceContent(meta=meta, chunks=chunks())
