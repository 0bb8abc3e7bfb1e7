"""The case rules as data: how severe a report is, which status changes are allowed, deadlines."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from incidents.models import Report
from support.models import CaseStatus, Severity


@dataclass(frozen=True)
class SeverityRule:
    """A report is at least `severity` when it names any of `abuse_types` (if given) and any of
    `risk_flags` (if given)."""

    severity: Severity
    abuse_types: frozenset[str] = frozenset()
    risk_flags: frozenset[str] = frozenset()

    def matches(self, abuse_types: set[str], risk_flags: set[str]) -> bool:
        return (not self.abuse_types or bool(self.abuse_types & abuse_types)) and (
            not self.risk_flags or bool(self.risk_flags & risk_flags)
        )


# The first rule that matches wins; a report no rule matches is low.
SEVERITY_RULES = [
    SeverityRule(Severity.CRITICAL, risk_flags=frozenset({"imminent_danger"})),
    SeverityRule(
        Severity.CRITICAL,
        abuse_types=frozenset({"threat_of_violence"}),
        risk_flags=frozenset({"location_known", "family_targeted"}),
    ),
    SeverityRule(
        Severity.HIGH,
        abuse_types=frozenset(
            {"threat_of_violence", "intimate_images", "doxxing", "stalking", "offline_intimidation"}
        ),
    ),
    SeverityRule(
        Severity.MEDIUM,
        abuse_types=frozenset(
            {"identity_hate", "sexual_harassment", "impersonation", "coordinated_campaign"}
        ),
    ),
]


def severity_for(report: Report) -> Severity:
    types, flags = set(report.abuse_types), set(report.risk_flags)
    for rule in SEVERITY_RULES:
        if rule.matches(types, flags):
            return rule.severity
    return Severity.LOW


# Status workflow: new → triaged → in progress ⇄ waiting on reporter → resolved → closed.
# Any open case may be closed (a duplicate, say); a resolved or closed case may be reopened.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.TRIAGED, CaseStatus.CLOSED}),
    CaseStatus.TRIAGED: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.CLOSED}),
    CaseStatus.IN_PROGRESS: frozenset(
        {CaseStatus.WAITING_ON_REPORTER, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.WAITING_ON_REPORTER: frozenset(
        {CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.IN_PROGRESS}),
    CaseStatus.CLOSED: frozenset({CaseStatus.IN_PROGRESS}),
}
# Moves a support worker may make on a case assigned to them; coordinators may make any move.
WORKER_TARGETS = frozenset(
    {CaseStatus.IN_PROGRESS, CaseStatus.WAITING_ON_REPORTER, CaseStatus.RESOLVED}
)
REOPENED_FROM = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
# Moves that must say why.
REASON_REQUIRED_TO = frozenset({CaseStatus.CLOSED})


def response_deadline(severity: str) -> timedelta:
    """How long a case of this severity may wait for its first response."""
    return timedelta(hours=settings.RECOURSE_RESPONSE_HOURS[Severity(severity).value])


def update_deadline(severity: str) -> timedelta:
    """How long after a response or update the next update is due."""
    return timedelta(hours=settings.RECOURSE_UPDATE_HOURS[Severity(severity).value])
