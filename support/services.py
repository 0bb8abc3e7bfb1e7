"""Writes on the staff side. Each checks the actor's case role, writes its audit event in the same
transaction, and never receives a request. Access lives in guardian's direct permission rows."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from core.audit import audit_record
from core.errors import DomainError, validated
from core.keys import data_key
from core.models import Role, User
from core.tasks import enqueue
from incidents.models import Report
from incidents.sealing import seal_field
from insights.services import extract_refresh
from support import escalation, rules
from support.models import (
    SEVERITY_RANK,
    WORK_PERMISSION,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    CaseStatus,
    Match,
    MatchStatus,
    Message,
    Notification,
    Severity,
    SystemReason,
)
from support.notifications import administrators, coordinators, notify
from support.selectors import assignees, is_assigned

PERMISSION = f"support.{WORK_PERMISSION}"
TEXT_MAX = 10_000


def _require_coordinator(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_active and actor.role == Role.COORDINATOR):
        raise DomainError(_("Only coordinators can do this."))


def _require_case_role(actor: User, case: Case) -> None:
    """Coordinators, and support workers assigned to this case."""
    if actor.is_authenticated and actor.is_active and actor.role == Role.COORDINATOR:
        return
    if actor.is_authenticated and actor.role == Role.SUPPORT_WORKER and is_assigned(actor, case):
        return
    raise DomainError(_("You do not work on this case."))


def _clean_text(text: str, *, field: str, required: bool) -> str:
    text = text.strip()
    if required and not text:
        raise DomainError({field: [_("Write something first.")]})
    if len(text) > TEXT_MAX:
        raise DomainError({field: [_("Keep this under 10,000 characters.")]})
    return text


def record_event(
    case: Case,
    *,
    kind: str,
    actor: User | None = None,
    old: str = "",
    new: str = "",
    reason: str = "",
) -> CaseEvent:
    """Add a line to the case's timeline; its reason is sealed under the report's key."""
    event = CaseEvent(case=case, actor=actor, kind=kind, old_value=old, new_value=new)
    event.reason_sealed = seal_field(data_key(case.report), event, "reason", reason)
    event.save()
    return event


def case_open(*, report: Report) -> Case:
    """Open the one case of a newly filed report (called by the filing services, in their
    transaction): severity and first-response deadline from the rules, the ladder set, and for a
    critical report the coordinators notified at once. Triage, matching and the statistics
    record follow in one task. Audits case.open."""
    severity = rules.severity_for(report)
    case = Case(
        report=report,
        severity=severity,
        response_due_at=timezone.now() + rules.response_deadline(severity),
    )
    escalation.reschedule(case)
    case.save()
    record_event(case, kind=CaseEventKind.OPENED, new=severity)
    audit_record(actor=None, action="case.open", obj=case)
    if severity == Severity.CRITICAL:
        notify(recipients=coordinators(), kind="critical", case=case, key=f"critical:{case.pk}")
    enqueue("support.tasks.case_triage", case.pk)
    return case


@transaction.atomic
def case_triage(*, case_id: int) -> bool:
    """The triage task's work after a filing or a new incident, idempotent: severity from the
    rules (unless a coordinator chose it), deadlines, the ladder, critical alert, then matching,
    pattern checks and the report's record in the statistics extract (which counts severity).
    Returns False when the case is gone."""
    from support.matching import case_match
    from support.patterns import pattern_check

    case = Case.objects.select_for_update().select_related("report").filter(pk=case_id).first()
    if case is None:
        return False
    computed = rules.severity_for(case.report)
    if not case.severity_locked and computed != case.severity:
        record_event(
            case,
            kind=CaseEventKind.SEVERITY,
            old=case.severity,
            new=computed,
            reason=SystemReason.TRIAGE,
        )
        case.severity = computed
    if case.first_response_at is None:
        case.response_due_at = case.created_at + rules.response_deadline(case.severity)
    escalation.reschedule(case)
    case.triaged_at = case.triaged_at or timezone.now()
    case.save()
    if case.severity == Severity.CRITICAL:
        notify(recipients=coordinators(), kind="critical", case=case, key=f"critical:{case.pk}")
    case_match(case=case)
    pattern_check(report=case.report)
    extract_refresh(report_pk=case.report_id)
    return True


def case_reassess(*, report: Report) -> None:
    """A new incident: raise the severity if the report became more serious (never lower it, and
    never over a coordinator's choice), and recompute the suggestions after commit. Audits
    case.severity when it changes."""
    case = Case.objects.select_for_update().get(report=report)
    computed = rules.severity_for(report)
    if not case.severity_locked and SEVERITY_RANK[computed] < case.severity_rank:
        old = case.severity
        case.severity = computed
        if case.first_response_at is None:
            case.response_due_at = case.created_at + rules.response_deadline(computed)
        else:
            case.update_due_at = (case.last_update_at or timezone.now()) + rules.update_deadline(
                computed
            )
        case.escalation_level = 0
        escalation.reschedule(case)
        case.save()
        record_event(
            case,
            kind=CaseEventKind.SEVERITY,
            old=old,
            new=computed,
            reason=SystemReason.NEW_INCIDENT,
        )
        audit_record(actor=None, action="case.severity", obj=case)
        if computed == Severity.CRITICAL:
            notify(recipients=coordinators(), kind="critical", case=case, key=f"critical:{case.pk}")
    enqueue("support.tasks.case_triage", case.pk)


def escalation_notify(*, case: Case, level: int, key: str) -> None:
    """Who hears about a rung of the ladder: 1 the assignees (coordinators when nobody is
    assigned), 2 the coordinators, 3 the administrators."""
    if level == 1:
        recipients = [user for user in assignees(case) if user.is_active] or coordinators()
        notify(recipients=recipients, kind="reminder", case=case, key=key)
    elif level == 2:
        notify(recipients=coordinators(), kind="escalation", case=case, key=key)
    else:
        notify(recipients=administrators(), kind="administrators", case=case, key=key)


@transaction.atomic
def case_assign(*, actor: User, case: Case, worker: User) -> None:
    """A coordinator assigns a support worker, granting the case permission. Audits case.assign."""
    _require_coordinator(actor)
    if worker.pk == actor.pk:
        raise DomainError({"worker": [_("Nobody can assign a case to themselves.")]})
    if worker.role != Role.SUPPORT_WORKER or not worker.is_active:
        raise DomainError({"worker": [_("Cases can be assigned only to active support workers.")]})
    if is_assigned(worker, case):
        raise DomainError(
            {"worker": [_("%(name)s already works on this case.") % {"name": worker.username}]}
        )
    assign_perm(PERMISSION, worker, case)
    record_event(case, actor=actor, kind=CaseEventKind.ASSIGNED, new=worker.username)
    audit_record(actor=actor, action="case.assign", obj=case)


@transaction.atomic
def case_unassign(*, actor: User, case: Case, worker: User) -> None:
    """A coordinator removes a worker; their access ends with their next request. Audits
    case.unassign."""
    _require_coordinator(actor)
    if not is_assigned(worker, case):
        raise DomainError(
            {"worker": [_("%(name)s does not work on this case.") % {"name": worker.username}]}
        )
    remove_perm(PERMISSION, worker, case)
    record_event(case, actor=actor, kind=CaseEventKind.UNASSIGNED, old=worker.username)
    audit_record(actor=actor, action="case.unassign", obj=case)


@transaction.atomic
def case_set_severity(*, actor: User, case: Case, severity: str, reason: str) -> Case:
    """A coordinator changes the severity, saying why. Audits case.severity."""
    _require_coordinator(actor)
    if severity not in Severity.values:
        raise DomainError({"severity": [_("Choose a severity from the list.")]})
    reason = _clean_text(reason, field="reason", required=True)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if severity == case.severity:
        raise DomainError({"severity": [_("The case already has this severity.")]})
    old = case.severity
    case.severity, case.severity_locked = severity, True
    if case.first_response_at is None:
        case.response_due_at = case.created_at + rules.response_deadline(severity)
    else:
        case.update_due_at = (case.last_update_at or timezone.now()) + rules.update_deadline(
            severity
        )
    case.escalation_level, case.escalated_at = 0, None
    escalation.reschedule(case)
    case.save()
    record_event(
        case, actor=actor, kind=CaseEventKind.SEVERITY, old=old, new=severity, reason=reason
    )
    audit_record(actor=actor, action="case.severity", obj=case)
    return case


def _check_transition(actor: User, case: Case, status: str, reason: str) -> None:
    if status not in CaseStatus.values:
        raise DomainError({"status": [_("Choose a status from the list.")]})
    current, target = CaseStatus(case.status), CaseStatus(status)
    if target not in rules.TRANSITIONS[current]:
        raise DomainError(
            {
                "status": [
                    _("A case that is “%(current)s” cannot become “%(target)s”.")
                    % {"current": current.label, "target": target.label}
                ]
            }
        )
    if actor.role != Role.COORDINATOR and (
        target not in rules.WORKER_TARGETS or current in rules.REOPENED_FROM
    ):
        raise DomainError({"status": [_("Only a coordinator can make this change.")]})
    if (target in rules.REASON_REQUIRED_TO or current in rules.REOPENED_FROM) and not reason:
        raise DomainError({"reason": [_("Say why, for the case's history.")]})


@transaction.atomic
def case_transition(*, actor: User, case: Case, status: str, reason: str = "") -> Case:
    """Move a case along its workflow (coordinators; assigned workers for everyday moves).
    Audits case.status."""
    _require_case_role(actor, case)
    reason = _clean_text(reason, field="reason", required=False)
    case = Case.objects.select_for_update().get(pk=case.pk)
    _check_transition(actor, case, status, reason)
    old, now = case.status, timezone.now()
    case.status = status
    case.last_update_at = now
    case.first_response_at = case.first_response_at or now
    escalation.restart(case, now=now)
    validated(case, exclude=["report"])
    case.save()
    record_event(case, actor=actor, kind=CaseEventKind.STATUS, old=old, new=status, reason=reason)
    audit_record(actor=actor, action="case.status", obj=case)
    if case.report.consent_statistics and status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        enqueue("insights.tasks.extract_refresh", case.report_id)
    return case


@transaction.atomic
def note_add(*, actor: User, case: Case, body: str) -> CaseNote:
    """Staff on the case add a sealed note the reporter never sees. Audits case.note."""
    _require_case_role(actor, case)
    note = CaseNote(case=case, author=actor)
    note.body_sealed = seal_field(
        data_key(case.report), note, "body", _clean_text(body, field="body", required=True)
    )
    note.save()
    audit_record(actor=actor, action="case.note", obj=case)
    return note


def _message(case: Case, *, author: User, from_reporter: bool, body: str) -> Message:
    message = Message(case=case, author=author, from_reporter=from_reporter)
    message.body_sealed = seal_field(
        data_key(case.report), message, "body", _clean_text(body, field="body", required=True)
    )
    message.save()
    return message


@transaction.atomic
def message_send_staff(*, actor: User, case: Case, body: str) -> Message:
    """Staff on the case write to the reporter; the first one is the case's first response.
    Audits case.message."""
    _require_case_role(actor, case)
    message = _message(case, author=actor, from_reporter=False, body=body)
    case = Case.objects.select_for_update().get(pk=case.pk)
    now = timezone.now()
    case.last_update_at = now
    case.first_response_at = case.first_response_at or now
    escalation.restart(case, now=now)
    case.save()
    audit_record(actor=actor, action="case.message", obj=case)
    return message


@transaction.atomic
def message_send_reporter(*, actor: User, report: Report, body: str) -> Message:
    """The reporter answers on their report page. A case waiting on them goes back to in
    progress. Audits report.message."""
    if not actor.is_authenticated or report.reporter_id != actor.pk:
        raise DomainError(_("This report is not yours."))
    case = Case.objects.select_for_update().get(report=report)
    message = _message(case, author=actor, from_reporter=True, body=body)
    if case.status == CaseStatus.WAITING_ON_REPORTER:
        case.status = CaseStatus.IN_PROGRESS
        escalation.restart(case, now=timezone.now())  # the reporter answered: staff are up
        case.save()
        record_event(
            case,
            kind=CaseEventKind.STATUS,
            old=CaseStatus.WAITING_ON_REPORTER,
            new=CaseStatus.IN_PROGRESS,
            reason=SystemReason.REPORTER_REPLIED,
        )
    audit_record(actor=actor, action="report.message", obj=report)
    return message


MATCH_ACTIONS = {
    "accept": MatchStatus.ACCEPTED,
    "dismiss": MatchStatus.DISMISSED,
    "refer": MatchStatus.REFERRED,
}


@transaction.atomic
def match_decide(*, actor: User, match: Match, action: str, reason: str = "") -> Match:
    """Staff on the case accept a suggestion (the reporter then sees it), dismiss it (saying
    why) or mark it referred. Audits case.match.<action>."""
    _require_case_role(actor, match.case)
    if action not in MATCH_ACTIONS:
        raise DomainError({"action": [_("Choose accept, dismiss or refer.")]})
    reason = _clean_text(reason, field="reason", required=action == "dismiss")
    match = Match.objects.select_for_update().get(pk=match.pk)
    match.status = MATCH_ACTIONS[action]
    match.decided_by, match.decided_at = actor, timezone.now()
    match.reason_sealed = seal_field(data_key(match.case.report), match, "reason", reason)
    match.save(update_fields=["status", "decided_by", "decided_at", "reason_sealed"])
    audit_record(actor=actor, action=f"case.match.{action}", obj=match.case)
    return match


def notification_read(*, actor: User, notification: Notification) -> None:
    """The recipient opened it."""
    if notification.recipient_id == actor.pk and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
