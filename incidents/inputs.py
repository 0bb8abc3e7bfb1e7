"""What a reporter submits, already parsed into Python types by a form or an API serializer.

The rules about it live here and in the models, once, and the services apply them."""

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

NARRATIVE_MAX = 20_000
MUNICIPALITY_MAX = 200
CONTACT_MAX = 1_000
IDENTIFIER_MAX = 300
IDENTIFIERS_MAX = 25
DESCRIPTION_MAX = 2_000


@dataclass(frozen=True)
class IncidentInput:
    narrative: str
    occurred_on: date | None = None
    channels: list[str] = field(default_factory=list)
    abuse_types: list[str] = field(default_factory=list)
    perpetrator_identifiers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReportInput:
    role: str
    region: str
    incident: IncidentInput
    bias_grounds: list[str] = field(default_factory=list)
    perpetrator_type: str = "unknown"
    risk_flags: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    preferred_language: str = "en"
    municipality: str = ""
    contact_details: str = ""
    consent_statistics: bool = False
    consent_matching: bool = False
    # A random value the filing form carries, so sending the same form twice (a reload of the
    # page that answered it) files one report, not two.
    submission_key: str = ""


def _too_long(errors: dict[str, list[str]], name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors.setdefault(name, []).append(
            _("Keep this under %(limit)d characters (it has %(count)d).")
            % {"limit": limit, "count": len(value)}
        )


def clean_identifiers(values: list[str]) -> list[str]:
    """Strip blanks and repeats, keeping the reporter's order."""
    seen: dict[str, None] = {}
    for value in values:
        text = value.strip()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def incident_errors(data: IncidentInput) -> dict[str, list[str]]:
    """Each broken rule, by field: forms show them on their step, services refuse with them."""
    errors: dict[str, list[str]] = {}
    if not data.narrative.strip():
        errors["narrative"] = [_("Tell us what happened, in a few words or many.")]
    _too_long(errors, "narrative", data.narrative, NARRATIVE_MAX)
    if data.occurred_on and data.occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("The date cannot be in the future.")]
    identifiers = clean_identifiers(data.perpetrator_identifiers)
    if len(identifiers) > IDENTIFIERS_MAX:
        errors["perpetrator_identifiers"] = [
            _("List at most %(max)d accounts or contacts.") % {"max": IDENTIFIERS_MAX}
        ]
    for identifier in identifiers:
        _too_long(errors, "perpetrator_identifiers", identifier, IDENTIFIER_MAX)
    return errors


def check_incident(data: IncidentInput) -> None:
    errors = incident_errors(data)
    if errors:
        raise DomainError(errors)


def check_report(data: ReportInput) -> None:
    errors = incident_errors(data.incident)
    _too_long(errors, "municipality", data.municipality, MUNICIPALITY_MAX)
    _too_long(errors, "contact_details", data.contact_details, CONTACT_MAX)
    if errors:
        raise DomainError(errors)
