"""The escalation ladder. Each open case has a current deadline: its first response, then its
next update. When a deadline passes, the ladder climbs rung by rung as each falls due, each rung
once per deadline: remind the assignees (coordinators when nobody is assigned), then escalate to the
coordinators, then notify the administrators. A response or update starts a new deadline, which
clears the rungs still pending."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from support import rules
from support.models import OPEN_STATUSES, Case, CaseEventKind, CaseStatus, EscalationStep

# (level, name, fraction of the deadline's window after the deadline when the rung falls due)
LADDER = [(1, "remind", 0.0), (2, "escalate", 0.5), (3, "administrators", 1.0)]


@dataclass(frozen=True)
class Deadline:
    kind: str  # "response" or "update"
    at: datetime
    window: timedelta


# Cases the ladder watches: open, and not waiting for the reporter to answer.
WATCHED_STATUSES = OPEN_STATUSES - {CaseStatus.WAITING_ON_REPORTER}


def current_deadline(case: Case) -> Deadline | None:
    if case.status not in WATCHED_STATUSES:
        return None
    if case.first_response_at is None:
        return Deadline("response", case.response_due_at, rules.response_deadline(case.severity))
    if case.update_due_at is None:
        return None
    return Deadline("update", case.update_due_at, rules.update_deadline(case.severity))


def rung_due(deadline: Deadline, level: int) -> datetime | None:
    for rung, _name, fraction in LADDER:
        if rung == level:
            return deadline.at + deadline.window * fraction
    return None


def reschedule(case: Case) -> None:
    """Set when the next rung falls due for the case's current deadline (not saved)."""
    deadline = current_deadline(case)
    case.next_step_at = rung_due(deadline, case.escalation_level + 1) if deadline else None


def restart(case: Case, *, now: datetime) -> None:
    """A response or update by staff: a new update deadline, and the ladder starts over."""
    case.update_due_at = now + rules.update_deadline(case.severity)
    case.escalation_level, case.escalated_at = 0, None
    reschedule(case)


def overdue_ids(*, now: datetime, limit: int = 1000) -> list[int]:
    """Cases with a rung due, through the partial index on next_step_at."""
    return list(
        Case.objects.filter(next_step_at__lte=now)
        .order_by("next_step_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def climb(*, case_id: int, now: datetime) -> int | None:
    """Take the case's next rung if it is due; returns the level taken, or None."""
    from support.services import escalation_notify, record_event

    case = Case.objects.select_for_update().select_related("report").filter(pk=case_id).first()
    if case is None or case.next_step_at is None or case.next_step_at > now:
        return None
    deadline = current_deadline(case)
    if deadline is None:
        case.next_step_at = None
        case.save(update_fields=["next_step_at"])
        return None
    level = case.escalation_level + 1
    _step, created = EscalationStep.objects.get_or_create(
        case=case, deadline=deadline.at, level=level
    )
    if created:
        name = next(rung_name for rung, rung_name, _f in LADDER if rung == level)
        escalation_notify(
            case=case, level=level, key=f"ladder:{case.pk}:{deadline.at.isoformat()}:{level}"
        )
        record_event(case, kind=CaseEventKind.ESCALATION, old=deadline.kind, new=name)
        audit_record(actor=None, action=f"case.escalation.{name}", obj=case)
    case.escalation_level = level
    if level >= 2 and case.escalated_at is None:
        case.escalated_at = now
    reschedule(case)
    case.save(update_fields=["escalation_level", "escalated_at", "next_step_at"])
    return level


def sweep(*, now: datetime | None = None) -> int:
    """Take every rung now due, in order, on every case that has one; returns how many cases
    climbed. Runs every minute. Running it again at once changes nothing: after an outage the
    rungs that fell due meanwhile are all taken in the first run, each once (SECURITY.md 20)."""
    now = now or timezone.now()
    climbed = 0
    for case_id in overdue_ids(now=now):
        if climb(case_id=case_id, now=now):
            climbed += 1
            while climb(case_id=case_id, now=now):
                pass
    return climbed
