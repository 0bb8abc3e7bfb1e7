"""The case rules as data: how severe a report is, which status changes are allowed, deadlines."""

from datetime import timedelta

from django.conf import settings

from incidents.models import Report
from support.models import CaseStatus, Severity

# Severity comes from the report's plaintext triage fields; the first rule that matches wins.
# Each rule: (severity, risk flags any of which match, abuse types any of which match).
SEVERITY_RULES: list[tuple[Severity, frozenset[str], frozenset[str]]] = [
    (Severity.CRITICAL, frozenset({"imminent_danger"}), frozenset()),
    (
        Severity.HIGH,
        frozenset({"location_known", "family_targeted", "escalating"}),
        frozenset(
            {"threat_of_violence", "intimate_images", "doxxing", "stalking", "offline_intimidation"}
        ),
    ),
    (
        Severity.MEDIUM,
        frozenset(),
        frozenset(
            {
                "sexual_harassment",
                "identity_hate",
                "impersonation",
                "coordinated_campaign",
                "hacking",
            }
        ),
    ),
]


def severity_for(report: Report) -> Severity:
    flags, types = set(report.risk_flags), set(report.abuse_types)
    for severity, risk_flags, abuse_types in SEVERITY_RULES:
        if flags & risk_flags or types & abuse_types:
            return severity
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

DEFAULT_RESPONSE_HOURS = {
    Severity.CRITICAL: 1,
    Severity.HIGH: 4,
    Severity.MEDIUM: 24,
    Severity.LOW: 72,
}


def response_deadline(severity: str) -> timedelta:
    hours = {**DEFAULT_RESPONSE_HOURS, **getattr(settings, "RECOURSE_RESPONSE_HOURS", {})}
    return timedelta(hours=hours[Severity(severity)])
